"""The certified path's answer: an :class:`Enclosure` of a real number, its floats rounded outward.

:func:`enclosure_of` turns an Arb ball into an :class:`Enclosure` whose floats hold the ball
(:func:`down`, :func:`up`: the nearest float on the outer side); :func:`infinite` is a value
decided exactly to be infinite.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from divergences._src.interval import interval_contains
from divergences.continuous._src.ball import load_flint

__all__ = ["ARB", "EQUAL", "Enclosure", "down", "enclosure_of", "infinite", "up"]


class Enclosure(NamedTuple):
    """A rigorous enclosure of a real number.

    Attributes:
      value: the float nearest the midpoint of the enclosure (``inf``/``-inf`` when infinite).
      lower_bound: a float below the exact value (rounded outward).
      upper_bound: a float above the exact value (rounded outward).
      method: how the bounds were obtained: ``"arb integration + analytic tails"``,
        ``"closed form"``, ``"infinite: support"``, ``"infinite: tails"``...
    """

    value: float
    lower_bound: float
    upper_bound: float
    method: str

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]`` (elementwise for an array)."""
        return interval_contains(self.lower_bound, self.upper_bound, x)


ARB = "arb integration + analytic tails"

#: The enclosure of a divergence or distance between a law and itself: 0 exactly.
EQUAL = Enclosure(0.0, 0.0, 0.0, "equal laws")


def down(x: Any) -> float:
    flint = load_flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) > x:
        f = math.nextafter(f, -math.inf)
    return f


def up(x: Any) -> float:
    flint = load_flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def enclosure_of(
    ball: Any, method: str, lo_clip: float = -math.inf, hi_clip: float = math.inf
) -> Enclosure:
    lo = max(down(ball.lower()), lo_clip)
    hi = min(up(ball.upper()), hi_clip)
    mid = float(ball.mid())
    mid = min(max(mid, lo), hi)
    return Enclosure(mid, lo, hi, method)


def infinite(sign: float, why: str) -> Enclosure:
    v = sign * math.inf
    return Enclosure(v, v, v, f"infinite: {why}")
