"""Where FD's interval claims its level: the coverage table's measured ranges, as rules.

:func:`~divergences.estimate.frechet` claims coverage where ``benchmarks/estimate_coverage.md``
measured its interval (``ASYMPTOTIC_CLAIMS["frechet"]`` and :data:`WIDE_CLAIMS`, with the 4
batches measured), and :func:`~divergences.estimate.frechet_difference` where its own rows
did besides (:data:`DIFFERENCE_CLAIMS`); elsewhere :func:`refusal` and
:func:`difference_refusal` say why, in words.
"""

from __future__ import annotations

from divergences.estimate._src.result import ASYMPTOTIC_CLAIMS, unmeasured, within

__all__ = [
    "DIFFERENCE_CLAIMS",
    "MEASURED_BATCHES",
    "WIDE_CLAIMS",
    "claims",
    "difference_refusal",
    "refusal",
]


#: The number of batches the coverage table measured; another claims no coverage.
MEASURED_BATCHES = 4


#: Where the interval claims its level above ``ASYMPTOTIC_CLAIMS["frechet"]``'s dimensions:
#: ``(largest d, smallest n)`` rules, each measured from the batches' exact Gaussian statistics
#: (means and Wishart scatters, ``benchmarks/bench_frechet_coverage.py``;
#: ``estimate_coverage.md``, "FD where FID lives"): d <= 768 from 5000 draws (0.96 to 1.00 at
#: n = 5000, 10^4 and 5 x 10^4, each end missing at most 2.8%), and d <= 2048 from 10^4 draws
#: (d = 1024 at 10^4 and 5 x 10^4: 0.98 to 0.99; d = 2048 at 10^4: 0.990 and 0.995 over 200 and
#: 209 repetitions, and at 5 x 10^4: 0.98 and 0.995; each end missing at most 1.5%).
WIDE_CLAIMS = ((768, 5000), (2048, 10_000))


#: Where :func:`frechet_difference` claims its level, ``(largest d, smallest n)`` rules, ``n`` the
#: smallest of the three samples, each measured at its corner (``estimate_coverage.md``, "Two
#: candidates against one reference"): d <= 256 from 1000 draws (d = 64 and 256 at 1000 and
#: 4000), d <= 768 from 5000 (200 repetitions a triple, each end at most 1.5%), d <= 2048 from
#: 10^4 (140 and 194 repetitions, each end at most 1%, the null's p-value at most 0.05 in 1.5%).
#: Where a distance claims its level but the difference was not measured, the difference claims
#: nothing.
DIFFERENCE_CLAIMS = ((256, 1000), (768, 5000), (2048, 10_000))


def claims(d: int, n: int) -> bool:
    """Whether FD's interval (``B = 4``) claims its level in dimension ``d`` from ``n`` draws."""
    return within((ASYMPTOTIC_CLAIMS["frechet"], *WIDE_CLAIMS), d, n)


def refusal(d: int, n: int, b: int) -> str:
    """Why FD's interval with ``b`` batches claims nothing at ``(d, n)``, in words; ``""`` where it claims."""
    if b != MEASURED_BATCHES:  # the coverage table measured B = 4 batches only
        return (
            f"frechet's interval is measured with batches={MEASURED_BATCHES} only "
            f"(benchmarks/estimate_coverage.md), here batches={b}"
        )
    if claims(d, n):
        return ""
    return unmeasured("frechet", d, n, (ASYMPTOTIC_CLAIMS["frechet"], *WIDE_CLAIMS))


def difference_refusal(d: int, n: int, b: int) -> str:
    """Why :func:`frechet_difference` claims nothing at ``(d, n)``, ``n`` the smallest sample."""
    if why := refusal(d, n, b):
        return f"frechet claims none for A or B against the reference here: {why}"
    if within(DIFFERENCE_CLAIMS, d, n):
        return ""
    return unmeasured("frechet_difference", d, n, DIFFERENCE_CLAIMS)
