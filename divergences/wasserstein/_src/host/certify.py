r"""Certified bounds on W1 that hold in real arithmetic, and their outward rounding.

Every W1 result reports ``lower_bound <= W1 <= upper_bound`` for the exact W1 of the points
and weights as given (cast exactly to float64), and every solver gets them from here, by the
same code, eagerly and under ``jit``/``vmap`` alike:

* **above**, the cost of a plan :math:`P \ge 0`: with costs :math:`\tilde c` computed within
  :math:`|\tilde c - c| \le \rho \tilde c + \tau` (:func:`~..metrics.cost_error`),
  :math:`\langle P, c \rangle \le (1 + \rho) \langle P, \tilde c \rangle + \tau \sum P`.
  Where the plan's marginals :math:`r, s` miss :math:`(a, b)` by rounding, scaling down the
  rows and columns in excess and adding the rank-one
  :math:`(a - r')(b - s')^\top / \Delta` makes it a coupling at an extra cost of at most
  :math:`C_{\max} (\|r - a\|_1 + \|s - b\|_1)` (Altschuler, Weed & Rigollet, *Near-linear time
  approximation algorithms for optimal transport via Sinkhorn iteration*, NeurIPS 2017,
  Alg. 2);
* **below**, the dual value of :math:`(u', v)` with :math:`u'_i = \min_j c_{ij} - v_j` over
  the columns of positive mass: feasible by construction whatever ``v`` is, so
  :math:`\sum_i a_i u'_i + \sum_j b_j v_j \le W_1`. Its computed :math:`\tilde u'_i` is within
  :math:`\delta = \rho C_{\max} + \tau + (d + 8)\, \epsilon\, (C_{\max} + \max |v|)` of
  :math:`u'_i` (the costs, the subtraction, and a k-d tree's comparisons).

The sums are enclosed exactly: each product :math:`w_i t_i` is split into two floats with
:math:`w_i t_i = p_i + e_i` (Dekker's product, Veltkamp's split) and ``math.fsum`` sums them
correctly rounded, so the only rounding left is half an ulp of the result. The few operations
that assemble the bounds are interval arithmetic on floats: a rounded-to-nearest result is
within half an ulp of the exact one, so stepping it one float outward (``math.nextafter``)
keeps the bound, to the end, where :func:`outward` scales by :math:`2^k` and rounds into the
result's dtype the same way.

References: Dekker, *A floating-point technique for extending the available precision*, Numer.
Math. 18, 1971; Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, Sec. 4.2.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences._src.scaling import EPS

__all__ = [
    "ArcBounds",
    "PlanBounds",
    "arc_bounds",
    "dot_enclosure",
    "outward",
    "plan_bounds",
    "plan_certificate",
    "sum_upper",
]

_INF = math.inf
# A product below this may have lost its low part to underflow: at most 2^-1074 each.
_UNDERFLOW = 2.0**-969
_TINY = 2.0**-1073
_SPLITTER = 2.0**27 + 1.0


def down(t: float) -> float:
    """The float below ``t``: a bound below the exact result that ``t`` rounds."""
    return math.nextafter(t, -_INF)


def up(t: float) -> float:
    """The float above ``t``: a bound above the exact result that ``t`` rounds."""
    return math.nextafter(t, _INF)


def _split(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: ``t = hi + lo`` exactly, each half of 26 bits (for ``|t| < 2^995``)."""
    c = _SPLITTER * t
    hi = c - (c - t)
    return hi, t - hi


def _two_product(w: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``w * t = p + e`` exactly (Dekker), elementwise, barring underflow."""
    p = w * t
    wh, wl = _split(w)
    th, tl = _split(t)
    e = ((wh * th - p) + wh * tl + wl * th) + wl * tl
    return p, e


def _fsum_enclosure(terms: np.ndarray, slack: float = 0.0) -> Interval:
    s = math.fsum(terms.tolist())  # correctly rounded: within half an ulp of the exact sum
    if slack:
        return Interval(down(down(s) - slack), up(up(s) + slack))
    return Interval(down(s), up(s))


def dot_enclosure(w: np.ndarray, t: np.ndarray) -> Interval:
    r"""An enclosure of the dot product :math:`\sum_i w_i t_i` of two float64 vectors.

    The entries must be below :math:`2^{995}` in magnitude. The products are split exactly into
    a rounded part and its error, and all of them summed correctly rounded.
    """
    w = np.asarray(w, np.float64).ravel()
    t = np.asarray(t, np.float64).ravel()
    if w.size == 0:
        return Interval(0.0, 0.0)
    p, e = _two_product(w, t)
    lost = int(np.count_nonzero((np.abs(p) < _UNDERFLOW) & (w != 0) & (t != 0)))
    return _fsum_enclosure(np.concatenate([p, e]), _TINY * lost)


def sum_upper(t: np.ndarray) -> float:
    r"""An upper bound on :math:`\sum_i t_i`."""
    t = np.asarray(t, np.float64).ravel()
    return _fsum_enclosure(t).upper_bound if t.size else 0.0


def _marginal_miss(index: np.ndarray, mass: np.ndarray, target: np.ndarray) -> float:
    r"""An upper bound on :math:`\sum_i |r_i - t_i|`, the miss of a marginal.

    :math:`r_i` is the exact sum of the masses of the arcs of index ``i``. ``np.bincount`` sums
    each bin in order: ``k`` terms, all non-negative, within :math:`2 (k - 1) u\, \tilde r` of
    the exact sum.
    """
    k = np.bincount(index, minlength=target.shape[0])
    r = np.bincount(index, weights=mass, minlength=target.shape[0])
    gap = np.abs(r - target)  # each within half an ulp of |r~ - t|
    rounding = np.maximum(k - 1, 0) * EPS * r  # 2u per addition
    return up(up(sum_upper(gap) + sum_upper(rounding)) * (1 + 4 * EPS))


def _mul_up(s: float, t: float) -> float:
    """An upper bound on ``s * t`` for ``s, t >= 0``."""
    return up(s * t)


class PlanBounds(NamedTuple):
    """The bounds of :func:`plan_certificate` and the part of their width charged at the largest cost."""

    bounds: Interval
    #: The allowances taken at the largest cost: the costs' rounding and the k-d tree's
    #: comparisons on every row, the marginals' repair and the weights' error. Bounds taken
    #: arc by arc (:func:`arc_bounds`) can narrow the interval by about this much, no more.
    allowance: float


def plan_bounds(**kwargs: Any) -> Interval:
    """The bounds of :func:`plan_certificate` (the same arguments)."""
    return plan_certificate(**kwargs).bounds


def plan_certificate(
    *,
    a: np.ndarray,
    b: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    mass: np.ndarray,
    plan_costs: np.ndarray,
    v: np.ndarray,
    transform: np.ndarray,
    cost_max: float,
    error: tuple[float, float],
    d: int,
    weight_error: float = 0.0,
) -> PlanBounds:
    r"""Certified ``[lower, upper]`` on the exact W1 of ``(a, b)``, in the units of the costs.

    Args:
      a: the row weights (float64).
      b: the column weights (float64), ``a``'s total (``b`` as the solver took it).
      rows: the plan's arcs' row indices.
      cols: the plan's arcs' column indices.
      mass: the plan's arcs' masses; they must be >= 0.
      plan_costs: the computed cost of each arc.
      v: the column potential (any values).
      transform: the computed :math:`\tilde u'_i = \min_{j: b_j > 0} \tilde c_{ij} - v_j`.
      cost_max: an upper bound on every computed cost :math:`\tilde c_{ij}`.
      error: ``(rho, tau)`` of the costs (:func:`~..metrics.cost_error`).
      d: the points' dimension (the k-d tree's comparisons).
      weight_error: :math:`\sum_j |b_j - b^*_j|` between ``b`` and the exact weights it
        stands for (b scaled to a's total), 0 when ``b`` is as given.

    Returns:
      The :class:`PlanBounds`; ``hi`` is inf when a mass is negative or not finite (such a plan
      bounds nothing).
    """
    rho, tau = error
    keep = b > 0
    v_max = float(np.max(np.abs(v[keep]), initial=0.0))
    c_max = up(_mul_up(cost_max, up(1 + rho)) + tau)  # a bound on the exact costs as well
    delta = up(up(_mul_up(rho, cost_max) + tau) + _mul_up((d + 8) * EPS, up(c_max + v_max)))
    total_a = sum_upper(a)
    below = up(_mul_up(delta, total_a) + _mul_up(weight_error, v_max))
    lower = down(
        dot_enclosure(a, transform).lower_bound + dot_enclosure(b[keep], v[keep]).lower_bound
    )
    lower = down(down(lower - _mul_up(delta, total_a)) - _mul_up(weight_error, v_max))
    if not (np.all(np.isfinite(mass)) and np.min(mass, initial=0.0) >= 0):
        return PlanBounds(Interval(lower, _INF), _INF)
    moved = up(
        _mul_up(dot_enclosure(mass, plan_costs).upper_bound, up(1 + rho)) + tau * sum_upper(mass)
    )
    miss = up(up(_marginal_miss(rows, mass, a) + _marginal_miss(cols, mass, b)) + weight_error)
    repair = _mul_up(c_max, miss)
    return PlanBounds(Interval(lower, up(moved + repair)), up(below + repair))


def outward(bounds: Interval, k: int, dtype: Any) -> tuple[np.generic, np.generic]:
    """Scales an enclosure back by ``2^k`` into ``dtype``, rounding outward.

    ``(lo * 2^k, hi * 2^k)`` in ``dtype``, rounded down and up: the scaling back and the cast
    never move a bound past the number it bounds (inf where the bound is past the dtype's
    range).
    """
    dt = np.dtype(dtype)
    return _round(bounds.lower_bound, k, dt, down_=True), _round(
        bounds.upper_bound, k, dt, down_=False
    )


def _round(t: float, k: int, dt: np.dtype, *, down_: bool) -> np.generic:
    """``t * 2^k`` rounded into ``dt``, down or up."""
    if math.isnan(t):
        return dt.type(np.nan)
    try:
        scaled = math.ldexp(t, k)  # exact unless it leaves the normal range
        if math.ldexp(scaled, -k) != t:  # it did: rounded to nearest, step outward
            scaled = down(scaled) if down_ else up(scaled)
    except OverflowError:
        scaled = math.copysign(_INF, t)
    with np.errstate(over="ignore"):
        near = dt.type(scaled)  # may round again: checked against the float64 below
    if np.isfinite(near):
        if down_ and float(near) > scaled:
            near = np.nextafter(near, dt.type(-np.inf))
        elif not down_ and float(near) < scaled:
            near = np.nextafter(near, dt.type(np.inf))
    elif (down_ and near > 0) or (not down_ and near < 0):
        # Rounded past the largest float, on the side that is not a bound: the largest.
        near = np.nextafter(near, dt.type(0))
    return near


def _up_array(t: np.ndarray) -> np.ndarray:
    """Each entry stepped one float up: above the exact result each rounded."""
    return np.nextafter(t, _INF)


def _down_array(t: np.ndarray) -> np.ndarray:
    """Each entry stepped one float down."""
    return np.nextafter(t, -_INF)


def _binned_upper(index: np.ndarray, terms: np.ndarray, size: int) -> np.ndarray:
    """Upper bounds on the exact sums of non-negative ``terms`` by ``index`` (``np.bincount``).

    ``k`` terms summed in order are within :math:`2 (k - 1) u` of their sum, and each partial sum
    at most :math:`2^{-1074}` from a rounding in the subnormal range.
    """
    k = np.bincount(index, minlength=size).astype(np.float64)
    s = np.bincount(index, weights=terms, minlength=size)
    return _up_array(_up_array(s * _up_array(1 + 2 * k * EPS)) + k * _TINY)


def _deviations(index: np.ndarray, mass: np.ndarray, target: np.ndarray) -> tuple[Interval, Any]:
    r"""Enclosures of each node's exact :math:`\sum_k \text{mass}_k - t_i`, and of its sum below.

    Each by ``math.fsum`` (correctly rounded, so within half an ulp: one float each way holds
    it, and an exact 0 is returned as such): a marginal that is exact costs nothing.
    """
    size = target.shape[0]
    order = np.argsort(index, kind="stable")
    starts = np.searchsorted(index[order], np.arange(size + 1))
    grouped = mass[order].tolist()
    dev = np.empty(size)
    total = np.empty(size)
    for i in range(size):
        part = grouped[starts[i] : starts[i + 1]]
        dev[i] = math.fsum([*part, -float(target[i])])
        total[i] = math.fsum(part)
    exact = dev == 0
    lo = np.where(exact, 0.0, _down_array(dev))
    hi = np.where(exact, 0.0, _up_array(dev))
    return Interval(lo, hi), np.maximum(_down_array(total), 0.0)


def _difference_down(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``s - t`` rounded down: the rounded difference, one float lower only where it was inexact.

    Knuth's two-sum gives the difference's rounding error exactly (barring overflow).
    """
    d = s - t
    back = d - s
    err = (s - (d - back)) + (-t - back)
    return np.where(err < 0, _down_array(d), d)


def _ratio_up(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` rounded up, for ``num >= 0``, ``den >= 0``; 1 where ``den`` is 0 and ``num > 0``.

    Capped at 1: what it bounds is a fraction of a mass.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(den > 0, _up_array(num / np.where(den > 0, den, 1)), np.where(num > 0, 1, 0))
    return np.minimum(q, 1.0)


class ArcBounds(NamedTuple):
    """The bounds of :func:`arc_bounds` and the floor their width is judged against."""

    bounds: Interval
    #: The width that rounding alone can leave where W1 is 0: the costs' absolute error on the
    #: mass.
    floor: float


def arc_bounds(
    *,
    cost: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    b_spread: float,
    rows: np.ndarray,
    cols: np.ndarray,
    mass: np.ndarray,
    v: np.ndarray,
    error: tuple[float, float],
    hub: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> ArcBounds:
    r"""Certified ``[lower, upper]`` on W1 from the whole cost matrix, every allowance per arc.

    :func:`plan_bounds` charges the costs' rounding and the plan's marginal repair at the
    largest cost; where W1 is far below it (a far point of tiny mass, costs spanning many
    binades), that is wider than W1 itself. Here each allowance is taken at the arcs it concerns:

    * **below**: :math:`c^-_{ij} = \mathrm{fl}(\tilde c_{ij} (1 - \rho)) - \tau` rounded down
      (below the exact cost), :math:`u'_i = \min_{j:\, b_j > 0} (c^-_{ij} - v_j)` each difference
      rounded down: :math:`(u', v)` is feasible, and :math:`\sum_i a_i u'_i + \sum_j b^*_j v_j`
      is enclosed in one correctly rounded sum, :math:`b^*` the exact weights ``b`` stands for
      (within ``b_spread`` relative);
    * **above**: Altschuler, Weed & Rigollet's rounding (Alg. 2) of the plan :math:`P` onto
      :math:`(a, b^*)`, with the deficits it leaves bounded per node: a row loses
      :math:`(a_i - r_i)_+` and its share :math:`\sum_j P_{ij} \varphi_j` of the columns'
      excess (:math:`\varphi_j` the fraction column :math:`j` is scaled down by), a column
      :math:`(b^*_j - s_j)_+` and the mass the rows' scaling took from it. The rank-one term
      :math:`e_r e_c^\top / \Delta` costs at most :math:`\sum_i e_{r,i} \max_{j:\, e_{c,j} > 0}
      c^+_{ij}`, or, through a hub point :math:`z` and the triangle inequality (``hub``: the
      costs to it and the factor of the relaxed inequality, 2 for the squared Euclidean cost),
      :math:`\kappa (\sum_i e_{r,i} c^+(x_i, z) + \sum_j e_{c,j} c^+(z, y_j))`, whichever is less.

    Args:
      cost: the ``(n, m)`` computed costs :math:`\tilde c` (within :math:`\rho \tilde c + \tau`).
      a: the row weights.
      b: the column weights as the solver took them.
      b_spread: :math:`|b^*_j - b_j| \le` ``b_spread`` :math:`b_j` for the exact weights.
      rows: the plan's arcs' row indices.
      cols: the plan's arcs' column indices.
      mass: the plan's arcs' masses (>= 0, finite).
      v: the column potential (any finite values).
      error: ``(rho, tau)`` of the costs.
      hub: ``(costs from each x_i to z, costs from z to each y_j, factor)``, or None.

    Returns:
      The :class:`ArcBounds`.
    """
    rho, tau = error
    n, m = cost.shape
    live = b > 0
    # Below: the exact c-transform of v over costs below the exact ones, rounded down.
    shrink = down(1.0 - rho)
    low = np.maximum(_down_array(_down_array(cost * shrink) - tau), 0.0)
    diff = _difference_down(low[:, live], v[live][None, :])
    u = np.min(diff, axis=1) if np.any(live) else np.zeros(n)
    weights = np.concatenate([a, b[live]])
    duals = np.concatenate([u, v[live]])
    dual = dot_enclosure(weights, duals)
    magnitude = sum_upper(_up_array(weights * np.abs(duals)))
    lower = down(dual.lower_bound - _mul_up(_mul_up(b_spread, 2.0), magnitude))
    if np.min(cost, initial=0.0) >= 0:  # costs >= 0 (named metrics: exactly): W1 >= 0
        lower = max(lower, 0.0)
    # Above: the plan's cost, then the repair of its marginals, per node.
    high = _up_array(_up_array(cost * up(1.0 + rho)) + tau)
    moved = up(dot_enclosure(mass, high[rows, cols]).upper_bound)
    r_dev, r_lo = _deviations(rows, mass, a)
    s_dev, s_lo = _deviations(cols, mass, b)
    slack = _up_array(b * b_spread)  # |b*_j - b_j|
    theta = _ratio_up(
        np.maximum(r_dev.upper_bound, 0.0), r_lo
    )  # the rows' scaling: the fraction taken
    taken = _binned_upper(cols, _up_array(mass * theta[rows]), m)  # from each column
    s_scaled_lo = np.maximum(_down_array(s_lo - taken), 0.0)
    excess = _up_array(np.maximum(s_dev.upper_bound, 0.0) + slack)  # (s_j - b*_j)_+
    phi = _ratio_up(excess, s_scaled_lo)  # the columns' scaling: the fraction taken
    e_rows = _up_array(
        np.maximum(-r_dev.lower_bound, 0.0) + _binned_upper(rows, _up_array(mass * phi[cols]), n)
    )
    e_cols = _up_array(_up_array(np.maximum(-s_dev.lower_bound, 0.0) + slack) + taken)
    # No column short of mass: then no row is either (the deficits have one total), no repair.
    repair = 0.0
    if np.any(e_cols > 0):
        reach = np.max(np.where(e_cols[None, :] > 0, high, 0.0), axis=1)
        repair = sum_upper(_up_array(e_rows * reach))
    if hub is not None:
        to_x, to_y, factor = hub
        to_x = _up_array(_up_array(to_x * up(1.0 + rho)) + tau)
        to_y = _up_array(_up_array(to_y * up(1.0 + rho)) + tau)
        through = up(sum_upper(_up_array(e_rows * to_x)) + sum_upper(_up_array(e_cols * to_y)))
        repair = min(repair, _mul_up(factor, through))
    upper = up(moved + repair)
    total = sum_upper(mass)
    floor = _mul_up(64 * up(tau + _TINY), up(total + 1.0))
    return ArcBounds(Interval(lower, upper), floor)
