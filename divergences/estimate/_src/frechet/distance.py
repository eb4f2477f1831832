r"""The Frechet distance between two samples' Gaussian fits (FID), bias-corrected, with an interval.

**The quantity.** For laws :math:`P`, :math:`Q` with means :math:`\mu_x`, :math:`\mu_y` and
covariances :math:`\Sigma_x`, :math:`\Sigma_y` (finite second moments),

.. math:: \mathrm{FD} = |\mu_x - \mu_y|^2 + \operatorname{tr}\Sigma_x + \operatorname{tr}\Sigma_y
   - 2 \operatorname{tr}\big((\Sigma_x^{1/2} \Sigma_y \Sigma_x^{1/2})^{1/2}\big),

the squared 2-Wasserstein distance between :math:`N(\mu_x, \Sigma_x)` and
:math:`N(\mu_y, \Sigma_y)` (Dowson & Landau, 1982; :func:`divergences.frechet_distance`), the
FID of Heusel et al. (2017) on features the caller computes.

**The plug-in, which papers print** (pytorch-fid, clean-fid, torch-fidelity, torchmetrics):
the sample means and covariances (divisor :math:`n - 1`) put into the formula, every result's
``plug_in``, to set beside a published FID at the same :math:`n`. It is biased high, by about
:math:`d^2/(2n)` where the covariances agree (20 for two draws of one law in d = 2048 at
:math:`n = 10^4`), so it ranks models measured on different :math:`n` wrongly and is not the
laws' FD. The ``value`` estimates the laws' FD itself:

* the mean term: :math:`|\bar x - \bar y|^2 - \operatorname{tr} S_x / n - \operatorname{tr} S_y / m`
  is unbiased (:math:`\mathbb E|\bar x - \bar y|^2` exceeds :math:`|\mu_x - \mu_y|^2` by
  :math:`\operatorname{tr}\Sigma_x/n + \operatorname{tr}\Sigma_y/m`), and so are the traces of
  the covariances :math:`S` (divisor :math:`n - 1`);
* the cross term :math:`T(\Sigma_x, \Sigma_y)` is jointly concave (it is the fidelity of the two
  matrices), so its plug-in is biased low and the plug-in FD high, by :math:`O(1/n)` with a
  constant that grows like :math:`d^2`: +33 against FD = 1 in d = 256 at n = 1000. The bias is
  extrapolated away in :math:`1/n` (Chong & Forsyth, 2020): the draws are cut into :math:`B`
  disjoint batches by their positions and the seed (:mod:`~divergences.estimate._src.reading`;
  each of :math:`x` paired with one of :math:`y`), and from the full-sample :math:`T_n` and
  the batches' (weighted) mean :math:`\bar T_{n/B}`, :math:`\hat T = (B T_n - \bar T_{n/B}) /
  (B - 1)`. What remains is the :math:`O(1/n^2)` term, :math:`B` times that of the plug-in:
  about -0.01 against FD = 1 in d = 64 at n = 1000, -0.17 in d = 256 (``estimate_coverage.md``).

**The interval** is asymptotic: the estimate plus or minus Student's quantile times a
standard error, by one of three constructions (``method`` names it).

* From d = 64 (:data:`~divergences.estimate._src.frechet.groups.FIRST_ORDER_FROM`, ``B = 4``)
  each sample keeps 2000 of its draws in the same pass and the standard error is the delta
  method's on them, from one eigendecomposition, the interval Wilson's score form about the
  value, but symmetric where 16 n <= d^2 and d <= 768 (:mod:`.first_order`).
* In 8 <= d < 64 (``groups.GROUPS_FROM``) each sample is read through :math:`G = 32` variance
  groups (each group's size, mean and scatter kept as a batch's), the extrapolation's batch
  :math:`j` is the union of the groups :math:`j, j + B, \dots` (exact merges), and the standard
  error is the delete-a-group jackknife's of the bias-corrected estimate itself,

  .. math:: \widehat{\mathrm{se}}^2 = \frac{G - 1}{G} \sum_{g=1}^{G}
     \big(\hat\theta_{(g)} - \bar\theta_{(\cdot)}\big)^2,

  :math:`\hat\theta_{(g)}` the estimate recomputed without group :math:`g` of either sample,
  with :math:`G - 1` degrees of freedom (Efron & Stein, 1981; Shao & Tu, 1995, sec. 2.3),
  the batches weighted by their shares of the draws (:func:`_shares`). It counts the second-order
  noise about twice (at FD = 0 1.45 to 1.56 times the ideal interval cut at 0), so from d = 64 it
  runs only where the delta method cannot (a singular covariance, fewer than 200 kept draws).
* Elsewhere (d below 8, another ``B``, fewer than 2 draws a group, or a ``Reference`` that holds
  its batches only) the groups are the batches and the interval is Student's over them
  (:math:`B - 1` degrees of freedom, :math:`s_B / \sqrt B`, the batches' estimates with the mean
  term unbiased and the plug-in :math:`T`).

Widths against the ideal: ``estimate_coverage.md``. The claim stands where the coverage table
measured it (:data:`~divergences.estimate.ASYMPTOTIC_CLAIMS`), the draws' radial tails are not heavy
(:mod:`~divergences.estimate._src.frechet.tails`), and the samples' sizes are close enough that
the extrapolation's remainder, which grows like :math:`d^3 (1/n - 1/m)^2`, is small against the
standard error (:mod:`~divergences.estimate._src.frechet.sizes`).

**Numerics.** The draws are read once, in chunks of rows raised to float64, and scaled by one
power of two (exact) so that no square overflows; each batch keeps its size, mean and scatter
(:mod:`~divergences.estimate._src.reading`): memory :math:`O(B d^2)` whatever ``n``, and
the same statistics from an array, an iterable of batches, a kept
:class:`~divergences.estimate.Reference` or draws sharded over devices. The cross term and its
rounding allowance, which widens the interval: :mod:`~divergences.estimate._src.frechet.trace`.

**Two candidates against one reference**: :func:`frechet_difference` pairs their groups on the
reference's (its noise cancels): the delta method takes the reference's values of A's FD less
B's on each of its kept draws, and the jackknife leaves group :math:`g` of all three out.

References:
  Dowson & Landau, *The Frechet distance between multivariate normal distributions*, J.
  Multivariate Anal. 12, 1982; Heusel et al., *GANs trained by a two time-scale update rule
  converge to a local Nash equilibrium*, NeurIPS 2017; Chong & Forsyth, *Effectively unbiased FID
  and Inception Score and where to find them*, CVPR 2020; Efron & Stein, *The jackknife estimate
  of variance*, Ann. Statist. 9, 1981; Shao & Tu, *The Jackknife and Bootstrap*, Springer, 1995.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from scipy.stats import t as student

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option, seed_option
from divergences.estimate._src.concentration import widen
from divergences.estimate._src.frechet.device_moments import moments_and_draws
from divergences.estimate._src.frechet.first_order import (
    FirstOrder,
    delta_ends,
    delta_words,
    first_order_of,
    single_error,
)
from divergences.estimate._src.frechet.groups import frechet_refusal, kept_draws, variance_groups
from divergences.estimate._src.frechet.sizes import sizes_refusal
from divergences.estimate._src.frechet.tails import tails_refusal
from divergences.estimate._src.frechet.trace import cross_term, cross_terms, roots_and_allowance
from divergences.estimate._src.host_threads import blas_threads_for
from divergences.estimate._src.reading import (
    BatchMoments,
    Moments,
    batches_of,
    pooled_batches,
    union_moments,
    unions_without_each,
)
from divergences.estimate._src.reference_set import as_batch_moments
from divergences.estimate._src.result import (
    Estimate,
    asymptotic_estimate,
    withheld,
)
from divergences.estimate._src.samples import check_at_least, where_words

__all__ = ["frechet"]

_MAX = float(np.finfo(np.float64).max)
_TINY = float(np.finfo(np.float64).tiny)


def _plug_in_rest(sx: Moments, sy: Moments) -> float:
    """The plug-in's mean term and both traces: the plug-in FD but for ``-2 T``."""
    diff = sx.mean - sy.mean
    return float(diff @ diff) + sx.trace + sy.trace


def _unbiased_rest(sx: Moments, sy: Moments) -> float:
    """The mean term, unbiased, plus both traces: FD but for ``-2 T``."""
    return _plug_in_rest(sx, sy) - sx.trace / sx.size - sy.trace / sy.size


def scaled_back(v: float, shift: int, cap: float, toward: float | None = None) -> float:
    """``v 4^shift``: ``cap`` where it overflows; rounded toward ``toward`` where it is inexact.

    The product is exact but in the subnormal range, where an end rounded to nearest could
    leave out the exact one (an upper end of 0 for FD = 1e-600); ``toward`` moves it one step
    outward there.
    """
    try:
        out = math.ldexp(v, 2 * shift)
    except OverflowError:
        return cap
    if toward is not None and out < _TINY and math.ldexp(out, -2 * shift) != v:
        out = max(math.nextafter(out, toward), 0.0)
    return out


class Parts(NamedTuple):
    """FD's pieces for the draws times ``2^-shift``: the estimate, the batches', the allowance.

    ``first_order``: where draws were kept, the delta method's pieces (:mod:`.first_order`) or
    why not. ``left_out``: where the groups outnumber the batches and the delta method does not
    run, FD bias-corrected as ``value`` is without each group, for the jackknife; else None.
    ``by_size``: the batches' weights.
    """

    value: float
    per_batch: np.ndarray
    slack: float
    plug_in: float
    plug_in_slack: float
    left_out: np.ndarray | None = None
    first_order: FirstOrder | str | None = None
    by_size: bool = False


def _shares(xs: tuple[Moments, ...], ys: tuple[Moments, ...], by_size: bool) -> np.ndarray:
    """The extrapolation's weights of the batches' cross terms: ``1/b`` each, or their sizes'.

    ``by_size``: each batch's share of the draws, the two samples' shares averaged. Without a
    group its batch's share falls, so that the left-out estimate's first-order part stays the
    mean over the draws left, and its jackknife sees the draws' noise only, not a reweighting
    of them (``estimate_coverage.md``, "FD's interval from pairs of draws").
    """
    if not by_size:
        return np.full(len(xs), 1.0 / len(xs))
    nx = np.array([p.size for p in xs], float)
    ny = np.array([p.size for p in ys], float)
    return 0.5 * (nx / nx.sum() + ny / ny.sum())


def paired_parts(
    bx: BatchMoments,
    by: BatchMoments,
    b: int | None = None,
    kept: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    by_size: bool | None = None,
) -> Parts:
    """The bias-corrected FD, the batches' FDs, and the plug-in FD, from the groups' moments.

    ``b``: the number of extrapolation batches (the groups' number where None). Batch ``j``
    pools the groups ``j, j + b, ...``; for the jackknife FD is computed without each group.

    ``by_size``: the batches' cross terms weighted by their shares of the draws (:func:`_shares`)
    or equally; None: by size where the jackknife runs or draws were kept. ``kept``: a
    subsample of each sample's draws (as :func:`read_samples` keeps them where
    :func:`~.groups.runs_first_order`), on which the delta method's variance is estimated (its
    random pairs drawn by ``seed``) in place of the jackknife's (:func:`spread_of`).
    """
    d = bx.dimension
    b = len(bx.parts) if b is None else b
    groups = len(bx.parts)
    if by_size is None:
        by_size = groups > b or kept is not None
    xs, ys = batches_of(bx.parts, b, d), batches_of(by.parts, b, d)
    full_x, full_y = union_moments(xs, d), union_moments(ys, d)
    first: FirstOrder | str | None = None
    if kept is not None and not by_size:
        first = "the batches are weighted equally, and the pairs' weights model their sizes'"
    elif kept is not None:
        sizes = tuple(np.array([p.size for p in m]) for m in (xs, ys))
        first = first_order_of((sizes[0], sizes[1]), full_x, full_y, kept, seed)
    rotated = isinstance(first, FirstOrder)  # its eigh gives the full sample's spectrum
    jackknife = groups > b and not rotated
    pairs = [*([] if rotated else [(full_x, full_y)]), *zip(xs, ys, strict=True)]
    if jackknife:  # the full sample and each group's batch without the group
        full_wx, full_wy = unions_without_each(bx.parts, d), unions_without_each(by.parts, d)
        batch_wx = [unions_without_each(bx.parts[j::b], d) for j in range(b)]
        batch_wy = [unions_without_each(by.parts[j::b], d) for j in range(b)]
        for g in range(groups):
            j, k = g % b, g // b
            pairs += [(full_wx[g], full_wy[g]), (batch_wx[j][k], batch_wy[j][k])]
    with blas_threads_for(d):
        terms = cross_terms(pairs, bx.reduced_on or by.reduced_on)
    if isinstance(first, FirstOrder):
        terms.insert(0, roots_and_allowance(first.squares))
    (t_full, slack_full), crosses = terms[0], terms[1 : b + 1]
    t_batches = np.array([c[0] for c in crosses])
    t_hat = (b * t_full - float(_shares(xs, ys, by_size) @ t_batches)) / (b - 1)
    per_batch = (
        np.array([_unbiased_rest(px, py) for px, py in zip(xs, ys, strict=True)]) - 2.0 * t_batches
    )
    slack = 2.0 * (b * slack_full + max(c[1] for c in crosses)) / (b - 1)
    left_out: np.ndarray | None = None
    if jackknife:  # the bias-corrected FD without each group: from the full sample and its batch
        values = []
        for g in range(groups):
            j, k = g % b, g // b
            (t_w, slack_w), (t_j, slack_j) = terms[b + 1 + 2 * g], terms[b + 2 + 2 * g]
            left = list(zip(xs, ys, strict=True))
            left[j] = (batch_wx[j][k], batch_wy[j][k])
            t_left = t_batches.copy()
            t_left[j] = t_j
            shares = _shares(tuple(p[0] for p in left), tuple(p[1] for p in left), by_size)
            t_w_hat = (b * t_w - float(shares @ t_left)) / (b - 1)
            values.append(_unbiased_rest(full_wx[g], full_wy[g]) - 2.0 * t_w_hat)
            slack = max(slack, 2.0 * (b * (slack_full + slack_w) + slack_j) / (b - 1))
        left_out = np.array(values)
    return Parts(
        value=_unbiased_rest(full_x, full_y) - 2.0 * t_hat,
        per_batch=per_batch,
        slack=slack,
        plug_in=_plug_in_rest(full_x, full_y) - 2.0 * t_full,
        plug_in_slack=2.0 * slack_full,
        left_out=left_out,
        first_order=first,
        by_size=by_size,
    )


def jackknife_error(left_out: np.ndarray) -> float:
    r"""The delete-a-group jackknife's standard error from the estimates without each group.

    :math:`\sqrt{\tfrac{G-1}{G} \sum_g (\hat\theta_{(g)} - \bar\theta_{(\cdot)})^2}` (Efron &
    Stein, 1981; Shao & Tu, *The Jackknife and Bootstrap*, 1995, sec. 2.3: delete-a-group).
    """
    g = left_out.shape[0]
    centred = left_out - float(np.mean(left_out))
    return math.sqrt((g - 1) / g * float(centred @ centred))


def spread_of(parts: Parts, b: int) -> tuple[float, float]:
    """The estimate's standard error and its degrees of freedom, by the construction that ran.

    The delta method's on the kept draws (:func:`~.first_order.single_error`), else the
    jackknife's, else the batches'.
    """
    if isinstance(parts.first_order, FirstOrder):
        return single_error(parts.first_order)
    if parts.left_out is not None:
        return jackknife_error(parts.left_out), float(parts.left_out.shape[0] - 1)
    return float(np.std(parts.per_batch, ddof=1)) / math.sqrt(b), float(b - 1)


def spread_words(parts: Parts, b: int, dof: float | None = None) -> str:
    """The standard error's construction in words (``dof``: those used, else ``spread_of``'s)."""
    if isinstance(parts.first_order, FirstOrder):
        return delta_words(parts.first_order, spread_of(parts, b)[1] if dof is None else dof)
    if parts.left_out is not None:
        g = parts.left_out.shape[0]
        words = f"the delete-a-group jackknife's over {g} groups ({g - 1} degrees of freedom)"
        if parts.by_size:
            words += ", the batches weighted by their shares of the draws"
    else:
        words = f"over the {b} batches ({b - 1} degrees of freedom)"
    if isinstance(parts.first_order, str):
        words += f"; not the delta method's: {parts.first_order}"
    return words


def interval(parts: Parts, b: int, alpha: float) -> tuple[float, float, float]:
    """The interval's lower end, the value and the upper end, at least 0, unscaled.

    Symmetric about the value, but the delta method's where :func:`~.first_order.score_form_runs`:
    Wilson's score form (:func:`~.first_order.delta_ends`).
    """
    spread, dof = spread_of(parts, b)
    value, shift, half = parts.value, 0.0, half_width(spread, dof, alpha)
    if isinstance(parts.first_order, FirstOrder):
        shift, half = delta_ends(parts.first_order, value, spread, half_width(1.0, dof, alpha))
    half = widen(half + parts.slack)
    lo, hi = max(value + shift - half, 0.0), max(value + shift + half, 0.0)
    v = max(value, 0.0)
    return (math.nextafter(lo, 0.0) if lo > 0.0 else 0.0), v, hi


def checked_options(level: Any, seed: Any, batches: Any) -> tuple[float, int, int]:
    """``1 - level``, the seed and the number of batches, each checked by its rule."""
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    seed = seed_option(seed, note="it draws the batches")
    b = integer_option(batches, "batches", minimum=2, note="the extrapolation's disjoint batches")
    return alpha, seed, b


def half_width(spread: float, dof: float, alpha: float) -> float:
    # Student's quantile times the standard error; the upper tail's quantile from alpha/2 itself
    # (1 - alpha/2 rounds to 1, t = inf, below 2^-52)
    return float(student.isf(alpha / 2.0, dof)) * spread


@runs_on_host
def frechet(
    x: Any,
    y: Any,
    *,
    level: float = 0.95,
    batches: int = 4,
    seed: int = 0,
    features: Callable[[Any], Any] | None = None,
) -> Estimate:
    r"""The Frechet distance between the Gaussian fits of two samples (FID), bias-corrected.

    .. math:: \mathrm{FD} = |\mu_x - \mu_y|^2 + \operatorname{tr}\Sigma_x + \operatorname{tr}
       \Sigma_y - 2 \operatorname{tr}\big((\Sigma_x^{1/2} \Sigma_y \Sigma_x^{1/2})^{1/2}\big)

    of the laws' means and covariances, whatever the laws (finite fourth moments): FID on the
    features the caller computed. The mean term and the traces are unbiased; the cross term's
    :math:`O(1/n)` bias is extrapolated away from ``batches`` disjoint batches
    (Chong & Forsyth, 2020). The interval is Student's, from d = 64 by the delta method on 2000
    draws kept of each sample in the same pass, in 8 <= d < 64 over the jackknife of 32 variance
    groups, elsewhere over the batches (module docstring).

    **Which number to compare with a published FID.** Papers print the *plug-in* FID of
    pytorch-fid (clean-fid, torch-fidelity and torchmetrics agree with it): the sample means
    and covariances (divisor ``n - 1``) put into the formula. It is the result's ``plug_in``;
    compare it with a published FID only at the same ``n`` (and the same features), since it is
    biased high by about :math:`d^2/(2n)` where the covariances agree (+20 for two draws of one
    law in d = 2048 at n = 10^4, +33 against FD = 1 in d = 256 at n = 1000), a bias that falls
    with ``n`` and so ranks models evaluated on different numbers of draws wrongly. ``value``
    and its interval estimate the laws' FD itself, the quantity the plug-in is biased for: -0.17
    against FD = 1 there (-0.015 at n = 4000). The value and the ends are at least 0 (FD is):
    an estimate below 0 is returned as 0.

    **Inputs of any size.** ``x`` and ``y`` are each an array of draws, read in chunks of rows
    in one pass (float32 features are raised to float64 a chunk at a time, never copied whole),
    or an iterable of arrays (batches of any sizes: a loader, a memory-mapped file's slices),
    or, with ``features``, an iterable of inputs to map to features a batch at a time. A
    :class:`~divergences.estimate.Reference` stands for a sample whose statistics were kept
    (:func:`~divergences.estimate.reference`). Memory is :math:`O(G d^2)` whatever ``n``
    (:math:`G = 32` groups in 8 <= d <= 256, else the ``B`` batches; 2000 draws from d = 64),
    the batches a function of the draws' positions and ``seed``: read whole or in batches, a
    sample gives the same statistics (to rounding). A sample on a GPU or TPU, or sharded over
    devices (a :class:`jax.Array`), is reduced where it lives, in float64, and ``method`` says
    where (:mod:`divergences.estimate._src.frechet.device_moments`).

    Args:
      x: draws of :math:`P`, shape ``(n, d)`` or ``(n,)``, ``n >= 2 * batches``, any ``d``
        (``n < d`` included); or an iterable of such arrays; or a ``Reference``.
      y: draws of :math:`Q`, the same rules.
      level: the coverage, in ``(0, 1)``.
      batches: the number :math:`B \ge 2` of disjoint batches of the extrapolation and the
        interval; the coverage table measured ``B = 4``, and another ``B`` claims no coverage.
      seed: the seed of the batches' assignment, an integer ``>= 0``.
      features: a map from a batch of inputs to its features, applied to each item of ``x``
        and ``y`` (iterables of inputs).

    Returns:
      An :class:`Estimate` with ``quantity="FD"`` and ``plug_in`` the plug-in FID papers print:
      ``kind="asymptotic"`` where the coverage table measured the interval
      (``ASYMPTOTIC_CLAIMS["frechet"]``: d <= 256 from 1000 draws, d <= 768 from 5000, d <= 2048
      from 10^4; ``batches=4``) unless a sample's radial tails are heavy (its groups' traces,
      or its kept draws where it has no groups, spread over 4 times a Gaussian's:
      :mod:`~divergences.estimate._src.frechet.tails`) or the sizes differ so far that the bias
      correction's remainder passes an eighth of the standard error (for Gaussian draws at
      FD = 1: 10^4 against 5 * 10^4 draws in d = 2048, 1000 against 2000 in d = 64;
      :mod:`~divergences.estimate._src.frechet.sizes`); elsewhere ``"no-coverage-claim"``,
      the ends ``[0, inf]`` and a ``NoCoverageWarning``. Against a published ``mu``/``sigma`` file
      (a ``Reference`` without batches) only the plug-in is computed: ``value == plug_in``,
      ``"no-coverage-claim"``.

    Raises:
      ValueError: as the shared checks of the draws (NaN, inf, the dimensions), ``level`` or
        ``seed``; for ``batches`` not an integer ``>= 2``; for fewer than ``2 * batches`` draws;
        for a ``Reference`` kept with another number of batches.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.standard_normal((4000, 16)), rng.standard_normal((4000, 16)) + 0.25
      >>> est = dv.estimate.frechet(x, y)  # FD = 16 * 0.25**2 = 1
      >>> est.quantity, est.kind, est.lower_bound < 1.0 < est.upper_bound
      ('FD', 'asymptotic', True)
      >>> est.plug_in > est.value  # the plug-in FID, biased high by about d^2 / (2 n)
      True
    """
    alpha, seed, b = checked_options(level, seed, batches)
    rx, ry = read_samples([(x, "x", seed), (y, "y", seed + 1)], b, features, kept_draws(b))
    kept = None if rx.kept is None or ry.kept is None else (rx.kept, ry.kept)
    published = rx.moments.published or ry.moments.published  # no batches: the plug-in only
    parts = None if published else paired_parts(rx.moments, ry.moments, b, kept, seed)
    return estimate_from_moments(
        rx.moments, ry.moments, level=level, alpha=alpha, b=b, parts=parts, kept=(rx.kept, ry.kept)
    )


class Read(NamedTuple):
    """A sample's batch moments and its kept draws (scaled as the moments; None where none)."""

    moments: BatchMoments
    kept: np.ndarray | None


def read_samples(
    samples: list[tuple[Any, str, int]],
    b: int,
    features: Callable[[Any], Any] | None = None,
    keep: int | Callable[[int], int] = 0,
) -> list[Read]:
    """Each ``(draws, name, seed)``'s batch moments and kept draws, all scaled by one power of two.

    Each pass follows the largest coordinate read so far (no pass to find it first), and the
    samples are brought to the largest scale at the end: exact, so that draws times ``2^k``
    give the statistics times ``2^k`` and ``4^k`` bit for bit. With ``keep`` (a number, or the
    number as a function of the dimension: :func:`~.groups.kept_draws`), a seeded uniform
    subsample of that many draws of each sample is kept in the same pass (a
    :class:`~divergences.estimate.Reference`'s own), for the delta method and the tails' measure
    (:func:`paired_parts`).
    """
    read = [_read_one(z, name, s, b, features, keep) for z, name, s in samples]
    out = [m for m, _ in read]
    names = [name for _, name, _ in samples]
    for other, name in zip(out[1:], names[1:], strict=True):
        if other.dimension != out[0].dimension:
            raise ValueError(
                f"{names[0]} and {name} must be draws in one dimension: {names[0]} has "
                f"{out[0].dimension} coordinates a draw, {name} has {other.dimension}"
            )
    drawn = [m for m in out if not m.published]
    # A kept Reference holds its b batches only, and a group of fewer than 2 draws has no
    # covariance: there every sample's groups are pooled into the b batches (Student's interval).
    if any(len(m.parts) != len(drawn[0].parts) or min(p.size for p in m.parts) < 2 for m in drawn):
        out = [m if m.published else pooled_batches(m, b) for m in out]
    why = f"{b} batches of at least 2 draws each"
    for moments, name in zip(out, names, strict=True):
        if not moments.published:  # a published mean and covariance has no batches
            check_at_least(moments.size, 2 * b, name, why)
    top = max(m.shift for m in out)
    return [
        Read(m.scaled_to(top), None if k is None else np.ldexp(k.astype(np.float64), -top))
        for m, (_, k) in zip(out, read, strict=True)
    ]


def _read_one(
    z: Any,
    name: str,
    seed: int,
    b: int,
    features: Callable[[Any], Any] | None,
    keep: int | Callable[[int], int],
) -> tuple[BatchMoments, np.ndarray | None]:
    """One sample's batch moments and kept draws: from a ``Reference``, or read in one pass."""
    if (kept := as_batch_moments(z, name, b)) is not None:
        wanted = keep(kept.dimension) if callable(keep) else keep
        sub = getattr(z, "subsample", None)  # a published mean and covariance keeps (0, d)
        if not wanted or sub is None or sub.ndim != 2:
            return kept, None
        if sub.shape[0] > wanted:  # a seeded uniform choice of the reference's own subsample
            rows = np.random.default_rng((seed, sub.shape[0])).choice(sub.shape[0], wanted, False)
            sub = sub[np.sort(rows)]
        return kept, sub
    groups = functools.partial(variance_groups, b=b)  # the groups as a function of d
    return moments_and_draws(z, batches=groups, seed=seed, name=name, features=features, keep=keep)


def estimate_from_moments(
    bx: BatchMoments,
    by: BatchMoments,
    *,
    level: float,
    alpha: float,
    b: int,
    parts: Parts | None = None,
    warn: bool = True,
    kept: tuple[np.ndarray | None, ...] = (),
) -> Estimate:
    """FD's :class:`Estimate` from both samples' batch moments (one scale): :func:`frechet`.

    ``warn``: False where the caller's result warns for this one (:func:`frechet_difference`);
    ``kept``: each sample's kept draws, for the tails' measure where it has no groups.
    """
    n, m, d, shift = bx.size, by.size, bx.dimension, bx.shift
    if bx.published or by.published:
        return _published(bx, by, level=level)
    parts = paired_parts(bx, by, b) if parts is None else parts
    lo, v, hi = interval(parts, b, alpha)
    lo, v, hi = (
        scaled_back(lo, shift, _MAX, 0.0),
        scaled_back(v, shift, math.inf),
        scaled_back(hi, shift, math.inf, math.inf),
    )
    plug_in = scaled_back(max(parts.plug_in, 0.0), shift, math.inf)
    assumption = (
        "independent draws of P and of Q with finite fourth moments; FD is that of the "
        "Gaussians with their means and covariances"
    )
    method = (
        f"|mean diff|^2 - tr S_x/n - tr S_y/m + tr S_x + tr S_y - 2 T, T extrapolated in 1/n "
        f"from {b} disjoint batches (B T_n - mean T_(n/B)) / (B - 1); Student's t interval, "
        f"{spread_words(parts, b)}, widened by the eigenvalues' rounding allowance; plug_in: "
        "the plug-in FID papers print (pytorch-fid's formula, covariances with divisor n - 1), "
        "biased high"
        f"{reduced_where(bx, by)}"
    )
    if parts.value < 0.0:  # FD >= 0: the value is cut there, and the estimate said
        below = scaled_back(parts.value, shift, -math.inf)
        method += f"; the estimate before its cut at 0: {below:.4g}"
    estimate = asymptotic_estimate(
        v,
        lo,
        hi,
        level=level,
        quantity="FD",
        assumption=assumption,
        method=method,
        n=n,
        m=m,
        plug_in=plug_in,
    )
    spread = spread_of(parts, b)[0]
    if (
        why := frechet_refusal(d, min(n, m), b)
        or tails_refusal(bx, by, kept=kept)
        or sizes_refusal(bx, by, b, spread)
    ):
        return withheld(estimate, 0.0, math.inf, why, stacklevel=4, warn=warn)
    return estimate


def reduced_where(*samples: BatchMoments) -> str:
    """Where the draws' moments were reduced, in words a ``method`` ends with (the host: none)."""
    named = dict.fromkeys(where_words(m.reduced_on) for m in samples if m.reduced_on)
    return f"; moments reduced on {', '.join(named)}" if named else ""


def _published(bx: BatchMoments, by: BatchMoments, *, level: float) -> Estimate:
    """The plug-in FD against a published mean and covariance: no batches, so no interval."""
    full_x, full_y = union_moments(bx.parts, bx.dimension), union_moments(by.parts, by.dimension)
    t_full, _ = cross_term(full_x, full_y)
    plug = scaled_back(max(_plug_in_rest(full_x, full_y) - 2.0 * t_full, 0.0), bx.shift, math.inf)
    return Estimate(
        value=plug,
        lower_bound=0.0,
        upper_bound=math.inf,
        level=float(level),
        kind="no-coverage-claim",
        sides="none",
        assumption=(
            "a published mean and covariance (pytorch-fid's or clean-fid's mu and sigma) holds "
            "no batches: the plug-in FID papers print, comparable with a published FID at the "
            "same number of draws; no interval and no bias correction"
        ),
        method="|mean diff|^2 + tr S_x + tr S_y - 2 tr sqrtm(S_x S_y) (pytorch-fid's formula)",
        n=bx.size,
        m=by.size,
        quantity="FD",
        plug_in=plug,
    )
