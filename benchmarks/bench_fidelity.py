r"""Precision, recall, density and coverage: their intervals' coverage, the asymmetry, the speed.

``coverage``: for each case (a pair of laws, a dimension, a size ``n = m``), seeded
repetitions; in each, the four measures with their intervals at level 0.95, and the truths
each interval claims, computed independently from fresh draws (``--truth`` of them): given the
real draws' balls :math:`B_i`, precision's :math:`Q(\cup B_i)`, density's
:math:`\frac1k \sum_i Q(B_i)` and coverage's :math:`\frac1n \sum_i 1 - (1 - Q(B_i))^m`; given
the generated draws' balls, recall's :math:`P(\cup C_j)`. Beside them, the means of the values
against the closed forms that hold over both samples or in the limit: between equal laws
density 1 and coverage :math:`1 - \binom{n-1}{k}/\binom{n+m-1}{k}`; for a model that keeps 2
of the data's 4 separated modes, precision 1 and recall 1/2 as ``n`` grows.

``asymmetry``: precision and recall of a model N(0, s^2 I) against data N(0, I), s = 1.2 and
1/1.2, in d = 2 to 1024: the supports are equal (the limit truth is 1 for both), yet in high
dimension the k-NN measures part, one way for a wider model and the other way for a narrower one
(Khayatkhoei & AbdAlmageed 2023).

``speed``: the four measures at ``n = m`` in ``d`` against the floor, the matrix products of the
same distances (``X X^T``, ``Y Y^T``, ``X Y^T``, in blocks, float32 in XLA) in the same process,
and against ``dv.estimate.kid`` on the same draws.

Run (nice'd): ``nice python benchmarks/bench_fidelity.py coverage --reps 200`` (minutes a case),
``... asymmetry``, ``... speed --n 10000 --d 2048`` (``--scale 1.05``: a model 5% wider, where
in high dimension many pairs lie within float32's bound of a radius and are decided again in
float64).
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import divergences as dv
from divergences.estimate import NoCoverageWarning
from divergences.estimate._src.neighbours.fidelity import DEFAULT_K, equal_laws_coverage
from divergences.estimate._src.neighbours.search import ball_counts, kth_neighbour_distances

LEVEL = 0.95
K = DEFAULT_K


def gaussian(scale: float = 1.0):
    return lambda rng, n, d: scale * rng.standard_normal((n, d))


def mixture(kept: int, count: int = 4):
    """Unit Gaussians centred 30 apart on the first axis; a model keeps the first ``kept``."""

    def draw(rng, n, d):
        centres = np.zeros((count, d))
        centres[:, 0] = 30.0 * np.arange(count)
        return centres[rng.integers(0, kept, n)] + rng.standard_normal((n, d))

    return draw


#: (name, real law, generated law, limits of (precision, recall, density, coverage) or None)
CASES = {
    "equal": ("N(0,I) vs N(0,I)", gaussian(), gaussian(), "equal"),
    "dropped": ("4 modes vs 2 of them", mixture(4), mixture(2), (1.0, 0.5, None, None)),
    "wider": ("N(0,I) vs N(0,1.2^2 I)", gaussian(), gaussian(1.2), (1.0, 1.0, None, None)),
}


def truths(real, generated, fresh_real, fresh_generated, engine):
    """The conditional quantities each interval covers, from fresh draws (see the docstring)."""
    m = generated.shape[0]
    r = kth_neighbour_distances(real, K, engine=engine)
    s = kth_neighbour_distances(generated, K, engine=engine)
    zeros = np.zeros(fresh_generated.shape[0])
    c = ball_counts(real, r, fresh_generated, zeros, engine=engine)
    q = c.y_in_ball / fresh_generated.shape[0]
    d = ball_counts(generated, s, fresh_real, np.zeros(fresh_real.shape[0]), engine=engine)
    return (
        float(np.mean(c.in_x_balls > 0)),
        float(np.mean(d.in_x_balls > 0)),
        float(q.sum() / K),
        float(np.mean(-np.expm1(m * np.log1p(-q)))),
    )


def coverage_case(key: str, d: int, n: int, reps: int, fresh: int, first: int = 0) -> list[str]:
    label, real_law, gen_law, limits = CASES[key]
    engine = "auto"
    covered = np.zeros(4, dtype=int)
    below, above = np.zeros(4, dtype=int), np.zeros(4, dtype=int)  # the truth below / above
    values, widths, lows = np.zeros((reps, 4)), np.zeros((reps, 4)), np.full(4, np.inf)
    kinds = set()
    for rep in range(first, first + reps):
        rng = np.random.default_rng([rep, d, n])
        real, generated = real_law(rng, n, d), gen_law(rng, n, d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoCoverageWarning)
            f = dv.estimate.fidelity_diversity(real=real, generated=generated, level=LEVEL)
        t = truths(real, generated, real_law(rng, fresh, d), gen_law(rng, fresh, d), engine)
        for i, e in enumerate(f):
            covered[i] += bool(e.lower_bound <= t[i] <= e.upper_bound)
            below[i] += bool(t[i] < e.lower_bound)
            above[i] += bool(t[i] > e.upper_bound)
            values[rep - first, i] = e.value
            widths[rep - first, i] = e.upper_bound - e.lower_bound
            lows[i] = min(lows[i], e.lower_bound)
            kinds.add((i, e.kind))
    if limits == "equal":
        limits = (None, None, 1.0, equal_laws_coverage(n, n, K))
    rows = []
    for i, name in enumerate(("precision", "recall", "density", "coverage")):
        kind = "/".join(sorted(k for j, k in kinds if j == i))
        rate = covered[i] / reps
        se = math.sqrt(rate * (1 - rate) / reps)
        limit = "" if limits[i] is None else f"{limits[i]:.4f}"
        rows.append(
            f"| {name} | {label} | {d} | {n} | {kind} | {covered[i]}/{reps} = {rate:.3f} ± "
            f"{se:.3f} | {below[i]}/{above[i]} | {values[:, i].mean():.4f} (sd {values[:, i].std():.4f}) | {limit} | "
            f"{widths[:, i].mean():.4g} |"
        )
    return rows


def asymmetry(n: int, dims: list[int]) -> None:
    print("| d | wider model: precision | recall | equal laws: precision | recall | "
          "narrower model: precision | recall |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for d in dims:
        rng = np.random.default_rng(d)
        real = rng.standard_normal((n, d))
        cells = []
        for scale in (1.2, 1.0, 1 / 1.2):
            generated = scale * rng.standard_normal((n, d))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NoCoverageWarning)
                f = dv.estimate.fidelity_diversity(real=real, generated=generated)
            cells += [f.precision, f.recall]
        print(f"| {d} | " + " | ".join(f"{e.value:.3f}" for e in cells) + " |")


@jax.jit
def _products(a, b):
    """Row sums of ``a b^T`` in blocks of 1024 rows (the floor's matrix products, kept alive)."""
    blocks = a.reshape(-1, 1024, a.shape[1])
    return jax.lax.map(
        lambda blk: jnp.sum(jnp.matmul(blk, b.T, precision=jax.lax.Precision.HIGHEST), axis=1),
        blocks,
    )


def timed(fn, rounds: int) -> float:
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def speed(n: int, d: int, rounds: int, with_kid: bool, scale: float = 1.0) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, d)), scale * rng.standard_normal((n, d)) + 0.1
    pad = -n % 1024
    xf = jnp.asarray(np.pad(x, ((0, pad), (0, 0))).astype(np.float32))
    yf = jnp.asarray(np.pad(y, ((0, pad), (0, 0))).astype(np.float32))

    def floor():
        for a, b in ((xf, xf), (yf, yf), (yf, xf)):
            _products(a, b).block_until_ready()

    def ours():
        dv.estimate.fidelity_diversity(real=x, generated=y)

    def kid():
        dv.estimate.kid(x, y)

    floor(), ours()  # compile
    t_floor, t_ours = timed(floor, rounds), timed(ours, rounds)
    line = (
        f"n = m = {n}, d = {d}, scale {scale:g}: four measures {t_ours:.2f} s, the three products {t_floor:.2f} s,"
        f" ratio {t_ours / t_floor:.2f}"
    )
    if with_kid:
        kid()
        t_kid = timed(kid, rounds)
        line += f"; kid {t_kid:.2f} s, ours / kid {t_ours / t_kid:.2f}"
    print(line + f"; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["coverage", "asymmetry", "speed"])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--first", type=int, default=0, help="coverage: the first seed")
    parser.add_argument("--truth", type=int, default=100_000, help="fresh draws for the truths")
    parser.add_argument("--cases", default="equal,dropped,wider")
    parser.add_argument("--dims", default="2,8,64")
    parser.add_argument("--sizes", default="500,1000")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-kid", action="store_true")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="speed: the generated draws' scale (N(0.1, s^2 I))"
    )
    args = parser.parse_args()
    dims = [int(v) for v in args.dims.split(",")]
    if args.what == "coverage":
        print("| measure | laws | d | n = m | kind | covered (± MC s.e.) | truth below/above "
              "| mean value (sd) | limit | mean width |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|---|")
        for key in args.cases.split(","):
            for d in dims:
                for n in (int(v) for v in args.sizes.split(",")):
                    for line in coverage_case(key, d, n, args.reps, args.truth, args.first):
                        print(line, flush=True)
    elif args.what == "asymmetry":
        asymmetry(args.n, dims)
    else:
        speed(args.n, args.d, args.rounds, not args.no_kid, args.scale)


if __name__ == "__main__":
    main()
