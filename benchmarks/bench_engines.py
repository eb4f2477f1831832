"""The field's min-cost-flow engines against the project's network simplex, on the project's graphs.

Each graph is a transportation problem: sources ``i`` with supply ``A_i``, sinks ``j`` with
demand ``B_j``, arcs ``(i, j)`` of unit cost ``C_ij`` and capacity the total mass. Every engine
solves the same LP in one process, side by side:

* ``project``: the compiled network simplex of the sparse W1 solver (``_ot_native.solve``)
  with one round (``max_rounds=1``: it solves the given graph; the pricing that follows is not
  timed, ``t_graph`` is). It takes the Euclidean costs in float64 and the masses ``A``, ``B``;
  its value, scaled, must lie within half a cost unit a unit of mass of the integer optimum.
  ``warm``: the coarse level's potentials and plan, as the multiscale solver hands them down.
* ``LEMON NS``, ``LEMON CostScaling``, ``LEMON CapScaling`` (LEMON's ``NetworkSimplex``,
  ``CostScaling`` and ``CapacityScaling`` through ``pylmcf``), ``pylmcf LCT`` (its link-cut
  tree network simplex), ``OR-Tools`` (``SimpleMinCostFlow``, cost scaling): int64 costs
  ``C_ij = round(2^20 c_ij)`` and masses rounded to a total of ``2^24``. All of them must reach
  the same integer optimum (asserted). ``warm`` for those that accept negative costs: the costs
  reduced by the coarse potentials rounded to integers, ``C_ij - U_i - V_j`` (the same optimal
  flows; the objective shifted by ``sum A U + sum B V``, added back), which is how a potential
  start reaches an engine that takes none: cost scaling then starts from a smaller epsilon.
  pylmcf's network simplex refuses negative costs, and OR-Tools returns no potentials.

The graphs:

* ``project CS``: the project's own cost scaling (``_ot_native.cost_scaling``, Goldberg's
  push-relabel, ``cost_scaling.h``) on the same integer LP. ``cold``: no start. ``warm``: the
  coarse potentials, ``-u0`` and ``v0`` in integer cost units, as its starting prices (its
  first eps is then their largest violation). ``warm+flow``: also the handed-down plan's
  forest, its flows for the integer masses (negative ones set to 0: a pseudoflow). ``time``
  is its own (the graph built, the phases, the exact potentials); the work columns are its
  phases, pushes, relabels and price updates. Its optimum must equal the others' (asserted).

* ``bipartite N``: every pair of the Dirichlet samples of :mod:`divergences.testing.geometries`
  (``N`` against ``N + N // 7`` uniform points, Dirichlet(1) weights), N = 200, 1000. No coarse
  level: cold starts only.
* ``CLASS N``: a DOTmark-like pair of ``N x N`` images (:mod:`divergences.testing.dotmark`),
  ``dv.w1_grid(mu, nu, method="sparse")``: the finest level's candidate graph, as the solver
  hands it to the simplex, joined with the final plan's arcs (the pricing rounds add arcs; the
  union holds an optimal plan of the whole problem, so its LP has the problem's optimum). The
  ``w1_grid`` row is the whole call; ``finest`` is that level's simplex time in it, with its
  pricing rounds (``t_graph`` of the native answer).
* ``dirichlet N``: the same for ``dv.w1_primal(..., method="sparse")`` on the Dirichlet samples.

Times are the best of ``--repeat`` runs (one where it takes over 10 s); ``pivots`` where the
engine reports them (the project only); ``MB`` the peak resident memory over the solve above
what the process held before it (``VmHWM`` reset through ``/proc/self/clear_refs``; 0 where the
kernel refuses), and the bytes per arc. An engine that is not installed is skipped with a
message. Run: ``python benchmarks/bench_engines.py`` (47 minutes on two loaded cores: the
cost-scaling engines take minutes at 128^2), ``--quick`` (under a minute), ``--sizes 256
--classes "GRF smooth" --bipartite --dirichlet --repeat 1 --skip "LEMON CapScaling"`` for the
largest graph, ``--round-one "GRF smooth" 512`` for round 1 of the finest level alone (the
simplex and the project's cost scaling: :func:`round_one`).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pathlib
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from anywhere

from divergences.testing.dotmark import dotmark_pair
from divergences.testing.geometries import geometry_problem

#: Masses and costs as integers: total mass 2^24, costs in units of 2^-20 (points of extent
#: about 1, so costs below 2^22). The capacity of arc (i, j) is min(A_i, B_j), which changes
#: no feasible flow: the sum of capacity times cost stays below pylmcf's checked 2^61.
MASS_UNITS = 2**24
COST_UNITS = 2**20

try:
    import pylmcf.pylmcf_cpp as _lmcf
except ImportError:
    _lmcf = None
    print("pylmcf is not installed: the LEMON rows are skipped (pip install pylmcf)")
try:
    from ortools.graph.python import min_cost_flow as _ortools
except ImportError:
    _ortools = None
    print("ortools is not installed: the OR-Tools row is skipped (pip install ortools)")


class Graph(NamedTuple):
    """One transportation LP, in the float form the project solves and the integer form."""

    name: str
    x: np.ndarray  # (n, d) points of extent about 1, as the native solver takes them
    y: np.ndarray  # (m, d)
    a: np.ndarray  # (n,) float64 masses, as the project solves them
    b: np.ndarray  # (m,)
    rows: np.ndarray  # (k,) int32 arcs, sorted by (row, col)
    cols: np.ndarray  # (k,) int32
    supply: np.ndarray  # (n,) int64, total MASS_UNITS
    demand: np.ndarray  # (m,) int64, same total
    cost: np.ndarray  # (k,) int64
    u0: np.ndarray | None  # the coarse level's Kantorovich pair, where there is one
    v0: np.ndarray | None
    basis: tuple[np.ndarray, np.ndarray] | None  # the coarse plan handed down
    context: dict  # the project's own run of the whole problem, where there is one


def integer_masses(w: np.ndarray, units: int = MASS_UNITS) -> np.ndarray:
    """``w`` scaled to total ``units`` and rounded (largest remainders), every entry >= 1."""
    s = w / w.sum() * units
    out = np.floor(s).astype(np.int64)
    short = units - int(out.sum())
    out[np.argsort(out - s)[:short]] += 1
    zeros = out == 0
    out[zeros] = 1
    out[np.argmax(out)] -= int(zeros.sum())
    return out


def make_graph(name: str, x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray,
               keys: np.ndarray, mass_units: int = MASS_UNITS, **extra: Any) -> Graph:  # fmt: skip
    """The graph of the arcs ``keys = i * m + j`` (sorted, unique), masses to ``mass_units``."""
    m = y.shape[0]
    rows, cols = (keys // m).astype(np.int32), (keys % m).astype(np.int32)
    dist = np.sqrt(np.sum((x[rows] - y[cols]) ** 2, axis=1))
    cost = np.rint(dist * COST_UNITS).astype(np.int64)
    return Graph(
        name, x, y, np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64),
        rows, cols, integer_masses(a, mass_units), integer_masses(b, mass_units), cost,
        extra.get("u0"), extra.get("v0"), extra.get("basis"), extra.get("context", {}),
    )  # fmt: skip


# --- the engines ------------------------------------------------------------------------------


def _capacities(g: Graph) -> np.ndarray:
    return np.minimum(g.supply[g.rows], g.demand[g.cols])


def _flow_arrays(g: Graph, cost: np.ndarray) -> tuple[np.ndarray, ...]:
    n = g.x.shape[0]
    supply = np.concatenate([g.supply, -g.demand])
    starts = g.rows.astype(np.int64)
    ends = g.cols.astype(np.int64) + n
    caps = _capacities(g)
    return supply, starts, ends, caps, np.ascontiguousarray(cost, np.int64)


def _lemon(kind: str, duals: bool) -> Callable[[Graph, np.ndarray], int]:
    def run(g: Graph, cost: np.ndarray) -> int:
        supply, starts, ends, caps, c = _flow_arrays(g, cost)
        if kind == "lct":
            flow = _lmcf.lmcf_lct(supply, starts, ends, caps, c, duals)
        else:
            fn = {"ns": _lmcf.lmcf, "cost": _lmcf.lmcf_cost_scaling,
                  "cap": _lmcf.lmcf_capacity_scaling}[kind]  # fmt: skip
            flow = fn(supply, starts, ends, caps, c, duals)
        if duals:
            flow = flow[0]
        return int(np.dot(flow, c))

    return run


def _ortools_run(g: Graph, cost: np.ndarray) -> int:
    n = g.x.shape[0]
    smcf = _ortools.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        g.rows.astype(np.int32), (g.cols + n).astype(np.int32),
        _capacities(g), np.ascontiguousarray(cost, np.int64),
    )  # fmt: skip
    supply = np.concatenate([g.supply, -g.demand])
    smcf.set_nodes_supplies(np.arange(supply.size, dtype=np.int32), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools: status {status}")
    return int(smcf.optimal_cost())


class Engine(NamedTuple):
    """An external engine: its run on a graph and given costs (the integer optimum)."""

    run: Callable[[Graph, np.ndarray], int]
    warm: bool  # takes negative costs: a start by reduced costs
    max_work: float  # skipped where nodes times arcs exceeds this


#: pylmcf's potentials for a cost-scaling flow are recomputed by Bellman-Ford (its potentials
#: are only epsilon-feasible), O(nodes x arcs): measured only below this.
DUALS_WORK = 2e9


#: The engines left out by ``--skip`` (``"project CS"``: the project's own cost scaling).
SKIPPED: set[str] = set()


def _engines() -> dict[str, Engine]:
    """The installed engines by name, but those skipped."""
    out: dict[str, Engine] = {}
    if _lmcf is not None:
        out["LEMON NS"] = Engine(_lemon("ns", False), False, np.inf)
        out["LEMON NS +duals"] = Engine(_lemon("ns", True), False, np.inf)
        out["LEMON CostScaling"] = Engine(_lemon("cost", False), True, np.inf)
        out["LEMON CS +duals"] = Engine(_lemon("cost", True), False, DUALS_WORK)
        out["LEMON CapScaling"] = Engine(_lemon("cap", False), True, np.inf)
        out["pylmcf LCT"] = Engine(_lemon("lct", False), False, np.inf)
    if _ortools is not None:
        out["OR-Tools"] = Engine(_ortools_run, True, np.inf)
    return {name: engine for name, engine in out.items() if name not in SKIPPED}


def _forest_flow(g: Graph) -> np.ndarray:
    """The handed-down forest's flows for the integer masses, on ``g``'s arcs (0 elsewhere).

    Leaves are peeled: a leaf's one arc carries its remaining imbalance. A negative flow (the
    forest does not fit the masses there) is set to 0 and a flow past ``min(A_i, B_j)`` cut to
    it, which leaves excesses for the engine.
    """
    assert g.basis is not None
    n, m = g.x.shape[0], g.y.shape[0]
    keys = g.rows.astype(np.int64) * m + g.cols
    bk = np.unique(g.basis[0].astype(np.int64) * m + g.basis[1])
    pos = np.searchsorted(keys, bk)
    found = (pos < keys.size) & (keys[np.minimum(pos, keys.size - 1)] == bk)
    pos, bk = pos[found], bk[found]
    ends = np.stack([bk // m, bk % m + n], axis=1).tolist()
    rest = np.concatenate([g.supply, -g.demand]).tolist()  # net mass each node still sends
    incident: list[list[int]] = [[] for _ in range(n + m)]
    for e, (u, v) in enumerate(ends):
        incident[u].append(e)
        incident[v].append(e)
    degree = [len(a) for a in incident]
    used = [False] * len(ends)
    flow = [0] * len(ends)
    leaves = [v for v in range(n + m) if degree[v] == 1]
    while leaves:
        v = leaves.pop()
        if degree[v] != 1:
            continue
        e = next(k for k in incident[v] if not used[k])
        used[e] = True
        i, j = ends[e]
        f = rest[i] if v == i else -rest[j]
        flow[e] = f
        rest[i] -= f
        rest[j] += f
        other = j if v == i else i
        degree[v] -= 1
        degree[other] -= 1
        if degree[other] == 1:
            leaves.append(other)
    out = np.zeros(keys.size, np.int64)
    out[pos] = np.clip(flow, 0, None)
    return np.minimum(out, _capacities(g))


def _cost_scaling_run(g: Graph, start: str) -> dict:
    from divergences.wasserstein._src.host import native

    kw: dict[str, Any] = {}
    if start != "cold":
        assert g.u0 is not None and g.v0 is not None
        kw["potentials"] = np.concatenate([-g.u0, g.v0]) * COST_UNITS
    if start == "warm+flow":
        kw["flow"] = _forest_flow(g)
    t0 = time.perf_counter()
    res = native.load().cost_scaling(g.supply, g.demand, g.rows, g.cols, g.cost, **kw)
    call = time.perf_counter() - t0
    work = (f"{res['phases']} phases ({res['escalations']} eps raised), {res['pushes']:,} pushes, "
            f"{res['relabels']:,} relabels, {res['updates']} updates")  # fmt: skip
    return {"time": res["seconds"], "call": call, "value": int(res["objective"]), "work": work,
            "first_eps": res["first_eps"]}  # fmt: skip


def _own_cost_scaling_rows(g: Graph, repeat: int) -> list[dict]:
    """The project's cost scaling on ``g``, cold and from the coarse level's start."""
    starts = ["cold"]
    if g.u0 is not None:
        starts += ["warm", "warm+flow"] if g.basis is not None else ["warm"]
    rows: list[dict] = []
    for start in starts:
        runs: list[dict] = []
        _, _, peak = measure(lambda: runs.append(_cost_scaling_run(g, start)), repeat)  # noqa: B023
        best = min(runs, key=lambda r: r["time"])
        rows.append(best | {"engine": "project CS", "start": start, "mb": peak})
    values = {r["value"] for r in rows}
    assert len(values) == 1, f"the cost scaling's starts disagree on {g.name}: {rows}"
    return rows


def _project_run(g: Graph, warm: bool) -> dict:
    from divergences.wasserstein._src.host import native

    kw: dict[str, Any] = {}
    if warm and g.u0 is not None:
        kw.update(u0=g.u0, v0=g.v0)
        if g.basis is not None:
            kw.update(basis_rows=g.basis[0], basis_cols=g.basis[1])
    t0 = time.perf_counter()
    res = native.load().solve(
        g.x, g.y, g.a, g.b,
        arc_rows=g.rows, arc_cols=g.cols, rtol=0.0, rc_tol=1e-13, max_rounds=1,
        threads=1, assignment=False, **kw,
    )  # fmt: skip
    call = time.perf_counter() - t0
    return {"time": res["t_graph"], "call": call, "pivots": int(res["pivots"]),
            "value": float(res["value"]), "forest": bool(res["forest_start"])}  # fmt: skip


# --- measuring --------------------------------------------------------------------------------


def _rss_kb(field: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim() -> None:
    """Hands freed heap pages back to the system, so that the next peak is the solve's own."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


#: A run longer than this many seconds is not repeated (the noise is a small part of it).
REPEAT_BELOW = 10.0


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, Any, float]:
    """Best time of ``repeat`` calls, the last answer, the peak memory over the first (MB)."""
    _trim()
    before = _rss_kb("VmRSS:")
    peak_ok = _reset_peak()
    best, answer, peak = np.inf, None, 0.0
    for k in range(repeat):
        t0 = time.perf_counter()
        answer = fn()
        best = min(best, time.perf_counter() - t0)
        if k == 0 and peak_ok:
            peak = (_rss_kb("VmHWM:") - before) / 1024
        if best > REPEAT_BELOW:
            break
    return best, answer, max(peak, 0.0)


def _external_rows(g: Graph, starts: list[str], repeat: int) -> list[dict]:
    """The external engines on ``g``; their integer optima asserted equal."""
    shift, reduced = 0, g.cost
    if g.u0 is not None and g.v0 is not None:
        uu = np.rint(g.u0 * COST_UNITS).astype(np.int64)
        vv = np.rint(g.v0 * COST_UNITS).astype(np.int64)
        reduced = g.cost - uu[g.rows] - vv[g.cols]
        shift = int(np.dot(g.supply, uu) + np.dot(g.demand, vv))
    rows: list[dict] = []
    work = float(g.x.shape[0] + g.y.shape[0]) * g.rows.size
    for name, engine in _engines().items():
        if work > engine.max_work:
            print(f"{name} skipped on {g.name}: {work:.1e} node-arcs over {engine.max_work:.0e}")
            continue
        for start in starts:
            if start == "warm" and not engine.warm:
                continue
            cost = g.cost if start == "cold" else reduced
            try:
                t, obj, peak = measure(lambda: engine.run(g, cost), repeat)  # noqa: B023
            except OverflowError as err:
                print(f"{name} refuses {g.name}: {err}")
                continue
            obj += shift if start == "warm" else 0
            rows.append({"engine": name, "start": start, "time": t, "value": obj, "mb": peak})
    if g.u0 is not None:
        # What a warm start can save cost scaling: its first epsilon is set by the largest
        # |cost| (LEMON), where the start's own epsilon-optimality is the largest violation.
        print(f"{g.name}: costs up to {int(g.cost.max())}; reduced by the coarse potentials "
              f"{int(reduced.min())} to {int(reduced.max())}, "
              f"{np.mean(reduced < 0):.1%} of the arcs negative")  # fmt: skip
    values = {r["value"] for r in rows}
    assert len(values) <= 1, f"the engines disagree on {g.name}: {rows}"
    return rows


def bench_graph(g: Graph, repeat: int) -> list[dict]:
    """Every engine on ``g``, cold and warm; the optima checked against each other."""
    n, m, k = g.x.shape[0], g.y.shape[0], g.rows.size
    rows: list[dict] = []
    starts = ["cold", "warm"] if g.u0 is not None else ["cold"]
    if g.context:
        rows.append(g.context | {"engine": "w1_grid/primal", "start": "whole call"})
    for start in starts:
        runs: list[dict] = []
        _, _, peak = measure(lambda: runs.append(_project_run(g, start == "warm")), repeat)  # noqa: B023
        best = min(runs, key=lambda r: r["time"])
        # A coarse plan that is no forest of positive flows for these masses is not used.
        label = start if start == "cold" or best["forest"] else "warm (u,v)"
        rows.append(best | {"engine": "project NS", "start": label, "mb": peak})
    external = _external_rows(g, starts, repeat)
    own = _own_cost_scaling_rows(g, repeat) if "project CS" not in SKIPPED else []
    if external and own:
        assert own[0]["value"] == external[0]["value"], f"cost scaling: {own} against {external}"
    external = own + external
    if external:
        # The project's float optimum against the integer one, in the project's units: the
        # costs' rounding moves it by half a cost unit per unit of mass, the masses' rounding
        # by at most the largest cost times the mass moved.
        total = float(g.a.sum())
        optimum = external[0]["value"] / (COST_UNITS * MASS_UNITS) * total
        moved = np.abs(g.a / total - g.supply / MASS_UNITS).sum()
        moved += np.abs(g.b / float(g.b.sum()) - g.demand / MASS_UNITS).sum()
        slack = (0.5 / COST_UNITS + moved * (g.cost.max() + 1) / COST_UNITS + 1e-12) * total
        for r in rows:
            if r["engine"] == "project NS":
                assert abs(r["value"] - optimum) <= slack, f"project: {r} against {optimum}"
    rows += external
    for r in rows:
        r.update(graph=g.name, nodes=n + m, arcs=k)
    return rows


# --- the graphs -------------------------------------------------------------------------------


def _scaled(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    both = np.concatenate([x, y])
    lo, hi = both.min(axis=0), both.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 1e-300)
    return np.ascontiguousarray((x - centre) / half), np.ascontiguousarray((y - centre) / half)


def bipartite(n: int) -> Graph:
    x, y, a, b = geometry_problem("dirichlet", n)
    x, y = _scaled(x, y)
    keys = np.arange(x.shape[0] * y.shape[0], dtype=np.int64)
    return make_graph(f"bipartite {n}", x, y, a, b, keys)


class _Stop(Exception):
    """Raised by the recording stand-in once it holds the call it was asked to stop at."""


def _record(call: Callable[[], Any], stop_at: int | None = None) -> tuple[list[tuple], float]:
    """Runs ``call`` with the native solver recorded: ``(args, kwargs, answer)`` of each solve.

    With ``stop_at``, the first solve of that many points or more is recorded unsolved (its
    answer ``None``) and ends the call. Also returns the call's seconds.
    """
    from divergences.wasserstein._src.host import native

    module = native.load()
    calls: list[tuple[tuple, dict, Any]] = []

    class Recording:
        def __getattr__(self, attr: str) -> Any:
            return getattr(module, attr)

        def solve(self, *args: Any, **kwargs: Any) -> Any:
            if stop_at is not None and args[0].shape[0] + args[1].shape[0] >= stop_at:
                calls.append((args, kwargs, None))
                raise _Stop
            res = module.solve(*args, **kwargs)
            calls.append((args, kwargs, res))
            return res

    load = native.load
    native.load = Recording  # type: ignore[assignment]
    t0 = time.perf_counter()
    try:
        call()
    except Exception:  # _Stop, however the caller's error policy wraps it
        if not calls or calls[-1][2] is not None:
            raise
    finally:
        native.load = load  # type: ignore[assignment]
    return calls, time.perf_counter() - t0


def _recorded_finest(call: Callable[[], Any], name: str) -> Graph:
    """Runs ``call`` with the native solver recorded; the finest level's graph."""
    calls, whole = _record(call)
    args, kw, res = max(calls, key=lambda c: c[0][0].shape[0] + c[0][1].shape[0])
    x, y, a, b = (np.asarray(v) for v in args[:4])
    m = y.shape[0]
    candidates = kw["arc_rows"].astype(np.int64) * m + kw["arc_cols"]
    plan = np.asarray(res["rows"], np.int64) * m + np.asarray(res["cols"])
    keys = np.union1d(candidates, plan)
    basis = None
    if "basis_rows" in kw:
        basis = (np.asarray(kw["basis_rows"], np.int32), np.asarray(kw["basis_cols"], np.int32))
    context = {"time": whole, "pivots": int(res["pivots"]), "finest": res["t_graph"],
               "rounds": int(res["rounds"]), "final_arcs": int(res["arcs"]),
               "candidates": int(candidates.size), "value": float("nan"), "mb": 0.0}  # fmt: skip
    return make_graph(
        name, x, y, a, b, keys, u0=np.asarray(kw["u0"]), v0=np.asarray(kw["v0"]), basis=basis,
        context=context,
    )  # fmt: skip


def dotmark(kind: str, n: int) -> Graph:
    import divergences as dv

    mu, nu = dotmark_pair(kind, n)
    return _recorded_finest(lambda: dv.w1_grid(mu, nu, method="sparse"), f"{kind} {n}")


def dirichlet(n: int) -> Graph:
    import divergences as dv

    x, y, a, b = geometry_problem("dirichlet", n)
    return _recorded_finest(lambda: dv.w1_primal(x, y, a, b, method="sparse"), f"dirichlet {n}")


# --- round 1 of the finest level -------------------------------------------------------------


def round_one(kind: str, n: int) -> None:
    """Round 1 of the finest level: the simplex against cost scaling, from the coarse start.

    The call ``w1_grid`` (or, for ``kind == "dirichlet"``, the sparse primal) hands to the
    compiled solver at its finest level is recorded and not run; then the simplex solves that
    call's first graph (``max_rounds=1``: the candidate arcs and the coarse plan's forest, from
    that forest and the coarse potentials), and the project's cost scaling solves the same
    graph from the coarse potentials. Round 1 is where cost scaling would replace the simplex
    (``docs/concepts/wasserstein.md``, "Engines measured"). Masses are rounded to a total of
    2^40 here (the float masses' resolution; no external engine runs).
    """
    import divergences as dv
    from divergences.wasserstein._src.host import native

    if kind == "dirichlet":
        x, y, a, b = geometry_problem("dirichlet", n)
        calls, _ = _record(lambda: dv.w1_primal(x, y, a, b, method="sparse"), n)
    else:
        mu, nu = dotmark_pair(kind, n)
        calls, _ = _record(lambda: dv.w1_grid(mu, nu, method="sparse"), n * n // 2)
    args, kw, _ = calls[-1]
    if "basis_rows" not in kw:
        raise SystemExit(f"{kind} {n}: solved in one level, without a coarse start to compare")
    x, y, a, b = (np.asarray(v) for v in args[:4])
    res = native.load().solve(*args, **{**kw, "max_rounds": 1})
    m = y.shape[0]
    keys = np.concatenate([  # the candidates, and the forest's arcs: the simplex's first arcs too
        kw["arc_rows"].astype(np.int64) * m + kw["arc_cols"],
        np.asarray(kw["basis_rows"], np.int64) * m + kw["basis_cols"],
    ])  # fmt: skip
    units = 2**40
    g = make_graph(f"{kind} {n}", x, y, a, b, np.unique(keys), units, u0=np.asarray(kw["u0"]),
                   v0=np.asarray(kw["v0"]))  # fmt: skip
    print(f"{g.name}: {x.shape[0] + m:,} nodes, {g.rows.size:,} arcs in round 1")
    print(f"  simplex from the coarse plan: {res['t_graph']:.1f} s, {int(res['pivots']):,} pivots, "
          f"value {float(res['value']):.15g}", flush=True)  # fmt: skip
    cs = _cost_scaling_run(g, "warm")
    value = cs["value"] / (COST_UNITS * units) * float(a.sum())
    print(f"  cost scaling from the coarse potentials: {cs['time']:.1f} s, {cs['work']}, "
          f"value {value:.15g}", flush=True)  # fmt: skip


# --- the table --------------------------------------------------------------------------------


def _format(rows: list[dict]) -> str:
    head = (f"{'graph':<17} {'nodes':>6} {'arcs':>8} {'engine':<18} {'start':<10} {'time':>8} "
            f"{'/project':>8} {'call':>7} {'pivots':>8} {'MB':>6} {'B/arc':>5}")  # fmt: skip
    lines = [head, "-" * len(head)]
    base = {(r["graph"], r["start"][:4]): r["time"] for r in rows if r["engine"] == "project NS"}
    for r in rows:
        own = base.get((r["graph"], r["start"][:4]))
        ratio = format(r["time"] / own, ".2f") if own else "-"
        call = format(r["call"], ".3f") if "call" in r else "-"
        per_arc = format(r["mb"] * 2**20 / r["arcs"], ".0f") if r["mb"] else "-"
        lines.append(
            f"{r['graph']:<17} {r['nodes']:>6} {r['arcs']:>8} {r['engine']:<18} {r['start']:<10} "
            f"{r['time']:>7.3f}s {ratio:>8} {call:>7} {r.get('pivots', '-'):>8} "
            f"{r['mb']:>6.1f} {per_arc:>5}"
        )
        if "work" in r:
            lines.append(f"{'':<17} {r['work']}; first eps {r['first_eps']:.4g} cost units")
        if r["engine"] == "w1_grid/primal":
            lines.append(
                f"{'':<17} its finest level: {r['finest']:.3f}s in the simplex over "
                f"{r['rounds']} rounds, {r['candidates']} candidate arcs grown to {r['final_arcs']}"
            )
    return "\n".join(lines)


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small graphs, one run each")
    parser.add_argument("--bipartite", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--classes", nargs="*", default=["GRF smooth", "white noise"])
    parser.add_argument("--sizes", type=int, nargs="*", default=[64, 128])
    parser.add_argument("--dirichlet", type=int, nargs="*", default=[10_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--skip", nargs="*", default=[], help="external engines left out, by name")
    parser.add_argument(
        "--round-one", nargs=2, metavar=("CLASS", "N"),
        help="round 1 of the finest level only: the simplex against cost scaling (CLASS: a "
        "DOTmark class, or dirichlet)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.round_one:
        round_one(args.round_one[0], int(args.round_one[1]))
        return
    for name in args.skip:
        SKIPPED.add(name)

    if args.quick:
        args.bipartite, args.sizes, args.dirichlet, args.repeat = [200], [32], [2000], 1
        args.classes = args.classes[:1]
    print(f"load: {os.getloadavg()}  repeat: {args.repeat}")
    rows: list[dict] = []
    graphs: list[Callable[[], Graph]] = [lambda n=n: bipartite(n) for n in args.bipartite]
    graphs += [lambda k=k, n=n: dotmark(k, n) for n in args.sizes for k in args.classes]
    graphs += [lambda n=n: dirichlet(n) for n in args.dirichlet]
    for make in graphs:
        g = make()
        rows += bench_graph(g, args.repeat)
        print(_format([r for r in rows if r["graph"] == g.name]).split("\n", 2)[-1], flush=True)
        print(f"load: {os.getloadavg()}", flush=True)
    print()
    print(_format(rows))
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
