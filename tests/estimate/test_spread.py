"""The pooled draws' diameter bounds and second moments behind the W1 intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

import divergences as dv
from divergences.estimate._src.w1.spread import EXACT_PAIRS, metric_spec, second_moment, spread


def brute(z: np.ndarray, metric: str) -> float:
    return float(pdist(z, metric=metric).max())


@pytest.mark.parametrize(
    ("n", "d", "metric", "exact"),
    [
        (500, 4, "euclidean", True),  # every pair
        (EXACT_PAIRS + 500, 1, "euclidean", True),  # max - min
        (EXACT_PAIRS + 500, 2, "euclidean", True),  # the hull's vertices
        (EXACT_PAIRS + 500, 3, "euclidean", True),
        (EXACT_PAIRS + 500, 5, "chebyshev", True),  # the largest coordinate range
        (EXACT_PAIRS + 500, 5, "euclidean", False),  # two sweeps
        (EXACT_PAIRS + 500, 3, "cityblock", False),
    ],
)
def test_the_bounds_hold_the_diameter_and_are_tight_where_exact(
    n: int, d: int, metric: str, exact: bool
) -> None:
    z = np.random.default_rng(n + d).normal(size=(n, d))
    sp = spread(z, metric_spec(metric))
    diam = brute(z, metric)
    assert sp.exact == exact
    assert sp.lower_bound <= diam <= sp.upper_bound
    assert sp.upper_bound <= 2.0 * diam * (1 + 1e-12)
    if exact:
        assert sp.upper_bound == pytest.approx(diam, rel=1e-13)
        assert sp.lower_bound == pytest.approx(diam, rel=1e-13)


def test_collinear_points_in_the_plane_fall_back_to_the_sweeps() -> None:
    t = np.linspace(0.0, 1.0, EXACT_PAIRS + 10)
    sp = spread(np.stack([t, 2 * t], axis=1), metric_spec("euclidean"))
    assert not sp.exact
    assert sp.lower_bound <= 5**0.5 <= sp.upper_bound


def test_the_second_moment_is_the_pairwise_u_statistic() -> None:
    z = np.random.default_rng(0).normal(size=(300, 3))
    rng = np.random.default_rng(0)
    for metric in ("euclidean", "cityblock"):
        pairs = pdist(z, metric=metric)
        assert second_moment(z, metric_spec(metric), rng) == pytest.approx(
            np.mean(pairs**2), rel=1e-12
        )
    assert second_moment(z[:1], metric_spec("euclidean"), rng) == 0.0


@pytest.mark.slow
def test_the_second_moment_of_a_large_sample_is_near_its_expectation() -> None:
    # E ||X - X'||_1^2 for X ~ N(0, I_2): Var + mean^2 of |a| + |b|, a, b ~ N(0, 2): 4 + 8/pi.
    z = np.random.default_rng(1).normal(size=(EXACT_PAIRS * 3, 2))
    value = second_moment(z, metric_spec("cityblock"), np.random.default_rng(2))
    assert value == pytest.approx(4.0 + 8.0 / np.pi, rel=0.1)


def test_metric_spec_takes_metrics_only() -> None:
    assert metric_spec(dv.Minkowski(p=3)).name == "minkowski"
    with pytest.raises(ValueError, match="'sqeuclidean' is not"):
        metric_spec("sqeuclidean")
    with pytest.raises(ValueError, match="metric must be a metric"):
        metric_spec(np.subtract)


def test_an_overflowing_spread_raises() -> None:
    z = np.array([[-1e308, 0.0], [1e308, 0.0]])
    with pytest.raises(ValueError, match="overflow"):
        spread(z, metric_spec("euclidean"))
