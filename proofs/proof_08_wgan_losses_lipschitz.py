r"""The WGAN losses, and the Lipschitz constants of the usual activations.

Claim (lectures; Arjovsky et al., 2017, Algorithm 1): the critic minimises
:math:`L_D = -\mathbb{E}_p f + \mathbb{E}_q f` over 1-Lipschitz f, so its optimum is
:math:`-W_1(p, q)`; the generator minimises :math:`L_G = -\mathbb{E}_q f`, whose gradient in
the generator's parameter equals that of :math:`W_1` (envelope theorem; Arjovsky et al.,
Theorem 3).

The notes list x, sin, tanh and ReLU as 1-Lipschitz activations: their best constants
:math:`\sup |f'|` are all 1. The logistic sigmoid is 1-Lipschitz too, but its best constant is
1/4 (at 0): a network of sigmoids contracts, which is not the same as being "1-Lipschitz".
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from hypothesis import strategies as st

import divergences as dv
from divergences.families import parallel_lines
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import point_measures

PROOF = Proof(
    "WGAN losses L_D = -E_p f + E_q f, L_G = -E_q f; activations' Lipschitz constants",
    claim="min_f L_D = -W1; grad L_G = grad W1; Lip(x, sin, tanh, ReLU) = 1, Lip(sigmoid) = 1/4",
)
F64 = tolerance("float64")
LP = tolerance("lp")
GRAD = tolerance("gradient")

ACTIVATIONS = {
    "identity": (lambda x: x, 1.0),
    "sin": (jnp.sin, 1.0),
    "tanh": (jnp.tanh, 1.0),
    "relu": (jax.nn.relu, 1.0),
    "sigmoid": (jax.nn.sigmoid, 0.25),
}
GRID = np.linspace(-10.0, 10.0, 20001)  # step 1e-3, 0 included: where each |f'| peaks


@PROOF.step(
    "the optimal critic gives L_D = -W1, and no 1-Lipschitz linear critic f(x) = <u, x> does better",
    method="hypothesis",
)
def _critic_loss() -> Check:
    @st.composite
    def ex_and_angle(draw: st.DrawFn) -> tuple:
        return draw(point_measures(dim=2)), draw(st.floats(0, 2 * np.pi))

    def check(ex: tuple) -> Check:
        (x, a, y, b), angle = ex
        dual = dv.w1_dual(x, y, a, b, method="lp")
        f = np.asarray(dual.f)
        w1 = float(dual.value)
        l_d = float(-(a @ f[: len(x)]) + b @ f[len(x) :])
        u = np.array([np.cos(angle), np.sin(angle)])
        l_lin = float(-(a @ (x @ u)) + b @ (y @ u))
        return worst_of([Check.equal(l_d, -w1, **LP), Check.at_most(-w1, l_lin, atol=LP["atol"])])

    return over_examples(ex_and_angle(), check)


@PROOF.step(
    "parallel lines: with the critic f(u, z) = -sign(theta0) u, d L_G / d theta = d W1 / d theta "
    "= sign(theta0) (jax.grad through w1_primal)",
    method="numeric",
)
def _generator_gradient() -> Check:
    fam = parallel_lines()
    checks = []
    for t0 in (-0.6, -0.1, 0.2, 0.9):

        def l_g(t: jax.Array, t0: float = t0) -> jax.Array:
            m = fam.measures(t)
            return -jnp.sum(m.q * (-np.sign(t0) * m.points[:, 0]))

        def w1(t: jax.Array) -> jax.Array:
            m = fam.measures(t)
            n = m.points.shape[0] // 2
            return dv.w1_primal(m.points[:n], m.points[n:], m.p[:n], m.q[n:]).value

        g_lg = float(jax.grad(l_g)(jnp.asarray(t0)))
        g_w1 = float(jax.grad(w1)(jnp.asarray(t0)))
        checks += [Check.equal(g_lg, g_w1, **GRAD), Check.equal(g_w1, np.sign(t0), **GRAD)]
    return worst_of(checks)


@PROOF.step(
    "on drawn 1-D measures, shifting nu by theta: jax.grad of W1 = sum_ij plan_ij sign(y_j + theta - x_i) "
    "(the envelope theorem) = a central finite difference",
    method="hypothesis",
)
def _envelope() -> Check:
    def check(ex: tuple) -> Check:
        x, a, y, b = ex
        theta = 0.123  # generic: no atom of nu lands on an atom of mu
        g = float(jax.grad(lambda t: dv.w1_primal(x, y + t, a, b).value)(jnp.asarray(theta)))
        plan = np.asarray(dv.w1_primal(x, y + theta, a, b).plan.todense())
        envelope = float(np.sum(plan * np.sign((y + theta)[None, :, 0] - x[:, None, 0])))
        h = 1e-6
        fd = (
            float(dv.w1_primal(x, y + theta + h, a, b).value)
            - float(dv.w1_primal(x, y + theta - h, a, b).value)
        ) / (2 * h)
        return worst_of([Check.equal(g, envelope, **GRAD), Check.equal(g, fd, **GRAD)])

    return over_examples(point_measures(dim=1), check)


@PROOF.step(
    "sup |f'| on a grid of step 1e-3 over [-10, 10] (jax.grad): 1 for x, sin, tanh, ReLU; 1/4 for the sigmoid",
    method="numeric",
)
def _lipschitz_grid() -> Check:
    checks = []
    for fn, const in ACTIVATIONS.values():
        d = np.asarray(jax.vmap(jax.grad(fn))(jnp.asarray(GRID)))
        checks.append(Check.equal(np.max(np.abs(d)), const, **F64))
    return worst_of(checks)


@PROOF.step(
    "symbolically: tanh' = 1 - tanh^2 <= 1, sin' = cos <= 1, sigmoid' = s(1 - s) <= 1/4, "
    "all with equality at 0; ReLU's slopes are 0 and 1",
    method="sympy",
)
def _lipschitz_symbolic() -> Check:
    x = sp.symbols("x", real=True)
    sig = 1 / (1 + sp.exp(-x))
    residuals = [
        sp.diff(sp.tanh(x), x) - (1 - sp.tanh(x) ** 2),
        sp.diff(sp.tanh(x), x).subs(x, 0) - 1,
        sp.diff(sp.sin(x), x).subs(x, 0) - 1,
        sp.diff(sig, x) - sig * (1 - sig),
        sp.diff(sig, x).subs(x, 0) - sp.Rational(1, 4),
        # s(1 - s) <= 1/4 because 1/4 - s(1 - s) = (s - 1/2)^2.
        sp.Rational(1, 4) - sig * (1 - sig) - (sig - sp.Rational(1, 2)) ** 2,
        sp.diff(sp.Max(0, x), x).subs(x, 1) - 1,
        sp.diff(sp.Max(0, x), x).subs(x, -1),
    ]
    return symbolic_zero(sum(r**2 for r in residuals))


@PROOF.step(
    "difference quotients |f(x) - f(y)| / |x - y| never exceed the constants, on drawn pairs",
    method="hypothesis",
)
def _difference_quotients() -> Check:
    pair = st.tuples(st.floats(-20, 20), st.floats(-20, 20)).filter(lambda t: t[0] != t[1])

    def check(t: tuple[float, float]) -> Check:
        x, y = t
        return worst_of(
            [
                Check.at_most(
                    abs(float(fn(x)) - float(fn(y))), const * abs(x - y), atol=F64["atol"]
                )
                for fn, const in ACTIVATIONS.values()
            ]
        )

    return over_examples(pair, check)
