r"""Adversarial autoencoders match the aggregated posterior to the prior; the VAE pays I(x; z) more.

Claim (lectures; Makhzani et al., 2015): the adversarial regulariser of an AAE trains a
discriminator to tell prior samples :math:`z \sim p(z)` from codes :math:`z \sim q(z \mid x)`,
:math:`x \sim p(x)`, i.e. from the aggregated posterior

.. math:: q(z) = \sum_x p(x)\, q(z \mid x),

so at the optimal discriminator it is :math:`-\log 4 + 2\,\mathrm{JS}(q(z) \,\|\, p(z))`: it asks
only that the codes, pooled over the data, look like the prior. The VAE's regulariser splits as

.. math:: \mathbb{E}_{x} \mathrm{KL}(q(z \mid x) \,\|\, p(z)) = \mathrm{KL}(q(z) \,\|\, p(z)) + I_q(x; z)
          \ge \mathrm{KL}(q(z) \,\|\, p(z)),

(Hoffman & Johnson, 2016) where :math:`I_q` is the mutual information of the joint
:math:`p(x) q(z \mid x)`: it also penalises codes that carry information about x. An encoder can
be at the AAE's optimum (q(z) = p(z)) and pay the VAE :math:`I_q(x; z) = H(x)`.

Derivation: :math:`\log \frac{q(z \mid x)}{p(z)} = \log \frac{q(z \mid x)}{q(z)} + \log \frac{q(z)}{p(z)}`;
averaged over the joint the first term is :math:`I_q(x; z)`, the second :math:`\mathrm{KL}(q(z) \| p(z))`.

Condition: the split needs :math:`\mathrm{KL}(q(z) \| p(z)) < \infty`, i.e. the prior positive
wherever the codes land (a Gaussian prior always is); the drawn priors here are positive.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy import special

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "Adversarial autoencoders: -log 4 + 2 JS(q(z) || p(z)); the VAE adds I_q(x; z)",
    claim="AAE regulariser at D* = -log 4 + 2 JS(q(z)||p(z)); E_x KL(q(z|x)||p(z)) = KL(q(z)||p(z)) + I",
)
F64 = tolerance("float64")
LOG4 = math.log(4.0)
N_X, N_Z = 3, 3
GAP = 1e-3


@st.composite
def _encoders(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p(x), q(z | x) with rows x, a positive prior p(z))."""
    p_x = draw(pmfs(N_X))
    enc = np.stack([draw(pmfs(N_Z)) for _ in range(N_X)])
    return p_x, enc, draw(pmfs(N_Z, positive=True))


@PROOF.step(
    "the aggregated posterior q(z) = sum_x p(x) q(z|x) is the z-marginal of the joint p(x) q(z|x), "
    "and the regulariser at the optimal discriminator is -log 4 + 2 JS(q(z) || p(z))",
    method="hypothesis",
)
def _adversarial_regulariser() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        p_x, enc, prior = ex
        joint = p_x[:, None] * enc
        q_z = p_x @ enc
        q_z = q_z / q_z.sum()
        d_star = dv.optimal_discriminator(prior, q_z)  # "real" = prior samples, "fake" = codes
        v = float(dv.gan_value(prior, q_z, d_star))
        direct = float(
            np.sum(special.xlogy(prior, prior / (prior + q_z)))
            + np.sum(special.xlogy(q_z, q_z / (prior + q_z)))
        )
        return worst_of(
            [
                Check.equal(q_z, joint.sum(0), **F64),
                Check.equal(v, -LOG4 + 2 * float(dv.js_divergence(q_z, prior)), **F64),
                Check.equal(v, direct, **F64),
            ]
        )

    return over_examples(_encoders(), check)


@PROOF.step(
    "pointwise: log(q(z|x)/p(z)) = log(q(z|x)/q(z)) + log(q(z)/p(z))",
    method="sympy",
)
def _split_pointwise() -> Check:
    a, b, c = sp.symbols("a b c", positive=True)
    return symbolic_zero(sp.expand_log(sp.log(a / c) - sp.log(a / b) - sp.log(b / c), force=True))


@PROOF.step(
    "E_x KL(q(z|x) || p(z)) = KL(q(z) || p(z)) + I_q(x; z) >= KL(q(z) || p(z)), with "
    "dv.kl row by row and dv.mutual_information of the joint, on drawn encoders",
    method="hypothesis",
)
def _vae_split() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        p_x, enc, prior = ex
        joint = p_x[:, None] * enc
        q_z = joint.sum(0)
        vae = float(np.sum(p_x * np.asarray(dv.kl(enc, np.broadcast_to(prior, enc.shape)))))
        kl_agg = float(dv.kl(q_z / q_z.sum(), prior))
        info = float(dv.mutual_information(joint))
        return worst_of(
            [
                Check.equal(vae, kl_agg + info, **F64),
                Check.at_most(kl_agg, vae, atol=F64["atol"]),
                Check.at_most(0.0, info, atol=F64["atol"]),
            ]
        )

    return over_examples(_encoders(), check)


@PROOF.step(
    "Gaussian case: x ~ N(0, 1), q(z|x) = N(a x, s^2), prior N(0, 1): E_x KL = (a^2 + s^2 - 1 - "
    "log s^2)/2 = KL(N(0, a^2 + s^2) || N(0, 1)) + (1/2) log((a^2 + s^2)/s^2)",
    method="sympy",
)
def _gaussian_split() -> Check:
    a, s, x = sp.symbols("a s x", positive=True)
    per_x = (a**2 * x**2 + s**2 - 1 - sp.log(s**2)) / 2  # KL(N(a x, s^2) || N(0, 1))
    vae = sp.expand(per_x).subs(x**2, 1)  # E x^2 = 1: the term is linear in x^2
    kl_agg = (a**2 + s**2 - 1 - sp.log(a**2 + s**2)) / 2
    info = sp.log((a**2 + s**2) / s**2) / 2  # I of a Gaussian channel with gain a, noise s
    return symbolic_zero(sp.expand_log(vae - kl_agg - info, force=True))


@PROOF.step(
    "the Gaussian case in float64 with dv.kl_normal: E_x KL(N(a x, s^2) || N(0, 1)) by "
    "Gauss-Hermite quadrature (exact: the integrand is quadratic in x) = KL(agg) + I",
    method="numeric",
)
def _gaussian_numeric() -> Check:
    nodes, weights = np.polynomial.hermite_e.hermegauss(8)
    weights = weights / weights.sum()
    checks = []
    for a, s in [(0.5, 0.8), (2.0, 0.3), (0.0, 1.3)]:
        vae = float(np.sum(weights * np.asarray(dv.kl_normal(a * nodes, s))))
        agg = float(dv.kl_normal(0.0, math.sqrt(a * a + s * s)))
        info = 0.5 * math.log((a * a + s * s) / (s * s))
        checks.append(Check.equal(vae, agg + info, **F64))
    return worst_of(checks)


@PROOF.step(
    "contrast: an encoder z = x (identity) with p(x) = p(z) uniform on 3 points is at the AAE's "
    "optimum (-log 4, JS = 0) but pays the VAE I(x; z) = log 3",
    method="numeric",
)
def _contrast() -> Check:
    p_x = np.full(3, 1 / 3)
    enc = np.eye(3)
    prior = np.full(3, 1 / 3)
    q_z = p_x @ enc
    aae = float(dv.gan_value(prior, q_z, dv.optimal_discriminator(prior, q_z)))
    vae = float(np.sum(p_x * np.asarray(dv.kl(enc, np.broadcast_to(prior, enc.shape)))))
    return worst_of(
        [
            Check.equal(aae, -LOG4, **F64),
            Check.equal(vae, math.log(3), **F64),
            Check.differ(aae + LOG4, vae, at_least=GAP),
        ],
        detail=f"AAE penalty above its minimum: {aae + LOG4:.4f}; VAE's: {vae:.4f} = log 3",
    )
