r"""FD's variance by the delta method on kept draws, less the pairs' part its values carry.

**The first-order part.** To first order FD's estimate is the mean of its influence values
over the draws (its von Mises expansion: van der Vaart, *Asymptotic Statistics*, 1998,
ch. 20), with variance :math:`V_1 = \operatorname{Var}\psi_x/n + \operatorname{Var}\psi_y/m`.
The derivative of FD along a point mass at a draw (the mean term's :math:`2\delta^\top u` and,
from :math:`\partial G/\partial\Sigma_x = T/2`, the traces' :math:`|u|^2 - u^\top T u`) is, in
the rotation of :mod:`.second_order` (:math:`u^\top T u = w^\top \operatorname{diag}(\mu) w`),

.. math:: \psi_x(x) = 2\delta^\top u + |u|^2 - \textstyle\sum_k \mu_k w_k^2, \qquad
   \psi_y(y) = -2\delta^\top v + |v|^2 - \textstyle\sum_k \mu_k z_k^2,

:math:`u = x - \bar x`, :math:`v = y - \bar y`, :math:`\delta = \bar x - \bar y`, up to
constants, which no variance sees.

**What the plug-in values carry beyond it.** With the sample's own means and covariances put
in, each value moves by the derivative of the second-order part along its draw: over the
others, :math:`\tfrac2n \sum_{i'} k(w_i, w_{i'}) - \tfrac2m \sum_j k(w_i, z_j)` (:math:`k =
\ell + \kappa`, :mod:`.second_order`), which adds :math:`2 V_2^{\mathrm{plug}}` to the values'
variance (twice the plug-in FD's pairs' variance); and over the draw itself,
:math:`\tfrac2n k(w_i, w_i)`, whose spread grows like :math:`d^3/n^2` against the pairs'
:math:`d^2/n` and is taken out of each value (checked against the values with the draw left
out, in the tests). So with :math:`D = \widehat{\operatorname{Var}}\tilde\psi_x/n +
\widehat{\operatorname{Var}}\tilde\psi_y/m` over the kept draws,

.. math:: \hat v = \max\big(D - 2\hat V_2^{\mathrm{plug}} + \hat V_2,\ \hat V_2\big),

:math:`\hat V_2` the bias-corrected estimate's pairs' variance (its batches' weights) and both
from one set of random pairs: one eigendecomposition in place of the jackknife's 64 refits, or of
the batches' interval with its 3 degrees of freedom (Hinkley, *Improving the jackknife with special
reference to correlation estimation*, Biometrika 65, 1978, for a variance less its second-order
part; Sutherland & Deka, arXiv:1906.02104, 2019, for MMD's).

**Its degrees of freedom.** :math:`D` is a sum of sample variances of :math:`k` values each,
with :math:`\operatorname{Var}s^2 \approx (m_4 - s^4 (k-3)/(k-1))/k`; Satterthwaite's
:math:`\nu = 2\hat v^2/\widehat{\operatorname{Var}} D` (*An approximate distribution of
estimates of variance components*, Biometrics Bull. 2, 1946), at least 2 and at most
:math:`k - 1`. They leave out the random pairs' own noise in :math:`\hat V_2` and
:math:`\hat V_2^{\mathrm{plug}}` (about :math:`\sqrt{2/M}`, 4.4% of each at the fewest 1024
pairs, from d = 724), which the coverage rows carry.

**Where** (``benchmarks/bench_frechet_pairs.py``; ``estimate_coverage.md``, "FD's interval by
the delta method on kept draws"): from d = 64
(:data:`~divergences.estimate._src.frechet.groups.FIRST_ORDER_FROM`), where the jackknife's
double count of the pairs' part made the interval 1.24 to 1.50 times the ideal width and the
batches' 3 degrees of freedom 1.9 to 2.3 times it from d = 768.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from divergences.estimate._src.frechet.second_order import (
    Pairs,
    Rotation,
    difference_second_order,
    kernel_parts,
    kernel_values,
    pair_weights,
    rotated_x,
    rotated_y,
    rotation,
    single_second_order,
)
from divergences.estimate._src.reading import Moments

__all__ = [
    "FEWEST_KEPT",
    "KEPT_DRAWS",
    "SYMMETRIC_FROM",
    "SYMMETRIC_UP_TO",
    "FirstOrder",
    "delta_ends",
    "delta_error",
    "delta_words",
    "difference_error",
    "first_order_of",
    "first_order_values",
    "score_form_runs",
    "single_error",
    "single_first_order_variance",
]

#: The draws of each sample kept for the delta method: a seeded uniform subsample, read in the pass.
KEPT_DRAWS = 2000
#: The fewest kept draws of a sample the delta method is run on.
FEWEST_KEPT = 200
#: From this ratio of the dimension's square to the smaller sample's size the interval is
#: symmetric up to :data:`SYMMETRIC_UP_TO`, elsewhere Wilson's score form (:func:`delta_ends`).
SYMMETRIC_FROM = 16
#: The largest dimension with symmetric ends: that of the claims' band (d <= 768 from 5000 draws)
#: whose worst cell the symmetric interval held; in d = 2048 at n = 10^4 its upper end failed.
SYMMETRIC_UP_TO = 768
#: The fewest degrees of freedom the delta method's variance is given.
_FEWEST_DOF = 2.0


class FirstOrder(NamedTuple):
    """One FD's pairs, its first-order values on each sample's kept draws, the samples' sizes.

    Each value has its draw's own second-order term taken out (module docstring); ``squares``:
    the eigenvalues of :math:`S_x S_y` the rotation computed, whose roots sum to FD's cross term.
    """

    pairs: Pairs
    x: np.ndarray
    y: np.ndarray
    n: int
    m: int
    squares: np.ndarray


def first_order_values(
    rot: Rotation,
    rows: tuple[np.ndarray, np.ndarray],
    rotated: tuple[np.ndarray, np.ndarray],
    sizes: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\tilde\psi_x` and :math:`\tilde\psi_y` on the kept rows (module docstring).

    ``rows``: each sample's kept rows (scaled as the moments); ``rotated``: the same rows
    rotated (:func:`~.second_order.rotated_x`, :func:`~.second_order.rotated_y`); ``sizes``:
    the samples' sizes ``(n, m)``.
    """
    (x, y), (w, z), (n, m) = rows, rotated, sizes
    delta = rot.mean_x - rot.mean_y
    u, v = x - rot.mean_x, y - rot.mean_y
    own_x, own_y = sum(kernel_parts(rot, w, w)), sum(kernel_parts(rot, z, z))
    psi_x = 2.0 * (u @ delta) + np.sum(u * u, axis=1) - (w * w) @ rot.roots - 2.0 * own_x / n
    psi_y = -2.0 * (v @ delta) + np.sum(v * v, axis=1) - (z * z) @ rot.roots - 2.0 * own_y / m
    return np.asarray(psi_x), np.asarray(psi_y)


def first_order_of(
    sizes: tuple[np.ndarray, np.ndarray],
    full_x: Moments,
    full_y: Moments,
    kept: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> FirstOrder | str:
    """FD's pairs and first-order values from the batches' sizes and the kept draws, or why not.

    ``sizes``: each sample's batches' sizes (batch ``j`` weighted by its share of the draws);
    ``full_x``, ``full_y``: the whole samples' moments; ``kept``: each sample's kept draws,
    scaled as the moments; ``seed`` draws the random pairs.
    """
    if min(k.shape[0] for k in kept) < FEWEST_KEPT:
        return f"fewer than {FEWEST_KEPT} draws kept to run it on"
    rot = rotation(full_x, full_y)
    if rot is None:
        return "a covariance is singular, where the expansion is not used"
    w, z = rotated_x(rot, kept[0]), rotated_y(rot, kept[1])
    pairs = Pairs(
        pair_weights(sizes[0], sizes[1]),
        pair_weights(sizes[0], sizes[1], plug_in=True),
        kernel_values(rot, w, z, seed),
    )
    psi_x, psi_y = first_order_values(rot, kept, (w, z), (full_x.size, full_y.size))
    if not all(np.all(np.isfinite(a)) for a in (*pairs.kernels, psi_x, psi_y)):
        return "its values are not finite numbers here"
    return FirstOrder(pairs, psi_x, psi_y, full_x.size, full_y.size, rot.squares)


def _sample_variance(values: np.ndarray) -> tuple[float, float]:
    """The values' sample variance and that estimate's relative variance, without overflow."""
    k = values.shape[0]
    centred = values - float(np.mean(values))
    top = float(np.max(np.abs(centred)))
    if not top > 0.0:
        return 0.0, 0.0
    unit = centred / top
    s2 = float(unit @ unit) / (k - 1)
    m4 = float(np.mean(unit**4))
    return s2 * top * top, max(m4 - s2 * s2 * (k - 3) / (k - 1), 0.0) / (k * s2 * s2)


def _values_term(values: list[tuple[np.ndarray, int]]) -> tuple[float, float]:
    """``D``, the values' sample variances over the samples' sizes, and its estimated spread."""
    parts = [(s2 / size, rel) for (s2, rel), size in ((_sample_variance(v), n) for v, n in values)]
    top = max(t for t, _ in parts)
    spread = top * math.sqrt(sum((t / top) ** 2 * rel for t, rel in parts)) if top > 0 else 0.0
    return sum(t for t, _ in parts), spread


def delta_error(
    values: list[tuple[np.ndarray, int]], v2: float, v2_plug_in: float
) -> tuple[float, float]:
    r"""The standard error and its degrees of freedom from first-order values and the pairs' parts.

    ``values``: each sample's (or paired samples') values on its kept draws and the sample's
    size; ``v2``, ``v2_plug_in``: the estimate's pairs' variance and its plug-in's. The variance
    is :math:`\max(D - 2 V_2^{\mathrm{plug}} + V_2, V_2)` with Satterthwaite's degrees of
    freedom (module docstring).
    """
    d, spread_d = _values_term(values)
    var = max(d - 2.0 * v2_plug_in + v2, v2, 0.0)
    most = float(min(v.shape[0] for v, _ in values) - 1)
    if not var > 0.0 or not spread_d > 0.0:
        return math.sqrt(var), most
    ratio = var / spread_d
    nu = 2.0 * ratio * ratio  # inf where it overflows, then at most ``most``
    return math.sqrt(var), float(min(max(nu, _FEWEST_DOF), most))


def single_error(f: FirstOrder) -> tuple[float, float]:
    """One FD's standard error and degrees of freedom by the delta method (:func:`delta_error`)."""
    return delta_error([(f.x, f.n), (f.y, f.m)], *single_second_order(f.pairs))


def single_first_order_variance(f: FirstOrder) -> float:
    r"""One FD's first-order variance, :math:`\max(D - 2 V_2^{\mathrm{plug}}, 0)`."""
    d = _values_term([(f.x, f.n), (f.y, f.m)])[0]
    return max(d - 2.0 * single_second_order(f.pairs)[1], 0.0)


def score_form_runs(f: FirstOrder) -> bool:
    """Whether the delta method's ends are Wilson's score form, else symmetric (:func:`delta_ends`).

    Symmetric where ``d^2 >=`` :data:`SYMMETRIC_FROM` ``n`` (``n`` the smaller sample's size)
    and ``d <=`` :data:`SYMMETRIC_UP_TO`.
    """
    d = f.squares.shape[0]
    return d * d < SYMMETRIC_FROM * min(f.n, f.m) or d > SYMMETRIC_UP_TO


def delta_ends(f: FirstOrder, value: float, spread: float, q: float) -> tuple[float, float]:
    r"""The interval's centre's shift from ``value`` and its half-width, by the delta method.

    **Wilson's score form** where :func:`score_form_runs`. FD's first-order variance grows with
    FD itself (its influence values are linear in the laws' difference near P = Q), so an
    estimate below the truth comes with a standard error below the truth's: the studentized
    error's lower tail is the heavier one, and a symmetric interval's upper end missed up to
    4.0% of 600 repetitions in d = 64 at the ideal width. The score interval (Wilson, *Probable
    inference, the law of succession, and statistical inference*, JASA 22, 1927) takes the
    variance at each candidate :math:`\theta` as :math:`a\theta + V_2` and keeps the
    :math:`\theta` with :math:`(\hat\theta - \theta)^2 \le q^2 (a\theta + V_2)`: centre
    :math:`\hat\theta + q^2 a/2`. The slope :math:`a = \hat V_1 / (\hat\theta_+ +
    q\,\widehat{\mathrm{se}})` is the first-order variance per unit of FD, its denominator kept
    away from 0, where the ratio is noise; the half-width is :math:`q\sqrt{\hat v + q^2 a^2/4}`
    with :math:`\hat v` the delta method's variance at the estimate, which is at least the
    model's :math:`a\hat\theta + V_2`, so the ends are the score interval's or wider
    (``spread``: the standard error; ``q``: the quantile).

    **Symmetric**, :math:`\hat\theta \pm q\,\widehat{\mathrm{se}}`, where :math:`d^2 \ge 16 n`
    (n the smaller sample's size) and :math:`d \le 768`. At a given FD the pairs' share of the
    variance grows like :math:`d^2/n`; where it rules the variance estimate hardly moves with the
    estimate and :math:`\hat V_1` is mostly the kept pairs' deflation: :math:`a` is 40 times the
    slope of the variance estimate on the estimate over repetitions near 0 in d = 256 at n = 1000
    (0.73 to 1.37 of it far from 0). There (d = 128 to 768, n = 1000 to 5000, the worst cell of
    each of the claims' first two bands included) the symmetric interval held each claimed end
    within 3.5%, near FD = 0 at 1.04 to 1.27 times the ideal interval cut at 0 against the score
    form's 1.14 to 1.56; below :math:`d^2 = 16 n` its upper end missed 4.0% in d = 64 and 3.75% in
    d = 96 at n = 1000, and in d = 2048 at n = 10^4 11 of 270 at FD = 0.2, where the
    extrapolation's remainder put the estimate 0.34 spreads low and the score form's shift up
    offset it (``estimate_coverage.md``, "FD's ends symmetric where d^2 >= 16 n and d <= 768").
    The rule reads d and n, never the draws.
    """
    if not score_form_runs(f):
        return 0.0, q * spread
    first = single_first_order_variance(f)
    a = first / (max(value, 0.0) + q * spread) if first > 0.0 and spread > 0.0 else 0.0
    return 0.5 * q * q * a, q * math.sqrt(spread * spread + 0.25 * (q * a) ** 2)


def difference_error(fa: FirstOrder, fb: FirstOrder) -> tuple[float, float]:
    """The same for FD(A, R) - FD(B, R), R the ``y`` sample of both (its kept draws shared).

    The values are A's, B's, and the reference's A's less B's on each of its kept draws.
    """
    values = [(fa.x, fa.n), (fb.x, fb.n), (fa.y - fb.y, fa.m)]
    return delta_error(values, *difference_second_order(fa.pairs, fb.pairs))


def delta_words(f: FirstOrder, dof: float, score: bool = True) -> str:
    """The delta method's standard error in words, and (``score``) the score form's ends."""
    kept = min(f.x.shape[0], f.y.shape[0])
    words = (
        f"the delta method's on {kept} or more kept draws a sample (the first-order influence "
        "values, less the second-order part they carry, plus the estimate's own, from random "
        f"pairs of kept draws; {dof:.3g} degrees of freedom, Satterthwaite's)"
    )
    if score and score_form_runs(f):
        words += ", the ends Wilson's score form with the first-order variance growing with FD"
    elif score:
        words += (
            f", the ends symmetric (d^2 at least {SYMMETRIC_FROM} n, d at most {SYMMETRIC_UP_TO})"
        )
    return words
