"""Point clouds of the geometries that make exact W1 hard or easy.

Shared by the tests and the benchmarks (``benchmarks/bench_w1.py --geometries``).

The time of the sparse W1 solver depends on how far its plan moves mass compared with the
spacing of the points: two samples of one law are its easy case, a translated copy is solved in
one round, and samples of laws that differ take several times longer. Each geometry is drawn
from ``numpy.random.default_rng(11)`` at any size ``n``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GEOMETRIES", "geometry_problem"]


#: The geometries: 2-D unless said, uniform weights and equal
#: sizes unless said, ``rng = np.random.default_rng(11)``, ``x = rng.random((n, 2))``.
GEOMETRIES = (
    "same law",  # y = rng.random((n, 2))
    "translated copy",  # y = x + (0.3, 0.1)
    "jittered copy",  # y = x + (0.3, 0.1) + 1e-3 N(0, I)
    "shifted sample",  # y = rng.random((n, 2)) + (0.25, 0)
    "rotated copy",  # x rotated by 0.3 rad about (0.5, 0.5), then shifted by (0.2, 0)
    "two gaussians",  # x = N(0, I), y = N(0, I) * (1, 0.5) + 1
    "clusters",  # y: 10 clusters of s.d. 0.02 about uniform centres; x uniform
    "dirichlet",  # m = n + n // 7, y uniform + (0.3, 0), Dirichlet(1) weights on both sides
    "3-D shifted",  # 3-D uniform, y independent + (0.25, 0, 0)
)


def geometry_problem(geometry: str, n: int) -> tuple[np.ndarray, ...]:
    """``(x, y, a, b)`` of one of :data:`GEOMETRIES`."""
    rng = np.random.default_rng(11)
    x = rng.random((n, 2))
    m = n
    if geometry == "same law":
        y = rng.random((n, 2))
    elif geometry == "translated copy":
        y = x + np.array([0.3, 0.1])
    elif geometry == "jittered copy":
        y = x + np.array([0.3, 0.1]) + 1e-3 * rng.normal(size=(n, 2))
    elif geometry == "shifted sample":
        y = rng.random((n, 2)) + np.array([0.25, 0.0])
    elif geometry == "rotated copy":
        c, s = np.cos(0.3), np.sin(0.3)
        y = (x - 0.5) @ np.array([[c, -s], [s, c]]).T + 0.5 + np.array([0.2, 0.0])
    elif geometry == "two gaussians":
        x = rng.normal(size=(n, 2))
        y = rng.normal(size=(n, 2)) * np.array([1.0, 0.5]) + 1.0
    elif geometry == "clusters":
        centres = rng.random((10, 2))
        y = centres[rng.integers(0, 10, n)] + 0.02 * rng.normal(size=(n, 2))
    elif geometry == "dirichlet":
        m = n + n // 7
        y = rng.random((m, 2)) + np.array([0.3, 0.0])
        return x, y, rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    elif geometry == "3-D shifted":
        x = rng.random((n, 3))
        y = rng.random((n, 3)) + np.array([0.25, 0.0, 0.0])
    else:
        raise ValueError(f"unknown geometry {geometry!r}")
    return x, y, np.full(n, 1.0 / n), np.full(m, 1.0 / m)
