r"""Floats as integers of one scale: exact sums, differences and comparisons on the host.

Every finite float64 is its 53-bit significand times a power of two, so a set of them is a set
of integers times one common :math:`2^e`. Python's integers then add, subtract and compare
them exactly (a few thousand bits at most), and one division rounds a result back to the
nearest float64. The line's exact solver and its nearest-site queries are built on this.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_integers", "to_float"]


def as_integers(values: np.ndarray) -> tuple[list[int], int]:
    """Integers ``k_i`` and one exponent ``e`` with ``values[i] == k_i * 2**e`` exactly.

    Example:
      >>> as_integers(np.array([0.5, -3.0, 0.0]))
      ([4503599627370496, -27021597764222976, 0], -53)
    """
    significand, exponent = np.frexp(np.asarray(values, np.float64))
    ints = np.ldexp(significand, 53).astype(np.int64)  # exact: at most 53 bits
    shifts = exponent.astype(np.int64) - 53
    low = int(np.min(shifts, initial=0))
    return [
        int(k) << int(s - low) for k, s in zip(ints.tolist(), shifts.tolist(), strict=True)
    ], low


def to_float(k: int, e: int) -> float:
    """``k * 2**e`` rounded once to the nearest float64 (Python divides integers exactly rounded).

    Example:
      >>> to_float(3, -1), to_float(1, -1080)
      (1.5, 0.0)
    """
    if e >= 0:
        return float(k << e)
    return k / (1 << -e)
