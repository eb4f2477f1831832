"""The user-facing checks: coupling constraints and Lipschitz violations, with their numbers."""

from __future__ import annotations

import functools
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.exact_w1 import lipschitz_violation as exact_violation
from divergences.testing.measures import measure_pairs

LP = tolerance("lp")
F64 = tolerance("float64")


@pytest.mark.slow
@given(measure_pairs())
def test_solver_plans_are_couplings(pair):
    x, y, a, b = pair
    report = dv.check_coupling(dv.w1_primal(x, y, a, b).plan, a, b)
    assert bool(report.ok)
    assert float(report.row_error) <= LP["atol"] and float(report.column_error) <= LP["atol"]
    assert float(report.negative_mass) == 0.0


def test_report_measures_each_defect():
    a, b = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    plan = np.array([[0.25, 0.25], [0.0, 0.5]])
    assert bool(dv.check_coupling(plan, a, b).ok)
    moved = plan + np.array([[0.0, 0.0], [0.0, 1e-3]])
    report = dv.check_coupling(moved, a, b)
    np.testing.assert_allclose([report.row_error, report.column_error], [1e-3, 1e-3], **F64)
    assert not bool(report.ok)
    negative = np.array([[0.35, 0.15], [-0.1, 0.6]])
    report = dv.check_coupling(negative, a, b)
    np.testing.assert_allclose(report.negative_mass, 0.1, **F64)
    np.testing.assert_allclose([report.row_error, report.column_error], [0.0, 0.0], atol=1e-15)
    assert not bool(report.ok)
    assert bool(dv.check_coupling(negative, a, b, atol=0.2).ok)


def test_check_coupling_jit_and_vmap():
    a, b = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    plans = np.stack([np.array([[0.25, 0.25], [0.0, 0.5]]), np.array([[0.5, 0.0], [0.0, 0.5]])])
    batched = jax.vmap(dv.check_coupling, in_axes=(0, None, None))(plans, a, b)
    np.testing.assert_array_equal(batched.ok, [True, False])
    np.testing.assert_allclose(batched.column_error, [0.0, 0.25], **F64)
    jitted = jax.jit(dv.check_coupling)(plans[1], a, b)
    np.testing.assert_allclose(jitted.row_error, 0.0, **F64)
    np.testing.assert_allclose(jitted.column_error, 0.25, **F64)


def test_check_coupling_shapes():
    with pytest.raises(ValueError, match=r"plan must have shape \(len\(a\), len\(b\)\)"):
        dv.check_coupling(np.ones((2, 3)) / 6, np.ones(2) / 2, np.ones(2) / 2)


# In the slow tier: the doctest (0.0, 2.0) and test_dual.py's parallel lines (exactly 0.0) stay
# quick; the dyadic test below gives every metric's exact violation.
@pytest.mark.slow
def test_lipschitz_violation_values():
    z = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    # f = distance to the origin is 1-Lipschitz.
    assert float(dv.lipschitz_violation(np.linalg.norm(z, axis=1), z)) == 0.0
    # Twice it breaks the bound by max |x| - ... = 5 on the pair (0, (3, 4)).
    np.testing.assert_allclose(dv.lipschitz_violation(2 * np.linalg.norm(z, axis=1), z), 5.0, **F64)
    # With the cityblock cost the pair is 7 apart: 10 - 7 = 3.
    np.testing.assert_allclose(
        dv.lipschitz_violation(2 * np.linalg.norm(z, axis=1), z, metric="cityblock"), 3.0, **F64
    )


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
def test_lipschitz_violation_jit_and_vmap():
    z = jnp.array([0.0, 1.0, 3.0])
    fs = jnp.stack([z, 1.5 * z, -z])
    batched = jax.vmap(dv.lipschitz_violation, in_axes=(0, None))(fs, z)
    np.testing.assert_allclose(batched, [0.0, 1.5, 0.0], **F64)
    np.testing.assert_allclose(jax.jit(dv.lipschitz_violation)(1.5 * z, z), 1.5, **F64)


def test_lipschitz_violation_shapes():
    with pytest.raises(ValueError, match="f must have one value per point"):
        dv.lipschitz_violation([0.0, 1.0], [[0.0], [1.0], [2.0]])


@pytest.mark.parametrize("mode", ["eager", "jit", pytest.param("vmap", marks=pytest.mark.slow)])
def test_lipschitz_violation_of_float32_subnormal_values_is_not_understated(mode):
    # float32 values cast to the points' float64 inside XLA used to be flushed to 0 under jit,
    # hiding the violation that the eager call reported.
    f = np.array([0.0, 3e-40], np.float32)
    z = np.array([0.0, 1e-40])
    exact = Fraction(float(f[1])) - Fraction(float(z[1]))  # the pair (1, 0)
    if mode == "eager":
        got = dv.lipschitz_violation(f, z)
    elif mode == "jit":
        got = jax.jit(dv.lipschitz_violation)(f, z)
    else:
        got = jax.vmap(dv.lipschitz_violation)(f[None], z[None])[0]
    assert abs(Fraction(float(got)) - exact) <= exact * Fraction(2) ** -50


_MODES = {
    "eager": dv.lipschitz_violation,
    "jit": jax.jit(dv.lipschitz_violation),
    "vmap": lambda f, z: jax.vmap(dv.lipschitz_violation)(f[None], z[None])[0],
}


# vmap in the slow tier: float64 input, so every mode runs the same jitted _scaled_violation;
# eager, jit and test_lipschitz_violation_jit_and_vmap stay quick.
@pytest.mark.parametrize("mode", ["eager", "jit", pytest.param("vmap", marks=pytest.mark.slow)])
def test_lipschitz_violation_of_a_subnormal_potential_is_not_zero(mode):
    # w1_dual's potential on points about 1e-315: XLA read every number as 0 and the check gave
    # 0 under the true violation 2^-1074, the smallest subnormal number.
    x, y = [[-1e-315], [-1e-315]], [[-8.82424306e-316], [-1e-316]]
    dual = dv.w1_dual(x, y, [1.0, 0.0], [1.0, 0.0], method="dense")
    f, z = np.asarray(dual.f), np.asarray(dual.points)
    true = exact_violation(f, z)
    assert true.lower_bound == true.upper_bound == Fraction(2) ** -1074
    assert Fraction(float(_MODES[mode](f, z))) == true.lower_bound


# vmap in the slow tier, as above: eager and jit stay quick.
@pytest.mark.parametrize("mode", ["eager", "jit", pytest.param("vmap", marks=pytest.mark.slow)])
def test_lipschitz_violation_of_subnormal_values_on_normal_points(mode):
    # Values of 1e-310 (subnormal) on points 1e-315 apart: a violation of about 1e-310.
    f, z = np.array([0.0, 1e-310]), np.array([0.0, 1e-315])
    exact = Fraction(1e-310) - Fraction(1e-315)
    assert Fraction(float(_MODES[mode](f, z))) == exact  # exact: both are multiples of 2^-1074


@pytest.mark.slow  # 7 s: a compile per size and metric; the doctest and subnormal cases stay quick
@given(
    st.lists(st.integers(-50, 50), min_size=2, max_size=5),
    st.lists(st.integers(-50, 50), min_size=5, max_size=5),
    st.one_of(st.integers(-1074, -1016), st.integers(-1016, 1000)),  # subnormal half the time
    st.sampled_from(["euclidean", "cityblock", "chebyshev", "sqeuclidean"]),
)
def test_lipschitz_violation_is_exact_on_dyadic_numbers_at_every_scale(ints, zs, s, metric):
    # Integers times 2^s on the line: every difference, cost and violation is exact in
    # float64 at every scale (subnormal included), so the check must give the exact violation.
    n = len(ints)
    degree = 2 if metric == "sqeuclidean" else 1
    if degree == 2:
        s = max(s // 2, -537)  # the costs at 2^(2 s): within the range
    f_scale = degree * s
    f = np.ldexp(np.array(ints, np.float64), f_scale)
    z = np.ldexp(np.array(zs[:n], np.float64), s)
    exact_f = [Fraction(int(t)) * Fraction(2) ** f_scale for t in ints]
    exact_z = [Fraction(int(t)) * Fraction(2) ** s for t in zs[:n]]
    want = max(
        fk - fl - abs(zk - zl) ** degree
        for fk, zk in zip(exact_f, exact_z, strict=True)
        for fl, zl in zip(exact_f, exact_z, strict=True)
    )
    assert want >= 0  # the pair (k, k)
    for mode in ("eager", "jit"):
        got = _MODES[mode](f, z, metric=metric) if mode == "eager" else _lv_jit(f, z, metric)
        assert Fraction(float(got)) == want, (mode, float(got), float(want))


@functools.partial(jax.jit, static_argnums=2)
def _lv_jit(f, z, metric):
    return dv.lipschitz_violation(f, z, metric=metric)
