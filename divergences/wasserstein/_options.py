"""The solver options of :func:`~divergences.w1_primal` and :func:`~divergences.w1_dual`.

Shared by the host solvers (:mod:`._host`) and the device solvers (:mod:`._device`), which know
nothing of each other.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Options"]


class Options(NamedTuple):
    """The solver options, validated (hashable: static under ``jit``)."""

    max_iter: int | None  # pivot (or iteration) cap; None for the solver's default
    # The certified relative gap a solver stops at ("sparse", "sinkhorn"); None, as given by a
    # caller, for the method's default (make_problem puts that default in its place).
    rtol: float | None
    max_rounds: int  # the sparse solver's pricing rounds
    threads: int | None  # the native code's threads; None for the default
