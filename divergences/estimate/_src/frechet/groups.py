"""FD's variance groups and its claim's batches: how ``frechet`` reads a sample, and where it claims.

The rule is FD's own: the number of batches the coverage table measured (4), the variance groups
a sample is read through where the jackknife over them was measured (32 groups, d = 8 to 256),
and the refusals of :func:`~divergences.estimate.frechet` and
:func:`~divergences.estimate.frechet_difference`, which add the batches' rule to the claims
table's ranges (:data:`~divergences.estimate.ASYMPTOTIC_CLAIMS`).
"""

from __future__ import annotations

from collections.abc import Callable

from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS, TABLE_FILE
from divergences.estimate._src.frechet.second_order import KEPT_DRAWS

__all__ = [
    "GROUPS",
    "GROUPS_FROM",
    "GROUPS_UP_TO",
    "MEASURED_BATCHES",
    "PAIRS_FROM",
    "corrects_pairs",
    "frechet_difference_refusal",
    "frechet_refusal",
    "kept_draws",
    "variance_groups",
]

#: The number of batches FD's coverage was measured with; another claims no coverage.
MEASURED_BATCHES = 4

#: The variance groups a sample is read through where the jackknife's interval was measured
#: (``B = 4`` extrapolation batches, each the union of ``GROUPS / B`` groups).
GROUPS = 32
#: The dimensions the jackknife over :data:`GROUPS` groups was measured to hold in (d = 8 to 256,
#: ``estimate_coverage.md``): in d = 2 its upper end missed 4.5% of 400 at n = 1000 (the
#: interval there is as narrow as the ideal, and FD's skew shows), and above 256 it was not run
#: (the claims there start at 5000 draws). Outside, the groups are the batches and the interval
#: the batches' Student one.
GROUPS_FROM, GROUPS_UP_TO = 8, 256


def variance_groups(d: int, b: int) -> int:
    """How many variance groups ``frechet`` reads a sample through, in ``d`` with ``b`` batches.

    :data:`GROUPS` where the coverage table measured the jackknife over them (``b`` the measured
    number of batches and ``GROUPS_FROM <= d <= GROUPS_UP_TO``); elsewhere the batches themselves (the
    batches' Student interval). Keep the batches only where they are measured to be needed.
    """
    return GROUPS if b == MEASURED_BATCHES and GROUPS_FROM <= d <= GROUPS_UP_TO else b


#: The smallest dimension whose jackknife is corrected for its double count of FD's pairs'
#: part (:mod:`.second_order`), up to :data:`GROUPS_UP_TO`. Where the jackknife runs, the
#: extrapolation weighs its batches by their shares of the draws (``distance._shares``), which
#: the pairs' weights model. By size alone, each end missed at most 3.4% of 1000 repetitions
#: in d = 8 and 32 and the width was 0.71 to 1.23 of the ideal up to d = 48, against up to
#: 1.44 with equal weights; in d = 64 it reached 1.27 and in d = 128 to 256 1.50. Corrected,
#: the width there is 1.09 to 1.28 with each end within 3.2%; below d = 64 the correction's
#: upper end missed up to 6.3% (``benchmarks/estimate_coverage.md``, "FD's jackknife with the
#: batches weighted by size" and "FD's jackknife less its double count of the pairs").
PAIRS_FROM = 64


def corrects_pairs(d: int, b: int) -> bool:
    """Whether FD's jackknife in ``d`` dimensions with ``b`` batches is corrected by the pairs."""
    return variance_groups(d, b) > b and d >= PAIRS_FROM


def kept_draws(b: int) -> Callable[[int], int]:
    """The draws a sample keeps for the pairs' part, as a function of its dimension."""
    return lambda d: KEPT_DRAWS if corrects_pairs(d, b) else 0


def frechet_refusal(d: int, n: int, b: int) -> str:
    """Why FD's interval with ``b`` batches claims nothing at ``(d, n)``; ``""`` where it claims."""
    if b != MEASURED_BATCHES:
        return (
            f"frechet's interval is measured with batches={MEASURED_BATCHES} only "
            f"({TABLE_FILE}), here batches={b}"
        )
    return ASYMPTOTIC_CLAIMS["frechet"].refusal(d, n)


def frechet_difference_refusal(d: int, n: int, b: int) -> str:
    """Why :func:`frechet_difference` claims nothing at ``(d, n)``, ``n`` the smallest sample."""
    if why := frechet_refusal(d, n, b):
        return f"frechet claims none for A or B against the reference here: {why}"
    return ASYMPTOTIC_CLAIMS["frechet_difference"].refusal(d, n)
