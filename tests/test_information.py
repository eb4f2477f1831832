"""Mutual information, conditional entropy and the Inception score against direct sums."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences.testing import pmfs, tolerance

F64 = tolerance("float64")


def _mi_direct(j: np.ndarray) -> float:
    pc, px = j.sum(1, keepdims=True), j.sum(0, keepdims=True)
    m = j > 0
    # In logs: the product of two tiny marginals underflows, their logs do not.
    pc_m, px_m = np.broadcast_to(pc, j.shape)[m], np.broadcast_to(px, j.shape)[m]
    return float(np.sum(j[m] * (np.log(j[m]) - np.log(pc_m) - np.log(px_m))))


@given(pmfs(6).map(lambda p: p.reshape(2, 3)))
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


def test_inception_score_gradient_finite_with_zero_mass() -> None:
    c = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    g = jax.grad(dv.inception_score)(c)
    assert np.all(np.isfinite(g))


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
