"""The unbiased MMD^2, its McDiarmid interval and the permutation test (divergences.estimate)."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial.distance import cdist, pdist

from divergences.estimate import NoCoverageWarning, mmd_squared, mmd_test
from divergences.estimate._src.kernel import mmd
from divergences.estimate._src.kernel import normal_interval as kernel_interval
from divergences.estimate._src.kernel import sums as kernel_sums
from divergences.estimate._src.samples import relabellings
from divergences.testing.coverage_laws import gaussian_mmd_squared_variance


def reference(x: np.ndarray, y: np.ndarray, s: float) -> float:
    """MMD^2_u from the full kernel matrices, with NumPy (Gretton et al. 2012, eq. 3)."""
    n, m = len(x), len(y)
    kxx = np.exp(-cdist(x, x, "sqeuclidean") / (2 * s * s))
    kyy = np.exp(-cdist(y, y, "sqeuclidean") / (2 * s * s))
    kxy = np.exp(-cdist(x, y, "sqeuclidean") / (2 * s * s))
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2 * kxy.mean())


def closed_form(mu: np.ndarray, s0: float, s: float) -> float:
    r"""MMD^2 between N(0, s0^2 I) and N(mu, s0^2 I) under the Gaussian kernel of width s.

    X - Y ~ N(-mu, 2 s0^2 I), and per coordinate E exp(-w^2 / (2 s^2)) for w ~ N(c, v) is
    sqrt(s^2 / (s^2 + v)) exp(-c^2 / (2 (s^2 + v))); X - X' is the case c = 0.
    """
    v = s * s + 2 * s0 * s0
    factor = (s * s / v) ** (len(mu) / 2)
    return 2 * factor * (1 - math.exp(-float(mu @ mu) / (2 * v)))


def statistic(x: np.ndarray, y: np.ndarray, s: float) -> float:
    return mmd.gaussian_sums(x, y, np.arange(len(x))[None, :], s).value


# The largest size in the slow tier (the same sums, its own programs).
@pytest.mark.parametrize(
    ("n", "m", "d", "s"),
    [(2, 2, 1, 1.0), (7, 30, 3, 0.4), pytest.param(70, 50, 5, 2.5, marks=pytest.mark.slow)],
)
def test_statistic_matches_the_full_kernel_matrix(n: int, m: int, d: int, s: float) -> None:
    rng = np.random.default_rng(n + m)
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, 1.5, size=(m, d))
    assert abs(statistic(x, y, s) - reference(x, y, s)) <= 1e-12
    assert mmd_test(x, y, bandwidth=s, permutations=3).statistic == pytest.approx(
        reference(x, y, s), abs=1e-12
    )


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_blocked_and_one_block_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 4)), rng.normal(0.2, size=(68, 4))
    labels = relabellings(60, 68, 5, seed=3)
    assert kernel_sums.layout(128) == (128, 128)
    whole = mmd.gaussian_sums(x, y, labels, 1.3).stats
    monkeypatch.setattr(kernel_sums, "BLOCK", 64)
    assert kernel_sums.layout(128) == (64, 128)
    blocked = mmd.gaussian_sums(x, y, labels, 1.3).stats
    np.testing.assert_allclose(blocked, whole, rtol=0, atol=1e-13)
    assert abs(blocked[0] - reference(x, y, 1.3)) <= 1e-12


def test_moving_one_draw_moves_the_statistic_by_at_most_4_over_n() -> None:
    # x_1 sits on the y's and far from the other x's, then moves onto them: the bound is met.
    n, m, s = 5, 4, 1.0
    x = np.zeros((n, 1))
    x[0] = 100.0
    y = np.full((m, 1), 100.0)
    moved = x.copy()
    moved[0] = 0.0
    jump = reference(moved, y, s) - reference(x, y, s)
    assert 4 / n - 1e-12 <= jump <= 4 / n
    assert abs(statistic(moved, y, s) - statistic(x, y, s) - jump) <= 1e-12


def test_interval_is_mcdiarmids_half_width() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(70, 2)), rng.normal(0.5, size=(50, 2))
    est = mmd_squared(x, y, bandwidth=1.0, level=0.9)
    half = 4 * math.sqrt((1 / 70 + 1 / 50) * math.log(2 / 0.1) / 2)
    stat = statistic(x, y, 1.0)
    assert est.value == pytest.approx(max(stat, 0.0), abs=1e-15)
    slack = est.upper_bound - (stat + half)  # the rounding allowance
    assert 0.0 <= slack <= 1e-10
    assert est.lower_bound == max(0.0, stat - half - slack)
    assert (est.kind, est.sides, est.level, est.n, est.m) == (
        "finite-sample",
        "two-sided",
        0.9,
        70,
        50,
    )
    assert est.assumption == "the kernel fixed independently of the draws"
    assert "median heuristic" in mmd_squared(x, y).assumption


def test_interval_covers_the_closed_form() -> None:
    mu, s0, s = np.array([0.6, -0.3, 0.0]), 1.0, 1.5
    exact = closed_form(mu, s0, s)
    stats = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(0, s0, size=(64, 3)), rng.normal(mu, s0, size=(64, 3))
        est = mmd_squared(x, y, bandwidth=s)
        assert est.lower_bound <= exact <= est.upper_bound
        stats.append(statistic(x, y, s))
    # Unbiased: the mean of 12 statistics, each of sd about 0.03, within 5 sd of MMD^2 (0.04).
    assert abs(np.mean(stats) - exact) <= 5 * 0.03 / math.sqrt(12)


@pytest.mark.parametrize("unit", [1e300, 1e-300, 2.0**-1060])
def test_statistic_is_scale_free_at_the_ends_of_float64(unit: float) -> None:
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(20, 3)), rng.normal(0.5, size=(25, 3))
    expected = reference(x, y, 0.8)
    tol = 1e-12 if unit > 1e-300 else 1e-3  # subnormal draws keep a few bits only
    assert abs(statistic(x * unit, y * unit, 0.8 * unit) - expected) <= tol
    assert mmd.median_bandwidth(x * unit, y * unit) > 0.0
    est = mmd_squared(x * unit, y * unit)
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound <= 2.0
    # s^2 underflows: the kernel is 1 on equal points, 0 elsewhere; S_xx = 2 of 3 * 2 pairs.
    assert mmd_squared([0.0, 0.0, 1.0], [2.0, 3.0], bandwidth=1e-200).value == pytest.approx(1 / 3)


def test_value_is_clamped_at_zero_and_the_interval_holds_it() -> None:
    rng = np.random.default_rng(4)
    stats, estimates = [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
        stats.append(statistic(x, y, 1.0))
        estimates.append(mmd_squared(x, y, bandwidth=1.0))
    assert min(stats) < 0  # the unbiased statistic is negative for some draws of P == Q
    for stat, est in zip(stats, estimates, strict=True):
        assert est.value == max(stat, 0.0)
        assert 0.0 == est.lower_bound <= est.value <= est.upper_bound <= 2.0


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_float32_is_within_its_rounding_bound() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(60, 5)), rng.normal(0.4, size=(50, 5))
    labels = np.arange(60)[None, :]
    wide, wide_dtype = (lambda s: (s.value, s.dtype))(mmd.gaussian_sums(x, y, labels, 2.0))
    with jax.enable_x64(False):
        sums = mmd.gaussian_sums(x, y, labels, 2.0)
        narrow, bound, dtype = sums.value, sums.error, sums.dtype
        est = mmd_squared(x, y, bandwidth=2.0)
        test = mmd_test(x, y, bandwidth=2.0, permutations=6)
    assert (dtype, wide_dtype) == ("float32", "float64")
    assert "float32" in test.method
    assert test.p_value == mmd_test(x, y, bandwidth=2.0, permutations=6).p_value == 1 / 7
    assert abs(narrow - wide) <= bound
    assert bound < 1e-5
    assert est.lower_bound <= wide <= est.upper_bound
    assert "float32" in est.method


def test_median_bandwidth_is_the_pooled_median_and_ignores_labels() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 2)), rng.normal(1.0, size=(20, 2))
    pooled = np.concatenate([x, y])
    assert mmd.median_bandwidth(x, y) == np.median(pdist(pooled))
    big = rng.normal(size=(2300, 3))
    split = mmd.median_bandwidth(big[:1000], big[1000:])
    shuffled = big[rng.permutation(2300)]
    assert mmd.median_bandwidth(shuffled[:1700], shuffled[1700:]) == split
    assert split == pytest.approx(np.median(pdist(big)), rel=0.05)
    big[:, 0] = np.round(big[:, 0])  # ties in the first coordinate: the lexicographic order
    split = mmd.median_bandwidth(big[:1000], big[1000:])
    shuffled = big[rng.permutation(2300)]
    assert mmd.median_bandwidth(shuffled[:1700], shuffled[1700:]) == split
    rows = np.array([[1.0, 5.0], [0.0, 9.0], [1.0, -2.0]])
    assert list(mmd._canonical_order(rows)) == [1, 2, 0]


def test_median_bandwidth_of_repeated_points() -> None:
    same = np.ones((6, 2))
    assert mmd.median_bandwidth(same, same) == 1.0
    est = mmd_squared(same, same)
    assert (est.value, est.lower_bound) == (0.0, 0.0)
    mostly = np.concatenate([np.zeros((8, 1)), [[3.0]]])
    assert mmd.median_bandwidth(mostly, mostly) == 3.0


def test_a_clear_shift_gives_the_smallest_p_value() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(30, 4)), rng.normal(2.0, size=(25, 4))
    result = mmd_test(x, y, permutations=19, seed=1)
    assert result.p_value == 1 / 20
    assert (result.parameters["permutations"], result.n, result.m) == (19, 30, 25)
    assert result.test == "permutation"
    assert result.statistic == pytest.approx(reference(x, y, mmd.median_bandwidth(x, y)))


def test_p_value_counts_the_relabellings_at_or_above() -> None:
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(9, 2))
    result = mmd_test(x, y, bandwidth=0.7, permutations=22, seed=5)
    labels = relabellings(12, 9, 22, seed=5)
    pooled = np.concatenate([x, y])
    stats = [reference(pooled[row], np.delete(pooled, row, axis=0), 0.7) for row in labels]
    expected = (1 + sum(t >= stats[0] - 1e-12 for t in stats[1:])) / 23
    assert result.p_value == pytest.approx(expected)
    assert 0.1 < result.p_value < 1  # the relabellings are counted, not all or none of them
    assert mmd_test(x, y, bandwidth=0.7, permutations=22, seed=5) == result


@pytest.mark.slow
def test_rejection_rate_under_the_null_is_binomial() -> None:
    p_values = []
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        x, y = rng.normal(size=(25, 2)), rng.normal(size=(35, 2))
        p_values.append(mmd_test(x, y, permutations=99, seed=seed).p_value)
    p = np.asarray(p_values)
    # P(p <= 0.05) = 0.05 and P(p <= 0.5) = 0.5 exactly: margins of about 4 binomial sd.
    assert np.count_nonzero(p <= 0.05) <= 13
    assert 30 <= np.count_nonzero(p <= 0.5) <= 70


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": [[0.0], [np.nan]]}, "x must be finite"),
        ({"x": np.zeros((3, 2, 1))}, "x must have shape"),
        ({"y": [[1.0, 2.0]] * 3}, "one dimension"),
        ({"x": [1.0]}, "x must hold at least 2 draws"),
        ({"y": [1.0]}, "y must hold at least 2 draws"),
        ({"bandwidth": 0.0}, "bandwidth must be a finite number > 0"),
        ({"bandwidth": -1.0}, "bandwidth must be a finite number > 0"),
        ({"bandwidth": math.inf}, "bandwidth must be a finite number > 0"),
        ({"bandwidth": "wide"}, "bandwidth must be a finite number > 0"),
        ({"bandwidth": True}, "bandwidth must be a finite number > 0"),
        ({"bandwidth": "1.0"}, "bandwidth must be a finite number > 0"),
    ],
)
def test_bad_input_is_refused_by_both(kwargs: dict, match: str) -> None:
    args = {"x": [0.0, 1.0, 2.0], "y": [0.5, 1.5, 3.0], "bandwidth": None} | kwargs
    x, y = args.pop("x"), args.pop("y")
    with pytest.raises(ValueError, match=match):
        mmd_squared(x, y, **args)
    with pytest.raises(ValueError, match=match):
        mmd_test(x, y, **args)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1, "high", True])
def test_bad_level_is_refused(level: object) -> None:
    with pytest.raises(ValueError, match="level must be a finite number in"):
        mmd_squared([0.0, 1.0], [1.0, 2.0], level=level)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"permutations": 0}, "permutations must be a positive integer"),
        ({"permutations": 2.5}, "permutations must be a positive integer"),
        ({"permutations": True}, "permutations must be a positive integer"),
        ({"permutations": "many"}, "permutations must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": 1.5}, "seed must be a non-negative integer"),
    ],
)
def test_bad_test_options_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mmd_test([0.0, 1.0], [1.0, 2.0], **kwargs)


def _samples(rows: st.SearchStrategy[int], dim: int) -> st.SearchStrategy[np.ndarray]:
    values = st.floats(allow_nan=False, allow_infinity=False, width=64)
    return rows.flatmap(lambda n: hnp.arrays(np.float64, (n, dim), elements=values))


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    dim = draw(st.integers(1, 3))
    return draw(_samples(st.integers(2, 12), dim)), draw(_samples(st.integers(2, 12), dim))


_bandwidths = st.none() | st.floats(0.0, exclude_min=True, allow_infinity=False)


@settings(max_examples=25)
@given(pair=_pairs(), bandwidth=_bandwidths, level=st.floats(0.01, 0.99))
def test_estimate_is_never_nan_and_ordered(
    pair: tuple[np.ndarray, np.ndarray], bandwidth: float | None, level: float
) -> None:
    est = mmd_squared(*pair, bandwidth=bandwidth, level=level)
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound <= 2.0


@settings(max_examples=25)
@given(pair=_pairs(), bandwidth=_bandwidths, permutations=st.integers(1, 20))
def test_p_value_is_in_the_unit_interval(
    pair: tuple[np.ndarray, np.ndarray], bandwidth: float | None, permutations: int
) -> None:
    result = mmd_test(*pair, bandwidth=bandwidth, permutations=permutations)
    assert math.isfinite(result.statistic)
    assert 0.0 < result.p_value <= 1.0
    assert result.p_value * (1 + permutations) == pytest.approx(
        round(result.p_value * (1 + permutations))
    )


# --- the normal interval ------------------------------------------------------------------------


def brute_variance(x: np.ndarray, y: np.ndarray, kernel) -> float:
    """The plug-in first-order variance from the whole kernel matrices, loop by loop."""
    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    f = [
        (sum(kxx[i, j] for j in range(n) if j != i)) / (n - 1) - kxy[i].sum() / m for i in range(n)
    ]
    g = [
        (sum(kyy[i, j] for j in range(m) if j != i)) / (m - 1) - kxy[:, i].sum() / n
        for i in range(m)
    ]
    return 4 * float(np.var(f, ddof=1)) / n + 4 * float(np.var(g, ddof=1)) / m


@pytest.mark.parametrize(
    ("n", "m", "d", "s"),
    [(3, 2, 1, 1.0), (9, 14, 3, 0.8), pytest.param(70, 66, 2, 1.5, marks=pytest.mark.slow)],
)
def test_variance_matches_the_whole_kernel_matrices(n: int, m: int, d: int, s: float) -> None:
    rng = np.random.default_rng(n * m)
    x, y = rng.normal(size=(n, d)), rng.normal(0.5, size=(m, d))
    sums = mmd.gaussian_sums(x, y, np.arange(n)[None, :], s)
    kernel = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * s * s))  # noqa: E731
    expected = brute_variance(x, y, kernel)
    assert kernel_interval.first_order_variance(sums.rows, n, m) == pytest.approx(
        expected, rel=1e-10
    )


def test_true_variance_closed_form_matches_monte_carlo() -> None:
    # f(X) of the first-order term, by its Gaussian integral, against 2e5 draws of X.
    d, delta, s = 2, 1.0, math.sqrt(2.0)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200_000, d))
    mu = np.full(d, delta / math.sqrt(d))
    a, c = 0.5 / (s * s + 1), s * s / (s * s + 1)
    f = c * (np.exp(-a * (x * x).sum(1)) - np.exp(-a * ((x - mu) ** 2).sum(1)))
    mc = 4 * f.var() * (2 / 5000)
    assert gaussian_mmd_squared_variance(delta, d, s, 5000, 5000) == pytest.approx(mc, rel=0.02)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_normal_interval_covers_and_is_narrower_than_mcdiarmids() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 0.5
    exact = closed_form(np.full(2, 0.5), 1.0, 1.0)
    wide = mmd_squared(x, y, bandwidth=1.0)
    narrow = mmd_squared(x, y, bandwidth=1.0, interval="normal")
    assert (narrow.kind, narrow.sides) == ("asymptotic", "two-sided")
    assert narrow.value == pytest.approx(wide.value, rel=1e-12)  # the sums in another order
    assert narrow.lower_bound <= exact <= narrow.upper_bound
    assert 5 * (narrow.upper_bound - narrow.lower_bound) < wide.upper_bound - wide.lower_bound
    z = 1.959963984540054
    half = z * math.sqrt(kernel_interval.first_order_variance(
        mmd.gaussian_sums(x, y, np.arange(300)[None, :], 1.0).rows, 300, 300
    ))  # fmt: skip
    root = math.sqrt(narrow.value)  # the square-root scale's interval, squared back
    assert narrow.upper_bound == pytest.approx((root + half / (2 * root)) ** 2, rel=1e-9)
    assert narrow.lower_bound == pytest.approx((root - half / (2 * root)) ** 2, rel=1e-9)


# In the slow tier: many permutations (the interval's coverage stays quick).
@pytest.mark.slow
def test_normal_interval_agrees_with_the_permutation_test() -> None:
    # Null pairs, pairs near the null and clear shifts at 250 draws (where the interval claims
    # its level): an interval that leaves out 0 comes with mmd_test rejecting at alpha / 2.
    above, kept = 0, 0
    for seed, shift in enumerate((0.0, 0.0, 0.0, 0.1, 0.15, 0.2, 0.5)):
        rng = np.random.default_rng(40 + seed)
        x, y = rng.normal(size=(250, 2)), rng.normal(size=(260, 2)) + shift
        p = mmd_test(x, y, bandwidth=1.0).p_value
        for level in (0.8, 0.9, 0.95):
            est = mmd_squared(x, y, bandwidth=1.0, interval="normal", level=level)
            assert est.kind == "asymptotic"
            if est.lower_bound > 0.0:
                assert p <= (1 - level) / 2
                above += 1
            else:
                kept += p > (1 - level) / 2
    assert above >= 3 and kept >= 3  # both sides of the rule were met


def test_normal_interval_keeps_0_where_the_test_does_not_reject() -> None:
    # A statistic far above its variance whose relabellings all reach it: the lower end stays 0.
    rows = np.array([[3.0, 2.0], [3.0, 2.0], [3.0, 1.0], [3.0, 1.0]])  # f = g = const: V = 0
    stats = np.array([0.5] + [0.6] * 200)
    sums = kernel_sums.KernelSums(stats, 0.0, rows, "float64", 0.5)
    value, lower, upper = kernel_interval.normal_interval(sums, 2, 2, 0.05, 1.0, 2.0)
    assert (value, lower) == (0.5, 0.0) and upper == pytest.approx(0.5, rel=1e-15)
    rejected = sums._replace(stats=np.array([0.5] + [0.1] * 200))
    ends = kernel_interval.normal_interval(rejected, 2, 2, 0.05, 1.0, 2.0)
    assert ends == pytest.approx((0.5, 0.5, 0.5), rel=1e-15)


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
def test_normal_interval_claims_where_measured_only() -> None:
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 1.0
    with pytest.warns(NoCoverageWarning, match="mmd_squared's interval is measured"):
        est = mmd_squared(x, y, bandwidth=1.0, interval="normal")
    assert (est.kind, est.sides, est.lower_bound, est.upper_bound) == (
        "no-coverage-claim",
        "none",
        0.0,
        2.0,
    )
    median = mmd_squared(x, y, interval="normal")
    assert median.kind == "plug-in-assumption" and median.lower_bound > 0.0
    with pytest.raises(ValueError, match="interval must be one of"):
        mmd_squared(x, y, interval="bernstein")


@settings(max_examples=25)
@given(pair=_pairs(), bandwidth=_bandwidths, level=st.floats(0.01, 0.99))
def test_normal_interval_is_never_nan_and_ordered(
    pair: tuple[np.ndarray, np.ndarray], bandwidth: float | None, level: float
) -> None:
    sums = mmd.gaussian_sums(
        *pair, relabellings(len(pair[0]), len(pair[1]), 20, 0), bandwidth or 1.0
    )
    ends = kernel_interval.normal_interval(sums, len(pair[0]), len(pair[1]), 1 - level, 1.0, 2.0)
    assert 0.0 <= ends[1] <= ends[0] <= ends[2] <= 2.0


def test_normal_interval_at_a_level_next_to_one_is_finite() -> None:
    # ndtri(1 - alpha/2) read 1 - alpha/2 as 1.0 below alpha = 2^-52: z = inf, and inf * 0
    # gave a NaN upper end for draws without spread.
    level = 1.0 - 2.0**-53
    for x, y in ((np.zeros((250, 2)), np.ones((250, 2))), (np.zeros((250, 2)), np.zeros((250, 2)))):
        est = mmd_squared(x, y, bandwidth=1.0, level=level, interval="normal")
        assert est.kind == "asymptotic"
        assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound < 2.0, est


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_a_noisy_copy_of_the_same_points_claims_nothing() -> None:
    # y_i = x_i + noise, N(0, I) against N(0, 1.09 I) in d = 8: the statistic far below 0, below
    # every relabelling's; independent draws cannot give that (the whole interval below 0).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8))
    y = x + 0.3 * rng.normal(size=(300, 8))
    with pytest.warns(NoCoverageWarning, match="the draws look dependent"):
        est = mmd_squared(x, y, bandwidth=math.sqrt(8.0), interval="normal")
    assert (est.kind, est.lower_bound, est.upper_bound) == ("no-coverage-claim", 0.0, 2.0)
    assert "reconstructions against their inputs" in est.assumption
    # McDiarmid's interval, 0.44 wide either side here, stays above 0: it keeps its claim
    assert mmd_squared(x, y, bandwidth=math.sqrt(8.0)).kind == "finite-sample"
