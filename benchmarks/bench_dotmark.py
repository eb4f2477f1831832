"""Exact W1 between images: DOTmark's ten classes (generated), and weighted samples of unequal sizes.

For each class of :data:`divergences.testing.dotmark.DOTMARK_CLASSES` (generated analogues of
the DOTmark benchmark's images, described in that module and in benchmarks/history-to-2026-11-25.md) and
each side ``N`` (``--sizes``, default 32 64 128; 256 and 512 are accepted), one pair of
``N x N`` mass images is solved:

* ``grid``: ``dv.w1_grid(mu, nu, method="sparse")``: Euclidean ground cost between the cell
  centres (spacing 1), empty cells skipped, the certified interval;
* ``primal`` (with ``--primal``): ``dv.w1_primal`` on the cell centres as coordinates with the
  masses as weights, ``method="sparse"``: what a user without ``w1_grid`` writes;
* ``POT``: ``ot.emd2`` on the ``N^2 x N^2`` cost matrix (``ot.dist``, Euclidean), where it
  fits in memory (``--pot-max``, default N <= 64: 16.7 million pairs).

Per cell: wall and CPU time, peak resident memory of the process (``ru_maxrss``) and what
the process held before the solve (JAX and the libraries), the certified relative gap
``(upper_bound - lower_bound) / value``, and the native solver's statistics read off its
answer (the method's results do not carry them): rounds and pivots of the finest level,
the pivots of all levels (the coarse solves that seed it included), the candidate arcs at the
end, and the seconds in the graph's simplex and in the pricing. The last columns are the
time ratio to POT and the value's relative difference from POT's.

``--profile CLASS N`` prints, for one pair, each level of the sparse solver (the coarse solves
first) with the network simplex's counters: pivots, degenerate pivots, reduced costs priced,
tree nodes climbed and potentials shifted per pivot, and the seconds of each phase.

``--grid-metrics cityblock chebyshev`` replaces the Euclidean rows by the L1 and L-infinity
ground metrics: ``dv.w1_grid(mu, nu, metric=...)``, the exact flow on the grid graph (its
pivots and the network simplex's counters read off ``_ot_native.grid_flow``), beside POT's
``ot.emd2`` on the cost matrix of the same metric (``POT-L1``, ``POT-Linf``) up to
``--pot-max``.

``--dirichlet [n ...]`` adds the unequal-size weighted samples of
:mod:`divergences.testing.geometries` (``"dirichlet"``: ``n`` uniform points against
``n + n // 7`` uniform points shifted by (0.3, 0), Dirichlet(1) weights on both sides), default
10^4, 3 x 10^4 and 10^5, solved by ``dv.w1_primal(method="sparse")``; POT beside it with
``--dirichlet-pot``.

Every cell runs once in a fresh process (its peak memory its own), after a warm-up solve of a
4 x 4 pair, under ``--limit`` seconds. Run: ``python benchmarks/bench_dotmark.py`` (a few
minutes at the default sizes), ``--sizes 32`` for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from anywhere

from divergences.testing.dotmark import DOTMARK_CLASSES, dotmark_pair
from divergences.testing.geometries import geometry_problem

#: The network simplex's counters (zero on the assignment path): pivots that move no flow,
#: reduced costs computed by the entering-arc search, tree nodes climbed to the cycle's join,
#: potentials updated after the pivots.
_COUNTERS = ("degenerate", "priced", "climbed", "shifted")


def _record_native_stats() -> list[dict]:
    """Keeps the statistics of every call of the compiled solver, in call order.

    The sparse method calls ``_ot_native.solve`` once per level (coarse levels first); its
    answer carries rounds, pivots, arcs and the seconds of its two phases, which the public
    results drop. A proxy of the module records them.
    """
    from divergences.wasserstein._src.host import native

    calls: list[dict] = []
    module = native.load()

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(module, name)

        def grid_flow(self, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            res = module.grid_flow(*args, **kwargs)
            keys = ("pivots", "arcs", *_COUNTERS)
            timing = {"t_graph": time.perf_counter() - t0, "t_pricing": 0.0, "rounds": 1}
            calls.append({k: res[k] for k in keys} | timing | {"points": len(args[0])})
            return res

        def solve(self, *args: Any, **kwargs: Any) -> Any:
            res = module.solve(*args, **kwargs)
            keys = ("rounds", "pivots", "arcs", "t_graph", "t_pricing", *_COUNTERS)
            calls.append({k: res[k] for k in keys} | {"points": len(args[0]) + len(args[1])})
            return res

    native.load = Recording
    return calls


#: POT's rows: the ground metric of each (``ot.dist``'s name).
_POT_METRICS = {"POT": "euclidean", "POT-L1": "cityblock", "POT-Linf": "chebyshev"}
#: The metrics whose rows are ``w1_grid``'s flow on the grid graph, and their POT row.
_FLOW_METRICS = {"cityblock": "POT-L1", "chebyshev": "POT-Linf"}


def _problem(kind: str, n: int) -> tuple[np.ndarray, ...]:
    """``(mu, nu)`` images of a class, or ``(x, y, a, b)`` of the Dirichlet samples."""
    if kind == "dirichlet":
        return geometry_problem("dirichlet", n)
    return dotmark_pair(kind, n)


def _centres(n: int) -> np.ndarray:
    return np.stack(np.unravel_index(np.arange(n * n), (n, n)), axis=-1).astype(np.float64)


def run_cell(method: str, kind: str, n: int) -> dict:
    """One solve in this process: time, memory, value, gap and the native statistics."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import ot

    import divergences as dv

    calls = _record_native_stats()
    warm = np.zeros((4, 4))
    warm[0, 0] = 1.0
    dv.w1_grid(warm, warm[::-1], method="sparse")  # imports and first dispatches, untimed
    dv.w1_grid(warm, warm[::-1], metric="cityblock")
    problem = _problem(kind, n)
    calls.clear()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict = {}
    sol: Any
    t0, c0 = time.perf_counter(), time.process_time()
    if method in _POT_METRICS:
        if kind == "dirichlet":
            x, y, a, b = problem
        else:
            mu, nu = problem
            x = y = _centres(n)
            a, b = mu.ravel(), nu.ravel()
        cost = ot.dist(x, y, metric=_POT_METRICS[method])
        out["value"] = float(ot.emd2(a, b, cost, numItermax=10**9))
    else:
        if kind == "dirichlet":
            sol = dv.w1_primal(*problem, method="sparse")
        elif method in _FLOW_METRICS:  # the flow on the grid graph
            sol = dv.w1_grid(*problem, metric=method)
        elif method == "grid":
            sol = dv.w1_grid(*problem, method="sparse")
        else:  # primal on the cell centres, every cell a point
            mu, nu = problem
            sol = dv.w1_primal(_centres(n), _centres(n), mu.ravel(), nu.ravel(), method="sparse")
        value = float(sol.value)
        out.update(value=value, gap=float(sol.upper_bound - sol.lower_bound) / value)
    out["time"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_before_mb"] = rss_before
    if calls:
        fine = calls[-1]
        out.update(
            rounds=fine["rounds"],
            pivots=fine["pivots"],
            pivots_all=sum(c["pivots"] for c in calls),
            arcs=fine["arcs"],
            t_graph=sum(c["t_graph"] for c in calls),
            t_pricing=sum(c["t_pricing"] for c in calls),
            levels=calls,
        )
    return out


_HEADER = (
    f"{'class':<15} {'N':>6} {'method':<9} {'time':>8} {'CPU':>8} {'peak RSS':>9} "
    f"{'(before)':>8} {'rounds':>6} {'pivots':>9} {'all lvls':>9} {'arcs':>8} {'graph':>7} "
    f"{'pricing':>7} {'cert.gap':>8} {'/POT':>6} {'vs POT':>8}"
)


def _fmt(cell: dict, key: str, spec: str, width: int) -> str:
    return format(cell[key], spec).rjust(width) if key in cell else "-".rjust(width)


def _row(label: str, n: int, method: str, cell: dict, pot: dict | None) -> str:
    ratio = diff = "-"
    if pot is not None and method not in _POT_METRICS:
        ratio = format(cell["time"] / pot["time"], ".2f")
        diff = format((cell["value"] - pot["value"]) / pot["value"], "+.0e")
    return (
        f"{label:<15} {n:>6} {method:<9} {cell['time']:>7.2f}s {cell['cpu']:>7.2f}s "
        f"{cell['rss_mb']:>7.0f}MB {cell['rss_before_mb']:>6.0f}MB "
        f"{_fmt(cell, 'rounds', 'd', 6)} {_fmt(cell, 'pivots', 'd', 9)} "
        f"{_fmt(cell, 'pivots_all', 'd', 9)} {_fmt(cell, 'arcs', 'd', 8)} "
        f"{_fmt(cell, 't_graph', '.2f', 6)}s {_fmt(cell, 't_pricing', '.2f', 6)}s "
        f"{_fmt(cell, 'gap', '.1e', 8)} {ratio:>6} {diff:>8}"
    )


def _subprocess_cell(method: str, kind: str, n: int, limit_s: float) -> dict | str:
    """One cell in a fresh process: its numbers, or why there are none."""
    cmd = [sys.executable, __file__, "--cell", method, kind, str(n)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=limit_s, check=True)
    except subprocess.TimeoutExpired:
        return f"> {limit_s:.0f} s"
    except subprocess.CalledProcessError as err:
        return f"failed: {err.stderr.strip().splitlines()[-1][:80]!r}"
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench(rows: list[tuple[str, int, list[str]]], limit_s: float) -> None:
    """The table: each ``(kind, size, methods)`` row's cells, POT first where it is run."""
    print(_HEADER)
    print("-" * len(_HEADER))
    for kind, n, methods in rows:
        pot = None
        for method in sorted(methods, key=lambda m: m not in _POT_METRICS):
            cell = _subprocess_cell(method, kind, n, limit_s)
            if isinstance(cell, str):
                print(f"{kind:<15} {n:>6} {method:<9} {cell}", flush=True)
                continue
            if method in _POT_METRICS:
                pot = cell
            print(_row(kind, n, method, cell, pot), flush=True)


def profile(kind: str, n: int, limit_s: float) -> None:
    """Where the time goes: each level of the sparse solver on one pair, with its counters."""
    cell = _subprocess_cell("grid", kind, n, limit_s)
    if isinstance(cell, str):
        print(f"{kind} {n}: {cell}")
        return
    print(f"{kind}, N = {n}: {cell['time']:.2f} s, certified gap {cell['gap']:.1e}")
    print(
        f"{'points':>7} {'rounds':>6} {'arcs':>8} {'pivots':>9} {'degen.':>7} {'priced/piv':>10} "
        f"{'climbed/piv':>11} {'shifted/piv':>11} {'us/piv':>7} {'graph':>7} {'pricing':>7}"
    )
    for lv in cell["levels"]:
        piv = max(lv["pivots"], 1)
        print(
            f"{lv['points']:>7} {lv['rounds']:>6} {lv['arcs']:>8} {lv['pivots']:>9} "
            f"{lv['degenerate']:>7} {lv['priced'] / piv:>10.0f} {lv['climbed'] / piv:>11.0f} "
            f"{lv['shifted'] / piv:>11.0f} {1e6 * lv['t_graph'] / piv:>7.1f} "
            f"{lv['t_graph']:>6.2f}s {lv['t_pricing']:>6.2f}s"
        )


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[32, 64, 128], help="sides N")
    parser.add_argument("--classes", nargs="+", choices=DOTMARK_CLASSES, help="these only")
    parser.add_argument("--pot-max", type=int, default=64, help="POT's emd2 up to this side N")
    parser.add_argument("--primal", action="store_true", help="also w1_primal on cell centres")
    parser.add_argument(
        "--dirichlet",
        type=int,
        nargs="*",
        help="the Dirichlet-weighted unequal samples at these n (no n: 10^4, 3 x 10^4, 10^5)",
    )
    parser.add_argument("--dirichlet-pot", action="store_true", help="POT beside them")
    parser.add_argument(
        "--grid-metrics",
        nargs="+",
        choices=sorted(_FLOW_METRICS),
        help="these ground metrics (the flow on the grid graph) instead of the Euclidean rows",
    )
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per cell")
    parser.add_argument(
        "--profile", nargs=2, metavar=("CLASS", "N"), help="one pair's levels and counters"
    )
    parser.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile[0], int(args.profile[1]), args.limit)
        return
    if args.cell:
        method, kind, n = args.cell
        print(json.dumps(run_cell(method, kind, int(n))))
        return
    import ot

    print(
        f"POT {ot.__version__}; one run per cell, each in a fresh process; {os.cpu_count()} "
        f"CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    rows = []
    methods = ["grid"] + (["primal"] if args.primal else [])
    for kind in args.classes or DOTMARK_CLASSES:
        for n in args.sizes:
            if args.grid_metrics:
                for metric in args.grid_metrics:
                    pot = [_FLOW_METRICS[metric]] if n <= args.pot_max else []
                    rows.append((kind, n, [metric, *pot]))
            else:
                rows.append((kind, n, methods + (["POT"] if n <= args.pot_max else [])))
    if args.dirichlet is not None:
        for n in args.dirichlet or [10_000, 30_000, 100_000]:
            rows.append(("dirichlet", n, ["sparse"] + (["POT"] if args.dirichlet_pot else [])))
    bench(rows, args.limit)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
