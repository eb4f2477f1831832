"""The Frechet distance of the Gaussian fits: its cross term against references, its rules, its range.

``frechet`` estimates FD = |mu_x - mu_y|^2 + tr S_x + tr S_y - 2 tr((S_x^(1/2) S_y S_x^(1/2))^(1/2))
from two samples. The tests check the cross term against SciPy's ``sqrtm`` and an mpmath
computation at 50 digits, the estimate against the closed form on large samples, the rules of
the input, and that the value and the ends are never NaN and never below 0, even for draws of
harsh scales, duplicated points and constant coordinates.
"""

from __future__ import annotations

import itertools
import math
import re
import tracemalloc
import warnings

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import divergences as dv
from divergences.estimate import NoCoverageWarning
from divergences.estimate._src import claims as table
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.frechet import trace
from divergences.estimate._src.frechet.groups import frechet_difference_refusal
from divergences.estimate._src.frechet.trace import cross_term, cross_terms
from divergences.estimate._src.reading import accumulate, union_moments
from tests.helpers import COVERAGE_TABLE

WIDE_CLAIMS = [(r.dimension, r.draws) for r in ASYMPTOTIC_CLAIMS["frechet"].ranges[1:]]


def claims(d, n):
    return table.ASYMPTOTIC_CLAIMS["frechet"].holds(d, n)


difference_refusal = frechet_difference_refusal


def _moments(x):
    """One sample's moments (a single batch), unscaled."""
    return union_moments(accumulate(x, batches=1, seed=0, name="x", shift=0).parts, x.shape[1])


def cross_by_sqrtm(x, y):
    """The cross term by SciPy's general matrix square root (a reference, not the method)."""
    sx, sy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(sx)
    return float(np.real(np.trace(scipy.linalg.sqrtm(root @ sy @ root))))


def cross_by_mpmath(x, y):
    """The cross term at 50 digits: symmetric eigendecompositions in mpmath."""
    with mpmath.workdps(50):

        def cov(z):
            z = mpmath.matrix(z.tolist())
            n, d = z.rows, z.cols
            mean = [mpmath.fsum(z[i, j] for i in range(n)) / n for j in range(d)]
            return mpmath.matrix(
                [
                    [mpmath.fsum((z[i, a] - mean[a]) * (z[i, b] - mean[b]) for i in range(n))
                     / (n - 1) for b in range(d)]
                    for a in range(d)
                ]
            )  # fmt: skip

        sx, sy = cov(x), cov(y)
        w, v = mpmath.eigsy(sx)
        root = v * mpmath.diag([mpmath.sqrt(max(e, 0)) for e in w]) * v.T
        mu, _ = mpmath.eigsy(root * sy * root)
        return float(mpmath.fsum(mpmath.sqrt(max(e, 0)) for e in mu))


@settings(max_examples=60, deadline=None)
@given(
    d=st.integers(1, 12),
    scale=st.integers(-300, 300),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_in_place_factorizations_meet_numpy_s(d, scale, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((d, d))
    a = np.ldexp(g @ g.T + 0.5 * np.eye(d), scale)
    g = rng.standard_normal((d, 2 * d))
    b = np.ldexp(g @ g.T / (2 * d), -scale)
    lower = trace.cholesky_lower(a.copy())
    assert lower is not None
    want = np.linalg.cholesky(a)
    np.testing.assert_allclose(lower, want, rtol=0, atol=1e-12 * np.abs(want).max())
    assert not np.any(np.triu(lower, 1))
    middle = trace.congruence(b.copy(), lower)
    want = np.tril(want.T @ b @ want)
    np.testing.assert_allclose(np.tril(middle), want, rtol=0, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("bad", ["indefinite", "zero", "nan", "inf"])
def test_cholesky_in_place_has_no_factor_for_a_matrix_without_one(bad):
    a = np.eye(4)
    if bad == "indefinite":
        a[3, 3] = -1e-300
    elif bad == "zero":
        a[:] = 0.0
    else:
        a[2, 1] = a[1, 2] = float(bad)
    assert trace.cholesky_lower(a) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_cross_term_matches_scipy_sqrtm(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 5))
    y = rng.standard_normal((80, 5)) * [1.0, 2.0, 0.5, 1.5, 3.0]
    got, slack = cross_term(_moments(x), _moments(y))
    assert got == pytest.approx(cross_by_sqrtm(x, y), rel=1e-11)
    assert 0.0 <= slack < 1e-10 * got


@pytest.mark.parametrize(("n", "m", "d"), [(7, 9, 3), (3, 4, 5), (2, 6, 4)])
def test_the_cross_term_matches_mpmath_also_below_d_draws(n, m, d):
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal((n, d)), 3.0 * rng.standard_normal((m, d)) + 1.0
    got, slack = cross_term(_moments(x), _moments(y))
    want = cross_by_mpmath(x, y)
    assert abs(got - want) <= 1e-12 * want + slack


def test_the_device_s_cross_terms_meet_mpmath_and_leave_the_rest_to_the_host(monkeypatch):
    # on this CPU as a device: Cholesky, L^T S_y L and eigvalsh in XLA, float64
    shapes = []
    spectra = trace._device_spectra
    monkeypatch.setattr(
        trace, "_device_spectra", lambda *a: shapes.append(a[0].shape) or spectra(*a)
    )
    rng = np.random.default_rng(7)
    x = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 5))
    y = rng.standard_normal((80, 5)) * [1.0, 2.0, 0.5, 1.5, 3.0]
    singular = x.copy()
    singular[:, 2] = 0.0  # an exactly 0 pivot: Cholesky stops on every backend
    few = rng.standard_normal((4, 5))  # its centred rows stand for the covariance
    pairs = [(x, y), (singular, y), (few, y)]
    got = cross_terms([(_moments(a), _moments(b)) for a, b in pairs], (jax.devices("cpu")[0],))
    for (a, b), (value, slack) in zip(pairs, got, strict=True):
        assert abs(value - cross_by_mpmath(a, b)) <= 1e-12 * value + slack
    assert got[1:] == [cross_term(_moments(a), _moments(b)) for a, b in pairs[1:]]
    assert shapes == [(2, 5, 5)]  # the two pairs with formed covariances, one program


def test_the_estimate_meets_the_closed_form_on_large_samples():
    rng = np.random.default_rng(0)
    d, n = 8, 40_000
    mean, scales = np.linspace(0.0, 0.5, d), np.linspace(0.5, 2.0, d)
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d)) * scales + mean
    truth = float(dv.frechet_distance(np.zeros(d), np.eye(d), mean, np.diag(scales**2)))
    est = dv.estimate.frechet(x, y)
    assert (est.quantity, est.kind, est.sides, est.n, est.m) == (
        "FD",
        "asymptotic",
        "two-sided",
        n,
        n,
    )
    assert est.claims_coverage and est.lower_bound <= truth <= est.upper_bound
    assert abs(est.value - truth) < 0.03 and est.upper_bound - est.lower_bound < 0.2


def test_the_bias_of_the_plug_in_is_removed():
    """In d = 64 at n = 1000 the plug-in FD is 1 + ~2.2 (its O(d^2/n) bias); the estimate is near 1.

    This draw's estimate sits 2.3 of its spreads below 1 (its error, not a bias: over 600
    repetitions the mean error was -0.07 spreads), so the interval asked is at 99%.
    """
    rng = np.random.default_rng(3)
    d, n = 64, 1000
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d)) + 1.0 / math.sqrt(d)
    plug = float(
        dv.frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    )
    est = dv.estimate.frechet(x, y, level=0.99)
    assert plug > 2.5 and abs(est.value - 1.0) < 0.4 and est.lower_bound <= 1.0 <= est.upper_bound


def test_the_line_gives_the_squared_differences_of_means_and_deviations():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(20_000), 2.0 * rng.standard_normal(20_000) + 1.0
    est = dv.estimate.frechet(x, y)  # (1 - 0)^2 + (2 - 1)^2
    assert est.lower_bound <= 2.0 <= est.upper_bound and abs(est.value - 2.0) < 0.1


def test_fewer_draws_than_coordinates_give_a_number_and_claim_nothing():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((30, 100)), rng.standard_normal((40, 100))
    with pytest.warns(NoCoverageWarning, match=r"frechet's interval is measured"):
        est = dv.estimate.frechet(x, y)
    assert (est.kind, est.sides, est.lower_bound, est.upper_bound) == (
        "no-coverage-claim",
        "none",
        0.0,
        math.inf,
    )
    assert math.isfinite(est.value) and est.value >= 0.0


def test_the_claim_starts_where_the_coverage_table_measured_it():
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((1000, 8)), rng.standard_normal((1000, 8))
    assert dv.estimate.frechet(x, y).kind == "asymptotic"
    with pytest.warns(NoCoverageWarning, match=r"in d <= 256 from n = 1000, d <= 768"):
        assert dv.estimate.frechet(x, y[:999]).kind == "no-coverage-claim"
    # Only B = 4 batches were measured: another number of them claims nothing.
    with pytest.warns(NoCoverageWarning, match=r"measured with batches=4 only.*batches=8"):
        unclaimed = dv.estimate.frechet(x, y, batches=8)
    assert unclaimed.kind == "no-coverage-claim" and math.isfinite(unclaimed.value)


def test_identical_samples_give_zero_and_one_law_nearly_zero_never_below():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4000, 4))
    same = dv.estimate.frechet(x, x.copy())  # the two fits agree: 0, and never below it
    assert same.lower_bound == same.value == 0.0 <= same.upper_bound < 0.01
    one_law = dv.estimate.frechet(x, rng.standard_normal((4000, 4)))
    assert one_law.lower_bound == 0.0 <= one_law.value < 0.01 and 0.0 < one_law.upper_bound < 0.05


def test_powers_of_two_scale_it_exactly_and_float32_is_read_as_float64():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((1000, 3)), rng.standard_normal((1000, 3)) + 0.5
    base = dv.estimate.frechet(x, y)
    for k in (-500, -20, 20, 480):
        scaled = dv.estimate.frechet(np.ldexp(x, k), np.ldexp(y, k))
        assert scaled.value == math.ldexp(base.value, 2 * k)
        assert scaled.upper_bound == math.ldexp(base.upper_bound, 2 * k)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    assert dv.estimate.frechet(x32, y32) == dv.estimate.frechet(
        x32.astype(np.float64), y32.astype(np.float64)
    )


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (np.zeros((20, 3)), np.zeros((20, 4)), {}, r"x and y must be draws in one dimension"),
        (np.zeros((1, 3)), np.zeros((20, 3)), {}, r"x must hold at least 8 draws \(4 batches"),
        (np.zeros((20, 3)), np.zeros((5, 3)), {}, r"y must hold at least 8 draws"),
        (np.full((20, 3), np.nan), np.zeros((20, 3)), {}, r"x must be finite: 20 of its 20"),
        (np.zeros((20, 3)), np.full((20, 3), np.inf), {}, r"y must be finite"),
        (np.zeros((20, 3)), np.zeros((20, 3)), {"batches": 1}, r"batches must be an integer >= 2"),
        (np.zeros((20, 3)), np.zeros((20, 3)), {"batches": 2.0}, r"batches must be an integer"),
        (np.zeros((20, 3)), np.zeros((20, 3)), {"level": 0.0}, r"level must be a finite number in"),
        (
            np.zeros((20, 3)),
            np.zeros((20, 3)),
            {"seed": -1},
            r"seed must be a non-negative integer",
        ),
    ],
)
def test_each_rule_names_its_argument(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dv.estimate.frechet(x, y, **kwargs)


def harsh_samples(draw, d):
    n = draw(st.integers(8, 24))
    base = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1.0, 1.0, width=64)))
    if draw(st.booleans()):  # duplicated points
        base[n // 2 :] = base[: n - n // 2]
    if draw(st.booleans()):  # a constant coordinate
        base[:, 0] = draw(st.floats(-1.0, 1.0))
    return base * draw(st.sampled_from([1e-150, 1e-10, 1.0, 1e10, 1e150]))


@st.composite
def harsh_pairs(draw):
    d = draw(st.integers(1, 6))
    return harsh_samples(draw, d), harsh_samples(draw, d)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@settings(max_examples=40)
@given(harsh_pairs())
def test_never_nan_and_never_below_zero(pair):
    x, y = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        est = dv.estimate.frechet(x, y)
    ends = (est.lower_bound, est.value, est.upper_bound)
    assert not any(math.isnan(v) for v in ends), est
    assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound, est


def test_a_level_next_to_one_keeps_the_interval_finite():
    # Student's ppf(1 - alpha/2) read 1 - alpha/2 as 1.0 below alpha = 2^-52: t = inf, an
    # upper end of inf, and inf * 0 = NaN for draws without spread.
    level = 1.0 - 2.0**-53
    rng = np.random.default_rng(6)
    pairs = ((np.zeros((1000, 2)), np.ones((1000, 2))), (rng.normal(size=(1000, 2)),) * 2)
    for x, y in pairs:
        est = dv.estimate.frechet(x, y, level=level)
        assert est.kind == "asymptotic"
        assert 0.0 <= est.lower_bound <= est.value <= est.upper_bound < math.inf, est


def test_ends_scaled_into_the_subnormals_round_outward():
    # The ends were scaled back to nearest: at 2^-540 an FD of about 2^-1081 gave [0, 0].
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((1000, 3)), rng.standard_normal((1000, 3)) + 0.5
    base = dv.estimate.frechet(x, y)
    for k in (-530, -540):
        scaled = dv.estimate.frechet(np.ldexp(x, k), np.ldexp(y, k))
        assert 0.0 < scaled.upper_bound and scaled.kind == "asymptotic"
        assert math.ldexp(scaled.upper_bound, -2 * k) >= base.upper_bound
        assert math.ldexp(scaled.lower_bound, -2 * k) <= base.lower_bound


def test_bfloat16_draws_are_read_as_their_float64_values():
    # bfloat16 was refused as not "real numbers" while float16 was read.
    rng = np.random.default_rng(7)
    x, y = (jnp.asarray(rng.normal(size=(1000, 2)), jnp.bfloat16) for _ in range(2))
    wide = dv.estimate.frechet(np.asarray(x, np.float64), np.asarray(y, np.float64))
    assert dv.estimate.frechet(x, y) == wide


def test_fewer_draws_than_coordinates_form_no_d_by_d_matrix():
    # Each batch's and each sample's d x d covariance was formed though its centred draws
    # stood in for it: 10 of them, 1.7 GB at d = 4000 from 8 draws, beyond memory at d = 16000.
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((8, 2000)), rng.standard_normal((8, 2000))
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoCoverageWarning)
            est = dv.estimate.frechet(x, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert est.value > 0.0 and peak < 2000 * 2000 * 8 / 4  # a quarter of one covariance


def pytorch_fid(mu1, s1, mu2, s2):
    """pytorch-fid's ``calculate_frechet_distance``, in float64 with SciPy's general ``sqrtm``."""
    diff = mu1 - mu2
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def fid_of_draws(x, y):
    return pytorch_fid(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))


@pytest.mark.parametrize(("n", "m", "d"), [(600, 500, 64), (40, 50, 64)])
def test_the_plug_in_is_pytorch_fid_s_formula(n, m, d):
    rng = np.random.default_rng(d + n)
    x = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) * 0.3
    y = rng.standard_normal((m, d)) * rng.uniform(0.5, 2.0, d) + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        est = dv.estimate.frechet(x, y)
    assert est.plug_in == pytest.approx(fid_of_draws(x, y), rel=1e-6)
    assert est.plug_in > est.value  # biased high, by about d^2 / (2 n) here
    assert str(est).endswith(f"; plug-in {est.plug_in:.4g}")  # the FID every tool prints


def test_a_stream_of_batches_gives_the_whole_array_s_statistics():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2003, 12)).astype(np.float32)
    y = (rng.standard_normal((1500, 12)) * 1.5 + 0.2).astype(np.float32)
    whole = dv.estimate.frechet(x, y, seed=3)
    sizes = [1, 7, 500, 95, 1400]  # batches of any sizes, the last one short
    cuts = np.cumsum([0, *sizes])
    streamed = dv.estimate.frechet(
        (x[a:b] for a, b in itertools.pairwise(cuts)),
        [y[:3], y[3:1000], y[1000:]],
        seed=3,
    )
    for got, want in zip(streamed[:3], whole[:3], strict=True):
        assert got == pytest.approx(want, rel=1e-9)
    assert streamed.plug_in == pytest.approx(whole.plug_in, rel=1e-9)
    assert streamed.kind == whole.kind and (streamed.n, streamed.m) == (whole.n, whole.m)


@pytest.mark.slow  # 1.6 s from a cold compile cache: over the quick tier's 1 s
def test_a_feature_map_over_inputs_is_read_a_batch_at_a_time():
    rng = np.random.default_rng(12)
    weights = rng.standard_normal((5, 8))
    inputs_x = [rng.standard_normal((300, 5)) for _ in range(4)]
    inputs_y = [rng.standard_normal((300, 5)) + 0.3 for _ in range(4)]
    seen = []

    def features(batch):
        seen.append(batch.shape[0])
        return np.tanh(batch @ weights)

    mapped = dv.estimate.frechet(inputs_x, inputs_y, features=features)
    whole = dv.estimate.frechet(
        np.tanh(np.concatenate(inputs_x) @ weights), np.tanh(np.concatenate(inputs_y) @ weights)
    )
    assert seen == [300] * 8 and mapped.value == pytest.approx(whole.value, rel=1e-9)


@pytest.mark.slow  # 1.7 s with the copy check's compile: over the quick tier's 1 s
def test_the_difference_pairs_the_reference_s_batches():
    rng = np.random.default_rng(13)
    r, a, b = (rng.standard_normal((3000, 6)) + s for s in (0.0, 0.1, 0.25))
    c = dv.estimate.frechet_difference(r, a, b, seed=2)
    truth = 6 * (0.1**2 - 0.25**2)
    d = c.difference
    assert d.quantity == "FD(A,R) - FD(B,R)" and d.kind == "asymptotic"
    assert d.lower_bound < truth < d.upper_bound < 0.0 and c.p_value < 0.05
    assert d.value == pytest.approx(c.a.value - c.b.value, abs=1e-12)
    assert d.plug_in == pytest.approx(c.a.plug_in - c.b.plug_in, abs=1e-12)
    # A's estimate is frechet's against the reference kept once, on the same batches
    alone = dv.estimate.frechet(dv.estimate.reference(r, seed=2), a, seed=2)
    assert alone.value == pytest.approx(c.a.value, rel=1e-9)
    # the paired interval is narrower than the two intervals' difference
    assert d.upper_bound - d.lower_bound < (c.a.upper_bound - c.a.lower_bound) + (
        c.b.upper_bound - c.b.lower_bound
    )
    swapped = dv.estimate.frechet_difference(r, b, a, seed=2)  # B no better than A: kept
    assert swapped.difference.lower_bound > 0.0 and swapped.p_value > 0.95
    # the other side: B is the nearer, and its own p-value says so; the two sum to 1 or more
    assert swapped.p_value_b is not None and swapped.p_value_b < 0.05
    assert swapped.p_value + swapped.p_value_b >= 1.0 and c.p_value + c.p_value_b >= 1.0


def test_the_difference_refuses_a_reference_without_batches(tmp_path):
    rng = np.random.default_rng(14)
    r, a = rng.standard_normal((100, 3)), rng.standard_normal((100, 3))
    np.savez(tmp_path / "s.npz", mu=r.mean(0), sigma=np.cov(r, rowvar=False))
    published = dv.estimate.load_reference(tmp_path / "s.npz")
    with pytest.raises(ValueError, match=r"reference must hold batches"):
        dv.estimate.frechet_difference(published, a, a)
    for name, args in (("a", (r, published, a)), ("b", (r, a, published))):
        with pytest.raises(ValueError, match=rf"^{name} must hold batches"):
            dv.estimate.frechet_difference(*args)
    with pytest.raises(ValueError, match=r"reference and b must be draws in one dimension"):
        dv.estimate.frechet_difference(r, a, np.zeros((100, 4)))


def _wide_rows():
    """The rows of the coverage table's "FD where FID lives": (d, n, rate, low, high)."""
    row = re.compile(
        r"^\| FD \| [^|]+ \| (\d+) \| (\d+) \| (\d+)/(\d+) = [\d.]+ \| (\d+) \| (\d+) \|"
    )
    out = []
    for line in COVERAGE_TABLE.read_text().splitlines():
        if m := row.match(line):
            d, n, covered, total, low, high = map(int, m.groups())
            out.append((d, n, covered / total, low / total, high / total))
    return out


@pytest.mark.parametrize(("top", "least"), WIDE_CLAIMS)
def test_each_wide_claim_is_measured_at_its_corner_and_each_end_holds(top, least):
    rows = _wide_rows()
    claimed = [r for r in rows if r[0] == top and r[1] >= least]
    assert sum(r[1] == least for r in claimed) >= 2, rows  # both law pairs at the corner
    for _, _, rate, low, high in claimed:
        assert rate >= 0.90 and low <= 0.035 and high <= 0.035
    assert claims(top, least) and claims(top, 50_000) and not claims(top, least - 1)


def test_the_wide_claims_stop_where_the_table_does():
    assert claims(256, 1000) and claims(768, 5000) and claims(1024, 10_000)
    assert not claims(300, 4999) and not claims(1024, 9999) and not claims(769, 9999)
    assert claims(2048, 10_000) and not claims(2048, 9999) and not claims(2049, 10**6)


def test_the_difference_claims_stop_where_its_rows_do():
    assert not difference_refusal(256, 1000, 4) and not difference_refusal(768, 5000, 4)
    assert not difference_refusal(2048, 10_000, 4) and not difference_refusal(1024, 10**5, 4)
    assert "frechet claims none" in difference_refusal(768, 4999, 4)
    assert "frechet claims none" in difference_refusal(2048, 9999, 4)


def test_the_difference_claims_only_where_the_table_measured_it(monkeypatch):
    rng = np.random.default_rng(21)
    r, a, b = (rng.standard_normal((1000, 3)) + s for s in (0.0, 0.2, 0.5))

    def streamed():  # batches read once: the copy check (its 200 relabellings) does not run
        return (iter(np.array_split(z, 2)) for z in (r, a, b))

    assert dv.estimate.frechet_difference(*streamed()).difference.kind == "asymptotic"
    # each distance claims in d = 3 from 1000 draws; the difference not so
    ranges = (table.Range(2, 1000, ""), table.Range(64, 2000, ""))
    monkeypatch.setitem(
        table._TABLE, "frechet_difference", table.Claim("frechet_difference", ranges)
    )
    match = (
        r"difference's interval is measured to hold in d <= 2 from n = 1000, d <= 64 from n = 2000"
    )
    with pytest.warns(NoCoverageWarning, match=match):
        out = dv.estimate.frechet_difference(*streamed())
    assert out.difference.kind == "no-coverage-claim" and out.p_value is None
    assert "not returned" in out.difference.method  # the p-value computed, not as the answer
    assert out.a.kind == out.b.kind == "asymptotic"
