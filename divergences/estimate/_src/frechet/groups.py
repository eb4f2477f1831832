"""FD's variance groups and its claim's batches: how ``frechet`` reads a sample, and where it claims.

The rule is FD's own: the number of batches the coverage table measured (4), the variance groups
a sample is read through where the jackknife over them was measured (32 groups, d = 8 to 256),
and the refusals of :func:`~divergences.estimate.frechet` and
:func:`~divergences.estimate.frechet_difference`, which add the batches' rule to the claims
table's ranges (:data:`~divergences.estimate.ASYMPTOTIC_CLAIMS`).
"""

from __future__ import annotations

from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS, TABLE_FILE

__all__ = [
    "GROUPS",
    "GROUPS_FROM",
    "GROUPS_UP_TO",
    "MEASURED_BATCHES",
    "frechet_difference_refusal",
    "frechet_refusal",
    "variance_groups",
    "weighs_by_size",
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


#: The largest dimension whose extrapolation weighs the batches by their shares of the draws
#: (``distance._shares``), where the jackknife runs (8 <= d). On the cells FD claims, over 1000
#: repetitions a cell in d = 8 (n = 1000) and d = 32 (n = 1000 and 3000) and 600 in d = 64
#: (Gaussian at FD = 0 to 1, t(8) coordinates, elliptical t(20), ReLU features), each end missed
#: at most 3.4% and the width was 0.71 to 1.19 of the ideal in d <= 32 and up to 1.27 in d = 64,
#: against up to 1.44 and 1.43 with equal weights; in d = 256 the two are alike (1.45 and 1.47),
#: so from d = 65 the batches keep equal weights. The elliptical t(8) law, whose claim
#: :mod:`.tails` withholds, missed more by size in d = 64 (16.5% against 4.7% of 600, an end
#: each) (``benchmarks/estimate_coverage.md``, "FD's jackknife with the batches weighted by
#: size").
BY_SIZE_UP_TO = 64


def weighs_by_size(d: int) -> bool:
    """Whether FD's jackknifed extrapolation in ``d`` dimensions weighs its batches by size."""
    return d <= BY_SIZE_UP_TO


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
