r"""Ground costs on the host: NumPy in, NumPy out, no JAX.

The W1 host solvers take float64 points scaled by a power of two into (-1, 1)
(:func:`scale_exponent`): exact wherever no coordinate leaves the normal range, so every
coordinate scale is solved like scale 1 and no difference, square or sum overflows. The
costs here are the named metrics of :mod:`divergences.wasserstein.cost`; a callable metric is
JAX code, which the runner evaluates in JAX and hands over as a matrix.

Every computed cost :math:`\tilde c` is within :func:`relative_cost_error` of the exact cost
of the same float64 points, :math:`|\tilde c - c| \le \rho\, \tilde c + \tau`, which is what
the certificates (:mod:`.certify`) widen their bounds by.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "NAMED_METRICS",
    "arc_costs",
    "cost_error",
    "homogeneity",
    "pairwise_costs",
    "scale_exponent",
]

#: The metrics known by name.
NAMED_METRICS = ("euclidean", "sqeuclidean", "cityblock", "chebyshev")

_EPS = float(np.finfo(np.float64).eps)

#: The largest power of two a value is scaled back by, :math:`2^{1000}`: a normal float with
#: room to spare, so that the derivative of the scaling (one factor, applied once each way)
#: never overflows on its own.
MAX_SCALE_EXPONENT = 1000

#: Euclidean costs below this are recomputed hypot-style: a sum of squares underflows once a
#: difference is below ~1e-154 (2^-511 squared is 2^-1022).
_SQUARES_UNDERFLOW = 2.0**-480


def homogeneity(metric: Any) -> int | None:
    """The degree k of ``c(s x, s y) = s^k c(x, y)`` for ``s > 0``; None for a callable.

    Every named cost is also translation invariant, so a W1 problem can be solved on points
    scaled by a power of two and the value scaled back exactly.
    """
    if callable(metric):
        return None
    return 2 if metric == "sqeuclidean" else 1


def scale_exponent(*points: np.ndarray, degree: int = 1) -> int:
    """The exponent ``e`` with ``max |coordinate|`` in ``[2^(e-1), 2^e)``; 0 if all are 0.

    Points times ``2^-e`` have coordinates below 1 in magnitude: their differences, squares and
    sums can neither overflow nor (for the hypot-style norm) underflow, and scaling by a power
    of two is exact wherever it stays clear of subnormal numbers. ``e`` is clipped so that the
    cost's factor ``2^(degree e)`` stays at most ``2^1000`` either way (coordinates beyond
    ~1e301 are scaled to at most 2^24, still far from overflow).
    """
    top = max(float(np.max(np.abs(p), initial=0.0)) for p in points)
    e = int(np.frexp(top)[1]) if top > 0 else 0
    limit = MAX_SCALE_EXPONENT // degree
    return min(max(e, -limit), limit)


def cost_error(metric: Any, d: int) -> tuple[float, float]:
    r"""The error bound ``(rho, tau)`` of the costs computed here.

    :math:`|\tilde c - c| \le \rho \tilde c + \tau` holds for every cost computed here from
    float64 points of dimension ``d`` scaled by :func:`scale_exponent`.

    ``rho`` bounds the rounding of the formula: ``d`` differences, squares or absolute values,
    a sum of ``d`` terms and a square root, each within half an ulp, is a relative error of
    at most :math:`(d + 3) u` (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002,
    Sec. 3.1 and 4.2); twice that is used, ``(d + 6) eps``. ``tau`` covers what scaling into
    (-1, 1) and squares below the normal range can lose: each coordinate is within
    :math:`2^{-1075}` of the exact scaled one, and a square below :math:`2^{-1022}` within
    :math:`2^{-1075}` of its value, so a distance moves by at most :math:`d\, 2^{-530}` (the
    compiled k-d tree sums squares without the hypot-style recomputation). A callable metric
    (or None, standing for one) is certified for the matrix it computes: ``(0, 0)``.
    """
    if metric is None or callable(metric):
        return 0.0, 0.0
    return (d + 6) * _EPS, d * 2.0**-530


def _euclidean_small(diff: np.ndarray) -> np.ndarray:
    """``|diff|_2`` row by row, scaled by the largest component first (like ``hypot``)."""
    big = np.max(np.abs(diff), axis=1, keepdims=True)
    big[big == 0] = 1.0
    return big[:, 0] * np.sqrt(np.sum((diff / big) ** 2, axis=1))


def pairwise_costs(x: np.ndarray, y: np.ndarray, metric: str) -> np.ndarray:
    """The ``(n, m)`` cost matrix of float64 points for a named metric (scipy's C loops).

    The Euclidean cost is exact to rounding at every scale: differences on the line are taken
    as they are, and in higher dimension the few entries small enough for ``cdist``'s squares
    to have underflowed are recomputed scaled by their largest component (like ``hypot``).
    ``cdist`` may overflow where a squared difference exceeds 1.8e308: the W1 solvers pass
    points already scaled by :func:`scale_exponent`.
    """
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x64.shape[1] == 1 and metric != "sqeuclidean":
        return np.abs(x64 - y64[:, 0][None, :])
    # Imported here: scipy.spatial takes longer to import than the rest of the package.
    from scipy.spatial.distance import cdist

    cost = cdist(x64, y64, metric=metric)
    if metric == "euclidean":
        rows, cols = np.nonzero(cost < _SQUARES_UNDERFLOW)
        if rows.size:
            cost[rows, cols] = _euclidean_small(x64[rows] - y64[cols])
    return cost


def arc_costs(x: np.ndarray, y: np.ndarray, rows: np.ndarray, cols: np.ndarray, metric: str):
    """``c(x[rows[k]], y[cols[k]])`` for each arc ``k``: the costs a sparse plan uses."""
    diff = np.asarray(x, np.float64)[rows] - np.asarray(y, np.float64)[cols]
    if metric == "sqeuclidean":
        return np.sum(diff * diff, axis=1)
    if metric == "cityblock":
        return np.sum(np.abs(diff), axis=1)
    if metric == "chebyshev":
        return np.max(np.abs(diff), axis=1, initial=0.0)
    cost = np.sqrt(np.sum(diff * diff, axis=1))
    small = cost < _SQUARES_UNDERFLOW
    if np.any(small):
        cost[small] = _euclidean_small(diff[small])
    return cost
