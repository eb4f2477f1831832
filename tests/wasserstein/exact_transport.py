"""An exact W1 enclosure for the tests' assertions, from the harness's rational reference.

:class:`divergences.testing.exact_w1.ExactW1` (an integer transport solve certified by its own
duals, Euclidean costs enclosed by integer square roots) gives the enclosure; this module adds
the two questions the tests ask of it.
"""

from __future__ import annotations

from fractions import Fraction

from divergences.extending import Interval
from divergences.testing.exact_w1 import ExactW1 as _Reference

__all__ = ["ExactW1", "exact_w1"]


class ExactW1(Interval):
    """Rationals with ``lower_bound <= W1 <= upper_bound`` (at most ``2^-128`` of W1 wide)."""

    __slots__ = ()

    def inside(self, lo: float, hi: float) -> bool:
        """Whether ``[lo, hi]`` (floats) holds the whole enclosure, hence W1."""
        return Fraction(float(lo)) <= self.lower_bound and self.upper_bound <= Fraction(float(hi))

    def within(self, value: float, rtol: float) -> bool:
        """Whether ``value`` is within ``rtol`` of W1, relative, for any W1 in the enclosure."""
        v = Fraction(float(value))
        r = Fraction(rtol)
        low, high = self
        return abs(v - low) <= r * low and abs(v - high) <= r * high


def exact_w1(x, y, a=None, b=None) -> ExactW1:
    """The enclosure of the Euclidean W1 of the measures as given (floats of any dtype)."""
    lower, upper = _Reference(x, y, a, b).enclosure()
    return ExactW1(lower, upper)
