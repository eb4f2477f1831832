r"""Each end of KID's interval, over 1000 repetitions a cell: the library's interval on NumPy sums.

Run: ``nice python benchmarks/bench_kid_ends.py [--reps 1000] [--check 5] [--kernel gaussian]``
(n = 2000 cells run ``2 reps / 5``; ``--kernel gaussian``: MMD^2's normal interval, bandwidth
``sqrt(d)``, on the cells where 200 repetitions saw an end miss more than 3.5%, and beside them).

KID's pass (``dv.estimate.kid``) costs about a second a repetition at n = 1000 here, most of it
the 200 relabellings of its permutation test; 1000 repetitions a cell, the count that resolves a
3.5% miss rate from 2.5% (its Monte Carlo standard error is 0.5%), would take hours. So each
repetition forms the cubic kernel's matrices in NumPy (float64), and the library's own
``kernel_interval._raw_ends`` turns their row sums into the interval: the square-root-scale normal
interval with the plug-in first-order variance, exactly as ``kid`` computes it but for the
permutation test's gate on the lower end (``kid`` sets that end to 0 unless the test rejects at
alpha/2, which only lowers it: the lower misses printed bound ``kid``'s from above). ``--check``
first runs ``kid`` itself (x64 on) on that many draws and prints the largest relative gap
between its upper end and this one's.

The truths are Monte Carlo means of ``k(x, x') + k(y, y') - 2 k(x, y)`` over 4 x 10^6
independent pairs (standard error below 1e-3 of each KID). Misses: ``low`` the truth below the
lower end, ``high`` above the upper end; a 95% interval may miss 2.5% an end, the bar is 3.5%.
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import numpy as np

import divergences as dv
from divergences.estimate._src.kernel.normal_interval import _raw_ends
from divergences.estimate._src.kernel.sums import KernelSums


def gaussian(rng, n, d, shift):
    return rng.standard_normal((n, d)) + shift / math.sqrt(d)


def uniform_or_exponential(rng, n, d, shift):
    if shift == 0.0:
        return rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), (n, d))
    return rng.exponential(1.0, (n, d)) - 1.0 + shift


#: The cells of ``--kernel gaussian`` (MMD^2's normal interval, bandwidth sqrt(d)).
GAUSSIAN_CELLS = (
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 2, 1.0, 1000),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 8, 1.0, 250),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 8, 1.0, 1000),
    ("U[-sqrt3,sqrt3]^d vs (Exp(1)-1+0.25)^d", uniform_or_exponential, 8, 0.25, 1000),
)

CELLS = (  # name, law, d, shift, n
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 2, 1.0, 250),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 2, 1.0, 1000),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 2, 1.0, 2000),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 8, 1.0, 250),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 8, 1.0, 1000),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 8, 1.0, 2000),
    ("U[-sqrt3,sqrt3]^d vs (Exp(1)-1+0.25)^d", uniform_or_exponential, 8, 0.25, 1000),
    ("U[-sqrt3,sqrt3]^d vs (Exp(1)-1+0.25)^d", uniform_or_exponential, 8, 0.25, 2000),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 64, 1.0, 250),
    ("N(0,I) vs N(mu,I), |mu|=1", gaussian, 64, 1.0, 1000),
)


def cubic(a, b, d):
    k = a @ b.T
    k *= 1.0 / d
    k += 1.0
    return k * k * k


def gaussian_kernel(a, b, d):
    """``exp(-|a - b|^2 / (2 d))``: the Gaussian kernel of bandwidth ``sqrt(d)``."""
    sq = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.exp(-np.maximum(sq, 0.0) / (2.0 * d))


KERNELS = {"cubic": cubic, "gaussian": gaussian_kernel}


def truth(law, d, shift, kernel="cubic", pairs=4_000_000, chunk=200_000):
    rng, total = np.random.default_rng(99), 0.0
    for _ in range(pairs // chunk):
        x, x2 = law(rng, chunk, d, 0.0), law(rng, chunk, d, 0.0)
        y, y2 = law(rng, chunk, d, shift), law(rng, chunk, d, shift)
        if kernel == "cubic":
            k = lambda a, b: (np.sum(a * b, axis=1) / d + 1.0) ** 3  # noqa: E731
        else:
            k = lambda a, b: np.exp(-np.sum((a - b) ** 2, axis=1) / (2.0 * d))  # noqa: E731
        total += float(np.sum(k(x, x2) + k(y, y2) - 2.0 * k(x, y)))
    return total / pairs


def ends(x, y, alpha=0.05, kernel="cubic"):
    """The library's interval (``_raw_ends``) on the kernel's row sums, formed in NumPy."""
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    z = np.concatenate([x, y])
    k = KERNELS[kernel](z, z, d)
    np.fill_diagonal(k, 0.0)
    every, on_x = k.sum(axis=1), k[:, :n].sum(axis=1)
    value = on_x[:n].sum() / (n * (n - 1)) + (every[n:] - on_x[n:]).sum() / (m * (m - 1))
    value -= 2.0 * (every[:n] - on_x[:n]).sum() / (n * m)
    sums = KernelSums(np.array([value]), 0.0, np.stack([every, on_x], 1), "float64", value)
    return _raw_ends(sums, n, m, alpha, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--check", type=int, default=5)
    parser.add_argument("--kernel", choices=sorted(KERNELS), default="cubic")
    args = parser.parse_args()
    cells = CELLS if args.kernel == "cubic" else GAUSSIAN_CELLS
    if args.check:
        jax.config.update("jax_enable_x64", True)
        rng, gap = np.random.default_rng(7), 0.0
        library = {
            "cubic": lambda x, y: dv.estimate.kid(x, y),
            "gaussian": lambda x, y: dv.estimate.mmd_squared(
                x, y, bandwidth=math.sqrt(8.0), interval="normal"
            ),
        }[args.kernel]
        for _ in range(args.check):
            x, y = gaussian(rng, 1000, 8, 0.0), gaussian(rng, 1000, 8, 1.0)
            ours, lib = ends(x, y, kernel=args.kernel)[1], library(x, y).upper_bound
            gap = max(gap, abs(ours / lib - 1.0))
        print(f"the library's upper end against this one's, {args.check} draws: {gap:.1e} at most")
    print("| laws | d | n | repetitions | low | high | truth | s / rep |")
    print("|---|---|---|---|---|---|---|---|")
    for name, law, d, shift, n in cells:
        t = truth(law, d, shift, args.kernel)
        rng, low, high = np.random.default_rng([d, n, 1]), 0, 0
        reps = args.reps if n <= 1000 else max(1, args.reps * 2 // 5)  # n = 2000: 4 times the cost
        start = time.perf_counter()
        for _ in range(reps):
            lo, hi = ends(law(rng, n, d, 0.0), law(rng, n, d, shift), kernel=args.kernel)
            low += t < lo
            high += t > hi
        secs = (time.perf_counter() - start) / reps
        print(
            f"| {name} | {d} | {n} | {reps} | {low / reps:.3f} | {high / reps:.3f} | {t:.4g} | "
            f"{secs:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
