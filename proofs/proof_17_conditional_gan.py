r"""Conditional GAN: D*(x | y) = p(x | y) / (p(x | y) + q(x | y)) and V(G, D*) = -log 4 + 2 E_y JS.

Claim (lectures; Mirza & Osindero, 2014): give the label y to both players,

.. math:: V(G, D) = \mathbb{E}_{(x, y) \sim p} \log D(x \mid y)
          + \mathbb{E}_{y \sim p(y)}\, \mathbb{E}_{x \sim q(\cdot \mid y)} \log\bigl(1 - D(x \mid y)\bigr),

with the generator fed the data's label marginal p(y). Then for a fixed generator the best
discriminator is :math:`D^*(x \mid y) = p(x \mid y) / (p(x \mid y) + q(x \mid y))` and

.. math:: V(G, D^*) = -\log 4 + 2 \sum_y p(y)\, \mathrm{JS}\bigl(p(\cdot \mid y) \,\|\, q(\cdot \mid y)\bigr)
                    = -\log 4 + 2\, \mathrm{JS}\bigl(p(x, y) \,\|\, p(y) q(x \mid y)\bigr),

whose minimum :math:`-\log 4` is reached iff every conditional matches.

Derivation: the value is a sum over cells (x, y) of
:math:`p(y)\,[a \log d + b \log(1 - d)]` with :math:`a = p(x \mid y)`, :math:`b = q(x \mid y)`; each
term is concave in d with its peak at :math:`a / (a + b)` (the factor p(y) cancels, so the
discriminator of the joint tables is the conditional one), and the unconditional theorem applied
to each label gives the weighted sum of JS.

Conditions the statement needs, each shown below:

* "every conditional matches" means every label with :math:`p(y) > 0`; a label the data never
  shows leaves its conditional free.
* The generator must draw labels from p(y): fed :math:`r(y) \ne p(y)`, even perfect conditionals
  leave :math:`V(G, D^*) = -\log 4 + 2\,\mathrm{JS}(p(y) \,\|\, r(y)) > -\log 4`, and the weighted
  sum of JS (which is 0 there) gives the wrong number.
* Matching the marginal of x is not enough: with the labels swapped the unconditional game is at
  its minimum while the conditional one is at its maximum.
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
    "Conditional GAN: D*(x|y) = p(x|y) / (p(x|y) + q(x|y)), V(G, D*) = -log 4 + 2 E_y JS",
    claim="D*(x|y) = p(x|y)/(p(x|y)+q(x|y)); V(G, D*) = -log 4 + 2 sum_y p(y) JS(p(.|y) || q(.|y))",
)
F64 = tolerance("float64")
LOG4 = math.log(4.0)
LABELS, OUTCOMES = 2, 3
GAP = 1e-3


class _Game:
    """A data joint table p(y, x) (rows: labels) and a generator's conditionals q(x | y)."""

    def __init__(self, joint: np.ndarray, q_cond: np.ndarray, filler: np.ndarray) -> None:
        self.joint = joint
        self.p_y = joint.sum(1)
        seen = self.p_y > 0
        # p(x | y) where p(y) > 0; a label the data never shows gets a drawn conditional.
        self.p_cond = np.where(
            seen[:, None], joint / np.where(seen, self.p_y, 1.0)[:, None], filler
        )
        self.p_cond /= self.p_cond.sum(1, keepdims=True)
        self.q_cond = q_cond
        self.q_joint = self.p_y[:, None] * q_cond  # the generator is fed the data's labels
        self.seen = seen

    def __repr__(self) -> str:
        return f"_Game(joint={self.joint.tolist()}, q_cond={self.q_cond.tolist()})"


@st.composite
def _games(draw: st.DrawFn) -> _Game:
    joint = draw(pmfs(LABELS * OUTCOMES)).reshape(LABELS, OUTCOMES)
    q_cond = np.stack([draw(pmfs(OUTCOMES)) for _ in range(LABELS)])
    filler = np.stack([draw(pmfs(OUTCOMES)) for _ in range(LABELS)])
    return _Game(joint, q_cond, filler)


def _value(p: np.ndarray, q: np.ndarray, d: np.ndarray) -> float:
    """E_p log d + E_q log(1 - d) with numpy and scipy's xlogy (independent of the package)."""
    return float(np.sum(special.xlogy(p, d)) + np.sum(special.xlogy(q, 1.0 - d)))


@PROOF.step(
    "pointwise: w [a log d + b log(1 - d)] has derivative 0 at d = a / (a + b) and second "
    "derivative -w (a + b)^3 / (a b) < 0 there: D* does not depend on the weight w = p(y)",
    method="sympy",
)
def _pointwise_peak() -> Check:
    a, b, w, d = sp.symbols("a b w d", positive=True)
    g = w * (a * sp.log(d) + b * sp.log(1 - d))
    peak = a / (a + b)
    first = sp.diff(g, d).subs(d, peak)
    second = sp.diff(g, d, 2).subs(d, peak) + w * (a + b) ** 3 / (a * b)
    return worst_of([symbolic_zero(first), symbolic_zero(second)])


@PROOF.step(
    "the discriminator of the joint tables p(x, y) / (p(x, y) + p(y) q(x | y)) is the conditional "
    "one, dv.optimal_discriminator(p(.|y), q(.|y)) row by row, wherever p(y) > 0",
    method="hypothesis",
)
def _joint_is_conditional() -> Check:
    def check(g: _Game) -> Check:
        rows = np.asarray(dv.optimal_discriminator(g.p_cond, g.q_cond))
        joint = np.asarray(dv.optimal_discriminator(g.joint.ravel(), g.q_joint.ravel()))
        joint = joint.reshape(LABELS, OUTCOMES)
        return Check.equal(rows[g.seen], joint[g.seen], **F64)

    return over_examples(_games(), check)


@PROOF.step(
    "V(G, D*) = -log 4 + 2 sum_y p(y) JS(p(.|y) || q(.|y)) = -log 4 + 2 JS(p(x, y) || p(y) q(x|y)), "
    "and no drawn discriminator does better, on drawn joint tables",
    method="hypothesis",
)
def _value_at_optimum() -> Check:
    def check(ex: tuple[_Game, np.ndarray]) -> Check:
        g, other = ex
        d_star = np.asarray(dv.optimal_discriminator(g.p_cond, g.q_cond))
        v = _value(g.joint, g.q_joint, d_star)
        weighted = float(np.sum(g.p_y * np.asarray(dv.js_divergence(g.p_cond, g.q_cond))))
        js_joint = float(dv.js_divergence(g.joint.ravel(), g.q_joint.ravel()))
        v_pkg = float(dv.gan_value(g.joint.ravel(), g.q_joint.ravel(), d_star.ravel()))
        return worst_of(
            [
                Check.equal(v, -LOG4 + 2 * weighted, **F64),
                Check.equal(v, -LOG4 + 2 * js_joint, **F64),
                Check.equal(v_pkg, v, **F64),
                Check.at_most(_value(g.joint, g.q_joint, other), v, atol=F64["atol"]),
            ]
        )

    other = st.lists(
        st.floats(0.01, 0.99), min_size=LABELS * OUTCOMES, max_size=LABELS * OUTCOMES
    ).map(lambda v: np.asarray(v).reshape(LABELS, OUTCOMES))
    return over_examples(st.tuples(_games(), other), check)


@PROOF.step(
    "the minimum -log 4 is reached when q(.|y) = p(.|y) for every y; otherwise "
    "V(G, D*) + log 4 >= sum_y p(y) TV(p(.|y), q(.|y))^2 > 0 (Pinsker on each label)",
    method="hypothesis",
)
def _minimum_iff_conditionals_match() -> Check:
    def check(g: _Game) -> Check:
        d_same = np.asarray(dv.optimal_discriminator(g.p_cond, g.p_cond))
        at_p = _value(g.joint, g.joint, d_same)
        d_star = np.asarray(dv.optimal_discriminator(g.p_cond, g.q_cond))
        v = _value(g.joint, g.q_joint, d_star)
        tv = np.asarray(dv.total_variation(g.p_cond, g.q_cond))
        return worst_of(
            [
                Check.equal(at_p, -LOG4, **F64),
                Check.at_most(float(np.sum(g.p_y * tv**2)), v + LOG4, atol=F64["atol"]),
            ]
        )

    return over_examples(_games(), check)


@PROOF.step(
    "condition: a label with p(y) = 0 leaves q(.|y) free: V(G, D*) = -log 4 although "
    "q(.|y) != p(.|y) for that label",
    method="numeric",
)
def _unseen_label_is_free() -> Check:
    joint = np.array([[0.2, 0.5, 0.3], [0.0, 0.0, 0.0]])
    q_cond = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    g = _Game(joint, q_cond, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    d_star = np.asarray(dv.optimal_discriminator(g.p_cond, g.q_cond))
    v = _value(g.joint, g.q_joint, d_star)
    tv_unseen = float(dv.total_variation(g.p_cond[1], g.q_cond[1]))
    return worst_of(
        [Check.equal(v, -LOG4, **F64), Check.differ(tv_unseen, 0.0, at_least=GAP)],
        detail=f"V(G, D*) = {v:.4f}; TV of the unseen label's conditionals {tv_unseen:.1f}",
    )


@PROOF.step(
    "condition: fed labels r(y) != p(y), perfect conditionals give V(G, D*) = -log 4 + "
    "2 JS(p(y) || r(y)), not the -log 4 of the weighted sum",
    method="numeric",
)
def _labels_from_another_marginal() -> Check:
    p_y, r_y = np.array([0.7, 0.3]), np.array([0.4, 0.6])
    cond = np.array([[0.6, 0.4, 0.0], [0.1, 0.2, 0.7]])
    p_joint, q_joint = p_y[:, None] * cond, r_y[:, None] * cond
    d_star = np.asarray(dv.optimal_discriminator(p_joint.ravel(), q_joint.ravel()))
    v = float(dv.gan_value(p_joint.ravel(), q_joint.ravel(), d_star))
    by_labels = -LOG4 + 2 * float(dv.js_divergence(p_y, r_y))
    weighted = -LOG4 + 2 * float(np.sum(p_y * np.asarray(dv.js_divergence(cond, cond))))
    return worst_of(
        [Check.equal(v, by_labels, **F64), Check.differ(v, weighted, at_least=GAP)],
        detail=f"V(G, D*) = {v:.4f}; -log 4 + 2 E_y JS = {weighted:.4f}",
    )


@PROOF.step(
    "condition: matching the marginal of x is not enough: labels swapped, the unconditional "
    "V(G, D*) is -log 4 while the conditional one is -log 4 + 2 log 2 = 0",
    method="numeric",
)
def _marginal_is_not_enough() -> Check:
    p_y = np.array([0.5, 0.5])
    p_cond = np.array([[1.0, 0.0], [0.0, 1.0]])
    q_cond = p_cond[::-1].copy()
    p_x, q_x = p_y @ p_cond, p_y @ q_cond
    unconditional = float(dv.gan_value(p_x, q_x, dv.optimal_discriminator(p_x, q_x)))
    d_star = np.asarray(dv.optimal_discriminator(p_cond, q_cond))
    conditional = _value(p_y[:, None] * p_cond, p_y[:, None] * q_cond, d_star)
    return worst_of(
        [
            Check.equal(unconditional, -LOG4, **F64),
            Check.equal(conditional, 0.0, **F64),
            Check.differ(conditional, unconditional, at_least=GAP),
        ],
        detail=f"unconditional {unconditional:.4f}, conditional {conditional:.4f}",
    )
