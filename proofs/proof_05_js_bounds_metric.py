r"""Jensen-Shannon: bounded by log 2, with equality iff the supports are disjoint; its root is a metric.

Claim (lectures): :math:`0 \le \mathrm{JS}(p \,\|\, q) \le \log 2`, the upper bound reached
exactly when p and q have disjoint supports; :math:`\sqrt{\mathrm{JS}}` is a metric
(Endres & Schindelin, 2003), in particular it satisfies the triangle inequality.

The gap to the bound is explicit:

.. math:: \log 2 - \mathrm{JS}(p \,\|\, q) = \tfrac12 \sum_{i:\, p_i q_i > 0}
          \left[p_i \log\left(1 + \tfrac{q_i}{p_i}\right) + q_i \log\left(1 + \tfrac{p_i}{q_i}\right)\right],

a sum of positive terms over the common support: zero iff the supports do not meet.
"""

from __future__ import annotations

import math

import numpy as np

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import pmf_pairs, pmf_triples

PROOF = Proof(
    "JS <= log 2 (iff disjoint supports); sqrt(JS) is a metric",
    claim="0 <= JS <= log 2 with equality iff supports are disjoint; js_distance is a metric",
)
F64 = tolerance("float64")
LOG2 = math.log(2.0)


@PROOF.step(
    "0 <= JS(p || q) = JS(q || p) <= log 2 on drawn pairs (tiny and near-degenerate masses included)",
    method="hypothesis",
)
def _bounds() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        js = float(dv.js_divergence(p, q))
        return worst_of(
            [
                Check.at_most(0.0, js, atol=F64["atol"]),
                Check.at_most(js, LOG2, atol=F64["atol"]),
                Check.equal(js, float(dv.js_divergence(q, p)), **F64),
            ]
        )

    return over_examples(pmf_pairs(extreme=True), check)


@PROOF.step(
    "log 2 - JS = 1/2 sum over the common support of p log(1 + q/p) + q log(1 + p/q)",
    method="hypothesis",
)
def _gap_formula() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        both = (p > 0) & (q > 0)
        gap = 0.5 * float(
            np.sum(p[both] * np.log1p(q[both] / p[both]) + q[both] * np.log1p(p[both] / q[both]))
        )
        return Check.equal(LOG2 - float(dv.js_divergence(p, q)), gap, **F64)

    return over_examples(pmf_pairs(), check)


@PROOF.step(
    "disjoint supports give JS = log 2 exactly (1 bit), masses down to the smallest normal double",
    method="hypothesis",
)
def _disjoint_equality() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        return worst_of(
            [
                Check.equal(float(dv.js_divergence(p, q)), LOG2, **F64),
                Check.equal(float(dv.js_divergence(p, q, base=2)), 1.0, **F64),
            ]
        )

    return over_examples(pmf_pairs(disjoint=True, extreme=True), check)


@PROOF.step(
    "triangle inequality: d(p, r) <= d(p, q) + d(q, r) for d = js_distance, on drawn triples",
    method="hypothesis",
)
def _triangle() -> Check:
    def check(pqr: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        p, q, r = pqr
        d = dv.js_distance
        return worst_of(
            [
                Check.at_most(float(d(p, r)), float(d(p, q) + d(q, r)), atol=F64["atol"]),
                Check.equal(float(d(p, p)), 0.0, **F64),
            ]
        )

    return over_examples(pmf_triples(extreme=True), check)
