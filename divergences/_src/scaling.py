r"""The float scaling every part of the package shares: the dtype's constants and the exponent.

:func:`unit_roundoff` and :func:`tiny` are a dtype's :math:`u = \epsilon/2` and smallest normal
number :math:`\lambda`, exactly (as fractions), for the error models written with them
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, ch. 2);
:data:`EPS` is float64's machine epsilon; :func:`ceil_float` the least float of a dtype at or
above an exact number. :func:`scale_exponent` is the one power of two by which points are scaled
into (-1, 1) before their costs or distances are computed, on the host and in XLA alike, and
:data:`MAX_SCALE_EXPONENT` the largest factor a value is scaled back by: the W1 solvers, the
metrics' costs and the sample estimates use them.

NumPy only: the host solvers, which know nothing of JAX, use it too.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "EPS",
    "MAX_SCALE_EXPONENT",
    "ceil_float",
    "scale_exponent",
    "tiny",
    "unit_roundoff",
]


def unit_roundoff(dtype: Any) -> Fraction:
    """:math:`u = 2^{-p}`, half the machine epsilon of ``dtype``, exactly."""
    return Fraction(float(np.finfo(dtype).eps)) / 2


def tiny(dtype: Any) -> Fraction:
    r""":math:`\lambda`, the smallest normal number of ``dtype``, exactly."""
    return Fraction(float(np.finfo(dtype).tiny))


#: float64's machine epsilon :math:`\epsilon = 2u`, the unit of the host's rounding constants.
EPS = float(np.finfo(np.float64).eps)

#: The largest power of two a value is scaled back by, :math:`2^{1000}`: a normal float with
#: room to spare, so that the derivative of the scaling (one factor, applied once each way)
#: never overflows on its own.
MAX_SCALE_EXPONENT = 1000


def scale_exponent(*points: Any, degree: int = 1, xp: Any = np, clip: bool = True) -> Any:
    """The exponent ``e`` with ``max |coordinate|`` in ``[2^(e-1), 2^e)``; 0 if all are 0.

    Points times ``2^-e`` have coordinates below 1 in magnitude: their differences, squares and
    sums can neither overflow nor (for the hypot-style norm) underflow, and scaling by a power
    of two is exact wherever it stays clear of subnormal numbers. ``e`` is clipped so that the
    cost's factor ``2^(degree e)`` stays at most ``2^1000`` either way (coordinates beyond
    ~1e301 are scaled to at most 2^24, still far from overflow), and a normal float of the
    dtype the points are scaled in; ``clip=False`` leaves it unclipped, for a caller that
    scales back exactly on the host (``math.ldexp``) and wants ``max |z| 2^-e`` in
    ``[1/2, 1)`` always (the MMD's pooled draws, the k-NN's distances in float32).

    The one scale exponent of the package, on the host and in XLA alike. ``xp`` is the array
    namespace: NumPy (the host, where points are scaled in float64) gives a Python int;
    ``jax.numpy`` (points of one dtype, concrete or traced, scaled in that dtype) an int32
    scalar with no derivative. Both read the largest magnitude from the coordinates' bits,
    which integer operations never flush: points that are all subnormal (0 to XLA's
    arithmetic) get their own exponent too. Non-finite points (which the input rules refuse)
    give 0.
    """
    if xp is np:
        points = tuple(np.asarray(p, np.float64) for p in points)
    dt = np.dtype(points[0].dtype)
    fi = np.finfo(dt)
    int_dtype = np.int32 if dt.itemsize == 4 else np.int64
    sign_off = np.iinfo(int_dtype).max
    top = xp.max(xp.stack([xp.max(p.view(int_dtype) & sign_off) for p in points]))
    biased = top >> int(fi.nmant)
    # A subnormal maximum: its integer significand's bit length, exact as a float of the dtype.
    width = xp.frexp(top.astype(dt))[1]
    e = xp.where(
        biased > 0, biased - (int(fi.maxexp) - 2), width + (int(fi.minexp) - int(fi.nmant))
    )
    finite = biased < (1 << (8 * dt.itemsize - 1 - int(fi.nmant))) - 1  # not inf or NaN
    e = xp.where((top > 0) & finite, e, 0).astype(np.int32)
    if clip:
        limit = min(MAX_SCALE_EXPONENT, int(fi.maxexp) - 4) // degree
        e = xp.clip(e, -limit, limit)
    return int(e) if xp is np else e


def ceil_float(q: Fraction | float, dtype: Any) -> float:
    """The least float of ``dtype`` at or above the exact number ``q``.

    The result is a Python float that ``dtype`` holds exactly, so that XLA reads the constant
    unchanged.
    """
    q = Fraction(q)
    dt = np.dtype(dtype)
    value = dt.type(float(q))
    while Fraction(float(value)) < q:
        value = np.nextafter(value, dt.type(np.inf))
    return float(value)
