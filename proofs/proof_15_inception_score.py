r"""The Inception score exp E_x KL(p(y|x) || p(y)) lies between 1 and the number of classes.

Claim (lectures; Salimans et al., 2016): with a classifier's :math:`p(y \mid x)` on generated
samples and :math:`p(y) = \mathbb{E}_x p(y \mid x)`,

.. math:: \mathrm{IS} = \exp \mathbb{E}_x \mathrm{KL}(p(y \mid x) \,\|\, p(y)) = \exp\left(H(y) - H(y \mid x)\right) = \exp I(y; x),

so :math:`1 \le \mathrm{IS} \le K` for K classes: 1 iff every sample gets the same class
distribution, K iff each sample is classified with certainty and the classes are balanced.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "The Inception score and its bounds 1 <= IS <= K",
    claim="IS = exp E_x KL(p(y|x) || p(y)) = exp(H(y) - H(y|x)), 1 <= IS <= K",
)
F64 = tolerance("float64")
K = 3


@st.composite
def _conditionals(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.sampled_from([2, 4]))
    return np.stack([draw(pmfs(K)) for _ in range(n)])


@PROOF.step(
    "dv.inception_score = exp(mean_x KL(p(y|x) || p(y))) = exp(H(p(y)) - mean_x H(p(y|x)))",
    method="hypothesis",
)
def _definition() -> Check:
    def check(c: np.ndarray) -> Check:
        py = c.mean(0)
        is_ = float(dv.inception_score(c))
        by_kl = math.exp(float(np.mean(dv.kl(c, np.broadcast_to(py, c.shape)))))
        by_h = math.exp(float(dv.entropy(py) - np.mean(dv.entropy(c))))
        return worst_of([Check.equal(is_, by_kl, **F64), Check.equal(is_, by_h, **F64)])

    return over_examples(_conditionals(), check)


@PROOF.step("1 <= IS <= K on drawn classifiers", method="hypothesis")
def _bounds() -> Check:
    def check(c: np.ndarray) -> Check:
        is_ = float(dv.inception_score(c))
        return worst_of(
            [Check.at_most(1.0, is_, atol=F64["atol"]), Check.at_most(is_, K, atol=F64["atol"])]
        )

    return over_examples(_conditionals(), check)


@PROOF.step(
    "the bounds are attained: identical rows give 1; one-hot, balanced rows give K",
    method="hypothesis",
)
def _attained() -> Check:
    def check(p: np.ndarray) -> Check:
        same = np.stack([p, p, p, p])
        return worst_of(
            [
                Check.equal(float(dv.inception_score(same)), 1.0, **F64),
                Check.equal(float(dv.inception_score(np.eye(K))), float(K), **F64),
                Check.equal(float(dv.inception_score(np.tile(np.eye(K), (2, 1)))), float(K), **F64),
            ]
        )

    return over_examples(pmfs(K), check)
