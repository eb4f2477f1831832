r"""The GAN discriminator, trained on samples, and the Jensen-Shannon estimate it gives.

The discriminator :math:`D = \mathrm{sigmoid}(\ell)` of an MLP logit :math:`\ell` maximises

.. math:: V(D) = \mathbb{E}_{x\sim p} \log D(x) + \mathbb{E}_{y\sim q} \log(1 - D(y)),

whose maximum over all functions is :math:`V(D^*) = -\log 4 + 2\,\mathrm{JS}(p \,\|\, q)` at
:math:`D^* = p/(p+q)` (Goodfellow et al., 2014, Theorem 1). Solving for JS gives the estimate

.. math:: \widehat{\mathrm{JS}} = \log 2 + \tfrac12\,\mathbb{E}_p \log D + \tfrac12\,\mathbb{E}_q \log(1 - D),

in nats and with the factor 1/2 of :func:`divergences.js_divergence`, so
:math:`0 \le \mathrm{JS} \le \log 2`. A trained network is not the optimum over all functions,
so the estimate lies below the true JS up to sampling noise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from divergences._typing import ArrayLike
from divergences.lab.critics._mlp import mlp
from divergences.lab.critics._training import (
    CriticConfig,
    CriticFit,
    Objective,
    as_key,
    check_samples,
    fit,
    unbatch,
)

__all__ = ["GanObjective", "train_gan_discriminator"]

_LOG2 = math.log(2.0)


@dataclasses.dataclass(frozen=True)
class GanObjective(Objective):
    """The discriminator's objective: maximise the mean log D on ``x`` plus mean log(1 - D) on ``y``.

    Attributes:
      activation: the hidden layers' nonlinearity.
    """

    activation: Callable[[jax.Array], jax.Array] = jax.nn.relu

    def value(self, params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        """V(D) on the two samples; log D = log_sigmoid(l), log(1 - D) = log_sigmoid(-l): exact."""
        return jnp.mean(jax.nn.log_sigmoid(mlp(params, x, self.activation))) + jnp.mean(
            jax.nn.log_sigmoid(-mlp(params, y, self.activation))
        )

    def loss(self, params: Any, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
        return -self.value(params, x, y), state

    def estimate(self, params: Any, state: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return _LOG2 + 0.5 * self.value(params, x, y)

    def output(self, params: Any, state: Any, x: jax.Array) -> jax.Array:
        return jax.nn.sigmoid(mlp(params, x, self.activation))


def train_gan_discriminator(
    x: ArrayLike,
    y: ArrayLike,
    *,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains a GAN discriminator to tell ``x ~ p`` from ``y ~ q``; estimates JS(p || q).

    The estimate is :math:`\log 2 + \frac12 \overline{\log D(x)} + \frac12 \overline{\log(1 -
    D(y))}` over the held-out points (nats, with the 1/2; see :mod:`divergences.lab.critics.gan`).

    Args:
      x: sample of ``p`` (the data), shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q`` (the model), shape ``(m,)`` or ``(m, d)``.
      config: how to train (network, steps, optimizer, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the JS estimate in nats and ``critic`` returns
      :math:`D(x) \in (0, 1)`.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(-4, 1, 512), rng.normal(4, 1, 512)  # nearly disjoint
      >>> fit = critics.train_gan_discriminator(x, y, config=critics.CriticConfig(steps=500, progress=False))
      >>> bool(0.6 < fit.value <= np.log(2))
      True
    """
    x, y = check_samples(x, y)
    objective = GanObjective(config.activation)
    out = fit(objective, config, x[None], y[None], as_key(key)[None], desc="GAN discriminator")
    return unbatch(out, objective)
