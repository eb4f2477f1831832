r"""FD's interval by the delta method on kept draws, against the jackknife's or the batches'.

Run: ``OPENBLAS_NUM_THREADS=1 nice python benchmarks/bench_frechet_pairs.py --reps 200
[--only TEXT] [--difference] [--dimensions all|small|large] [--delta-only] [--seed 0]``.

Each repetition draws both samples (three for ``--difference``), reads them as ``frechet``
does (32 variance groups in 8 <= d <= 256) with a kept subsample of 2000 draws each, and builds
two intervals on one estimate: ``without``, the interval without kept draws (the delete-a-group
jackknife with the batches weighted by size in 8 <= d <= 256, ``frechet``'s own below d = 64;
the batches' Student interval elsewhere), and ``delta``, the delta method's on the kept draws
less the pairs' part its values carry, with Satterthwaite's degrees of freedom (``frechet``'s
own from d = 64: :mod:`divergences.estimate._src.frechet.first_order`). Each row gives, for
each, the repetitions whose truth fell below the lower end and above the upper end, and the
mean width over the ideal, :math:`2 \times 1.96` times the estimates' spread over the
repetitions. Before them: the estimate's mean error over its spread, the median of the larger
of the two samples' radial spreads (:mod:`divergences.estimate._src.frechet.tails`) and the
repetitions where ``frechet`` claims nothing (the radial spread over
:data:`~divergences.estimate._src.frechet.tails.RADIAL_SPREAD_AT_MOST`, or samples of sizes
whose extrapolation's remainder is not small: :mod:`divergences.estimate._src.frechet.sizes`);
after them, the misses of ``frechet``'s own interval over the others, and each interval's mean
standard error over the estimates' spread (near FD = 0 the width is cut by the ends' floor at 0;
this ratio is not, though the score form's shift reaches past it). For ``--difference`` it
adds how often the p-value of "A is no better than B" was at most 0.05, and last the power of
the ideal test (one-sided, at 0.05, the estimator's spread over the repetitions known).
Results: ``estimate_coverage.md``, "FD near FD = 0" (the standard errors near FD = 0, and the
delta method from d = 32, not adopted), "FD's interval by the delta method on kept draws" (and
before it "FD's jackknife less its double count of the pairs", from an earlier version of this
script with the jackknife's correction in the place of the delta method).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from divergences.estimate._src.comparison.frechet_difference import difference_interval
from divergences.estimate._src.frechet.distance import (
    interval,
    paired_parts,
    read_samples,
    spread_of,
)
from divergences.estimate._src.frechet.first_order import KEPT_DRAWS
from divergences.estimate._src.frechet.groups import runs_first_order
from divergences.estimate._src.frechet.sizes import sizes_refusal
from divergences.estimate._src.frechet.tails import RADIAL_SPREAD_AT_MOST, radial_spread

ALPHA = 0.05
KINDS = ("without", "delta")
Draw = Callable[[np.random.Generator, int], np.ndarray]


def gaussian(d: int, shift: float, scale: float = 1.0) -> Draw:
    """N(shift 1, scale^2 I)."""
    return lambda rng, n: scale * rng.standard_normal((n, d)) + shift


def student(d: int, shift: float, df: int = 8) -> Draw:
    """Coordinates i.i.d. Student t(df), shifted."""
    return lambda rng, n: rng.standard_t(df, (n, d)) + shift


def elliptical(d: int, shift: float, df: int = 8) -> Draw:
    """A multivariate t(df): one radius a draw, shared by its coordinates."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        radius = np.sqrt(df / rng.chisquare(df, (n, 1)))
        return rng.standard_normal((n, d)) * radius + shift

    return draw


def relu(d: int, tilt: float, seed: int = 5) -> Draw:
    """ReLU features max(0, W g + 0.3), W random and tilted by ``tilt``: skewed, with atoms at 0."""
    r = np.random.default_rng(seed)
    w = r.standard_normal((d, d)) / math.sqrt(d)
    w = w + tilt * r.standard_normal((d, d)) / math.sqrt(d)
    return lambda rng, n: np.maximum(rng.standard_normal((n, d)) @ w.T + 0.3, 0.0)


def truth_of(p: Draw, q: Draw, d: int) -> float:
    """FD from 4 * 10^5 draws each, for laws without a closed form (its error is far below a cell's)."""
    rng = np.random.default_rng(123)
    from scipy.linalg import sqrtm

    x, y = p(rng, 400_000), q(rng, 400_000)
    sx, sy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = np.real(sqrtm(sx))
    cross = np.trace(np.real(sqrtm(root @ sy @ root)))
    return float(np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(sx) + np.trace(sy) - 2 * cross)


def cells(d: int) -> dict[str, tuple]:
    """The pairs a dimension runs: (P, Q, FD), and Q's draws per P's where they differ."""
    s = 1.0 / math.sqrt(d)
    out = {
        "Gaussian, FD = 0": (gaussian(d, 0.0), gaussian(d, 0.0), 0.0),
        "Gaussian, FD = 0.04": (gaussian(d, 0.0), gaussian(d, 0.2 * s), 0.04),
        "Gaussian, FD = 0.2": (gaussian(d, 0.0), gaussian(d, math.sqrt(0.2) * s), 0.2),
        "Gaussian, FD = 1": (gaussian(d, 0.0), gaussian(d, s), 1.0),
        "Gaussian, FD = 1, m = 2n": (gaussian(d, 0.0), gaussian(d, s), 1.0, 2),
        "Gaussian, FD = 1, m = 3n": (gaussian(d, 0.0), gaussian(d, s), 1.0, 3),
        "t(8) coordinates, FD = 1": (student(d, 0.0), student(d, s), 1.0),
        "elliptical t(8), FD = 1": (elliptical(d, 0.0), elliptical(d, s), 1.0),
        "elliptical t(20), FD = 1": (elliptical(d, 0.0, 20), elliptical(d, s, 20), 1.0),
    }
    if d <= 128:  # above, the truth's own plug-in bias from 4 * 10^5 draws nears a cell's spread
        p, q = relu(d, 0.0), relu(d, 0.3)
        out["ReLU features, tilted"] = (p, q, truth_of(p, q, d))
        out["ReLU features, FD = 0"] = (p, p, 0.0)
    return out


def ratio(widths: list[float], errors: np.ndarray) -> float:
    """The mean width over the ideal one, 2 z_(1 - alpha/2) times the errors' spread."""
    return float(np.mean(widths)) / (2.0 * 1.959963984540054 * float(np.std(errors, ddof=1)))


#: FD's (d, n) cells: "small" the quick ones, "large" those the claims start at above d = 256.
DIMENSIONS = {
    "small": ((8, 1000), (32, 1000)),
    "all": ((8, 1000), (32, 1000), (32, 3000), (48, 1000), (64, 1000), (128, 1000), (256, 1000)),
    "large": ((768, 5000), (2048, 10000)),
}


def distances(args: argparse.Namespace) -> None:
    """FD's rows: each cell of :func:`cells` whose name holds ``--only``."""
    for d, n in DIMENSIONS[args.dimensions]:
        for name, (p, q, truth, *more) in cells(d).items():
            if args.only not in f"{name}, d={d}":
                continue
            m = n * more[0] if more else n
            rng = np.random.default_rng(args.seed)
            start = time.perf_counter()
            tally = {k: [0, 0, [], []] for k in KINDS}
            errors, spreads, claimed, withheld = [], [], [0, 0], 0
            own = "delta" if runs_first_order(d, 4) else "without"  # frechet's own interval
            for rep in range(args.reps):
                draws = [(p(rng, n), "x", rep), (q(rng, m), "y", rep + 1)]
                rx, ry = read_samples(draws, 4, keep=KEPT_DRAWS)
                spread = max(
                    radial_spread(rx.moments, rx.kept) or 0.0,
                    radial_spread(ry.moments, ry.kept) or 0.0,
                )
                spreads.append(spread)
                kept = (rx.kept, ry.kept)
                parts = paired_parts(rx.moments, ry.moments, 4, kept, rep)
                without = None if args.delta_only else paired_parts(rx.moments, ry.moments, 4)
                scale = 4.0**rx.moments.shift
                errors.append(parts.value * scale - truth)
                se = spread_of(parts if own == "delta" or without is None else without, 4)[0]
                claims = spread <= RADIAL_SPREAD_AT_MOST and not sizes_refusal(
                    rx.moments, ry.moments, 4, se
                )
                withheld += not claims
                for key, pt in zip(KINDS, (without, parts), strict=True):
                    if pt is None:
                        continue
                    lo, _, hi = (v * scale for v in interval(pt, 4, ALPHA))
                    tally[key][0] += truth < lo
                    tally[key][1] += truth > hi
                    tally[key][2].append(hi - lo)
                    tally[key][3].append(spread_of(pt, 4)[0] * scale)
                    if key == own and claims:
                        claimed[0] += truth < lo
                        claimed[1] += truth > hi
            e = np.array(errors)
            cols = " | ".join(
                f"{t[0]}/{t[1]} | {ratio(t[2], e):.2f}" if t[2] else "- | -" for t in tally.values()
            )
            kept = args.reps - withheld
            sd = e.std(ddof=1)
            errs = "; ".join(f"{np.mean(t[3]) / sd:.2f}" if t[3] else "-" for t in tally.values())
            secs = (time.perf_counter() - start) / args.reps
            print(
                f"| FD | {name} | {d} | {n} | {args.reps} | {e.mean() / e.std(ddof=1):+.2f} | "
                f"{np.median(spreads):.2f} | {args.reps - kept} | {cols} | "
                f"{claimed[0]}/{claimed[1]} of {kept} | {errs} | {secs:.2f} s |",
                flush=True,
            )


def differences(args: argparse.Namespace) -> None:
    """The difference's rows: R = N(0, I), A and B translates; D = |mu_A|^2 - |mu_B|^2."""
    sizes = {"small": ((16, 2000), (32, 1000)), "large": ((768, 5000), (2048, 10_000))}
    for d, n in sizes.get(
        args.dimensions, ((16, 2000), (32, 1000), (64, 1000), (128, 1000), (256, 1000))
    ):
        s = 1.0 / math.sqrt(d)
        for name, (ra, rb) in {"null, D = 0": (1.0, 1.0), "D = -0.19": (0.9, 1.0)}.items():
            if args.only not in f"{name}, d={d}":
                continue
            rng = np.random.default_rng(args.seed)
            truth = ra**2 - rb**2
            tally = {k: [0, 0, [], 0] for k in KINDS}
            errors = []
            for rep in range(args.reps):
                draws = [
                    (rng.standard_normal((n, d)), "reference", rep),
                    (rng.standard_normal((n, d)) + ra * s, "a", rep + 1),
                    (rng.standard_normal((n, d)) + rb * s, "b", rep + 2),
                ]
                rr, ra_, rb_ = read_samples(draws, 4, keep=KEPT_DRAWS)
                pa, pb = (
                    paired_parts(r.moments, rr.moments, 4, (r.kept, rr.kept), rep)
                    for r in (ra_, rb_)
                )
                scale = 4.0**rr.moments.shift
                without = None
                if not args.delta_only:
                    without = tuple(paired_parts(r.moments, rr.moments, 4) for r in (ra_, rb_))
                for key, both in zip(KINDS, (without, (pa, pb)), strict=True):
                    if both is None:
                        continue
                    qa, qb = both
                    value, half, pval, _ = difference_interval(qa, qb, 4, ALPHA)
                    tally[key][0] += truth < (value - half) * scale
                    tally[key][1] += truth > (value + half) * scale
                    tally[key][2].append(2 * half * scale)
                    tally[key][3] += pval <= ALPHA
                errors.append((pa.value - pb.value) * scale - truth)
            e = np.array(errors)
            cols = " | ".join(
                f"{t[0]}/{t[1]} | {ratio(t[2], e):.2f} | {t[3] / args.reps:.3f}"
                if t[2]
                else "- | - | -"
                for t in tally.values()
            )
            # the one-sided z test's power with the estimator's own spread known
            ideal = float(norm.cdf(abs(truth) / np.std(e, ddof=1) - norm.isf(ALPHA)))
            print(
                f"| FD difference | {name} | {d} | {n} | {args.reps} | {cols} | {ideal:.3f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="")
    parser.add_argument("--difference", action="store_true")
    parser.add_argument("--dimensions", choices=sorted(DIMENSIONS), default="all")
    parser.add_argument(
        "--delta-only", action="store_true", help="skip the interval without kept draws"
    )
    args = parser.parse_args()
    (differences if args.difference else distances)(args)


if __name__ == "__main__":
    main()
