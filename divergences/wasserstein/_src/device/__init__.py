r"""Solvers that never leave XLA, with the engine's result types and certificates.

One program under ``jit``, ``vmap``, ``grad`` and sharding, on a CPU, a GPU or a TPU.

Where the host solvers (:mod:`~divergences.wasserstein._src.host`) return a coupling for the
host pipeline to certify in NumPy, a device solver certifies itself, in XLA and in the input's
dtype, by the same argument: a feasible dual gives the lower bound, a feasible coupling the upper
one, every rounding bounded (:mod:`.rounding`, :mod:`.scaled_costs`). It follows
:class:`DeviceSolver`, with an options record of its own, and has one entry in the engine's
registry (``problem.DEVICE_SOLVERS``); the runner calls it for concrete and traced input alike
(one jitted program) and turns its status into the engine's errors.

A device solver returns a :class:`DevicePrimal` or a :class:`DeviceDual`, whichever type the
runner asks for (one ``solve`` for both: the same iteration, two readings of its end).

* :mod:`.sinkhorn`: ``method="sinkhorn"``, log-domain Sinkhorn with epsilon-scaling, certified
  to a relative gap ``rtol``.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import jax

from divergences.wasserstein._src.results import Status

__all__ = ["DeviceDual", "DevicePrimal", "DeviceResult", "DeviceSolver"]


class DevicePrimal(NamedTuple):
    """A primal solve in the input's units and dtype (NaN where it stopped short)."""

    value: jax.Array
    rows: jax.Array
    cols: jax.Array
    mass: jax.Array
    u: jax.Array
    v: jax.Array
    lower_bound: jax.Array
    upper_bound: jax.Array
    grad_x: jax.Array  # sum_j G_ij grad_x c(x_i, y_j)
    grad_y: jax.Array  # sum_i G_ij grad_y c(x_i, y_j)
    status: jax.Array  # int32 Status
    gap: jax.Array  # the certified relative gap reached
    iterations: jax.Array


class DeviceDual(NamedTuple):
    """A dual solve in the input's units and dtype (NaN where it stopped short)."""

    value: jax.Array
    f: jax.Array  # (n + m,) on the union
    lipschitz_violation: jax.Array
    grad_x: jax.Array
    grad_y: jax.Array
    status: jax.Array
    gap: jax.Array
    iterations: jax.Array


#: The result types a device solver is asked for.
DeviceResult = DevicePrimal | DeviceDual


class DeviceSolver(Protocol):
    r"""A W1 solver written in JAX, certified in XLA: a method of ``w1_primal`` and ``w1_dual``.

    ``solve`` takes the result type wanted (:class:`DevicePrimal` or :class:`DeviceDual`),
    validated arrays (``x`` ``(n, d)``, ``y`` ``(m, d)``, ``a``, ``b``, and ``valid``, the traced
    conjunction of the input rules), a named metric (its name or its spec: every named metric,
    whose spec bounds its rounding) and its own options record (filled by :meth:`options`), and
    returns that type: arrays with
    a ``status`` (an int32 :class:`Status`), the ``gap`` reached, and ``grad_x``, ``grad_y``: the
    sums :math:`\sum_j G_{ij} \nabla_x c(x_i, y_j)` and :math:`\sum_i G_{ij} \nabla_y c(x_i, y_j)`
    of the envelope derivative.
    """

    #: The method's name in ``w1_primal(..., method=...)``.
    name: str
    #: How the messages of a status without its own message name it.
    label: str

    @property
    def Options(self) -> type:
        """Its options record's type (a NamedTuple, hashable: static under ``jit``)."""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The options a call may set, by keyword or in the record: the record's fields."""

    def options(self, n: int, m: int, given: Any) -> Any:
        """``given`` (an :attr:`Options`) checked, its defaults put where it holds None."""

    def check(self, n: int, m: int, options: Any) -> None:
        """Refuses, before any work, an option it cannot take (``ValueError``)."""

    def failures(self, n: int, m: int, options: Any) -> dict[Status, str]:
        """The message of each status it may stop with (``{gap}`` is the gap reached)."""

    def solve(self, output: type[DeviceResult], *args: Any, **kwargs: Any) -> DeviceResult:
        """The result of type ``output`` (see :func:`.sinkhorn.extraction.solve`)."""
