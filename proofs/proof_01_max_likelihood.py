r"""Maximum likelihood is minimising KL(p_hat || q_theta).

Claim (lectures): for data :math:`x_1, \dots, x_N` with empirical distribution :math:`\hat p`,

.. math:: \arg\max_\theta \sum_n \log q_\theta(x_n) = \arg\min_\theta \mathrm{KL}(\hat p \,\|\, q_\theta),

because :math:`\tfrac1N \sum_n \log q_\theta(x_n) = -H(\hat p) - \mathrm{KL}(\hat p \,\|\, q_\theta)`
and :math:`H(\hat p)` does not depend on theta. For a categorical model with counts
:math:`n_c` the maximiser is :math:`q_c = n_c / N`.

Direction matters: it is KL(data || model), the "forward" KL (mass-covering); minimising
KL(model || data) is a different estimator.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import SIZES, pmfs

PROOF = Proof(
    "Maximum likelihood is minimising KL(p_hat || q)",
    claim="argmax_q sum_n log q(x_n) = argmin_q KL(p_hat || q); the MLE is n_c / N",
)
F64 = tolerance("float64")


def _loglik(counts: np.ndarray, q: np.ndarray) -> float:
    """sum_c n_c log q_c with 0 log 0 = 0 (a category never seen costs nothing)."""
    seen = counts > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(counts[seen] * np.log(q[seen])))


@st.composite
def _counts_and_model(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.sampled_from(SIZES))
    counts = np.asarray(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)), float)
    if counts.sum() == 0:
        counts[0] = 1.0
    return counts, draw(pmfs(n))


@PROOF.step(
    "the log-likelihood sum_c n_c log q_c is stationary on the simplex at q_c = n_c / N (K = 3)",
    method="sympy",
)
def _stationary_point() -> Check:
    n1, n2, n3, q1, q2 = sp.symbols("n1 n2 n3 q1 q2", positive=True)
    ll = n1 * sp.log(q1) + n2 * sp.log(q2) + n3 * sp.log(1 - q1 - q2)
    (sol,) = sp.solve([sp.diff(ll, q1), sp.diff(ll, q2)], [q1, q2], dict=True)
    total = n1 + n2 + n3
    return symbolic_zero((sol[q1] - n1 / total) ** 2 + (sol[q2] - n2 / total) ** 2)


@PROOF.step(
    "(1/N) sum_c n_c log q_c = -H(p_hat) - KL(p_hat || q), with p_hat_c = n_c / N",
    method="sympy",
)
def _identity_symbolic() -> Check:
    n = sp.symbols("n1:4", positive=True)
    q = sp.symbols("q1:4", positive=True)
    total = sum(n)
    ph = [k / total for k in n]
    lhs = sum(k * sp.log(qc) for k, qc in zip(n, q, strict=True)) / total
    neg_entropy = sum(pc * sp.log(pc) for pc in ph)
    kl = sum(pc * sp.log(pc / qc) for pc, qc in zip(ph, q, strict=True))
    rhs = neg_entropy - kl  # -H(p_hat) - KL(p_hat || q)
    return symbolic_zero(sp.expand_log(lhs - rhs, force=True))


@PROOF.step(
    "the same identity with the package on drawn counts (zeros included) and models",
    method="hypothesis",
)
def _identity_numeric() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        counts, q = ex
        ph = counts / counts.sum()
        lhs = _loglik(counts, q) / counts.sum()
        rhs = -float(dv.entropy(ph)) - float(dv.kl(ph, q))
        return Check.equal(lhs, rhs, **F64)

    return over_examples(_counts_and_model(), check)


@PROOF.step(
    "no model beats q = n_c / N: loglik(q) <= loglik(p_hat) and KL(p_hat || q) >= KL(p_hat || p_hat) = 0",
    method="hypothesis",
)
def _argmax() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        counts, q = ex
        ph = counts / counts.sum()
        return worst_of(
            [
                Check.at_most(_loglik(counts, q), _loglik(counts, ph), atol=F64["atol"]),
                Check.equal(float(dv.kl(ph, ph)), 0.0, **F64),
                Check.at_most(0.0, float(dv.kl(ph, q)), atol=F64["atol"]),
            ]
        )

    return over_examples(_counts_and_model(), check)
