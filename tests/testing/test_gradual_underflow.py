"""The IEEE evaluation of the harness keeps subnormals; the float-range results hold both ways.

The float-range test family runs under both behaviours with ``--subnormals=keep`` (see the root
``conftest.py``); the cases here compare the two in one process, in the quick tier: the
evaluation itself, and the results that once depended on the flush.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import divergences as dv
from divergences.testing.gradual_underflow import evaluated_by_the_compiler, keep_subnormals

SUB64 = 5e-320  # a float64 subnormal number
TINY64 = float(np.finfo(np.float64).tiny)


@pytest.fixture
def both(request: pytest.FixtureRequest):
    """``both(fn, *args)``: ``fn`` as XLA's CPU computes it and with gradual underflow."""
    if request.config.getoption("--subnormals") == "keep":
        pytest.skip("compares the two behaviours: run without --subnormals=keep")
    if jax.default_backend() != "cpu":
        # A GPU keeps subnormal numbers itself: there is no flushing run to compare with, and
        # the emulation's lax.platform_dependent override is written for a CPU's traces (on a
        # CUDA backend it raised AttributeError inside platform_dependent).
        pytest.skip("compares XLA's CPU, which flushes subnormal numbers, with the emulation")

    def run(fn, *args):
        flushed = jax.tree.map(np.asarray, fn(*args))
        with keep_subnormals():
            kept = jax.tree.map(np.asarray, fn(*args))
        return flushed, kept

    return run


@pytest.mark.slow  # 1.7 s from a cold compile cache: over the quick tier's 1 s
def test_the_evaluation_keeps_what_xla_flushes(both) -> None:
    x = jnp.array([SUB64, -SUB64, 2.5 * TINY64])
    flushed, kept = both(jax.jit(lambda v: (v * 2, v < 0, v / 5, jnp.sum(v[:2] * 3))), x)
    np.testing.assert_array_equal(flushed[0], [0.0, -0.0, 5 * TINY64])
    np.testing.assert_array_equal(kept[0], [1e-319, -1e-319, 5 * TINY64])
    np.testing.assert_array_equal(flushed[1], [False, False, False])  # -5e-320 read as 0
    np.testing.assert_array_equal(kept[1], [False, True, False])
    assert 0 < kept[2][2] < TINY64 and flushed[2][2] == 0  # a result below the normal range
    assert kept[3] == 0.0  # the exact sum of v * 3 on the first two


@pytest.mark.slow
def test_control_flow_derivatives_and_scatters_are_evaluated(both) -> None:
    def f(v):
        doubled = lax.cond(v[0] > 0, lambda u: u * 2, lambda u: u, v)
        halved = lax.while_loop(lambda u: u[0] > 2e-320, lambda u: u / 2, doubled)
        slope = jax.grad(lambda u: jnp.sum(u[:2] * jnp.array([SUB64, 1.0])))(v)
        return halved, slope, jnp.zeros(3).at[1].add(v[0])

    flushed, kept = both(jax.jit(f), jnp.array([SUB64, 1.0, 3.0]))
    assert kept[0][0] == np.float64(1e-319) / 8  # doubled, then halved three times
    assert flushed[0][0] == SUB64  # v[0] read as 0: not doubled, the loop never entered
    np.testing.assert_array_equal(kept[1], [SUB64, 1.0, 0.0])
    np.testing.assert_array_equal(kept[2], [0.0, SUB64, 0.0])


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
def test_the_flush_of_subnormal_masses_is_the_cpus_on_the_emulated_gpu(both) -> None:
    # lax.platform_dependent takes the GPU's branch under the emulation: the flush, which the
    # CPU's program leaves to the runtime, is then computed, and both read the masses alike.
    from divergences._src.precision import flush_subnormals

    x = jnp.array([SUB64, -SUB64, 2 * TINY64, -jnp.inf, jnp.nan, 0.5])
    branch = jax.jit(lambda v: lax.platform_dependent(v, cpu=lambda u: u, default=lambda u: -u))
    flushed, kept = both(branch, x[2:3])
    assert flushed[0] == 2 * TINY64 and kept[0] == -2 * TINY64
    flushed, kept = both(jax.jit(lambda v: flush_subnormals(v) * 3), x)
    np.testing.assert_array_equal(flushed, [0.0, -0.0, 6 * TINY64, -np.inf, np.nan, 1.5])
    np.testing.assert_array_equal(kept, flushed)
    flushed, kept = both(jax.grad(lambda v: jnp.sum(flush_subnormals(v) * jnp.arange(2.0))), x[:2])
    np.testing.assert_array_equal(flushed, [0.0, 1.0])  # the derivative passes unchanged
    np.testing.assert_array_equal(kept, flushed)


@pytest.mark.slow  # 1.9 s from a cold compile cache: over the quick tier's 1 s
def test_types_are_kept_and_unknown_float_primitives_refused() -> None:
    with keep_subnormals():
        x = jnp.ones(2, jnp.float32) * 0.5  # the Python float stays weak: float32
        assert x.dtype == jnp.float32
        with pytest.raises(NotImplementedError, match="igamma"):
            lax.igamma(jnp.ones(2), jnp.ones(2))


@pytest.mark.slow
def test_the_upscaled_sums_agree_under_both_behaviours(both) -> None:
    # Forty terms below the normal range (masses 1.5 tiny against tiny) whose sums are normal,
    # and the conditional entropy of [[1, 0], [0, tiny], [0, tiny]], 2 tiny log 2 from two terms
    # tiny log 2.
    small = np.full(40, TINY64)
    p = np.concatenate([[0.5, 0.5], 1.5 * small])
    q = np.concatenate([[0.5, 0.5], small])
    joint = np.array([[1.0, 0.0], [0.0, TINY64], [0.0, TINY64]])

    def values(p, q, joint):
        return (
            dv.total_variation(p, q),
            dv.kl(p, q),
            dv.js_divergence(p, q),
            dv.hellinger(p, q),
            dv.conditional_entropy(joint),
        )

    flushed, kept = both(values, p, q, joint)
    for a, b in zip(flushed, kept, strict=True):
        assert TINY64 <= a < 1e-150
        np.testing.assert_allclose(a, b, rtol=1e-13)


@pytest.mark.slow
def test_mutual_information_and_its_gradient_agree_under_both_behaviours(both) -> None:
    joint = np.array([[0.5, 5e-163, 5e-163], [0.5, 5e-163, 5e-163]])  # independent: I = 0
    small = np.array([[0.5, 1e-200, 0.1], [0.2, 0.1, 0.1 - 1e-200]])

    def values(joint, small):
        return dv.mutual_information(joint), jax.grad(dv.mutual_information)(small)

    flushed, kept = both(values, joint, small)
    assert flushed[0] == kept[0] == 0.0
    assert np.isfinite(kept[1]).all()
    np.testing.assert_allclose(flushed[1], kept[1], rtol=1e-12)


@pytest.mark.slow
def test_the_gan_gradient_in_d_agrees_under_both_behaviours(both) -> None:
    p, q, d = np.array([5e-85, 1.0]), np.array([0.43, 0.57]), np.array([1e-300, 0.5])
    flushed, kept = both(jax.grad(dv.gan_value, argnums=2), p, q, d)
    expected = [5e-85 / 1e-300 - 0.43, 2.0 - 1.14]
    np.testing.assert_allclose(flushed, expected, rtol=1e-14)
    np.testing.assert_allclose(kept, expected, rtol=1e-14)


# Both divisions in the slow tier (the emulation runs every operation in NumPy: seconds); the
# quick tier's subnormal masses are test_subnormal_masses.py's.
@pytest.mark.slow
@pytest.mark.parametrize("reciprocal", [False, True], ids=["divide", "reciprocal"])
def test_mutual_information_of_subnormal_masses_as_on_the_cpu(reciprocal: bool) -> None:
    # A row or column of subnormal masses has a subnormal sum where they are kept, and XLA
    # divides by a broadcast sum as a multiplication by its reciprocal (inf there): the value
    # and the gradient were NaN. The masses count as 0, as XLA's CPU reads them. With them, the
    # two joints on which an H100 gave 1.2e-14 bits and a NaN gradient (which neither behaviour
    # reproduces here).
    joints = [
        np.array([[0.5, SUB64], [0.5, 0.0]]),
        np.array([[0.5, 0.5], [SUB64, 0.0]]),
        np.array([[0.5, 0.5], [SUB64, SUB64]]),
        np.array([[0.5, 0.5, 5e-163], [5e-163, 5e-163, 5e-163]]),
        np.array([[1e-200, 0.0], [0.0, 1.0]]),
    ]

    def values(j):
        return (
            dv.mutual_information(j),
            dv.mutual_information(j, base=2),
            jax.grad(dv.mutual_information)(jnp.asarray(j)),
        )

    flushed = [jax.tree.map(np.asarray, values(j)) for j in joints]
    with keep_subnormals(reciprocal_division=reciprocal):
        kept = [jax.tree.map(np.asarray, values(j)) for j in joints]
    for j, a, b in zip(joints, flushed, kept, strict=True):
        # I of the masses as they are, in logs (a product of marginals underflows).
        normal = np.where(j >= TINY64, j, 0.0)
        rows, cols = normal.sum(1, keepdims=True), normal.sum(0, keepdims=True)
        m = normal > 0
        r, c = np.broadcast_to(rows, j.shape)[m], np.broadcast_to(cols, j.shape)[m]
        exact = float(np.sum(normal[m] * (np.log(normal[m]) - np.log(r) - np.log(c))))
        floor = (j.size * np.finfo(np.float64).eps) ** 2  # the documented absolute floor
        for got in (a, b):
            np.testing.assert_allclose(got[0], exact, rtol=1e-12, atol=floor)
            np.testing.assert_allclose(got[1], exact / np.log(2), rtol=1e-12, atol=floor)
            assert np.isfinite(got[2]).all()
        np.testing.assert_allclose(a[2], b[2], rtol=1e-12, atol=1e-12)


# Masses near the bottom of the range, as XLA folds a program on known arrays (after its
# algebraic rewrites, with subnormal numbers kept) and as it runs one: the same values. The
# folding once gave the mutual information NaN ((d / s)^2 formed as d^2 (1 / s)^2) and
# js_distance 0 (x + (1 - m) formed as (x + 1) - m).
_PAIRS = [
    ([0.5, 0.5 - 1e-307, 1e-307, 0.0], [0.5, 0.5 - 2e-307, 2e-307, 0.0]),
    ([1 - 1e-163, 5e-163, 5e-163, 0.0], [1 - 2e-163, 1e-163, 1e-163, 0.0]),
    ([0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.5 - 1e-300, 1e-300]),
]
_JOINTS = [
    [[0.0, 0.0, 1e-17], [1e-307, 0.0, 1.0]],
    [[0.5, 0.5, 5e-163], [5e-163, 5e-163, 5e-163]],
    [[1e-200, 0.0], [0.0, 1.0]],
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["kl", "js_divergence", "js_distance", "total_variation", "hellinger", "chi_square"],
)
def test_pairs_as_xla_folds_them(name: str) -> None:
    fn = getattr(dv, name)
    for p, q in _PAIRS:
        p, q = np.array(p), np.array(q)
        np.testing.assert_allclose(
            float(evaluated_by_the_compiler(fn, p, q)), float(fn(p, q)), rtol=1e-13, atol=0
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mutual_information", "conditional_entropy"])
def test_joints_as_xla_folds_them(name: str) -> None:
    fn = getattr(dv, name)
    for joint in _JOINTS:
        j = np.array(joint)
        np.testing.assert_allclose(
            float(evaluated_by_the_compiler(fn, j)), float(fn(j)), rtol=1e-13, atol=0
        )
        np.testing.assert_allclose(
            np.asarray(evaluated_by_the_compiler(jax.grad(fn), j)),
            np.asarray(jax.grad(fn)(j)),
            rtol=1e-13,
            atol=0,
        )
