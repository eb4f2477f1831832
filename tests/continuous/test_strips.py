"""Certified KL and chi-square between a beta law and any other law, against mpmath and closed forms.

The strips at a beta law's ends are enclosed from power envelopes (``_src/strips.py``); each
case is checked against an independent reference: mpmath's tanh-sinh quadrature at 40 digits,
split at the support's ends (where the singularities sit; 60 digits, which the nodes next to an
end at 1 need), and a closed form where one exists.
"""

import math

import hypothesis.strategies as hs
import mpmath as mp
import pytest
from hypothesis import given, settings
from scipy import special

from divergences import continuous as dvc

C = dvc.certified
DPS = 60  # tanh-sinh nodes next to an end at 1 spend digits on 1 - x


def _beta(a, b, lo=0, hi=1):
    a, b, lo, hi = (mp.mpf(v) for v in (a, b, lo, hi))
    w = hi - lo
    return lambda x: ((x - lo) / w) ** (a - 1) * (1 - (x - lo) / w) ** (b - 1) / (mp.beta(a, b) * w)


def _uniform(lo=0, hi=1):
    return lambda x: 1 / (mp.mpf(hi) - mp.mpf(lo))


def _normal(mu, s):
    mu, s = mp.mpf(mu), mp.mpf(s)
    return lambda x: mp.npdf(x, mu, s)


def _laplace(mu, s):
    mu, s = mp.mpf(mu), mp.mpf(s)
    return lambda x: mp.exp(-abs(x - mu) / s) / (2 * s)


def _quad(h, lo, hi, kinks=()):
    """int_lo^hi h, split in two and at ``kinks``: tanh-sinh takes the endpoint singularities."""
    with mp.workdps(DPS):
        lo, hi = mp.mpf(lo), mp.mpf(hi)
        return mp.quad(h, sorted({lo, (lo + hi) / 2, hi, *(mp.mpf(k) for k in kinks)}))


def _kl_ref(p, q, lo, hi, kinks=()):
    return float(_quad(lambda x: p(x) * mp.log(p(x) / q(x)), lo, hi, kinks))


def _chi_ref(p, q, lo, hi, kinks=()):
    return float(_quad(lambda x: p(x) ** 2 / q(x), lo, hi, kinks) - 1)


def _holds(e, ref, rtol=1e-12):
    """``ref`` inside the enclosure, whose width meets ``rtol`` (where ``ref`` is not about 0)."""
    assert e.lower_bound <= ref <= e.upper_bound, (e, ref)
    assert e.upper_bound - e.lower_bound <= rtol * max(abs(ref), 1e-6), (e, ref)


def _kinks(q):
    """Where the reference law's density has a kink (a Laplace law's centre)."""
    return (float(q.loc),) if isinstance(q, dvc.Laplace) else ()


def _entropy_beta(a, b):
    return (
        special.betaln(a, b)
        - (a - 1) * special.digamma(a)
        - (b - 1) * special.digamma(b)
        + (a + b - 2) * special.digamma(a + b)
    )


# (p, q, mpmath p, mpmath q, the support of p)
_KL_CASES = {
    "beta(0.5,2)||U": (dvc.Beta(0.5, 2.0), dvc.Uniform(0.0, 1.0), _beta(0.5, 2), _uniform(), 0, 1),
    "U||beta(0.5,2)": (dvc.Uniform(0.0, 1.0), dvc.Beta(0.5, 2.0), _uniform(), _beta(0.5, 2), 0, 1),
    "beta(0.5,2)||N": (
        dvc.Beta(0.5, 2.0),
        dvc.Normal(0.5, 1.0),
        _beta(0.5, 2),
        _normal(0.5, 1),
        0,
        1,
    ),
    "beta(2,3)||U": (dvc.Beta(2.0, 3.0), dvc.Uniform(0.0, 1.0), _beta(2, 3), _uniform(), 0, 1),
    "U||beta(2,3)": (dvc.Uniform(0.0, 1.0), dvc.Beta(2.0, 3.0), _uniform(), _beta(2, 3), 0, 1),
    "beta(1,0.3)||U": (dvc.Beta(1.0, 0.3), dvc.Uniform(0.0, 1.0), _beta(1, 0.3), _uniform(), 0, 1),
    "beta(3,1)||beta(1.5,0.7) on [0,2]": (
        dvc.Beta(3.0, 1.0, 0.0, 1.0),
        dvc.Beta(1.5, 0.7, 0.0, 2.0),
        _beta(3, 1),
        _beta(1.5, 0.7, 0, 2),
        0,
        1,
    ),
    "beta(0.7,1.8)[-2,3]||N": (
        dvc.Beta(0.7, 1.8, -2.0, 3.0),
        dvc.Normal(0.5, 2.0),
        _beta(0.7, 1.8, -2, 3),
        _normal(0.5, 2),
        -2,
        3,
    ),
    "beta(2.5,0.6)[-2,3]||Laplace": (
        dvc.Beta(2.5, 0.6, -2.0, 3.0),
        dvc.Laplace(1.0, 1.5),
        _beta(2.5, 0.6, -2, 3),
        _laplace(1, 1.5),
        -2,
        3,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_KL_CASES))
def test_kl_with_a_beta_law_encloses_mpmath(case):
    p, q, fp, fq, lo, hi = _KL_CASES[case]
    _holds(C.kl(p, q), _kl_ref(fp, fq, lo, hi, _kinks(q)))


@pytest.mark.slow
def test_kl_against_a_uniform_law_is_minus_the_entropy():
    # KL(Beta || U(0, 1)) = -h(Beta); KL(U(0, 1) || Beta(a, b)) = log B(a, b) + (a - 1) + (b - 1),
    # since int_0^1 log x dx = -1.
    for a, b in ((0.3, 0.4), (1.0, 1.0), (2.0, 3.0)):
        _holds(C.kl(dvc.Beta(a, b), dvc.Uniform(0.0, 1.0)), -_entropy_beta(a, b), 1e-11)
        _holds(C.kl(dvc.Uniform(0.0, 1.0), dvc.Beta(a, b)), special.betaln(a, b) + a + b - 2, 1e-11)


@pytest.mark.slow
def test_kl_of_a_mixture_with_a_beta_component_both_ways():
    p = dvc.Mixture([0.3, 0.7], (dvc.Beta(0.5, 3.0), dvc.Normal(0.0, 1.0)))
    q = dvc.Normal(0.2, 1.5)
    fb, fn, fq = _beta(0.5, 3), _normal(0, 1), _normal(0.2, 1.5)

    def fp(x):
        return mp.mpf("0.3") * (fb(x) if 0 < x < 1 else 0) + mp.mpf("0.7") * fn(x)

    e = C.kl(p, q, rtol=1e-10)
    with mp.workdps(DPS):
        h = lambda x: fp(x) * mp.log(fp(x) / fq(x))  # noqa: E731
        ref = float(mp.quad(h, [-mp.inf, -4, 0]) + _quad(h, 0, 1) + mp.quad(h, [1, 4, mp.inf]))
    _holds(e, ref, 1e-10)
    assert C.kl(q, p).method == "arb integration + analytic tails"
    with mp.workdps(DPS):
        g = lambda x: fq(x) * mp.log(fq(x) / fp(x))  # noqa: E731
        ref = float(mp.quad(g, [-mp.inf, -4, 0]) + _quad(g, 0, 1) + mp.quad(g, [1, 4, mp.inf]))
    _holds(C.kl(q, p, rtol=1e-10), ref, 1e-10)


_CHI_CASES = {
    "beta(2,3)||U": (dvc.Beta(2.0, 3.0), dvc.Uniform(0.0, 1.0), _beta(2, 3), _uniform(), 0, 1),
    "U||beta(1.5,0.8)": (
        dvc.Uniform(0.0, 1.0),
        dvc.Beta(1.5, 0.8),
        _uniform(),
        _beta(1.5, 0.8),
        0,
        1,
    ),
    "beta(0.8,2)[-2,3]||N": (
        dvc.Beta(0.8, 2.0, -2.0, 3.0),
        dvc.Normal(0.0, 2.0),
        _beta(0.8, 2, -2, 3),
        _normal(0, 2),
        -2,
        3,
    ),
    "beta(2,0.9)[-2,3]||Laplace": (
        dvc.Beta(2.0, 0.9, -2.0, 3.0),
        dvc.Laplace(0.0, 2.0),
        _beta(2, 0.9, -2, 3),
        _laplace(0, 2),
        -2,
        3,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_CHI_CASES))
def test_chi_square_with_a_beta_law_encloses_mpmath(case):
    p, q, fp, fq, lo, hi = _CHI_CASES[case]
    _holds(C.chi_square(p, q), _chi_ref(fp, fq, lo, hi, _kinks(q)))


@pytest.mark.slow
def test_chi_square_against_a_uniform_law_is_a_ratio_of_beta_functions():
    # int_0^1 p^2 = B(2a - 1, 2b - 1) / B(a, b)^2, finite for a, b > 1/2.
    for a, b in ((0.6, 0.6), (0.8, 0.9), (2.0, 3.0)):
        ref = math.exp(special.betaln(2 * a - 1, 2 * b - 1) - 2 * special.betaln(a, b)) - 1
        _holds(C.chi_square(dvc.Beta(a, b), dvc.Uniform(0.0, 1.0)), ref, 1e-11)
    # chi^2(U || Beta(3/2, 1)) = B(3/2, 1) int_0^1 x^(-1/2) dx - 1 = (2/3) 2 - 1 = 1/3
    _holds(C.chi_square(dvc.Uniform(0.0, 1.0), dvc.Beta(1.5, 1.0)), 1 / 3)


@pytest.mark.parametrize(
    ("p", "q", "method"),
    [
        # 2 (a_p - 1) - (a_q - 1) <= -1 at 0: p^2 / q ~ x^(-1), x^(-1) and x^(-1.5)
        (dvc.Beta(0.5, 2.0), dvc.Uniform(0.0, 1.0), "infinite: singular edge"),
        (dvc.Uniform(0.0, 1.0), dvc.Beta(2.0, 3.0), "infinite: singular edge"),
        (dvc.Beta(0.4, 2.0, -2.0, 3.0), dvc.Normal(0.0, 1.0), "infinite: singular edge"),
        (dvc.Beta(2.0, 2.0), dvc.Beta(1.0, 2.0, 0.0, 0.5), "infinite: support"),
        (dvc.Normal(0.0, 1.0), dvc.Beta(2.0, 2.0), "infinite: support"),
    ],
)
def test_chi_square_infinite_cases_are_decided_from_the_exponents(p, q, method):
    assert C.chi_square(p, q).method == method


def test_chi_square_at_the_edge_of_integrability_is_finite():
    # 2 (a_p - 1) - (a_q - 1) = -0.98 > -1: finite, with most of it next to the end.
    p, q = dvc.Beta(0.51, 1.0), dvc.Uniform(0.0, 1.0)
    ref = math.exp(special.betaln(0.02, 1.0) - 2 * special.betaln(0.51, 1.0)) - 1
    _holds(C.chi_square(p, q, rtol=1e-8), ref, 1e-8)


@pytest.mark.parametrize(
    ("p", "q"),
    [
        (dvc.Beta(2.0, 2.0), dvc.Beta(1.0, 2.0, 0.0, 0.5)),
        (dvc.Normal(0.0, 1.0), dvc.Beta(0.5, 0.5)),
        (dvc.Beta(0.5, 0.5, -1.0, 1.0), dvc.Uniform(0.0, 1.0)),
    ],
)
def test_kl_is_infinite_only_where_the_supports_do_not_nest(p, q):
    assert C.kl(p, q).method == "infinite: support"


def _kl_beta_normal(a, b, mu, sigma):
    """KL(Beta(a, b) || N(mu, sigma^2)) = -h + log(sigma sqrt(2 pi)) + E(X - mu)^2 / (2 sigma^2)."""
    with mp.workdps(DPS):
        a, b, mu, sigma = (mp.mpf(v) for v in (a, b, mu, sigma))
        mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
        entropy = (
            mp.log(mp.beta(a, b))
            - (a - 1) * mp.digamma(a)
            - (b - 1) * mp.digamma(b)
            + (a + b - 2) * mp.digamma(a + b)
        )
        return float(
            -entropy
            + mp.log(sigma * mp.sqrt(2 * mp.pi))
            + (var + (mean - mu) ** 2) / (2 * sigma**2)
        )


def test_kl_against_a_normal_law_is_a_closed_form():
    # The closed form, where mpmath's quadrature at 60 digits is off by 1e-12 (a = b = 0.203125).
    e = C.kl(dvc.Beta(0.203125, 0.203125), dvc.Normal(0.3, 0.8), rtol=1e-10)
    _holds(e, _kl_beta_normal(0.203125, 0.203125, 0.3, 0.8), 1e-10)


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(hs.floats(0.2, 8.0), hs.floats(0.2, 8.0))
def test_kl_and_chi_square_of_any_beta_against_a_uniform_and_a_normal(a, b):
    # References in closed form (entropy, moments, beta functions); mpmath's quadrature only for
    # chi-square against the normal law where the integrand is bounded (a, b >= 1).
    beta, u, n = dvc.Beta(a, b), dvc.Uniform(0.0, 1.0), dvc.Normal(0.3, 0.8)
    _holds(C.kl(beta, u, rtol=1e-10), -_entropy_beta(a, b), 1e-10)
    _holds(C.kl(u, beta, rtol=1e-10), special.betaln(a, b) + a + b - 2, 1e-10)
    _holds(C.kl(beta, n, rtol=1e-10), _kl_beta_normal(a, b, 0.3, 0.8), 1e-10)
    chi_u, chi_n = C.chi_square(beta, u, rtol=1e-10), C.chi_square(beta, n, rtol=1e-10)
    if min(a, b) <= 0.5:  # 2 (a - 1) <= -1 at an end
        assert chi_u.method == chi_n.method == "infinite: singular edge"
        return
    ref = math.exp(special.betaln(2 * a - 1, 2 * b - 1) - 2 * special.betaln(a, b)) - 1
    _holds(chi_u, ref, 1e-10)
    if min(a, b) >= 1:
        _holds(chi_n, _chi_ref(_beta(a, b), _normal(0.3, 0.8), 0, 1), 1e-10)
    else:
        assert (
            math.isfinite(chi_n.value)
            and chi_n.upper_bound - chi_n.lower_bound <= 1e-10 * chi_n.value
        )


@pytest.mark.slow
def test_chi_square_of_a_mixture_with_a_singular_beta_component():
    # p ~ 0.3 x^(-0.2) / B(0.8, 2) at 0: p^2 / q ~ x^(-0.4), integrable.
    p = dvc.Mixture([0.3, 0.7], (dvc.Beta(0.8, 2.0), dvc.Normal(0.0, 1.0)))
    q = dvc.Normal(0.2, 1.5)
    fb, fn, fq = _beta(0.8, 2), _normal(0, 1), _normal(0.2, 1.5)

    def fp(x):
        return mp.mpf("0.3") * (fb(x) if 0 < x < 1 else 0) + mp.mpf("0.7") * fn(x)

    with mp.workdps(DPS):
        h = lambda x: fp(x) ** 2 / fq(x)  # noqa: E731
        ref = float(mp.quad(h, [-mp.inf, -4, 0]) + _quad(h, 0, 1) + mp.quad(h, [1, 4, mp.inf]) - 1)
    _holds(C.chi_square(p, q, rtol=1e-10), ref, 1e-10)


def test_kl_of_the_uniform_beta_law_against_the_uniform_law_is_zero():
    # Beta(1, 1) is U(0, 1): the strips at both ends hold 0 exactly, and so does the enclosure.
    e = C.kl(dvc.Beta(1.0, 1.0), dvc.Uniform(0.0, 1.0))
    assert e.lower_bound == 0.0 and e.upper_bound < 1e-15


@pytest.mark.slow
def test_js_next_to_an_end_at_one_is_enclosed_on_both_sides():
    # Beta(2, 0.2) puts mass ~ u^0.2 within u of 1, and the strip there is one float wide
    # (1.1e-16): the masses alone left a relative width of 8e-4. The reference integrates in
    # u = 1 - x, where tanh-sinh sees the singularity at 0.
    with mp.workdps(50):
        a, b = mp.mpf(2), mp.mpf("0.2")

        def p(u):
            return (1 - u) ** (a - 1) * u ** (b - 1) / mp.beta(a, b)

        def h(u):
            return (p(u) * mp.log(2 * p(u) / (p(u) + 1)) + mp.log(2 / (p(u) + 1))) / 2

        ref = float(mp.quad(h, [0, mp.mpf(10) ** -20, mp.mpf(10) ** -8, mp.mpf(10) ** -3, 0.5, 1]))
    _holds(C.js_divergence(dvc.Beta(2.0, 0.2), dvc.Uniform(0.0, 1.0)), ref)


@pytest.mark.parametrize(
    ("p", "q"),
    [((2.0, 0.2), (1.0, 1.0)), ((0.3, 0.7), (0.6, 0.4)), ((0.5, 3.0), (3.0, 3.0))],
)
def test_hellinger_between_beta_laws_is_one_minus_the_bhattacharyya_coefficient(p, q):
    # int sqrt(p q) = B((a_p + a_q)/2, (b_p + b_q)/2) / sqrt(B(a_p, b_p) B(a_q, b_q)). The masses
    # alone left relative widths of 5e-4 and 7e-7 for the first two (a strip a float wide at 1).
    with mp.workdps(40):
        (ap, bp), (aq, bq) = ((mp.mpf(a), mp.mpf(b)) for a, b in (p, q))
        bc = mp.beta((ap + aq) / 2, (bp + bq) / 2) / mp.sqrt(mp.beta(ap, bp) * mp.beta(aq, bq))
        ref = float(mp.sqrt(1 - bc))
    e = C.hellinger(dvc.Beta(*p), dvc.Beta(*q))
    _holds(e, ref, 1e-12)
