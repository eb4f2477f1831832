"""A mass below the smallest normal number counts as 0, on every backend, in value and gradient.

XLA's CPU reads a subnormal mass as 0; a GPU keeps it. Run both ways (``--subnormals=keep``
emulates the GPU; this file is in the Makefile's ``SUBNORMAL_TESTS``): each value is the one of
the masses with their subnormal entries set to 0, computed as the CPU does, and each gradient is
finite and the one at those masses.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.testing import tolerance

DTYPES = [np.float64, np.float32]
IDS = ["float64", "float32"]


def _pair(dtype):
    """``(p, q, p0)``: ``p`` with a subnormal mass where ``q`` has ``7 tiny``; ``p0`` it at 0."""
    tiny = np.finfo(dtype).tiny
    p = np.array([0.5, 0.5, tiny / 2], dtype)
    q = np.array([0.5, 0.5, 7 * tiny], dtype)
    return p, q, np.array([0.5, 0.5, 0.0], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_discrete_divergences_read_a_subnormal_mass_as_zero(dtype) -> None:
    # Only q's third mass, 7 tiny, counts: the terms q (KL, chi-square), q/2 (TV) and
    # (q/2) log 2 (JS). Where subnormal masses were kept, p's counted: KL 1.15e-307, not 1.56e-307.
    p, q, _ = _pair(dtype)
    tiny = float(np.finfo(dtype).tiny)
    expected = {
        dv.kl: 7 * tiny,
        dv.chi_square: 7 * tiny,
        dv.total_variation: 3.5 * tiny,
        dv.js_divergence: 3.5 * tiny * math.log(2),
    }
    for fn, value in expected.items():
        np.testing.assert_allclose(
            float(fn(p, q)), value, **tolerance(f"ulp_{np.dtype(dtype).name}"), err_msg=fn.__name__
        )


@pytest.mark.slow  # 2.3 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_f_divergences_read_a_subnormal_mass_as_zero(dtype) -> None:
    p, q, p0 = _pair(dtype)
    for g in dv.generators.GENERATORS.values():
        for a, b, a0 in ((p, q, p0), (q, p, q)):  # the subnormal mass in p, then in q
            b0 = p0 if b is p else b
            got, expected = float(dv.f_divergence(a, b, g)), float(dv.f_divergence(a0, b0, g))
            np.testing.assert_allclose(
                got, expected, **tolerance(f"backend_{np.dtype(dtype).name}"), err_msg=g.name
            )


@pytest.mark.slow  # 2.8 s from a cold compile cache: over the quick tier's 1 s
def test_generators_of_your_own_read_a_subnormal_mass_as_zero() -> None:
    # Summed as written: by the generator's term, or as q f(p/q) with the conventions at 0.
    p, q, p0 = _pair(np.float64)
    for g in (dv.generators.PEARSON, dv.generators.JENSEN_SHANNON, dv.generators.REVERSE_KL):
        for own, slope in ((g._replace(route=None), None), (g.f, g.slope_at_infinity)):
            for a, b, a0, b0 in ((p, q, p0, q), (q, p, q, p0)):
                got = float(dv.f_divergence(a, b, own, slope_at_infinity=slope))
                expected = float(dv.f_divergence(a0, b0, own, slope_at_infinity=slope))
                np.testing.assert_allclose(
                    got, expected, **tolerance("backend_float64"), err_msg=g.name
                )


@pytest.mark.slow  # 3.9 s from a cold compile cache: over the quick tier's 1 s
def test_gradients_at_a_subnormal_mass_are_those_at_zero() -> None:
    # chi-square at q = 2e-310 opposite p = 0: the CPU's gradient is that at q = 0 (0 in p);
    # where the mass was kept, p's was NaN.
    p, q = jnp.array([0.5, 0.5, 0.0]), jnp.array([0.5, 0.5, 2e-310])
    q0 = q.at[2].set(0.0)
    for fn in (dv.chi_square, dv.kl, dv.js_divergence, dv.total_variation, dv.hellinger):
        for got, expected in zip(
            jax.grad(fn, argnums=(0, 1))(p, q), jax.grad(fn, argnums=(0, 1))(p, q0), strict=True
        ):
            assert np.isfinite(got).all(), fn.__name__
            np.testing.assert_allclose(
                got, expected, **tolerance("backend_float64"), err_msg=fn.__name__
            )


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_optimal_discriminator_reads_a_subnormal_mass_as_zero(dtype) -> None:
    # D = p / (p + q) is 1/2 where both masses count as 0, and constant there: its row and
    # column of the Jacobian in q are 0 (where q = 5e-320 was kept, D was 0 and the Jacobian inf).
    sub = float(np.finfo(dtype).smallest_subnormal) * 8
    p, q = jnp.array([1.0, 0.0], dtype), jnp.array([1.0, sub], dtype)
    np.testing.assert_array_equal(dv.optimal_discriminator(p, q), [0.5, 0.5])
    if dtype is np.float32:
        return  # the Jacobian's program once, in float64
    jacobian = jax.jacfwd(dv.optimal_discriminator, argnums=1)(p, q)
    np.testing.assert_array_equal(jacobian, [[-0.25, 0.0], [0.0, 0.0]])  # -p / (p + q)^2 at 0


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_conditional_entropy_reads_a_subnormal_mass_as_zero(dtype) -> None:
    # A row that is all subnormal adds nothing: H(C | X) = 0 for both joints (NaN where the
    # masses were kept: the upscaled ratio of the other rows' mass to a subnormal one overflowed).
    sub = float(np.finfo(dtype).smallest_subnormal)
    for joint in (np.array([[1.0], [sub]], dtype), np.array([[0.5, 0.5], [sub * 64, 0.0]], dtype)):
        assert float(dv.conditional_entropy(joint)) == 0.0
        if dtype is np.float64:  # the gradient's program once
            assert np.isfinite(jax.grad(dv.conditional_entropy)(jnp.asarray(joint))).all()


@pytest.mark.slow  # 3.0 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_optimal_critic_reads_a_subnormal_mass_as_zero(dtype) -> None:
    # T* = f'(p/q) at masses with their subnormal entries at 0 (where they were kept, reverse
    # KL's critic read -1.6 for -inf), and its Jacobian finite.
    p, q, p0 = _pair(dtype)
    for g in dv.generators.GENERATORS.values():
        for a, b, a0, b0 in ((p, q, p0, q), (q, p, q, p0)):
            np.testing.assert_array_equal(
                dv.optimal_critic(a, b, g), dv.optimal_critic(a0, b0, g), err_msg=g.name
            )
    if dtype is np.float64:  # the Jacobian's program once
        jacobian = jax.jacfwd(dv.optimal_critic, argnums=(0, 1))(p, q, dv.generators.KL)
        assert all(np.isfinite(j).all() for j in jacobian)


@pytest.mark.slow  # 3.1 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_the_variational_bound_reads_a_subnormal_mass_as_zero(dtype) -> None:
    # At the optimal critic, the bound of the masses is that of the masses with their subnormal
    # entries at 0 (where they were kept, Neyman's read 4e-306 for inf and the reverse KL's 0).
    p, q, p0 = _pair(dtype)
    for g in dv.generators.GENERATORS.values():
        for a, b, a0, b0 in ((p, q, p0, q), (q, p, q, p0)):
            got = dv.variational_bound(a, b, dv.optimal_critic(a, b, g), g)
            expected = dv.variational_bound(a0, b0, dv.optimal_critic(a0, b0, g), g)
            np.testing.assert_array_equal(got, expected, err_msg=g.name)
