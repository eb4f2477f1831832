r"""Deviation terms of sample means: Hoeffding's, McDiarmid's, DKW's and the normal quantile.

Each returns the half-width ``t`` such that the stated deviation exceeds ``t`` with probability
at most ``alpha``. The terms are computed in float64 and rounded up by a few ulps, so that an
interval built from them errs on the wide side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.special import ndtri

__all__ = ["bounded_differences_term", "dkw_term", "normal_quantile", "widen"]


def widen(t: float) -> float:
    """``t`` rounded up by a few ulps: a computed deviation term that is never below the exact one."""
    return math.nextafter(math.nextafter(math.nextafter(t, math.inf), math.inf), math.inf)


def bounded_differences_term(widths: Sequence[tuple[float, int]], alpha: float) -> float:
    r"""One-sided McDiarmid (Hoeffding for means) term for independent bounded pieces.

    For a function of independent draws that moves by at most ``c_i`` when draw ``i`` changes,
    :math:`P(f - E f \ge t) \le \exp(-2 t^2 / \sum_i c_i^2)`. ``widths`` lists ``(c, count)``
    groups (``count`` draws each moving ``f`` by at most ``c``); the term is
    :math:`t = \sqrt{\log(1/\alpha) \sum c^2 / 2}`.

    References:
      McDiarmid, *On the method of bounded differences*, Surveys in Combinatorics, 1989.
    """
    total = math.fsum(c * c * count for c, count in widths)
    return widen(math.sqrt(math.log(1.0 / alpha) * total / 2.0))


def dkw_term(n: int, alpha: float) -> float:
    r"""The DKW-Massart band of an empirical CDF: :math:`P(\sup|F_n - F| > t) \le 2 e^{-2nt^2}`.

    References:
      Massart, *The tight constant in the Dvoretzky-Kiefer-Wolfowitz inequality*, Ann. Probab.
      18, 1990.
    """
    return widen(math.sqrt(math.log(2.0 / alpha) / (2.0 * n)))


def normal_quantile(p: float) -> float:
    """The standard normal quantile at ``p`` (``ndtri``), in float64."""
    return float(ndtri(p))
