r"""The one protocol of the W1 host solvers: their options, what they return, what they are.

A solver is any object with the :class:`TransportSolver` methods, given a
:class:`~.problem.HostProblem` (float64 points scaled by a power of two, the weights, the
metric); it returns a :class:`Coupling` in the problem's units or raises
:class:`~divergences.SolverError`. What comes after (the certificate, the scaling back, the
c-transform of the dual) is the pipeline's (:mod:`.pipeline`), the same for every solver.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from divergences.wasserstein._host.problem import HostProblem
from divergences.wasserstein._options import Options
from divergences.wasserstein._results import Status

__all__ = ["Coupling", "Options", "TransportSolver"]


class Coupling(NamedTuple):
    """What a transport solver returns, in the :class:`HostProblem`'s units.

    ``u``, ``v`` are its dual variables (any values: the certificate takes the c-transform of
    ``v``); ``value`` is its own objective, the plan's cost.
    """

    rows: np.ndarray  # (k,) int
    cols: np.ndarray  # (k,) int
    mass: np.ndarray  # (k,) >= 0
    u: np.ndarray  # (n,)
    v: np.ndarray  # (m,)
    value: float
    status: Status = Status.OPTIMAL


class TransportSolver(Protocol):
    """A solver of the transportation LP between two discrete measures, on the host.

    One module and one entry in the engine's registry
    (``divergences.wasserstein._problem.SOLVERS``) make a new solver a method of both
    :func:`~divergences.w1_primal` and :func:`~divergences.w1_dual` (which takes the
    c-transform of its column potential), with the same certificate, scaling, errors and
    transformations as the others.
    """

    #: The method's name in ``w1_primal(..., method=...)``.
    name: str
    #: Whether it takes only the Euclidean cost.
    euclidean_only: bool

    def check(self, n: int, m: int, options: Options) -> None:
        """Refuses, before any work, what it cannot do.

        ``MemoryError`` for a size that will not fit, ``ValueError`` for an option it cannot
        take.
        """

    def solve(self, problem: HostProblem, options: Options) -> Coupling:
        """The optimal coupling, or a :class:`~divergences.SolverError` with its status.

        The error's text is the one the user reads, eagerly and under ``dv.checked(jax.jit(...))``
        alike (the runner carries it out of the callback): it says what stopped the solve and
        what to do.
        """
