r"""Certified W1 by log-domain Sinkhorn with epsilon-scaling, entirely in XLA.

``w1_primal(..., method="sinkhorn")`` and ``w1_dual(..., method="sinkhorn")``: no host
callback, so one program runs under ``jit``, ``vmap`` (a batch is solved in lockstep, not one
problem after another), ``grad`` and across devices, on a CPU, a GPU or a TPU. What it returns
is the engine's (:class:`~divergences.W1Primal`, :class:`~divergences.W1Dual`,
:class:`~divergences.SparsePlan`, :class:`~divergences.wasserstein._src.results.Status`): an
interval ``[lower_bound, upper_bound]`` that holds W1 in real arithmetic, whose relative gap is
at most ``rtol`` (default ``1e-3``), or a :class:`~divergences.SolverError`.

It is five modules along the solve's jobs:

* :mod:`.config`: the fixed parameters (:class:`SinkhornConfig`) and the options of a call
  (:class:`SinkhornOptions`);
* :mod:`.geometry`: the problem on its scaled points, its columns by blocks, W1 = 0 proved from
  the input's bits, and the one scan over the blocks that every pass uses;
* :mod:`.iteration`: the log-domain updates, epsilon-scaling and the loop with its checks;
* :mod:`.bounds`: the certificate of a state, the lower bound of a feasible dual pair and the
  upper bound of a coupling;
* :mod:`.extraction`: the returned coupling, its arcs and gradient, and the primal and dual
  results back in the input's units and dtype.

This module holds the registry entry (:data:`SOLVER`).
"""

from __future__ import annotations

from typing import Any

from divergences._src.options import rtol_option
from divergences.wasserstein._src.device import DeviceResult
from divergences.wasserstein._src.device.sinkhorn.extraction import solve
from divergences.wasserstein._src.device.sinkhorn.parameters import (
    CONFIG,
    SinkhornConfig,
    SinkhornOptions,
)
from divergences.wasserstein._src.keywords import check_max_iter
from divergences.wasserstein._src.results import Status

__all__ = [
    "CONFIG",
    "SOLVER",
    "SinkhornConfig",
    "SinkhornOptions",
    "SinkhornSolver",
    "solve",
]


class SinkhornSolver:
    """The engine's entry for ``method="sinkhorn"``.

    What :mod:`~divergences.wasserstein._src.problem` checks and the runner calls (see the module's
    docstring).
    """

    name: str = "sinkhorn"
    #: How the generic messages name it.
    label: str = "the sinkhorn W1 solver"

    Options = SinkhornOptions
    keywords = SinkhornOptions._fields

    def options(self, n: int, m: int, given: SinkhornOptions) -> SinkhornOptions:
        """``given`` checked, :class:`SinkhornOptions`' defaults where None.

        It runs no compiled code (no ``threads``) and has no pricing rounds.
        """
        default = SinkhornOptions()
        cap = check_max_iter(given.max_iter)
        return SinkhornOptions(
            rtol_option(given.rtol, zero=True, default=default.rtol),
            default.max_iter if cap is None else cap,
        )

    def check(self, n: int, m: int, options: SinkhornOptions) -> None:
        """``rtol`` must be positive: the entropic plan is never exactly optimal."""
        if not options.rtol > 0:
            raise ValueError(
                "rtol must be > 0 for method='sinkhorn' (a certified relative gap; the "
                f"entropic plan is never exactly optimal); got {options.rtol!r}"
            )

    def failures(self, n: int, m: int, options: SinkhornOptions) -> dict[Status, str]:
        """The message of each status it may stop with; ``{gap}`` is the gap reached."""
        rtol, cap = options.rtol, options.max_iter
        return {
            Status.PIVOT_CAP: (
                f"the sinkhorn W1 solver stopped at its iteration cap max_iter={cap} (status "
                f"PIVOT_CAP) with the certified relative gap {{gap:.3e}} above rtol={rtol:g}; "
                "raise max_iter or rtol, use float64, or use method='dense' for an exact solve "
                "(a gap stuck near 1 is a W1 far below the largest cost, which entropic "
                "smoothing cannot resolve: a far point of tiny mass, or nearly equal measures)"
            ),
            Status.BOUNDS_CROSSED: (
                "the sinkhorn W1 solver's certified bounds crossed (status BOUNDS_CROSSED, "
                "relative gap {gap:.3e})"
            ),
            Status.FAILED: (
                "the sinkhorn W1 solver produced non-finite potentials or bounds (status "
                "FAILED, relative gap {gap:.3e})"
            ),
        }

    def solve(self, output: type[DeviceResult], *args: Any, **kwargs: Any) -> DeviceResult:
        """:func:`.extraction.solve`."""
        return solve(output, *args, **kwargs)


#: The solver's registry entry.
SOLVER = SinkhornSolver()
