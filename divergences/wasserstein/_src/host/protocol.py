r"""The one protocol of the W1 host solvers: their options, what they return, what they are.

A solver is any object with the :class:`TransportSolver` methods. Its options are a record of
its own, the one place they live: the caller passes one (``options=dv.SparseOptions(...)``) or
its fields as keywords, the engine refuses a keyword that is not a field, and the solver checks
the record and fills its defaults (:meth:`TransportSolver.options`, once, where the problem is
built). It is given a :class:`~.host_problem.HostProblem` (float64 points scaled by a power
of two, the weights, the metric) and that record, and returns a :class:`Coupling` in the
problem's units or raises :class:`~divergences.SolverError`. What comes after (the
certificate, the narrowing of an interval wider than the solver certifies, the scaling back,
the c-transform of the dual) is the pipeline's (:mod:`.pipeline`), the same for every solver:
it calls only what this protocol declares.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol, TypeVar

import numpy as np

from divergences._src.interval import Interval
from divergences.wasserstein._src.host.host_problem import HostProblem
from divergences.wasserstein._src.results import Status

__all__ = ["Coupling", "HostOptions", "TransportSolver"]


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


class HostOptions(Protocol):
    """What the pipeline reads of every host method's options record."""

    @property
    def threads(self) -> int | None:
        """The compiled code's threads for the certificate's queries; None for the default."""


#: A solver's own options record (hashable: static under ``jit``).
OptionsT = TypeVar("OptionsT", bound=HostOptions)


class TransportSolver(Protocol[OptionsT]):
    """A solver of the transportation LP between two discrete measures, on the host.

    One module and one entry in the engine's registry
    (``divergences.wasserstein._src.problem.SOLVERS``) make a new solver a method of both
    :func:`~divergences.w1_primal` and :func:`~divergences.w1_dual` (which takes the
    c-transform of its column potential), with the same certificate, scaling, errors and
    transformations as the others. Its options are a record of its own (:attr:`Options`, a
    frozen NamedTuple with its fields and their defaults, exported as ``dv.<Name>Options``),
    whose fields are the keywords the method takes (:attr:`keywords`): any other keyword is a
    ValueError naming the method and these.
    """

    #: The method's name in ``w1_primal(..., method=...)``.
    name: str
    #: Whether it takes only the Euclidean cost.
    euclidean_only: bool

    @property
    def Options(self) -> type[OptionsT]:
        """Its options record's type (a NamedTuple, hashable: static under ``jit``)."""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The options a call may set, by keyword or in the record: the record's fields."""

    def options(self, n: int, m: int, given: OptionsT) -> OptionsT:
        """``given`` checked for an ``n x m`` problem, its defaults put where it holds None.

        ValueError naming the field for a value that breaks its rule.
        """

    def check(self, n: int, m: int, options: OptionsT) -> None:
        """Refuses, before any work, what it cannot do.

        ``MemoryError`` for a size that will not fit, ``ValueError`` for an option it cannot
        take.
        """

    def solve(self, problem: HostProblem, options: OptionsT) -> Coupling:
        """The optimal coupling, or a :class:`~divergences.SolverError` with its status.

        The error's text is the one the user reads, eagerly and under ``dv.checked(jax.jit(...))``
        alike (the runner carries it out of the callback): it says what stopped the solve and
        what to do.
        """

    def certified_rtol(self, options: OptionsT) -> float:
        """The relative width of the interval it promises (:meth:`refine` where it is wider)."""

    def refine(
        self,
        problem: HostProblem,
        options: OptionsT,
        sol: Coupling,
        bounds: Interval,
        *,
        allowance: float = math.inf,
    ) -> tuple[Coupling, Interval]:
        """A solution certified to :meth:`certified_rtol`, or a SolverError (status NUMERICAL).

        Called by the pipeline where the certificate of ``sol`` (``bounds``, ``allowance`` the
        part of their width charged at the largest cost) is wider than that, after the better
        column potential of two c-transforms.
        """
