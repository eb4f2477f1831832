r"""CycleGAN: cycle consistency and perfect adversarial losses leave n! solutions, not one.

Claim (lectures; Zhu et al., 2017): CycleGAN trains :math:`G_{12}: X_1 \to X_2` and
:math:`G_{21}: X_2 \to X_1` with two adversarial losses (:math:`G_{12}\# P_1 = P_2`,
:math:`G_{21}\# P_2 = P_1` at their optimum, where the GAN value is :math:`-\log 4`, i.e. JS = 0)
and the cycle-consistency loss

.. math:: L_{\text{cyc}} = \mathbb{E}_{x \sim P_1} \|G_{21}(G_{12}(x)) - x\|_1
          + \mathbb{E}_{y \sim P_2} \|G_{12}(G_{21}(y)) - y\|_1 .

The cycle loss vanishes for *any* pair of mutually inverse maps, so all three losses at zero pin
:math:`G_{12}` down to a bijection pushing :math:`P_1` onto :math:`P_2` (with :math:`G_{21}` its
inverse), not to a unique map. On n atoms of equal mass every one of the n! bijections does it;
the losses cannot tell the order-preserving map from the order-reversing one, whose transport
costs differ.

Counted by enumerating all :math:`n^n \times n^n` pairs of maps for n = 2, 3, 4 (2, 6, 24).

Condition: the n! needs equal masses. With masses :math:`a` on :math:`X_1` and :math:`b` on
:math:`X_2` (positive), the zero-loss pairs are the bijections that send each atom to one of equal
mass: :math:`\prod_v k_v!` of them, :math:`k_v` the number of atoms of mass v, when the two mass
multisets agree, and none otherwise.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "CycleGAN: zero cycle and adversarial losses leave every measure-preserving bijection (n!)",
    claim="L_cyc = 0 for any mutually inverse pair; with perfect GAN losses G_12 is any bijection P1 -> P2",
)
F64 = tolerance("float64")
GAP = 1e-3


def _points(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n atoms on each side: X_1 at 0, 1, ..., X_2 at 10, 11, 13, 16, ... (distinct)."""
    return np.arange(n, dtype=float), 10.0 + np.cumsum(np.arange(n, dtype=float))


def _zero_loss_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (G_12, G_21) of maps between the atoms whose adversarial and cycle losses are zero.

    The maps are index arrays; the adversarial losses are the JS of the push-forwards (with the
    package), the cycle loss is computed with numpy.
    """
    n = a.size
    x, y = _points(n)
    maps = np.array(list(itertools.product(range(n), repeat=n)))  # (n^n, n): atom i -> maps[k, i]
    push_12 = np.stack([np.bincount(m, weights=a, minlength=n) for m in maps])
    push_21 = np.stack([np.bincount(m, weights=b, minlength=n) for m in maps])
    adv_12 = np.asarray(dv.js_divergence(np.broadcast_to(b, push_12.shape), push_12)) <= F64["atol"]
    adv_21 = np.asarray(dv.js_divergence(np.broadcast_to(a, push_21.shape), push_21)) <= F64["atol"]
    g12, g21 = maps[adv_12], maps[adv_21]
    # cycle loss of every remaining pair: x -> G_21(G_12(x)) and y -> G_12(G_21(y))
    back_x = np.take_along_axis(np.repeat(g21[None], len(g12), 0), g12[:, None, :], 2)
    back_y = np.take_along_axis(np.repeat(g12[:, None], len(g21), 1), g21[None, :, :], 2)
    cyc = (np.abs(x[back_x] - x) * a).sum(-1) + (np.abs(y[back_y] - y) * b).sum(-1)
    i, j = np.nonzero(cyc == 0.0)
    return g12[i], g21[j]


@PROOF.step(
    "the cycle loss vanishes for every pair of mutually inverse maps (a bijection and its inverse), "
    "on drawn permutations of 4 atoms",
    method="hypothesis",
)
def _inverse_pairs() -> Check:
    x, y = _points(4)

    def check(perm: list[int]) -> Check:
        g12 = np.asarray(perm)
        g21 = np.argsort(g12)
        cyc = np.abs(x[g21[g12]] - x).sum() + np.abs(y[g12[g21]] - y).sum()
        return Check.equal(cyc, 0.0, **F64)

    return over_examples(st.permutations(range(4)), check)


@PROOF.step(
    "on n equal-mass atoms exactly n! of the n^n x n^n pairs of maps have zero total loss "
    "(n = 2, 3, 4: 2, 6, 24), each a bijection with its inverse",
    method="numeric",
)
def _count() -> Check:
    counts, inverse = [], True
    for n in (2, 3, 4):
        u = np.full(n, 1.0 / n)
        g12, g21 = _zero_loss_pairs(u, u)
        counts.append(len(g12))
        inverse &= all(np.array_equal(g21[k][g12[k]], np.arange(n)) for k in range(len(g12)))
    return worst_of(
        [
            Check.equal(counts, [math.factorial(n) for n in (2, 3, 4)], rtol=0.0, atol=0.0),
            Check(0.0 if inverse else math.inf, 0.0),
        ],
        detail=f"zero-loss pairs: {counts}",
    )


@PROOF.step(
    "two of the 24 solutions for n = 4: the order-preserving map (the W2-optimal one) and the "
    "order-reversing one: both have zero loss, their transport costs E|x - G_12(x)|^2 differ",
    method="numeric",
)
def _two_solutions() -> Check:
    n = 4
    u = np.full(n, 1.0 / n)
    x, y = _points(n)
    g12, _ = _zero_loss_pairs(u, u)
    solutions = {tuple(m) for m in g12.tolist()}
    keep, flip = (0, 1, 2, 3), (3, 2, 1, 0)
    cost_keep = float(np.mean((x - y[list(keep)]) ** 2))
    cost_flip = float(np.mean((x - y[list(flip)]) ** 2))
    # The order-preserving coupling is the optimal one on the line: its cost is W2^2 between the two
    # empirical measures, which is the smallest cost over all 24 bijections.
    best = min(float(np.mean((x - y[list(m)]) ** 2)) for m in solutions)
    found = keep in solutions and flip in solutions
    return worst_of(
        [
            Check(0.0 if found else math.inf, 0.0),
            Check.equal(cost_keep, best, **F64),
            Check.differ(cost_keep, cost_flip, at_least=GAP),
        ],
        detail=f"E|x - G(x)|^2: order-preserving {cost_keep:.2f}, order-reversing {cost_flip:.2f}",
    )


def _expected_count(a: np.ndarray, b: np.ndarray) -> int:
    ca, cb = Counter(a.tolist()), Counter(b.tolist())
    return math.prod(math.factorial(k) for k in ca.values()) if ca == cb else 0


@PROOF.step(
    "condition: with unequal masses the count is prod_v k_v! (atoms of equal mass permuted among "
    "themselves) when the mass multisets agree, 0 otherwise, on drawn masses of 3 atoms",
    method="hypothesis",
)
def _unequal_masses() -> Check:
    def check(ex: tuple[list[int], list[int], bool]) -> Check:
        wa, wb, same = ex
        a = np.asarray(wa, dtype=float) / sum(wa)
        b = a[::-1].copy() if same else np.asarray(wb, dtype=float) / sum(wb)
        g12, _ = _zero_loss_pairs(a, b)
        return Check.equal(len(g12), _expected_count(a, b), rtol=0.0, atol=0.0)

    w = st.lists(st.integers(1, 3), min_size=3, max_size=3)
    return over_examples(st.tuples(w, w, st.booleans()), check)
