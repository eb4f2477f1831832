"""The projected W1 lower bound: its rules, its sums against a direct count, and its level in d = 64.

``w1_projected`` bounds W1 from below by the W1 of projections on the line, each bounded by the
DKW-Massart bands of the held-out draws. The tests check the sums against a plain loop over the
merged draws, the agreement with ``w1_dkw`` where nothing is split, the fields of the result, and
the bound on laws whose W1 is known: the translate of N(0, I) in d = 64 (W1 = 1) and a null pair.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from divergences import estimate as dve


def translate(n, d, seed=0, shift=1.0):
    rng = np.random.default_rng(seed)
    mu = np.zeros(d)
    mu[0] = shift
    return rng.standard_normal((n, d)), rng.standard_normal((n, d)) + mu


def direct_lower(a, b, band):
    """The integral of (|F_n - G_m| - band)_+ by a plain loop over the merged sorted draws."""
    points = sorted(list(a) + list(b))
    total = 0.0
    for left, right in itertools.pairwise(points):
        f = sum(v <= left for v in a) / len(a)
        g = sum(v <= left for v in b) / len(b)
        total += (right - left) * max(abs(f - g) - band, 0.0)
    return total


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"directions": "pca"}, r"directions must be 'mean', 'mean\+covariance' or an array"),
        ({"directions": np.ones((2, 4))}, r"directions must have shape \(k, d\) .* d = 3"),
        ({"directions": np.zeros((0, 3))}, r"directions must have shape \(k, d\) with k >= 1"),
        ({"directions": [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]}, r"directions must be finite and "),
        ({"directions": [[np.nan, 0.0, 1.0]]}, r"directions must be finite and nonzero"),
        ({"seed": -1}, r"seed must be a non-negative integer"),
        ({"level": 1.0}, r"level must be a finite number in \(0, 1\)"),
    ],
)
def test_each_rule_names_its_argument(kwargs, match):
    x, y = translate(20, 3)
    with pytest.raises(ValueError, match=match):
        dve.w1_projected(x, y, **kwargs)


def test_a_split_needs_four_draws_a_sample_and_given_directions_need_none():
    x, y = translate(20, 3)
    with pytest.raises(ValueError, match=r"x must hold at least 4 draws \(the directions are"):
        dve.w1_projected(x[:3], y)
    with pytest.raises(ValueError, match=r"y must hold at least 4 draws"):
        dve.w1_projected(x, y[:3], directions="mean")
    with pytest.raises(ValueError, match=r"x and y must be draws in one dimension"):
        dve.w1_projected(x, y[:, :2])
    assert dve.w1_projected(x[:1], y[:1], directions=[1.0, 0.0, 0.0]).lower_bound == 0.0


def test_the_fields_say_a_finite_sample_lower_bound():
    x, y = translate(400, 5)
    est = dve.w1_projected(x, y, level=0.9)
    assert (est.kind, est.sides, est.quantity, est.level) == ("finite-sample", "lower", "W1", 0.9)
    assert est.claims_coverage and est.bound == est.lower_bound and est.upper_bound == math.inf
    assert 0.0 <= est.lower_bound <= est.value and (est.n, est.m) == (400, 400)
    assert str(est).startswith("W1 >= ") and str(est).endswith(f"(estimate {est.value:.4g})")
    assert est.assumption.startswith("none")


def test_on_the_line_nothing_is_split_and_the_bound_is_w1_dkw():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0.0, 1.0, 300), rng.laplace(0.4, 1.0, 200)
    ours, dkw = dve.w1_projected(x, y), dve.w1_dkw(x, y)
    assert ours.lower_bound > 0.0 and ours.value == pytest.approx(dkw.value, rel=1e-12)
    # the same bands (one direction: alpha / 2 each), less a rounding allowance of a few ulps
    assert dkw.lower_bound * (1 - 1e-12) <= ours.lower_bound <= dkw.lower_bound


def test_given_directions_bound_against_a_direct_count_of_the_projections():
    x, y = translate(150, 3, seed=2, shift=1.5)
    theta = np.array([2.0, 1.0, 0.0])
    unit = theta / np.linalg.norm(theta)
    est = dve.w1_projected(x, y, directions=theta, level=0.8)
    a, b = x @ unit, y @ unit
    band = 2.0 * math.sqrt(math.log(4.0 / 0.2) / (2.0 * 150))  # one direction: alpha/2 a band
    exact = direct_lower(a, b, band)
    assert exact > 0.1
    assert est.lower_bound == pytest.approx(exact, rel=1e-9) and est.lower_bound <= exact
    # the value is the exact W1 between the projected empirical laws, and bounds the lower end
    assert est.value == pytest.approx(wasserstein_distance(a, b), rel=1e-9)


def test_more_directions_pay_with_wider_bands():
    x, y = translate(150, 3, seed=2, shift=1.5)
    one = dve.w1_projected(x, y, directions=[1.0, 0.0, 0.0])
    three = dve.w1_projected(x, y, directions=np.eye(3))
    # the first axis wins among three, with bands at alpha / 6 instead of alpha / 2
    band = math.sqrt(math.log(12.0 / 0.05) / (2.0 * 150)) * 2.0
    assert three.lower_bound == pytest.approx(direct_lower(x[:, 0], y[:, 0], band), rel=1e-9)
    assert 0.0 < three.lower_bound < one.lower_bound


def test_the_bound_scales_with_the_draws():
    x, y = translate(600, 4, seed=3)
    base, doubled = dve.w1_projected(x, y), dve.w1_projected(2.0 * x, 2.0 * y)
    assert (
        doubled.lower_bound == pytest.approx(2.0 * base.lower_bound, rel=1e-9)
        and base.lower_bound > 0.2
    )


def test_in_d_64_the_bound_holds_and_does_not_decay():
    # N(0, I) against N(e1, I): W1 = 1 (a translate by a unit vector), n = m = 5000
    x, y = translate(5000, 64, seed=4)
    for directions in ("mean+covariance", "mean"):
        est = dve.w1_projected(x, y, directions=directions)
        assert 0.5 <= est.lower_bound <= 1.0, est
    # the exact plug-in's bias is several units here; the held-out projection's value is near 1
    assert 0.8 <= est.value <= 1.1


def test_a_null_pair_is_bounded_by_zero_and_the_seed_draws_the_split():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2000, 64)), rng.standard_normal((2000, 64))
    assert dve.w1_projected(x, y).lower_bound == 0.0
    x, y = translate(1000, 16, seed=6)
    first, again, other = (dve.w1_projected(x, y, seed=s) for s in (0, 0, 1))
    assert first == again and first.lower_bound != other.lower_bound
