"""W1 between the laws behind two samples: closed forms, coverage, the ends' guarantees, errors."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv
from divergences.estimate import w1

# The union of [0, 1]^2 and its translate by (s, 0) has diameter sqrt((1 + s)^2 + 1).
SHIFT = 0.3
SQUARES = math.hypot(1.0 + SHIFT, 1.0)


def squares(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform draws on [0, 1]^2 and on its translate by (SHIFT, 0): W1 = SHIFT exactly."""
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, 2)), rng.uniform(size=(n, 2)) + np.array([SHIFT, 0.0])


def finite_laws(seed: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Two laws on 12 and 9 atoms of the plane, their exact W1 and their supports' diameter."""
    rng = np.random.default_rng(1000 + seed)
    atoms_p, atoms_q = rng.uniform(size=(12, 2)), rng.uniform(size=(9, 2)) + np.array([0.4, 0.1])
    truth = float(dv.w1_primal(atoms_p, atoms_q).value)
    pooled = np.concatenate([atoms_p, atoms_q])
    diam = float(np.max(np.linalg.norm(pooled[:, None] - pooled[None], axis=-1)))
    return atoms_p, atoms_q, truth, diam


def draws_of(atoms_p: np.ndarray, atoms_q: np.ndarray, seed: int, n: int, m: int) -> tuple:
    """``n`` draws of the uniform law on ``atoms_p`` and ``m`` of the one on ``atoms_q``."""
    rng = np.random.default_rng(seed)
    return atoms_p[rng.integers(0, len(atoms_p), n)], atoms_q[rng.integers(0, len(atoms_q), m)]


def check_invariants(est: dv.estimate.Estimate) -> None:
    """The result type's invariant: finite ordered numbers, W1's range."""
    assert all(math.isfinite(t) for t in (est.value, est.lower_bound, est.upper_bound))
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound


@pytest.mark.parametrize("diameter", [SQUARES, "sample"])
def test_the_finite_sample_interval_covers_a_translate_every_time(
    diameter: float | str | None,
) -> None:
    for seed in range(4):
        x, y = squares(seed, 300)
        est = w1(x, y, diameter=diameter, seed=seed)
        check_invariants(est)
        kind = "plug-in-assumption" if diameter == "sample" else "finite-sample"
        assert (est.kind, est.sides, est.n, est.m) == (kind, "two-sided", 300, 300)
        assert est.lower_bound <= SHIFT <= est.upper_bound


def test_the_asymptotic_interval_covers_a_gaussian_shift() -> None:
    mu = np.array([0.6, -0.8, 0.0])  # |mu| = 1
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(300, 3)), rng.normal(size=(250, 3)) + mu
        est = w1(x, y, seed=seed)
        check_invariants(est)
        assert (est.kind, est.assumption) == ("asymptotic", "finite second moments of P and Q")
        assert est.lower_bound <= 1.0 <= est.upper_bound


@pytest.mark.parametrize(
    ("metric", "truth"),
    [("cityblock", 0.5), ("chebyshev", 0.3), (dv.Minkowski(p=3), (0.3**3 + 0.2**3) ** (1 / 3))],
)
def test_other_metrics_cover_the_translate_in_their_norm(metric: object, truth: float) -> None:
    # A translate by s is at W1 = ||s|| in every norm (the translation coupling attains it, the
    # potential z -> <z, s*> with s* a dual unit vector of s bounds it from below).
    rng = np.random.default_rng(7)
    x = rng.uniform(size=(250, 2))
    y = rng.uniform(size=(250, 2)) + np.array([0.3, 0.2])
    est = w1(x, y, diameter="sample", metric=metric)
    check_invariants(est)
    assert est.lower_bound <= truth <= est.upper_bound


def test_the_lower_end_is_below_the_exact_w1_of_finite_laws() -> None:
    for seed in range(5):
        atoms_p, atoms_q, truth, diam = finite_laws(seed)
        x, y = draws_of(atoms_p, atoms_q, seed, 200, 150)
        for diameter in (diam, None):
            est = w1(x, y, diameter=diameter, seed=seed)
            assert est.lower_bound <= truth
        est = w1(x, y, diameter=diam, seed=seed)
        assert est.upper_bound >= truth


def test_the_value_is_the_samples_w1_and_the_upper_end_its_certified_bound_plus_mcdiarmid() -> None:
    x, y = squares(3, 200)
    est = w1(x, y, diameter=2.0, level=0.9)
    sol = dv.w1_primal(x, y)
    assert est.value == float(sol.value)
    term = 2.0 * math.sqrt((1 / 200 + 1 / 200) * math.log(2 / 0.1) / 2)
    assert est.upper_bound == pytest.approx(float(sol.upper_bound) + term, rel=1e-12)
    assert est.upper_bound >= float(sol.upper_bound) + term
    assert est.level == 0.9


def test_a_wider_level_and_a_larger_diameter_widen_the_interval() -> None:
    x, y = squares(5, 400)
    base = w1(x, y, diameter=1.7, level=0.8)
    assert base.lower_bound > 0.0
    assert w1(x, y, diameter=1.7, level=0.99).upper_bound > base.upper_bound
    assert w1(x, y, diameter=3.4, level=0.8).lower_bound < base.lower_bound
    assert w1(x, y, diameter=1.7, level=0.8, seed=0) == base  # seeded: the same split


def test_the_same_law_gives_a_lower_end_at_zero_and_a_small_upper_end() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.uniform(size=(400, 1)), rng.uniform(size=(400, 1))
    est = w1(x, y, diameter=1.0)
    assert est.lower_bound == 0.0
    assert est.upper_bound < 0.25  # plug-in ~0.04 plus 1 * sqrt(2/400 * log(40) / 2) ~ 0.13


def test_the_assumption_names_the_diameter_and_how_the_sample_gave_it() -> None:
    x, y = squares(0, 50)
    assert "<= 2.5" in w1(x, y, diameter=2.5).assumption
    sample = w1(x, y, diameter="sample")
    assert "samples'" in sample.assumption and "exact diameter" in sample.assumption


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"diameter": "pooled"}, "diameter must be a number > 0, 'sample' or None"),
        ({"diameter": -1.0}, "diameter must be a finite number > 0"),
        ({"diameter": math.inf}, "diameter must be a finite number > 0"),
        ({"diameter": True}, "diameter must be a finite number > 0"),
        ({"diameter": 0.5}, "diameter must be at least the pooled draws' spread"),
        ({"metric": "sqeuclidean"}, "metric must be a metric"),
        ({"metric": lambda a, b: 0.0}, "metric must be a metric"),
        ({"metric": "hamming"}, "metric must be a metric"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": 1.5}, "seed must be a non-negative integer"),
        ({"level": 1.0}, "level must be a finite number in"),
    ],
)
def test_bad_options_raise_naming_the_argument(kwargs: dict, match: str) -> None:
    x, y = squares(0, 20)
    with pytest.raises(ValueError, match=match):
        w1(x, y, **kwargs)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([[0.0, 0.0]], [[1.0, 0.0], [2.0, 0.0]], "x must hold at least 2 draws"),
        ([[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0]], "y must hold at least 2 draws"),
        ([[0.0, np.nan], [1.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]], "x must be finite"),
        ([[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0], "x and y must be draws in one dimension"),
    ],
)
def test_bad_samples_raise_naming_the_argument(x: object, y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        w1(x, y)


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(2, 9),
    m=st.integers(2, 9),
    d=st.integers(1, 3),
    scale=st.sampled_from([1e-3, 1.0, 1e4]),
    diameter=st.sampled_from([None, "sample"]),
    seed=st.integers(0, 2**16),
)
def test_never_nan_ordered_ends_in_range(
    n: int, m: int, d: int, scale: float, diameter: float | str | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal((n, d))
    y = scale * rng.integers(-2, 3, size=(m, d)).astype(float)  # ties and repeated atoms
    est = w1(x, y, diameter=diameter, seed=seed % 7)
    check_invariants(est)
    assert est.upper_bound >= float(dv.w1_primal(x, y).lower_bound)  # above the samples' W1


@pytest.mark.slow
def test_the_finite_sample_interval_covers_in_200_draws_and_the_asymptotic_one_mostly() -> None:
    atoms_p, atoms_q, truth, diam = finite_laws(0)
    asymptotic_misses = 0
    for seed in range(200):
        x, y = draws_of(atoms_p, atoms_q, seed, 60, 80)
        est = w1(x, y, diameter=diam, seed=seed)
        assert est.lower_bound <= truth <= est.upper_bound
        asymptotic = w1(x, y, seed=seed)
        asymptotic_misses += not asymptotic.lower_bound <= truth <= asymptotic.upper_bound
    # Nominal 0.95 and conservative (the plug-in is biased upward, Efron-Stein bounds the
    # variance): far fewer than the 10 misses of an exact 95% interval.
    assert asymptotic_misses <= 20


@pytest.mark.slow
def test_the_finite_sample_interval_at_ten_thousand_draws_in_the_plane() -> None:
    x, y = squares(0, 10_000)
    est = w1(x, y, diameter="sample")
    check_invariants(est)
    assert est.lower_bound <= SHIFT <= est.upper_bound
    assert (
        est.upper_bound - est.lower_bound < 0.15
    )  # two terms of ~2 sqrt(2e-4 log 40 / 2) = 0.05 each


def test_the_interval_is_computed_in_float64_whatever_jax_x64_says() -> None:
    x, y = squares(2, 120)
    wide = w1(x.astype(np.float32), y.astype(np.float32), diameter="sample")
    with jax.enable_x64(False):
        narrow = w1(x.astype(np.float32), y.astype(np.float32), diameter="sample")
    assert narrow == wide


# The powers -500 and 500 in the slow tier (the same path): -1000 and 900 keep both ends of
# float64 quick.
@pytest.mark.parametrize(
    "power", [-1000, *(pytest.param(p, marks=pytest.mark.slow) for p in (-500, 500)), 900]
)
@pytest.mark.parametrize("diameter", [None, "sample"])
def test_scaling_the_draws_by_a_power_of_two_scales_the_interval(
    power: int, diameter: float | str | None
) -> None:
    # W1 is homogeneous of degree 1: no term may underflow or overflow at either end of float64.
    x, y = squares(4, 400)
    base = w1(x, y, diameter=diameter)
    c = math.ldexp(1.0, power)
    scaled = w1(c * x, c * y, diameter=diameter)
    assert scaled.lower_bound > 0.0
    for ours, theirs in zip(scaled[:3], base[:3], strict=True):
        assert ours == pytest.approx(c * theirs, rel=1e-9)


def test_the_upper_end_is_at_most_the_diameter() -> None:
    # Few draws: McDiarmid's term exceeds D, and W1 <= D for supports of diameter D.
    est = w1([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]], diameter=3.0)
    assert est.upper_bound == 3.0
    assert 0.0 == est.lower_bound <= 1.0 == est.value


def test_a_level_next_to_one_keeps_the_asymptotic_interval_finite() -> None:
    # ndtri(1 - alpha/2) read 1 - alpha/2 as 1.0 below alpha = 2^-52: z = inf, and the call
    # raised that the upper end overflows (inf * 0 = NaN for draws without spread).
    for x, y in ((np.zeros(4), np.ones(4)), (np.arange(6.0), np.arange(6.0) + 0.5)):
        est = w1(x, y, level=1.0 - 2.0**-53)
        assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound < math.inf
