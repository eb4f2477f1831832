"""Coverage, bias and mean width of the intervals of divergences.estimate against the sample size.

Run from the repository root:
python benchmarks/bench_estimate_coverage.py [--full] [--only TEXT] [--sizes N,N]

Every case of the coverage family (divergences.testing.coverage_cases: each estimator on laws of
divergences.continuous with certified truths, and on Gaussians and cubes in d = 1-64 with closed
forms) is repeated over seeded independent draws at each n, and printed as one row of a Markdown
table: the coverage (covered / repetitions, with its Monte Carlo standard error), the bias of the
point estimate, the mean width of the interval (inf for a one-sided bound), NaN and negative
counts, and the verdict of divergences.testing.coverage_verdict (finite-sample: coverage at least
level - 2 s; asymptotic, returned only where claimed: at least level - 0.05; an estimate that
claims nothing, plug-in-assumption or no-coverage-claim: reported only). Where the draws refuse
the claim in some repetitions only (the k-NN KL's tails), the covered cell says how many
claimed; a refused one counts as covered (its ends are the quantity's range).

The default run is short (one case per estimator, n = 250, 20 repetitions: about a minute);
--full runs every case at n = 250, 1000 and 4000 with 200 repetitions (the exact W1 in d >= 8 or
at n = 4000 with 20, the Frechet distance in d = 256 with 50 and in d = 2048 with 10: a repetition
is seconds to minutes there), which takes hours. --only keeps
the cases whose name contains TEXT; --sizes 250,1000,5000 measures at those sizes instead.
"""

from __future__ import annotations

import argparse
import math
import time

import jax

jax.config.update("jax_enable_x64", True)

from divergences import estimate as dve  # noqa: E402
from divergences.testing.coverage_cases import (  # noqa: E402
    CASES,
    ONE_PER_ESTIMATOR,
    CaseResult,
    CoverageCase,
    run_case,
)

SHORT = ONE_PER_ESTIMATOR


def repetitions(case: CoverageCase, n: int, full: bool) -> int:
    """200 in the full run (20 for the exact W1 where a repetition is slow); 20 in the short."""
    if not full:
        return 20
    slow_w1 = case.estimator == "w1" and (case.d >= 8 or n >= 4000)
    if case.estimator == "frechet" and case.d >= 256:  # seconds a repetition
        return 10 if case.d >= 1024 else 50
    return 20 if slow_w1 else 200


def _number(x: float, digits: int = 4) -> str:
    return "inf" if math.isinf(x) else f"{x:.{digits}g}"


def row(result: CaseResult, seconds: float) -> str:
    """One Markdown row of a measured case."""
    c = result.coverage
    estimator, laws = result.case.split(" | ", 1)
    cells = [
        f"`{estimator}`",
        laws.replace("|", "\\|"),
        str(result.d),
        str(result.n),
        result.kind,
        f"{c.covered}/{c.total} = {c.rate:.3f} ± {c.mc_standard_error:.3f}"
        + ("" if result.claimed in (0, c.total) else f", claimed {result.claimed}"),
        f"{c.bias:+.4f}",
        _number(c.mean_width),
        f"{c.nan_count}/{c.negative_count}",
        result.verdict,
        f"{seconds:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| estimator | laws | d | n | kind | covered (± MC s.e.) | bias | mean width | NaN/<0 "
    "| verdict | s |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def bench_coverage(
    full: bool, only: str = "", sizes: tuple[int, ...] | None = None
) -> list[tuple[CaseResult, float]]:
    """Measures the family (every case at n = 250, 1000, 4000 if ``full``), printing each row."""
    cases = [c for c in CASES if (full or c.name in SHORT) and only in c.name]
    missing = sorted({c.estimator for c in cases if not hasattr(dve, c.estimator)})
    if missing:
        print(f"Left out (not in divergences.estimate on this checkout): {', '.join(missing)}")
    cases = [c for c in cases if hasattr(dve, c.estimator)]
    sizes = sizes or ((250, 1000, 4000) if full else (250,))
    level = 0.95
    print(f"Coverage at level {level} over seeded repetitions (seed 0).\n")
    print(HEADER, flush=True)
    results = []
    for case in cases:
        for n in sizes:
            start = time.perf_counter()
            result = run_case(case, n=n, repetitions=repetitions(case, n, full), level=level)
            seconds = time.perf_counter() - start
            print(row(result, seconds), flush=True)
            results.append((result, seconds))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every case, n = 250, 1000, 4000")
    parser.add_argument("--only", default="", help="the cases whose name contains this text")
    parser.add_argument("--sizes", default="", help="the sizes n, comma-separated (250,1000)")
    args = parser.parse_args()
    chosen = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else None
    bench_coverage(args.full, args.only, chosen)
