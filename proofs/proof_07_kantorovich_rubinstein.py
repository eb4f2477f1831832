r"""Kantorovich-Rubinstein duality: the cheapest coupling costs what the best 1-Lipschitz critic earns.

Claim (lectures; Villani, 2009, Theorem 5.10 and Remark 6.5; Arjovsky et al., 2017, eq. (2)):

.. math:: W_1(\mu, \nu) = \inf_{\gamma \in \Pi(\mu, \nu)} \mathbb{E}_{(x, y) \sim \gamma} \|x - y\|
          = \sup_{\|f\|_L \le 1} \mathbb{E}_\mu f - \mathbb{E}_\nu f,

and a K-Lipschitz critic earns at most :math:`K\,W_1` (the sup over :math:`\|f\|_L \le K` is
:math:`K\,W_1`, reached by K times an optimal 1-Lipschitz critic).

Checked on drawn discrete measures (exact zeros allowed) on the line and in the plane, three
ways: the package's primal and dual, POT's network simplex, and an independent HiGHS solve of
the transport LP with SciPy.
"""

from __future__ import annotations

import numpy as np
import ot
from scipy import stats

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance
from divergences.testing.reference import highs_primal

from ._strategies import point_measures

PROOF = Proof(
    "Kantorovich-Rubinstein duality: inf over couplings = sup over 1-Lipschitz critics",
    claim="W1 = inf_gamma E|x - y| = sup_{|f|_L <= 1} E_mu f - E_nu f; K-Lipschitz gives K W1",
)
LP = tolerance("lp")
FEAS = tolerance("lp_feasibility")
F64 = tolerance("float64")

Example = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _scale(x: np.ndarray, y: np.ndarray) -> float:
    """The problem's cost scale: LP solutions round relative to it, not to the optimal value."""
    z = np.concatenate([x, y])
    return max(1.0, float(np.linalg.norm(z[:, None] - z[None], axis=-1).max()))


def _primal_dual(ex: Example) -> Check:
    x, a, y, b = ex
    cost = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=-1)
    primal = dv.w1_primal(x, y, a, b)
    plan = np.asarray(primal.plan.todense())
    s = _scale(x, y)
    value = float(primal.value) / s
    dual_lp = dv.w1_dual(x, y, a, b, method="lp")
    dual_pr = dv.w1_dual(x, y, a, b, method="dense")
    return worst_of(
        [
            Check.equal(value, ot.emd2(a, b, cost) / s, **LP),
            Check.equal(value, highs_primal(x, y, a, b) / s, **LP),
            Check.equal(float(dual_lp.value) / s, value, **LP),
            Check.equal(float(dual_pr.value) / s, value, **LP),
            Check.equal(float(np.sum(plan * cost)) / s, value, **LP),
            Check.equal(plan.sum(1), a, **LP),
            Check.equal(plan.sum(0), b, **LP),
            Check.at_most(-plan, 0.0, atol=LP["atol"]),
        ]
    )


@PROOF.step(
    "on the line: primal = dual (LP and from the primal) = POT = HiGHS; the plan is a coupling",
    method="hypothesis",
)
def _line() -> Check:
    return over_examples(point_measures(dim=1), _primal_dual)


@PROOF.step("in the plane: the same", method="hypothesis")
def _plane() -> Check:
    return over_examples(point_measures(dim=2), _primal_dual)


@PROOF.step(
    "on the line it is also int |F_mu - F_nu|: dv.w1_1d = scipy.stats.wasserstein_distance = w1_primal",
    method="hypothesis",
)
def _one_d() -> Check:
    def check(ex: Example) -> Check:
        x, a, y, b = ex
        ref = stats.wasserstein_distance(x[:, 0], y[:, 0], a, b)
        return worst_of(
            [
                Check.equal(float(dv.w1_1d(x[:, 0], y[:, 0], a, b)), ref, **LP),
                Check.equal(float(dv.w1_primal(x, y, a, b).value), ref, **LP),
            ]
        )

    return over_examples(point_measures(dim=1), check)


@PROOF.step(
    "the dual potential f (on x's points then y's) is 1-Lipschitz and earns E_mu f - E_nu f = W1",
    method="hypothesis",
)
def _potential() -> Check:
    def check(ex: Example) -> Check:
        x, a, y, b = ex
        dual = dv.w1_dual(x, y, a, b, method="lp")
        f = np.asarray(dual.f)
        z = np.concatenate([x, y])
        dist = np.linalg.norm(z[:, None] - z[None], axis=-1)
        earned = float(a @ f[: len(x)] - b @ f[len(x) :])
        s = _scale(x, y)
        return worst_of(
            [
                Check.at_most(np.abs(f[:, None] - f[None]), dist, atol=FEAS["atol"]),
                Check.equal(earned / s, float(dual.value) / s, **LP),
            ]
        )

    return over_examples(point_measures(dim=2), check)


@PROOF.step(
    "a K-Lipschitz critic earns K W1: K f is K-Lipschitz and earns K W1, and W1 of the space scaled "
    "by K (where K f is 1-Lipschitz) is K W1",
    method="hypothesis",
)
def _k_lipschitz() -> Check:
    def check(ex: Example) -> Check:
        x, a, y, b = ex
        k = 3.0
        dual = dv.w1_dual(x, y, a, b, method="lp")
        f = k * np.asarray(dual.f)
        earned = float(a @ f[: len(x)] - b @ f[len(x) :])
        scaled = float(dv.w1_primal(k * x, k * y, a, b).value)
        s = k * _scale(x, y)
        return worst_of(
            [
                Check.equal(earned / s, k * float(dual.value) / s, **LP),
                Check.equal(scaled / s, k * float(dual.value) / s, **LP),
            ]
        )

    return over_examples(point_measures(dim=2), check)


_ = F64
