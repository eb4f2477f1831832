"""KID(A, R) - KID(B, R) with the shared reference (divergences.estimate.kid_difference)."""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import pytest

from divergences.estimate import (
    ASYMPTOTIC_CLAIMS,
    Comparison,
    NoCoverageWarning,
    kid,
    kid_difference,
)
from divergences.testing.coverage_laws import kid_of_gaussians


def cubic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """KID's unbiased statistic from the whole kernel matrices (Binkowski et al. 2018)."""
    n, m = len(x), len(y)
    kxx, kyy = cubic(x, x), cubic(y, y)
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    return float(xx + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * cubic(x, y).mean())


@pytest.mark.slow  # 3.5 s from a cold compile cache: over the quick tier's 1 s
def test_difference_is_the_two_kids_and_its_variance_the_three_projections() -> None:
    rng = np.random.default_rng(0)
    r, a, b = rng.normal(size=(260, 5)), rng.normal(0.3, size=(250, 5)), rng.normal(size=(255, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        out = kid_difference(r, a, b)
        assert out.a.value == pytest.approx(kid(a, r).value, rel=1e-12)  # above 0: not clipped
    want = unbiased(a, r) - unbiased(b, r)
    assert out.difference.value == pytest.approx(want, rel=1e-12)
    kaa, kbb, kar, kbr = cubic(a, a), cubic(b, b), cubic(a, r), cubic(b, r)
    f_a = (kaa.sum(1) - np.diag(kaa)) / 249 - kar.mean(1)
    f_b = (kbb.sum(1) - np.diag(kbb)) / 254 - kbr.mean(1)
    f_r = kbr.mean(0) - kar.mean(0)
    v = 4 * (np.var(f_a, ddof=1) / 250 + np.var(f_b, ddof=1) / 255 + np.var(f_r, ddof=1) / 260)
    half = (out.difference.upper_bound - out.difference.lower_bound) / 2
    assert half == pytest.approx(1.959963984540054 * math.sqrt(v), rel=1e-9)
    assert out.difference.kind == "asymptotic"
    with pytest.warns(NoCoverageWarning, match="kid_difference's interval is measured"):
        few = kid_difference(r[:40], a[:30], b[:35])
    assert (few.difference.kind, few.difference.lower_bound) == ("no-coverage-claim", -math.inf)
    assert few.p_value is None and "not returned" in few.difference.method
    assert out.p_value is not None and 0.0 <= out.p_value <= 1.0


@pytest.mark.slow
def test_interval_covers_the_closed_form_and_the_p_value_says_a_is_better() -> None:
    rng = np.random.default_rng(1)
    d = 16
    mu = np.full(d, 1 / math.sqrt(d))
    r, a, b = rng.normal(size=(600, d)), rng.normal(size=(600, d)), rng.normal(size=(600, d))
    a, b = a + 0.6 * mu, b + 1.0 * mu
    out = kid_difference(r, a, b)
    truth = kid_of_gaussians(0.6, 1.0, d) - kid_of_gaussians(1.0, 1.0, d)
    assert out.difference.kind == "asymptotic"
    assert out.difference.lower_bound <= truth <= out.difference.upper_bound < 0.0
    assert out.p_value is not None and out.p_value < 0.01  # a claimed difference: a p-value
    swapped = kid_difference(r, b, a)
    assert swapped.p_value is not None and swapped.p_value > 0.99  # B is the better one
    assert swapped.p_value_b is not None and swapped.p_value_b < 0.01  # and says how strongly
    assert out.p_value_b is not None and out.p_value + out.p_value_b >= 1.0


@pytest.mark.slow
def test_float32_is_within_its_rounding_bound_of_float64() -> None:
    rng = np.random.default_rng(2)
    r, a, b = (rng.normal(t, size=(300, 32)).astype(np.float32) for t in (0.0, 0.1, 0.2))
    wide = kid_difference(r, a, b).difference
    with jax.enable_x64(False):
        narrow = kid_difference(r, a, b).difference
    assert "float32" in narrow.method
    assert abs(narrow.value - wide.value) <= (narrow.upper_bound - narrow.lower_bound) * 0.01
    width = narrow.upper_bound - narrow.lower_bound
    assert width <= 1.05 * (wide.upper_bound - wide.lower_bound)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[0.0]], [[1.0], [2.0]], [[1.0], [2.0]]), "reference must hold at least 2 draws"),
        (([[0.0], [1.0]], [[1.0]], [[1.0], [2.0]]), "a must hold at least 2 draws"),
        (([[0.0], [1.0]], [[1.0], [2.0]], [[np.nan], [2.0]]), "must be finite"),
    ],
)
def test_bad_input_is_refused(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kid_difference(*args)


def test_the_claims_stop_where_the_table_does() -> None:
    claim = ASYMPTOTIC_CLAIMS["kid_difference"]
    assert claim.holds(64, 250) and claim.holds(2048, 1000)
    assert not claim.holds(65, 999) and not claim.holds(2049, 10**6)
    assert not claim.holds(8, 249)


@pytest.mark.slow  # 1.7 s from a cold compile cache: over the quick tier's 1 s
def test_a_comparison_holds_each_kid_as_kid_gives_it() -> None:
    rng = np.random.default_rng(3)
    r, a, b = rng.normal(size=(120, 4)), rng.normal(0.5, size=(110, 4)), rng.normal(size=(115, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        out = kid_difference(r, a, b, level=0.9)
        alone_a, alone_b = kid(a, r, level=0.9), kid(b, r, level=0.9)
    assert type(out) is Comparison
    assert out._fields == ("difference", "p_value", "a", "b", "dependent", "p_value_b")
    assert out.dependent == ()  # independent draws: no candidate looks like a copy
    assert out.a == alone_a and out.b == alone_b  # Estimates, each with its interval
    assert out.a.upper_bound >= out.a.value >= out.a.lower_bound >= 0.0


@pytest.mark.slow  # compiles the cubic pass for three samples: over the quick tier's 1 s
def test_a_candidate_that_copies_the_reference_is_not_compared() -> None:
    # B returns the reference's draws with noise far below their spacing: KID(B, R)'s statistic
    # lies below 0 by its interval, which independent draws do not give; B is nearest R by
    # construction, so no difference in its favour may be claimed, however large.
    rng = np.random.default_rng(5)
    r, a = rng.normal(size=(300, 16)), rng.normal(0.3, size=(300, 16))
    b = r[rng.integers(0, 300, 300)] + 1e-3 * rng.normal(size=(300, 16))
    with pytest.warns(NoCoverageWarning, match="B's draws look like copies of the reference's"):
        out = kid_difference(r, a, b)
    assert out.dependent == ("b",)
    assert out.difference.kind == "no-coverage-claim" and out.p_value is None
    assert (out.difference.lower_bound, out.difference.upper_bound) == (-math.inf, math.inf)
    assert out.b.kind == "no-coverage-claim"
    assert "like copies" not in out.a.assumption  # A is judged on its own draws
    with pytest.warns(NoCoverageWarning, match="A's draws look like copies"):
        swapped = kid_difference(r, b, a)
    assert swapped.dependent == ("a",) and swapped.p_value is None
