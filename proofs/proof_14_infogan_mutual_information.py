r"""InfoGAN's mutual information I(c; G(z, c)) = H(c) - H(c | G(z, c)), and its lower bound.

Claim (lectures; Chen et al., 2016, eq. (2)-(5)):

.. math:: I(c; X) = H(c) - H(c \mid X) = H(X) - H(X \mid c) = \mathrm{KL}(P_{cX} \,\|\, P_c \otimes P_X),

and for any auxiliary distribution :math:`Q(c \mid x)` (the Q network),

.. math:: L_I(Q) = \mathbb{E}_{c, x} \log Q(c \mid x) + H(c) \le I(c; X),

with equality iff :math:`Q(c \mid x) = P(c \mid x)` (the gap is
:math:`\mathbb{E}_x \mathrm{KL}(P(\cdot \mid x) \,\|\, Q(\cdot \mid x))`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "InfoGAN: I(c; G) = H(c) - H(c | G) and the variational bound",
    claim="I(c; X) = H(c) - H(c|X) = KL(P_cX || P_c P_X) >= E log Q(c|x) + H(c)",
)
F64 = tolerance("float64")


@st.composite
def _joints(draw: st.DrawFn, extreme: bool = False) -> np.ndarray:
    shape = draw(st.sampled_from([(2, 3), (3, 2)]))
    return draw(pmfs(6, extreme=extreme)).reshape(shape)


@PROOF.step(
    "dv.mutual_information = H(c) - H(c | X) = H(X) - H(X | c) = H(c) + H(X) - H(c, X) >= 0 "
    "(tiny and near-degenerate masses included)",
    method="hypothesis",
)
def _identities() -> Check:
    def check(j: np.ndarray) -> Check:
        pc, px = j.sum(1), j.sum(0)
        mi = float(dv.mutual_information(j))
        return worst_of(
            [
                Check.equal(mi, float(dv.entropy(pc) - dv.conditional_entropy(j)), **F64),
                Check.equal(mi, float(dv.entropy(px) - dv.conditional_entropy(j.T)), **F64),
                Check.equal(
                    mi, float(dv.entropy(pc) + dv.entropy(px) - dv.entropy(j.ravel())), **F64
                ),
                Check.at_most(0.0, mi, atol=F64["atol"]),
            ]
        )

    return over_examples(_joints(extreme=True), check)


@PROOF.step(
    "I(c; X) = KL(joint || product of marginals) (the product of two tiny marginals underflows, "
    "so this form is checked on moderate masses)",
    method="hypothesis",
)
def _kl_form() -> Check:
    def check(j: np.ndarray) -> Check:
        prod = np.outer(j.sum(1), j.sum(0))
        return Check.equal(
            float(dv.mutual_information(j)), float(dv.kl(j.ravel(), prod.ravel())), **F64
        )

    return over_examples(_joints(), check)


@PROOF.step("independent c and X give I = 0; X = c gives I = H(c)", method="hypothesis")
def _extremes() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        pc, px = pq
        return worst_of(
            [
                Check.equal(float(dv.mutual_information(np.outer(pc, px))), 0.0, **F64),
                Check.equal(
                    float(dv.mutual_information(np.diag(pc))), float(dv.entropy(pc)), **F64
                ),
            ]
        )

    return over_examples(st.tuples(pmfs(3), pmfs(3)), check)


@PROOF.step(
    "L_I(Q) = E log Q(c|x) + H(c) <= I(c; X), the gap is E_x KL(P(.|x) || Q(.|x)), zero at the posterior",
    method="hypothesis",
)
def _variational_bound() -> Check:
    @st.composite
    def joint_and_q(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
        j = draw(pmfs(6, positive=True)).reshape(2, 3)
        q = np.stack([draw(pmfs(2, positive=True)) for _ in range(3)], axis=1)  # Q(c | x), columns
        return j, q

    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        j, q = ex
        pc, px = j.sum(1), j.sum(0)
        post = j / px
        mi = float(dv.mutual_information(j))
        bound = float(np.sum(j * np.log(q))) + float(dv.entropy(pc))
        at_post = float(np.sum(j * np.log(post))) + float(dv.entropy(pc))
        gap = sum(px[k] * float(dv.kl(post[:, k], q[:, k])) for k in range(3))
        return worst_of(
            [
                Check.at_most(bound, mi, atol=F64["atol"]),
                Check.equal(mi - bound, gap, **F64),
                Check.equal(at_post, mi, **F64),
            ]
        )

    return over_examples(joint_and_q(), check)
