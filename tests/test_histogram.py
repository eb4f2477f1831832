"""dv.grid_pmf against numpy.histogramdd, its pseudo-count formula, and its input checks."""

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import divergences as dv
from divergences.testing import tolerance

RNG = np.random.default_rng(0)
EDGES = [np.linspace(-2, 2, 6), np.linspace(-1, 3, 5)]


def _reference(x, edges, alpha):
    h, _ = np.histogramdd(x, bins=edges)
    inside = h.sum()
    counts = np.r_[h.ravel(), len(x) - inside]
    return counts, (counts + alpha) / (len(x) + alpha * len(counts))


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.0, 0.5, 3.0])
def test_matches_numpy_histogramdd_with_an_outside_cell(alpha):
    x = RNG.normal(0, 1.5, (500, 2))
    x[:7] = [[-2, -1], [2, 3], [2, -1], [-2, 3], [0.4, 1.0], [5, 0], [0, -9]]  # edges, outside
    got = dv.grid_pmf(x, EDGES, pseudo_count=alpha)
    counts, pmf = _reference(x, EDGES, alpha)
    np.testing.assert_array_equal(np.asarray(got.counts), counts)
    np.testing.assert_allclose(np.asarray(got.pmf), pmf, **tolerance("float64"))
    assert got.shape == (5, 4)
    assert abs(float(got.pmf.sum()) - 1) < 1e-12


def test_same_result_under_jit_and_vmap():
    # The counts are integers: the same in every mode. The pmf is one division of them, which a
    # backend may compile differently (through the reciprocal of a constant pseudo-count under
    # jit: an H100 gave 1 ulp off the eager call): the same to the backend's rounding.
    x = RNG.uniform(-3, 3, (3, 200, 2))
    f = jax.jit(lambda s: tuple(dv.grid_pmf(s, EDGES, pseudo_count=0.5)[:2]))
    pmfs, counts = jax.vmap(f)(x)
    for i in range(3):
        eager = dv.grid_pmf(x[i], EDGES, pseudo_count=0.5)
        np.testing.assert_array_equal(np.asarray(counts[i]), np.asarray(eager.counts))
        np.testing.assert_allclose(
            np.asarray(pmfs[i]), np.asarray(eager.pmf), **tolerance("backend_float64")
        )


@pytest.mark.slow
def test_raw_pmf_has_exact_zeros_and_kl_is_infinite_there():
    p = dv.grid_pmf([0.1, 0.6], [0.0, 0.5, 1.0]).pmf
    q = dv.grid_pmf([0.1, 0.2], [0.0, 0.5, 1.0]).pmf
    assert float(q[1]) == 0.0
    assert float(dv.kl(p, q)) == np.inf
    ps = dv.grid_pmf([0.1, 0.6], [0.0, 0.5, 1.0], pseudo_count=0.5).pmf
    qs = dv.grid_pmf([0.1, 0.2], [0.0, 0.5, 1.0], pseudo_count=0.5).pmf
    assert np.isfinite(float(dv.kl(ps, qs)))


@given(
    hnp.arrays(
        np.float64,
        (16, 2),  # one shape: each new shape compiles the kernel anew
        elements=st.floats(-1e150, 1e150, allow_nan=False),
    ),
    st.floats(0, 10),
)
def test_pmf_is_a_pmf_and_counts_every_point(x, alpha):
    got = dv.grid_pmf(x, EDGES, pseudo_count=alpha)
    counts, pmf = _reference(x, EDGES, alpha)
    np.testing.assert_array_equal(np.asarray(got.counts), counts)
    assert float(got.counts.sum()) == len(x)
    assert np.all(np.asarray(got.pmf) >= 0)
    np.testing.assert_allclose(np.asarray(got.pmf), pmf, **tolerance("float64"))
    np.testing.assert_allclose(float(got.pmf.sum()), 1.0, **tolerance("float64"))


SUBNORMALS = {
    np.float64: [-1e-310, -5e-324, -0.0, 0.0, 5e-324, 1e-310],
    np.float32: [-1e-40, -1e-45, -0.0, 0.0, 1e-45, 1e-40],
}


@pytest.mark.parametrize(
    ("dtype", "value"), [(t, v) for t, values in SUBNORMALS.items() for v in values]
)
def test_subnormal_coordinates_fall_on_their_side_of_an_edge_at_zero(dtype, value):
    """Found by ``make stress``: XLA's CPU code took -2e-311 for 0 and counted it one cell too high.

    The value fell in the cell above the edge at 0. The cells are found by comparing order keys
    (integers), exactly.
    """
    x = np.full((4, 2), value, dtype=dtype)
    got = dv.grid_pmf(x, EDGES)
    counts, _ = _reference(x.astype(np.float64), EDGES, 0.0)
    np.testing.assert_array_equal(np.asarray(got.counts), counts)


@pytest.mark.parametrize(
    ("samples", "edges", "kw", "match"),
    [
        (np.zeros((3, 2)), EDGES, {"pseudo_count": -1.0}, "pseudo_count"),
        (np.zeros((3, 2)), EDGES, {"pseudo_count": np.nan}, "pseudo_count"),
        (np.zeros((0, 2)), EDGES, {}, "samples is empty"),
        (np.full((3, 2), np.nan), EDGES, {}, "samples contains NaN"),
        (np.zeros((3, 2, 2)), EDGES, {}, "samples must have shape"),
        (np.zeros((3, 3)), EDGES, {}, "edges must give one"),
        (np.zeros((3, 2)), [[0.0, 1.0], [1.0, 0.0]], {}, r"edges\[1\] must be strictly increasing"),
        (np.zeros((3, 1)), [[0.0]], {}, r"edges\[0\] must be a 1-D sequence of at least 2"),
    ],
)
def test_bad_input_raises_naming_the_argument(samples, edges, kw, match):
    with pytest.raises(ValueError, match=match):
        dv.grid_pmf(samples, edges, **kw)
