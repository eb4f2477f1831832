r"""Mode collapse: against a fixed discriminator the generator's best response is a point mass.

Claim (lectures): for a fixed discriminator D, the generator's objective
:math:`\mathbb{E}_{x \sim q} \log(1 - D(x))` (to minimise), or the non-saturating
:math:`\mathbb{E}_{x \sim q} \log D(x)` (to maximise), is *linear* in the generator's law q, so
its optimum over the simplex is at a vertex: the point mass at :math:`\arg\max_x D(x)`. The
generator collapses onto the one mode the discriminator currently rates most real. Alternating
best responses (D -> D* for the current q, then q -> the best point mass against that D*) do not
converge to q = p: on data with two modes they jump from mode to mode forever, with the value
stuck at :math:`-\log 4 + 2\,\mathrm{JS}(p \,\|\, \delta) > -\log 4`.

Derivation: :math:`\sum_x q(x) \log(1 - D(x)) \ge \log(1 - \max_x D) \sum_x q(x)`, with equality iff
q puts all its mass on :math:`\arg\max D` (a point mass when the maximum is unique; any law on
the maximisers otherwise). Against :math:`D^* = p / (p + \delta_a)` the maximum 1 is reached on
every outcome the data has and the generator has not, so the best response leaves mode a.

Condition: "a point mass" needs a unique maximiser of D; with ties the best responses are the
laws on the set of maximisers (still no mass anywhere else).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "Mode collapse: the generator's best response to a fixed D is a point mass at argmax D",
    claim="argmin_q E_q log(1 - D) = argmax_q E_q log D = delta at argmax D; best responses cycle",
)
F64 = tolerance("float64")
LOG4 = math.log(4.0)
N = 6
GAP = 1e-3

_DISCRIMINATORS = st.lists(
    st.sampled_from([0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.99]), min_size=N, max_size=N
).map(np.asarray)


@PROOF.step(
    "E_q log(1 - D) >= log(1 - max D) and E_q log D <= log max D for every q, with equality at the "
    "point mass on argmax D (the package's gan_value with p = 0 gives E_q log(1 - D))",
    method="hypothesis",
)
def _vertex() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        d, q = ex
        delta = np.eye(N)[np.argmax(d)]
        saturating = float(np.sum(q * np.log1p(-d)))
        # The package's V(G, D) with the data a point mass at outcome 0, less its log D(0) term.
        via_pkg = float(dv.gan_value(np.eye(N)[0], q, d)) - math.log(float(d[0]))
        return worst_of(
            [
                Check.equal(via_pkg, saturating, **F64),
                Check.at_most(math.log1p(-float(d.max())), saturating, atol=F64["atol"]),
                Check.equal(
                    float(np.sum(delta * np.log1p(-d))), math.log1p(-float(d.max())), **F64
                ),
                Check.at_most(
                    float(np.sum(q * np.log(d))), math.log(float(d.max())), atol=F64["atol"]
                ),
            ]
        )

    return over_examples(st.tuples(_DISCRIMINATORS, pmfs(N)), check)


@PROOF.step(
    "mass off argmax D costs: E_q log(1 - D) - log(1 - max D) = sum_x q(x) [log(1 - D(x)) - "
    "log(1 - max D)], a sum of non-negative terms, positive iff q(x) > 0 somewhere D(x) < max D",
    method="hypothesis",
)
def _strict() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray]) -> Check:
        d, q = ex
        top = float(d.max())
        gap = float(np.sum(q * np.log1p(-d))) - math.log1p(-top)
        terms = q * (np.log1p(-d) - math.log1p(-top))
        off = float(q[d < top].sum())
        # Each term with q > 0 off the maximisers is at least q (log(1 - d2) - log(1 - top)), with
        # d2 the second-largest value of D.
        second = float(np.max(d[d < top], initial=0.0))
        floor = off * (math.log1p(-second) - math.log1p(-top)) if off > 0 else 0.0
        return worst_of(
            [
                Check.equal(gap, float(terms.sum()), **F64),
                Check.at_most(0.0, float(terms.min()), atol=F64["atol"]),
                Check.at_most(floor, gap, atol=F64["atol"]),
            ]
        )

    return over_examples(st.tuples(_DISCRIMINATORS, pmfs(N)), check)


def _best_response_path(p: np.ndarray, start: int, rounds: int) -> list[int]:
    """Alternating best responses from a point mass at ``start``: the modes the generator visits."""
    path = [start]
    for _ in range(rounds):
        q = np.eye(p.size)[path[-1]]
        d_star = np.asarray(dv.optimal_discriminator(p, q))
        path.append(int(np.argmax(d_star)))  # first maximiser on ties
    return path


@PROOF.step(
    "alternating best responses on two modes, p = (1/2, 0, 1/2): delta_0 -> delta_2 -> delta_0 -> "
    "... (period 2), each round at V(G, D*) = -log 4 + 2 JS(p || delta) = -log 4 + (3/2) log(4/3) "
    "> -log 4",
    method="numeric",
)
def _cycle() -> Check:
    p = np.array([0.5, 0.0, 0.5])
    path = _best_response_path(p, 0, 6)
    values = []
    for a in path:
        q = np.eye(3)[a]
        values.append(float(dv.gan_value(p, q, dv.optimal_discriminator(p, q))))
    js = float(dv.js_divergence(p, np.eye(3)[0]))
    # p = (1/2, 0, 1/2), m = (3/4, 0, 1/4): KL(p || m) = (1/2) log(4/3), KL(delta_0 || m) = log(4/3).
    js_closed = 0.75 * math.log(4 / 3)
    cycles = path == [0, 2, 0, 2, 0, 2, 0]
    return worst_of(
        [
            Check(0.0 if cycles else math.inf, 0.0, detail=f"path {path}"),
            Check.equal(js, js_closed, **F64),
            Check.equal(values, -LOG4 + 2 * js, **F64),
            Check.differ(values, -LOG4, at_least=GAP),
        ],
        detail=f"modes visited {path}; V(G, D*) = {values[0]:.4f} every round, -log 4 = {-LOG4:.4f}",
    )


@PROOF.step(
    "on drawn data with at least two modes the best responses never reach p: every round is a "
    "point mass that leaves the mode it is on, at JS(p || delta_a) >= TV^2 / 2 = (1 - p_a)^2 / 2 > 0",
    method="hypothesis",
)
def _never_converges() -> Check:
    def check(p: np.ndarray) -> Check:
        if np.count_nonzero(p) < 2:
            return Check(0.0, F64["atol"], detail="one mode")
        start = int(np.argmax(p))
        path = _best_response_path(p, start, 4)
        moved = all(a != b for a, b in itertools.pairwise(path))
        js = np.asarray(
            dv.js_divergence(np.broadcast_to(p, (len(path), p.size)), np.eye(p.size)[path])
        )
        return worst_of(
            [
                Check(0.0 if moved else math.inf, 0.0, detail=f"path {path}"),
                Check.at_most((1 - p[path]) ** 2 / 2, js, atol=F64["atol"]),
                # 1 - p_a is the mass of the other modes, at least the smallest positive mass.
                Check.differ(1 - p[path], 0.0, at_least=0.5 * float(np.min(p[p > 0]))),
            ]
        )

    return over_examples(pmfs(N), check)


@PROOF.step(
    "the equilibrium the dynamics miss: q = p gives V(G, D*) = -log 4, below every round of the cycle",
    method="numeric",
)
def _equilibrium_missed() -> Check:
    p = np.array([0.5, 0.0, 0.5])
    at_p = float(dv.gan_value(p, p, dv.optimal_discriminator(p, p)))
    q = np.eye(3)[0]
    on_cycle = float(dv.gan_value(p, q, dv.optimal_discriminator(p, q)))
    return worst_of(
        [Check.equal(at_p, -LOG4, **F64), Check.differ(on_cycle, at_p, at_least=GAP)],
        detail=f"q = p: {at_p:.4f}; on the cycle: {on_cycle:.4f}",
    )
