r"""W1 on the line from the DKW bands of the two distribution functions: no assumption below.

On the line :math:`W_1(P, Q) = \int |F - G|\, dx` (Vallender, 1973). With
:math:`\sup |F_n - F| \le e_n` and :math:`\sup |G_m - G| \le e_m`, each with probability at
least :math:`1 - \alpha / 2` (the Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant,
:math:`e_n = \sqrt{\log(4 / \alpha) / (2n)}`), the triangle inequality gives
:math:`|F - G| \ge |F_n - G_m| - e_n - e_m` pointwise, so

.. math:: W_1(P, Q) \ge \int (|F_n - G_m| - e_n - e_m)_+\, dx

with probability at least :math:`1 - \alpha`, whatever :math:`P` and :math:`Q` (a one-sided
finite-sample bound). With the supports in an interval of length :math:`D`, they lie in
:math:`[L, R] = [\max - D, \min + D]` of the pooled draws, where :math:`F = G = 0` left of it
and :math:`1` right of it, and :math:`|F - G| \le \max(F^+ - G^-, G^+ - F^-, 0)` with
:math:`F^\pm` the band's ends clipped into :math:`[0, 1]`: its integral over :math:`[L, R]` is
the upper end, on the same event (capped at :math:`D \ge W_1`).

Every integrand is constant between the merged sorted draws (and :math:`L`, :math:`R`): the
integrals are finite sums, computed in float64 and rounded outward (:func:`_integral`).

References:
  Massart, *The tight constant in the Dvoretzky-Kiefer-Wolfowitz inequality*, Ann. Probab.
  18, 1990; Vallender, *Calculation of the Wasserstein distance between probability
  distributions on the line*, Theory Probab. Appl. 18, 1973.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.options import level_option, number_option
from divergences.estimate._src.concentration import dkw_term
from divergences.estimate._src.result import Estimate, IntervalKind, Sides
from divergences.estimate._src.samples import sample_pair

__all__ = ["cdf_ends", "w1_dkw"]

#: float64's unit roundoff.
_U = 2.0**-53


def _spread(lo: float, hi: float) -> float:
    """``hi - lo`` rounded up: the least float at least the exact spread of the draws."""
    gap = hi - lo
    return math.nextafter(gap, math.inf) if math.fsum((hi, -lo, -gap)) > 0.0 else gap


def _support(diameter: Any, lo: float, hi: float) -> tuple[float, float, float] | None:
    """``(L, R, D)``, the interval the supports lie in, or None where no bound is given."""
    if diameter is None:
        return None
    if isinstance(diameter, str):
        if diameter != "sample":
            raise ValueError(f"diameter must be a number > 0, 'sample' or None, got {diameter!r}")
        return lo, hi, _spread(lo, hi)
    bound = number_option(
        diameter, "diameter", note="a bound of the length of an interval holding both supports"
    )
    if bound < _spread(lo, hi):
        raise ValueError(
            f"diameter must be at least the pooled draws' spread max - min = {_spread(lo, hi)!r}, "
            f"got {diameter!r}"
        )
    # L and R rounded outward: a wider interval holds the supports too.
    left, right = math.nextafter(hi - bound, -math.inf), math.nextafter(lo + bound, math.inf)
    if not math.isfinite(right - left):
        raise ValueError(
            f"diameter must leave [max - D, min + D] of the draws a finite interval, got {diameter!r}"
        )
    return left, right, bound


def _integral(edges: np.ndarray, heights: np.ndarray) -> tuple[float, float]:
    r"""Bounds of :math:`\sum_k (t_{k+1} - t_k) h_k`, for heights in :math:`[0, 1]` within ``12u``.

    Each height is a few operations on numbers in :math:`[0, 2]`: within :math:`12u` of the
    exact one (four roundings of at most :math:`3u`); each width and product rounds once: the
    computed terms are within :math:`\sum_k w_k (2u h_k + 12u) \le 14 u (R - L)` of the exact
    ones. Their sum, of :math:`N` non-negative terms in any order (NumPy's pairwise order or
    another), is within :math:`\gamma_{N - 1} \sum_k t_k \le 1.01 (N - 1) u (R - L)` of theirs
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, Sec. 4.2), ``R - L`` the
    computed span (itself within a relative ``u``): the bounds are the sum minus and plus
    :math:`2 (N + 16) u (R - L)`, at least that, plus :math:`(N + 4) 2^{-1074}` for products
    that underflow (a subnormal's error is absolute).
    """
    widths = np.diff(edges)
    total = float(np.sum(widths * heights))
    span = float(edges[-1] - edges[0])
    # Among subnormals a product's error is absolute, up to half the least subnormal 2^-1074
    # (each computed term's, and the slack's own products): (N + 4) of them, at most.
    slack = 2.0 * (widths.shape[0] + 16) * _U * span * (1.0 + 4.0 * _U)
    slack += (widths.shape[0] + 4) * 2.0**-1074
    return max(0.0, total - slack), total + slack


def _cdfs(xs: np.ndarray, ys: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F_n`` and ``G_m`` on each interval ``[edges[k], edges[k+1])`` (right-continuous)."""
    left = edges[:-1]
    fn = np.searchsorted(xs, left, side="right") / xs.shape[0]
    gm = np.searchsorted(ys, left, side="right") / ys.shape[0]
    return fn, gm


@runs_on_host
def w1_dkw(x: Any, y: Any, *, level: float = 0.95, diameter: float | str | None = None) -> Estimate:
    r"""W1 on the line from the DKW bands of both samples: a lower bound free of assumptions.

    .. math:: W_1(P, Q) = \int |F - G|\, dx \ \ge\ \int (|F_n - G_m| - e_n - e_m)_+\, dx,
       \qquad e_n = \sqrt{\log(4/\alpha) / (2n)},

    with probability at least ``level``, for every :math:`P`, :math:`Q` and sample size
    (DKW with Massart's constant, each band at :math:`\alpha / 2`). With ``diameter=D`` (the
    supports lie in an interval of length :math:`D`), the upper end is
    :math:`\int_L^R \max(F^+ - G^-, G^+ - F^-, 0)\, dx` on the same event, over
    :math:`[L, R] = [\max - D, \min + D]` of the pooled draws (``"sample"``: :math:`D` their
    range). The value is the plug-in :math:`\int |F_n - G_m|`. Exact sums on the merged draws,
    rounded outward, :math:`O((n + m) \log(n + m))`.

    Args:
      x: draws of :math:`P` on the line, shape ``(n,)`` or ``(n, 1)``.
      y: draws of :math:`Q`, shape ``(m,)`` or ``(m, 1)``.
      level: the coverage, in ``(0, 1)``.
      diameter: ``None`` (one-sided), a number ``D >= max - min`` of the pooled draws, or
        ``"sample"``.

    Returns:
      An :class:`Estimate`: for ``diameter=None``, ``kind="finite-sample"``, ``sides="lower"``
      (``bound`` the lower end; ``upper_bound=inf``, W1's range, claims nothing); for a number,
      ``"finite-sample"``, two-sided; for ``"sample"``, ``"plug-in-assumption"``, two-sided,
      no coverage claimed (the samples' range is below the supports'; its lower end is
      ``diameter=None``'s, which is claimed there).

    Raises:
      ValueError: for draws that are not on the line, as the shared checks, or a ``diameter``
        that is not a number at least the draws' range, ``"sample"`` or None.

    References:
      Massart, 1990; Vallender, 1973 (module docstring).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.uniform(size=2000), rng.uniform(size=2000) + 0.5
      >>> est = dv.estimate.w1_dkw(x, y, diameter=1.5)
      >>> est.lower_bound <= 0.5 <= est.upper_bound, est.sides
      (True, 'two-sided')
    """
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    xs, ys = sample_pair(x, y)
    if xs.shape[1] != 1:
        raise ValueError(
            f"x and y must be draws on the line (shape (n,) or (n, 1)): DKW's bands are for "
            f"distribution functions of one variable; got {xs.shape[1]} coordinates a draw"
        )
    xs, ys = np.sort(xs[:, 0]), np.sort(ys[:, 0])
    lo, hi = float(min(xs[0], ys[0])), float(max(xs[-1], ys[-1]))
    if not math.isfinite(hi - lo):
        raise ValueError("x and y must have a pooled range max - min below the largest float")
    support = _support(diameter, lo, hi)
    en, em = dkw_term(xs.shape[0], alpha / 2.0), dkw_term(ys.shape[0], alpha / 2.0)
    plug, lower, upper = cdf_ends(xs, ys, support, en, em)
    sides: Sides = "lower"
    assumption = "none: independent draws of P and of Q"
    method = (
        "the plug-in int |F_n - G_m| dx; lower end: int (|F_n - G_m| - e_n - e_m)_+ dx with "
        "the DKW-Massart bands at alpha/2 each"
    )
    if support is not None:
        sides = "two-sided"
        assumption = f"the supports of P and Q lie in one interval of length <= {support[2]!r}"
        assumption += ", the samples' range" if diameter == "sample" else ""
        method += "; upper end: int max(F_up - G_lo, G_up - F_lo, 0) dx over [max - D, min + D]"
    lower = min(lower, upper)
    value = min(max(plug, lower), upper)
    kind: IntervalKind = "plug-in-assumption" if diameter == "sample" else "finite-sample"
    return Estimate(
        value=value, lower_bound=lower, upper_bound=upper, level=float(level), kind=kind,
        sides=sides, assumption=assumption, method=method, n=xs.shape[0], m=ys.shape[0],
        quantity="W1",
    )  # fmt: skip


def cdf_ends(
    xs: np.ndarray, ys: np.ndarray, support: tuple[float, float, float] | None, en: float, em: float
) -> tuple[float, float, float]:
    """The plug-in, the lower end and the upper end (``inf`` without ``support``).

    The edges are the merged sorted draws (and ``L``, ``R``): ties give intervals of width 0,
    which add nothing, and outside the draws' range ``F_n = G_m`` (0 or 1), so one set of edges
    serves the three integrals.
    """
    parts = [xs, ys] if support is None else [xs, ys, np.array(support[:2])]
    edges = np.sort(np.concatenate(parts))
    fn, gm = _cdfs(xs, ys, edges)
    gap = np.abs(fn - gm)
    plug = float(np.sum(np.diff(edges) * gap))
    lower = _integral(edges, np.maximum(gap - (en + em), 0.0))[0]
    if support is None:
        return plug, lower, math.inf
    f_up, f_lo = np.minimum(1.0, fn + en), np.maximum(0.0, fn - en)
    g_up, g_lo = np.minimum(1.0, gm + em), np.maximum(0.0, gm - em)
    heights = np.maximum(np.maximum(f_up - g_lo, g_up - f_lo), 0.0)
    # W1 <= D for supports in an interval of length D: the larger integral adds nothing then.
    return plug, lower, min(_integral(edges, heights)[1], support[2])
