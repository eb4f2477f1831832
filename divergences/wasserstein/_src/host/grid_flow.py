r"""Exact W1 on a grid for the L1 and L-infinity metrics: the flow on the grid graph, certified.

For the ``cityblock`` (L1) and ``chebyshev`` (L-infinity) ground metrics on the integer lattice,
every shortest path is a chain of unit steps between neighbouring cells (axis steps for L1, king
moves for L-infinity), so W1 between two mass arrays on one grid is the uncapacitated min-cost
flow on the grid graph itself, with supply :math:`a_k - b_k` at each cell and cost 1 per step:
:math:`O(n)` arcs instead of the :math:`n^2` pairs of the transportation problem. The compiled
network simplex (``_ot_native.grid_flow``) returns its node potentials :math:`\pi` and a plan
decomposed from the optimal flow; the result is certified here as every W1 result is
(:mod:`.certify`):

* **below**, :math:`f = -\pi` (the flow's dual, shifted to centre its range): where
  :math:`|f_k - f_l| \le 1` on every arc of the grid graph, ``f`` is 1-Lipschitz for the
  metric on the whole lattice (a shortest path is a chain of arcs), so
  :math:`(u, v) = (f, -f)` is a Kantorovich pair and
  :math:`W_1 \ge \sum_k a_k f_k - \sum_k b_k f_k`, enclosed by
  :func:`~.certify.dot_enclosure`. The potentials are integers (sums of the unit and
  artificial costs along tree paths), so the check on the arcs is exact;
* **above**, the plan's cost with the repair of its marginals' rounding,
  :func:`~.certify.plan_bounds`.

Both in the units of :func:`~.host_problem.host_problem` (the lattice scaled by :math:`2^{-e}`,
exactly), then scaled back and rounded outward into the result's dtype
(:func:`~.certify.outward`), as :mod:`.pipeline` does for the transport solvers. The host
function is the same for eager and traced calls, and computes on the cells with mass in both;
the runner calls it as it calls the pipeline (``w1_grid``'s method ``"grid_flow"``, one entry
of the engine's registry: :data:`SOLVER`, its options a :class:`GridFlowOptions`).

References: Auricchio, Bassetti, Gualandi & Veneroni, *Computing Kantorovich-Wasserstein
distances on d-dimensional histograms using (d+1)-partite graphs*, NeurIPS 2018; Ling & Okada,
*An efficient Earth Mover's Distance algorithm for robust histogram comparison*, IEEE TPAMI 29,
2007.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.certify import (
    dot_enclosure,
    down,
    outward,
    plan_bounds,
    up,
)
from divergences.wasserstein._src.host.host_problem import host_problem
from divergences.wasserstein._src.keywords import check_max_iter
from divergences.wasserstein._src.results import SolverError, Status

__all__ = [
    "FLOW_METRICS",
    "SOLVER",
    "GridFlow",
    "GridFlowArrays",
    "GridFlowOptions",
    "flow_failures",
    "grid_flow_arrays",
    "plan_capacity",
]

#: The metrics whose W1 on a grid is the flow on the grid graph, and whether its arcs are the
#: king moves (L-infinity) rather than the axis steps (L1).
FLOW_METRICS = {"cityblock": False, "chebyshev": True}


class GridFlowArrays(NamedTuple):
    """The grid flow's result on the host, in lattice units, in the result's dtype.

    ``rows``, ``cols`` are flat (C-order) cell indices; ``f`` is the Kantorovich-Rubinstein
    potential at every cell (:math:`u = f` on ``mu``'s cells, :math:`v = -f` on ``nu``'s).
    """

    value: Any
    rows: Any
    cols: Any
    mass: Any
    f: Any
    lower_bound: Any
    upper_bound: Any


class GridFlowOptions(NamedTuple):
    """The options of ``w1_grid(method="grid_flow")``: ``options=dv.GridFlowOptions(...)``.

    ``max_iter`` is also the call's keyword. The flow is exact, in one thread, unpriced: no
    ``rtol``, no ``threads``. ``shape`` is set by :func:`~divergences.w1_grid`.
    """

    #: The network simplex's pivot cap; None for none.
    max_iter: int | None = None
    #: The grid's shape (the cells are its flat, C-order indices), from the masses.
    shape: tuple[int, ...] = ()


class GridFlow:
    """The engine's entry for ``w1_grid(method="grid_flow")``: the flow on the grid graph.

    A method of :func:`~divergences.w1_grid` alone (its measures are two mass arrays on one
    grid, not point clouds), run by the runner through :func:`grid_flow_arrays`.
    """

    name = "grid_flow"
    Options = GridFlowOptions
    #: The fields a call sets (``shape`` is the masses').
    keywords = ("max_iter",)

    def options(self, shape: tuple[int, ...], given: GridFlowOptions) -> GridFlowOptions:
        """``given`` checked, with the grid's ``shape`` (a record's other shape is refused)."""
        if given.shape and tuple(given.shape) != tuple(shape):
            raise ValueError(
                f"options.shape must be the masses' shape {tuple(shape)} or (); got {given.shape}"
            )
        return GridFlowOptions(check_max_iter(given.max_iter), tuple(shape))


#: The grid flow's registry entry.
SOLVER = GridFlow()


def plan_capacity(cells: int) -> int:
    """The most arcs of the decomposed plan: the padded length under a trace.

    What stays in each cell, one piece per cell with excess, per cell with deficit and per arc
    of the flow's forest (fewer than ``cells``).
    """
    return 3 * cells


def flow_failures(max_iter: int | None) -> dict[Status, str]:
    """The message of each status the grid flow may stop with (eager and under ``jit``)."""
    return {
        Status.PIVOT_CAP: (
            f"the grid flow stopped at max_iter={max_iter} pivots, short of the optimum; raise "
            "max_iter, or pass max_iter=None for no cap"
        ),
        Status.ARTIFICIAL_FLOW: (
            "the grid flow left mass on its artificial arcs beyond rounding (a defect: please "
            "report it); method='dense' or 'sparse' solves the same problem as points"
        ),
        Status.FAILED: (
            "the grid flow's potentials are not 1-Lipschitz on the grid's arcs (a defect: please "
            "report it); method='dense' or 'sparse' solves the same problem as points"
        ),
    }


def _lipschitz_on_arcs(f: np.ndarray, king: bool) -> bool:
    r"""True when :math:`|f_k - f_l| \le 1` on every arc of the grid graph (exact integers)."""
    if not (np.all(np.isfinite(f)) and np.all(f == np.round(f)) and np.max(np.abs(f)) < 2**52):
        return False
    d = f.ndim
    for step in itertools.product((-1, 0, 1), repeat=d):
        moved = sum(s != 0 for s in step)
        if moved == 0 or (not king and moved > 1) or step <= (0,) * d:
            continue  # each arc pair once: the steps greater than 0 in lexicographic order
        here = tuple(slice(max(-s, 0), f.shape[k] - max(s, 0)) for k, s in enumerate(step))
        there = tuple(slice(max(s, 0), f.shape[k] - max(-s, 0)) for k, s in enumerate(step))
        if np.max(np.abs(f[here] - f[there]), initial=0.0) > 1:
            return False
    return True


def _lattice(cells: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.stack(np.unravel_index(cells, shape), axis=-1).astype(np.float64)


def grid_flow_arrays(
    mu: np.ndarray,
    nu: np.ndarray,
    *,
    metric: str,
    options: GridFlowOptions,
    dtype: Any,
) -> GridFlowArrays:
    """Solves, certifies and rounds the grid flow of two flat mass arrays on ``shape``.

    Args:
      mu: the masses of the cells (flat, C order), validated.
      nu: likewise.
      metric: ``"cityblock"`` or ``"chebyshev"``.
      options: the grid's shape and the pivot cap.
      dtype: the result's floating dtype.

    Raises:
      SolverError: with its status, for a solve short of the optimum (:func:`flow_failures`),
        or ``NOT_BUILT`` without the extension.
    """
    dt = np.dtype(dtype)
    shape, max_iter = options.shape, options.max_iter
    mu, nu = np.asarray(mu, np.float64).ravel(), np.asarray(nu, np.float64).ravel()
    cx, cy = np.flatnonzero(mu), np.flatnonzero(nu)
    problem, k = host_problem(
        _lattice(cx, shape), _lattice(cy, shape), mu[cx], nu[cy], None, metric
    )
    full_a, full_b = np.zeros(mu.size), np.zeros(nu.size)
    full_a[cx], full_b[cy] = problem.a, problem.b  # b at a's total (host_problem)
    king = FLOW_METRICS[metric]
    res = native.load().grid_flow(
        full_a, full_b, np.asarray(shape, np.int32), king=king,
        max_pivots=2**62 if max_iter is None else int(max_iter),
    )  # fmt: skip
    status = Status(int(res["status"]))
    if status != Status.OPTIMAL:
        raise SolverError(flow_failures(max_iter)[status], status)
    f = -np.asarray(res["pi"], np.float64)
    f = f - np.floor((np.max(f) + np.min(f)) / 2)  # exact: integers, |f| <= the diameter
    if not _lipschitz_on_arcs(f.reshape(shape), king):
        raise SolverError(flow_failures(max_iter)[Status.FAILED], Status.FAILED)
    cells_rows, cells_cols = np.asarray(res["rows"]), np.asarray(res["cols"])
    rows, cols = np.searchsorted(cx, cells_rows), np.searchsorted(cy, cells_cols)
    mass = np.asarray(res["mass"], np.float64)
    u, v = np.ldexp(f[cx], -k), -np.ldexp(f[cy], -k)  # in the problem's units, exactly
    plan_costs = problem.plan_costs(rows, cols)
    above = plan_bounds(
        a=problem.a, b=problem.b, rows=rows, cols=cols, mass=mass, plan_costs=plan_costs, v=v,
        transform=u, cost_max=problem.cost_bound(), error=problem.error, d=len(shape),
        weight_error=problem.weight_error,
    )  # fmt: skip
    # The pair (u, v) is feasible exactly: its dual value, enclosed, less the weights' miss.
    dual = dot_enclosure(np.concatenate([problem.a, problem.b]), np.concatenate([u, v]))
    v_max = float(np.max(np.abs(v), initial=0.0))
    below = down(dual.lower_bound - up(problem.weight_error * v_max))
    lo, hi = outward(Interval(max(below, above.lower_bound, 0.0), above.upper_bound), k, dt)
    if not float(lo) <= float(hi):
        raise SolverError(
            f"the grid flow's certified bounds cross: [{lo}, {hi}]", Status.BOUNDS_CROSSED
        )
    value = math.ldexp(math.fsum((mass * plan_costs).tolist()), k)
    return GridFlowArrays(
        value=np.asarray(np.clip(dt.type(value), lo, hi), dt),
        rows=cells_rows.astype(np.int32),
        cols=cells_cols.astype(np.int32),
        mass=mass.astype(dt),
        f=f.astype(dt),
        lower_bound=np.asarray(lo, dt),
        upper_bound=np.asarray(hi, dt),
    )
