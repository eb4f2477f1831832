"""The k-th neighbour distances: the k-d tree and the XLA brute force against each other and SciPy."""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.estimate import NoCoverageWarning
from divergences.estimate._src.neighbours.search import (
    RADIUS_ROOM,
    UNDECIDED_KEPT,
    ball_counts,
    candidate_indices,
    kth_neighbour_distances,
    kth_neighbours,
)


def brute(points: np.ndarray, k: int, queries: np.ndarray | None = None) -> np.ndarray:
    """The k-th distance by a full float64 distance matrix and a sort."""
    dist = cdist(points if queries is None else queries, points)
    if queries is None:
        np.fill_diagonal(dist, np.inf)
    return np.sort(dist, axis=1)[:, k - 1]


# d = 12, and k = 1 in d = 3 and k = 4 in d = 1, in the slow tier (the same engines, their own
# programs): [1-1] and [4-3] keep each k and each small d quick.
@pytest.mark.parametrize(
    ("k", "d"),
    [
        (1, 1),
        (4, 3),
        *(pytest.param(*c, marks=pytest.mark.slow) for c in [(1, 3), (4, 1), (1, 12), (4, 12)]),
    ],
)
def test_engines_agree_with_a_full_sort(d: int, k: int) -> None:
    rng = np.random.default_rng(d * 10 + k)
    x, y = rng.standard_normal((300, d)), rng.standard_normal((250, d)) + 0.3
    for queries in (None, y):
        want = brute(x, k, queries)
        for engine in ("tree", "xla"):
            got = kth_neighbour_distances(x, k, queries, engine=engine)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("engine", ["tree", "xla"])
def test_the_neighbours_index_names_a_point_at_its_distance(engine: str) -> None:
    # Draws of a density and a lattice (ties, rows the XLA engine searches again on the host):
    # the point at the index returned lies at the distance returned, and not at the query.
    rng = np.random.default_rng(5)
    grid = np.stack(np.meshgrid(np.arange(6.0), np.arange(6.0)), -1).reshape(-1, 2)
    for x in (rng.standard_normal((120, 3)), grid):
        for k, queries in ((2, None), (1, x[:50] + 0.25)):
            dist, index = kth_neighbours(x, k, queries, engine=engine)
            qs = x if queries is None else queries
            np.testing.assert_allclose(np.linalg.norm(x[index] - qs, axis=1), dist, rtol=1e-12)
            np.testing.assert_array_equal(
                dist, kth_neighbour_distances(x, k, queries, engine=engine)
            )
            if queries is None:
                assert np.all(index != np.arange(len(x)))


def test_near_points_far_from_the_origin_keep_their_relative_accuracy() -> None:
    # Points 1e6 from the origin, 1e-3 apart: the expansion alone would lose every digit.
    rng = np.random.default_rng(1)
    x = 1e6 + 1e-3 * rng.standard_normal((200, 4))
    want = kth_neighbour_distances(x, 3, engine="tree")
    got = kth_neighbour_distances(x, 3, engine="xla")
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_duplicates_count_as_other_points_at_distance_zero() -> None:
    x = np.repeat(np.arange(6.0)[:, None], 2, axis=0)  # every point twice
    for engine in ("tree", "xla"):
        np.testing.assert_array_equal(kth_neighbour_distances(x, 1, engine=engine), 0.0)
        np.testing.assert_array_equal(kth_neighbour_distances(x, 2, engine=engine), 1.0)


def test_the_xla_engine_without_x64_returns_exact_float64_distances() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 16))
    with jax.enable_x64(False):
        got = kth_neighbour_distances(x, 2, engine="xla")
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, brute(x, 2), rtol=1e-12)


def test_a_rank_beyond_the_points_and_an_unknown_engine_raise() -> None:
    x = np.zeros((3, 2)) + np.arange(3.0)[:, None]
    with pytest.raises(ValueError, match="k must be below"):
        kth_neighbour_distances(x, 3)
    with pytest.raises(ValueError, match="engine must be"):
        kth_neighbour_distances(x, 1, engine="ball")  # type: ignore[arg-type]


def test_lattice_ties_beyond_the_candidates_are_searched_again_exactly() -> None:
    # On a grid each inner point has 6 neighbours at distance 1 and 12 at sqrt(2): the k-th
    # distance ties with more points than the XLA engine keeps, and its certificate fails.
    grid = np.stack(np.meshgrid(*[np.arange(5.0)] * 3), axis=-1).reshape(-1, 3)
    for k in (6, 7, 18):
        want = brute(grid, k)
        np.testing.assert_array_equal(kth_neighbour_distances(grid, k, engine="xla"), want)
        np.testing.assert_array_equal(kth_neighbour_distances(grid, k, engine="tree"), want)


def test_the_scores_matrix_product_asks_for_float32s_full_precision() -> None:
    # The certificate bounds float32's rounding; a GPU's default for float32 products (TF32)
    # rounds the factors to 10 bits, and would leave a near point out uncertified.
    jaxpr = str(
        jax.make_jaxpr(functools.partial(candidate_indices, width=2))(
            jnp.zeros((5, 3)), jnp.zeros((2, 2, 3)), jnp.zeros((2, 2), jnp.int32)
        )
    )
    products = jaxpr.count("dot_general[")
    assert products >= 1
    assert jaxpr.count("precision=(Precision.HIGHEST, Precision.HIGHEST)") == products


def brute_counts(x, r, y, s):
    """The memberships of :func:`ball_counts` from full float64 distance matrices."""
    dist = cdist(y, x)
    r, s = r * (1 + RADIUS_ROOM), s * (1 + RADIUS_ROOM)
    inside = dist <= r[None, :]
    sole = (inside * np.arange(y.shape[0])[:, None]).sum(axis=0)
    return inside.sum(axis=1), inside.sum(axis=0), sole, (dist <= s[:, None]).any(axis=0)


# d = 12 in the slow tier (the same engines for any d, their own programs): [2] stays quick.
@pytest.mark.parametrize("d", [2, pytest.param(12, marks=pytest.mark.slow)])
def test_ball_counts_engines_agree_with_full_matrices(d: int) -> None:
    rng = np.random.default_rng(d)
    x, y = rng.standard_normal((300, d)), rng.standard_normal((260, d)) + 0.2
    y[:20] = x[:20]  # duplicates across the samples, at distance 0: undecided pairs
    x[40:110] = x[40]  # a ball of radius 0 around each of 70 equal draws (k = 3)
    y[25] = x[40]  # in all 70: more undecided pairs than a row hands over, the row redone
    r, s = kth_neighbour_distances(x, 3), kth_neighbour_distances(y, 3)
    assert np.all(r[40:110] == 0.0) and UNDECIDED_KEPT < 70
    want = brute_counts(x, r, y, s)
    for engine in ("tree", "xla"):
        got = ball_counts(x, r, y, s, engine=engine)
        one = want[1] == 1  # sole names the one member of a ball holding one
        np.testing.assert_array_equal(got.in_x_balls, want[0])
        np.testing.assert_array_equal(got.y_in_ball, want[1])
        np.testing.assert_array_equal(got.sole[one], want[2][one])
        np.testing.assert_array_equal(got.in_y_balls, want[3])


@pytest.mark.parametrize("engine", ["tree", "xla"])
@pytest.mark.parametrize(("far", "spread"), [(1e300, 1.0), (1e-300, 1e-300), (1e300, 1e150)])
def test_distances_stay_exact_across_the_float_range(
    engine: str, far: float, spread: float
) -> None:
    # One draw at `far` beside draws of spread `spread`: the squared differences overflow (1e300)
    # or underflow (1e-300) unscaled; every distance keeps its relative accuracy (the reference
    # scales each difference by its largest coordinate, hypot-style).
    rng = np.random.default_rng(8)
    points = rng.standard_normal((60, 3)) * spread
    points[0] = far
    got = kth_neighbour_distances(points, 2, engine=engine)  # type: ignore[arg-type]
    diff = points[:, None, :] - points[None, :, :]
    top = np.abs(diff).max(axis=2, keepdims=True)
    full = top[..., 0] * np.sqrt(np.sum((diff / np.where(top > 0, top, 1.0)) ** 2, axis=2))
    np.fill_diagonal(full, np.inf)
    want = np.sort(full, axis=1)[:, 1]
    assert np.all(got > 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_a_draw_at_1e300_is_no_repeated_point_for_the_nearest_neighbour_estimates() -> None:
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((200, 2)), rng.standard_normal((200, 2)) + 0.5
    x[0] = 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        js = dv.estimate.js(x, y).value  # was refused: "199 draws ... at distance 0"
        h, h_far = dv.estimate.entropy(x[1:]).value, dv.estimate.entropy(x).value
    assert 0.0 < js < math.log(2.0)
    assert math.isfinite(h) and h_far > h  # the far draw adds spread
