r"""The earth mover's example: moving 3/10, then 2/10, then 1/10 one step right costs 6/10.

Claim (lectures): on the points 0, 1, 2, 3, turning :math:`P = (4, 3, 2, 1)/10` into
:math:`Q = (1, 4, 3, 2)/10` costs

.. math:: W_1(P, Q) = \tfrac{3}{10} + \tfrac{2}{10} + \tfrac{1}{10} = \tfrac{6}{10}:

move 3/10 from 0 to 1, 2/10 from 1 to 2 and 1/10 from 2 to 3 (each a distance of 1), leave the
rest in place. No plan is cheaper: the LP says so, and on the line the value is also
:math:`\int |F_P - F_Q| = 0.3 + 0.2 + 0.1`.
"""

from __future__ import annotations

import numpy as np
import ot
from scipy import stats

import divergences as dv
from divergences.lab.proof import Check, Proof, worst_of
from divergences.testing import tolerance
from divergences.testing.reference import highs_primal

PROOF = Proof(
    "The earth mover's example costs 3/10 + 2/10 + 1/10 = 6/10",
    claim="W1((4,3,2,1)/10, (1,4,3,2)/10) on {0,1,2,3} = 0.6",
)
LP = tolerance("lp")
X = np.array([0.0, 1.0, 2.0, 3.0])
P = np.array([4, 3, 2, 1]) / 10
Q = np.array([1, 4, 3, 2]) / 10
# The plan of the notes: keep 1/10 at 0, move 3/10 to 1; keep 1/10 at 1, move 2/10 to 2; ...
PLAN = np.array(
    [
        [0.1, 0.3, 0.0, 0.0],
        [0.0, 0.1, 0.2, 0.0],
        [0.0, 0.0, 0.1, 0.1],
        [0.0, 0.0, 0.0, 0.1],
    ]
)


@PROOF.step(
    "the plan of the notes is a coupling of P and Q and costs 3/10 + 2/10 + 1/10", method="numeric"
)
def _plan() -> Check:
    cost = np.abs(X[:, None] - X[None])
    return worst_of(
        [
            Check.equal(PLAN.sum(1), P, **LP),
            Check.equal(PLAN.sum(0), Q, **LP),
            Check.equal(float(np.sum(PLAN * cost)), 0.3 + 0.2 + 0.1, **LP),
        ]
    )


@PROOF.step(
    "it is optimal: dv.w1_primal = dv.w1_dual = dv.w1_1d = POT = HiGHS = scipy = 6/10",
    method="reference",
)
def _optimal() -> Check:
    pts = X[:, None]
    cost = np.abs(X[:, None] - X[None])
    values = [
        float(dv.w1_primal(pts, pts, P, Q).value),
        float(dv.w1_dual(pts, pts, P, Q, method="lp").value),
        float(dv.w1_1d(X, X, P, Q)),
        float(ot.emd2(P, Q, cost)),
        highs_primal(pts, pts, P, Q),
        float(stats.wasserstein_distance(X, X, P, Q)),
    ]
    return Check.equal(values, 0.6, **LP, detail=f"values {np.round(values, 12).tolist()}")


@PROOF.step("on the line: sum_k |F_P(k) - F_Q(k)| = 0.3 + 0.2 + 0.1 + 0", method="numeric")
def _cdf() -> Check:
    gaps = np.abs(np.cumsum(P) - np.cumsum(Q))
    return Check.equal(gaps, [0.3, 0.2, 0.1, 0.0], **LP)
