"""KID: the unbiased MMD^2 under the cubic kernel, its normal interval (divergences.estimate)."""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from divergences.estimate import NoCoverageWarning, kid
from divergences.estimate._src.kernel import normal_interval as kernel_interval
from divergences.estimate._src.kernel import sums as kernel_sums
from divergences.estimate._src.kernel.kid import _cubic_sums
from divergences.estimate._src.samples import relabellings
from divergences.testing.coverage_laws import kid_of_gaussians


def cubic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def reference(x: np.ndarray, y: np.ndarray) -> float:
    """KID from the whole kernel matrices, with NumPy (Binkowski et al. 2018)."""
    n, m = len(x), len(y)
    kxx, kyy, kxy = cubic(x, x), cubic(y, y), cubic(x, y)
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2 * kxy.mean())


def statistic(x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(MMD^2_u, its rounding bound, the row sums), in the features' own units."""
    sums, cube = _cubic_sums(x, y, np.arange(len(x))[None, :])
    return float(sums.stats[0]) * cube, sums.error * cube, sums.rows * cube


# The two larger sizes in the slow tier (the same sums, their own programs).
@pytest.mark.parametrize(
    ("n", "m", "d"),
    [
        (2, 3, 1),
        (7, 30, 3),
        *(pytest.param(*s, marks=pytest.mark.slow) for s in [(5, 9, 300), (70, 50, 64)]),
    ],
)
def test_statistic_and_row_sums_match_the_whole_kernel_matrices(n: int, m: int, d: int) -> None:
    rng = np.random.default_rng(n + m + d)
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, 1.5, size=(m, d))
    value, error, rows = statistic(x, y)
    expected = reference(x, y)
    assert abs(value - expected) <= error + 1e-12 * abs(expected)
    assert error < 1e-9
    whole = cubic(np.concatenate([x, y]), np.concatenate([x, y]))
    np.fill_diagonal(whole, 0.0)
    np.testing.assert_allclose(rows[:, 0], whole.sum(1), rtol=1e-12)
    np.testing.assert_allclose(rows[:, 1], whole[:, :n].sum(1), rtol=1e-12)


def test_variance_matches_a_loop_over_the_kernel_matrices() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(11, 5)), rng.normal(0.4, size=(13, 5))
    _, _, rows = statistic(x, y)
    kxx, kyy, kxy = cubic(x, x), cubic(y, y), cubic(x, y)
    f = [(kxx[i].sum() - kxx[i, i]) / 10 - kxy[i].mean() for i in range(11)]
    g = [(kyy[j].sum() - kyy[j, j]) / 12 - kxy[:, j].mean() for j in range(13)]
    expected = 4 * np.var(f, ddof=1) / 11 + 4 * np.var(g, ddof=1) / 13
    assert kernel_interval.first_order_variance(rows, 11, 13) == pytest.approx(expected, rel=1e-10)


# Two pairs in the slow tier (the same Monte Carlo sum): [2.0-0.7] keeps the check quick.
@pytest.mark.parametrize(
    ("delta", "scale"),
    [*(pytest.param(*s, marks=pytest.mark.slow) for s in [(1.0, 1.0), (0.0, 1.5)]), (2.0, 0.7)],
)
def test_closed_form_matches_monte_carlo(delta: float, scale: float) -> None:
    # E k(X, X') + E k(Y, Y') - 2 E k(X, Y) over 4e5 independent pairs each, in d = 4,
    # within 5 Monte Carlo standard errors.
    d, count = 4, 400_000
    rng = np.random.default_rng(7)
    mu = np.full(d, delta / math.sqrt(d))
    a, b = rng.normal(size=(2, count, d))
    c, e = scale * rng.normal(size=(2, count, d)) + mu

    def k(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (np.einsum("ij,ij->i", u, v) / d + 1.0) ** 3

    terms = k(a, b) + k(c, e) - k(a, c) - k(b, e)  # one independent draw of the combination
    error = terms.std() / math.sqrt(count)
    assert abs(terms.mean() - kid_of_gaussians(delta, scale, d)) <= 5 * error
    assert kid_of_gaussians(1.0, 1.0, 64) == 3 / 64 + 6 / 64**2 + 13 / 64**3
    assert kid_of_gaussians(0.0, 1.5, 64) == pytest.approx(3 * 1.25**2 / 64, rel=1e-15)


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_interval_covers_the_closed_form_and_leaves_out_0() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(1000, 64)), rng.normal(size=(1000, 64)) + 0.125
    est = kid(x, y)
    assert (est.kind, est.sides, est.quantity) == ("asymptotic", "two-sided", "KID")
    assert 0.0 < est.lower_bound <= kid_of_gaussians(1.0, 1.0, 64) <= est.upper_bound
    assert est.value == pytest.approx(reference(x, y), rel=1e-12)


# In the slow tier: many permutations (the interval's coverage stays quick).
@pytest.mark.slow
def test_interval_agrees_with_the_permutation_test() -> None:
    # The lower end is above 0 only where the permutation test of its 200 relabellings,
    # recomputed here from the whole kernel matrix, rejects at alpha / 2.
    above = kept = 0
    for seed, shift in enumerate((0.0, 0.0, 0.05, 0.1, 0.3)):
        rng = np.random.default_rng(60 + seed)
        x, y = rng.normal(size=(250, 16)), rng.normal(size=(250, 16)) + shift
        pooled = np.concatenate([x, y])
        whole = cubic(pooled, pooled)
        np.fill_diagonal(whole, 0.0)
        stats = []
        for row in relabellings(250, 250, 200, 0):
            a = np.zeros(500)
            a[row] = 1.0
            quad, lin = a @ whole @ a, whole.sum(0) @ a
            stats.append(kernel_sums.statistic(quad, lin, whole.sum(), 250, 250))
        p = (1 + sum(t >= stats[0] for t in stats[1:])) / 201
        sums, cube = _cubic_sums(x, y, relabellings(250, 250, 200, 0))
        for level in (0.8, 0.95):  # the interval kid computes (claimed from 1000 draws)
            _, lower, _ = kernel_interval.normal_interval(sums, 250, 250, 1 - level, cube, math.inf)
            if lower > 0.0:
                assert p <= (1 - level) / 2
                above += 1
            else:
                kept += p > (1 - level) / 2
    assert above >= 2 and kept >= 2


# In the slow tier: float32's own programs (MMD's float32 bound stays quick).
@pytest.mark.slow
def test_float32_is_within_its_rounding_bound() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(60, 40)), rng.normal(0.4, size=(50, 40))
    wide, _, _ = statistic(x, y)
    with jax.enable_x64(False):
        narrow, bound, _ = statistic(x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoCoverageWarning)
            est = kid(x.astype(np.float32), y.astype(np.float32))
    assert abs(narrow - wide) <= bound < 0.05 * abs(wide)
    assert "float32" in est.method and est.kind == "no-coverage-claim"


@pytest.mark.slow  # a pass in d = 1100: its own programs
def test_float64_draws_with_x64_off_take_the_float64_pass_where_float64_products_are_taken() -> (
    None
):
    # Where float32 passes take float64 products (a CPU from FLOAT64_PRODUCTS_FROM coordinates),
    # draws given in float64 are pooled in float64: no cast to float32 moves them, uncounted in
    # the bound (5.8e-11 off against a bound of 5.1e-12 here when they were cast)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 1100)), rng.normal(0.4, size=(300, 1100))
    wide, _ = _cubic_sums(x, y, np.arange(300)[None])
    with jax.enable_x64(False):
        narrow, _ = _cubic_sums(x, y, np.arange(300)[None])
    if kernel_sums.gram_products(np.float32, 1120) == "float64":
        assert "pooled in float64" in narrow.dtype
        assert narrow.value == wide.value  # the same float64 pass
        assert narrow.error == pytest.approx(wide.error, rel=0.05)  # 1120 coordinates, not 1100
    else:  # the float32 partials, their bound counting the cast
        assert abs(narrow.value - wide.value) <= narrow.error


# In the slow tier: test_result.py's test_every_entry_claims_nothing_the_same_way[kid] runs the
# same refusal quick (n = 40, d = 3).
@pytest.mark.slow
def test_below_the_measured_size_no_coverage_is_claimed() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(100, 8)), rng.normal(size=(100, 8)) + 1.0
    with pytest.warns(NoCoverageWarning, match=r"kid's interval is measured to hold in d <= 2048"):
        est = kid(x, y)
    assert (est.kind, est.sides, est.lower_bound, est.upper_bound) == (
        "no-coverage-claim",
        "none",
        0,
        math.inf,
    )
    assert est.value > 0.0


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([[0.0], [np.nan]], [0.0, 1.0], "x must be finite"),
        ([0.0, 1.0], np.zeros((3, 2, 1)), "y must have shape"),
        ([[0.0, 1.0]] * 3, [1.0, 2.0], "one dimension"),
        ([1.0], [1.0, 2.0], "x must hold at least 2 draws"),
        ([1.0, 2.0], [1.0], "y must hold at least 2 draws"),
        ([1.0, 2.0], [1.0, 1e200], "y must hold features whose cubic kernel"),
        ([[1e120, 0.0], [0.0, 0.0]], [[1.0, 2.0]] * 2, "x must hold features whose cubic kernel"),
    ],
)
def test_bad_input_is_refused(x: object, y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kid(x, y)


@pytest.mark.parametrize("level", [0.0, 1.0, "high", True])
def test_bad_level_is_refused(level: object) -> None:
    with pytest.raises(ValueError, match="level must be a finite number in"):
        kid([0.0, 1.0], [1.0, 2.0], level=level)


@st.composite
def _harsh_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Small samples at scales from 1e-150 to 1e50, with repeated points and identical pairs.

    Above about 1e51 the kernel overflows float64 and the samples are refused (tested apart).
    """
    dim = draw(st.integers(1, 6))
    scale = 10.0 ** draw(st.integers(-150, 50))
    values = st.floats(-1.0, 1.0, width=64) | st.sampled_from([0.0, 1.0, -1.0])
    x = draw(hnp.arrays(np.float64, (draw(st.integers(2, 9)), dim), elements=values)) * scale
    how = draw(st.sampled_from(["same", "repeated", "apart"]))
    if how == "same":
        return x, x.copy()
    if how == "repeated":
        return x, np.repeat(x[:1], draw(st.integers(2, 9)), axis=0)
    y = draw(hnp.arrays(np.float64, (draw(st.integers(2, 9)), dim), elements=values)) * scale
    return x, y


@settings(max_examples=20)
@given(pair=_harsh_pairs(), level=st.floats(0.01, 0.99))
def test_kid_is_finite_ordered_and_0_on_identical_samples(
    pair: tuple[np.ndarray, np.ndarray], level: float
) -> None:
    x, y = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        est = kid(x, y, level=level)
    assert math.isfinite(est.value) and est.value >= 0.0
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound
    if np.array_equal(x, y):  # MMD^2_u(x, x) <= 0 (|k_ij| <= (k_ii + k_jj) / 2), within rounding
        assert est.lower_bound == 0.0
    sums, cube = _cubic_sums(x, y, np.arange(len(x))[None, :])
    assert math.isfinite(sums.stats[0] * cube) and math.isfinite(sums.error * cube)
    variance = kernel_interval.first_order_variance(sums.rows, len(x), len(y))
    assert math.isfinite(variance) and variance >= 0.0


# In the slow tier: test_mmd.py's test_normal_interval_at_a_level_next_to_one_is_finite runs the
# shared quantile path (kernel_interval.normal_interval) quick.
@pytest.mark.slow
def test_a_level_next_to_one_keeps_the_interval_finite() -> None:
    # ndtri(1 - alpha/2) read 1 - alpha/2 as 1.0 below alpha = 2^-52: z = inf, and inf * 0
    # gave a NaN upper end for draws without spread.
    level = 1.0 - 2.0**-53
    rng = np.random.default_rng(3)
    pairs = (
        (np.zeros((1000, 2)), np.ones((1000, 2))),
        (rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))),
    )
    for x, y in pairs:
        est = kid(x, y, level=level)
        assert est.kind == "asymptotic"
        assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound < math.inf, est


def test_bfloat16_features_are_read_as_their_float64_values() -> None:
    # bfloat16 was refused as not "real numbers" while float16 was read.
    rng = np.random.default_rng(4)
    x, y = (jax.numpy.asarray(rng.normal(size=(30, 3)), jax.numpy.bfloat16) for _ in range(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        assert kid(x, y) == kid(np.asarray(x, np.float64), np.asarray(y, np.float64))


def test_the_overflow_names_the_sample_with_the_largest_norm() -> None:
    # The sample was picked by its largest coordinate: x (one coordinate 1e52, |a|^2 / d = 1e101,
    # fine alone) was named for y's overflowing norms (every coordinate 0.9e52).
    d = 1000
    x = np.zeros((4, d))
    x[:, 0], x[:, 1] = 1e52, np.arange(4.0)
    y = np.full((4, d), 0.9e52) + np.arange(4.0)[:, None]
    with pytest.raises(ValueError, match=r"^y must hold features whose cubic kernel"):
        kid(x, y)
    with pytest.raises(ValueError, match=r"^x must hold features whose cubic kernel"):
        kid(y, x)


# In the slow tier: float32's own programs.
@pytest.mark.slow
def test_float32_interval_is_as_narrow_as_float64s_on_the_same_draws() -> None:
    # The float32 pass sums its blocks in float64 on the host and bounds each kernel value by
    # its own magnitudes: the allowance was 9 times the interval's half-width before.
    rng = np.random.default_rng(8)
    x = rng.normal(size=(1000, 64)).astype(np.float32)
    y = (rng.normal(size=(1000, 64)) + 0.125).astype(np.float32)
    wide = kid(x, y)
    with jax.enable_x64(False):
        narrow = kid(x, y)
        sums, cube = _cubic_sums(x.astype(np.float64), y.astype(np.float64), np.arange(1000)[None])
    assert "float32" in narrow.method and narrow.kind == wide.kind == "asymptotic"
    width = narrow.upper_bound - narrow.lower_bound
    assert width <= 1.05 * (wide.upper_bound - wide.lower_bound)
    assert abs(sums.value * cube - reference(x, y)) <= sums.error * cube


# In the slow tier: float32's own programs, in d = 1024.
@pytest.mark.slow
def test_float32_all_positive_features_in_1024_dimensions_get_float64_s_interval() -> None:
    # ReLU-like features: their Gram entries are sums of positive terms, and the partials'
    # allowance was 1.15 times the width here; a CPU takes float64 products from 1024 on
    rng = np.random.default_rng(9)
    x = np.abs(rng.normal(size=(1000, 1024))).astype(np.float32)
    y = (np.abs(rng.normal(size=(1000, 1024))) * 1.05).astype(np.float32)
    wide = kid(x, y)
    with jax.enable_x64(False):
        narrow = kid(x, y)
    assert "float64 Gram products" in narrow.method or jax.default_backend() != "cpu"
    assert narrow.value == pytest.approx(wide.value, rel=1e-12)
    for a, b in ((narrow.lower_bound, wide.lower_bound), (narrow.upper_bound, wide.upper_bound)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


@pytest.mark.slow  # 1.7 s from a cold compile cache: over the quick tier's 1 s
def test_a_noisy_copy_of_the_same_points_claims_nothing() -> None:
    # y_i = x_i + noise: the laws N(m, I) and N(m, 1.25 I), |m| = 8 in d = 8, have KID 0.258
    # (kid_of_gaussians' moments with both means m), but the pairs share their points and the
    # statistic lies below every relabelling's: KID = 0 in [0, 0] with coverage claimed before.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8))
    x[:, 0] += 8.0
    y = x + 0.5 * rng.normal(size=(300, 8))
    with pytest.warns(NoCoverageWarning, match="the draws look dependent"):
        est = kid(x, y)
    assert (est.kind, est.sides, est.lower_bound, est.upper_bound) == (
        "no-coverage-claim", "none", 0.0, math.inf,
    )  # fmt: skip
    assert "a noisy copy of the same points" in est.assumption
    a = rng.normal(size=(1000, 8)) + x.mean(0)  # independent draws of both laws, 1000 each
    independent = kid(a, rng.normal(size=(1000, 8)) * math.sqrt(1.25) + x.mean(0))
    assert independent.kind == "asymptotic"


@pytest.mark.slow
@pytest.mark.parametrize(("n", "d"), [(70, 300), (1100, 3)])  # Gram products in parts; two blocks
def test_float32_bound_holds_where_the_sums_are_blocked(n: int, d: int) -> None:
    rng = np.random.default_rng(d)
    x, y = rng.normal(size=(n, d)), rng.normal(0.2, 1.2, size=(n, d))
    with jax.enable_x64(False):
        sums, cube = _cubic_sums(x, y, np.arange(n)[None])
    assert sums.dtype == "float32"
    assert abs(sums.value * cube - reference(x, y)) <= sums.error * cube
    assert sums.error * cube < 1e-3 * abs(reference(x, y))
