r"""The Inception score's KL direction: exp E_x KL(p(y | x) || p(y)), bounded by the number of classes.

Claim (lectures; Salimans et al., 2016): :math:`\mathrm{IS} = \exp \mathbb{E}_x
\mathrm{KL}(p(y \mid x) \,\|\, p(y))`, with :math:`p(y) = \mathbb{E}_x p(y \mid x)`. The exponent is
the mutual information :math:`I(x; y) = H(y) - H(y \mid x) \le H(y) \le \log K`, so
:math:`1 \le \mathrm{IS} \le K`.

Slip in the lecture notes: the score written with :math:`\mathbb{E}_x \mathrm{KL}(p(y) \,\|\, p(y \mid x))`,
the reverse direction (the lautum information of Palomar & Verdu, 2008). It is also >= 0 and zero
iff every :math:`p(y \mid x)` equals p(y), but it is a different number and has no upper bound:
it is infinite as soon as a classifier gives some class probability 0 on one sample while another
sample gives it mass, which is exactly what a confident classifier does, and it exceeds K for
nearly confident ones. On the example below: 1.2545 against 1.2323 (IS), and for rows
:math:`(1 - 2\varepsilon, \varepsilon, \varepsilon)` rotated over the three classes the
reversed score grows like :math:`\varepsilon^{-2/3}` while IS stays below 3.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from scipy import special

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "The Inception score's KL direction: KL(p(y|x) || p(y)), not KL(p(y) || p(y|x))",
    claim="IS = exp E_x KL(p(y|x) || p(y)) = exp I(x; y) <= K; the reversed direction is unbounded",
)
F64 = tolerance("float64")
K = 3
GAP = 1e-3
EXAMPLE = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])


def _reversed(c: np.ndarray) -> float:
    """The slipped score exp E_x KL(p(y) || p(y | x)), with the package's KL."""
    py = c.mean(0)
    return math.exp(float(np.mean(np.asarray(dv.kl(np.broadcast_to(py, c.shape), c)))))


@st.composite
def _conditionals(draw: st.DrawFn) -> np.ndarray:
    return np.stack([draw(pmfs(K, positive=True)) for _ in range(4)])


@PROOF.step(
    "the exponent is the mutual information: mean_x KL(p(y|x) || p(y)) = I(x; y) of the joint "
    "p(x) p(y|x) (dv.mutual_information) = H(y) - H(y|x) <= log K, on drawn classifiers",
    method="hypothesis",
)
def _mutual_information() -> Check:
    def check(c: np.ndarray) -> Check:
        joint = c / len(c)  # x uniform over the samples
        py = c.mean(0)
        exponent = float(np.mean(special.rel_entr(c, py).sum(1)))
        return worst_of(
            [
                Check.equal(math.log(float(dv.inception_score(c))), exponent, **F64),
                Check.equal(float(dv.mutual_information(joint)), exponent, **F64),
                Check.at_most(exponent, math.log(K), atol=F64["atol"]),
            ]
        )

    return over_examples(_conditionals(), check)


@PROOF.step(
    "slip: the reversed direction exp E_x KL(p(y) || p(y|x)) is another number: 1.2545 against "
    "IS = 1.2323 on the example of three samples",
    method="numeric",
)
def _slip_differs() -> Check:
    right = float(dv.inception_score(EXAMPLE))
    wrong = _reversed(EXAMPLE)
    py = EXAMPLE.mean(0)
    by_scipy = math.exp(float(np.mean(special.rel_entr(py, EXAMPLE).sum(1))))
    return worst_of(
        [
            Check.equal(wrong, by_scipy, **F64),
            Check.differ(wrong, right, at_least=GAP),
        ],
        detail=f"reversed {wrong:.4f}, IS {right:.4f}",
    )


@PROOF.step(
    "both directions are >= 0 in the exponent and 0 iff every row equals p(y), on drawn classifiers "
    "(so the slip is invisible at the bottom of the range)",
    method="hypothesis",
)
def _same_zero() -> Check:
    def check(c: np.ndarray) -> Check:
        same = np.broadcast_to(c[0], c.shape)
        return worst_of(
            [
                Check.at_most(1.0, _reversed(c), atol=F64["atol"]),
                Check.equal(_reversed(same), 1.0, **F64),
                Check.equal(float(dv.inception_score(same)), 1.0, **F64),
            ]
        )

    return over_examples(_conditionals(), check)


@PROOF.step(
    "the reversed score has no upper bound: rows (1 - 2e, e, e) rotated over K = 3 classes give "
    "exp((1/3) log(1/(3e)) + (1/3) log(1/(3e)) + (1/3) log(1/(3(1 - 2e)))) -> inf, above K already "
    "at e = 1e-2, while IS < K; a zero in a row makes it infinite",
    method="numeric",
)
def _unbounded() -> Check:
    checks, shown = [], []
    for eps in (1e-2, 1e-4, 1e-8):
        row = np.array([1 - 2 * eps, eps, eps])
        c = np.stack([np.roll(row, i) for i in range(K)])
        wrong, right = _reversed(c), float(dv.inception_score(c))
        closed = math.exp((2 * math.log(1 / (3 * eps)) + math.log(1 / (3 * (1 - 2 * eps)))) / 3)
        checks += [
            Check.equal(wrong, closed, **F64),
            Check.at_most(K, wrong, atol=0.0),
            Check.at_most(right, K, atol=F64["atol"]),
        ]
        shown.append(f"e={eps:g}: reversed {wrong:.3g}, IS {right:.4f}")
    one_hot = _reversed(np.eye(K))
    checks.append(Check.equal(one_hot, math.inf, **F64))
    return worst_of(checks, detail="; ".join(shown) + f"; one-hot rows: reversed {one_hot}")
