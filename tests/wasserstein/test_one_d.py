"""W1 on the line by the CDF formula, against scipy and the LP solvers.

Its three kernels against each other, and its sorts on the host (NumPy, through a callback) against
XLA's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.measures import SIZES, measure_pairs, points
from divergences.testing.reference import central_difference, highs_primal, simplex_directions
from divergences.wasserstein import one_d

LP = tolerance("lp")


@pytest.mark.slow
@given(measure_pairs(dims=(1,)))
def test_matches_scipy_and_the_lp(pair):
    x, y, a, b = pair
    u, v = x[:, 0], y[:, 0]
    value = dv.w1_1d(u, v, a, b)
    np.testing.assert_allclose(value, scipy.stats.wasserstein_distance(u, v, a, b), **LP)
    np.testing.assert_allclose(value, dv.w1_primal(u, v, a, b).value, **LP)
    np.testing.assert_allclose(value, dv.w1_dual(u, v, a, b).value, **LP)
    np.testing.assert_allclose(value, highs_primal(u, v, a, b), **tolerance("highs"))


@pytest.mark.slow
@given(measure_pairs(dims=(1,)))
def test_uniform_weights_path_matches_scipy_and_the_weighted_path(pair):
    # Weights left out take a separate kernel (quantile functions, no pooled sort).
    u, v = pair.x[:, 0], pair.y[:, 0]
    value = dv.w1_1d(u, v)
    np.testing.assert_allclose(value, scipy.stats.wasserstein_distance(u, v), **LP)
    uniform_u, uniform_v = np.full(len(u), 1 / len(u)), np.full(len(v), 1 / len(v))
    np.testing.assert_allclose(value, dv.w1_1d(u, v, uniform_u, uniform_v), **LP)
    assert float(dv.w1_1d(u, u)) == 0.0


@pytest.mark.slow
def test_uniform_weights_path_gradient_jit_vmap():
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=7), rng.normal(size=4)
    tol = tolerance("gradient")
    for fn in (dv.w1_1d, jax.jit(dv.w1_1d)):
        gu, gv = jax.grad(fn, argnums=(0, 1))(u, v)
        np.testing.assert_allclose(
            gu, central_difference(lambda t, fn=fn: float(fn(t, v)), u), **tol
        )
        np.testing.assert_allclose(
            gv, central_difference(lambda t, fn=fn: float(fn(u, t)), v), **tol
        )
    us = np.stack([u, u - 1.0, -u])
    batched = jax.vmap(dv.w1_1d, in_axes=(0, None))(us, v)
    for i in range(3):
        np.testing.assert_allclose(batched[i], scipy.stats.wasserstein_distance(us[i], v), **LP)


# In the slow tier: test_host_sorts_equal_xla_sorts (signed zeros, negatives, 1e300) and the
# weighted subnormal case stay quick; test_host_sorts_give_the_xla_values_and_gradients is slow.
@pytest.mark.slow
def test_signed_zeros_and_negative_values_sort_correctly():
    # The kernels sort floats through integer keys: negatives, -0.0 and +0.0 must all order.
    u = np.array([-0.0, 0.0, -3.5, 2.0, -1e-300, 1e300])
    v = np.array([0.0, -2.0, 5.0])
    np.testing.assert_allclose(dv.w1_1d(u, v), scipy.stats.wasserstein_distance(u, v), **LP)
    w = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
    np.testing.assert_allclose(dv.w1_1d(u, v, w), scipy.stats.wasserstein_distance(u, v, w), **LP)


@pytest.mark.slow  # 2.1 s from a cold compile cache: over the quick tier's 1 s
@given(measure_pairs(dims=(1,)))
def test_identical_measures_give_exactly_zero(pair):
    x, _, a, _ = pair
    assert float(dv.w1_1d(x[:, 0], x[:, 0], a, a)) == 0.0


def test_closed_forms():
    u = np.array([0.0, 1.0, 3.0])
    # A shift moves every quantile by c.
    np.testing.assert_allclose(dv.w1_1d(u, u + 2.5), 2.5, **LP)
    np.testing.assert_allclose(dv.w1_1d(u, u - 0.75), 0.75, **LP)
    # Dirac against Dirac (three draws at one point each: the shapes above, one compiled program).
    np.testing.assert_allclose(dv.w1_1d(np.full(3, -1.0), np.full(3, 2.0)), 3.0, **LP)
    # Bernoulli(p) vs Bernoulli(q) on {0, 1}: |p - q| (a third atom of mass 0 keeps the shapes).
    w = np.array([0.7, 0.3, 0.0]), np.array([0.2, 0.8, 0.0])
    np.testing.assert_allclose(dv.w1_1d([0.0, 1.0, 3.0], [0.0, 1.0, 3.0], *w), 0.5, **LP)


def test_large_sample_matches_scipy():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=2000), rng.exponential(size=1500)
    wu, wv = rng.dirichlet(np.ones(2000)), rng.dirichlet(np.ones(1500))
    np.testing.assert_allclose(
        dv.w1_1d(u, v, wu, wv), scipy.stats.wasserstein_distance(u, v, wu, wv), **LP
    )


@pytest.mark.slow
def test_jit_and_vmap():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=(4, 6)), rng.normal(size=(4, 3))
    wv = rng.dirichlet(np.ones(3), size=4)
    batched = jax.vmap(dv.w1_1d, in_axes=(0, 0, None, 0))(u, v, None, wv)
    jitted = jax.jit(dv.w1_1d)
    for i in range(4):
        ref = scipy.stats.wasserstein_distance(u[i], v[i], None, wv[i])
        np.testing.assert_allclose(batched[i], ref, **LP)
        np.testing.assert_allclose(jitted(u[i], v[i], None, wv[i]), ref, **LP)


@pytest.mark.slow
def test_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=5), rng.normal(size=4)
    wu, wv = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(4))
    tol = tolerance("gradient")
    for fn in (dv.w1_1d, jax.jit(dv.w1_1d)):
        gu, gv, gwu = jax.grad(fn, argnums=(0, 1, 2))(u, v, wu, wv)
        np.testing.assert_allclose(
            gu, central_difference(lambda t, fn=fn: float(fn(t, v, wu, wv)), u), **tol
        )
        np.testing.assert_allclose(
            gv, central_difference(lambda t, fn=fn: float(fn(u, t, wu, wv)), v), **tol
        )
        for d in simplex_directions(5):
            h = 1e-6
            fd = (float(fn(u, v, wu + h * d, wv)) - float(fn(u, v, wu - h * d, wv))) / (2 * h)
            np.testing.assert_allclose(np.dot(gwu, d), fd, **tol)
    # The same gradient as the LP's envelope gradient.
    lp = jax.grad(lambda t: dv.w1_primal(t, v, wu, wv).value)(u)
    np.testing.assert_allclose(jax.grad(dv.w1_1d)(u, v, wu, wv), lp, **tol)
    grads = jax.vmap(jax.grad(dv.w1_1d), in_axes=(0, None, None, None))(
        jnp.stack([u, u + 3.0]), v, wu, wv
    )
    np.testing.assert_allclose(grads[0], jax.grad(dv.w1_1d)(u, v, wu, wv), **tol)


@pytest.mark.slow
def test_gradient_finite_at_ties_and_zero_mass():
    u = np.array([0.0, 1.0, 1.0])
    v = np.array([1.0, 0.0])
    g = jax.grad(dv.w1_1d, argnums=(0, 1, 2))(u, v, np.array([0.5, 0.5, 0.0]), None)
    for part in g:
        assert np.isfinite(np.asarray(part)).all()


def test_float32():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=50).astype(np.float32), rng.normal(size=40).astype(np.float32)
    value = dv.w1_1d(u, v)
    assert value.dtype == jnp.float32
    ref = scipy.stats.wasserstein_distance(u.astype(np.float64), v.astype(np.float64))
    np.testing.assert_allclose(value, ref, **tolerance("float32"))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.0, 1.0], [1.0], [0.5, 0.2, 0.3]), "u_weights has 3 weights but u_values has 2"),
        (([0.0, 1.0], [1.0], [0.5, 0.5 + 1e-8], [1.0 - 1e-8]), "must have equal total mass"),
        (([0.0, 1.0], [1.0], [1.5, -0.5]), "u_weights has negative mass"),
        (([0.0, 1.0], [1.0], None, [np.nan]), "v_weights contains NaN"),
        (([0.0, 1.0], [1.0], [0.5, 0.4]), "u_weights does not sum to 1"),
        (([[0.0, 1.0]], [1.0]), "u_values must be a 1-D array"),
        (([0.0, np.inf], [1.0]), "u_values contains NaN or inf"),
        (([], [1.0]), "u_values is empty"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        dv.w1_1d(*args)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("n", "m", "weighted"),
    [(6, 6, False), (5, 8, False), (5, 8, True)],
    ids=["equal-size", "uniform", "weighted"],
)
def test_eager_jit_and_vmap_give_the_same_value(dtype, n, m, weighted):
    """One program for eager and traced calls (why not the runner's: one_d's docstring).

    Computed on the device: ``jit`` and ``vmap`` compile it into other programs, which a
    backend may round differently (on the CPU: the same bits), so the same to its rounding.
    """
    rng = np.random.default_rng(11)
    args = [rng.normal(size=n).astype(dtype), (2 * rng.normal(size=m) + 0.3).astype(dtype)]
    if weighted:
        a, b = rng.dirichlet(np.ones(n)).astype(dtype), rng.dirichlet(np.ones(m)).astype(dtype)
        args += [a / a.sum(), b / b.sum()]
    eager = np.asarray(dv.w1_1d(*args))
    jitted = np.asarray(jax.jit(dv.w1_1d)(*args))
    batched = np.asarray(jax.vmap(dv.w1_1d)(*(np.stack([t, t]) for t in args)))
    assert eager.dtype == jitted.dtype == batched.dtype == dtype
    same = tolerance(f"backend_{np.dtype(dtype).name}")
    for other in (jitted, batched[0], batched[1]):
        np.testing.assert_allclose(other, eager, **same)
    grad = jax.grad(dv.w1_1d, argnums=(0, 1))
    for g, h in zip(grad(*args), jax.jit(grad)(*args), strict=True):
        np.testing.assert_allclose(np.asarray(h), np.asarray(g), **same)


@pytest.mark.slow
def test_a_broken_rule_gives_nan_under_jit_as_the_runner_does():
    args = (np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([1.5, -0.5]), np.full(2, 0.5))
    assert np.isnan(float(jax.jit(dv.w1_1d)(*args)))
    assert np.isnan(float(jax.jit(lambda *t: dv.w1_primal(*t).value)(*args)))
    with pytest.raises(ValueError, match="u_weights has negative mass"):
        dv.checked(jax.jit(dv.w1_1d))(*args)


# ------------------------------------------------- kernels, and sorts on the host or in XLA


@pytest.mark.slow
@given(st.sampled_from(SIZES).flatmap(lambda n: st.tuples(points(n, 1), points(n, 1))))
def test_equal_size_kernel_equals_the_general_ones(pair):
    # n = m, uniform weights: the mean of |u_(i) - v_(i)|, against the merged-quantile kernel
    # and the pooled-CDF kernel on the same points (exact zeros, ties, repeats drawn); the
    # gradients too, where they are unique (no two pooled points equal).
    u, v = (jnp.asarray(t[:, 0]) for t in pair)
    n = u.shape[0]
    paired = one_d._equal_size_distance(u, v)
    np.testing.assert_allclose(paired, one_d._uniform_distance(u, v), **LP)
    w = jnp.full(n, 1.0 / n)
    np.testing.assert_allclose(paired, one_d._cdf_distance(u, v, w, w), **LP)
    np.testing.assert_allclose(dv.w1_1d(u, v), scipy.stats.wasserstein_distance(u, v), **LP)
    if np.unique(np.concatenate([u, v])).size < 2 * n:
        return  # a tie: each kernel takes its own subgradient of |.| there
    for kernel in (one_d._uniform_distance, lambda u, v: one_d._cdf_distance(u, v, w, w)):
        for g, h in zip(
            jax.grad(one_d._equal_size_distance, argnums=(0, 1))(u, v),
            jax.grad(kernel, argnums=(0, 1))(u, v),
            strict=True,
        ):
            np.testing.assert_allclose(g, h, **LP)


def _large_sample(n=3 * one_d.HOST_SORT_MIN // 2):
    """Above both host thresholds, with repeats, signed zeros and huge and tiny values."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=n)
    x[: n // 10] = np.round(x[: n // 10])  # many ties
    x[n // 10 : n // 10 + 4] = [-0.0, 0.0, 1e300, -1e-300]
    return rng.permutation(x)


def test_host_sorts_equal_xla_sorts():
    x = jnp.asarray(_large_sample())
    np.testing.assert_array_equal(one_d._host_sort(x), one_d._xla_sort(x))
    np.testing.assert_array_equal(one_d._host_sort(x), np.sort(np.asarray(x)))
    perm = np.asarray(one_d._host_argsort(x))
    np.testing.assert_array_equal(np.sort(perm), np.arange(x.shape[0]))  # a permutation
    np.testing.assert_array_equal(np.asarray(x)[perm], one_d._xla_sort(x))
    # Stable: equal values keep their input order (the pooled CDF kernel relies on it).
    ties = np.asarray(x)[perm][1:] == np.asarray(x)[perm][:-1]
    assert np.all(perm[1:][ties] > perm[:-1][ties])
    # Under vmap one callback sorts every row.
    rows = jnp.stack([x, -x, x[::-1]])
    np.testing.assert_array_equal(jax.vmap(one_d._host_sort)(rows), np.sort(rows, axis=-1))
    batched = np.asarray(jax.vmap(one_d._host_argsort)(rows))
    np.testing.assert_array_equal(
        np.take_along_axis(np.asarray(rows), batched, axis=-1), np.sort(rows, axis=-1)
    )


def test_large_inputs_sort_on_the_host_and_small_ones_in_xla():
    big, small = jnp.asarray(_large_sample()), jnp.asarray([0.0, 2.0, 1.0])
    assert "pure_callback" in str(jax.make_jaxpr(dv.w1_1d)(big, big[::-1]))
    assert "pure_callback" in str(jax.make_jaxpr(jax.grad(dv.w1_1d))(big, big[:-5]))
    assert "pure_callback" not in str(jax.make_jaxpr(dv.w1_1d)(small, small))


@pytest.mark.parametrize("platform", ["cuda", pytest.param("tpu", marks=pytest.mark.slow)])
def test_accelerators_keep_xla_sorts(platform):
    # The host branch is chosen at lowering, for a CPU only: lowered for an accelerator the
    # program has no callback (and so can be serialised), at every size.
    # Exported from shapes alone: arrays would be committed to the backend's device, and
    # exporting them for another platform is refused (a CUDA backend refused arrays on its card
    # for a lowering to "cpu").
    n = 3 * one_d.HOST_SORT_MIN // 2  # _large_sample's size
    x, y = jax.ShapeDtypeStruct((n,), jnp.float64), jax.ShapeDtypeStruct((n - 5,), jnp.float64)
    for fn, args in ((dv.w1_1d, (x, x)), (jax.grad(dv.w1_1d), (x, y))):
        exported = jax.export.export(jax.jit(fn), platforms=[platform])(*args)
        assert "callback" not in exported.mlir_module()
    with pytest.raises(NotImplementedError, match="host_callbacks"):  # the CPU program has one
        jax.export.export(jax.jit(dv.w1_1d), platforms=["cpu"])(x, x)


def _with_xla_sorts(monkeypatch, kernel):
    """``kernel`` traced afresh with every sort in XLA (a new jit: no cached host version)."""
    monkeypatch.setattr(one_d, "HOST_SORT_MIN", 2**62)
    monkeypatch.setattr(one_d, "HOST_ARGSORT_MIN", 2**62)
    return jax.jit(kernel.__wrapped__)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["_equal_size_distance", "_uniform_distance", "_cdf_distance"])
def test_host_sorts_give_the_xla_values_and_gradients(monkeypatch, kernel):
    rng = np.random.default_rng(8)
    u = jnp.asarray(_large_sample())
    v = jnp.asarray(rng.exponential(size=u.shape[0] if kernel == "_equal_size_distance" else 9000))
    args = [u, v]
    if kernel == "_cdf_distance":
        args += [jnp.asarray(rng.dirichlet(np.ones(t.shape[0]))) for t in (u, v)]
    fn = getattr(one_d, kernel)
    host = jax.jit(fn.__wrapped__)
    host_value, host_grads = host(*args), jax.grad(host, argnums=(0, 1))(*args)
    xla = _with_xla_sorts(monkeypatch, fn)
    np.testing.assert_allclose(host_value, xla(*args), **LP)
    for g, h in zip(host_grads, jax.grad(xla, argnums=(0, 1))(*args), strict=True):
        np.testing.assert_allclose(g, h, **LP)
    # And under vmap: each row as its own call.
    shifted = jnp.stack([u, u + 0.5])
    batched = jax.vmap(host, in_axes=(0, *[None] * (len(args) - 1)))(shifted, *args[1:])
    for row, ref in zip(batched, [host(t, *args[1:]) for t in shifted], strict=True):
        np.testing.assert_allclose(row, ref, **LP)


# In the slow tier: larger samples (test_large_sample_matches_scipy stays quick).
@pytest.mark.slow
def test_large_samples_match_scipy_and_the_uniform_gradient():
    rng = np.random.default_rng(9)
    u, v = _large_sample(), rng.normal(0.5, 2.0, size=_large_sample().shape[0])
    np.testing.assert_allclose(dv.w1_1d(u, v), scipy.stats.wasserstein_distance(u, v), **LP)
    # n = m, uniform: dW/du_i = sign(u_(r) - v_(r)) / n at the rank r of u_i (no ties here
    # between the paired order statistics, so the derivative is unique).
    n = u.shape[0]
    ou, ov = np.argsort(u, kind="stable"), np.argsort(v, kind="stable")
    expected = np.zeros(n)
    expected[ou] = np.sign(u[ou] - v[ov]) / n
    np.testing.assert_allclose(jax.jit(jax.grad(dv.w1_1d))(u, v), expected, **LP)


def _exact_uniform_w1(u, v):
    """W1 of two equal-size uniform samples in rational arithmetic: the matched sorted gaps."""
    from fractions import Fraction

    us = sorted(Fraction(float(t)) for t in u)
    vs = sorted(Fraction(float(t)) for t in v)
    return sum(abs(p - q) for p, q in zip(us, vs, strict=True)) / len(us)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("u", "v"),
    [
        (np.array([1e300, 1e-300]), np.array([1e300, 0.0])),  # mixed binades, float64
        (np.array([1e-40, 3e-40], np.float32), np.array([0.0, 7e-40], np.float32)),  # subnormal
        (np.array([1e30, 1e-40], np.float32), np.array([1e30, 0.0], np.float32)),
        (np.array([1e-320, 3e-320]), np.array([0.0, 7e-320])),  # float64, all subnormal
    ],
)
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
def test_small_gaps_beside_huge_points_and_subnormals_are_kept(u, v, mode):
    from fractions import Fraction

    exact = _exact_uniform_w1(u, v)
    if mode == "eager":
        value = dv.w1_1d(u, v)
    elif mode == "jit":
        value = jax.jit(dv.w1_1d)(u, v)
    else:
        value = jax.vmap(dv.w1_1d)(u[None], v[None])[0]
    assert value.dtype == u.dtype
    assert exact > 0 and float(value) > 0
    # Within a few ulps of the exact W1 (absolute 2^-149 steps among float32 subnormals).
    ulp = Fraction(float(np.spacing(np.asarray(float(exact), u.dtype))))
    assert abs(Fraction(float(value)) - exact) <= 4 * ulp
    grad = jax.grad(lambda p: dv.w1_1d(p, v))(u)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)


@pytest.mark.parametrize("weighted", [False, True], ids=["uniform", "weighted"])
def test_float64_subnormal_points_are_not_read_as_zero(weighted):
    from fractions import Fraction

    # XLA's CPU reads a float64 subnormal as 0: W1 ~ 1e-316 came back as 0.
    u, v = np.array([-1e-315, -1e-315]), np.array([-8.82424306e-316, -1e-316])
    if weighted:  # all the mass on the first points
        a = b = np.array([1.0, 0.0])
        exact = abs(Fraction(float(u[0])) - Fraction(float(v[0])))
    else:
        a = b = None
        exact = _exact_uniform_w1(u, v)
    value = dv.w1_1d(u, v, a, b)
    step = Fraction(float(np.finfo(np.float64).smallest_subnormal))
    assert exact > 0 and abs(Fraction(float(value)) - exact) <= step / 2  # rounded to nearest
