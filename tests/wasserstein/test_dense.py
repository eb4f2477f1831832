"""``method="dense"`` keeps its few ulps where W1 is far below the largest cost.

A far point of tiny mass (``(1e300, 0)`` carrying ``1e-300``) makes the largest cost about 1e300
while W1 is about 1: allowances taken at the largest cost (the costs' rounding, the repair of the
plan's marginals) would be 1e284 wide, and the network simplex, comparing at the scale of the
largest cost, would not see the small costs at all. Each case here is checked against the exact
W1 (:mod:`tests.wasserstein.exact_transport`: rational arithmetic and 6000-bit cost balls, no
solver of the package) in every mode: the interval holds it, it is a few ulps wide, or the call
is a SolverError (status NUMERICAL) saying why, never a wrong success. The solver's own steps
around POT's network simplex (the costs scaled by a power of two, the plan's arcs and the check
that they are a coupling) are checked at the end, against their definitions.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest

import divergences as dv
from divergences.testing.exact_w1 import ExactW1
from divergences.wasserstein._src.host import dense as host_dense
from divergences.wasserstein._src.results import Status
from tests.wasserstein.exact_transport import exact_w1

dense = functools.partial(dv.w1_primal, method="dense")

#: The relative width the dense method certifies (its DENSE_RTOL is 2^-40), and what the interval
#: may add in float32 (rounded outward into the dtype: an ulp each way of W1).
WIDTH = {"float64": 2.0**-40, "float32": 4 * float(np.finfo(np.float32).eps)}


def _far_point_case(seed: int, dtype: type) -> tuple[np.ndarray, ...]:
    """Five points in the unit square of weight about 0.2 and one far point of tiny weight.

    Against eight Dirichlet-weighted points in the unit square: float64 ``(1e300, 0)`` with
    ``1e-300``, float32 ``(1e30, 0)`` with ``1e-38``.
    """
    rng = np.random.default_rng(seed)
    far, tiny = (1e300, 1e-300) if dtype == np.float64 else (1e30, 1e-38)
    x: np.ndarray = np.concatenate([rng.uniform(size=(5, 2)), [[far, 0.0]]]).astype(dtype)
    a: np.ndarray = np.concatenate([np.full(5, (1 - tiny) / 5), [tiny]]).astype(dtype)
    y: np.ndarray = rng.uniform(size=(8, 2)).astype(dtype)
    b: np.ndarray = rng.dirichlet(np.ones(8)).astype(dtype)
    return x, y, a, b


def _solve(mode: str, *args: np.ndarray) -> tuple[float, float, float]:
    if mode == "eager":
        sol = dense(*args)
    elif mode == "jit":
        sol = jax.jit(dense)(*args)
    else:
        batch = jax.vmap(dense)(*(np.stack([t, t]) for t in args))
        sol = jax.tree_util.tree_map(lambda t: t[1], batch)
    return float(sol.lower_bound), float(sol.value), float(sol.upper_bound)


def _assert_certified(lo: float, value: float, hi: float, exact, dtype: type) -> None:
    assert exact.inside(lo, hi), (lo, hi, float(exact.lower_bound))
    assert lo <= value <= hi
    w1 = float(exact.upper_bound)
    assert hi - lo <= WIDTH[np.dtype(dtype).name] * w1 + 2 * np.finfo(dtype).smallest_subnormal, (
        lo,
        hi,
        w1,
    )


# vmap compiles the batched program (about 3 s a case): the slow tier runs it.
@pytest.mark.parametrize("mode", ["eager", "jit", pytest.param("vmap", marks=pytest.mark.slow)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_far_point_of_tiny_mass_keeps_a_few_ulps(seed, dtype, mode):
    args = _far_point_case(seed, dtype)
    exact = exact_w1(*args)
    _assert_certified(*_solve(mode, *args), exact, dtype)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_coordinates_mixing_1e300_and_1e_minus_300(mode):
    # W1 = 1/3: the far points match each other at cost 1, the others at 1e-300.
    x = np.array([[1e300, 0.0], [0.0, 0.0], [1e-300, 1.0]])
    y = np.array([[1e300, 1.0], [1e-300, 0.0], [0.0, 1.0]])
    exact = exact_w1(x, y)
    _assert_certified(*_solve(mode, x, y, np.full(3, 1 / 3), np.full(3, 1 / 3)), exact, np.float64)


@pytest.mark.parametrize("seed", range(6))
def test_far_points_on_both_sides_are_certified_or_refused(seed):
    # Far points on both sides and a W1 of about 1e-5: the small costs are below what a network
    # simplex comparing at 1e300 resolves. Either the interval holds W1 to a few ulps, or the
    # call says it cannot (status NUMERICAL), eagerly and (NaN) under jit.
    rng = np.random.default_rng(seed)
    x = np.concatenate([[[1e300, 0.0]], 1e-5 * rng.uniform(size=(4, 2))])
    y = np.concatenate([[[1e300, 0.0]], 1e-5 * rng.uniform(size=(5, 2))])
    a = np.concatenate([[0.25], 0.75 * rng.dirichlet(np.ones(4))])
    b = np.concatenate([[0.25], 0.75 * rng.dirichlet(np.ones(5))])
    exact = exact_w1(x, y, a, b)
    try:
        got = _solve("eager", x, y, a, b)
    except dv.SolverError as err:
        assert err.status == Status.NUMERICAL
        assert "binades" in str(err)
        traced = jax.jit(dense)(x, y, a, b)
        assert np.isnan(float(traced.value)) and np.isnan(float(traced.upper_bound))
    else:
        # Certified to the documented width: a few ulps of the weighted cost scale S, which the
        # far points' masses (a quarter on each side) make as large as their distance.
        scale = float(ExactW1(x, y, a, b).cost_scale())
        eps = float(np.finfo(np.float64).eps)
        for lo, value, hi in (got, _solve("jit", x, y, a, b)):
            assert exact.inside(lo, hi) and lo <= value <= hi
            assert hi - lo <= 64 * (2 + 8) * eps * scale + 4 * eps * scale


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_far_points_matched_with_uniform_weights_keep_a_few_ulps(mode):
    # Issue 50: W1 = 1/3 (the far points matched at cost 1), weights None. The rounding of 1/3
    # was charged at the largest cost, 1e300: the interval was [1/3, 4.4e284], accepted as a few
    # ulps of the weighted cost scale. The exact weights are 1/3 on both sides, a common multiple
    # of the float64 ones, so the certificate takes them as exact and scales the bounds.
    x = np.array([[1e300, 0.0], [1e-300, 0.0], [0.0, 2e-300]])
    y = np.array([[1e-300, 1e-300], [1e300, 1.0], [3e-300, 0.0]])
    exact = exact_w1(x, y)
    _assert_certified(*_solve(mode, x, y), exact, np.float64)
    grad = jax.grad(lambda p: dense(p, y).value)(x)
    assert np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.slow
def test_the_rounding_of_the_potentials_is_not_solved_again(monkeypatch):
    # Issue 50's regression: at n = 1000 with random weights the certificate is a few ulps wider
    # than 2^-40 of W1 from the rounding of the network simplex's potentials along its tree, not
    # from allowances at the largest cost; a second solve on the reduced costs cannot remove it
    # and took half the time. It is not run, and the interval holds W1 to the documented width.
    def refused(*args, **kwargs):
        raise AssertionError("a second solve")

    rng = np.random.default_rng(0)
    n = 1000
    x, y = rng.uniform(size=(n, 2)), rng.uniform(size=(n, 2))
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    a, b = a / a.sum(), b / b.sum()
    reference = dv.w1_primal(x, y, a, b, method="sparse", rtol=0.0)
    monkeypatch.setattr(host_dense, "_reduced_solve", refused)
    sol = dense(x, y, a, b)
    lo, value, hi = float(sol.lower_bound), float(sol.value), float(sol.upper_bound)
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    scale = min(float(a @ cost.max(axis=1)), float(b @ cost.max(axis=0)))
    eps = float(np.finfo(np.float64).eps)
    assert lo <= value <= hi and hi - lo <= 64 * (2 + 8) * eps * scale + 4 * eps * scale
    assert lo <= float(reference.upper_bound) and float(reference.lower_bound) <= hi


# ------------------------------------------------------------------ the steps around POT


@pytest.mark.parametrize("e", [0, 1, 3, -1, -40, 1021, 1022, 1023, 1074, -1021, -1022, -1060])
def test_costs_scaled_by_a_power_of_two_are_ldexp_bit_for_bit(e):
    # The product by 2^-e where that is a normal float, ldexp beyond: the same rounding, also
    # where the result is subnormal (e > 0 with tiny costs) or the factor is not a float.
    rng = np.random.default_rng(e % 7)
    cost = rng.uniform(size=(7, 5)) * np.ldexp(1.0, rng.integers(-1074, 1000, size=(7, 5)))
    cost[0, :] = [0.0, 5e-324, 2.2250738585072014e-308, 1.0, 1.7976931348623157e308]
    with np.errstate(over="ignore"):
        want = np.ldexp(cost, -e)
        got = host_dense._unit_costs(cost, e)
    assert got.flags.c_contiguous
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


def test_plan_arcs_are_its_positive_entries_and_a_coupling_is_checked_on_them():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(9, 2))
    a, b = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(9))
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    sol = host_dense.solve_transport(cost, a, b, 10_000)
    plan = np.zeros((6, 9))
    plan[sol.rows, sol.cols] = sol.mass
    rows, cols = np.nonzero(plan > 0)  # row-major, as the arcs are
    assert np.array_equal(sol.rows, rows) and np.array_equal(sol.cols, cols)
    assert sol.rows.dtype == sol.cols.dtype == np.int32
    assert host_dense.check_coupling_host(plan, a, b)
    # Refused: a NaN entry, a negative one past the tolerance, a missing
    # row's mass, a column's mass moved to another column.
    for i, j, t in ((rows[0], cols[0], np.nan), (0, 0, -1e-6)):
        bad = plan.copy()
        bad[i, j] = t
        assert not host_dense.check_coupling_host(bad, a, b)
    bad = plan.copy()
    bad[rows[0]] = 0.0
    assert not host_dense.check_coupling_host(bad, a, b)
    bad = plan.copy()
    bad[rows[0], cols[0]] -= 1e-6
    bad[rows[0], (cols[0] + 1) % 9] += 1e-6
    assert not host_dense.check_coupling_host(bad, a, b)
