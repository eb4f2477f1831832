"""Mutual information, conditional entropy and the Inception score against direct sums."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
import scipy.special
from hypothesis import example, given
from hypothesis import strategies as st

import divergences as dv
from divergences.testing import pmfs, tolerance
from divergences.testing.gradual_underflow import evaluated_by_the_compiler, keep_subnormals
from divergences.testing.profiles import at_most
from tests.helpers import mp_mutual_information

F64 = tolerance("float64")


def _mi_direct(j: np.ndarray) -> float:
    pc, px = j.sum(1, keepdims=True), j.sum(0, keepdims=True)
    m = j > 0
    # In logs: the product of two tiny marginals underflows, their logs do not.
    pc_m, px_m = np.broadcast_to(pc, j.shape)[m], np.broadcast_to(px, j.shape)[m]
    return float(np.sum(j[m] * (np.log(j[m]) - np.log(pc_m) - np.log(px_m))))


@given(pmfs(6).map(lambda p: p.reshape(2, 3)))
@example(np.array([[0.5, 0.5, 5e-163], [5e-163, 5e-163, 5e-163]]))  # 1.19e-14 bits on an H200
def test_mutual_information_matches_direct_sum(j: np.ndarray) -> None:
    np.testing.assert_allclose(float(dv.mutual_information(j)), _mi_direct(j), **F64)
    np.testing.assert_allclose(
        float(dv.mutual_information(j, base=2)), _mi_direct(j) / math.log(2), **F64
    )


@given(pmfs(6).map(lambda p: p.reshape(3, 2)))
def test_conditional_entropy_chain_rule(j: np.ndarray) -> None:
    # H(C | X) = H(C, X) - H(X), and conditioning reduces entropy.
    h = float(dv.conditional_entropy(j))
    np.testing.assert_allclose(h, float(dv.entropy(j.ravel()) - dv.entropy(j.sum(0))), **F64)
    assert h <= float(dv.entropy(j.sum(1))) + F64["atol"]


def _near_independent(rows: int, cols: int, noise: float, seed: int, dtype: type) -> np.ndarray:
    """A joint near independence whose entries sum to 1 exactly: integers over a power of two.

    An outer product of random marginals with each entry moved by ``noise`` relatively, written
    as integers ``N / 2^k`` below ``2^(mantissa bits)`` (so exactly representable), the largest
    one taking up the remainder of ``2^k``. Its marginals are sums of full-precision masses.
    """
    rng = np.random.default_rng(seed)
    a, b = rng.random(rows) + 0.05, rng.random(cols) + 0.05
    joint = np.outer(a / a.sum(), b / b.sum()) * (1 + noise * rng.standard_normal((rows, cols)))
    joint /= joint.sum()
    digits = np.finfo(dtype).nmant + 1
    k = digits - 1 - math.floor(math.log2(joint.max()))
    n = [[round(x * 2**k) for x in row] for row in joint]
    i, j = np.unravel_index(np.argmax(joint), joint.shape)
    n[i][j] += 2**k - sum(map(sum, n))
    assert 0 < n[i][j] < 2**digits
    exact = np.array([[x / 2**k for x in row] for row in n], dtype=dtype)
    assert math.fsum(exact.astype(np.float64).ravel()) == 1.0
    return exact


# (shape, I targets): near independence the marginals' and the conditionals' roundings were
# first order in each term (relative error eps / sqrt(I): 1e16 ulp at I = 1e-30 in float64).
_NEAR_INDEPENDENCE = {
    np.float64: [
        ((2, 2), (1e-30, 1e-18, 1e-6)),
        ((3, 7), (1e-27, 1e-12, 1e-3)),
        ((10, 10), (1e-30, 1e-21, 1e-9)),
    ],
    np.float32: [((2, 2), (1e-13, 1e-6)), ((4, 3), (1e-11, 1e-3)), ((10, 10), (1e-12, 1e-8))],
}


# Both dtypes in the slow tier (the mpmath references at 2400 bits and each shape's programs:
# seconds); the quick tier checks mutual information against its direct sum.
@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mutual_information_is_relatively_accurate_near_independence(dtype) -> None:
    """Relative to the value near independence, 2x2 to 10x10, I from 1e-30 to 1e-3."""
    tol = tolerance(f"ulp_{np.dtype(dtype).name}")
    for seed, (shape, targets) in enumerate(_NEAR_INDEPENDENCE[dtype]):
        for target in targets:
            joint = _near_independent(*shape, math.sqrt(2 * target), seed, dtype)
            reference = mp_mutual_information(joint)
            assert target / 100 < reference < target * 100
            for value in (dv.mutual_information(joint), jax.jit(dv.mutual_information)(joint)):
                assert np.asarray(value).dtype == dtype
                np.testing.assert_allclose(float(value), reference, **tol)


@pytest.mark.slow
@at_most(40)
@given(
    st.integers(2, 6),
    st.integers(2, 6),
    st.floats(-15.2, -1.0),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.float64, np.float32]),
)
def test_mutual_information_near_independence_property(rows, cols, log_noise, seed, dtype) -> None:
    """Any near-independent joint summing to 1: relative accuracy wherever I is above eps^2."""
    if dtype == np.float32:
        log_noise = max(log_noise, -6.5)
    joint = _near_independent(rows, cols, 10.0**log_noise, seed, dtype)
    reference = mp_mutual_information(joint)
    if reference > 100 * float(np.finfo(dtype).eps) ** 2:
        np.testing.assert_allclose(
            float(dv.mutual_information(joint)),
            reference,
            **tolerance(f"ulp_{np.dtype(dtype).name}"),
        )


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_mutual_information_gradient_finite_at_zero_mass() -> None:
    j = np.array([[0.5, 0.0], [0.0, 0.5]])
    g = jax.grad(dv.mutual_information)(j)
    assert np.all(np.isfinite(g))


@pytest.mark.slow
@given(st.sampled_from([2, 4]).flatmap(lambda n: st.lists(pmfs(3), min_size=n, max_size=n)))
def test_inception_score_bounds_and_definition(rows: list[np.ndarray]) -> None:
    c = np.stack(rows)
    py = c.mean(0)
    # The reference is SciPy's elementwise c log(c / py), not dv.kl: a mean of masses can be
    # subnormal (a row with 1e-308 beside a row with 0), which the library counts as no mass.
    expected = math.exp(float(np.mean(scipy.special.rel_entr(c, py).sum(-1))))
    got = float(dv.inception_score(c))
    np.testing.assert_allclose(got, expected, **F64)
    assert 1.0 - F64["atol"] <= got <= 3.0 + F64["atol"]


def test_inception_score_weights() -> None:
    c = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # Weighting the two distinct rows equally is the balanced case: IS = 2.
    np.testing.assert_allclose(
        float(dv.inception_score(c, np.array([0.5, 0.25, 0.25]))), 2.0, **F64
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: dv.mutual_information(np.ones(4) / 4), "2-D"),
        (lambda: dv.mutual_information(np.ones((2, 2)) / 3), "sum to 1"),
        (lambda: dv.inception_score(np.ones(3) / 3), "2-D"),
        (lambda: dv.inception_score(np.eye(2), np.array([1.0, 0.0, 0.0])), "shape"),
        (lambda: dv.inception_score(np.array([[0.5, 0.6], [0.5, 0.5]])), "sum to 1"),
    ],
)
def test_bad_input_raises(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.slow
def test_jit_and_vmap_agree_with_plain_calls() -> None:
    j = np.array([[0.2, 0.0, 0.1], [0.3, 0.25, 0.15]])
    np.testing.assert_allclose(
        float(jax.jit(dv.mutual_information)(j)), float(dv.mutual_information(j)), **F64
    )
    np.testing.assert_allclose(
        float(jax.jit(dv.conditional_entropy)(j)), float(dv.conditional_entropy(j)), **F64
    )
    batch = np.stack([np.eye(3), np.full((3, 3), 1 / 3)])
    np.testing.assert_allclose(jax.vmap(dv.inception_score)(batch), [3.0, 1.0], **F64)


# In the slow tier: the zero-mass gradient convention is the shared terms' (test_terms.py, test_kl.py).
@pytest.mark.slow
def test_inception_score_gradient_finite_with_zero_mass() -> None:
    c = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    g = jax.grad(dv.inception_score)(c)
    assert np.all(np.isfinite(g))


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_inception_score_with_a_tiny_weight_is_finite() -> None:
    # The ratio is c / p(y), not joint / (w p(y)): the latter underflows for tiny weights. Here
    # the first image carries almost no weight, so the score is the one of the second alone, 1.
    w = np.array([1e-200, 1 - 1e-200])
    score = float(dv.inception_score(np.eye(2), w))
    np.testing.assert_allclose(score, 1.0, **tolerance("float64"))
    # and it agrees with exp(I(y; x)) for the same joint
    joint = w[:, None] * np.eye(2)
    np.testing.assert_allclose(
        score, float(np.exp(dv.mutual_information(joint))), **tolerance("float64")
    )


# What an NVIDIA H200 (jax 0.11.2 with CUDA, main 827d6b5) returned, recorded as observed: NaN
# or the value's ceiling (min(H(C), H(X)) plus its rounding allowance), where XLA's rewrites
# formed the squares of quotients of masses near 1e-307 and 1e-163 as 0 * inf
# (divergences.testing.gradual_underflow, "What the emulation does not see"). The last joint
# sums to 1 + 1e-17: its documented value is T (I' + T - 1 - log T).
_CARD_JOINTS = {
    "1e-307 beside a column of 0": ([[0.0, 0.0, 1e-17], [1e-307, 0.0, 1.0]], math.nan),
    "dependence in masses of 5e-163": (
        [[0.5, 0.5, 5e-163], [5e-163, 5e-163, 5e-163]],
        8.2e-15,
    ),
    "independent rows of 5e-163": ([[0.5, 5e-163, 5e-163], [0.5, 5e-163, 5e-163]], None),
    "a departure of 6e-163": ([[0.5, 2e-163], [0.5, 8e-163]], None),
}


# One joint in the quick tier (each folds a program of its own: half a second); the slow tier
# has them all, and the emulation's run of each.
@pytest.mark.parametrize(
    "name",
    [
        n if n == "dependence in masses of 5e-163" else pytest.param(n, marks=pytest.mark.slow)
        for n in sorted(_CARD_JOINTS)
    ],
)
def test_mutual_information_at_the_cards_joints(name: str) -> None:
    """Relatively accurate eagerly, jitted and as XLA folds it (after its rewrites, subnormals kept)."""
    joint, _card = _CARD_JOINTS[name]
    j = np.array(joint)
    truth = mp_mutual_information(j)
    values = {
        "eager": dv.mutual_information(j),
        "jit": jax.jit(dv.mutual_information)(j),
        "compiler": evaluated_by_the_compiler(dv.mutual_information, j),
    }
    for how, value in values.items():
        if truth == 0:
            assert float(value) == 0, how
        else:
            np.testing.assert_allclose(float(value), truth, **tolerance("ulp_float64"), err_msg=how)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_CARD_JOINTS))
def test_mutual_information_at_the_cards_joints_with_subnormals_kept(name: str) -> None:
    j = np.array(_CARD_JOINTS[name][0])
    truth = mp_mutual_information(j)
    with keep_subnormals():
        value = float(dv.mutual_information(j))
    assert value == 0 if truth == 0 else abs(value - truth) <= 32 * 2.3e-16 * truth


@pytest.mark.slow
@at_most(20)
@given(pmfs(6).map(lambda p: p.reshape(2, 3)))
def test_mutual_information_as_xla_folds_it(j: np.ndarray) -> None:
    """The property's family as XLA folds the program (after its rewrites, subnormals kept)."""
    value = float(evaluated_by_the_compiler(dv.mutual_information, j))
    np.testing.assert_allclose(value, float(dv.mutual_information(j)), **F64)
    assert np.isfinite(
        np.asarray(evaluated_by_the_compiler(jax.grad(dv.mutual_information), j))
    ).all()


# The H200 gave [[nan, nan], [nan, -1.0]]: the value was NaN, and the ceiling's slope came through.
@pytest.mark.slow
def test_mutual_information_gradient_at_a_1e_200_entry() -> None:
    j = np.array([[1e-200, 0.0], [0.0, 1.0]])
    grad = jax.grad(dv.mutual_information)
    expected = np.asarray(grad(j))
    assert np.isfinite(expected).all()
    # d/dJ_00 of sum J log(J / (R C)) - J + R C at this joint: log(J_00 / (R_0 C_0)) + ... = 460.5
    np.testing.assert_allclose(expected[0, 0], -math.log(1e-200), **tolerance("ulp_float64"))
    np.testing.assert_allclose(
        np.asarray(evaluated_by_the_compiler(grad, j)), expected, **tolerance("ulp_float64")
    )
