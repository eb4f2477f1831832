"""Held-out lower bounds from a discriminator: below the truth, towards it, and the input rules.

The discriminator is the optimal one of two unit Gaussians, D* = p / (p + q), in closed form:
the truths are KL = mu^2 / 2, TV = 2 Phi(mu / 2) - 1 and JS by quadrature.
"""

from __future__ import annotations

import functools
import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.scipy.stats import norm
from scipy.stats import norm as scipy_norm

import divergences as dv
import divergences.continuous as dc
from divergences.estimate import (
    js_from_discriminator,
    kl_from_discriminator,
    tv_from_discriminator,
)
from divergences.estimate._src.discriminator.witness_bounds import empirical_bernstein_term

BOUNDS = (js_from_discriminator, tv_from_discriminator, kl_from_discriminator)
RANGES = {js_from_discriminator: math.log(2.0), tv_from_discriminator: 1.0}


def optimal(mu: float):
    """D*(z) = p / (p + q) for P = N(0, 1), Q = N(mu, 1), from the two log-densities."""

    def d(z):
        z = jnp.asarray(z).reshape(len(z), -1)[:, 0]
        log_p, log_q = norm.logpdf(z, 0.0, 1.0), norm.logpdf(z, mu, 1.0)
        return 1.0 / (1.0 + jnp.exp(log_q - log_p))

    return d


def optimal_numpy(mu: float):
    """D* as :func:`optimal`, in NumPy: the same closed form, sigmoid(mu^2 / 2 - mu z)."""
    return lambda z: 1.0 / (1.0 + np.exp(mu * np.asarray(z) - mu * mu / 2.0))


@functools.cache
def truths(mu: float) -> dict:
    js = float(dc.js_divergence(dc.Normal(0.0, 1.0), dc.Normal(mu, 1.0)).value)
    tv = 2.0 * scipy_norm.cdf(mu / 2.0) - 1.0
    return {js_from_discriminator: js, tv_from_discriminator: tv, kl_from_discriminator: mu**2 / 2}


def draws(mu: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, n), rng.normal(mu, 1.0, n)


@pytest.mark.parametrize("mu", [1.0, 2.0])
def test_bounds_below_the_truth_in_every_seed(mu):
    d = optimal_numpy(mu)
    for seed in range(10):
        x, y = draws(mu, 2000, seed)
        for bound in BOUNDS:
            e = bound(x, y, d)
            assert e.lower_bound <= truths(mu)[bound], (bound.__name__, seed, e)
            assert e.kind == "finite-sample" and e.sides == "lower" and e.n == e.m == 2000


@pytest.mark.parametrize("mu", [1.0, 2.0])
def test_bounds_approach_the_truth_as_n_grows(mu):
    d = optimal_numpy(mu)
    for bound in BOUNDS:
        small = bound(*draws(mu, 300, 1), d).lower_bound
        large = bound(*draws(mu, 20_000, 1), d).lower_bound
        truth = truths(mu)[bound]
        # measured at mu = 1 and 2, n = 2e4: 0.89 to 0.99 of the truth (n = 300: 0 to 0.96)
        assert small < large and 0.7 * truth < large <= truth, (bound.__name__, small, large)


def test_a_constant_discriminator_bounds_nothing():
    x, y = draws(1.0, 500, 0)
    half = lambda z: np.full(len(z), 0.5)  # noqa: E731
    for bound in BOUNDS:
        e = bound(x, y, half)
        assert e.lower_bound == 0.0, bound.__name__
    js = js_from_discriminator(x, y, half)
    assert js.value == 0.0  # log(1/2) + log(1/2) + log 4 = 0
    assert tv_from_discriminator(x, y, half).value == 0.0


def test_a_perfect_discriminator_of_disjoint_samples():
    x, y = draws(40.0, 2000, 0)
    d = lambda z: (np.asarray(z) < 20.0).astype(float)  # noqa: E731
    tv = tv_from_discriminator(x, y, d)
    assert tv.value == 1.0 and 0.95 < tv.lower_bound < 1.0
    js = js_from_discriminator(x, y, d, clip=1e-3)
    assert js.value == pytest.approx(math.log(2.0) + math.log(1 - 1e-3))
    assert js.upper_bound == math.log(2.0) and 0.6 < js.lower_bound < js.value


def test_the_discriminator_sees_the_callers_layout_once_per_sample():
    seen = []

    def d(z):
        seen.append(np.shape(z))
        return np.full(len(z), 0.7)

    x, y = draws(1.0, 5, 0)
    js_from_discriminator(x, y[:4], d)
    kl_from_discriminator(x[:, None], y[:4, None], d)
    assert seen == [(5,), (4,), (5, 1), (4, 1)]
    z = np.random.default_rng(0).normal(size=(6, 3))
    tv_from_discriminator(z, z[:2], lambda p: np.full(p.shape[0], 0.5))


def test_one_draw_each_uses_hoeffding_alone():
    e = js_from_discriminator([0.0], [1.0], lambda z: np.where(np.asarray(z) < 0.5, 0.9, 0.1))
    assert e.value == pytest.approx(math.log(0.9) + math.log(2.0))  # (2 log 0.9 + log 4) / 2
    assert e.lower_bound == 0.0 and e.n == e.m == 1 and e.method.endswith("Hoeffding's lower bound")


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (lambda z: np.full(len(z), 1.5), r"discriminator .*\[0, 1\]: 3 of its 3 values on x"),
        (lambda z: np.where(np.arange(len(z)) == 0, np.nan, 0.5), r"1 of its 3 values on x"),
        (lambda z: np.full((len(z), 1), 0.5), r"discriminator .*shape \(3,\), got shape \(3, 1\)"),
        (lambda z: np.full(len(z) + 1, 0.5), r"discriminator .*shape"),
        (0.5, r"discriminator must be a callable"),
        (lambda z: np.full(len(z), 0.5 + 0.25j), r"discriminator must return real .* complex"),
        (lambda z: np.array(["a"] * len(z)), r"discriminator must return real .* dtype <U1"),
        (lambda z: 1 / 0, r"discriminator failed on x's 3 draws: ZeroDivisionError"),
    ],
)
def test_bad_discriminators(output, message):
    for bound in BOUNDS:
        with pytest.raises(ValueError, match=message):
            bound([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], output)


def test_a_bad_value_on_y_is_counted_on_y():
    d = lambda z: np.where(np.asarray(z) > 2.5, -0.1, 0.5)  # noqa: E731
    with pytest.raises(ValueError, match=r"1 of its 3 values on y"):
        tv_from_discriminator([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], d)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, "high", True, "0.5"])
def test_bad_level(level):
    for bound in BOUNDS:
        with pytest.raises(ValueError, match="level"):
            bound([0.0, 1.0], [1.0, 2.0], lambda z: np.full(len(z), 0.5), level=level)


@pytest.mark.parametrize("clip", [0.0, 0.5, 0.7, -1e-3, math.nan, "small", 1e-17, 2.0**-54, "0.1"])
def test_bad_clip(clip):
    for bound in (js_from_discriminator, kl_from_discriminator):
        with pytest.raises(
            ValueError, match=r"clip must be a finite number in \[1\.1102230246251565e-16, 0\.5\)"
        ):
            bound([0.0, 1.0], [1.0, 2.0], lambda z: np.full(len(z), 0.5), clip=clip)


@pytest.mark.parametrize("clip", [2.0**-53, 2.5e-16, 1e-8])
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_the_smallest_clips_keep_every_end_finite(clip, p):
    # clip = 1e-17 was accepted: 1 - clip rounded to 1, D = 1 gave log(0) and a NaN KL bound.
    d = lambda z: np.full(len(z), p)  # noqa: E731
    for bound in (js_from_discriminator, kl_from_discriminator):
        e = bound([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], d, clip=clip)
        assert 0.0 <= e.lower_bound <= e.value <= e.upper_bound and math.isfinite(e.value), e


def test_the_range_of_log_d_counts_the_rounding_of_one_minus_clip():
    # fl(1 - 2.5e-16) = 1 - 2^-52: D clipped to it has 1 - D = 2.2e-16 < clip, so log(1 - D)
    # reaches below log(clip) and the width log((1 - c)/c) was too small for Hoeffding.
    from divergences.estimate._src.discriminator.witness_bounds import _clip_ends

    top, bottom = _clip_ends(2.5e-16)
    assert top == 1.0 - 2.0**-52 and bottom == 2.0**-52 < 2.5e-16
    top, bottom = _clip_ends(0.25)
    assert (top, bottom) == (0.75, 0.25)


def test_bad_samples_and_kl_needs_two_draws():
    d = lambda z: np.full(len(z), 0.5)  # noqa: E731
    with pytest.raises(ValueError, match="x must be finite"):
        js_from_discriminator([0.0, np.nan], [1.0], d)
    with pytest.raises(ValueError, match="x and y must be draws in one dimension"):
        tv_from_discriminator(np.zeros((3, 2)), np.zeros((3, 1)), d)
    with pytest.raises(ValueError, match="at least 2 draws each"):
        kl_from_discriminator([0.0, 1.0], [1.0], d)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(2, 40),
    st.floats(-30.0, 30.0),
    st.floats(-5.0, 5.0),
    st.sampled_from([1e-6, 1e-3, 0.01, 0.2, 0.49]),
    st.floats(0.01, 0.999),
    st.integers(0, 2**16),
)
def test_never_nan_ordered_and_in_range(n, m, slope, shift, clip, level, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(0.0, 2.0, n), rng.normal(1.0, 2.0, m)
    d = lambda z: 1.0 / (1.0 + np.exp(-(slope * np.asarray(z) + shift)))  # noqa: E731
    out = [js_from_discriminator(x, y, d, level=level, clip=clip)]
    out.append(tv_from_discriminator(x, y, d, level=level))
    if n >= 2:
        out.append(kl_from_discriminator(x, y, d, level=level, clip=clip))
    for e in out:
        assert 0.0 <= e.lower_bound <= e.value <= e.upper_bound, e
        assert not any(math.isnan(v) for v in (e.lower_bound, e.value, e.upper_bound))
        assert e.level == level
    assert out[0].upper_bound == math.log(2.0) and out[1].upper_bound == 1.0
    if n >= 2:
        assert out[2].upper_bound == math.inf and math.isfinite(out[2].value)


@pytest.mark.slow
@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_coverage_over_200_repetitions(mu):
    d = optimal_numpy(mu)
    held = {bound: 0 for bound in BOUNDS}
    for seed in range(200):
        x, y = draws(mu, 200, 1000 + seed)
        for bound in BOUNDS:
            held[bound] += bound(x, y, d, level=0.9).lower_bound <= truths(mu)[bound]
    assert all(count >= 180 for count in held.values()), held


def test_exported_from_the_namespace_and_the_closed_forms_agree():
    assert dv.estimate.kl_from_discriminator is kl_from_discriminator
    z = np.linspace(-4.0, 6.0, 11)
    np.testing.assert_allclose(np.asarray(optimal(2.0)(z)), optimal_numpy(2.0)(z), rtol=1e-12)


def test_the_empirical_bernstein_term_is_maurer_and_pontils():
    values = np.array([0.0, 1.0, 1.0, 3.0])  # unbiased variance 19/12
    log_term = math.log(2.0 / 0.1)
    expected = math.sqrt(2.0 * (19.0 / 12.0) * log_term / 4) + 7.0 * 4.0 * log_term / 9.0
    assert empirical_bernstein_term(values, 4.0, 0.1) == pytest.approx(expected, rel=1e-15)
    assert empirical_bernstein_term(values, 4.0, 0.1) >= expected


def test_the_empirical_bernstein_term_covers_a_skewed_mean():
    # Bernoulli(0.05) draws: the mean's upper bound at alpha = 0.1 holds in >= 90% of 400 seeds
    # (it is conservative: 100% measured), and the term is below Hoeffding's for every seed.
    held = 0
    for seed in range(400):
        z = (np.random.default_rng(seed).random(2000) < 0.05).astype(float)
        t = empirical_bernstein_term(z, 1.0, 0.1)
        held += z.mean() + t >= 0.05
        assert t < math.sqrt(math.log(1 / 0.1) / (2 * 2000))
    assert held >= 360
