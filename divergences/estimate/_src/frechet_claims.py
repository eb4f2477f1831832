"""Where FD's interval claims its level: the coverage table's measured ranges, as rules.

:func:`~divergences.estimate.frechet` claims coverage where ``benchmarks/estimate_coverage.md``
measured its interval (``ASYMPTOTIC_CLAIMS["frechet"]`` and :data:`WIDE_CLAIMS`, with the 4
batches measured), and :func:`~divergences.estimate.frechet_difference` only up to
:data:`DIFFERENCE_TOP` dimensions besides; elsewhere :func:`refusal` says why, in words.
"""

from __future__ import annotations

from divergences.estimate._src.result import ASYMPTOTIC_CLAIMS, claims_asymptotic

__all__ = ["DIFFERENCE_TOP", "MEASURED_BATCHES", "WIDE_CLAIMS", "claims", "refusal"]


#: The number of batches the coverage table measured; another claims no coverage.
MEASURED_BATCHES = 4


#: Where the interval claims its level above ``ASYMPTOTIC_CLAIMS["frechet"]``'s dimensions:
#: ``(largest d, smallest n)`` rules, each measured from the batches' exact Gaussian statistics
#: (means and Wishart scatters, ``benchmarks/bench_frechet_coverage.py``;
#: ``estimate_coverage.md``, "FD where FID lives"): d <= 768 from 5000 draws (0.96 to 1.00 at
#: n = 5000, 10^4 and 5 x 10^4, each end missing at most 2.8%), and d <= 1024 from 10^4 draws
#: (0.98 to 0.99 at 10^4 and 5 x 10^4 over 200 repetitions a cell, each end at most 1.5%), and
#: d <= 2048 from 5 x 10^4 draws (Inception's features at the usual 50,000; 200 repetitions a
#: pair, each end within 3.5%). d = 2048 at 10^4 was not run, so it is not claimed.
WIDE_CLAIMS = ((768, 5000), (1024, 10_000), (2048, 50_000))


#: The largest dimension where the coverage table measured :func:`frechet_difference` (its rows:
#: d = 64, 256 and 768): above it the difference claims nothing, even where each distance does.
DIFFERENCE_TOP = 768


def claims(d: int, n: int) -> bool:
    """Whether FD's interval (``B = 4``) claims its level in dimension ``d`` from ``n`` draws."""
    wide = any(d <= top and n >= least for top, least in WIDE_CLAIMS)
    return claims_asymptotic("frechet", d, n) or wide


def refusal(d: int, n: int, b: int) -> str:
    """Why FD's interval with ``b`` batches claims nothing at ``(d, n)``, in words; ``""`` where it claims."""
    if b != MEASURED_BATCHES:  # the coverage table measured B = 4 batches only
        return (
            f"frechet's interval is measured with batches={MEASURED_BATCHES} only "
            f"(benchmarks/estimate_coverage.md), here batches={b}"
        )
    if claims(d, n):
        return ""
    rules = (ASYMPTOTIC_CLAIMS["frechet"], *WIDE_CLAIMS)
    where = ", ".join(f"d <= {top} from n = {least}" for top, least in rules)
    return (
        f"frechet's interval is measured to hold in {where} draws "
        f"(benchmarks/estimate_coverage.md), here d = {d}, n = {n}"
    )
