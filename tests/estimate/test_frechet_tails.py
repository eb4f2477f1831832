"""FD's guard against heavy radial tails: the groups' traces' spread, and the claim it withholds.

The measure is checked against a direct computation on the draws, near 1 on Gaussian draws and
far above its bound on an elliptical t law, invariant to the draws' scale, finite or None on
harsh draws; ``frechet`` and ``frechet_difference`` then claim nothing, and say why. The rule
weighing the batches by size holds where it was measured (d <= 64) and only where the jackknife
runs. Where a sample has no groups (above d = 256) the measure is read from its kept draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import divergences as dv
from divergences.estimate._src.frechet.distance import paired_parts, read_samples
from divergences.estimate._src.frechet.first_order import KEPT_DRAWS
from divergences.estimate._src.frechet.groups import (
    FIRST_ORDER_FROM,
    GROUPS,
    GROUPS_UP_TO,
    kept_draws,
)
from divergences.estimate._src.frechet.tails import (
    RADIAL_SPREAD_AT_MOST,
    radial_spread,
    tails_refusal,
)
from divergences.estimate._src.reading import batch_labels


def _moments(x, seed=0):
    return read_samples([(x, "x", seed)], 4)[0].moments


def _elliptical(rng, n, d, df=8.0):
    """A multivariate t(df): one radius a draw, shared by its coordinates."""
    return rng.standard_normal((n, d)) * np.sqrt(df / rng.chisquare(df, (n, 1)))


def test_the_spread_is_its_formula_on_the_draws():
    rng = np.random.default_rng(0)
    n, d = 990, 9
    x = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 3.0
    labels = batch_labels(0, n, GROUPS, 0)
    groups = [x[labels == g] for g in range(GROUPS)]
    sizes = np.array([len(g) for g in groups], float)
    traces = np.array([np.trace(np.cov(g, rowvar=False)) for g in groups])
    nu = n - GROUPS
    pooled = sum((len(g) - 1) * np.cov(g, rowvar=False) for g in groups) / nu
    square = nu**2 / ((nu - 1) * (nu + 2)) * (np.sum(pooled**2) - np.trace(pooled) ** 2 / nu)
    mean = sizes @ traces / sizes.sum()
    expected = np.sum((sizes - 1) * (traces - mean) ** 2) / (GROUPS - 1) / (2 * square)
    assert radial_spread(_moments(x)) == pytest.approx(expected, rel=1e-9)


def test_gaussian_draws_spread_about_one_and_elliptical_t_far_above_the_bound():
    rng = np.random.default_rng(1)
    gaussian = [radial_spread(_moments(rng.standard_normal((2000, 32)))) for _ in range(6)]
    # about chi^2_31 / 31: below 0.35 or above 2.0 in under 0.1% of draws
    assert all(0.35 < r < 2.0 for r in gaussian)
    assert 0.6 < float(np.mean(gaussian)) < 1.4
    # Var |x|^2 / (2 tr Sigma^2) of t(8) in d = 32: about 9 (4.5 to 17 in 98% of draws of 1000)
    heavy = [radial_spread(_moments(_elliptical(rng, 2000, 32))) for _ in range(3)]
    assert min(heavy) > RADIAL_SPREAD_AT_MOST and float(np.mean(heavy)) > 6.0


def test_the_spread_does_not_depend_on_the_draws_scale():
    x = np.random.default_rng(2).standard_normal((800, 8))
    one = radial_spread(_moments(x))
    assert radial_spread(_moments(x * 1e-30)) == pytest.approx(one, rel=1e-9)
    assert radial_spread(_moments(x * 3e20)) == pytest.approx(one, rel=1e-9)


def test_no_spread_without_the_groups():
    # d = 4: the groups are the 4 batches; a sample with no spread at all
    assert radial_spread(_moments(np.random.default_rng(3).standard_normal((500, 4)))) is None
    assert radial_spread(_moments(np.ones((500, 8)))) is None
    assert tails_refusal(_moments(np.ones((500, 8)))) == ""


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(64, 160), st.integers(8, 10)),
        elements=st.one_of(
            st.just(0.0),
            st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
            st.sampled_from([1e-300, -1e300, 5e-324]),
        ),
    )
)
def test_the_spread_is_finite_and_at_least_zero_or_none_on_harsh_draws(x):
    spread = radial_spread(_moments(x))
    assert spread is None or (np.isfinite(spread) and spread >= 0.0)


def test_frechet_claims_nothing_on_heavy_radial_tails_and_says_why():
    rng = np.random.default_rng(4)
    x, y = _elliptical(rng, 2000, 32), _elliptical(rng, 2000, 32) + 0.2
    with pytest.warns(dv.estimate.NoCoverageWarning, match="heavy radial tails"):
        fd = dv.estimate.frechet(x, y)
    assert fd.kind == "no-coverage-claim" and (fd.lower_bound, fd.upper_bound) == (0.0, np.inf)
    gx, gy = rng.standard_normal((2000, 32)), rng.standard_normal((2000, 32)) + 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dv.estimate.frechet(gx, gy).kind == "asymptotic"


def test_frechet_difference_claims_nothing_where_the_reference_has_heavy_radial_tails():
    rng = np.random.default_rng(5)
    r = _elliptical(rng, 1000, 16)
    a, b = _elliptical(rng, 1000, 16) + 0.1, _elliptical(rng, 1000, 16) + 0.3
    with pytest.warns(dv.estimate.NoCoverageWarning, match="heavy radial tails"):
        c = dv.estimate.frechet_difference(r, a, b)
    assert c.difference.kind == "no-coverage-claim" and c.p_value is None


@pytest.mark.parametrize(
    ("d", "expected", "words"),
    [
        (4, False, "over the 4 batches"),
        (8, True, "weighted by their shares of the draws"),
        (FIRST_ORDER_FROM, True, "the delta method's"),
        (GROUPS_UP_TO + 1, True, "the delta method's"),
    ],
)
def test_the_batches_are_weighted_by_size_where_the_jackknife_or_the_delta_method_runs(
    d, expected, words
):
    """By size wherever the batches' weights are modelled: the jackknife's, the pairs' part."""
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((1000, d)), rng.standard_normal((1000, d))
    rx, ry = read_samples([(x, "x", 0), (y, "y", 1)], 4, keep=kept_draws(4))
    kept = None if rx.kept is None else (rx.kept, ry.kept)
    parts = paired_parts(rx.moments, ry.moments, 4, kept)
    assert parts.by_size is expected
    with warnings.catch_warnings():  # d = 257 from 1000 draws: no claim, and a warning
        warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
        assert words in dv.estimate.frechet(x, y).method


def _read_kept(x, seed=0):
    read = read_samples([(x, "x", seed)], 4, keep=KEPT_DRAWS)[0]
    return read.moments, read.kept


def test_without_groups_the_spread_is_read_from_the_kept_draws():
    """Above d = 256 (the 4 batches alone): the squared radii's variance over the kept draws."""
    rng = np.random.default_rng(11)
    d = GROUPS_UP_TO + 1
    x = rng.standard_normal((3000, d)) * np.linspace(0.5, 2.0, d) + 1.0
    moments, kept = _read_kept(x)
    assert len(moments.parts) == 4 and radial_spread(moments) is None
    cov = np.cov(x, rowvar=False)
    nu = x.shape[0] - 1
    square = nu**2 / ((nu - 1) * (nu + 2)) * (np.sum(cov**2) - np.trace(cov) ** 2 / nu)
    radii = np.sum((np.ldexp(kept, moments.shift) - x.mean(0)) ** 2, axis=1)  # as drawn
    expected = np.var(radii, ddof=1) / (2 * square)
    assert radial_spread(moments, kept) == pytest.approx(expected, rel=1e-9)
    assert 0.8 < expected < 1.25  # Gaussian
    assert radial_spread(moments, kept[:199]) is None  # too few kept draws
    heavy, heavy_kept = _read_kept(_elliptical(rng, 3000, d))
    assert radial_spread(heavy, heavy_kept) > 5 * RADIAL_SPREAD_AT_MOST
    assert "kept draws" in tails_refusal(moments, heavy, kept=(kept, heavy_kept))


@pytest.mark.slow  # d = 300 at n = 5000: about 1.5 s
def test_frechet_withholds_heavy_radial_tails_above_the_groups():
    rng = np.random.default_rng(12)
    d = 300
    x, y = _elliptical(rng, 5000, d), _elliptical(rng, 5000, d) + 0.05
    with pytest.warns(dv.estimate.NoCoverageWarning, match="heavy radial tails"):
        est = dv.estimate.frechet(x, y)
    assert est.kind == "no-coverage-claim"
    assert dv.estimate.frechet(rng.standard_normal((5000, d)), y * 0 + 0.1).claims_coverage
