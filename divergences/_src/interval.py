"""An interval ``[lower_bound, upper_bound]``: the package's one name for its ends, and one test.

Every result that brackets a number names its ends ``lower_bound`` and ``upper_bound`` and asks
whether it holds a number with ``contains``: :class:`divergences.W1Primal`, the certified
``Enclosure`` of :mod:`divergences.continuous.certified`, :class:`divergences.estimate.Estimate`.
:class:`Interval` is the bare pair, for the host solvers' float enclosures and the harness's exact
rational ones; :func:`interval_contains` is the test they all share. The module imports nothing,
so that the host solvers, which know nothing of JAX, use it too.

Example:
  >>> from fractions import Fraction
  >>> w = Interval(Fraction(1, 3), Fraction(1, 2))
  >>> w.contains(Fraction(2, 5)), w.contains(0.6)
  (True, False)
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Interval", "interval_contains"]


def interval_contains(lower_bound: Any, upper_bound: Any, x: Any) -> Any:
    """Whether ``lower_bound <= x <= upper_bound``, elementwise where any of them is an array.

    Written ``(lower_bound <= x) & (x <= upper_bound)``, not as a chained comparison, so that it
    holds for Python numbers and fractions (a ``bool``), NumPy arrays (a boolean array) and JAX
    arrays, traced under ``jit`` and ``vmap`` too (a boolean array, never a Python branch on a
    traced value). A NaN anywhere gives False; the ends are closed.

    Args:
      lower_bound: the lower end(s).
      upper_bound: the upper end(s).
      x: the number(s) to test, broadcast against the ends.

    Returns:
      ``(lower_bound <= x) & (x <= upper_bound)``.
    """
    return (lower_bound <= x) & (x <= upper_bound)


class Interval(NamedTuple):
    """Ends with ``lower_bound <= t <= upper_bound`` for a number ``t`` that is not known exactly.

    Attributes:
      lower_bound: the lower end: a float, a :class:`fractions.Fraction`, or an array of them.
      upper_bound: the upper end, of the same kind.
    """

    lower_bound: Any
    upper_bound: Any

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]`` (:func:`interval_contains`)."""
        return interval_contains(self.lower_bound, self.upper_bound, x)
