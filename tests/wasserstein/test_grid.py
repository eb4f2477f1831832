"""W1 between masses on a grid: against the same problem as points, POT, scipy and closed forms."""

from __future__ import annotations

import warnings
from fractions import Fraction

import jax
import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.dotmark import DOTMARK_CLASSES, dotmark_pair
from divergences.testing.exact_w1 import ExactW1
from divergences.wasserstein import grid as grid_module
from divergences.wasserstein._src import runner as runner_module
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.sparse import solve_sparse_host
from divergences.wasserstein._src.results import Status

LP = tolerance("lp")
METRICS = ("euclidean", "cityblock", "chebyshev", "sqeuclidean")


@st.composite
def grid_pairs(draw, shapes=((7,), (3, 4), (2, 2, 3))):
    """Two mass arrays on one grid, with empty cells (disjoint supports included)."""
    shape = draw(st.sampled_from(shapes))
    mass = st.one_of(st.just(0.0), st.floats(1e-3, 1.0))
    out = []
    for _ in range(2):
        w = draw(hnp.arrays(np.float64, shape, elements=mass))
        if w.sum() == 0:
            w.flat[draw(st.integers(0, w.size - 1))] = 1.0
        out.append(w / w.sum())
    return out[0], out[1]


def _centres(shape, h):
    return np.stack(np.unravel_index(np.arange(np.prod(shape)), shape), axis=-1) * h


@pytest.mark.slow
@settings(max_examples=15)
@given(grid_pairs(), st.sampled_from(METRICS), st.sampled_from([1.0, 0.25, 0.3]))
def test_grid_is_the_problem_on_the_cell_centres(pair, metric, h):
    mu, nu = pair
    got = dv.w1_grid(mu, nu, spacing=h, metric=metric)
    c = cdist(_centres(mu.shape, h), _centres(nu.shape, h), metric=metric)
    want = ot.emd2(mu.ravel(), nu.ravel(), c)  # POT on every cell, coordinates included
    assert got.value == pytest.approx(want, rel=LP["rtol"], abs=LP["atol"])
    assert got.lower_bound <= got.value <= got.upper_bound
    plan = np.asarray(got.plan.todense())
    np.testing.assert_allclose(plan.sum(1), mu.ravel(), atol=1e-15)
    np.testing.assert_allclose(plan.sum(0), nu.ravel(), atol=1e-15)
    assert np.sum(plan * c) == pytest.approx(float(got.value), rel=LP["rtol"], abs=LP["atol"])
    np.testing.assert_array_equal(got.cells_x, np.flatnonzero(mu))  # empty cells skipped


@settings(max_examples=10)
@given(grid_pairs(shapes=((9,),)), st.sampled_from([1.0, 0.1]))
def test_a_histogram_against_scipy(pair, h):
    mu, nu = pair
    centres = np.arange(mu.size) * h
    want = scipy.stats.wasserstein_distance(centres, centres, mu, nu)
    got = dv.w1_grid(mu, nu, spacing=h)
    assert got.value == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("metric", "want"), [("cityblock", 5.0), ("chebyshev", 3.0), ("euclidean", np.sqrt(13.0))]
)
def test_a_point_mass_moved(metric, want):
    mu, nu = np.zeros((4, 4)), np.zeros((4, 4))
    mu[0, 1], nu[3, 3] = 1.0, 1.0
    h = 0.1  # not a power of two: the bounds are rounded outward and still hold
    sol = dv.w1_grid(mu, nu, spacing=h, metric=metric)
    assert sol.value == pytest.approx(h * want, rel=1e-15)
    assert sol.lower_bound <= sol.value <= sol.upper_bound


# Rounds and pivots of the sparse solver on each class's pair, each pricing round adding up to 8
# arcs a point (benchmarks/history-to-2026-11-25.md, "More arcs a pricing round"), measured at
# 16 x 16: white noise 4/3041, GRF rough 4/2023, moderate 4/4268, smooth 5/5944, log-GRF
# 5/4088, logit-GRF 5/4110, Cauchy 5/6206, shapes 3/800, classic image 5/5110, microscopy
# 5/1247; at 32 x 32 GRF smooth 7/53949, Cauchy 8/39649 (one arc a point took 5-13 rounds at
# 16 x 16, 17 and 20 at 32 x 32). The bounds leave 3 rounds and a fifth more pivots: a change
# of the method that costs a round shows, another compiler's rounding should not.
DOTMARK_CASES = [
    ("white noise", 16, 7, 3650),
    ("GRF rough", 16, 7, 2450),
    ("GRF moderate", 16, 7, 5150),
    ("GRF smooth", 16, 8, 7150),
    ("log-GRF", 16, 8, 4950),
    ("logit-GRF", 16, 8, 4950),
    ("Cauchy density", 16, 8, 7450),
    ("shapes", 16, 6, 1000),
    ("classic image", 16, 8, 6150),
    ("microscopy", 16, 8, 1500),
    ("GRF smooth", 32, 10, 65_000),
    ("Cauchy density", 32, 11, 48_000),
]


def test_dotmark_cases_cover_every_class():
    assert {case[0] for case in DOTMARK_CASES} == set(DOTMARK_CLASSES)


@pytest.mark.native  # rounds and pivots are the compiled solver's
# The 32 x 32 grids in the slow tier (and under make clang-test and sanitize, which run every test
# here).
@pytest.mark.parametrize(
    ("name", "n", "rounds", "pivots"),
    [c if c[1] == 16 else pytest.param(*c, marks=pytest.mark.slow) for c in DOTMARK_CASES],
)
def test_dotmark_classes_against_pot(name, n, rounds, pivots):
    """Each DOTmark class (generated) on a small grid: POT's value, certified, bounded work."""
    mu, nu = dotmark_pair(name, n)
    c = cdist(_centres(mu.shape, 1.0), _centres(nu.shape, 1.0))
    want = ot.emd2(mu.ravel(), nu.ravel(), c)
    got = dv.w1_grid(mu, nu, method="sparse")
    assert got.value == pytest.approx(want, rel=LP["rtol"], abs=LP["atol"])
    assert 0 <= got.upper_bound - got.lower_bound <= 1e-9 * got.value
    assert got.lower_bound <= want * (1 + LP["rtol"]) and want * (1 - LP["rtol"]) <= got.upper_bound
    # The same problem on the host solver, for its counts (the results do not carry them).
    cx, cy = np.flatnonzero(mu), np.flatnonzero(nu)
    lattice_x = np.stack(np.unravel_index(cx, mu.shape), axis=-1).astype(np.float64)
    lattice_y = np.stack(np.unravel_index(cy, nu.shape), axis=-1).astype(np.float64)
    sol = solve_sparse_host(lattice_x, lattice_y, mu.ravel()[cx], nu.ravel()[cy])
    assert sol.value == pytest.approx(want, rel=LP["rtol"], abs=LP["atol"])
    assert sol.rounds <= rounds
    assert sol.pivots <= pivots


@pytest.mark.native
def test_a_dotmark_pair_above_the_coarse_threshold_starts_from_the_coarse_plan():
    """A Cauchy pair at 48 x 48 (4,608 cells: solved after a coarse level) is certified.

    The coarse plan handed down is the simplex's first basis: 4 rounds and 28,935 pivots
    measured (8 and 33,647 with one arc a point a round; 46,495 pivots from the monotone start:
    benchmarks/history-to-2026-11-25.md, "General masses: where the time goes"); the bound
    shows a return to either. POT takes seconds at this size: the
    certified interval is the check of the value here.
    """
    mu, nu = dotmark_pair("Cauchy density", 48)
    cx, cy = np.flatnonzero(mu), np.flatnonzero(nu)
    lattice_x = np.stack(np.unravel_index(cx, mu.shape), axis=-1).astype(np.float64)
    lattice_y = np.stack(np.unravel_index(cy, nu.shape), axis=-1).astype(np.float64)
    sol = solve_sparse_host(lattice_x, lattice_y, mu.ravel()[cx], nu.ravel()[cy])
    assert sol.rounds <= 7 and sol.pivots <= 35_000
    assert 0 <= sol.upper_bound - sol.lower_bound <= 1e-9 * sol.value


@pytest.mark.parametrize("metric", sorted(grid_module.GRID_METRICS))
def test_float64_input_in_jax_float32_mode_warns_of_nothing(metric):
    # NumPy's float64 (and Python lists) in JAX's default mode: solved in float32, silently; the
    # dtype asked of jnp.result_type was an explicit float64, which JAX warns it truncates.
    mu = np.full((3, 4), 1 / 12)
    nu = np.zeros((3, 4))
    nu[2, 3] = 1.0
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        got = dv.w1_grid(mu, nu, metric=metric)
        listed = dv.w1_grid(mu.tolist(), nu.tolist(), metric=metric, spacing=0.5)
    assert got.value.dtype == np.float32 and listed.value.dtype == np.float32
    assert got.lower_bound <= got.value <= got.upper_bound
    scale = 0.5 ** grid_module.GRID_METRICS[metric]
    assert float(listed.value) == pytest.approx(float(got.value) * scale, rel=1e-6)


def test_bounds_scale_outward_exactly():
    """With a spacing that is not a power of two, the bounds bracket the exact scaled value."""
    mu, nu = np.zeros(5), np.zeros(5)
    mu[0], nu[3] = 1.0, 1.0
    for h in (0.1, 0.3, 1 / 3, 7.7):
        sol = dv.w1_grid(mu, nu, spacing=h, metric="sqeuclidean")
        exact = Fraction(9) * Fraction(h) ** 2
        assert Fraction(float(sol.lower_bound)) <= exact <= Fraction(float(sol.upper_bound))


def _two_images_and_a_point_mass(seed, shape, point):
    """Two random mass images of ``shape`` (stacked), and a unit mass at ``point``."""
    mus = np.random.default_rng(seed).random((2, *shape))
    mus /= mus.sum(axis=(1, 2), keepdims=True)
    nu = np.zeros(shape)
    nu[point] = 1.0
    return mus, nu


@pytest.mark.slow
def test_jit_vmap_and_grad():
    mus, nu = _two_images_and_a_point_mass(3, (5, 5), (2, 2))

    def w(mu):
        return dv.w1_grid(mu, nu, spacing=0.5).value

    eager = [float(w(m)) for m in mus]
    np.testing.assert_allclose(jax.jit(w)(mus[0]), eager[0], rtol=LP["rtol"])
    np.testing.assert_allclose(jax.vmap(w)(mus), eager, rtol=LP["rtol"])
    g = jax.grad(w)(mus[0])
    assert g.shape == (5, 5) and np.all(np.isfinite(g))
    # Envelope gradient: the dual u (up to a constant shift along the simplex).
    sol = dv.w1_grid(mus[0], nu, spacing=0.5)
    d = np.asarray(g).ravel()[sol.cells_x] - np.asarray(sol.u)
    np.testing.assert_allclose(d, d[0], atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mu": np.ones((2, 2)) / 4, "nu": np.ones(4) / 4}, "same grid"),
        ({"mu": np.ones((1, 1, 1, 2)) / 2, "nu": np.ones((1, 1, 1, 2)) / 2}, "1-D, 2-D or 3-D"),
        ({"mu": np.ones(4) / 2, "nu": np.ones(4) / 4}, r"mu does not sum to 1.*mu / mu.sum"),
        ({"mu": np.array([-0.5, 1.5]), "nu": np.array([0.5, 0.5])}, "mu has negative mass"),
        ({"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "spacing": 0.0}, "spacing must be positive"),
        ({"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "spacing": "1"}, "spacing must be"),
        ({"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "metric": "cosine"}, "metric must be one of"),
        ({"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "method": "flow"}, "'grid_flow', 'auto'"),
        (
            {"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "method": "grid_flow"},
            "method='grid_flow' needs metric 'cityblock' or 'chebyshev'",
        ),
        (
            {"mu": np.ones(2) / 2, "nu": np.ones(2) / 2, "metric": "cityblock", "max_iter": -1},
            "max_iter",
        ),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dv.w1_grid(**kwargs)


@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])  # the points, the grid flow
def test_bad_masses_under_checked_jit(metric):
    mu, nu = np.array([0.7, 0.7]), np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="mu does not sum to 1"):
        dv.checked(jax.jit(lambda a, b: dv.w1_grid(a, b, metric=metric).value))(mu, nu)


# ---------------------------------------------------------------------------------------------
# cityblock and chebyshev: the flow on the grid graph
# ---------------------------------------------------------------------------------------------

FLOW_METRICS = ("cityblock", "chebyshev")


def _random_masses(rng, shape, empty=0.3):
    """Two mass arrays on ``shape`` with about ``empty`` of their cells empty."""
    out = []
    for _ in range(2):
        w = rng.random(shape) * (rng.random(shape) > empty)
        w.flat[rng.integers(w.size)] += 1.0
        out.append(w / w.sum())
    return out


def _exact_on_grid(mu, nu, metric, h=1.0):
    """The exact W1 on the grid of spacing ``h`` (a Fraction: these metrics' costs are exact)."""
    cx, cy = np.flatnonzero(mu), np.flatnonzero(nu)
    exact = ExactW1(
        _centres(mu.shape, 1.0)[cx], _centres(nu.shape, 1.0)[cy], mu.ravel()[cx], nu.ravel()[cy],
        metric=metric,
    ).enclosure()  # fmt: skip
    assert exact.lower_bound == exact.upper_bound
    return exact.lower_bound * Fraction(h)


def _check_flow_solution(sol, mu, nu, metric, h=1.0):
    """The plan couples (mu, nu) at the value's cost; (u, v) is feasible and attains it."""
    c = cdist(_centres(mu.shape, h), _centres(nu.shape, h), metric=metric)
    plan = np.asarray(sol.plan.todense())
    assert np.all(plan >= 0)
    np.testing.assert_allclose(plan.sum(1), mu.ravel(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(plan.sum(0), nu.ravel(), rtol=0, atol=1e-15)
    assert np.sum(plan * c) == pytest.approx(float(sol.value), rel=1e-13, abs=1e-15)
    u, v = np.asarray(sol.u), np.asarray(sol.v)
    slack = c[np.ix_(sol.cells_x, sol.cells_y)] - u[:, None] - v[None, :]
    assert np.min(slack) >= -1e-12 * h
    dual = u @ mu.ravel()[sol.cells_x] + v @ nu.ravel()[sol.cells_y]
    assert dual == pytest.approx(float(sol.value), rel=1e-13, abs=1e-15)
    assert sol.lower_bound <= sol.value <= sol.upper_bound
    assert sol.plan.rows.shape[0] <= 3 * mu.size  # the decomposition's bound


@pytest.mark.native
@pytest.mark.parametrize("metric", FLOW_METRICS)
@pytest.mark.parametrize("shape", [(13,), (6, 7), (3, 4, 5)])
def test_grid_flow_is_the_transport_problem_between_the_cells(shape, metric):
    """1-D, 2-D and 3-D: the flow's W1 is the bipartite problem's on the cell coordinates."""
    mu, nu = _random_masses(np.random.default_rng(sum(shape)), shape)
    sol = dv.w1_grid(mu, nu, metric=metric, method="grid_flow")
    cx, cy = np.flatnonzero(mu), np.flatnonzero(nu)
    lattice = _centres(shape, 1.0)
    want = dv.w1_primal(lattice[cx], lattice[cy], mu.ravel()[cx], nu.ravel()[cy], metric=metric)
    assert sol.value == pytest.approx(float(want.value), rel=1e-13)
    assert sol.lower_bound <= want.upper_bound and want.lower_bound <= sol.upper_bound
    assert sol.upper_bound - sol.lower_bound <= 1e-12 * sol.value
    _check_flow_solution(sol, mu, nu, metric)


@pytest.mark.native
def test_grid_flow_against_pot_on_a_cityblock_cost_matrix():
    mu, nu = _random_masses(np.random.default_rng(5), (8, 9), empty=0.0)
    h = 0.3  # not a power of two
    c = cdist(_centres(mu.shape, h), _centres(nu.shape, h), metric="cityblock")
    want = ot.emd2(mu.ravel(), nu.ravel(), c)
    sol = dv.w1_grid(mu, nu, spacing=h, metric="cityblock", method="grid_flow")
    assert sol.value == pytest.approx(want, rel=1e-12)
    _check_flow_solution(sol, mu, nu, "cityblock", h)


@pytest.mark.native
@pytest.mark.parametrize("metric", FLOW_METRICS)
def test_auto_takes_the_grid_flow_where_it_is_built(metric):
    """``method="auto"`` is the flow, bit for bit; other methods solve as points."""
    mu, nu = _random_masses(np.random.default_rng(11), (5, 5))
    auto = dv.w1_grid(mu, nu, metric=metric)
    flow = dv.w1_grid(mu, nu, metric=metric, method="grid_flow")
    for got, want in zip(auto, flow, strict=True):
        if isinstance(want, dv.SparsePlan):
            np.testing.assert_array_equal(got.rows, want.rows)
            np.testing.assert_array_equal(got.mass, want.mass)
        else:
            np.testing.assert_array_equal(got, want)
    dense = dv.w1_grid(mu, nu, metric=metric, method="dense")
    assert dense.value == pytest.approx(float(flow.value), rel=1e-13)


@pytest.mark.native
@pytest.mark.parametrize("metric", FLOW_METRICS)
def test_grid_flow_of_equal_masses_is_exactly_zero(metric):
    mu, _ = _random_masses(np.random.default_rng(2), (6, 5))
    sol = dv.w1_grid(mu, mu.copy(), metric=metric, method="grid_flow")
    assert float(sol.value) == 0.0 and float(sol.lower_bound) == 0.0
    assert 0.0 <= float(sol.upper_bound) <= 1e-100  # the repair of rounding, nothing moved
    np.testing.assert_array_equal(sol.plan.rows, sol.plan.cols)  # every cell keeps its mass


@pytest.mark.native
@pytest.mark.parametrize("metric", FLOW_METRICS)
def test_grid_flow_with_disjoint_supports_is_exact(metric):
    """The masses on the left columns and on the right: the bounds hold the exact W1."""
    rng = np.random.default_rng(8)
    mu, nu = np.zeros((4, 6)), np.zeros((4, 6))
    mu[:, :2] = rng.random((4, 2))
    nu[:, 4:] = rng.random((4, 2))
    mu, nu = mu / mu.sum(), nu / nu.sum()
    sol = dv.w1_grid(mu, nu, spacing=0.1, metric=metric, method="grid_flow")
    exact = _exact_on_grid(mu, nu, metric, 0.1)
    assert Fraction(float(sol.lower_bound)) <= exact <= Fraction(float(sol.upper_bound))
    assert float(sol.value) == pytest.approx(float(exact), rel=1e-14)
    _check_flow_solution(sol, mu, nu, metric, 0.1)


@pytest.mark.native
@pytest.mark.parametrize("metric", FLOW_METRICS)
def test_grid_flow_with_masses_over_many_orders_of_magnitude(metric):
    """Masses from 1 down to 1e-280: certified, and the value the bipartite problem's."""
    rng = np.random.default_rng(13)
    mu = 10.0 ** -rng.integers(0, 280, (3, 4)).astype(float)
    nu = 10.0 ** -rng.integers(0, 280, (3, 4)).astype(float)
    mu, nu = mu / mu.sum(), nu / nu.sum()
    sol = dv.w1_grid(mu, nu, metric=metric, method="grid_flow")
    exact = _exact_on_grid(mu, nu, metric)
    assert Fraction(float(sol.lower_bound)) <= exact <= Fraction(float(sol.upper_bound))
    dense = dv.w1_grid(mu, nu, metric=metric, method="dense")
    assert float(sol.value) == pytest.approx(float(dense.value), rel=1e-12)


@pytest.mark.slow
@pytest.mark.native
@settings(max_examples=10)
@given(grid_pairs(), st.sampled_from(FLOW_METRICS), st.sampled_from([1.0, 0.25, 0.3]))
def test_grid_flow_bounds_hold_the_exact_value(pair, metric, h):
    mu, nu = pair
    sol = dv.w1_grid(mu, nu, spacing=h, metric=metric, method="grid_flow")
    exact = _exact_on_grid(mu, nu, metric, h)
    assert Fraction(float(sol.lower_bound)) <= exact <= Fraction(float(sol.upper_bound))
    assert float(sol.upper_bound - sol.lower_bound) <= 1e-12 * float(exact) + 1e-100
    _check_flow_solution(sol, mu, nu, metric, h)


def _dyadic_masses(rng, shape, count):
    """``count`` pairs of masses ``k / 2^10`` on ``shape``: exact in float32, summing to 1."""
    out = []
    for _ in range(2 * count):
        cells = rng.integers(0, np.prod(shape), 2**10)
        out.append(np.bincount(cells, minlength=np.prod(shape)).reshape(shape) / 2**10)
    return np.stack(out[:count]), np.stack(out[count:])


@pytest.mark.slow  # a jit and a vmap program per dtype and metric
@pytest.mark.native
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("metric", FLOW_METRICS)
def test_grid_flow_bounds_hold_the_exact_value_in_each_dtype_and_mode(metric, dtype, mode):
    """The certified interval holds the exact W1 (rationals) eagerly, under jit and vmap."""
    mus, nus = _dyadic_masses(np.random.default_rng(7), (5, 6), 3)
    h = 0.3

    def w(mu, nu):
        sol = dv.w1_grid(mu, nu, spacing=h, metric=metric)
        return sol.value, sol.lower_bound, sol.upper_bound

    mus, nus = mus.astype(dtype), nus.astype(dtype)
    if mode == "vmap":
        got = jax.vmap(w)(mus, nus)
    else:
        run = jax.jit(w) if mode == "jit" else w
        got = tuple(
            np.stack(t)
            for t in zip(*(run(m, n) for m, n in zip(mus, nus, strict=True)), strict=True)
        )
    for k in range(len(mus)):
        value, lower, upper = (np.asarray(t)[k] for t in got)
        assert value.dtype == dtype
        exact = _exact_on_grid(np.float64(mus[k]), np.float64(nus[k]), metric, h)
        assert Fraction(float(lower)) <= exact <= Fraction(float(upper))
        assert lower <= value <= upper
    if mode != "eager":  # the same bits as the eager call
        eager = [w(m, n) for m, n in zip(mus, nus, strict=True)]
        for k, e in enumerate(eager):
            assert all(np.asarray(t)[k] == np.asarray(x) for t, x in zip(got, e, strict=True))


@pytest.mark.slow
@pytest.mark.native
def test_grid_flow_under_jit_vmap_and_grad_is_the_eager_call():
    """The same host function through the callback: the same bits; the gradient is u."""
    mus, nu = _two_images_and_a_point_mass(4, (3, 4), (1, 2))

    def w(mu):
        return dv.w1_grid(mu, nu, spacing=0.5, metric="chebyshev").value

    eager = [dv.w1_grid(m, nu, spacing=0.5, metric="chebyshev") for m in mus]
    traced = jax.jit(lambda mu: dv.w1_grid(mu, nu, spacing=0.5, metric="chebyshev"))(mus[0])
    assert traced.value == eager[0].value
    assert traced.lower_bound == eager[0].lower_bound
    assert traced.upper_bound == eager[0].upper_bound
    np.testing.assert_array_equal(jax.vmap(w)(mus), [e.value for e in eager])
    g = np.asarray(jax.grad(w)(mus[0])).ravel()
    d = g[eager[0].cells_x] - np.asarray(eager[0].u)
    np.testing.assert_allclose(d, d[0], atol=1e-12)
    assert np.ptp(np.asarray(eager[0].u)) > 0  # not a constant: the test can see a wrong u


@pytest.mark.native
def test_grid_flow_at_its_pivot_cap_says_what_to_do():
    mu, nu = _random_masses(np.random.default_rng(6), (6, 6), empty=0.0)
    with pytest.raises(dv.SolverError, match="raise max_iter") as info:
        dv.w1_grid(mu, nu, metric="cityblock", max_iter=3)
    assert info.value.status == Status.PIVOT_CAP
    f = jax.jit(lambda a, b: dv.w1_grid(a, b, metric="cityblock", max_iter=3).value)
    with pytest.raises(dv.SolverError, match="raise max_iter"):
        dv.checked(f)(mu, nu)


@pytest.mark.native
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.ones(4) / 4, np.ones(4) / 4, np.array([2, 2, 1, 1], np.int32)),
            {},
            ValueError,
            "1 to 3",
        ),
        ((np.ones(4) / 4, np.ones(4) / 4, np.array([0, 4], np.int32)), {}, ValueError, ">= 1"),
        ((np.ones(4) / 4, np.ones(3) / 3, np.array([4], np.int32)), {}, ValueError, "one mass"),
        (
            (np.ones(4) / 4, np.ones(4) / 2, np.array([4], np.int32)),
            {},
            ValueError,
            "same positive",
        ),
        ((np.ones(4) / 4, -np.ones(4) / 4, np.array([4], np.int32)), {}, ValueError, "b"),
        ((np.ones(4) / 4, np.ones(4) / 4, np.array([4.0])), {}, TypeError, "int32"),
        (
            (np.ones(4) / 4, np.ones(4) / 4, np.array([4], np.int32)),
            {"max_pivots": -1},
            ValueError,
            "max_pivots",
        ),
    ],
)
def test_the_compiled_grid_flow_refuses_bad_input(args, kwargs, error, match):
    """Python errors at the boundary, never a C++ exception."""
    with pytest.raises(error, match=match):
        native.load().grid_flow(*args, **kwargs)


def test_grid_flow_metrics_without_the_extension(monkeypatch):
    """Without the extension (or its grid flow), ``"auto"`` solves the cells as points."""
    mu, nu = _random_masses(np.random.default_rng(9), (4, 4))
    monkeypatch.setattr(grid_module.native, "available", lambda: False)

    def unavailable(*args, **kwargs):
        raise AssertionError("the grid flow ran without the extension")

    monkeypatch.setattr(runner_module, "grid_flow_arrays", unavailable)
    for metric in FLOW_METRICS:
        sol = dv.w1_grid(mu, nu, metric=metric)
        exact = _exact_on_grid(mu, nu, metric)
        assert Fraction(float(sol.lower_bound)) <= exact <= Fraction(float(sol.upper_bound))
