r"""Energy-based GAN: the optimal energy is 0 or m, and the discriminator measures total variation.

Claim (lectures; Zhao et al., 2017, Theorems 1 and 2): with a margin m > 0 and a non-negative
energy D, the discriminator minimises

.. math:: V(D, G) = \mathbb{E}_{x \sim p} D(x) + \mathbb{E}_{x \sim q} [m - D(x)]^+

and the generator minimises :math:`U(D, G) = \mathbb{E}_{x \sim q} D(x)`. Pointwise,
:math:`p\,d + q\,[m - d]^+` is increasing for d > m and linear on [0, m], so

.. math:: D^*(x) = 0 \text{ where } p > q, \qquad D^*(x) = m \text{ where } p < q
          \quad (\text{any } d \in [0, m] \text{ where } p = q),

.. math:: \min_{D \ge 0} V(D, G) = m \sum_x \min(p, q) = m\,(1 - \mathrm{TV}(p, q)).

What the generator then minimises: in the zero-sum reading, the best response of D leaves the
generator :math:`\max_G m (1 - \mathrm{TV}(p, q))`, i.e. it minimises the total variation, with
value m at q = p. In the paper's non-zero-sum game the generator's loss against a fixed D is the
linear :math:`\mathbb{E}_q D`; the lemma :math:`\mathbb{E}_q D + \mathbb{E}_q [m - D]^+ \ge m`
(Zhao et al., Lemma 1) and the optimality of D* give the equilibrium of Theorem 1: at a Nash
equilibrium q = p and V = m. Theorem 2: at q = p every constant energy :math:`D \equiv \gamma \in
[0, m]` is optimal, and against it the generator cannot improve, so (q = p, D = gamma) is one.
For q != p there is none: against D* the generator gains by moving the mass it has where
:math:`D^* = m` onto the set where :math:`D^* = 0`.

Condition: the energy must be non-negative (a ReLU or squared-error output, as the
autoencoder's reconstruction error is): a discriminator free to go negative drives V to -inf
whenever q != p (D = -t on {p > q} and m elsewhere gives :math:`m (1 - \mathrm{TV}) - t\,\mathrm{TV}`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import pmf_pairs

PROOF = Proof(
    "EBGAN: D* in {0, m}, min_D V = m (1 - TV(p, q)); equilibrium at q = p with value m",
    claim="argmin_{D >= 0} E_p D + E_q [m - D]^+ = 0 on {p > q}, m on {p < q}; minimum m (1 - TV)",
)
F64 = tolerance("float64")
MARGIN = 2.5
GAP = 1e-3


def _v(p: np.ndarray, q: np.ndarray, d: np.ndarray, m: float = MARGIN) -> float:
    """The discriminator's loss E_p D + E_q [m - D]^+ (numpy)."""
    return float(np.sum(p * d) + np.sum(q * np.maximum(m - d, 0.0)))


def _d_star(p: np.ndarray, q: np.ndarray, m: float = MARGIN) -> np.ndarray:
    # m where p < q, 0 elsewhere: at a tie p = q every d in [0, m] is optimal, and 0 is the one
    # Theorem 1's U(D*, G) = m q(p < q) counts (m there would add m q(p = q)).
    return np.where(p < q, m, 0.0)


_ENERGIES = st.lists(
    st.sampled_from([0.0, 0.3, 1.0, MARGIN / 2, MARGIN, 4.0, 10.0]), min_size=6, max_size=6
).map(np.asarray)


@PROOF.step(
    "pointwise on [0, m]: p d + q (m - d) = q m + (p - q) d, linear, so the minimum over [0, m] is at "
    "an end: min(q m, p m) = m min(p, q); for d > m, p d + q [m - d]^+ = p d >= p m",
    method="sympy",
)
def _pointwise() -> Check:
    p, q, m, d, t = sp.symbols("p q m d t", positive=True)
    inside = p * d + q * sp.Max(m - d, 0)
    u = sp.symbols("u", positive=True)  # d = m u / (1 + u) runs over (0, m)
    on_interval = inside.subs(d, m * u / (1 + u)) - (q * m + (p - q) * m * u / (1 + u))
    beyond = inside.subs(d, m + t) - p * (m + t)  # d = m + t > m: the hinge is off
    # The smaller end is m min(p, q), in both orders of p and q (t > 0 is the gap).
    ends = [
        sp.Min(inside.subs(d, 0), inside.subs(d, m)).subs(p, q + t) - m * q,
        sp.Min(inside.subs(d, 0), inside.subs(d, m)).subs(q, p + t) - m * p,
    ]
    checks = [symbolic_zero(on_interval), symbolic_zero(beyond)]
    return worst_of(checks + [symbolic_zero(e) for e in ends])


@PROOF.step(
    "V(D*, G) = m sum min(p, q) = m (1 - TV(p, q)) with dv.total_variation, and no drawn energy "
    "D >= 0 (values beyond m included) does better, on drawn pairs",
    method="hypothesis",
)
def _optimal_energy() -> Check:
    def check(ex: tuple[tuple[np.ndarray, np.ndarray], np.ndarray]) -> Check:
        (p, q), d = ex
        d = d[: p.size]
        v_star = _v(p, q, _d_star(p, q))
        tv = float(dv.total_variation(p, q))
        return worst_of(
            [
                Check.equal(v_star, MARGIN * float(np.sum(np.minimum(p, q))), **F64),
                Check.equal(v_star, MARGIN * (1.0 - tv), **F64),
                Check.at_most(v_star, _v(p, q, d), atol=F64["atol"]),
            ]
        )

    return over_examples(st.tuples(pmf_pairs(), _ENERGIES), check)


@PROOF.step(
    "Lemma 1 of Zhao et al.: E_q D + E_q [m - D]^+ >= m for every D >= 0 (equality iff D <= m "
    "q-almost everywhere); hence V(D*, G*) >= m at an equilibrium where E_q* D* <= E_p D*",
    method="hypothesis",
)
def _lemma() -> Check:
    def check(ex: tuple[tuple[np.ndarray, np.ndarray], np.ndarray]) -> Check:
        (_, q), d = ex
        d = d[: q.size]
        lhs = float(np.sum(q * d) + np.sum(q * np.maximum(MARGIN - d, 0.0)))
        excess = float(np.sum(q * np.maximum(d - MARGIN, 0.0)))
        return worst_of(
            [Check.at_most(MARGIN, lhs, atol=F64["atol"]), Check.equal(lhs - MARGIN, excess, **F64)]
        )

    return over_examples(st.tuples(pmf_pairs(), _ENERGIES), check)


@PROOF.step(
    "Theorem 2: at q = p every constant energy gamma in [0, m] is optimal (V = m = m (1 - TV)) and "
    "U(gamma, G) = gamma whatever G does: (q = p, D = gamma) is an equilibrium with value m",
    method="hypothesis",
)
def _equilibrium() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, other = pq
        checks = []
        for gamma in (0.0, 1.0, MARGIN):
            d = np.full(p.size, gamma)
            checks += [
                Check.equal(_v(p, p, d), MARGIN, **F64),
                Check.equal(float(np.sum(other * d)), float(np.sum(p * d)), **F64),
            ]
        checks.append(Check.equal(MARGIN * (1 - float(dv.total_variation(p, p))), MARGIN, **F64))
        return worst_of(checks)

    return over_examples(pmf_pairs(), check)


@PROOF.step(
    "Theorem 1: for q != p there is no equilibrium with D*: U(D*, G) = m q(p < q) > 0, while the "
    "generator's best response, a point mass where D* = 0 (p > q), has U = 0",
    method="hypothesis",
)
def _no_equilibrium_off_p() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        if np.array_equal(p, q):
            return Check(0.0, F64["atol"], detail="q = p")
        d = _d_star(p, q)
        u = float(np.sum(q * d))
        best = float(np.min(d))  # the best point mass
        # q != p leaves some outcome with q > p (both sum to 1), where D* = m.
        return worst_of(
            [
                Check.equal(u, MARGIN * float(np.sum(q[p < q])), **F64),
                Check.equal(best, 0.0, **F64),
                Check.differ(u, best, at_least=MARGIN * float(np.max(q - p)) - F64["atol"]),
            ]
        )

    return over_examples(pmf_pairs(), check)


@PROOF.step(
    "Theorem 1 at a tie: p = (0.5, 0.3, 0.2), q = (0.5, 0.1, 0.4) agree on the first outcome, where "
    "D* = 0 (any d in [0, m] is optimal there): U(D*, G) = m q(p < q) = 2.5 * 0.4 = 1, and "
    "V(D*) = m (1 - TV) = 2.5 * 0.8 = 2",
    method="numeric",
)
def _tie() -> Check:
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.5, 0.1, 0.4])
    d = _d_star(p, q)
    return worst_of(
        [
            Check.equal(d, [0.0, 0.0, MARGIN], **F64),
            Check.equal(float(np.sum(q * d)), 1.0, **F64),
            Check.equal(_v(p, q, d), 2.0, **F64),
            Check.equal(MARGIN * (1 - float(dv.total_variation(p, q))), 2.0, **F64),
        ],
        detail=f"U(D*) = {float(np.sum(q * d)):.4f}",
    )


@PROOF.step(
    "the example of the notes' figure: p = (0.5, 0.3, 0.2, 0), q = (0.1, 0.2, 0.3, 0.4), m = 2.5: "
    "D* = (0, 0, m, m), V = m (1 - TV) = 2.5 * 0.5 = 1.25",
    method="numeric",
)
def _example() -> Check:
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.1, 0.2, 0.3, 0.4])
    d = _d_star(p, q)
    return worst_of(
        [
            Check.equal(d, [0.0, 0.0, MARGIN, MARGIN], **F64),
            Check.equal(_v(p, q, d), 1.25, **F64),
            Check.equal(MARGIN * (1 - float(dv.total_variation(p, q))), 1.25, **F64),
        ],
        detail=f"V(D*) = {_v(p, q, d):.4f}",
    )


@PROOF.step(
    "condition: without D >= 0 the loss is unbounded below wherever q != p: D = -t on {p > q}, m "
    "elsewhere, gives V = m (1 - TV(p, q)) - t TV(p, q) -> -inf as t grows",
    method="numeric",
)
def _negative_energy() -> Check:
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.1, 0.2, 0.3, 0.4])
    tv = float(dv.total_variation(p, q))
    ts = (10.0, 100.0)
    values = [_v(p, q, np.where(p > q, -t, MARGIN)) for t in ts]
    formula = [MARGIN * (1 - tv) - t * tv for t in ts]
    bound = MARGIN * (1 - tv)
    return worst_of(
        [
            Check.equal(values, formula, **F64),
            Check.differ(values[0], bound, at_least=GAP),
        ],
        detail=f"V(D = -10) = {values[0]:.2f}, V(D = -100) = {values[1]:.2f}; min over D >= 0 = {bound}",
    )
