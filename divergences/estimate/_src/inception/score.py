r"""The Inception score with an interval, from a classifier's class probabilities on the draws.

With :math:`c(x) = p(y \mid x)` the class probabilities of a generated draw and
:math:`p = \mathbb E\, c(X)` their mean, :math:`\log \mathrm{IS} = I =
\mathbb E\,\mathrm{KL}(c(X) \,\|\, p)` (Salimans et al. 2016). From ``N`` rows the plug-in
:math:`\hat I = \tfrac1N \sum_i \mathrm{KL}(c_i \,\|\, \hat p)` is a smooth function of
sample means whose influence function is :math:`\mathrm{KL}(c(x) \,\|\, p) - I` (the
derivative through :math:`\hat p` vanishes: both sum to one), so
:math:`\sqrt N(\hat I - I) \to N(0, \mathrm{Var}\,\mathrm{KL}(c(X) \,\|\, p))` (the delta
method). Its bias, :math:`-\tfrac{1}{2N}\sum_k \mathrm{Var}\,c_k(X)/p_k + O(N^{-2})` (the
second-order term of :math:`H(\hat p)`), is added back.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy.special import rel_entr

from divergences._src.domain import check_pmf
from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.concentration import normal_quantile, widen
from divergences.estimate._src.result import Estimate, withheld

__all__ = ["InceptionScore", "inception_score"]

#: The fewest rows' worth of probability, ``N p_k``, a class holds where IS's interval claims.
#: Below it (a generator collapsed onto other classes, the rest leaking in rarely) a few rows of
#: the thin class carry KL terms far above the others', and the normal interval's upper end
#: missed in up to 13.2% of 1000 repetitions (``benchmarks/estimate_coverage.md``, "The
#: Inception score under collapse").
THIN_CLASS_ROWS = 50.0

_SPLITS_NOTE = (
    "the mean and standard deviation of IS over {splits} splits of the rows (Salimans et al. "
    "2016, the number papers print) are not an interval for IS: each split's score is the "
    "plug-in on N/{splits} rows, biased low by about ten times the whole set's bias, and their "
    "spread is that of a tenth of the rows, not of the score's estimate"
)


class InceptionScore(NamedTuple):
    """The Inception score's estimate, with the numbers papers print beside it.

    Attributes:
      estimate: the :class:`Estimate` of IS (quantity ``"IS"``), its interval the delta
        method's for ``log IS`` mapped through ``exp``; its ``plug_in`` is
        ``dv.inception_score`` of all the rows, the score without its bias correction.
      splits_mean: the mean of the plug-in IS over ``splits`` equal splits of the rows, in order.
      splits_std: their standard deviation (``ddof = 0``, as practitioners' code computes it).
      splits: the number of splits.
      note: what the split numbers are not, in words.
    """

    estimate: Estimate
    splits_mean: float
    splits_std: float
    splits: int
    note: str


def _thin(p: np.ndarray, rows: int) -> str:
    """Why IS claims nothing where a class holds under :data:`THIN_CLASS_ROWS` rows, or ``""``."""
    counts = rows * p
    if counts.min() >= THIN_CLASS_ROWS:
        return ""
    k = int(np.argmin(counts))
    thin = int(np.count_nonzero(counts < THIN_CLASS_ROWS))
    return (
        f"class {k} holds {counts[k]:.3g} rows' worth of probability (N p_k), and {thin} "
        f"class(es) fewer than {THIN_CLASS_ROWS:g}: a generator collapsed onto the other "
        "classes, whose rare rows in a thin class carry KL terms far above the rest; there "
        "the interval's upper end was measured to miss in up to 13.2% of repetitions "
        '(benchmarks/estimate_coverage.md, "The Inception score under collapse")'
    )


def _log_score(c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(I_hat, KL(c_i || p_hat) per row, p_hat)`` in float64."""
    p = c.mean(axis=0)
    kl = np.sum(rel_entr(c, p[None, :]), axis=1)
    return float(np.mean(kl)), kl, p


@runs_on_host
def inception_score(probabilities: Any, *, level: Any = 0.95, splits: Any = None) -> InceptionScore:
    r"""The Inception score of a generator from its draws' class probabilities, with an interval.

    :math:`\mathrm{IS} = \exp \mathbb E\,\mathrm{KL}(p(y \mid x) \,\|\, p(y))` (Salimans et al.
    2016), estimated from ``N`` rows of class probabilities (a classifier's softmax on ``N``
    generated draws): :math:`\hat I` (the module's formula) plus its bias correction
    :math:`\tfrac{1}{2N}\sum_k \widehat{\mathrm{Var}}\,c_k / \hat p_k`, the interval
    :math:`\hat I \pm z_{1-\alpha/2}\, \hat\sigma / \sqrt N` with :math:`\hat\sigma` the sample
    standard deviation of :math:`\mathrm{KL}(c_i \,\|\, \hat p)`, and both mapped by
    ``exp``. Asymptotic; claimed from 100 rows a class (``ASYMPTOTIC_CLAIMS["inception_score"]``)
    where every class holds at least :data:`THIN_CLASS_ROWS` rows' worth of probability
    (:math:`N \hat p_k`: not a generator collapsed onto some classes). Beside it,
    the 10-split mean ± std that papers print, which is not an interval (``note``).

    Args:
      probabilities: ``(N, K)``, each row a pmf over the ``K`` classes, ``N >= 2``: one row per
        generated draw, independent draws.
      level: the interval's coverage, in ``(0, 1)``.
      splits: the number of splits for the printed mean ± std, an integer in ``[1, N]``;
        ``None``: 10 (or ``N`` where fewer rows).

    Returns:
      An :class:`InceptionScore`: the estimate (``"asymptotic"``, two-sided, where
      ``N >= 100 K`` and no class is thin; else ``"no-coverage-claim"``, the ends ``[1, K]``, with a
      :class:`NoCoverageWarning`; its ``plug_in`` the score without the bias correction), and
      the splits' mean and std.

    Raises:
      ValueError: where ``probabilities`` is not a 2-D array of rows that are pmfs (finite,
        non-negative, summing to one within the dtype's tolerance), has fewer than 2 rows, or
        ``level`` or ``splits`` is bad.

    References:
      Salimans et al., *Improved Techniques for Training GANs*, NeurIPS 2016. Barratt &
      Sharma, *A Note on the Inception Score*, 2018 (what the splits' std is not).

    Example:
      >>> import numpy as np
      >>> from divergences.estimate import inception_score
      >>> rng = np.random.default_rng(0)
      >>> rows = np.eye(10)[rng.integers(0, 10, 5000)] * 0.9 + 0.01  # confident, balanced
      >>> out = inception_score(rows)  # exact: exp(0.91 log 9.1 + 0.09 log 0.1) = 6.063
      >>> out.estimate.lower_bound < 6.063 < out.estimate.upper_bound
      True
    """
    c = np.asarray(check_pmf(probabilities, "probabilities", axis=-1), np.float64)
    if c.ndim != 2:
        raise ValueError(f"probabilities must be a 2-D array (N, K), got shape {c.shape}")
    rows, classes = c.shape
    if rows < 2:
        raise ValueError(f"probabilities must hold at least 2 rows (draws), got {rows}")
    if splits is None:
        count = min(10, rows)
    else:
        count = integer_option(splits, "splits", note="the printed splits")
    if count > rows:
        raise ValueError(f"splits must be at most the number of rows, {rows}, got {count}")
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    c = c / c.sum(axis=1, keepdims=True)  # rows within the tolerance, made exact
    plug, kl, p = _log_score(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = float(np.sum(np.where(p > 0.0, c.var(axis=0, ddof=1) / p, 0.0))) / (2.0 * rows)
    centre = min(max(plug + bias, 0.0), math.log(classes))
    spread = float(np.std(kl, ddof=1)) / math.sqrt(rows)
    half = widen(-normal_quantile(alpha / 2.0) * spread + 8.0 * classes * np.finfo(float).eps)
    low, high = max(centre - half, 0.0), min(centre + half, math.log(classes))
    pieces = [_log_score(part)[0] for part in np.array_split(c, count)]
    scores = np.exp(pieces)
    estimate = Estimate(
        value=math.exp(centre),
        lower_bound=min(math.exp(low), math.exp(centre)),
        upper_bound=max(math.exp(high), math.exp(centre)),
        level=float(level),
        kind="asymptotic",
        sides="two-sided",
        assumption="independent draws; the classifier fixed before them",
        method=(
            "Inception score exp(mean KL(c_i || p_hat)) plus its O(1/N) bias correction, "
            "normal interval for log IS from the rows' KL spread (the delta method), float64"
        ),
        n=rows,
        m=0,
        quantity="IS",
        plug_in=math.exp(plug),
    )
    if reason := ASYMPTOTIC_CLAIMS["inception_score"].refusal(classes, rows) or _thin(p, rows):
        estimate = withheld(estimate, 1.0, float(classes), reason)
    return InceptionScore(
        estimate=estimate,
        splits_mean=float(np.mean(scores)),
        splits_std=float(np.std(scores)),
        splits=count,
        note=_SPLITS_NOTE.format(splits=count),
    )
