r"""The GAN derivation on continuous laws, with enclosures that hold in real arithmetic.

Claim (lectures; Goodfellow et al., 2014, Proposition 1 and Theorem 1), for densities p (data)
and :math:`p_g` (generator) on the line:

.. math:: D^*(x) = \frac{p(x)}{p(x) + p_g(x)}, \qquad
          V(G, D) = \int p \log D + \int p_g \log(1 - D) \le V(G, D^*)
          = -\log 4 + 2\,\mathrm{JS}(p \,\|\, p_g),

with :math:`\mathrm{KL}(p \,\|\, p_g) \ge 0`, 0 only at :math:`p = p_g`, and
:math:`\mathrm{JS} \le \log 2`, reached exactly when the supports are disjoint: the parallel
lines' limit, where U(0, 1) against U(theta, theta + 1) keeps JS at log 2 for every
:math:`|\theta| \ge 1` while :math:`W_1 = |\theta|` grows.

The proofs 02, 03 and 05 check these on pmfs in float64. Here every quantity is an integral
between continuous laws, computed by the certified path of :mod:`divergences.continuous` (ball
arithmetic, tails bounded analytically): an identity holds when the enclosure of its two sides'
difference contains 0 and is narrower than :data:`WIDTH`; an inequality when the enclosure lies
on its side (strictly, for the strict ones). No step compares floats.

The optimal discriminator between two Gaussians of one variance is logistic in x:
:math:`\log p - \log p_g` is linear, so :math:`D^* = \sigma(w x + b)` with
:math:`w = (\mu - \mu_g)/\sigma^2`, :math:`b = (\mu_g^2 - \mu^2)/(2\sigma^2)`. Evaluating
:math:`V(G, D)` at that logistic D integrates :math:`\log D` and :math:`\log(1 - D)`, not JS's
integrand: the identity :math:`V(G, D^*) = -\log 4 + 2\,\mathrm{JS}` then compares two different
integrals, and the variational bound :math:`\sup_D V(G, D)` is seen to be reached inside the
logistic family, at :math:`D^*` and nowhere else.
"""

from __future__ import annotations

import math

from divergences import continuous as dvc
from divergences.lab.proof import (
    Check,
    Proof,
    ball,
    certified_identity,
    certified_inequality,
    worst_of,
)

PROOF = Proof(
    "The GAN value on continuous laws: D*, -log 4 + 2 JS, KL >= 0, JS <= log 2 (certified)",
    claim="V(G, D) <= V(G, D*) = -log 4 + 2 JS(p || p_g); KL >= 0, = 0 iff p = p_g; "
    "JS <= log 2, = log 2 on disjoint supports",
)
CERT = dvc.certified
#: The widest enclosure of an identity's difference accepted: the certified path is asked for a
#: relative width of 1e-12 per quantity, and a difference of a few such values of order 1 has an
#: enclosure far narrower than this.
WIDTH = 1e-10
LOG2 = ball(2).log()
LOG4 = ball(4).log()

MU, MU_G, SIGMA = 0.0, 1.5, 1.0


def _gaussians() -> tuple[dvc.Normal, dvc.Normal]:
    return dvc.Normal(MU, SIGMA), dvc.Normal(MU_G, SIGMA)


def _logistic_d_star() -> dvc.LogisticDiscriminator:
    """D* between the two Gaussians of one variance, as the logistic function it is."""
    w = (MU - MU_G) / SIGMA**2
    b = (MU_G**2 - MU**2) / (2 * SIGMA**2)
    return dvc.LogisticDiscriminator(w, b)


def _pairs() -> list[tuple[str, dvc.Law, dvc.Law]]:
    """Pairs of different laws: Gaussians, heavy and light tails, a mixture, a support's end."""
    mix = dvc.Mixture([0.3, 0.7], (dvc.Normal(-2.0, 0.7), dvc.Normal(1.0, 1.2)))
    return [
        ("N(0,1) vs N(1.5,1)", *_gaussians()),
        ("Laplace(0,1) vs StudentT(5)", dvc.Laplace(0.0, 1.0), dvc.StudentT(5.0)),
        ("mixture vs N(0,2)", mix, dvc.Normal(0.0, 2.0)),
        ("Exp(1) vs Exp(2)", dvc.Exponential(1.0), dvc.Exponential(2.0)),
    ]


def _midpoint(p: dvc.Law, q: dvc.Law) -> dvc.Mixture:
    """The midpoint (p + q) / 2 as one mixture (a mixture's components are laws, never mixtures)."""

    def parts(law: dvc.Law) -> list[tuple[float, dvc.Law]]:
        if isinstance(law, dvc.Mixture):
            return [(float(w), c) for w, c in zip(law.weights, law.components, strict=True)]
        return [(1.0, law)]

    both = [(0.5 * w, c) for w, c in parts(p) + parts(q)]
    return dvc.Mixture([w for w, _ in both], tuple(c for _, c in both))


@PROOF.step(
    "D* is optimal: V(G, D*) - V(G, D) > 0 for logistic D other than D* (N(0,1) vs N(1.5,1))",
    method="certified",
)
def _d_star_beats_other_discriminators() -> Check:
    p, q = _gaussians()
    best = ball(CERT.gan_value(p, q, _logistic_d_star()))
    d = _logistic_d_star()
    checks = []
    for dw, db in ((0.3, 0.0), (-0.3, 0.0), (0.0, 0.5), (0.0, -0.5), (0.05, 0.05)):
        other = dvc.LogisticDiscriminator(d.weight + dw, d.bias + db)
        checks.append(certified_inequality(best - ball(CERT.gan_value(p, q, other)), ">", 0.0))
    return worst_of(checks)


@PROOF.step(
    "its value: V(G, D*) at the logistic D* = sigma(w x + b) equals V(G, D*) with "
    "D* = p / (p + p_g)",
    method="certified",
)
def _d_star_value() -> Check:
    p, q = _gaussians()
    at_logistic = ball(CERT.gan_value(p, q, _logistic_d_star()))
    at_optimal = ball(CERT.gan_value(p, q, "optimal"))
    return certified_identity(at_logistic - at_optimal, width=WIDTH)


@PROOF.step(
    "V(G, D*) = -log 4 + 2 JS(p || p_g): int p log D* + int p_g log(1 - D*) against JS's "
    "integral (N(0,1) vs N(1.5,1))",
    method="certified",
)
def _value_is_js() -> Check:
    p, q = _gaussians()
    v = ball(CERT.gan_value(p, q, _logistic_d_star()))
    js = ball(CERT.js_divergence(p, q))
    return certified_identity(v - (2 * js - LOG4), width=WIDTH)


@PROOF.step(
    "2 JS(p || p_g) = KL(p || m) + KL(p_g || m), m = (p + p_g)/2, on the three pairs on the "
    "whole line",
    method="certified",
)
def _js_is_two_kls() -> Check:
    checks = []
    # the fast path's mixtures cannot yet hold a component with a support's end (Exponential)
    for _, p, q in _pairs()[:3]:
        m = _midpoint(p, q)
        two_js = 2 * ball(CERT.js_divergence(p, q))
        kls = ball(CERT.kl(p, m)) + ball(CERT.kl(q, m))
        checks.append(certified_identity(two_js - kls, width=WIDTH))
    return worst_of(checks)


@PROOF.step(
    "the bound is tight: sup_D V(G, D) = -log 4 + 2 JS, reached at D* (shifted D* fall "
    "strictly short of -log 4 + 2 JS)",
    method="certified",
)
def _variational_bound_tight() -> Check:
    p, q = _gaussians()
    bound = 2 * ball(CERT.js_divergence(p, q)) - LOG4
    d = _logistic_d_star()
    checks = [certified_identity(ball(CERT.gan_value(p, q, d)) - bound, width=WIDTH)]
    for db in (1e-2, -1e-2):
        short = ball(CERT.gan_value(p, q, dvc.LogisticDiscriminator(d.weight, d.bias + db)))
        checks.append(certified_inequality(short, "<", bound))
    return worst_of(checks)


@PROOF.step("KL(p || p_g) > 0 for p != p_g, both ways, on four pairs", method="certified")
def _kl_positive() -> Check:
    checks = []
    for _, p, q in _pairs():
        checks.append(certified_inequality(CERT.kl(p, q), ">", 0.0))
        checks.append(certified_inequality(CERT.kl(q, p), ">", 0.0))
    return worst_of(checks)


@PROOF.step("KL(p || p) = 0 and JS(p || p) = 0 (the equality case, p = p_g)", method="certified")
def _kl_zero_at_equality() -> Check:
    checks = []
    for _, p, _q in _pairs():
        checks.append(certified_identity(CERT.kl(p, p), width=WIDTH))
        checks.append(certified_identity(CERT.js_divergence(p, p), width=WIDTH))
    return worst_of(checks)


@PROOF.step(
    "the minimum of V(G, D*) is -log 4, at p_g = p: V(G, D*) + log 4 > 0 for p_g != p",
    method="certified",
)
def _minimum_only_at_p() -> Check:
    checks = []
    for _, p, q in _pairs():
        v = ball(CERT.gan_value(p, q, "optimal"))
        checks.append(certified_inequality(v + LOG4, ">", 0.0))
        checks.append(certified_identity(ball(CERT.gan_value(p, p, "optimal")) + LOG4, width=WIDTH))
    return worst_of(checks)


@PROOF.step("JS(p || p_g) < log 2 where the supports overlap, on four pairs", method="certified")
def _js_below_log2() -> Check:
    return worst_of(
        [certified_inequality(CERT.js_divergence(p, q), "<", LOG2) for _, p, q in _pairs()]
    )


@PROOF.step(
    "the parallel lines' limit: U(0,1) vs U(theta, theta+1), |theta| >= 1: JS = log 2, TV = 1, "
    "KL = +inf both ways, W1 = |theta|",
    method="certified",
)
def _disjoint_uniforms() -> Check:
    p = dvc.Uniform(0.0, 1.0)
    checks = []
    for theta in (1.0, -1.0, 1.5, 4.0, -30.0):
        q = dvc.Uniform(theta, theta + 1.0)
        checks.append(certified_identity(ball(CERT.js_divergence(p, q)) - LOG2, width=WIDTH))
        checks.append(certified_identity(ball(CERT.total_variation(p, q)) - 1, width=WIDTH))
        checks.append(certified_inequality(CERT.kl(p, q), ">=", math.inf))
        checks.append(certified_inequality(CERT.kl(q, p), ">=", math.inf))
        checks.append(certified_identity(ball(CERT.w1(p, q)) - abs(theta), width=WIDTH))
    return worst_of(checks)


@PROOF.step(
    "before the limit: JS = |theta| log 2 < log 2 for 0 < |theta| < 1 (the overlap carries none)",
    method="certified",
)
def _overlapping_uniforms() -> Check:
    p = dvc.Uniform(0.0, 1.0)
    checks = []
    for theta in (0.25, -0.5, 0.875):
        js = ball(CERT.js_divergence(p, dvc.Uniform(theta, theta + 1.0)))
        checks.append(certified_identity(js - abs(theta) * LOG2, width=WIDTH))
        checks.append(certified_inequality(js, "<", LOG2))
    return worst_of(checks)
