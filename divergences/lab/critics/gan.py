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

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from divergences._typing import ArrayLike
from divergences.lab.critics._common import adam
from divergences.lab.critics._mlp import mlp
from divergences.lab.critics._training import (
    CriticFit,
    Objective,
    as_key,
    check_samples,
    fit,
    options,
    unbatch,
)

__all__ = ["gan_objective", "train_gan_discriminator"]

_LOG2 = math.log(2.0)


@functools.lru_cache(maxsize=16)
def gan_objective(activation: Callable[[jax.Array], jax.Array]) -> Objective:
    """The discriminator's objective (cached per activation so compiled steps are reused)."""

    def value(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        # log D = log_sigmoid(l) and log(1 - D) = log_sigmoid(-l): exact, no log(0).
        return jnp.mean(jax.nn.log_sigmoid(mlp(params, x, activation))) + jnp.mean(
            jax.nn.log_sigmoid(-mlp(params, y, activation))
        )

    return Objective(
        loss=lambda params, state, x, y, key: (-value(params, x, y), state),
        estimate=lambda params, state, x, y: _LOG2 + 0.5 * value(params, x, y),
        project=lambda params: params,
        init_state=lambda key, params: (),
        output=lambda params, state, x: jax.nn.sigmoid(mlp(params, x, activation)),
    )


def train_gan_discriminator(
    x: ArrayLike,
    y: ArrayLike,
    *,
    key: int | jax.Array = 0,
    holdout: float = 0.25,
    hidden: Sequence[int] = (32, 32),
    activation: Callable[[jax.Array], jax.Array] = jax.nn.relu,
    steps: int = 2000,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    optimizer: optax.GradientTransformation | None = None,
    eval_every: int = 100,
    patience: int = 5,
    tol: float = 1e-2,
    progress: bool = True,
    dtype: Any = jnp.float32,
) -> CriticFit:
    r"""Trains a GAN discriminator to tell ``x ~ p`` from ``y ~ q``; estimates JS(p || q).

    The estimate is :math:`\log 2 + \frac12 \overline{\log D(x)} + \frac12 \overline{\log(1 -
    D(y))}` over the held-out points (nats, with the 1/2; see :mod:`divergences.lab.critics.gan`).

    Args:
      x: sample of ``p`` (the data), shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q`` (the model), shape ``(m,)`` or ``(m, d)``.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.
      holdout: the fraction of each sample kept aside to evaluate the estimate (see
        :mod:`divergences.lab.critics`); 0 evaluates on the training points.
      hidden: widths of the hidden layers.
      activation: the hidden layers' nonlinearity.
      steps: the most training steps; fewer when the estimate plateaus.
      batch_size: points drawn (with replacement) from each sample per step.
      learning_rate: Adam's step size, when ``optimizer`` is not given.
      optimizer: any optax optimizer.
      eval_every: steps between evaluations (one point of the training curve each).
      patience: evaluations without progress before stopping.
      tol: progress below ``tol`` times the progress made so far counts as none.
      progress: show a tqdm progress bar.
      dtype: the dtype the network trains in.

    Returns:
      A :class:`CriticFit`; ``value`` is the JS estimate in nats and ``critic`` returns
      :math:`D(x) \in (0, 1)`.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(-4, 1, 512), rng.normal(4, 1, 512)  # nearly disjoint
      >>> fit = critics.train_gan_discriminator(x, y, steps=500, progress=False)
      >>> bool(0.6 < fit.value <= np.log(2))
      True
    """
    x, y = check_samples(x, y)
    opts = options(hidden, holdout, steps, batch_size, eval_every, patience, tol, progress, dtype)
    objective = gan_objective(activation)
    opt = adam(learning_rate) if optimizer is None else optimizer
    out = fit(objective, opt, x[None], y[None], as_key(key)[None], opts, desc="GAN discriminator")
    return unbatch(out, objective)
