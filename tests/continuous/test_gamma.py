"""What is particular to the gamma law: its closed forms and its derivatives, against mpmath."""

import itertools

import jax
import mpmath
import numpy as np
import pytest

from divergences import continuous as dvc
from divergences.continuous import certified

PAIRS = [
    ((2.5, 1.5), (4.0, 0.75)),  # the distribution functions cross once
    ((0.5, 2.0), (3.0, 1.0)),  # a density unbounded at 0, crossing once
    ((2.0, 1.0), (3.0, 1.0)),  # one scale: stochastically ordered, W1 = |mean difference|
]


def _mp_w1(kp, tp, kq, tq):
    """W1 by mpmath at 40 digits, split where the distribution functions cross."""
    with mpmath.workdps(40):

        def d(x):
            return mpmath.gammainc(kp, 0, x / tp, regularized=True) - mpmath.gammainc(
                kq, 0, x / tq, regularized=True
            )

        grid = [mpmath.mpf(x) for x in np.linspace(0, 40, 81)[1:]]
        pairs = itertools.pairwise(grid)
        cuts = [mpmath.findroot(d, (a, b), solver="anderson") for a, b in pairs if d(a) * d(b) < 0]
        points = [0, *cuts, 40, mpmath.inf]
        return float(sum(abs(mpmath.quad(d, [a, b])) for a, b in itertools.pairwise(points)))


# In the slow tier: Gamma's certified programs compile for seconds.
@pytest.mark.slow
@pytest.mark.parametrize(("p", "q"), PAIRS)
def test_certified_w1_at_full_precision_matches_mpmath(p, q):
    ref = _mp_w1(*p, *q)
    e = certified.w1(dvc.Gamma(*p), dvc.Gamma(*q))
    assert e.method == "closed form"
    assert e.lower_bound <= ref <= e.upper_bound
    assert e.upper_bound - e.lower_bound <= 1e-12 * e.upper_bound
    assert float(dvc.w1(dvc.Gamma(*p), dvc.Gamma(*q)).value) == pytest.approx(ref, rel=1e-9)


def test_certified_kl_closed_form_matches_mpmath():
    (kp, tp), (kq, tq) = PAIRS[1]
    with mpmath.workdps(30):

        def logp(k, t, x):
            return (k - 1) * mpmath.log(x) - x / t - mpmath.loggamma(k) - k * mpmath.log(t)

        ref = mpmath.quad(
            lambda x: mpmath.exp(logp(kp, tp, x)) * (logp(kp, tp, x) - logp(kq, tq, x)),
            [0, 1e-6, 0.01, 1, 5, 20, mpmath.inf],
        )
    e = certified.kl(dvc.Gamma(kp, tp), dvc.Gamma(kq, tq))
    assert e.lower_bound <= float(ref) <= e.upper_bound


@pytest.mark.slow
def test_gradients_in_shape_and_scale_match_mpmath_derivatives():
    (kp, tp), (kq, tq) = PAIRS[0]
    q = dvc.Gamma(kq, tq)
    grad = jax.grad(lambda k, t: dvc.w1(dvc.Gamma(k, t), q).value, argnums=(0, 1))(kp, tp)
    with mpmath.workdps(20):
        dk = mpmath.diff(lambda k: _mp_w1(k, tp, kq, tq), kp, h=1e-6)
        dt = mpmath.diff(lambda t: _mp_w1(kp, t, kq, tq), tp, h=1e-6)
    assert np.all(np.isfinite(grad))
    assert float(grad[0]) == pytest.approx(float(dk), rel=1e-6)
    assert float(grad[1]) == pytest.approx(float(dt), rel=1e-6)
    # the distribution function's derivative in the shape (NaN before the gamma law's own fix)
    with mpmath.workdps(20):
        ref = mpmath.diff(lambda k: mpmath.gammainc(k, 0, 1.3 / tp, regularized=True), kp)
    assert float(jax.grad(lambda k: dvc.Gamma(k, tp).cdf(1.3))(kp)) == pytest.approx(
        float(ref), rel=1e-9
    )


# In the slow tier: Gamma's programs compile for seconds (its contract is test_law_contract.py's).
@pytest.mark.slow
def test_a_gamma_law_of_shape_one_is_the_exponential_law():
    g, e = dvc.Gamma(1.0, 2.0, loc=0.5), dvc.Exponential(0.5, loc=0.5)
    x = np.array([0.5, 0.7, 3.0, 20.0])
    np.testing.assert_allclose(g.log_prob(x), e.log_prob(x), rtol=1e-14)
    assert certified.kl(g, e, atol=1e-15).upper_bound < 1e-15


@pytest.mark.parametrize("bad", [dict(shape=0.0), dict(scale=-1.0), dict(loc=np.inf)])
def test_bad_parameters_name_the_argument(bad):
    args = dict(shape=2.0, scale=1.0, loc=0.0) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        dvc.Gamma(**args)
