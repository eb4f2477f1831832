"""The dense W1 call stage by stage, beside POT's ``emd2`` on the same cost matrix.

For 2-D Gaussian points (``y`` shifted by 0.5), at each size and with random and uniform
weights, it times, interleaved and best of ``--repeats`` calls (wall clock):

* ``w1_primal(x, y, a, b, method="dense")`` eagerly, and POT's ``ot.emd2`` on the very cost
  matrix the host builds (scipy's ``cdist``): their ratio is the package's cost over POT's;
* the time of each call spent outside POT's ``ot.emd`` (timed inside the call): what the
  package adds, measured within one call, so that the load of a shared machine moves it less
  than the two separate times;
* the host pipeline's stages on one solution: the cost matrix, the solve (POT's network
  simplex with the package's steps around it), the certificate (its c-transform alone beside
  it), and, where the first certificate is wider than the solver's promise, the polish by the
  two c-transforms and the refinement (bounds per arc, a second solve). A stage that does not
  run prints ``-``.

Run: ``python benchmarks/bench_dense_stages.py`` (about a minute idle), ``--sizes 200 1000``.
It reads the package's private host modules: a benchmark of its internals, not an example.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import jax
import numpy as np
import ot
from scipy.spatial.distance import cdist

jax.config.update("jax_enable_x64", True)

import divergences as dv  # noqa: E402
from divergences.wasserstein._src.host import dense, pipeline  # noqa: E402
from divergences.wasserstein._src.host.host_problem import host_problem  # noqa: E402


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """The least wall-clock time of ``repeats`` calls, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def _problems(n: int) -> list[tuple[str, tuple, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 0.5
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    a, b = a / a.sum(), b / b.sum()
    uniform = np.full(n, 1.0 / n)
    return [("random", (x, y, a, b), a, b), ("uniform", (x, y), uniform, uniform)]


def _calls(args: tuple, a: np.ndarray, b: np.ndarray, cost: np.ndarray, repeats: int) -> str:
    """``w1_primal`` and ``emd2`` interleaved, and the time outside ``ot.emd`` in each call."""
    real, inside = ot.emd, []

    def timed_emd(*t: object, **k: object) -> object:
        start = time.perf_counter()
        out = real(*t, **k)
        inside.append(time.perf_counter() - start)
        return out

    ours, pots, outside = [], [], []
    ot.emd = timed_emd
    try:
        for _ in range(repeats):
            inside.clear()
            start = time.perf_counter()
            dv.w1_primal(*args, method="dense")
            ours.append(time.perf_counter() - start)
            outside.append(ours[-1] - sum(inside))
            start = time.perf_counter()
            ot.emd2(a, b, cost)
            pots.append(time.perf_counter() - start)
    finally:
        ot.emd = real
    t, p, o = (1e3 * min(v) for v in (ours, pots, outside))
    return f"{t:9.1f} {p:8.1f} {t / p:6.2f} {o:8.1f}"


def _stages(args: tuple, repeats: int) -> str:
    """The host pipeline's stages on one problem (the eager call's units and options)."""
    uniform = (len(args) < 3, len(args) < 4)
    a, b = (args[2], args[3]) if len(args) == 4 else (np.ones(len(args[0])),) * 2
    problem, _ = host_problem(args[0], args[1], a, b, None, "euclidean", uniform)
    n, m = len(problem.a), len(problem.b)
    solver = dense.SOLVER
    opts = solver.options(n, m, solver.Options())
    sol = solver.solve(problem, opts)
    v = np.asarray(sol.v, np.float64)

    def certify() -> pipeline.PlanBounds:
        return pipeline._certified(problem, sol.rows, sol.cols, sol.mass, sol.v, None)

    cert, rtol = certify(), solver.certified_rtol(opts)
    cells = [
        best_ms(problem.pair_costs, repeats),
        best_ms(lambda: solver.solve(problem, opts), repeats),
        best_ms(certify, repeats),
        best_ms(lambda: problem.c_transform(v), repeats),
    ]
    text = " ".join(f"{c:8.1f}" for c in cells)
    if pipeline._within(cert.bounds, rtol):
        return text + f" {'-':>8} {'-':>8}"
    text += f" {best_ms(lambda: pipeline._polished(problem, sol, cert, None), repeats):8.1f}"
    polished = pipeline._polished(problem, sol, cert, None)
    if pipeline._within(polished.bounds, rtol):
        return text + f" {'-':>8}"

    def refine() -> object:
        return solver.refine(problem, opts, sol, polished.bounds, allowance=polished.allowance)

    return text + f" {best_ms(refine, repeats):8.1f}"


def main() -> None:
    """The command line: sizes and repeats."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print(
        f"POT {ot.__version__}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the start; best of {args.repeats}; milliseconds"
    )
    head = (
        f"{'n':>5} {'weights':<8} {'w1_primal':>9} {'emd2':>8} {'ratio':>6} {'outside':>8} |"
        f" {'costs':>8} {'solve':>8} {'certify':>8} {'c-trans':>8} {'polish':>8} {'refine':>8}"
    )
    print(head)
    print("-" * len(head))
    for n in args.sizes:
        for kind, call, a, b in _problems(n):
            cost = cdist(call[0], call[1])
            dv.w1_primal(*call, method="dense")  # the first call's imports and tracing
            row = _calls(call, a, b, cost, args.repeats)
            print(f"{n:>5} {kind:<8} {row} | {_stages(call, args.repeats)}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
