r"""Two inequalities of a homework sheet, checked before they go into the notes.

Claim 1 (data processing): for every row-stochastic matrix :math:`K` (a channel: row :math:`i` is
the distribution of the output given input :math:`i`),

.. math:: \mathrm{KL}(pK \,\|\, qK) \le \mathrm{KL}(p \,\|\, q).

Claim 2: :math:`\mathrm{JS}(p \,\|\, q) \le \log 2 \cdot \mathrm{TV}(p, q)`, with
:math:`\mathrm{TV} = \tfrac12 \sum_i |p_i - q_i|`. Derivation: JS is a sum over outcomes of
:math:`h(a, b) = \tfrac12 [a \log \tfrac{2a}{a + b} + b \log \tfrac{2b}{a + b}]` with
:math:`a = p_i`, :math:`b = q_i`. With :math:`s = a + b` fixed, :math:`g(a) = h(a, s - a)` is
convex (:math:`g'' = \tfrac12 (1/a + 1/(s - a)) > 0`), is 0 at :math:`a = s/2` and
:math:`\tfrac{s}{2} \log 2` at :math:`a = s`; by symmetry :math:`g` lies below the chord
:math:`|a - b| \tfrac{\log 2}{2}`. Summing over :math:`i` gives the claim.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import pmf_pairs, pmfs, tolerance

PROOF = Proof(
    "My homework: data processing for KL, and JS <= log 2 TV",
    claim="KL(pK || qK) <= KL(p || q) for a stochastic K; JS(p || q) <= log 2 * TV(p, q)",
)
F64 = tolerance("float64")


def _at_most(lhs: float, rhs: float) -> Check:
    """``lhs <= rhs`` up to float64 rounding, relative to the larger side."""
    return Check.at_most(lhs, rhs, atol=F64["atol"] + F64["rtol"] * abs(rhs))


@st.composite
def _pair_and_channel(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Masses near 1e-308 are left out: a product of two of them underflows to 0 in pK or qK,
    # which no longer tells the channel's output apart from an impossible one.
    p, q = draw(pmf_pairs(n=[2, 3, 5], tiny=False))
    m = draw(st.sampled_from([1, 2, 4]))
    channel = np.stack([draw(pmfs(m, tiny=False)) for _ in range(p.size)])
    return p, q, channel


@PROOF.step("KL(pK || qK) <= KL(p || q) for every channel K", method="hypothesis")
def _data_processing() -> Check:
    def check(example: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        p, q, channel = example
        return _at_most(float(dv.kl(p @ channel, q @ channel)), float(dv.kl(p, q)))

    return over_examples(_pair_and_channel(), check)


@PROOF.step(
    "equality for the identity channel, 0 for a channel that forgets its input", method="numeric"
)
def _data_processing_extremes() -> Check:
    p, q = np.array([0.7, 0.2, 0.1]), np.array([0.1, 0.3, 0.6])
    forget = np.tile([0.5, 0.25, 0.25], (3, 1))  # every row the same: the output ignores the input
    return worst_of(
        [
            Check.equal(dv.kl(p @ np.eye(3), q @ np.eye(3)), dv.kl(p, q), **F64),
            Check.equal(dv.kl(p @ forget, q @ forget), 0.0, **F64),
        ]
    )


A, S = sp.symbols("a s", positive=True)
G = (A * sp.log(2 * A / S) + (S - A) * sp.log(2 * (S - A) / S)) / 2  # h(a, s - a)


@PROOF.step("g(s/2) = 0 and g(s) = (s/2) log 2, with 0 log 0 = 0", method="sympy")
def _chord_ends() -> Check:
    return symbolic_zero(G.subs(A, S / 2) ** 2 + (sp.limit(G, A, S) - S / 2 * sp.log(2)) ** 2)


@PROOF.step("g''(a) = (1/a + 1/(s - a)) / 2, positive on (0, s): g is convex", method="sympy")
def _convex() -> Check:
    return symbolic_zero(sp.diff(G, A, 2) - (1 / A + 1 / (S - A)) / 2)


@PROOF.step("JS(p || q) <= log 2 * TV(p, q) on drawn pairs", method="hypothesis")
def _js_below_tv() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        js = float(dv.js_divergence(p, q))
        return _at_most(js, np.log(2) * float(dv.total_variation(p, q)))

    return over_examples(pmf_pairs(), check)


test_step = PROOF.pytest_test()
