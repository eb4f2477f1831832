r"""For a fixed generator the best discriminator is D* = p / (p + q).

Claim (lectures; Goodfellow et al., 2014, Proposition 1): for fixed G, the value
:math:`V(G, D) = \mathbb{E}_p \log D + \mathbb{E}_q \log(1 - D)` is maximised pointwise, since
:math:`y \mapsto a \log y + b \log(1 - y)` on [0, 1] peaks at :math:`a / (a + b)` for
:math:`a, b \ge 0`, :math:`a + b > 0`. Hence :math:`D^*(x) = p(x) / (p(x) + q(x))`.
Where :math:`p(x) + q(x) = 0` every value of D is optimal (the package returns 1/2).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import pmf_pairs

PROOF = Proof(
    "The optimal discriminator is D* = p / (p + q)",
    claim="a log d + b log(1 - d) peaks at d = a / (a + b); D* = p/(p+q) maximises V(G, D)",
)
F64 = tolerance("float64")


@PROOF.step("d/dy [a log y + b log(1 - y)] = 0 exactly at y = a / (a + b)", method="sympy")
def _stationary() -> Check:
    a, b, y = sp.symbols("a b y", positive=True)
    g = a * sp.log(y) + b * sp.log(1 - y)
    sols = sp.solve(sp.diff(g, y), y)
    return symbolic_zero(sp.Matrix(sols) - sp.Matrix([a / (a + b)]))


@PROOF.step(
    "the second derivative there is -(a + b)^3 / (a b) < 0: a maximum (the function is concave)",
    method="sympy",
)
def _concave() -> Check:
    a, b, y = sp.symbols("a b y", positive=True)
    g2 = sp.diff(a * sp.log(y) + b * sp.log(1 - y), y, 2)
    return symbolic_zero(g2.subs(y, a / (a + b)) + (a + b) ** 3 / (a * b))


@PROOF.step(
    "dv.optimal_discriminator = p / (p + q) (1/2 where p + q = 0) and dV/dD = 0 there (D* in [1e-3, 1 - 1e-3])",
    method="numeric",
)
def _formula_and_gradient() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        d = np.asarray(dv.optimal_discriminator(p, q))
        s = p + q
        expected = np.where(s > 0, p / np.where(s > 0, s, 1), 0.5)
        # The gradient in D where D* is inside (0, 1). Where D* is within 1e-3 of 1, the term
        # q / (1 - D) is computed from 1 - D, which keeps only eps / (1 - D) relative digits: a
        # conditioning limit of float64, not of the claim, so those points are left out.
        inner = (p > 0) & (q > 0) & (np.minimum(d, 1 - d) > 1e-3)
        grad = np.asarray(jax.grad(lambda dd: dv.gan_value(p, q, dd))(jnp.asarray(d)))
        # dV/dD_i = p_i / D_i - q_i / (1 - D_i) is a difference of two terms of size ~ p_i + q_i:
        # zero up to the rounding of those terms, so it is held to rtol relative to their size.
        size = (p / np.where(d > 0, d, 1) + q / np.where(d < 1, 1 - d, 1))[inner]
        return worst_of(
            [
                Check.equal(d, expected, **F64),
                Check.at_most(np.abs(grad[inner]), F64["rtol"] * size, atol=F64["atol"]),
            ]
        )

    return over_examples(pmf_pairs(), check)


@PROOF.step(
    "D* beats every drawn discriminator: V(G, D) <= V(G, D*) on drawn (p, q, D)",
    method="hypothesis",
)
def _beats_all() -> Check:
    @st.composite
    def triples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, q = draw(pmf_pairs())
        d = draw(
            st.lists(
                st.sampled_from([0.0, 1e-6, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]),
                min_size=p.size,
                max_size=p.size,
            )
        )
        return p, q, np.asarray(d)

    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        p, q, d = ex
        best = float(dv.gan_value(p, q, dv.optimal_discriminator(p, q)))
        return Check.at_most(float(dv.gan_value(p, q, d)), best, atol=F64["atol"])

    return over_examples(triples(), check)
