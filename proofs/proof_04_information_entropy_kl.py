r"""Information, entropy and KL; Gibbs' inequality; KL is not symmetric.

Claim (lectures): the information of an outcome is :math:`I(x) = -\log p(x)`; entropy is its
mean, :math:`H(p) = \mathbb{E}_p I`; and

.. math:: \mathrm{KL}(p \,\|\, q) = \mathbb{E}_p\,[I_q - I_p] = H(p, q) - H(p) \ge 0

(Gibbs' inequality, from :math:`\log t \le t - 1`), with equality iff p = q. KL is not symmetric:
the two directions differ in general, and one can be infinite while the other is finite.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import pmf_pairs, pmfs

PROOF = Proof(
    "Information, entropy and KL (Gibbs' inequality, asymmetry)",
    claim="I = -log p, H = E_p I, KL(p || q) = E_p (I_q - I_p) >= 0, KL(p || q) != KL(q || p)",
)
F64 = tolerance("float64")


def _information(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -np.log(p)


@PROOF.step(
    "H(p) = E_p[-log p] (0 log 0 = 0) equals dv.entropy, in nats and bits", method="hypothesis"
)
def _entropy_is_mean_information() -> Check:
    def check(p: np.ndarray) -> Check:
        s = p > 0
        h = float(np.sum(p[s] * _information(p[s])))
        return worst_of(
            [
                Check.equal(float(dv.entropy(p)), h, **F64),
                Check.equal(float(dv.entropy(p, base=2)), h / math.log(2), **F64),
            ]
        )

    return over_examples(pmfs(extreme=True), check)


@PROOF.step(
    "KL(p || q) = E_p[I_q - I_p] = H(p, q) - H(p), infinite where q = 0 < p",
    method="hypothesis",
)
def _kl_is_excess_information() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        s = p > 0
        excess = float(np.sum(p[s] * (_information(q[s]) - _information(p[s]))))
        return worst_of(
            [
                Check.equal(float(dv.kl(p, q)), excess, **F64),
                Check.equal(
                    float(dv.kl(p, q)), float(dv.cross_entropy(p, q) - dv.entropy(p)), **F64
                ),
            ]
        )

    return over_examples(pmf_pairs(extreme=True), check)


@PROOF.step(
    "log t <= t - 1 for t > 0: g(t) = t - 1 - log t has g(1) = g'(1) = 0 and g'' = 1/t^2 > 0",
    method="sympy",
)
def _log_inequality() -> Check:
    t = sp.symbols("t", positive=True)
    g = t - 1 - sp.log(t)
    return symbolic_zero(
        g.subs(t, 1) ** 2 + sp.diff(g, t).subs(t, 1) ** 2 + (sp.diff(g, t, 2) - 1 / t**2) ** 2
    )


@PROOF.step(
    "Gibbs: KL(p || q) >= 0, and = 0 at q = p (tiny and near-degenerate masses included)",
    method="hypothesis",
)
def _gibbs() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        return worst_of(
            [
                Check.at_most(0.0, float(dv.kl(p, q)), atol=F64["atol"]),
                Check.equal(float(dv.kl(p, p)), 0.0, **F64),
            ]
        )

    return over_examples(pmf_pairs(extreme=True), check)


@PROOF.step(
    "not symmetric: KL(p || q) = 0.5341 but KL(q || p) = 0.5827 for p = (0.8, 0.2), q = (0.3, 0.7)",
    method="numeric",
)
def _asymmetric() -> Check:
    p, q = np.array([0.8, 0.2]), np.array([0.3, 0.7])
    fwd = 0.8 * math.log(0.8 / 0.3) + 0.2 * math.log(0.2 / 0.7)
    rev = 0.3 * math.log(0.3 / 0.8) + 0.7 * math.log(0.7 / 0.2)
    return worst_of(
        [
            Check.equal(float(dv.kl(p, q)), fwd, **F64),
            Check.equal(float(dv.kl(q, p)), rev, **F64),
            Check.differ(fwd, rev, at_least=1e-3),
        ],
        detail=f"{fwd:.4f} vs {rev:.4f}",
    )


@PROOF.step(
    "one direction infinite: KL((1/2, 1/2) || (1, 0)) = inf, KL((1, 0) || (1/2, 1/2)) = log 2",
    method="numeric",
)
def _one_infinite() -> Check:
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    return worst_of(
        [
            Check.equal(float(dv.kl(p, q)), math.inf, **F64),
            Check.equal(float(dv.kl(q, p)), math.log(2), **F64),
        ],
        detail="inf vs log 2",
    )
