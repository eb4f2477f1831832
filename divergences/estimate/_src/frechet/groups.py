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
from divergences.estimate._src.frechet.first_order import KEPT_DRAWS

__all__ = [
    "FIRST_ORDER_FROM",
    "GROUPS",
    "GROUPS_FROM",
    "GROUPS_UP_TO",
    "MEASURED_BATCHES",
    "frechet_difference_refusal",
    "frechet_refusal",
    "kept_draws",
    "runs_first_order",
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


#: The smallest dimension whose interval is the delta method's on kept draws (:mod:`.first_order`),
#: in every dimension above. Below it the jackknife over :data:`GROUPS` groups, the batches
#: weighted by size, held each end (at most 3.4% of 1000 repetitions in d = 8 and 32) within
#: 1.23 of the ideal width away from FD = 0; from d = 64 it counts the pairs' part about twice
#: (1.24 to 1.50 of the ideal width up to d = 256) and from d = 768 the batches' 3 degrees of
#: freedom gave 1.9 to 2.3 (``benchmarks/estimate_coverage.md``, "FD's interval by the delta
#: method on kept draws"). Near FD = 0, where the pairs' part is most of the variance, the
#: jackknife's interval is 1.45 to 1.55 times the ideal one cut at 0 in d = 8 to 48 at FD = 0
#: (1.18 to 1.39 at FD = 0.04); the delta method's was 1.07 to 1.19 (1.07 to 1.13), but its ends
#: missed over 3.5% on tilted ReLU features in d = 32 and elliptical t(20) draws in d = 48 (1200
#: repetitions a cell), so it starts at 64 (``estimate_coverage.md``, "FD near FD = 0").
FIRST_ORDER_FROM = 64


def runs_first_order(d: int, b: int) -> bool:
    """Whether FD's interval in ``d`` dimensions with ``b`` batches is the delta method's."""
    return b == MEASURED_BATCHES and d >= FIRST_ORDER_FROM


def kept_draws(b: int) -> Callable[[int], int]:
    """The draws a sample keeps for the delta method, as a function of its dimension."""
    return lambda d: KEPT_DRAWS if runs_first_order(d, b) else 0


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
