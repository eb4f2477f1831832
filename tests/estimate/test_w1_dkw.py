"""W1 on the line from the DKW bands: the lower end below the truth, the upper end above it."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from divergences.estimate import w1_dkw

# W1 between a law and its translate by s is s; between Exp(1) and Exp(1/2) (scale 2) it is
# int |e^{-x} - e^{-x/2}| dx = 2 - 1 = 1.
LAWS = {
    "normal-shift": (lambda rng, n: rng.normal(size=n), lambda rng, n: rng.normal(size=n) + 0.4, 0.4),
    "exponential-scale": (
        lambda rng, n: rng.exponential(1.0, n),
        lambda rng, n: rng.exponential(2.0, n),
        1.0,
    ),
}  # fmt: skip


def uniform_pair(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform draws on [0, 1] and on [0.25, 1.25]: W1 = 0.25, supports of diameter 1.25."""
    rng = np.random.default_rng(seed)
    return rng.uniform(size=n), rng.uniform(size=m) + 0.25


@pytest.mark.parametrize("law", sorted(LAWS))
def test_the_lower_end_is_below_the_truth_in_every_repetition(law: str) -> None:
    draw_p, draw_q, truth = LAWS[law]
    for seed in range(20):
        rng = np.random.default_rng(seed)
        est = w1_dkw(draw_p(rng, 500), draw_q(rng, 700))
        assert (est.kind, est.sides, est.upper_bound) == ("finite-sample", "lower", math.inf)
        assert 0.0 <= est.lower_bound <= truth
        assert est.lower_bound <= est.value


@pytest.mark.parametrize("diameter", [1.25, 3.0])
def test_with_a_support_bound_the_interval_covers_every_time(diameter: float) -> None:
    for seed in range(20):
        x, y = uniform_pair(seed, 400, 300)
        est = w1_dkw(x, y, diameter=diameter)
        assert est.sides == "two-sided"
        assert est.lower_bound <= 0.25 <= est.upper_bound


def test_the_value_is_the_plug_in_of_scipy() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=300), rng.standard_t(3, size=200)
    est = w1_dkw(x, y, diameter="sample")
    assert est.value == pytest.approx(scipy.stats.wasserstein_distance(x, y), rel=1e-12)
    assert "the samples' range" in est.assumption


def test_the_ends_are_the_band_integrals_on_a_small_case() -> None:
    # x = {0, 1}, y = {2, 3}: F_n - G_m is 1/2 on [0, 1), 1 on [1, 2), 1/2 on [2, 3).
    e = math.sqrt(math.log(4 / 0.5) / 4)  # the band of two draws at alpha/2 = 1/4
    est = w1_dkw([0.0, 1.0], [2.0, 3.0], level=0.5, diameter=3.0)
    assert est.value == pytest.approx(2.0, rel=1e-15)
    assert est.lower_bound == pytest.approx(
        max(0.0, 1 - 2 * e) + 2 * max(0.0, 0.5 - 2 * e), rel=1e-12
    )
    # the upper integrand over [0, 3]: min(1, F + e) - max(0, G - e) = min(1, F + e), G = 0 then 1
    upper = min(1, 0.5 + e) + 1.0 + (min(1, 1 + e) - max(0, 0.5 - e))
    assert est.upper_bound == pytest.approx(min(upper, 3.0), rel=1e-12)
    # Over [L, R] = [max - D, min + D] the integral grows with D; W1 <= D holds it down.
    assert w1_dkw([0.0, 1.0], [2.0, 3.0], level=0.5, diameter=3.5).upper_bound == 3.5
    assert est.lower_bound <= est.value <= est.upper_bound


def test_identical_samples_give_a_lower_end_at_zero() -> None:
    x = np.linspace(0.0, 1.0, 50)
    est = w1_dkw(x, x.copy(), diameter="sample")
    assert (est.value, est.lower_bound) == (0.0, 0.0)
    assert est.upper_bound > 0.0


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (np.zeros((5, 2)), {}, "x and y must be draws on the line"),
        (np.zeros(5), {"diameter": "range"}, "diameter must be a number > 0, 'sample' or None"),
        (np.arange(5.0), {"diameter": 2.0}, "diameter must be at least the pooled draws' spread"),
        (np.zeros(5), {"diameter": 0.0}, "diameter must be a finite number > 0"),
        (np.zeros(5), {"level": 0.0}, "level must be a finite number in"),
        (np.array([0.0, np.inf]), {}, "x must be finite"),
    ],
)
def test_bad_input_raises_naming_the_argument(x: np.ndarray, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        w1_dkw(x, np.zeros((5, x.shape[1])) if x.ndim == 2 else np.zeros(5), **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    x=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    y=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    level=st.floats(0.01, 0.99),
    diameter=st.sampled_from([None, "sample", "wide"]),
)
def test_never_nan_ordered_ends_in_range(
    x: list[float], y: list[float], level: float, diameter: float | str | None
) -> None:
    if diameter == "wide":
        diameter = 2.0 * (max(x + y) - min(x + y)) + 1.0
    est = w1_dkw(x, y, level=level, diameter=diameter)
    assert not any(math.isnan(t) for t in (est.value, est.lower_bound, est.upper_bound))
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound
    assert math.isfinite(est.upper_bound) == (diameter is not None)
    assert est.value <= scipy.stats.wasserstein_distance(x, y) * (1 + 1e-12) + 1e-300


@pytest.mark.slow
def test_the_lower_end_is_below_the_truth_in_200_repetitions_and_the_interval_covers() -> None:
    for seed in range(200):
        x, y = uniform_pair(seed, 300, 200)
        est = w1_dkw(x, y, diameter=1.25)
        assert est.lower_bound <= 0.25 <= est.upper_bound
        rng = np.random.default_rng(seed)
        draw_p, draw_q, truth = LAWS["exponential-scale"]
        assert w1_dkw(draw_p(rng, 400), draw_q(rng, 400)).lower_bound <= truth


def test_a_diameter_one_rounding_below_the_exact_spread_is_refused() -> None:
    # fl(hi - lo) = 1 + 2^-52 lies below the exact spread 1 + 2^-52 + 1e-20: it was accepted
    # (and "sample" used it), capping the upper end below W1 of the two point masses.
    lo, hi = -1e-20, 1.0 + 2.0**-52
    with pytest.raises(ValueError, match="diameter must be at least"):
        w1_dkw([lo], [hi], diameter=hi - lo)
    est = w1_dkw([lo], [hi], diameter="sample")
    assert Fraction(est.upper_bound) >= Fraction(hi) - Fraction(lo)


def test_among_subnormals_the_upper_end_still_rounds_outward() -> None:
    # x = {0, 0}, y = {0, 0, 0, 94 u} (u the least subnormal), diameter="sample": the upper
    # integral is the width 94 u times max(F_up - G_lo, ...) = 1 - (3/4 - e_m), whose product
    # underflows; the relative slack did not cover that absolute error and the upper end came
    # out 1 u below the exact integral.
    tiny = 5e-324
    x, y = np.zeros(2), np.array([0.0, 0.0, 0.0, 94 * tiny])
    est = w1_dkw(x, y, level=0.5, diameter="sample")
    alpha = 0.5
    em = Fraction(math.sqrt(math.log(4 / alpha) / (2 * 4)))
    height = min(Fraction(1), Fraction(1) - (Fraction(3, 4) - em))
    assert Fraction(est.upper_bound) >= min(Fraction(94 * tiny) * height, Fraction(94 * tiny))
