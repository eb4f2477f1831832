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
``w1_1d`` (jitted) beside ``scipy.stats.wasserstein_distance`` and NumPy's sort from 10^4 to
10^6 points: equal and unequal sizes with uniform weights, general weights, and the gradient,
each with the sorts as shipped (NumPy on the host from a few thousand points on) and in XLA.

Each time is the best of a few repeats after one warm-up call (compilation excluded).
Run: ``python benchmarks/bench_w1.py`` (about two minutes) or ``--quick`` (seconds).

``--line`` times the certified ``w1_primal(method="line")`` on the line from 10^3 to 3 x 10^5 points
(uniform and Dirichlet weights) beside the uncertified float formulas (``w1_1d``, scipy's
``wasserstein_distance``, POT's ``wasserstein_1d``) and the LP solvers where they finish.

``--sweep`` times a 2-D ``sweep`` of W1 over 200 thetas (first call and again).

``--calls`` times calls made outside ``jax.jit`` (eagerly, and under ``vmap`` or ``grad``
alone) at small sizes, where a call's fixed cost is all there is: the first call at a new
shape (tracing and compiling included) and a repeated one, beside the same function under
``jax.jit`` (its first and repeated call: the limit).

``--geometries`` prints the sparse solver's geometry table: the geometries of issue 31
(:data:`GEOMETRIES`) at 10^4, 3 x 10^4 and 10^5 points (``--quick``: 2000 and 10^4), with
rounds, pivots (augmenting paths for assignment problems), time, peak memory and the certified
gap, beside POT's dense ``emd2`` at 10^4; each cell in a fresh process under ``--limit``.

``--large`` prints the large-scale table instead: ``w1_primal(method="sparse")`` (column
generation with exact k-d-tree pricing) at n = 10^3 .. 10^5 points per side, 2-D, uniform
weights, for two samples of one law and for a translated copy (``y = x + t``, where
:math:`W_1 = |t|` exactly), beside POT's dense ``emd2`` with a raised iteration cap (while its
n^2 memory fits), POT's ``emd2_lazy`` and this package's dense path. Each cell runs once in a
fresh process (so its peak resident memory is its own) under a time limit (``--limit``).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial

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
from divergences.testing.geometries import GEOMETRIES, geometry_problem  # noqa: E402
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
    """OTT-JAX's Sinkhorn (epsilon 1e-2), jitted: the transport cost of its entropic plan."""
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
    """The 2-D table: this package's primal and dual beside POT, HiGHS and Sinkhorn."""
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


def _sorts_in_xla(on: bool) -> None:
    """Makes ``w1_1d`` sort in XLA at every size (``on``) or on the host from its thresholds.

    Drops the compiled kernels so that the next call traces afresh.
    """
    from divergences.wasserstein import one_d

    one_d.HOST_SORT_MIN = 2**62 if on else _HOST_MIN[0]
    one_d.HOST_ARGSORT_MIN = 2**62 if on else _HOST_MIN[1]
    jax.clear_caches()


def _host_thresholds() -> tuple[int, int]:
    from divergences.wasserstein import one_d

    return one_d.HOST_SORT_MIN, one_d.HOST_ARGSORT_MIN


_HOST_MIN = _host_thresholds()


def bench_1d(sizes: list[int], repeats: int) -> None:
    """``w1_1d`` (jitted) beside scipy and NumPy's own sort, for the three kernels.

    Columns: the floor (NumPy: sort both samples and average the gaps, the least any method
    does for n = m), scipy's ``wasserstein_distance``, ``w1_1d`` as shipped (sorts in NumPy on
    the host from a few thousand points on, through a callback), and ``w1_1d`` with every sort
    in XLA (the choice before; for "uniform n = m" also the previous kernel, which merged
    the two quantile functions instead of pairing the sorted samples).
    """
    from divergences.wasserstein import one_d

    rng = np.random.default_rng(1)
    header = (
        f"{'points':>9} {'case':<16} {'NumPy floor':>11} {'scipy':>9} {'w1_1d':>9} "
        f"{'XLA sorts':>9} {'previous':>9} | {'/floor':>7} {'/scipy':>7} {'/XLA':>6} {'rel. diff':>9}"
    )
    print(header)
    print("-" * len(header))
    ms = lambda t: f"{t * 1e3:>7.2f}ms"  # noqa: E731
    for n in sizes:
        u, v = rng.normal(size=n), rng.normal(0.3, 1.2, size=n)
        v_short = v[: 2 * n // 3]
        a, b = rng.random(n), rng.random(n)
        a, b = a / a.sum(), b / b.sum()
        uj, vj, sj, aj, bj = (jax.numpy.asarray(t) for t in (u, v, v_short, a, b))
        cases = {
            "uniform n = m": ((uj, vj), (u, v)),
            "uniform m = 2n/3": ((uj, sj), (u, v_short)),
            "weights": ((uj, vj, aj, bj), (u, v, a, b)),
            "grad, n = m": ((uj, vj), None),
        }
        t_floor, _ = best_time(lambda u=u, v=v: np.mean(np.abs(np.sort(u) - np.sort(v))), repeats)
        for case, (jargs, npargs) in cases.items():
            times = {}
            for xla in (False, True):
                _sorts_in_xla(xla)
                fn = jax.jit(jax.grad(dv.w1_1d) if npargs is None else dv.w1_1d)
                times[xla], out = best_time(
                    lambda f=fn, j=jargs: jax.block_until_ready(f(*j)), repeats
                )
            _sorts_in_xla(False)
            t_prev = float("nan")
            if case == "uniform n = m":  # w1_1d before: merged quantiles, XLA's sorts
                paired = one_d._equal_size_distance
                one_d._equal_size_distance = one_d._uniform_distance
                _sorts_in_xla(True)
                prev = jax.jit(dv.w1_1d)
                t_prev, _ = best_time(lambda f=prev, j=jargs: f(*j).block_until_ready(), repeats)
                one_d._equal_size_distance = paired
                _sorts_in_xla(False)
            if npargs is None:
                t_sp, diff = float("nan"), float("nan")
            else:
                t_sp, v_sp = best_time(
                    lambda p=npargs: scipy.stats.wasserstein_distance(*p), repeats
                )
                diff = abs(float(out) - v_sp) / v_sp
            floor = t_floor if case == "uniform n = m" else float("nan")
            ratio = lambda t, ref: "-" if ref != ref else f"{t / ref:.2f}"  # noqa: E731
            print(
                f"{n:>9} {case:<16} {ms(floor) if floor == floor else '-':>11} "
                f"{ms(t_sp) if t_sp == t_sp else '-':>9} {ms(times[False])} {ms(times[True])} "
                f"{ms(t_prev) if t_prev == t_prev else '-':>9} | "
                f"{ratio(times[False], floor):>7} {ratio(times[False], t_sp):>7} "
                f"{ratio(times[False], times[True]):>6} "
                f"{'-' if diff != diff else f'{diff:.1e}':>9}",
                flush=True,
            )


def _ready(fn: Callable[..., jax.Array], *args: object) -> jax.Array:
    """``fn(*args)``, waited for."""
    return jax.block_until_ready(fn(*args))


def bench_line(sizes: list[int], repeats: int) -> None:
    """The certified exact W1 on the line beside the float formulas and the LP solvers.

    ``line``: ``w1_primal(method="line")``, the monotone coupling and its potential in integer
    arithmetic, certified by the pipeline. ``w1_1d``: the CDF formula in floats (jitted), no
    interval. ``dense``/``sparse``: the same certified interval by the LP solvers, up to
    10^4 points (dense, 2000 points) where they finish in seconds.
    """
    rng = np.random.default_rng(2)
    header = (
        f"{'points':>9} {'weights':<9} {'line':>9} {'w1_1d':>9} {'scipy':>9} {'POT 1d':>9} "
        f"{'dense':>9} {'sparse':>9} | {'/w1_1d':>7} {'/scipy':>7} {'gap':>8}"
    )
    print(header)
    print("-" * len(header))
    ms = lambda t: "-" if t != t else f"{t * 1e3:>7.1f}ms"  # noqa: E731
    w1_1d = jax.jit(dv.w1_1d)
    for n in sizes:
        u, v = rng.normal(size=n), rng.normal(0.1, 1.0, size=n)
        for label, a in (("uniform", None), ("Dirichlet", rng.dirichlet(np.ones(n)))):
            b = None if a is None else np.full(n, 1.0 / n)
            pair = (u, v, a, b)
            t_line, sol = best_time(partial(dv.w1_primal, *pair, method="line"), repeats)
            args = (u, v) if a is None else (u, v, a, b)
            t_1d, _ = best_time(partial(_ready, w1_1d, *args), repeats)
            t_sp, _ = best_time(partial(scipy.stats.wasserstein_distance, *pair), repeats)
            t_pot, _ = best_time(partial(ot.wasserstein_1d, *pair, p=1), repeats)
            t_dense = t_sparse = float("nan")
            if n <= 2000:
                t_dense, _ = best_time(partial(dv.w1_primal, *pair, method="dense"), 1)
            if n <= 10_000:
                try:  # the compiled extension's solver; an install without it says so
                    t_sparse, _ = best_time(partial(dv.w1_primal, *pair, method="sparse"), 1)
                except dv.SolverError:
                    pass
            gap = float(sol.upper_bound - sol.lower_bound) / float(sol.upper_bound)
            print(
                f"{n:>9} {label:<9} {ms(t_line):>9} {ms(t_1d):>9} {ms(t_sp):>9} {ms(t_pot):>9} "
                f"{ms(t_dense):>9} {ms(t_sparse):>9} | {t_line / t_1d:>7.1f} {t_line / t_sp:>7.2f} "
                f"{gap:>8.1e}",
                flush=True,
            )


def bench_sweep(n_thetas: int) -> None:
    """A 2-D ``sweep`` of W1 over ``n_thetas`` thetas, first and second call.

    The first call includes tracing and compiling the batched LP; the second runs over other
    thetas, compiled already.
    """
    from divergences import families
    from divergences.lab.figures.divergence_curves import sweep

    header = f"{'family':<26} {'gradients':>9} {'first call':>11} {'again':>8} {'per theta':>10}"
    print(header)
    print("-" * len(header))
    thetas = np.linspace(-0.9, 0.9, n_thetas)
    others = np.linspace(-0.8, 0.85, n_thetas)
    for fam in (
        families.parallel_lines(),
        families.parallel_lines_sampled(n=32),
        families.parallel_lines_pixels(),
    ):
        for grad in (False, True):
            t0 = time.perf_counter()
            sweep(fam, thetas, quantities=("w1",), gradients=grad)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            sweep(fam, others, quantities=("w1",), gradients=grad)
            again = time.perf_counter() - t0
            print(
                f"{fam.name:<26} {grad!s:>9} {first:>10.2f}s {again:>7.2f}s "
                f"{again / n_thetas * 1e3:>8.2f}ms",
                flush=True,
            )


def large_problem(geometry: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of the ``--large`` table: two samples of one law, or a translated copy."""
    rng = np.random.default_rng(n)
    x = rng.random((n, 2))
    if geometry == "same law":
        return x, rng.random((n, 2))
    return x, x + np.array([0.3, 0.1])  # translated copy: W1 = |t| exactly


def large_cell(method: str, geometry: str, n: int) -> dict:
    """One solve, in this process: time, value, and the sparse solver's certificate.

    ``geometry`` is one of :data:`GEOMETRIES` prefixed ``"g:"``, or one of the ``--large``
    table's (seeded by ``n``).
    """
    import resource

    from divergences.wasserstein._src.host.sparse import solve_sparse_host

    if geometry.startswith("g:"):
        x, y, a, b = geometry_problem(geometry[2:], n)
    else:
        x, y = large_problem(geometry, n)
        a = b = np.full(n, 1.0 / n)
    w = a
    out: dict = {}
    t0 = time.perf_counter()
    c0 = time.process_time()
    if method == "sparse":
        sol = solve_sparse_host(x, y, a, b)
        out.update(
            value=sol.value,
            rounds=sol.rounds,
            pivots=sol.pivots,
            gap=(sol.upper_bound - sol.lower_bound) / sol.value,
        )
    elif method == "POT dense":
        out["value"] = float(ot.emd2(a, b, cdist(x, y), numItermax=10**9))
    elif method == "POT lazy":
        res = ot.emd2_lazy(x, y, w, w, metric="euclidean", numItermax=10**9, return_matrix=False)
        out["value"] = float(res[0] if isinstance(res, tuple) else res)
    else:  # this package's dense path
        out["value"] = float(dv.w1_primal(x, y, method="dense").value)
    out["time"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bench_large(
    sizes: list[int], limit_s: float, geometries: tuple[str, ...] = ("same law", "translated copy")
) -> None:
    """The large-scale table: the sparse solver beside POT's and this package's dense paths.

    POT's dense and lazy ``emd2`` and ``method="dense"``, each cell in a fresh process under
    ``limit_s``.
    """
    dense_max = 15_000  # POT dense and our dense path: n^2 doubles twice (costs and plan)
    print(
        f"{'geometry':<16} {'n':>7} {'method':<10} {'time':>9} {'CPU':>8} {'peak RSS':>9} "
        f"{'rounds':>6} "
        f"{'pivots':>9} {'cert. gap':>9} {'value - ref':>11}"
    )
    for geometry in geometries:
        timed_out: set[str] = set()
        for n in sizes:
            ref = float(np.hypot(0.3, 0.1)) if geometry == "translated copy" else None
            for method in ("sparse", "POT dense", "POT lazy", "dense"):
                if method != "sparse" and n > dense_max and method != "POT lazy":
                    continue
                if method in timed_out:
                    print(f"{geometry:<16} {n:>7} {method:<10} {'skipped: timed out below':>30}")
                    continue
                cell = _run_cell(method, geometry, geometry, n, limit_s, ref)
                if cell is None:
                    timed_out.add(method)
                elif ref is None:
                    ref = cell["value"]


def _run_cell(
    method: str, cell_name: str, label: str, n: int, limit_s: float, ref: float | None
) -> dict | None:
    """One cell in a fresh process (``--cell``), its row printed.

    None where it timed out or failed. The last column is relative to ``ref``, or to the cell
    itself where ``ref`` is None.
    """
    import json
    import subprocess

    cmd = [sys.executable, __file__, "--cell", method, cell_name, str(n)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=limit_s, check=True)
    except subprocess.TimeoutExpired:
        print(f"{label:<16} {n:>7} {method:<10} {'> ' + str(int(limit_s)) + ' s':>9}")
        return None
    except subprocess.CalledProcessError as err:
        print(f"{label:<16} {n:>7} {method:<10} failed: {err.stderr[-200:]!r}")
        return None
    cell = json.loads(run.stdout.strip().splitlines()[-1])
    base = cell["value"] if ref is None else ref
    print(
        f"{label:<16} {n:>7} {method:<10} {cell['time']:>8.2f}s {cell['cpu']:>7.2f}s "
        f"{cell['rss_mb']:>7.0f}MB {cell.get('rounds', '-'):>6} "
        f"{cell.get('pivots', '-'):>9} "
        f"{(format(cell['gap'], '.1e') if 'gap' in cell else '-'):>9} "
        f"{(cell['value'] - base) / base:>+11.1e}",
        flush=True,
    )
    return cell


def bench_geometries(
    sizes: list[int], limit_s: float, pot_max: int, geometries: tuple[str, ...] = GEOMETRIES
) -> None:
    """The geometry table: the sparse solver on each of ``geometries`` at each size.

    Beside POT's dense ``emd2`` up to ``pot_max`` points (its cost matrix and plan: 16 n^2
    bytes); each cell in a fresh process under ``limit_s``, with its wall and CPU time (all
    threads).
    """
    print(
        f"{'geometry':<16} {'n':>7} {'method':<10} {'time':>9} {'CPU':>8} {'peak RSS':>9} "
        f"{'rounds':>6} "
        f"{'pivots':>9} {'cert. gap':>9} {'value - ref':>11}"
    )
    for geometry in geometries:
        for n in sizes:
            ref = None
            for method in ("sparse", "POT dense"):
                if method == "POT dense" and n > pot_max:
                    continue
                cell = _run_cell(method, "g:" + geometry, geometry, n, limit_s, ref)
                if cell is not None and ref is None:
                    ref = cell["value"]


def bench_calls(sizes: list[int]) -> None:
    """Calls outside ``jit`` at small sizes, beside ``jax.jit`` of the same call.

    The first call at each new shape and a repeat, for each; the first-call columns are the
    mean over ``sizes`` (each a new shape), the repeats the best of 20 at the last size.
    """
    rng = np.random.default_rng(0)

    def clouds(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return rng.normal(size=(n, 2)), rng.normal(size=(n + 1, 2)), rng.normal(size=(8, 2))

    def pair_batch(n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(size=(3, n, 2)), rng.normal(size=(3, n + 1, 2))

    cases: list[tuple[str, Callable[[int], tuple], Callable[..., object]]] = [
        ("cost_matrix", lambda n: clouds(n)[:2], lambda x, y: dv.cost_matrix(x, y)),
        (
            "w1_primal",
            lambda n: clouds(n)[:2],
            lambda x, y: dv.w1_primal(x, y, method="dense").value,
        ),
        ("w1_dual", lambda n: clouds(n)[:2], lambda x, y: dv.w1_dual(x, y, method="dense").value),
        ("w1_dual(lp)", lambda n: clouds(n)[:2], lambda x, y: dv.w1_dual(x, y, method="lp").value),
        (
            "kr_potential",
            lambda n: (dv.w1_dual(*clouds(n)[:2]), clouds(n)[2]),
            lambda d, z: dv.kr_potential(d, z),
        ),
        ("w1_1d", lambda n: (rng.normal(size=n), rng.normal(size=n + 1)), dv.w1_1d),
        (
            "vmap(w1_primal)",
            pair_batch,
            jax.vmap(lambda x, y: dv.w1_primal(x, y, method="dense").value),
        ),
        ("vmap(w1_dual)", pair_batch, jax.vmap(lambda x, y: dv.w1_dual(x, y).value)),
        (
            "grad(w1_dual)",
            lambda n: clouds(n)[:2],
            jax.grad(lambda x, y: dv.w1_dual(x, y).value),
        ),
        (
            "grad(kr_potential)",
            lambda n: (dv.w1_dual(*clouds(n)[:2]), clouds(n)[2]),
            jax.grad(lambda d, z: dv.kr_potential(d, z).sum(), argnums=1),
        ),
    ]
    header = (
        f"{'call':<20} {'first':>8} {'repeat':>9} {'jit first':>10} {'jit repeat':>11} "
        f"{'first/jit':>10} {'repeat/jit':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, make, fn in cases:
        jitted = jax.jit(fn)
        firsts: dict[str, list[float]] = {"plain": [], "jit": []}
        for n in sizes:
            for kind, f in (("plain", fn), ("jit", jitted)):
                args = make(n)
                t0 = time.perf_counter()
                jax.block_until_ready(f(*args))
                firsts[kind].append(time.perf_counter() - t0)
        args = make(sizes[-1])
        repeat, _ = best_time(lambda f=fn, args=args: jax.block_until_ready(f(*args)), 20)
        jit_repeat, _ = best_time(lambda f=jitted, args=args: jax.block_until_ready(f(*args)), 20)
        first, jit_first = float(np.mean(firsts["plain"])), float(np.mean(firsts["jit"]))
        print(
            f"{name:<20} {first:>7.3f}s {repeat * 1e3:>7.2f}ms {jit_first:>9.3f}s "
            f"{jit_repeat * 1e3:>9.2f}ms {first / jit_first:>9.2f}x {repeat / jit_repeat:>10.2f}x",
            flush=True,
        )


def main() -> None:
    """The command line: which table to print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--large", action="store_true", help="the large-scale sparse table")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds per --large cell")
    parser.add_argument(
        "--geometry", choices=["same law", "translated copy"], help="--large: only this one"
    )
    parser.add_argument(
        "--geometries",
        action="store_true",
        help="the sparse solver's geometry table: 9 geometries at 10^4, 3 x 10^4, 10^5",
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="--geometries: these sizes instead of the three"
    )
    parser.add_argument(
        "--pot-max", type=int, default=10_000, help="--geometries: POT's emd2 up to this n"
    )
    parser.add_argument(
        "--only", choices=GEOMETRIES, nargs="+", help="--geometries: only these geometries"
    )
    parser.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--sweep", action="store_true", help="a 2-D sweep of W1, 200 thetas")
    parser.add_argument("--line", action="store_true", help="certified W1 on the line")
    parser.add_argument("--calls", action="store_true", help="calls outside jit, small sizes")
    args = parser.parse_args()
    if args.line:
        print(f"POT {ot.__version__}, scipy {scipy.__version__}; load {os.getloadavg()[0]:.1f}")
        bench_line([1000, 10_000] if args.quick else [1000, 10_000, 100_000, 300_000], 3)
        return
    if args.sweep:
        bench_sweep(200)
        return
    if args.calls:
        bench_calls([5, 6, 7] if args.quick else [5, 6, 7, 9, 11, 13])
        return
    if args.cell:
        import json

        method, geometry, n = args.cell
        print(json.dumps(large_cell(method, geometry, int(n))))
        return
    if args.geometries:
        print(
            f"POT {ot.__version__}, scipy {scipy.__version__}; one run per cell; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
        )
        sizes = [2000, 10_000] if args.quick else [10_000, 30_000, 100_000]
        bench_geometries(
            args.sizes or sizes,
            args.limit,
            pot_max=args.pot_max,
            geometries=tuple(args.only) if args.only else GEOMETRIES,
        )
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        return
    if args.large:
        print(
            f"POT {ot.__version__}, scipy {scipy.__version__}; one run per cell; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
        )
        sizes = [1000, 10_000] if args.quick else [1000, 10_000, 30_000, 100_000]
        geometries = (args.geometry,) if args.geometry else ("same law", "translated copy")
        bench_large(sizes, args.limit, geometries)
        return
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
