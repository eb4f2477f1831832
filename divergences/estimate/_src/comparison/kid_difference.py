r"""Is model A closer to the reference than model B? KID(A, R) - KID(B, R), with the shared R.

Both KIDs are unbiased MMD^2 U-statistics against the same reference draws, so they are
correlated; two intervals side by side say nothing about their order, and a difference of two
independent intervals is too wide. The difference is one U-statistic of the three samples,

.. math::
   \hat D = \frac{\sum_{i \ne j} k(a_i, a_j)}{n(n-1)} - \frac{\sum_{i \ne j} k(b_i, b_j)}{m(m-1)}
   - \frac{2}{nN}\sum_{i, l} k(a_i, r_l) + \frac{2}{mN}\sum_{j, l} k(b_j, r_l),

(the reference's own term cancels), whose first-order variance (Bounliphone et al. 2016,
Theorem 2; Sutherland 2019) is

.. math::
   V = \frac4n \mathrm{Var}\,[\mu_A - \mu_R](A) + \frac4m \mathrm{Var}\,[\mu_B - \mu_R](B)
   + \frac4N \mathrm{Var}\,[\mu_B - \mu_A](R),

with :math:`\mu_S(x) = \mathbb E\, k(x, S)`, each estimated by the kernel matrix's row means.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import ndtr

from divergences._src.errors import runs_on_host
from divergences._src.options import level_option
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.comparison.copies import copied, copied_reason
from divergences.estimate._src.concentration import normal_quantile, widen
from divergences.estimate._src.kernel.draws import kernel_samples
from divergences.estimate._src.kernel.kid import cubic_pool, kid_checked
from divergences.estimate._src.kernel.normal_interval import claimed
from divergences.estimate._src.kernel.sums import blocked_pass, host_rounding, summed_where
from divergences.estimate._src.result import (
    Comparison,
    asymptotic_estimate,
    claimed_comparison,
    one_sided_p_values,
    withheld,
)
from divergences.estimate._src.samples import check_at_least, draws_where_they_live

__all__ = ["KidDifference", "kid_difference"]

#: The former name of :class:`~divergences.estimate.Comparison`, kept for code that imports it.
KidDifference = Comparison


def _sums_of(acc: np.ndarray, groups: tuple[slice, slice, slice]) -> np.ndarray:
    """``[S_aa, S_bb, S_ar, S_br]`` from row sums over every draw, A and B."""
    every, on_a, on_b = acc[:, 0], acc[:, 1], acc[:, 2]
    on_r = every - on_a - on_b
    ga, gb, _ = groups
    return np.array(
        [math.fsum(on_a[ga]), math.fsum(on_b[gb]), math.fsum(on_r[ga]), math.fsum(on_r[gb])]
    )


@runs_on_host
def kid_difference(
    reference: Any,
    a: Any,
    b: Any,
    *,
    level: Any = 0.95,
    subsample: Any = None,
    seed: Any = 0,
    features: Callable[[Any], Any] | None = None,
    draws: Any = None,
) -> Comparison:
    r"""KID(A, R) - KID(B, R) with an interval that accounts for the shared reference.

    One blocked pass over the cubic kernel matrix of the pooled draws (as :func:`kid`'s, its
    blocks summed in float64 and each value's rounding bounded) gives the difference
    :math:`\hat D` (the module's formula) and the row sums of its first-order variance
    :math:`\hat V`; the interval is :math:`\hat D \pm z_{1-\alpha/2}\sqrt{\hat V}`, widened by
    the rounding bound, and the p-value of "A is no better than B" (:math:`D \ge 0`) is
    :math:`\Phi((\hat D + e)/\sqrt{\hat V})` (``e`` the rounding bound). The normal
    approximation fails where all three laws are equal (the statistic is then degenerate):
    there the interval is too narrow, and the p-value means nothing.

    Args:
      reference: features of the reference law R, shape ``(N, d)``, ``N >= 2``; or a
        :class:`~divergences.estimate.Reference` (its kept subsample).
      a: features of model A's draws, shape ``(n, d)``, ``n >= 2``, independent of ``reference``.
      b: features of model B's draws, shape ``(m, d)``, ``m >= 2``.
      level: the interval's coverage, in ``(0, 1)``.
      subsample: as :func:`~divergences.estimate.kid`'s: the most draws kept a sample (a seeded
        uniform subsample, said in ``method``); each sample may be an iterable of batches.
      seed: the seed of that subsample.
      features: a map from a batch of inputs to its features, applied to each item.
      draws: ``subsample``'s former name, deprecated.

    Returns:
      A :class:`~divergences.estimate.Comparison`: the difference as an :class:`Estimate`,
      two-sided, ``"asymptotic"`` within ``ASYMPTOTIC_CLAIMS["kid_difference"]``, else ``"no-coverage-claim"`` with the
      ends ``[-inf, inf]`` and no p-value (None); the p-value; ``a`` and ``b``,
      ``kid(a, reference)``'s and ``kid(b, reference)``'s estimates on the same draws (the same
      subsample), each with its own interval and claim (the difference warns for them); and
      ``dependent``, the candidates whose draws look like copies of the reference's, by
      :func:`kid`'s check or a narrow Gaussian kernel's
      (:mod:`~divergences.estimate._src.comparison.copies`): the difference and the copier's KID
      then claim nothing, whatever their size, and say which.

    Raises:
      ValueError: for draws the shared rules refuse, fewer than 2 in a sample, or a bad
        ``level``.

    References:
      Bounliphone et al., *A test of relative similarity for model selection in generative
      models*, ICLR 2016. Sutherland, *Unbiased estimators for the variance of MMD
      estimators*, arXiv:1906.02104, 2019. Bińkowski et al., *Demystifying MMD GANs*, 2018.

    Example:
      >>> import numpy as np
      >>> from divergences.estimate import kid_difference
      >>> rng = np.random.default_rng(0)
      >>> r, a, b = (rng.normal(size=(1000, 16)) + t for t in (0.0, 0.1, 0.3))
      >>> out = kid_difference(r, a, b)  # A is the closer: the difference is below 0
      >>> out.difference.upper_bound < 0.0, out.p_value < 0.01
      (True, True)
    """
    checked = level_option(level, note="the interval's coverage")
    alpha = 1.0 - checked
    (reference, a, b), read = kernel_samples(
        ((reference, "reference"), (a, "a"), (b, "b")),
        subsample=subsample,
        seed=seed,
        features=features,
        draws=draws,
    )
    rs, xs, ys = draws_where_they_live(((reference, "reference"), (a, "a"), (b, "b")))
    for sample, name in ((rs, "reference"), (xs, "a"), (ys, "b")):
        check_at_least(sample.shape[0], 2, name, "the unbiased statistic pairs distinct draws")
    n, m, count = xs.shape[0], ys.shape[0], rs.shape[0]
    d = xs.shape[1]
    pool = cubic_pool((xs, ys, rs), ("a", "b", "reference"))
    cols = np.zeros((pool.z.shape[0], 8))
    cols[: n + m + count, 0] = 1.0
    cols[:n, 1] = 1.0
    cols[n : n + m, 2] = 1.0
    _, _, acc, inflation = blocked_pass(pool.z, cols, pool.coeffs, pool.block, "cubic", pool.cap, 3)
    acc = acc[: n + m + count]
    groups = (slice(0, n), slice(n, n + m), slice(n + m, None))
    weights = np.array([1 / (n * (n - 1)), 1 / (m * (m - 1)), 2 / (n * count), 2 / (m * count)])
    sums, bounds = _sums_of(acc[:, :3], groups), _sums_of(acc[:, 3:], groups)
    signs = np.array([1.0, -1.0, -1.0, 1.0])
    cube = pool.cube
    value = float(np.sum(signs * weights * sums)) * cube
    pairs = (pool.z.shape[0] // pool.block) * (pool.z.shape[0] // pool.block + 1) // 2
    totals = float(np.sum(weights * np.abs(sums)))
    error = widen(
        (float(np.sum(weights * bounds)) * inflation + host_rounding(pairs, len(acc), totals))
        * cube
    )
    spread = math.sqrt(max(_first_order_variance(acc, groups), 0.0)) * cube
    z = -normal_quantile(alpha / 2.0)
    half = widen(z * spread + error)
    p_value, p_b = one_sided_p_values(value, error, spread, ndtr)
    method = (
        f"unbiased KID(A,R) - KID(B,R) in one U-statistic, cubic kernel (a . b / {d} + 1)^3, "
        "normal interval from its first-order variance (Bounliphone et al. 2016), "
        f"{np.dtype(pool.z.dtype).name}{summed_where(pool.z)}"
    ) + (f"; {read}" if read else "")
    assumption = (
        "independent draws of R, A and B; the features' laws have finite sixth moments; "
        "not all three laws equal"
    )
    estimate = asymptotic_estimate(
        value,
        value - half,
        value + half,
        level=level,
        quantity="KID(A,R) - KID(B,R)",
        assumption=assumption,
        method=method,
        n=n,
        m=m,
    )
    # each KID on the same draws, as kid's; the difference's warning speaks for them
    (raw_a, dependent_a), (raw_b, dependent_b) = (
        kid_checked(xs, rs, checked, read),
        kid_checked(ys, rs, checked, read),
    )
    kid_a = claimed(raw_a, "kid", d, False, math.inf, dependent_a, stacklevel=None)
    kid_b = claimed(raw_b, "kid", d, False, math.inf, dependent_b, stacklevel=None)
    narrow, _ = copied(rs, {"a": xs, "b": ys})
    flagged = {k for k, why in (("a", dependent_a), ("b", dependent_b)) if why} | set(narrow)
    dependent = tuple(k for k in ("a", "b") if k in flagged)
    smallest = min(n, m, count)
    if dependent:
        why = copied_reason(dependent)
        estimate = withheld(estimate, -math.inf, math.inf, why)
        kid_a, kid_b = (
            e.without_claim(why, 0.0, math.inf) if k in dependent and e.claims_coverage else e
            for k, e in (("a", kid_a), ("b", kid_b))
        )
    elif reason := ASYMPTOTIC_CLAIMS["kid_difference"].refusal(d, smallest):
        estimate = withheld(estimate, -math.inf, math.inf, reason)
    return claimed_comparison(estimate, (p_value, p_b), kid_a, kid_b, dependent)


def _first_order_variance(acc: np.ndarray, groups: tuple[slice, slice, slice]) -> float:
    r"""The module's :math:`V`, in units of ``lambda^6``, from the pass's row sums.

    :math:`\frac4n \widehat{\mathrm{Var}}\,[\hat\mu_A - \hat\mu_R](A) + \frac4m
    \widehat{\mathrm{Var}}\,[\hat\mu_B - \hat\mu_R](B) + \frac4N
    \widehat{\mathrm{Var}}\,[\hat\mu_B - \hat\mu_A](R)`, each :math:`\hat\mu_S(x)` the mean of
    :math:`k(x, s)` over the draws ``s`` of ``S`` other than ``x`` (Bounliphone et al. 2016).
    """
    every, on_a, on_b = acc[:, 0], acc[:, 1], acc[:, 2]
    on_r = every - on_a - on_b
    ga, gb, gr = groups
    n, m, count = on_a[ga].size, on_b[gb].size, on_r[gr].size
    f_a = on_a[ga] / (n - 1) - on_r[ga] / count
    f_b = on_b[gb] / (m - 1) - on_r[gb] / count
    f_r = on_b[gr] / m - on_a[gr] / n
    return sum(4.0 * float(np.var(f, ddof=1)) / f.size for f in (f_a, f_b, f_r))
