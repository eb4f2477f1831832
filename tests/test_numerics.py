"""The log kernels: the fast path and the exact fallback agree, the custom JVP is right, and the
masks and safe square root behave as documented."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from divergences import _numerics as nm
from divergences import testing as dvt
from divergences.testing import tolerance

SIZES = [2, 5]


def _fallback(x, y, z, axis=-1):
    return jnp.sum(nm.xlog_ratio(x, y, z), axis=axis)


fast_jit = jax.jit(nm._fast_sum, static_argnums=3)
fallback_jit = jax.jit(_fallback, static_argnums=3)


def _reference(x, y, z):
    """sum x log(y / z) by SciPy: xlogy(x, y) - xlogy(x, z), with the package's conventions."""
    x, y, z = np.broadcast_arrays(x, y, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = scipy.special.xlogy(x, y) - scipy.special.xlogy(x, z)
    return terms.sum(axis=-1)


def test_support_mask() -> None:
    x = jnp.array([0.0, 1e-300, np.finfo(np.float64).tiny, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(nm.support_mask(x), [0, 1, 1, 1, 1, 1])
    # No gradient flows through the mask.
    np.testing.assert_array_equal(jax.grad(lambda x: nm.support_mask(x).sum())(x), 0.0)


def test_xlog_ratio_conventions() -> None:
    x = jnp.array([0.0, 0.0, 0.0, 0.5, 0.5])
    y = jnp.array([0.0, 0.3, 0.0, 0.5, 0.5])
    z = jnp.array([0.0, 0.0, 0.7, 0.25, 0.0])
    out = np.asarray(nm.xlog_ratio(x, y, z))
    np.testing.assert_array_equal(out[:3], 0.0)  # 0 log(0/0) = 0 log(y/0) = 0 log(0/z) = 0
    np.testing.assert_allclose(out[3], 0.5 * math.log(2), **tolerance("float64"))
    assert out[4] == math.inf


@given(dvt.pmf_pairs(SIZES, relation="independent", zeros=False))
def test_fast_path_without_zeros(pq) -> None:
    # No zeros: the fast path has no NaN, is what the kernel returns, and equals the fallback.
    p, q = pq
    fast = float(fast_jit(p, p, q, -1))
    assert not math.isnan(fast)
    assert float(nm.xlog_ratio_sum(p, p, q, -1)) == fast
    np.testing.assert_allclose(fast, float(fallback_jit(p, p, q, -1)), **tolerance("float64"))
    np.testing.assert_allclose(fast, _reference(p, p, q), **tolerance("float64"))


@given(dvt.pmf_pairs(SIZES))
def test_both_branches_agree_with_zeros(pq) -> None:
    # KL-, entropy- and JS-shaped calls, with zeros anywhere (in both arguments too).
    p, q = pq
    ones = np.ones_like(p)
    for x, y, z in ((p, p, q), (p, ones, p), (p, ones, q), (p, 2 * p, p + q)):
        kernel = float(nm.xlog_ratio_sum(x, y, z, -1))
        fallback = float(fallback_jit(x, y, z, -1))
        np.testing.assert_allclose(kernel, fallback, **tolerance("float64"))
        np.testing.assert_allclose(kernel, _reference(x, y, z), **tolerance("float64"))
        fast = float(fast_jit(x, y, z, -1))
        # The fast path is exact whenever it is not NaN; NaN happens only with x = 0 = z.
        if math.isnan(fast):
            assert ((x == 0) & (z == 0)).any()
        else:
            np.testing.assert_allclose(fast, kernel, **tolerance("float64"))


def test_fallback_runs_exactly_when_x_and_z_vanish_together() -> None:
    p = jnp.array([0.5, 0.5, 0.0])
    q = jnp.array([0.5, 0.5, 0.0])
    assert math.isnan(float(fast_jit(p, p, q, -1)))  # 0 * log(0 / 0)
    assert float(nm.xlog_ratio_sum(p, p, q, -1)) == 0.0
    np.testing.assert_allclose(
        float(nm.xlog_ratio_sum(p, jnp.ones(3), p, -1)), math.log(2), **tolerance("float64")
    )


def test_under_vmap_cond_becomes_select() -> None:
    # One batch mixes rows for the fast path and rows for the fallback: under vmap lax.cond is a
    # select that evaluates both, and each row must still get its own exact answer.
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.5, 0.0], [0.3, 0.3, 0.4], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    rows = [float(nm.xlog_ratio_sum(a, a, b, -1)) for a, b in zip(p, q, strict=True)]
    batched = jax.vmap(lambda a, b: nm.xlog_ratio_sum(a, a, b, -1))(p, q)
    np.testing.assert_allclose(batched, rows, **tolerance("float64"))
    np.testing.assert_allclose(nm.xlog_ratio_sum(p, p, q, -1), rows, **tolerance("float64"))
    np.testing.assert_allclose(nm.xlog_ratio_sum(p.T, p.T, q.T, 0), rows, **tolerance("float64"))
    assert rows[0] == 0.0 and rows[2] == math.inf and rows[3] == math.inf
    # Gradients through the vmapped kernel are finite on the rows with finite values.
    g = jax.vmap(jax.grad(lambda a, b: nm.xlog_ratio_sum(a, a, b, -1)))(p[:2], q[:2])
    assert np.isfinite(g).all()


@given(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3))
def test_jvp_matches_finite_differences(w) -> None:
    # The custom JVP against central differences, in every argument, at an interior point.
    x = jnp.asarray(w)
    y = jnp.asarray(w[::-1]) + 0.1
    z = jnp.asarray(w) * 0.5 + 0.2
    h = 1e-6
    grads = jax.grad(lambda x, y, z: nm.xlog_ratio_sum(x, y, z, -1), argnums=(0, 1, 2))(x, y, z)
    for which, g in enumerate(grads):
        for i in range(3):
            e = jnp.zeros(3).at[i].set(h)
            args_p = [x, y, z]
            args_m = [x, y, z]
            args_p[which] = args_p[which] + e
            args_m[which] = args_m[which] - e
            fd = (float(nm.xlog_ratio_sum(*args_p, -1)) - float(nm.xlog_ratio_sum(*args_m, -1))) / (
                2 * h
            )
            np.testing.assert_allclose(float(g[i]), fd, **tolerance("gradient"))


def test_jvp_zero_mass_convention() -> None:
    # A term with x = 0 is held at 0: no derivative in y or z, even where z = 0. Its derivative
    # in x is log(y / z) where finite (second entry: the term is linear in x) and 0 where y or z
    # is 0 too (first and last entries: x log x-like, one-sided derivative -inf).
    x = jnp.array([0.0, 0.0, 0.6, 0.4, 0.0])
    y = jnp.array([0.0, 1.0, 0.6, 0.4, 1.0])
    z = jnp.array([0.0, 0.5, 0.3, 0.7, 0.0])
    gx, gy, gz = jax.grad(lambda x, y, z: nm.xlog_ratio_sum(x, y, z, -1), argnums=(0, 1, 2))(
        x, y, z
    )
    off = np.array([0, 1, 4])
    np.testing.assert_array_equal(np.asarray(gy)[off], 0.0)
    np.testing.assert_array_equal(np.asarray(gz)[off], 0.0)
    np.testing.assert_array_equal(np.asarray(gx)[[0, 4]], 0.0)
    np.testing.assert_allclose(float(gx[1]), math.log(2), **tolerance("float64"))
    x, y, z = x[:4], y[:4], z[:4]
    gx, gy, gz = gx[:4], gy[:4], gz[:4]
    np.testing.assert_allclose(gx[2:], np.log(y[2:] / z[2:]), **tolerance("float64"))
    np.testing.assert_allclose(gy[2:], x[2:] / y[2:], **tolerance("float64"))
    np.testing.assert_allclose(gz[2:], -x[2:] / z[2:], **tolerance("float64"))
    # Forward mode too.
    _, tangent = jax.jvp(
        lambda x: nm.xlog_ratio_sum(x, y, z, -1), (x,), (jnp.array([1.0, 1.0, 0.0, 0.0]),)
    )
    np.testing.assert_allclose(float(tangent), math.log(2), **tolerance("float64"))


def test_float32() -> None:
    p = np.array([0.5, 0.5, 0.0], dtype=np.float32)
    q = np.array([0.25, 0.25, 0.5], dtype=np.float32)
    out = nm.xlog_ratio_sum(p, p, q, -1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(float(out), math.log(2), **tolerance("float32"))
    # The fast path's floor is the dtype's own tiny.
    tiny32 = np.finfo(np.float32).tiny
    p = np.array([1 - tiny32, tiny32], dtype=np.float32)
    assert np.isfinite(float(nm.xlog_ratio_sum(p, p, np.array([0.5, 0.5], np.float32), -1)))


def test_safe_sqrt() -> None:
    x = jnp.array([0.0, 0.25, 1.0, 4.0])
    np.testing.assert_allclose(nm.safe_sqrt(x), [0.0, 0.5, 1.0, 2.0], **tolerance("float64"))
    g = jax.vmap(jax.grad(nm.safe_sqrt))(x)
    np.testing.assert_allclose(g, [0.0, 1.0, 0.5, 0.25], **tolerance("float64"))


def test_log_of_base() -> None:
    assert nm.log_of_base(None, jnp.float64) == 1.0
    assert nm.log_of_base(2, jnp.float64) == math.log(2)
    np.testing.assert_allclose(
        float(nm.log_of_base(jnp.asarray(10.0), jnp.float64)), math.log(10), **tolerance("float64")
    )
