r"""At the optimal discriminator the GAN value is -log 4 + 2 JS(p || q).

Claim (lectures; Goodfellow et al., 2014, Theorem 1): with :math:`m = (p + q)/2`,

.. math:: V(G, D^*) = -\log 4 + \mathrm{KL}(p \,\|\, m) + \mathrm{KL}(q \,\|\, m)
                    = -\log 4 + 2\,\mathrm{JS}(p \,\|\, q),

whose minimum over G, :math:`-\log 4`, is reached iff q = p. In bits: :math:`-2 + 2\,\mathrm{JS}_2`.
The game is :math:`\min_G \max_D V(G, D)`.

Slips in the lecture notes, each shown below to give a different (wrong) number, next to the
corrected form that matches:

1. The discriminator loss written with :math:`1 - \log D(G(z))` where
   :math:`\log(1 - D(G(z)))` is meant. The slipped objective has no interior maximum at all.
2. The game written :math:`\min_D \max_G` (roles swapped): for a constant discriminator
   :math:`D \equiv d` the generator cannot change the value :math:`\log d + \log(1 - d)`, and
   the discriminator drives it to :math:`-\infty`; the correct :math:`\min_G \max_D` is
   :math:`-\log 4`.
3. JS written without the 1/2, i.e. :math:`\mathrm{KL}(p\|m) + \mathrm{KL}(q\|m)`: that quantity
   is bounded by :math:`2 \log 2`, not :math:`\log 2`, and the theorem then reads
   :math:`-\log 4 + \mathrm{JS}_{\text{no }1/2}`; keeping the factor 2 with it is wrong by JS.
4. KL written :math:`\mathbb{E}_p \log(q/p)`: the sign is flipped; that is :math:`-\mathrm{KL}
   \le 0`. The correct form is :math:`\mathbb{E}_p \log(p/q) \ge 0`.
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
    "V(G, D*) = -log 4 + 2 JS(p || q), and the slips of the notes",
    claim="V(G, D*) = -log 4 + KL(p||m) + KL(q||m) = -log 4 + 2 JS; min -log 4 iff q = p",
)
F64 = tolerance("float64")
LOG4 = math.log(4.0)
# The example of the notes (a two-point space): p = data, q = generator.
P = np.array([0.8, 0.2])
Q = np.array([0.3, 0.7])
DISJOINT = (np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.0, 1.0]))
# Two numbers that must differ are held to differ by at least this (far above rounding).
GAP = 1e-3


def _xlog(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The product a * log(b) with 0 where a = 0 (numpy, independent of the package's kernels)."""
    out = np.zeros_like(a, dtype=float)
    m = a > 0
    with np.errstate(divide="ignore"):
        out[m] = a[m] * np.log(b[m])
    return out


def _v_star_direct(p: np.ndarray, q: np.ndarray) -> float:
    d = dv.optimal_discriminator(p, q)
    return float(np.sum(_xlog(p, np.asarray(d)) + _xlog(q, 1 - np.asarray(d))))


@PROOF.step(
    "pointwise: p log(p/(p+q)) + q log(q/(p+q)) = -(p+q) log 2 + p log(p/m) + q log(q/m)",
    method="sympy",
)
def _pointwise_identity() -> Check:
    p, q = sp.symbols("p q", positive=True)
    m = (p + q) / 2
    lhs = p * sp.log(p / (p + q)) + q * sp.log(q / (p + q))
    rhs = -(p + q) * sp.log(2) + p * sp.log(p / m) + q * sp.log(q / m)
    return symbolic_zero(sp.expand_log(lhs - rhs, force=True))


@PROOF.step(
    "V(G, D*) = -log 4 + KL(p || m) + KL(q || m) = -log 4 + 2 JS(p || q) on drawn pairs",
    method="hypothesis",
)
def _theorem() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        m = 0.5 * (p + q)
        v = float(dv.gan_value(p, q, dv.optimal_discriminator(p, q)))
        return worst_of(
            [
                Check.equal(v, _v_star_direct(p, q), **F64),
                Check.equal(v, -LOG4 + float(dv.kl(p, m)) + float(dv.kl(q, m)), **F64),
                Check.equal(v, -LOG4 + 2 * float(dv.js_divergence(p, q)), **F64),
            ]
        )

    return over_examples(pmf_pairs(), check)


@PROOF.step("in bits: V_2(G, D*) = -2 + 2 JS_2(p || q)", method="hypothesis")
def _bits() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        v2 = float(dv.gan_value(p, q, dv.optimal_discriminator(p, q), base=2))
        return Check.equal(v2, -2 + 2 * float(dv.js_divergence(p, q, base=2)), **F64)

    return over_examples(pmf_pairs(), check)


@PROOF.step("the minimum -log 4 is reached at q = p", method="hypothesis")
def _minimum_at_p() -> Check:
    def check(p: np.ndarray) -> Check:
        return Check.equal(float(dv.gan_value(p, p, dv.optimal_discriminator(p, p))), -LOG4, **F64)

    return over_examples(pmfs(), check)


@PROOF.step(
    "and only there: V(G, D*) + log 4 = 2 JS >= TV(p, q)^2 > 0 for q != p (Pinsker on each half)",
    method="hypothesis",
)
def _only_at_p() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        v = float(dv.gan_value(p, q, dv.optimal_discriminator(p, q)))
        return Check.at_most(float(dv.total_variation(p, q)) ** 2, v + LOG4, atol=F64["atol"])

    return over_examples(pmf_pairs(), check)


@PROOF.step(
    "slip 1: with E_q[1 - log D] in place of E_q[log(1 - D)] the value at D* is not -log 4 + 2 JS",
    method="numeric",
)
def _slip_one_minus_log() -> Check:
    d = np.asarray(dv.optimal_discriminator(P, Q))
    slipped = float(np.sum(P * np.log(d)) + np.sum(Q * (1 - np.log(d))))
    correct = -LOG4 + 2 * float(dv.js_divergence(P, Q))
    return Check.differ(
        slipped, correct, at_least=GAP, detail=f"slipped {slipped:.4f} vs correct {correct:.4f}"
    )


@PROOF.step(
    "slip 1, continued: a log d + b (1 - log d) = (a - b) log d + b has no interior maximum (-> +inf as d -> 0 when b > a)",
    method="sympy",
)
def _slip_one_no_maximum() -> Check:
    a, b, d = sp.symbols("a b d", positive=True)
    g = a * sp.log(d) + b * (1 - sp.log(d))
    no_stationary = sp.solve(sp.diff(g, d), d) == []
    limit = sp.limit(g.subs({a: sp.Rational(3, 10), b: sp.Rational(7, 10)}), d, 0, "+")
    ok = no_stationary and limit == sp.oo
    return Check(0.0 if ok else math.inf, 0.0, detail=f"stationary points: none; limit {limit}")


@PROOF.step(
    "slip 2: min_D max_G is -inf (D = d constant: V = log d + log(1 - d) for every G), not -log 4",
    method="sympy",
)
def _slip_swapped_game() -> Check:
    d = sp.symbols("d", positive=True)
    limit = sp.limit(sp.log(d) + sp.log(1 - d), d, 0, "+")
    # The generator cannot change V when D is constant: check on the example pair numerically.
    const = [float(dv.gan_value(P, q, np.full(2, 0.25))) for q in (Q, P, np.array([1.0, 0.0]))]
    flat = Check.equal(const, math.log(0.25) + math.log(0.75), **F64)
    wrong = Check.differ(
        float(limit), -LOG4, at_least=GAP, detail=f"min_D max_G = {limit}, min_G max_D = -log 4"
    )
    return worst_of([flat, wrong], detail=wrong.detail)


@PROOF.step(
    "slip 3: JS without the 1/2 reaches 2 log 2 on disjoint supports, not log 2",
    method="numeric",
)
def _slip_js_half_bound() -> Check:
    p, q = DISJOINT
    m = 0.5 * (p + q)
    no_half = float(dv.kl(p, m) + dv.kl(q, m))
    return worst_of(
        [
            Check.equal(no_half, 2 * math.log(2), **F64),
            Check.equal(float(dv.js_divergence(p, q)), math.log(2), **F64),
            Check.differ(no_half, math.log(2), at_least=GAP),
        ],
        detail=f"KL(p||m) + KL(q||m) = {no_half:.4f} = 2 log 2; JS = log 2",
    )


@PROOF.step(
    "slip 3, continued: -log 4 + 2 JS_no_half is wrong by JS_no_half; -log 4 + JS_no_half matches V(G, D*)",
    method="numeric",
)
def _slip_js_half_theorem() -> Check:
    m = 0.5 * (P + Q)
    no_half = float(dv.kl(P, m) + dv.kl(Q, m))
    v = float(dv.gan_value(P, Q, dv.optimal_discriminator(P, Q)))
    return worst_of(
        [
            Check.equal(v, -LOG4 + no_half, **F64),
            Check.differ(v, -LOG4 + 2 * no_half, at_least=GAP),
        ],
        detail=f"V* = {v:.4f}; -log 4 + 2 JS_no_half = {-LOG4 + 2 * no_half:.4f}",
    )


@PROOF.step(
    "slip 4: E_p log(q/p) = -KL(p || q) < 0 on the example; E_p log(p/q) = KL >= 0",
    method="numeric",
)
def _slip_kl_sign() -> Check:
    slipped = float(np.sum(P * np.log(Q / P)))
    correct = float(dv.kl(P, Q))
    return worst_of(
        [
            Check.equal(slipped, -correct, **F64),
            Check.equal(float(np.sum(P * np.log(P / Q))), correct, **F64),
            Check.differ(slipped, correct, at_least=GAP),
        ],
        detail=f"E_p log(q/p) = {slipped:.4f}, KL = {correct:.4f}",
    )
