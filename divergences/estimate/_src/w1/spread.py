r"""The spread of a pooled sample in a metric: its diameter, cheaply bounded, and its moments.

The W1 intervals rest on a bound ``D`` of the supports' diameter (the bounded differences of
W1 and of a 1-Lipschitz potential) or on the second moments :math:`E\, d(X, X')^2` (the
Efron-Stein variance bound). Both are read off the samples here, on the host, in float64.

**The diameter.** Exactly where that is cheap: on the line (``max - min``), for the Chebyshev
metric (the largest coordinate range), for at most :data:`EXACT_PAIRS` pooled draws (every pair,
by blocks), and for the Euclidean metric in dimension 2 and 3 (every pair of the convex hull's
vertices: the farthest pair of a set is a pair of its hull's vertices). Otherwise two sweeps:
``r1``, the largest distance from one draw to all, reached at ``z1``, and ``r2``, the largest
distance from ``z1``: ``r2 <= diam <= 2 min(r1, r2)`` by the triangle inequality.

**Rounding.** A computed distance :math:`\tilde c` is within :math:`\rho \tilde c + \tau` of the
exact one (the metric's cost-error model, :func:`divergences._src.metrics.cost_error`),
so an upper end is widened by it and a lower end narrowed.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from divergences._src.interval import interval_contains
from divergences._src.metrics import HOST_OPS, NAMED, MetricSpec, cost_error
from divergences._src.scaling import scale_exponent

__all__ = ["EXACT_PAIRS", "Spread", "metric_spec", "second_moment", "spread"]

#: Pooled samples of at most this many draws have their diameter computed over every pair.
EXACT_PAIRS = 2000
#: Rows of distances computed at once.
_BLOCK = 256


class Spread(NamedTuple):
    """Bounds of a pooled sample's diameter, ``lower_bound <= diam <= upper_bound``, exactly true.

    ``exact`` where both come from the exact diameter (then they differ by rounding only);
    ``how`` says which computation gave them, in words.
    """

    lower_bound: float
    upper_bound: float
    exact: bool
    how: str

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]``."""
        return interval_contains(self.lower_bound, self.upper_bound, x)


def metric_spec(metric: Any) -> MetricSpec:
    """The spec of a named metric or a metric spec of degree 1; a ValueError naming ``metric``.

    A callable cost cannot be checked to be a metric, and ``"sqeuclidean"`` is none (its square
    root is): the W1 intervals need the triangle inequality.
    """
    if isinstance(metric, MetricSpec):
        spec = metric
    elif isinstance(metric, str) and metric in NAMED:
        spec = NAMED[metric]
    else:
        names = ", ".join(repr(name) for name, s in NAMED.items() if s.degree == 1)
        raise ValueError(
            f"metric must be a metric: one of {names} or a spec such as dv.Minkowski(p=3); "
            f"got {metric!r}"
        )
    if spec.degree != 1:
        raise ValueError(
            f"metric must be a metric (degree 1, with the triangle inequality): "
            f"{spec.name!r} is not; use 'euclidean' for W1"
        )
    return spec


def _distances(a: np.ndarray, b: np.ndarray, spec: MetricSpec) -> np.ndarray:
    """The ``(len(a), len(b))`` computed distances, by the spec's formula."""
    return np.asarray(spec.costs(a[:, None, :] - b[None, :, :], HOST_OPS), np.float64)


def _farthest(z: np.ndarray, k: int, spec: MetricSpec) -> tuple[float, int]:
    """The largest computed distance from ``z[k]`` to the rows of ``z``, and where it is."""
    best, where = 0.0, k
    for start in range(0, z.shape[0], 16 * _BLOCK):
        dist = _distances(z[k : k + 1], z[start : start + 16 * _BLOCK], spec)[0]
        i = int(np.argmax(dist))
        if dist[i] > best:
            best, where = float(dist[i]), start + i
    return best, where


def _all_pairs(z: np.ndarray, spec: MetricSpec) -> float:
    """The largest computed distance over every pair of rows of ``z`` (blocks of rows)."""
    best = 0.0
    for start in range(0, z.shape[0], _BLOCK):
        block = _distances(z[start : start + _BLOCK], z[start:], spec)
        best = max(best, float(block.max(initial=0.0)))
    return best


def _hull_vertices(z: np.ndarray) -> np.ndarray | None:
    """The convex hull's vertices of points in dimension 2 or 3; None for a flat set."""
    try:
        return z[ConvexHull(z).vertices]
    except (QhullError, ValueError):  # collinear or coplanar points, too few points
        return None


def _exact_diameter(z: np.ndarray, spec: MetricSpec) -> tuple[float, str] | None:
    """The computed diameter where a cheap exact computation exists, with its name; else None."""
    n, d = z.shape
    if d == 1:
        return float(z.max() - z.min()), "max - min of the draws"
    if spec.name == "chebyshev":
        return float((z.max(axis=0) - z.min(axis=0)).max()), "the largest coordinate range"
    if n <= EXACT_PAIRS:
        return _all_pairs(z, spec), "over every pair of draws"
    if spec.name == "euclidean" and d in (2, 3):
        hull = _hull_vertices(z)
        if hull is not None and hull.shape[0] <= EXACT_PAIRS:
            return _all_pairs(hull, spec), "over every pair of the convex hull's vertices"
    return None


def spread(z: np.ndarray, spec: MetricSpec) -> Spread:
    """Bounds of the diameter of the rows of ``z`` in the metric ``spec`` (module docstring).

    Computed on the draws scaled by a power of two into (-1, 1) (exact), where no distance
    overflows, and scaled back, rounded outward.

    Raises:
      ValueError: where the draws' diameter may exceed the largest float.
    """
    e = scale_exponent(z)
    err = cost_error(spec, z.shape[1])
    scaled = _bounds(np.ldexp(z, -e), spec, err.rho, err.tau)
    with np.errstate(over="ignore"):
        high = math.nextafter(float(np.ldexp(scaled.upper_bound, e)), math.inf)
    if not math.isfinite(high):
        raise ValueError(
            "x and y must have a pooled diameter below the largest float: their distances "
            "overflow float64"
        )
    low = max(0.0, math.nextafter(float(np.ldexp(scaled.lower_bound, e)), -math.inf))
    return Spread(low, high, scaled.exact, scaled.how)


def _bounds(z: np.ndarray, spec: MetricSpec, rho: float, tau: float) -> Spread:
    """:func:`spread` past its range check, with the cost-error constants ``rho`` and ``tau``."""
    exact = _exact_diameter(z, spec)
    if exact is not None:
        low = high = exact[0]
        how = f"the exact diameter ({exact[1]})"
    else:
        r1, k1 = _farthest(z, 0, spec)
        r2, _ = _farthest(z, k1, spec)
        low, high = r2, 2.0 * min(r1, r2)
        how = "twice the largest distance from one draw to the others, an upper bound"
    high = high * (1.0 + 2.0 * rho) + tau
    if not math.isfinite(high):
        raise ValueError(
            "x and y must have finite distances between their draws: the pooled draws' "
            "spread overflows float64"
        )
    # ``low`` lowered by the rounding, ``high`` raised: each rounding of the two lines above
    # is within a relative u, inside the factor 2 on rho.
    low = max(0.0, low * (1.0 - 2.0 * rho) - tau)
    return Spread(low, math.nextafter(high, math.inf), exact is not None, how)


def second_moment(z: np.ndarray, spec: MetricSpec, rng: np.random.Generator) -> float:
    r"""An unbiased estimate of :math:`E\, d(Z, Z')^2`, for independent draws of ``z``'s law.

    The U-statistic :math:`\frac{1}{n(n-1)} \sum_{i \ne j} d(z_i, z_j)^2`: for the Euclidean
    metric :math:`2 \operatorname{tr} \hat\Sigma`, twice the trace of the sample covariance
    (``ddof=1``), in :math:`O(nd)`; for another metric over every pair of at most
    :data:`EXACT_PAIRS` draws (a random subset of them beyond, still unbiased). 0 for one draw.
    Pass draws scaled into (-1, 1) (by a power of two): no square overflows or underflows then.
    """
    n = z.shape[0]
    if n < 2:
        return 0.0
    if spec.name == "euclidean":
        return float(2.0 * np.var(z, axis=0, ddof=1).sum())
    if n > EXACT_PAIRS:
        z = z[rng.choice(n, EXACT_PAIRS, replace=False)]
        n = EXACT_PAIRS
    total = 0.0
    for start in range(0, n, _BLOCK):
        block = _distances(z[start : start + _BLOCK], z, spec)
        total += math.fsum((block * block).ravel())
    return total / (n * (n - 1))
