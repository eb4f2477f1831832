r"""EBGAN's pulling-away term: the mean squared cosine is >= 0, zero iff the batch is orthogonal.

Claim (lectures; Zhao et al., 2017, section 2.4): for a batch of N encoder outputs
:math:`s_1, \dots, s_N \in \mathbb{R}^k`,

.. math:: f_{PT}(S) = \frac{1}{N (N - 1)} \sum_{i \ne j} \cos^2(s_i, s_j)
          = \frac{\|U U^\top\|_F^2 - N}{N (N - 1)}, \qquad u_i = s_i / \|s_i\|,

is non-negative and zero iff the vectors are pairwise orthogonal, which is possible iff
:math:`N \le k`. For N > k it is at least :math:`(N - k) / (k (N - 1))`, since the Gram matrix
:math:`U U^\top` has trace N and rank at most k, so :math:`\|U U^\top\|_F^2 \ge N^2 / k`
(Cauchy-Schwarz on its eigenvalues), with equality for a tight frame.

Slip in the lecture notes: the term written :math:`\sum_{i \ne j} \cos(s_i, s_j)` without the
square. Since :math:`\sum_{i \ne j} \cos(s_i, s_j) = \|\sum_i u_i\|^2 - N`, that sum is minimised,
at -N, by *any* vectors summing to zero, which need not be diverse: two antipodal clusters
(:math:`s_1 = s_2 = e`, :math:`s_3 = s_4 = -e`) reach it, while the squared term gives them its
maximum, 1. The unsquared term ranks that collapsed batch above an orthonormal one.

Condition: every :math:`s_i \ne 0` (the cosine of a zero vector is undefined).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "EBGAN's pulling-away term: >= 0, zero iff orthogonal (N <= k); the unsquared slip",
    claim="f_PT = sum_{i != j} cos^2(s_i, s_j) / (N (N - 1)) >= 0, = 0 iff pairwise orthogonal",
)
F64 = tolerance("float64")
GAP = 1e-3


def _units(s: np.ndarray) -> np.ndarray:
    return s / np.linalg.norm(s, axis=1, keepdims=True)


def pulling_away(s: np.ndarray) -> float:
    """f_PT by the double loop over pairs (the definition)."""
    n = len(s)
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                c = float(s[i] @ s[j]) / (float(np.linalg.norm(s[i])) * float(np.linalg.norm(s[j])))
                total += c * c
    return total / (n * (n - 1))


def _gram_form(s: np.ndarray) -> float:
    u = _units(s)
    n = len(s)
    return (float(np.sum((u @ u.T) ** 2)) - n) / (n * (n - 1))


def _unsquared(s: np.ndarray) -> float:
    """The slipped term: sum_{i != j} cos(s_i, s_j) / (N (N - 1))."""
    u = _units(s)
    g = u @ u.T
    n = len(s)
    return (float(g.sum()) - float(np.trace(g))) / (n * (n - 1))


@st.composite
def _batches(draw: st.DrawFn, n: int, k: int) -> np.ndarray:
    coords = st.lists(st.integers(-3, 3), min_size=k, max_size=k).filter(any)
    return np.asarray([draw(coords) for _ in range(n)], dtype=float)


@PROOF.step(
    "the definition (double loop) = (|U U^T|_F^2 - N) / (N (N - 1)) >= 0, on drawn batches of 3 "
    "vectors in R^3 and 4 in R^2",
    method="hypothesis",
)
def _gram() -> Check:
    def check(s: np.ndarray) -> Check:
        pt = pulling_away(s)
        return worst_of(
            [Check.equal(pt, _gram_form(s), **F64), Check.at_most(0.0, pt, atol=F64["atol"])]
        )

    return over_examples(st.one_of(_batches(3, 3), _batches(4, 2)), check)


@PROOF.step(
    "zero iff pairwise orthogonal: f_PT = 0 on orthogonal batches (N <= k), and f_PT >= "
    "2 max_{i != j} cos^2(s_i, s_j) / (N (N - 1)) > 0 as soon as one pair is not orthogonal",
    method="hypothesis",
)
def _zero_iff_orthogonal() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        s, rotation_seed = ex
        q, _ = np.linalg.qr(rotation_seed)  # an orthonormal basis of R^3
        scales = np.array([0.5, 2.0, 7.0])
        orthogonal = q.T * scales[:, None]
        u = _units(s)
        worst_pair = float(np.max(((u @ u.T) - np.eye(len(s))) ** 2))
        return worst_of(
            [
                Check.equal(pulling_away(orthogonal), 0.0, **F64),
                Check.equal(pulling_away(orthogonal[:2]), 0.0, **F64),
                # each ordered pair enters twice: f_PT >= 2 max cos^2 / (N (N - 1))
                Check.at_most(
                    2 * worst_pair / (len(s) * (len(s) - 1)), pulling_away(s), atol=F64["atol"]
                ),
            ]
        )

    seeds = st.lists(st.integers(-3, 3), min_size=9, max_size=9).map(
        lambda v: np.asarray(v, float).reshape(3, 3) + 4 * np.eye(3)
    )
    return over_examples(st.tuples(_batches(3, 3), seeds), check)


@PROOF.step(
    "N > k: f_PT >= (N - k) / (k (N - 1)) (trace N, rank <= k), so N vectors in R^k with N > k are "
    "never orthogonal; equality for the tight frame of 4 unit vectors at 45 degrees in R^2",
    method="hypothesis",
)
def _too_many() -> Check:
    n, k = 4, 2
    bound = (n - k) / (k * (n - 1))
    angles = np.deg2rad([0.0, 45.0, 90.0, 135.0])
    frame = np.stack([np.cos(angles), np.sin(angles)], 1)

    def check(s: np.ndarray) -> Check:
        return Check.at_most(bound, pulling_away(s), atol=F64["atol"])

    drawn = over_examples(_batches(n, k), check)
    return worst_of([drawn, Check.equal(pulling_away(frame), bound, **F64)], detail=drawn.detail)


@PROOF.step(
    "the unsquared sum: sum_{i != j} cos(s_i, s_j) = |sum_i u_i|^2 - N, on drawn batches",
    method="hypothesis",
)
def _unsquared_identity() -> Check:
    def check(s: np.ndarray) -> Check:
        n = len(s)
        u = _units(s)
        return Check.equal(_unsquared(s) * n * (n - 1), float(np.sum(u.sum(0) ** 2)) - n, **F64)

    return over_examples(st.one_of(_batches(3, 3), _batches(4, 2)), check)


@PROOF.step(
    "slip: the unsquared term is minimised (at -N / (N (N - 1)) = -1/3) by two antipodal clusters, "
    "which the squared term rates worst (1); an orthonormal batch gets 0 from both",
    method="numeric",
)
def _slip_unsquared() -> Check:
    e = np.array([1.0, 0.0, 0.0, 0.0])
    clusters = np.stack([e, e, -e, -e])
    orthonormal = np.eye(4)
    slipped = (_unsquared(clusters), _unsquared(orthonormal))
    squared = (pulling_away(clusters), pulling_away(orthonormal))
    return worst_of(
        [
            Check.equal(slipped, (-1 / 3, 0.0), **F64),
            Check.equal(squared, (1.0, 0.0), **F64),
            Check.differ(slipped[0], squared[0], at_least=GAP),
        ],
        detail=f"antipodal clusters: unsquared {slipped[0]:.4f} (its minimum), squared {squared[0]:.4f} "
        f"(its maximum); orthonormal: {slipped[1]:.1f} and {squared[1]:.1f}",
    )
