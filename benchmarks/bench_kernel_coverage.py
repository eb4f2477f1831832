"""Each end of KID's and MMD^2's normal intervals: how often it misses the truth, case by case.

Run from the repository root:
python benchmarks/bench_kernel_coverage.py [--only TEXT] [--sizes 250,1000] [--repetitions 200]

A 95% interval may miss on each side in 2.5% of repetitions; the target is at most 3.5% an end.
The cases are the coverage family's normal-interval cases (divergences.testing.coverage_cases:
Gaussian translates, scales and null pairs, d = 2 to 2048), the case where the symmetric interval's
upper end missed in 6.8% (N(0, I) against N(0.12 e1, I), d = 6, bandwidth 2, n = 2000), and
non-Gaussian pairs whose truths are closed forms:

* KID between the uniform law on [-sqrt 3, sqrt 3]^d and the law of independent coordinates
  ``E - 1 + c`` (``E ~ Exp(1)``): the cubic kernel's mean reads the laws' first three moments
  only, :func:`kid_of_products`;
* MMD^2 (bandwidth sqrt(d)) between the same uniform law and independent Laplace coordinates of
  mean ``c`` and variance 1: the Gaussian kernel's mean is a product of one-dimensional
  integrals, taken by adaptive quadrature to 1e-12 (:func:`gaussian_mmd_of_products`).

A row prints the repetitions, the misses below (the lower end above the truth) and above (the
upper end below it), their rates, the mean width and the seconds a repetition took. Draws are
seeded per repetition (``jax.random.key(seed)`` split by repetition, as the coverage family).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from scipy import integrate  # noqa: E402

from divergences import estimate as dve  # noqa: E402
from divergences.testing.coverage_cases import CASES, CoverageCase  # noqa: E402

ROOT3 = math.sqrt(3.0)


def _moments_uniform() -> tuple[float, float, float]:
    return 0.0, 1.0, 0.0


def _moments_exponential(c: float) -> tuple[float, float, float]:
    """Raw moments of E - 1 + c: mean c, variance 1, third central moment 2."""
    return c, 1.0 + c * c, 2.0 + 3.0 * c + c**3


def _mean_cubic(d: int, a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """E (x . y / d + 1)^3 for independent x, y with i.i.d. coordinates of raw moments a, b."""
    e1 = d * a[0] * b[0]
    e2 = d * a[1] * b[1] + d * (d - 1) * (a[0] * b[0]) ** 2
    e3 = (
        d * a[2] * b[2]
        + 3 * d * (d - 1) * (a[1] * a[0]) * (b[1] * b[0])
        + d * (d - 1) * (d - 2) * (a[0] * b[0]) ** 3
    )
    return e3 / d**3 + 3.0 * e2 / d**2 + 3.0 * e1 / d + 1.0


def kid_of_products(d: int, c: float) -> float:
    """KID between the uniform cube of variance 1 and shifted exponential coordinates."""
    u, e = _moments_uniform(), _moments_exponential(c)
    return _mean_cubic(d, u, u) + _mean_cubic(d, e, e) - 2.0 * _mean_cubic(d, u, e)


def _uniform_pdf(t: float) -> float:
    return 1.0 / (2.0 * ROOT3) if abs(t) <= ROOT3 else 0.0


def _laplace_pdf(c: float, t: float) -> float:
    b = 1.0 / math.sqrt(2.0)
    return math.exp(-abs(t - c) / b) / (2.0 * b)


def gaussian_mmd_of_products(d: int, c: float, s: float) -> float:
    """MMD^2 between the uniform cube and Laplace(c, 1/sqrt 2)^d, Gaussian kernel of width s."""
    pdfs = {"u": _uniform_pdf, "l": functools.partial(_laplace_pdf, c)}
    ranges = {"u": (-ROOT3, ROOT3), "l": (c - 40.0, c + 40.0)}

    def mean_kernel(p: str, q: str) -> float:
        def integrand(v: float, t: float) -> float:
            return pdfs[p](t) * pdfs[q](v) * math.exp(-((t - v) ** 2) / (2 * s * s))

        breaks = sorted({ranges[q][0], ranges[q][1], c, -ROOT3, ROOT3})
        total = 0.0
        for lo, hi in itertools.pairwise(breaks):
            total += integrate.dblquad(integrand, *ranges[p], lo, hi, epsabs=1e-14, epsrel=1e-12)[0]
        return total

    uu, ll, ul = mean_kernel("u", "u"), mean_kernel("l", "l"), mean_kernel("u", "l")
    return uu**d + ll**d - 2.0 * ul**d


def _products(d: int, c: float, second: str) -> Callable[[jax.Array, int], tuple[np.ndarray, ...]]:
    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(jax.random.uniform(kx, (n, d), minval=-ROOT3, maxval=ROOT3))
        if second == "exponential":
            y = np.asarray(jax.random.exponential(ky, (n, d))) - 1.0 + c
        else:
            y = np.asarray(jax.random.laplace(ky, (n, d))) / math.sqrt(2.0) + c
        return x, y

    return draw


def _named(d: int, shift: float, s: float) -> Callable[[jax.Array, int], tuple[np.ndarray, ...]]:
    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        y = np.array(jax.random.normal(ky, (n, d)))
        y[:, 0] += shift
        return np.asarray(jax.random.normal(kx, (n, d))), y

    return draw


def cases() -> list[CoverageCase]:
    """The family's normal-interval cases, then the named and the non-Gaussian ones."""
    family = [c for c in CASES if c.estimator == "kid" or c.name.endswith(", normal")]
    normal = {"bandwidth": 2.0, "interval": "normal"}
    extra = [
        CoverageCase(
            "mmd_squared | N(0,I) vs N(0.12 e1,I), d=6, bandwidth 2, normal",
            "mmd_squared",
            6,
            _named(6, 0.12, 2.0),
            lambda: 2 * (4 / 6) ** 3 * (1 - math.exp(-(0.12**2) / 12)),
            normal,
        )
    ]
    for d, c in ((8, 0.25), (64, 0.125)):
        extra.append(
            CoverageCase(
                f"kid | U[-sqrt3,sqrt3]^d vs (Exp(1)-1+{c:g})^d, d={d}",
                "kid",
                d,
                _products(d, c, "exponential"),
                functools.partial(kid_of_products, d, c),
            )
        )
    for d, c in ((2, 0.25), (8, 0.25)):
        s = math.sqrt(d)
        extra.append(
            CoverageCase(
                f"mmd_squared | U[-sqrt3,sqrt3]^d vs Laplace({c:g},1/sqrt2)^d, d={d}, "
                "bandwidth sqrt(d), normal", "mmd_squared", d,
                _products(d, c, "laplace"), functools.partial(gaussian_mmd_of_products, d, c, s),
                {"bandwidth": s, "interval": "normal"},
            )
        )  # fmt: skip
    return family + extra


def measure(case: CoverageCase, n: int, repetitions: int, seed: int = 0) -> dict[str, Any]:
    """The misses of each end over seeded repetitions, the mean width and the kinds returned."""
    truth = float(case.truth())
    function = getattr(dve, case.estimator)
    below = above = claimed = 0
    widths = []
    keys = jax.random.split(jax.random.key(seed), repetitions)
    start = time.perf_counter()
    for key in keys:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dve.NoCoverageWarning)
            est = function(*case.draw(key, n), **case.options)
        if not est.claims_coverage:
            continue
        claimed += 1
        below += est.lower_bound > truth
        above += est.upper_bound < truth
        widths.append(est.upper_bound - est.lower_bound)
    seconds = (time.perf_counter() - start) / repetitions
    return {
        "truth": truth, "claimed": claimed, "below": below, "above": above,
        "width": float(np.mean(widths)) if widths else math.nan, "seconds": seconds,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--sizes", default="250,1000")
    parser.add_argument("--repetitions", type=int, default=200)
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    print(
        "| estimator | laws | d | n | claimed | lower end above truth | upper end below truth "
        "| mean width | s / rep |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases():
        if args.only not in case.name:
            continue
        for n in (int(v) for v in args.sizes.split(",")):
            r = measure(case, n, args.repetitions)
            estimator, laws = case.name.split(" | ", 1)
            c = max(r["claimed"], 1)
            print(
                f"| `{estimator}` | {laws} | {case.d} | {n} | {r['claimed']}/{args.repetitions} "
                f"| {r['below']} = {r['below'] / c:.3f} | {r['above']} = {r['above'] / c:.3f} "
                f"| {r['width']:.4g} | {r['seconds']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
