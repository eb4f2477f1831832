r"""The parallel lines: only Wasserstein-1 sees how far apart they are.

Claim (lectures; Arjovsky, Chintala & Bottou, 2017, Example 1): with :math:`Z \sim U[0, 1]`,
:math:`P_0 = (0, Z)` and :math:`P_\theta = (\theta, Z)`,

.. math:: \mathrm{KL}(P_0 \| P_\theta) = \mathrm{KL}(P_\theta \| P_0) = +\infty,\quad
          \mathrm{JS} = \log 2,\quad \mathrm{TV} = 1 \quad (\theta \ne 0), \qquad
          W_1(P_0, P_\theta) = |\theta|,

and all are 0 at :math:`\theta = 0`. Only W1 is continuous in theta, and only it gives a
gradient (:math:`\pm 1`); JS is flat, so a JS-based loss gives the generator nothing.

The package reproduces the closed forms on a discretisation of Z (for every theta, however small).
Two other discretisations change the answer, and the proof shows where:

* **pixels** (theta rounded to a grid column): a shift smaller than half a pixel does not move
  the model, so every quantity is 0; W1 becomes a staircase with derivative 0 almost everywhere.
* **samples** (independent draws of Z for each measure): the two empirical measures never share
  an atom, so KL = inf, JS = log 2, TV = 1 even at theta = 0; and every coupling moves mass by at
  least :math:`|\theta|`, so the sampled W1 is biased upward: :math:`W_1 \ge |\theta|`, > 0 at
  theta = 0. With the same draws of Z for both (common random numbers), :math:`W_1 = |\theta|`
  again.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import ot

import divergences as dv
from divergences.families import (
    parallel_lines,
    parallel_lines_exact,
    parallel_lines_pixels,
    parallel_lines_sampled,
)
from divergences.lab.figures.divergence_curves import sweep
from divergences.lab.proof import Check, Proof, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "The parallel lines: KL = inf, JS = log 2, TV = 1, W1 = |theta|",
    claim="for theta != 0: KL = inf both ways, JS = log 2, TV = 1, W1 = |theta|; all 0 at 0",
)
F64 = tolerance("float64")
LP = tolerance("lp")
GRAD = tolerance("gradient")
THETAS = np.array([-1.0, -0.3, -1e-9, 0.0, 1e-9, 0.05, 0.3, 1.0])
DIVERGENCES = ("kl", "reverse_kl", "js", "tv")


def _w1(m: dv.MeasurePair) -> float:
    ip, iq = np.asarray(m.p) > 0, np.asarray(m.q) > 0
    return float(dv.w1_primal(m.points[ip], m.points[iq], m.p[ip], m.q[iq]).value)


@PROOF.step(
    "KL both ways, JS, TV from the package on the lines (Z on 16 grid points) equal the closed "
    "forms, theta = +-1e-9 and 0 included",
    method="numeric",
)
def _divergences() -> Check:
    s = sweep(parallel_lines(), THETAS, quantities=DIVERGENCES)
    exact = parallel_lines_exact(THETAS)
    return worst_of([Check.equal(s.values[k], exact[k], **F64) for k in DIVERGENCES])


@PROOF.step(
    "W1 = |theta| from dv.w1_primal, dv.w1_dual and POT's exact solver",
    method="reference",
)
def _w1_is_abs_theta() -> Check:
    fam = parallel_lines()
    checks = []
    for t in THETAS:
        m = fam.measures(t)
        pts = np.asarray(m.points)
        ip, iq = np.asarray(m.p) > 0, np.asarray(m.q) > 0
        cost = np.linalg.norm(pts[ip][:, None] - pts[iq][None], axis=-1)
        pot = ot.emd2(np.asarray(m.p)[ip], np.asarray(m.q)[iq], cost)
        dual = float(dv.w1_dual(pts[ip], pts[iq], m.p[ip], m.q[iq], method="lp").value)
        checks += [
            Check.equal(_w1(m), abs(t), **LP),
            Check.equal(pot, abs(t), **LP),
            Check.equal(dual, abs(t), **LP),
        ]
    return worst_of(checks)


@PROOF.step(
    "gradients: d W1 / d theta = sign(theta) (jax.grad through w1_primal); d JS / d theta = d TV / d theta = 0",
    method="numeric",
)
def _gradients() -> Check:
    thetas = np.array([-0.7, -0.2, 0.15, 0.6])
    s = sweep(parallel_lines(), thetas, quantities=("js", "tv", "w1"), gradients=True)
    assert s.gradients is not None
    return worst_of(
        [
            Check.equal(s.gradients["w1"], np.sign(thetas), **GRAD),
            Check.equal(s.gradients["js"], 0.0, **GRAD),
            Check.equal(s.gradients["tv"], 0.0, **GRAD),
        ]
    )


@PROOF.step(
    "pixels of width 0.1: theta = 0.04 (under half a pixel) gives KL = JS = TV = W1 = 0, "
    "not inf, log 2, 1, 0.04",
    method="numeric",
)
def _pixels_small_theta() -> Check:
    fam = parallel_lines_pixels(x_step=0.1)
    m = fam.measures(0.04)
    got = [
        float(dv.kl(m.p, m.q)),
        float(dv.js_divergence(m.p, m.q)),
        float(dv.total_variation(m.p, m.q)),
        _w1(m),
    ]
    return worst_of(
        [
            Check.equal(got, 0.0, **F64),
            Check.differ(got[1:], [math.log(2), 1.0, 0.04], at_least=0.03),
        ],
        detail=f"pixels: {got}; continuous: [inf, log 2, 1, 0.04]",
    )


@PROOF.step(
    "pixels: W1 is the staircase |round(theta / 0.1)| * 0.1 (0.3 at theta = 0.26), with zero gradient",
    method="numeric",
)
def _pixels_staircase() -> Check:
    fam = parallel_lines_pixels(x_step=0.1)
    thetas = np.array([-0.74, -0.26, 0.26, 0.51])
    s = sweep(fam, thetas, quantities=("w1",), gradients=True)
    assert s.gradients is not None
    return worst_of(
        [
            Check.equal(s.values["w1"], np.abs(np.round(thetas / 0.1)) * 0.1, **LP),
            Check.equal(s.gradients["w1"], 0.0, **GRAD),
            Check.differ(s.values["w1"], np.abs(thetas), at_least=0.009),
        ]
    )


@PROOF.step(
    "samples: at theta = 0 the empirical measures are disjoint: KL = inf, JS = log 2, TV = 1 (not 0)",
    method="numeric",
)
def _sampled_at_zero() -> Check:
    m = parallel_lines_sampled(n=32, seed=0).measures(0.0)
    got = [
        float(dv.kl(m.p, m.q)),
        float(dv.js_divergence(m.p, m.q)),
        float(dv.total_variation(m.p, m.q)),
    ]
    return worst_of(
        [
            Check.equal(got, [math.inf, math.log(2), 1.0], **F64),
            Check.differ(got, 0.0, at_least=0.5),
        ],
        detail=f"sampled at theta = 0: {got}",
    )


@PROOF.step(
    "samples: W1 >= |theta| for every theta (each unit of mass moves at least |theta|), "
    "and W1 > 0 at theta = 0: biased upward",
    method="numeric",
)
def _sampled_bias() -> Check:
    fam = parallel_lines_sampled(n=32, seed=0)
    thetas = np.array([-0.5, -0.1, 0.0, 0.02, 0.3])
    w = np.array([_w1(fam.measures(t)) for t in thetas])
    return worst_of(
        [Check.at_most(np.abs(thetas), w, atol=LP["atol"]), Check.differ(w[2], 0.0, at_least=1e-3)],
        detail=f"sampled W1 - |theta| = {np.round(w - np.abs(thetas), 4).tolist()}",
    )


@PROOF.step(
    "samples with common random numbers (the same draws of Z on both lines): W1 = |theta| exactly",
    method="numeric",
)
def _common_random_numbers() -> Check:
    z = np.random.default_rng(3).uniform(size=24)
    checks = []
    for t in (-0.4, 0.0, 1e-6, 0.25):
        x = np.stack([np.zeros_like(z), z], -1)
        y = np.stack([np.full_like(z, t), z], -1)
        checks.append(Check.equal(float(dv.w1_primal(x, y).value), abs(t), **LP))
    return worst_of(checks)


_ = jax
