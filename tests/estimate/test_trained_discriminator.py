"""The discriminator the package trains: its held-out bounds below the truth, its exact test."""

from __future__ import annotations

import numpy as np
import pytest

import divergences as dv
import divergences.continuous as dc
from divergences.estimate._src.discriminator.trained import _classifier_test


def shifted(n: int, d: int, seed: int, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """N(0, I) and N(shift e1, I) draws: JS, TV and KL are those of the first coordinate."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    y[:, 0] += shift
    return x, y


def truths(shift: float) -> tuple[float, float, float]:
    p, q = dc.Normal(0.0, 1.0), dc.Normal(shift, 1.0)
    return (
        float(dc.js_divergence(p, q).value),
        float(dc.total_variation(p, q).value),
        shift**2 / 2,
    )


@pytest.mark.slow  # 2.1 s from a cold compile cache: over the quick tier's 1 s
def test_a_logistic_discriminator_bounds_each_divergence_from_below():
    x, y = shifted(1500, 8, 0)
    js, tv, kl = truths(1.0)
    b = dv.estimate.discriminator_bounds(x, y, model="logistic")
    assert b.model == "logistic" and b.note == ""
    for e, truth in ((b.js, js), (b.tv, tv), (b.kl, kl)):
        assert e.kind == "finite-sample" and e.sides == "lower"
        assert 0.0 <= e.bound < truth, (e, truth)
    # KL's Donsker-Varadhan bound needs more held-out draws (its estimate here 0.49 of 0.5)
    assert b.js.bound > 0.3 * js and b.tv.bound > 0.3 * tv
    assert b.test.p_value < 1e-10 and 0.6 < b.test.statistic < 0.75
    assert (b.test.n, b.test.m) == (1050, 1050)  # the held-out draws


@pytest.mark.slow
def test_the_mlp_finds_a_boundary_the_logistic_regression_cannot():
    # P = N(0, I), Q = N(0, 4 I) in the plane: log p/q is quadratic, no hyperplane separates
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((1000, 2)), 2.0 * rng.standard_normal((1000, 2))
    line = dv.estimate.discriminator_bounds(x, y, model="logistic")
    auto = dv.estimate.discriminator_bounds(x, y)
    assert auto.model == "mlp"  # its held-out JS estimate 0.14, the bound 0.04
    assert line.js.bound < 0.005 < 0.02 < auto.js.bound
    assert auto.test.p_value < 1e-10


def test_equal_laws_give_no_bound_and_no_rejection():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((600, 4)), rng.standard_normal((600, 4))
    b = dv.estimate.discriminator_bounds(x, y, model="logistic")
    assert b.js.bound < 0.01 and b.tv.bound < 0.01 and b.kl.bound < 0.01
    assert b.test.p_value > 1e-3


@pytest.mark.slow  # 2.2 s from a cold compile cache: over the quick tier's 1 s
def test_a_held_out_split_too_small_says_so():
    x, y = shifted(14, 2, 3)
    b = dv.estimate.discriminator_bounds(x, y, model="logistic")
    assert "too small for a useful bound" in b.note
    assert b.js.bound < truths(1.0)[0]


# In the slow tier: two fits (the bounds' tests fit once each).
@pytest.mark.slow
def test_the_fit_is_seeded():
    x, y = shifted(200, 2, 4)
    a, b = (dv.estimate.discriminator_bounds(x, y, model="mlp", hidden=4, seed=5) for _ in "ab")
    assert a.js == b.js and a.test == b.test and a.model == "mlp"
    assert dv.estimate.discriminator_bounds(x, y, model="logistic", seed=6).js != a.js


def test_the_classifier_test_is_exact_under_the_null_whatever_its_bias():
    # A classifier that says "x" for 90% of every law: under P = Q its p-values are uniform or
    # larger, so it rejects at 0.05 in at most 5% of draws (400 draws: s.e. 0.011).
    rng = np.random.default_rng(7)
    rejections = 0
    for _ in range(400):
        dx, dy = rng.uniform(size=60), rng.uniform(size=40)
        t = _classifier_test(0.9 - dx + 0.5, 0.9 - dy + 0.5, "fixed")
        rejections += t.p_value <= 0.05
    assert rejections / 400 < 0.05 + 3 * 0.011


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "forest"}, "model must be one of"),
        ({"held_out": 1.0}, "held_out must be"),
        ({"hidden": 0}, "hidden must be"),
        ({"seed": -1}, "seed must be"),
        ({"level": 0.0}, "level must be"),
    ],
)
def test_bad_options_are_named(kwargs, match):
    x, y = shifted(20, 2, 0)
    with pytest.raises(ValueError, match=match):
        dv.estimate.discriminator_bounds(x, y, **kwargs)


def test_too_few_draws_are_named():
    with pytest.raises(ValueError, match="y must hold at least 10 draws"):
        dv.estimate.discriminator_bounds(np.zeros((20, 2)), np.zeros((9, 2)))


@pytest.mark.slow
def test_the_js_bound_in_d_64_is_at_least_half_the_truth():
    # the target: N(0, I) against N(e1, I), d = 64, 5000 draws each
    js = truths(1.0)[0]
    assert abs(js - 0.111421) < 1e-6
    for seed in range(1):  # 50 seeds: benchmarks/bench_trained_discriminator.py
        x, y = shifted(5000, 64, seed)
        assert dv.estimate.discriminator_bounds(x, y, seed=seed).js.bound > 0.5 * js
