"""Wasserstein-1: our exact solvers beside POT, scipy's HiGHS and OTT-JAX's Sinkhorn.

One run times, for 2-D Euclidean W1 between n random points with uniform weights:

* ``w1_primal`` and ``w1_dual`` (this package: POT's network simplex on the host, plus the
  c-transform potential and its Lipschitz check for the dual);
* POT ``ot.emd2`` on ``ot.dist`` (what a POT user writes: the reference for time), and POT
  ``ot.emd2`` on the very cost matrix our wrapper builds (scipy's ``cdist``): the ratio to that
  one is the wrapper's own overhead, free of differences in the simplex's pivoting path that
  ``ot.dist``'s slightly different rounding can cause; it is also the reference value;
* scipy ``linprog`` (HiGHS) on the transport LP, n <= 500;
* OTT-JAX Sinkhorn at epsilon = 1e-2 (entropic: not exact), n <= 1000, jitted;

and prints time ratios (ours / POT, dual / primal) and value errors relative to POT on the
same cost matrix. Then
``w1_1d`` (jitted) beside ``scipy.stats.wasserstein_distance`` from 10^4 to 10^6 points.

Each time is the best of a few repeats after one warm-up call (compilation excluded).
Run: ``python benchmarks/bench_w1.py`` (about two minutes) or ``--quick`` (seconds).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import warnings
from collections.abc import Callable

import jax
import numpy as np
import ot
import scipy.optimize
import scipy.sparse
import scipy.stats
from scipy.spatial.distance import cdist

jax.config.update("jax_enable_x64", True)
# The HiGHS reference is the one the tests use; it lives in tests/, importable from the repo root.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import divergences as dv  # noqa: E402
from divergences.testing.reference import highs_primal  # noqa: E402


def best_time(fn: Callable[[], object], repeats: int, cap_s: float = 60.0) -> tuple[float, object]:
    """Best wall time of ``fn`` over ``repeats`` calls after a warm-up, and its last result."""
    out = fn()
    times = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > cap_s:
            break
    return min(times), out


def sinkhorn_fn() -> Callable[[np.ndarray, np.ndarray], jax.Array]:
    from ott.geometry import costs, pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn

    @jax.jit
    def solve(x: jax.Array, y: jax.Array) -> jax.Array:
        geom = pointcloud.PointCloud(x, y, cost_fn=costs.Euclidean(), epsilon=1e-2)
        out = sinkhorn.Sinkhorn()(linear_problem.LinearProblem(geom))
        return (out.matrix * geom.cost_matrix).sum()  # transport cost of the entropic plan

    return solve


def bench_2d(sizes: list[int], highs_max: int, sinkhorn_max: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    solve_sinkhorn = sinkhorn_fn() if sinkhorn_max else None
    header = (
        f"{'n':>5} {'POT emd2':>10} {'primal/POT':>10} {'(same C)':>9} {'dual/POT':>9} "
        f"{'dual/primal':>11} "
        f"{'HiGHS/POT':>10} {'Sinkhorn/POT':>12} | {'err primal':>10} {'err dual':>9} "
        f"{'err HiGHS':>9} {'err Sinkh.':>10}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        x, y = rng.random((n, 2)), rng.random((n, 2))
        w = np.full(n, 1.0 / n)
        r = repeats if n <= 500 else max(2, repeats // 2)
        t_pot, v_pot = best_time(
            lambda x=x, y=y, w=w: ot.emd2(
                w, w, ot.dist(x, y, metric="euclidean"), numItermax=10**8
            ),
            r,
        )
        t_pri, sol = best_time(lambda x=x, y=y: dv.w1_primal(x, y).value.block_until_ready(), r)
        t_dual, dual = best_time(lambda x=x, y=y: dv.w1_dual(x, y).value.block_until_ready(), r)
        cost = cdist(x, y)
        t_same, v_pot = best_time(lambda c=cost, w=w: ot.emd2(w, w, c, numItermax=10**8), r)
        v_pot = float(v_pot)

        def rel(v: object, ref: float = v_pot) -> str:
            return f"{abs(float(v) - ref) / ref:.1e}"

        row = (
            f"{n:>5} {t_pot * 1e3:>8.1f}ms {t_pri / t_pot:>10.2f} {t_pri / t_same:>9.2f} "
            f"{t_dual / t_pot:>9.2f} "
            f"{t_dual / t_pri:>11.2f} "
        )
        errs = f"{rel(sol):>10} {rel(dual):>9} "
        if n <= highs_max:
            t_hi, v_hi = best_time(lambda x=x, y=y, w=w: highs_primal(x, y, w, w), 1)
            row += f"{t_hi / t_pot:>10.0f} "
            errs += f"{rel(v_hi):>9} "
        else:
            row += f"{'-':>10} "
            errs += f"{'-':>9} "
        if solve_sinkhorn is not None and n <= sinkhorn_max:
            t_sk, v_sk = best_time(
                lambda x=x, y=y: solve_sinkhorn(x, y).block_until_ready(), 1, cap_s=30
            )
            row += f"{t_sk / t_pot:>12.1f} "
            errs += f"{(float(v_sk) - v_pot) / v_pot:>+10.1%}"
        else:
            row += f"{'-':>12} "
            errs += f"{'-':>10}"
        print(row + "| " + errs, flush=True)


def bench_1d(sizes: list[int], repeats: int) -> None:
    rng = np.random.default_rng(1)
    w1 = jax.jit(dv.w1_1d)
    header = f"{'points':>9} {'scipy':>10} {'w1_1d (jit)':>12} {'ours/scipy':>11} {'rel. diff':>10}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        u, v = rng.normal(size=n), rng.normal(0.3, 1.2, size=n)
        t_sp, v_sp = best_time(lambda u=u, v=v: scipy.stats.wasserstein_distance(u, v), repeats)
        t_us, v_us = best_time(lambda u=u, v=v: w1(u, v).block_until_ready(), repeats)
        diff = abs(float(v_us) - v_sp) / v_sp
        print(
            f"{n:>9} {t_sp * 1e3:>8.2f}ms {t_us * 1e3:>10.2f}ms {t_us / t_sp:>11.2f} {diff:>10.1e}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # OTT/JAX deprecation chatter has no place in a table
    print(
        f"jax {jax.__version__} ({jax.default_backend()}), POT {ot.__version__}, "
        f"scipy {scipy.__version__}"
    )
    if args.quick:
        bench_2d([50, 100], highs_max=100, sinkhorn_max=100, repeats=3)
        print()
        bench_1d([10**3, 10**4], repeats=3)
    else:
        bench_2d([100, 500, 1000, 2000], highs_max=500, sinkhorn_max=1000, repeats=7)
        print()
        bench_1d([10**4, 10**5, 10**6], repeats=5)


if __name__ == "__main__":
    main()
