r"""The saturating generator loss log(1 - D(G(z))) gives no gradient where D is confident.

Claim (lectures; Goodfellow et al., 2014, sec. 3): early in training D rejects the generated
samples with confidence, :math:`D(G(z)) \approx 0`. Write :math:`D = \sigma(s)` with the logit s
that the network computes. The gradient of the saturating loss :math:`\log(1 - D)` with respect to
s is :math:`-\sigma(s) = -D`, which vanishes as :math:`D \to 0`; that of the non-saturating loss
:math:`-\log D` is :math:`-(1 - D)`, which tends to -1. Both push s up (the same direction), and
both have the same fixed points, but only the second one still pushes when D is confident.

(With respect to D itself the picture is reversed, :math:`d \log(1-D)/dD = -1/(1-D) \to -1`:
the saturation is a property of the gradient that reaches the generator's parameters through
the logit, which is what training sees.)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from divergences.lab.proof import Check, Proof, symbolic_zero, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "Saturating vs non-saturating generator loss",
    claim="d/ds log(1 - sigmoid(s)) = -D -> 0 where D -> 0; d/ds -log sigmoid(s) = -(1 - D) -> -1",
)
F64 = tolerance("float64")
LOGITS = np.linspace(-30.0, 5.0, 701)


def _saturating(s: jax.Array) -> jax.Array:
    return jnp.log1p(-jax.nn.sigmoid(s))


def _non_saturating(s: jax.Array) -> jax.Array:
    return -jnp.log(jax.nn.sigmoid(s))


@PROOF.step(
    "d/ds log(1 - sigma(s)) = -sigma(s) and d/ds (-log sigma(s)) = -(1 - sigma(s))", method="sympy"
)
def _symbolic() -> Check:
    s = sp.symbols("s", real=True)
    sig = 1 / (1 + sp.exp(-s))
    return symbolic_zero(
        (sp.diff(sp.log(1 - sig), s) + sig) ** 2 + (sp.diff(-sp.log(sig), s) + (1 - sig)) ** 2
    )


@PROOF.step("the same with jax.grad on logits from -30 to 5", method="numeric")
def _numeric() -> Check:
    s = jnp.asarray(LOGITS)
    d = np.asarray(jax.nn.sigmoid(s))
    g_sat = np.asarray(jax.vmap(jax.grad(_saturating))(s))
    g_non = np.asarray(jax.vmap(jax.grad(_non_saturating))(s))
    return worst_of([Check.equal(g_sat, -d, **F64), Check.equal(g_non, -(1 - d), **F64)])


@PROOF.step(
    "where D(G(z)) <= 1e-4 the saturating gradient is below 1e-4 and the non-saturating one above 0.9999",
    method="numeric",
)
def _vanishes() -> Check:
    s = jnp.asarray(LOGITS)
    d = np.asarray(jax.nn.sigmoid(s))
    confident = d <= 1e-4
    g_sat = np.abs(np.asarray(jax.vmap(jax.grad(_saturating))(s)))[confident]
    g_non = np.abs(np.asarray(jax.vmap(jax.grad(_non_saturating))(s)))[confident]
    return worst_of(
        [
            Check.at_most(g_sat, 1e-4, atol=0.0),
            Check.at_most(0.9999, g_non, atol=0.0),
            Check.differ(g_sat, g_non, at_least=0.999),
        ],
        detail=f"{confident.sum()} logits with D <= 1e-4; smallest |grad| of -log D: {g_non.min():.6f}",
    )
