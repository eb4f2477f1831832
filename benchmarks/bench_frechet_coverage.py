r"""FD's coverage where FID lives (d = 768, 1024, 2048), from exactly drawn sufficient statistics.

Run: ``OPENBLAS_NUM_THREADS=1 nice python benchmarks/bench_frechet_coverage.py --d 768
--n 10000 --reps 200 [--m M] [--seconds 600] [--seed 0] [--only TEXT] [--groups G]
[--kept 2000] [--difference [--ra 0.5] | --products]``.

``--kept``: the draws each sample keeps for the delta method (2000, ``frechet``'s; its interval
from d = 64, :mod:`divergences.estimate._src.frechet.first_order`); 0 keeps none, which gives
the batches' Student interval (and, with ``--groups 32``, the jackknife) that ran before it.

``--m``: the second sample's size (``--n`` where not given); sizes that differ leave the bias
correction a remainder (:mod:`divergences.estimate._src.frechet.sizes`), which the row's mean
error shows; ``frechet`` claims nothing where that remainder is not small against its spread.

``--groups``: the variance groups each sample is drawn as (4, the default: the groups are the
4 batches and the interval the batches' Student one; 32: ``frechet``'s jackknife over 32
groups, the batches their unions, as the library reads 8 <= d <= 256). With ``--products`` it sets
the library's own number of groups (4 restores the batches' interval). Each row reports the
mean width over the ideal one, :math:`2 \times 1.96` times the estimates' spread over the
repetitions.

For Gaussian laws the estimate reads the draws only through each batch's mean and scatter, and
those have a closed-form law: for :math:`k` draws of :math:`N(\mu, \Sigma)` the mean is
:math:`N(\mu, \Sigma / k)` and, independently, the scatter is Wishart
:math:`W_d(k - 1, \Sigma)` (Anderson, 2003, th. 3.3.2). The scatter is drawn by Bartlett's
decomposition (:math:`A A^\top`, ``A`` lower triangular, :math:`A_{ii}^2 \sim \chi^2_{k-i}`,
:math:`A_{ij} \sim N(0, 1)` below the diagonal) where :math:`k - 1 \ge d`, and as
:math:`G^\top G` for a :math:`(k - 1) \times d` normal ``G`` otherwise. A repetition costs
:math:`O(d^3)` instead of the :math:`O(n d^2)` of real draws, with the statistics' law exact;
the kept draws are drawn as rows and merged in (:func:`batch_moments`). The estimate is then
the library's (``paired_parts``), as from draws.

Pairs: N(0, I) against N(mu, I), |mu| = 1, and N(0, I) against N(0, diag(4, 1, ..., 1)) (FD = 1
each, as the coverage table's family); and near the null, |mu| = 0.2 (FD = 0.04). With
``--difference``: the triple R = N(0, I), A = N(0.1 e, I) spread over all coordinates
(|mu_A| = 0.5), B = N(mu_B, I) with |mu_B| = 1, D = FD(A, R) - FD(B, R) = 0.25 - 1 = -0.75
(``--ra`` sets |mu_A|: 0.9 gives D = -0.19); and a null triple (A and B of one law, D = 0),
reporting how often the p-value of "A is no better than B" fell at or below 0.05.

Both ends' misses are reported apart: a 95% interval may miss at most 2.5% an end in
principle; the issue's bar is 3.5%.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy.linalg import blas

from divergences.estimate import NoCoverageWarning
from divergences.estimate._src.comparison.frechet_difference import difference_interval
from divergences.estimate._src.frechet.distance import interval, paired_parts
from divergences.estimate._src.frechet.first_order import KEPT_DRAWS
from divergences.estimate._src.frechet.groups import MEASURED_BATCHES
from divergences.estimate._src.reading import BatchMoments, Moments, merge


def scatter(rng: np.random.Generator, k: int, d: int, scale: np.ndarray) -> np.ndarray:
    r"""A draw of :math:`W_d(k, \mathrm{diag}(scale^2))`."""
    if k >= d:
        a = np.tril(rng.standard_normal((d, d)), -1)
        a[np.diag_indices(d)] = np.sqrt(rng.chisquare(k - np.arange(d)))
        w = blas.dsyrk(1.0, a)  # upper triangle of A A^T
        w = np.triu(w) + np.triu(w, 1).T
    else:
        g = rng.standard_normal((k, d))
        w = g.T @ g
    return w * scale[:, None] * scale[None, :]


def batch_moments(
    rng: np.random.Generator,
    n: int,
    mean: np.ndarray,
    scale: np.ndarray,
    b: int,
    kept: int = 0,
) -> tuple[BatchMoments, np.ndarray | None]:
    """``b`` batches' moments of ``n`` draws, and ``kept`` of the draws themselves (or None).

    Each batch's kept draws (its share of ``kept``) are drawn as rows, the rest of the batch as
    its moments' law, and the two merged: the batch's moments have the law of ``k`` draws', and
    the kept rows are a uniform subsample of the sample's, as the library's reading keeps.
    """
    d = mean.shape[0]
    sizes = [n // b + (1 if i < n % b else 0) for i in range(b)]
    shares = [kept // b + (1 if i < kept % b else 0) for i in range(b)]
    parts, rows = [], []
    for k, c in zip(sizes, shares, strict=True):
        c = k if k - c < 2 else c  # a batch of fewer draws than its share: all kept
        part = None
        if k > c:
            part = Moments(
                k - c,
                mean + scale * rng.standard_normal(d) / math.sqrt(k - c),
                scatter(rng, k - c - 1, d, scale),
                None,
            )
        if c:
            own = mean + scale * rng.standard_normal((c, d))
            rows.append(own)
            centre = own.mean(axis=0)
            part = merge(part, Moments(c, centre, None, own - centre), d)
        assert part is not None
        parts.append(part)
    return BatchMoments(tuple(parts), 0, d), np.concatenate(rows) if rows else None


def laws(d: int) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    mu = np.full(d, 1.0 / math.sqrt(d))
    wide = np.ones(d)
    wide[0] = 2.0
    return {
        "N(0,I) vs N(mu,I), |mu|=1": (mu, np.ones(d), 1.0),
        "N(0,I) vs N(0,diag(4,1,...,1))": (np.zeros(d), wide, 1.0),
        "N(0,I) vs N(mu,I), |mu|=0.2 (near the null)": (0.2 * mu, np.ones(d), 0.04),
    }


ALPHA = 0.05


def differences(args: argparse.Namespace, rng: np.random.Generator) -> None:
    """The ``--difference`` rows: a triple with a closed-form difference and a null one."""
    d, n, b, g = args.d, args.n, MEASURED_BATCHES, args.groups
    zero, ones = np.zeros(d), np.ones(d)
    cases = {
        f"R=N(0,I), A=N(mu_A,I) |mu_A|={args.ra:g}, B=N(mu_B,I) |mu_B|=1": (args.ra, 1.0),
        "R=N(0,I), A and B=N(mu,I) |mu|=1 (null)": (1.0, 1.0),
    }
    for name, (ra, rb) in cases.items():
        truth = ra**2 - rb**2
        low = high = rejects = done = 0
        widths, errors = [], []
        start = time.perf_counter()
        for _ in range(args.reps):
            if time.perf_counter() - start > args.seconds:
                break
            br, kr = batch_moments(rng, n, zero, ones, g, args.kept)
            ba, ka = batch_moments(rng, n, np.full(d, ra / math.sqrt(d)), ones, g, args.kept)
            bb, kb = batch_moments(rng, n, np.full(d, rb / math.sqrt(d)), ones, g, args.kept)
            both = ((ka, kr), (kb, kr)) if args.kept else (None, None)
            pa, pb = (
                paired_parts(m, br, b, k, seed=done) for m, k in zip((ba, bb), both, strict=True)
            )
            value, half, p, _ = difference_interval(pa, pb, b, ALPHA)
            low += truth < value - half
            high += truth > value + half
            rejects += p <= ALPHA
            widths.append(2 * half)
            errors.append(value - truth)
            done += 1
            if done % 20 == 0:  # a tally, so that a run cut short keeps what it measured
                print(
                    f"# {name}: {done} done, {low} low, {high} high, {rejects} p <= alpha",
                    flush=True,
                )
        print(
            f"| difference, {g} groups | {name} | {d} | {n} | {done - low - high}/{done} = "
            f"{(done - low - high) / done:.3f} | {low / done:.3f} | {high / done:.3f} | "
            f"{np.mean(errors):+.4f} | {np.median(widths):.4g} | {ratio(widths, errors):.2f} | "
            f"{rejects / done:.3f} |",
            flush=True,
        )


def ratio(widths: list[float], errors: list[float]) -> float:
    """The mean width over the ideal one, 2 z_(1 - alpha/2) times the errors' spread."""
    return float(np.mean(widths)) / (2.0 * 1.959963984540054 * float(np.std(errors, ddof=1)))


def distances(args: argparse.Namespace, rng: np.random.Generator) -> None:
    """FD's rows: each pair of :func:`laws` whose name holds ``--only``."""
    d, n, b, g = args.d, args.n, MEASURED_BATCHES, args.groups
    zero, ones = np.zeros(d), np.ones(d)
    for name, (mean, scale, truth) in laws(d).items():
        if args.only not in name:
            continue
        low = high = done = 0
        widths, errors = [], []
        start = time.perf_counter()
        for _ in range(args.reps):
            if time.perf_counter() - start > args.seconds:
                break
            bx, kx = batch_moments(rng, n, zero, ones, g, args.kept)
            by, ky = batch_moments(rng, args.m or n, mean, scale, g, args.kept)
            kept = None if kx is None or ky is None else (kx, ky)
            parts = paired_parts(bx, by, b, kept, seed=done)
            lo, _, hi = interval(parts, b, ALPHA)
            low += truth < lo
            high += truth > hi
            widths.append(hi - lo)
            errors.append(parts.value - truth)  # the estimate before its cut at 0
            done += 1
            if done % 20 == 0:  # a tally, so that a run cut short keeps what it measured
                print(f"# {name}: {done} done, {low} low, {high} high", flush=True)
        secs = (time.perf_counter() - start) / max(done, 1)
        print(
            f"| `frechet`, {g} groups | {name}, d={d}{f', m={args.m}' if args.m else ''} | {d} | "
            f"{n} | {done - low - high}/{done} = "
            f"{(done - low - high) / done:.3f} | {low}/{high} | {np.mean(errors):+.4f} | "
            f"{np.median(widths):.4g} | {ratio(widths, errors):.2f} | {secs:.2f} s a repetition |",
            flush=True,
        )


def products(args: argparse.Namespace, rng: np.random.Generator) -> None:
    """The ``--products`` rows: :func:`frechet_difference` on real draws of non-Gaussian laws.

    R = U[-sqrt 3, sqrt 3]^d and A, B = (Exp(1) - 1 + c)^d, all with covariance I, so that
    FD(A, R) - FD(B, R) = d (c_a^2 - c_b^2) (the Gaussian fits differ in their means only);
    c_a = 0.2, c_b = 0.3, and a null triple with c_a = c_b = 0.3.
    """
    from divergences.estimate import frechet_difference
    from divergences.estimate._src.frechet import groups as module

    d, n, root3 = args.d, args.n, math.sqrt(3.0)
    # the library's variance groups in this d (4: the batches' interval), whatever its range
    module.GROUPS = args.groups
    module.GROUPS_FROM, module.GROUPS_UP_TO = (
        min(module.GROUPS_FROM, d),
        max(module.GROUPS_UP_TO, d),
    )
    for ca, cb in ((0.2, 0.3), (0.3, 0.3)):
        truth = d * (ca**2 - cb**2)
        low = high = rejects = done = 0
        widths, errors = [], []
        for _ in range(args.reps):
            r = rng.uniform(-root3, root3, (n, d))
            a = rng.exponential(size=(n, d)) - 1.0 + ca
            b = rng.exponential(size=(n, d)) - 1.0 + cb
            out = frechet_difference(r, a, b, seed=int(rng.integers(2**31)))
            low += truth < out.difference.lower_bound
            high += truth > out.difference.upper_bound
            rejects += out.p_value is not None and out.p_value <= ALPHA
            widths.append(out.difference.upper_bound - out.difference.lower_bound)
            errors.append(out.difference.value - truth)
            done += 1
        print(
            f"| FD difference | R=U[-sqrt3,sqrt3]^d, A, B=(Exp(1)-1+c)^d, c_a={ca:g}, c_b={cb:g} | "
            f"{d} | {n} | {done - low - high}/{done} = {(done - low - high) / done:.3f} | {low} | "
            f"{high} | {np.mean(errors):+.4f} | {np.median(widths):.4g} | "
            f"{ratio(widths, errors):.2f} | {rejects / done:.3f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--d", type=int, required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--m", type=int, default=0, help="the second sample's size (--n)")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difference", action="store_true")
    parser.add_argument(
        "--groups", type=int, default=MEASURED_BATCHES, help="variance groups (4: the batches)"
    )
    parser.add_argument("--ra", type=float, default=0.5, help="|mu_A| of the difference's triple")
    parser.add_argument(
        "--kept", type=int, default=KEPT_DRAWS, help="draws kept a sample (0: the batches')"
    )
    parser.add_argument("--products", action="store_true", help="real non-Gaussian draws")
    parser.add_argument("--only", default="", help="run the pairs whose name holds this text")
    args = parser.parse_args()
    rng = np.random.default_rng([args.seed, args.d, args.n])

    warnings.simplefilter("ignore", NoCoverageWarning)
    (products if args.products else differences if args.difference else distances)(args, rng)


if __name__ == "__main__":
    main()
