"""W1 between the laws behind two samples: ``dv.estimate.w1`` and ``dv.estimate.w1_dkw``.

Three tables:

* the time of ``w1``'s finite-sample interval (``diameter="sample"``) and of its asymptotic one
  in d = 2, n = m = 10^4 (``--full``: also 3 x 10^4), with its parts: the exact W1 of the
  samples (``w1_primal``, the sparse solver) and the half-samples' potential (``w1_dual`` and
  ``kr_potential`` on the held-out halves);
* ``w1_dkw`` (both ends) beside ``scipy.stats.wasserstein_distance`` and
  ``scipy.stats.energy_distance`` on the line, at 10^6 points a side (``--full``: also 10^7),
  as time ratios;
* the empirical coverage and mean width of the intervals over seeded repetitions (20, or 200
  with ``--full``): uniform laws on [0, 1]^2 and a translate (W1 = 0.3), Gaussians N(0, I_2)
  and N(mu, I_2) (W1 = |mu| = 1), N(0, I_2) twice (W1 = 0: the held-out lower end is then
  nominal, not conservative), and on the line U[0, 1] against U[0.25, 1.25] (W1 = 0.25).

Each time is the best of a few repeats after one warm-up call. Run:
``python benchmarks/bench_estimate_w1.py`` (about a minute on two idle cores) or ``--full``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import scipy.stats

import divergences as dv
from divergences.estimate import w1, w1_dkw

jax.config.update("jax_enable_x64", True)

#: The union of [0, 1]^2 and its translate by (0.3, 0) has this diameter.
SQUARES = math.hypot(1.3, 1.0)


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """The best wall time of ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def once(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def squares(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, 2)), rng.uniform(size=(n, 2)) + np.array([0.3, 0.0])


def gaussians(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([0.6, 0.8])


def time_row(n: int) -> None:
    """One row of the plane's table: ``w1``'s two intervals and its two solves at ``n``."""
    x, y = squares(1, n)
    finite = once(lambda: w1(x, y, diameter="sample"))
    asymptotic = once(lambda: w1(x, y))
    primal = once(lambda: dv.w1_primal(x, y))
    half = n // 2

    def potential() -> None:
        dual = dv.w1_dual(x[:half], y[:half])
        dv.kr_potential(dual, np.concatenate([x[half:], y[half:]]))

    pot = once(potential)
    est = w1(x, y, diameter="sample")
    print(
        f"{n:>7} {finite:8.2f} {asymptotic:8.2f} {primal:8.2f} {pot:9.2f}"
        f"   [{est.lower_bound:.4f}, {est.upper_bound:.4f}] around {est.value:.4f}, truth 0.3"
    )


def time_table(full: bool) -> None:
    """The time of w1's intervals in the plane, with its parts."""
    print("w1 in d = 2, n = m (seconds; one call each, after a warm-up at n = 500)")
    print(f"{'n':>7} {'finite':>8} {'asympt.':>8} {'primal':>8} {'dual+pot':>9}")
    w1(*squares(0, 500), diameter="sample")
    for n in (10_000, 30_000) if full else (10_000,):
        time_row(n)


def line_row(n: int) -> None:
    """One row of the line's table at ``n`` points a side."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=n), rng.normal(size=n) + 0.1
    ours = best_of(lambda: w1_dkw(x, y, diameter="sample"), 3)
    ref = best_of(lambda: scipy.stats.wasserstein_distance(x, y), 3)
    energy = best_of(lambda: scipy.stats.energy_distance(x, y), 3)
    print(f"{n:>9} {ours:8.3f} {ref:9.3f} {energy:8.3f} {ours / ref:6.2f} {ours / energy:9.2f}")


def line_table(full: bool) -> None:
    """w1_dkw beside scipy's W1 and energy distance on the line."""
    print("\nw1_dkw on the line, n = m (seconds, best of 3; ratios to scipy)")
    print(f"{'n':>9} {'w1_dkw':>8} {'scipy W1':>9} {'energy':>8} {'/ W1':>6} {'/ energy':>9}")
    for n in (10**6, 10**7) if full else (10**6,):
        line_row(n)


def coverage_row(name: str, truth: float, reps: int, run: Callable[[int], Any]) -> None:
    hits, widths = 0, []
    for seed in range(reps):
        est = run(seed)
        hits += est.lower_bound <= truth <= est.upper_bound
        widths.append(est.upper_bound - est.lower_bound)
    print(f"{name:<48} {truth:6.3f} {hits:>4}/{reps:<4} {np.mean(widths):10.4f}")


def coverage_table(full: bool) -> None:
    """Empirical coverage of the 95% intervals over seeded repetitions."""
    reps, n = (200, 1000) if full else (20, 300)
    print(f"\ncoverage at level 0.95, {reps} repetitions, n = m = {n} ({n * 10} on the line)")
    print(f"{'case':<48} {'truth':>6} {'covered':>9} {'mean width':>10}")
    coverage_row("squares, w1 diameter=D (finite-sample)", 0.3, reps,
                 lambda s: w1(*squares(s, n), diameter=SQUARES, seed=s))  # fmt: skip
    coverage_row("squares, w1 diameter='sample' (finite-sample)", 0.3, reps,
                 lambda s: w1(*squares(s, n), diameter="sample", seed=s))  # fmt: skip
    coverage_row("squares, w1 diameter=None (asymptotic)", 0.3, reps,
                 lambda s: w1(*squares(s, n), seed=s))  # fmt: skip
    coverage_row("gaussians, w1 diameter=None (asymptotic)", 1.0, reps,
                 lambda s: w1(*gaussians(s, n), seed=s))  # fmt: skip

    def same(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        return rng.normal(size=(n, 2)), rng.normal(size=(n, 2))

    coverage_row("one gaussian twice, w1 diameter=None (asympt.)", 0.0, reps,
                 lambda s: w1(*same(s), seed=s))  # fmt: skip

    def line(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        return rng.uniform(size=10 * n), rng.uniform(size=10 * n) + 0.25

    coverage_row("line, w1_dkw diameter=1.25 (finite-sample)", 0.25, reps,
                 lambda s: w1_dkw(*line(s), diameter=1.25))  # fmt: skip


def bench_w1(full: bool) -> None:
    """The three tables of the module docstring."""
    time_table(full)
    line_table(full)
    coverage_table(full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the larger sizes, 200 repetitions")
    bench_w1(parser.parse_args().full)


if __name__ == "__main__":
    main()
