r"""MMD^2_u's normal interval from its kernel sums, and when it is claimed.

The sums of :mod:`.sums` (the statistic, each relabelling's, and the row sums of the
observed labels) give the plug-in first-order variance of the unbiased statistic (Sutherland et
al. 2017; Liu et al. 2020), the normal interval on the square-root scale (:func:`normal_interval`,
its lower end gated by the permutation test of the same pass), the rule that says the draws look
dependent (:func:`looks_dependent`), and the claim (:func:`claimed`): the one path of
:func:`~divergences.estimate.mmd_squared`'s normal interval, :func:`~divergences.estimate.kid`
and their command rows.

References:
  Sutherland et al., *Generative models and model criticism via optimized maximum mean
  discrepancy*, ICLR 2017. Liu et al., *Learning deep kernels for non-parametric two-sample
  tests*, ICML 2020.
"""

from __future__ import annotations

import math

import numpy as np

from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.concentration import normal_quantile, widen
from divergences.estimate._src.kernel.sums import PERMUTATIONS, SEED, KernelSums
from divergences.estimate._src.result import Estimate, withheld

__all__ = [
    "DEPENDENT",
    "NORMAL_METHOD",
    "claimed",
    "first_order_variance",
    "looks_dependent",
    "normal_interval",
]

#: How :func:`normal_interval` is built, in words (an estimate's ``method``).
NORMAL_METHOD = (
    "normal interval from the plug-in first-order variance (row sums of the kernel matrix) "
    "on the square-root scale, "
    f"0 left out only where the permutation test ({PERMUTATIONS} relabellings, seed {SEED}) "
    "rejects at alpha/2"
)


def first_order_variance(rows: np.ndarray, n: int, m: int) -> float:
    r"""The plug-in first-order variance of MMD^2_u (the observed labels: ``x`` first).

    The Hoeffding projection of MMD^2_u is
    :math:`\tfrac2n\sum_i f(x_i) + \tfrac2m\sum_j g(y_j)` (centred), with
    :math:`f(x) = \mathbb E\,k(x, X') - \mathbb E\,k(x, Y)` and
    :math:`g(y) = \mathbb E\,k(y, Y') - \mathbb E\,k(X, y)`, so
    :math:`\mathrm{Var} = 4\,\mathrm{Var} f(X)/n + 4\,\mathrm{Var} g(Y)/m + O(1/n^2)`. Each
    :math:`f(x_i)` is estimated by its row means, :math:`\hat f_i = \sum_{j \ne i} k(x_i,
    x_j)/(n-1) - \sum_j k(x_i, y_j)/m`, and the variances by the sample variances of
    :math:`\hat f` and :math:`\hat g`. The row means' own noise adds :math:`O(1/n^2)`, the order
    of the second-order term: under ``P == Q``, where ``f`` is constant and the statistic
    degenerate, the estimate is :math:`O(1/n^2)` as the statistic's variance is.
    """
    every, on_x = rows[:, 0], rows[:, 1]
    f = on_x[:n] / (n - 1) - (every[:n] - on_x[:n]) / m
    g = (every[n:] - on_x[n:]) / (m - 1) - on_x[n:] / n
    return 4.0 * float(np.var(f, ddof=1)) / n + 4.0 * float(np.var(g, ddof=1)) / m


def _raw_ends(
    sums: KernelSums, n: int, m: int, alpha: float, unit: float, symmetric: bool = False
) -> tuple[float, float]:
    r"""The normal interval's ends on the square-root scale, before the cuts, in the kernel's units.

    With :math:`U` the statistic, :math:`s` its first-order standard error and :math:`t = z s /
    2`: for :math:`U \ge t`, the interval :math:`\sqrt U \pm z s / (2 \sqrt U)` of
    :math:`\sqrt{\mathrm{MMD}^2}` squared back, :math:`U \pm z s + z^2 s^2 / (4U)`; below, the
    lower end 0 and the upper end :math:`U + 3t`, continuing the first's upper end (at its
    least, :math:`4t`, where :math:`U = t`) with slope 1. Near the null the statistic's variance
    grows in proportion to MMD^2 (the first-order variance is :math:`4 \mathrm{Var} f / n`, the
    witness ``f`` proportional to the laws' distance along any smooth path, MMD^2 to its
    square), so the square root steadies it; the symmetric interval's upper end, where a low
    statistic comes with a low variance estimate (their correlation 0.98 between N(0, I) and
    N(0.12 e1, I) in d = 6, bandwidth 2, n = 2000), fell below the truth in 6.25% of 400
    repetitions, this one's in 1%. Both ends are widened by the rounding bound; ``symmetric``
    gives :math:`U \pm z s` instead.
    """
    stat = sums.value * unit
    spread = math.sqrt(max(first_order_variance(sums.rows, n, m), 0.0)) * unit
    z = -normal_quantile(alpha / 2.0)  # not of 1 - alpha/2, which rounds to 1 (z = inf) below 2^-52
    rounding, half = widen(sums.error * unit), widen(z * spread)
    if symmetric:
        return stat - half - rounding, stat + half + rounding
    if stat > 0.0 and stat >= half / 2.0:
        root, step = math.sqrt(stat), half / (2.0 * math.sqrt(stat))
        return (root - step) ** 2 - rounding, widen((root + step) ** 2) + rounding
    return -math.inf, widen(stat + 1.5 * half) + rounding


def normal_interval(
    sums: KernelSums, n: int, m: int, alpha: float, unit: float, top: float
) -> tuple[float, float, float]:
    r"""``(value, lower, upper)``: the asymptotic normal interval of MMD^2_u, honest at ``P == Q``.

    The normal interval :math:`z_{1-\alpha/2} \sqrt{\hat V}` (:func:`first_order_variance`)
    on the square-root scale (:func:`_raw_ends`), widened by the rounding bound and cut to
    ``[0, top]``. Its lower end is above 0 only where the permutation test of the same pass
    (``sums.stats[1:]``, :data:`PERMUTATIONS` seeded relabellings) rejects ``P == Q`` at
    ``alpha / 2``, the lower end's own error; so under the null it leaves out 0 with
    probability at most ``alpha / 2`` at every sample size, where the degenerate statistic is
    far from normal. ``unit`` multiplies the sums (the kernel's scale).
    """
    stat = sums.value * unit
    low, high = _raw_ends(sums, n, m, alpha, unit)
    exceed = int(np.count_nonzero(sums.stats[1:] >= sums.stats[0]))
    rejects = (1 + exceed) / (1 + sums.stats.size - 1) <= alpha / 2.0
    value = min(max(stat, 0.0), top)
    lower = min(max(low, 0.0), value) if rejects else 0.0
    upper = max(min(high, top), value)
    return value, lower, upper


#: The permutation test's lower tail at which draws are said to look dependent.
DEPENDENT_LEVEL = 0.01
#: What a statistic below its relabellings' most often means, in words.
DEPENDENT = (
    "the draws look dependent: MMD^2_u = {stat:.4g}, its whole interval below 0{how}, where "
    "independent draws give a statistic whose interval holds MMD^2 >= 0; the usual cause is "
    "two samples that share their points (a noisy copy of the same points, reconstructions "
    "against their inputs, a model's outputs against its training draws): give independent "
    "draws of each law"
)


def looks_dependent(sums: KernelSums, n: int, m: int, alpha: float, unit: float) -> str:
    """Why the draws look dependent (:data:`DEPENDENT`), or ``""``.

    Where the symmetric normal interval's upper end :math:`U + z s`, before the cut at 0, is
    below 0 and the permutation
    test's lower tail rejects at :data:`DEPENDENT_LEVEL` (or ``alpha / 2`` where smaller): the
    statistic lies below all but a few of its relabellings. Under independent draws of equal
    laws the relabellings are exchangeable with it, so this happens with probability at most
    that level, and less where the laws differ (the statistic moves up).
    """
    stat = sums.value * unit
    below = int(np.count_nonzero(sums.stats[1:] <= sums.stats[0]))
    lowest = (1 + below) / sums.stats.size <= min(alpha / 2.0, DEPENDENT_LEVEL)
    if not lowest or _raw_ends(sums, n, m, alpha, unit, symmetric=True)[1] >= 0.0:
        return ""
    how = f" and below {sums.stats.size - 1 - below} of its {sums.stats.size - 1} relabellings"
    return DEPENDENT.format(stat=stat, how=how)


def claimed(
    estimate: Estimate,
    estimator: str,
    d: int,
    plug_in: bool,
    top: float,
    dependent: str = "",
    *,
    stacklevel: int | None = 4,
) -> Estimate:
    """``estimate`` (kind ``"asymptotic"``) as claimed: where measured, and its kernel fixed.

    Draws that look dependent (``dependent``, :func:`looks_dependent`'s reason) and a range
    outside :data:`~divergences.estimate.ASYMPTOTIC_CLAIMS` give ``"no-coverage-claim"``, the
    ends ``[0, top]`` (MMD^2's range), and a :class:`NoCoverageWarning` saying why; a kernel
    read off the draws gives ``"plug-in-assumption"``. ``stacklevel`` is :func:`withheld`'s;
    None: no warning (the caller's own result warns for this one).
    """
    n = min(estimate.n, estimate.m)
    if not dependent and plug_in:
        return estimate._replace(kind="plug-in-assumption")
    why = dependent or ASYMPTOTIC_CLAIMS[estimator].refusal(d, n)
    if not why:
        return estimate
    return withheld(estimate, 0.0, top, why, stacklevel=stacklevel or 0, warn=bool(stacklevel))
