"""The coverage harness: counts, the interval-truth rule, NaN and negatives, and the verdict rule.

The estimators here are made by hand from the draws (an interval around the sample mean with a
chosen half-width), so that what the harness must report is known exactly from the draws.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

from divergences import continuous as dvc
from divergences.estimate import Estimate
from divergences.testing import Coverage, coverage_verdict, measure_coverage, truth_interval
from divergences.testing.coverage_laws import gaussian_mmd_squared

N = 50


def draw(key):
    return (np.asarray(dvc.Uniform(0.0, 1.0).sample(key, (N,))),)


def around_mean(half_width, *, level=0.95):
    def estimator(x):
        v = float(x.mean())
        return Estimate(
            v,
            v - half_width,
            v + half_width,
            level,
            "finite-sample",
            "two-sided",
            "",
            "",
            N,
            0,
            "mean",
        )

    return estimator


def means(repetitions, seed=0):
    keys = jax.random.split(jax.random.key(seed), repetitions)
    return np.array([float(draw(keys[i])[0].mean()) for i in range(repetitions)])


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_counts_match_the_draws_exactly():
    half = 0.04
    m = means(30)
    c = measure_coverage(draw, around_mean(half), 0.5, repetitions=30)
    want = int(np.count_nonzero((m - half <= 0.5) & (0.5 <= m + half)))
    assert 0 < want < 30  # the half-width makes some repetitions miss: the count is tested
    assert (c.covered, c.total) == (want, 30)
    assert c.rate == want / 30
    assert c.mc_standard_error == pytest.approx(math.sqrt(c.rate * (1 - c.rate) / 30))
    assert c.mean_value == pytest.approx(m.mean(), rel=1e-12)
    assert c.bias == pytest.approx(m.mean() - 0.5, abs=1e-12)
    assert c.mean_width == pytest.approx(2 * half)
    assert (c.nan_count, c.negative_count) == (0, 0)


def test_an_interval_truth_counts_only_where_it_lies_inside_entirely():
    half, m = 0.04, means(30)
    lo, hi = 0.49, 0.51
    c = measure_coverage(draw, around_mean(half), (lo, hi), repetitions=30)
    want = int(np.count_nonzero((m - half <= lo) & (hi <= m + half)))
    touching = int(np.count_nonzero((m - half <= hi) & (lo <= m + half)))
    assert c.covered == want < touching  # overlapping the truth is not enough
    assert c.bias == pytest.approx(m.mean() - 0.5, abs=1e-12)  # against the midpoint


def test_an_enclosure_is_a_truth_interval():
    enc = dvc.certified.Enclosure(0.5, 0.49, 0.51, "test")
    assert truth_interval(enc) == (0.49, 0.51)
    assert truth_interval(0.25) == (0.25, 0.25)
    assert truth_interval(np.array([0.0, 1.0])) == (0.0, 1.0)


def test_nan_is_counted_and_never_covered_and_negatives_are_counted():
    def broken(x):
        v = float(x.mean())
        lower = math.nan if v > 0.5 else -1.0
        return Estimate(v, lower, 2.0, 0.95, "finite-sample", "two-sided", "", "", N, 0, "W1")

    m = means(20)
    c = measure_coverage(draw, broken, 0.5, repetitions=20)
    assert c.nan_count == int(np.count_nonzero(m > 0.5)) > 0
    assert c.covered == 20 - c.nan_count
    assert c.negative_count == 20 - c.nan_count
    assert c.mean_width == pytest.approx(3.0)  # over the intervals with both ends


def test_a_one_sided_interval_has_infinite_width():
    def lower_only(x):
        v = float(x.mean())
        return Estimate(v, v - 0.5, math.inf, 0.95, "finite-sample", "lower", "", "", N, 0, "KL")

    c = measure_coverage(draw, lower_only, 0.5, repetitions=5)
    assert c.covered == 5 and c.mean_width == math.inf


def test_the_verdict_rule():
    def cov(covered, total):
        r = covered / total
        return Coverage(covered, total, r, math.sqrt(r * (1 - r) / total), 0.0, 0.0, 1.0, 0, 0)

    # finite-sample at 0.95 over 200: 2 s = 2 sqrt(0.95 * 0.05 / 200) = 0.0308, bar 0.9192
    assert coverage_verdict(cov(184, 200), level=0.95, kind="finite-sample") == "pass"
    assert coverage_verdict(cov(183, 200), level=0.95, kind="finite-sample") == "fail"
    # asymptotic: returned only where claimed, so judged wherever measured, bar level - 0.05
    assert coverage_verdict(cov(180, 200), level=0.95, kind="asymptotic") == "pass"
    assert coverage_verdict(cov(179, 200), level=0.95, kind="asymptotic") == "fail"
    for kind in ("plug-in-assumption", "no-coverage-claim"):  # nothing claimed
        assert coverage_verdict(cov(10, 200), level=0.95, kind=kind) == "reported"
    for kind in ("bootstrap", "subsampling"):
        with pytest.raises(ValueError, match=r"^kind must be one of"):
            coverage_verdict(cov(1, 2), level=0.95, kind=kind)


@pytest.mark.parametrize("truth", [math.nan, (0.6, 0.4), "half", (0.1, 0.2, 0.3)])
def test_a_bad_truth_names_truth(truth):
    with pytest.raises(ValueError, match=r"^truth must be"):
        measure_coverage(draw, around_mean(0.1), truth, repetitions=2)


@pytest.mark.parametrize("repetitions", [0, -3, 2.0, True])
def test_bad_repetitions_name_repetitions(repetitions):
    with pytest.raises(ValueError, match=r"^repetitions must be"):
        measure_coverage(draw, around_mean(0.1), 0.5, repetitions=repetitions)


@settings(max_examples=10, deadline=None)
@given(half=st.floats(0.0, 1.0), truth=st.floats(-0.5, 1.5), seed=st.integers(0, 2**31 - 1))
def test_the_rate_is_a_fraction_and_its_error_never_nan(half, truth, seed):
    c = measure_coverage(draw, around_mean(half), truth, repetitions=4, seed=seed)
    assert 0 <= c.covered <= c.total == 4 and c.rate == c.covered / 4
    assert 0.0 <= c.mc_standard_error <= 0.25 and not math.isnan(c.bias)


# --- the closed forms of the coverage family --------------------------------------------------


def test_the_gaussian_mmd_closed_form_against_quadrature():
    def mean_kernel(shift, s):  # E exp(-(a - b)^2 / (2 s^2)) over a - b ~ N(shift, 2), one axis
        return quad(
            lambda z: norm.pdf(z, shift, math.sqrt(2.0)) * math.exp(-z * z / (2 * s * s)),
            -40,
            40,
            epsabs=1e-13,
        )[0]

    for d, delta, s in [(1, 1.0, 1.0), (3, 0.7, 2.0)]:
        mu = np.full(d, delta / math.sqrt(d))
        same = math.prod(mean_kernel(0.0, s) for _ in range(d))
        cross = math.prod(mean_kernel(m, s) for m in mu)
        want = 2.0 * same - 2.0 * cross
        assert gaussian_mmd_squared(delta, d, s) == pytest.approx(want, rel=1e-9)


@pytest.mark.slow
def test_the_beta_uniform_w1_is_one_sixteenth():
    w1 = dvc.w1(dvc.Beta(2.0, 2.0), dvc.Uniform(0.0, 1.0))
    assert float(w1.value) == pytest.approx(1.0 / 16.0, abs=max(1e-12, 2 * float(w1.error)))
