"""The logistic law: its JAX side against scipy, its certified side against mpmath."""

import itertools
import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats

from divergences import continuous as dvc

C = dvc.certified
mp.mp.dps = 40


def _lpdf(mu, s):
    mu, s = mp.mpf(mu), mp.mpf(s)
    return lambda x: mp.exp(-(x - mu) / s) / (s * (1 + mp.exp(-(x - mu) / s)) ** 2)


def _lcdf(mu, s):
    mu, s = mp.mpf(mu), mp.mpf(s)
    return lambda x: 1 / (1 + mp.exp(-(x - mu) / s))


def _npdf(mu, s):
    mu, s = mp.mpf(mu), mp.mpf(s)
    return lambda x: mp.exp(-(((x - mu) / s) ** 2) / 2) / (s * mp.sqrt(2 * mp.pi))


def _quad(h, kinks=()):
    points = sorted([-20, -5, 0, 5, 20, *kinks])
    return float(mp.quad(h, [-mp.inf, *points, mp.inf]))


def _abs_difference(f, g):
    """``x -> |f(x) - g(x)|`` and the points where it has a kink, in [-30, 30]."""
    xs = [mp.mpf(k) / 4 + mp.mpf(1) / 7 for k in range(-120, 121)]  # off the round points
    kinks = [
        mp.findroot(lambda x: f(x) - g(x), (a, b), solver="illinois")
        for a, b in itertools.pairwise(xs)
        if (f(a) - g(a)) * (f(b) - g(b)) < 0
    ]
    return (lambda x: abs(f(x) - g(x))), kinks


def test_log_prob_cdf_sf_match_scipy():
    law, ref = dvc.Logistic(0.7, 1.3), stats.logistic(0.7, 1.3)
    x = np.array([-800.0, -40.0, -3.0, 0.0, 0.7, 2.5, 40.0, 800.0])
    np.testing.assert_allclose(law.log_prob(x), ref.logpdf(x), rtol=1e-13)
    np.testing.assert_allclose(law.cdf(x), ref.cdf(x), rtol=1e-13, atol=0)
    np.testing.assert_allclose(law.sf(x), ref.sf(x), rtol=1e-13, atol=0)
    assert law.support() == (-jnp.inf, jnp.inf)


def test_bad_parameters_name_the_argument():
    with pytest.raises(ValueError, match=r"^scale must be finite and > 0"):
        dvc.Logistic(0.0, -1.0)
    with pytest.raises(ValueError, match=r"^loc must be finite"):
        dvc.Logistic(math.inf, 1.0)


@pytest.mark.slow
def test_draws_follow_its_cdf():
    x = np.asarray(dvc.Logistic(1.0, 0.5).sample(jax.random.key(3), (20000,)))
    assert stats.kstest(x, stats.logistic(1.0, 0.5).cdf).pvalue > 1e-3


def test_shift_and_scale_stay_logistic():
    law = dvc.scale(dvc.shift(dvc.Logistic(1.0, 0.5), 2.0), 3.0)
    assert law == dvc.Logistic(9.0, 1.5)


@pytest.mark.slow
def test_fast_kl_and_w1_against_mpmath():
    p, q = dvc.Logistic(0.0, 1.0), dvc.Logistic(1.0, 2.0)
    lp, lq = _lpdf(0, 1), _lpdf(1, 2)
    kl = _quad(lambda x: lp(x) * mp.log(lp(x) / lq(x)))
    assert abs(float(dvc.kl(p, q).value) - kl) < 1e-10
    w1 = _quad(*_abs_difference(_lcdf(0, 1), _lcdf(1, 2)))
    assert abs(float(dvc.w1(p, q).value) - w1) < 1e-8


@pytest.mark.slow
def test_certified_kl_js_and_w1_enclose_mpmath():
    p, q = dvc.Logistic(0.0, 1.0), dvc.Normal(0.5, 2.0)
    lp, lq = _lpdf(0, 1), _npdf(0.5, 2)
    kl = _quad(lambda x: lp(x) * mp.log(lp(x) / lq(x)))
    js = _quad(
        lambda x: (
            (
                lp(x) * mp.log(2 * lp(x) / (lp(x) + lq(x)))
                + lq(x) * mp.log(2 * lq(x) / (lp(x) + lq(x)))
            )
            / 2
        )
    )
    for e, ref in ((C.kl(p, q, rtol=1e-10), kl), (C.js_divergence(p, q, rtol=1e-10), js)):
        assert e.lower_bound <= ref <= e.upper_bound, (e, ref)
        assert e.upper_bound - e.lower_bound < 1e-8 * ref
    e = C.w1(p, q, rtol=1e-10)
    ref = _quad(*_abs_difference(_lcdf(0, 1), lambda x: mp.ncdf((x - mp.mpf(0.5)) / 2)))
    assert e.lower_bound <= ref <= e.upper_bound, (e, ref)


def test_certified_w1_of_a_shift_is_the_shift():
    e = C.w1(dvc.Logistic(0.0, 1.0), dvc.Logistic(2.5, 1.0))
    assert e.method == "closed form" and e.contains(2.5)
