r"""The gradient penalty: the optimal critic has gradient norm 1 along the transport segments.

Claim (lectures; Gulrajani et al., 2017, Proposition 1): if :math:`f^*` is an optimal
1-Lipschitz critic and :math:`\pi` an optimal coupling, then for :math:`(x, y) \sim \pi` and
:math:`\hat x = \epsilon x + (1 - \epsilon) y`, :math:`\|\nabla f^*(\hat x)\| = 1`; so the
penalty :math:`\mathbb{E}(\|\nabla f(\hat x)\| - 1)^2` vanishes at the optimum.

The discrete form of the same fact is complementary slackness: :math:`f(x_i) - f(y_j) =
\|x_i - y_j\|` wherever :math:`\pi_{ij} > 0`, so the critic rises at slope exactly 1 along every
segment the plan uses. Checked (i) on the parallel lines, with the critic
:math:`f(u, z) = -\operatorname{sign}(\theta) u`, and (ii) on drawn 1-D measures with the critic
:math:`f(t) = \int_0^t \operatorname{sign}(F_\nu - F_\mu)`, and (iii) on the LP potential of
drawn measures in the plane.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import divergences as dv
from divergences.families import parallel_lines
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import point_measures

PROOF = Proof(
    "The gradient penalty vanishes at the optimal critic",
    claim="|grad f*| = 1 on segments between coupled points, so E(|grad f(x_hat)| - 1)^2 = 0",
)
LP = tolerance("lp")
F64 = tolerance("float64")
EPSILONS = np.array([0.137, 0.5, 0.861])


@PROOF.step(
    "parallel lines: f(u, z) = -sign(theta) u earns W1 = |theta|, matches the plan's segments, and "
    "its gradient norm is 1 at every interpolate: penalty 0",
    method="numeric",
)
def _lines() -> Check:
    fam = parallel_lines(n_z=8)
    checks = []
    for theta in (-0.8, 0.3, 1.5):
        m = fam.measures(theta)
        n = m.points.shape[0] // 2
        x, y = np.asarray(m.points[:n]), np.asarray(m.points[n:])
        primal = dv.w1_primal(x, y)
        plan = np.asarray(primal.plan.todense())

        def f(v: jax.Array, theta: float = theta) -> jax.Array:
            return -np.sign(theta) * v[0]

        earned = float(np.mean([f(v) for v in x]) - np.mean([f(v) for v in y]))
        i, j = np.nonzero(plan > 0)
        x_hat = (
            EPSILONS[:, None, None] * x[i][None] + (1 - EPSILONS[:, None, None]) * y[j][None]
        ).reshape(-1, 2)
        norms = np.linalg.norm(np.asarray(jax.vmap(jax.grad(f))(jnp.asarray(x_hat))), axis=-1)
        checks += [
            Check.equal(earned, float(primal.value), **LP),
            Check.equal(earned, abs(theta), **LP),
            Check.equal(norms, 1.0, **F64),
            Check.equal(np.mean((norms - 1) ** 2), 0.0, **F64),
        ]
    return worst_of(checks)


def _critic_1d(x: np.ndarray, a: np.ndarray, y: np.ndarray, b: np.ndarray):
    """f(t) = int_0^t sign(F_nu(s) - F_mu(s)) ds (piecewise linear) and its slope at t."""
    knots = np.unique(np.concatenate([x, y, [0.0]]))
    f_mu = np.array([a[x <= k].sum() for k in knots])  # right-continuous CDFs at the knots
    f_nu = np.array([b[y <= k].sum() for k in knots])
    slopes = np.sign(f_nu - f_mu)  # slope on [knot_k, knot_{k+1})
    values = np.concatenate([[0.0], np.cumsum(slopes[:-1] * np.diff(knots))])
    values -= values[np.searchsorted(knots, 0.0)]

    def f(t: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 1)
        return values[k] + slopes[k] * (t - knots[k])

    def slope(t: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 1)
        return slopes[k]

    return f, slope


@PROOF.step(
    "1-D: the critic f = int sign(F_nu - F_mu) earns W1, f(x_i) - f(y_j) = |x_i - y_j| on the plan, "
    "|f'| = 1 at the interpolates: penalty 0",
    method="hypothesis",
)
def _one_d() -> Check:
    def check(ex: tuple) -> Check:
        x2, a, y2, b = ex
        x, y = x2[:, 0], y2[:, 0]
        f, slope = _critic_1d(x, a, y, b)
        primal = dv.w1_primal(x2, y2, a, b)
        plan = np.asarray(primal.plan.todense())
        i, j = np.nonzero(plan > LP["atol"])
        moving = np.abs(x[i] - y[j]) > 0
        i, j = i[moving], j[moving]
        x_hat = (EPSILONS[:, None] * x[i][None] + (1 - EPSILONS[:, None]) * y[j][None]).ravel()
        checks = [
            Check.equal(float(a @ f(x) - b @ f(y)), float(primal.value), **LP),
            Check.equal(f(x[i]) - f(y[j]), np.abs(x[i] - y[j]), **LP),
        ]
        if x_hat.size:
            checks.append(Check.equal(np.abs(slope(x_hat)), 1.0, **F64))
        return worst_of(checks)

    return over_examples(point_measures(dim=1), check)


@PROOF.step(
    "plane: the LP potential has f_i - f_j = |x_i - y_j| wherever the optimal plan is positive "
    "(slope 1 along every transport segment)",
    method="hypothesis",
)
def _plane() -> Check:
    def check(ex: tuple) -> Check:
        x, a, y, b = ex
        dual = dv.w1_dual(x, y, a, b, method="lp")
        f = np.asarray(dual.f)
        plan = np.asarray(dv.w1_primal(x, y, a, b).plan.todense())
        i, j = np.nonzero(plan > LP["atol"])
        dist = np.linalg.norm(x[i] - y[j], axis=-1)
        # The potential comes from HiGHS, whose constraints hold to its feasibility tolerance.
        return Check.equal(f[i] - f[len(x) + j], dist, **tolerance("lp_feasibility"))

    return over_examples(point_measures(dim=2), check)
