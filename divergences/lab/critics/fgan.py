r"""The f-GAN critic, trained on samples, and the variational estimate of an f-divergence.

For a generator :math:`f` of the table in :mod:`divergences.generators`,

.. math:: D_f(p \,\|\, q) \ge \sup_T\; \mathbb{E}_{x\sim p}\, T(x) - \mathbb{E}_{y\sim q}\, f^*(T(y))

(Nguyen, Wainwright & Jordan, 2010). The critic is :math:`T = g_f(V)` with :math:`V` an MLP and
:math:`g_f` an output activation whose range is the domain of :math:`f^*`, so every value of
``T`` is admissible (Nowozin, Cseke & Tomioka, 2016, Table 2):

======================  ===============================  ======================================
generator               activation :math:`g_f(v)`        :math:`f^*(g_f(v))`
======================  ===============================  ======================================
``KL``                  :math:`v`                        :math:`e^{v - 1}`
``REVERSE_KL``          :math:`-e^{v}`                   :math:`-1 - v`
``PEARSON``             :math:`v`                        :math:`v^2/4 + v`, or -1 for v < -2
``NEYMAN``              :math:`1 - e^{v}`                :math:`2 - 2 e^{v/2}`
``SQUARED_HELLINGER``   :math:`1 - e^{v}`                :math:`e^{-v} - 1`
``JENSEN_SHANNON``      :math:`\log 2 - \log(1+e^{-v})`  :math:`\log(1 + e^{v}) - \log 2`
``GAN``                 :math:`-\log(1 + e^{-v})`        :math:`\log(1 + e^{v})`
``TOTAL_VARIATION``     :math:`\tfrac12 \tanh v`         :math:`\tfrac12 \tanh v`
======================  ===============================  ======================================

The right column is the generator's own ``conjugate`` composed with the activation, simplified so
that it stays finite in floating point where the composition would not (``GAN``'s
:math:`-\log(1 - \mathrm{sigmoid}(v))` is ``inf`` in float32 from :math:`v \approx 17`); the
tests check each simplification against the composition. The estimate is in the generator's own
normalisation: ``JENSEN_SHANNON`` estimates :math:`2\,\mathrm{JS}`, ``GAN`` estimates
:math:`2\,\mathrm{JS} - \log 4` (the table of :mod:`divergences.generators`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from divergences._typing import ArrayLike
from divergences.generators import FGenerator
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

__all__ = ["OUTPUT_ACTIVATIONS", "FganObjective", "train_fgan_critic"]

_LOG2 = math.log(2.0)

Fn = Callable[[jax.Array], jax.Array]

#: Per generator name: (activation g_f, the composition f* o g_f in a floating-point-safe form).
OUTPUT_ACTIVATIONS: dict[str, tuple[Fn, Fn]] = {
    "KL": (lambda v: v, lambda v: jnp.exp(v - 1)),
    "reverse KL": (lambda v: -jnp.exp(v), lambda v: -1 - v),
    # f*(t) = sup_{u >= 0} (ut - (u - 1)^2): t^2/4 + t from t = -2 on, and -1 below (at u = 0).
    "Pearson chi^2": (lambda v: v, lambda v: jnp.where(v < -2, -1.0, v**2 / 4 + v)),
    "Neyman chi^2": (lambda v: 1 - jnp.exp(v), lambda v: 2 - 2 * jnp.exp(v / 2)),
    "squared Hellinger": (lambda v: 1 - jnp.exp(v), lambda v: jnp.exp(-v) - 1),
    "Jensen-Shannon": (
        lambda v: _LOG2 - jax.nn.softplus(-v),
        lambda v: jax.nn.softplus(v) - _LOG2,
    ),
    "GAN": (lambda v: -jax.nn.softplus(-v), jax.nn.softplus),
    "total variation": (lambda v: 0.5 * jnp.tanh(v), lambda v: 0.5 * jnp.tanh(v)),
}


@dataclasses.dataclass(frozen=True)
class FganObjective(Objective):
    """The variational objective of one generator: maximise the mean of T on ``x`` minus the mean
    of f*(T) on ``y``, with T = g_f(V).

    Attributes:
      generator_name: the generator's name, a key of :data:`OUTPUT_ACTIVATIONS`.
      activation: the hidden layers' nonlinearity.
    """

    generator_name: str = "KL"
    activation: Fn = jax.nn.relu

    def bound(self, params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        """The variational bound on the two samples."""
        g, conj_g = OUTPUT_ACTIVATIONS[self.generator_name]
        return jnp.mean(g(mlp(params, x, self.activation))) - jnp.mean(
            conj_g(mlp(params, y, self.activation))
        )

    def loss(self, params: Any, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
        return -self.bound(params, x, y), state

    def estimate(self, params: Any, state: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return self.bound(params, x, y)

    def output(self, params: Any, state: Any, x: jax.Array) -> jax.Array:
        g, _ = OUTPUT_ACTIVATIONS[self.generator_name]
        return g(mlp(params, x, self.activation))


def train_fgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    generator: FGenerator,
    *,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains an f-GAN critic on ``x ~ p`` and ``y ~ q``; estimates :math:`D_f(p \,\|\, q)`.

    The estimate is the variational bound :math:`\overline{T(x)} - \overline{f^*(T(y))}` over the
    held-out points, with :math:`T = g_f(V)` (see :mod:`divergences.lab.critics.fgan`). It lies
    below :math:`D_f` up to sampling noise (in the generator's normalisation: twice JS for
    ``JENSEN_SHANNON``).

    Args:
      x: sample of ``p``, shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q``, shape ``(m,)`` or ``(m, d)``.
      generator: one of :data:`divergences.generators.GENERATORS`, e.g.
        ``dv.generators.KL``.
      config: how to train (network, steps, optimizer, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the estimate of :math:`D_f` and ``critic`` returns
      :math:`T(x)`.

    Raises:
      ValueError: for a generator outside the table, or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 2048), rng.normal(1, 1, 2048)  # TV = 2 Phi(1/2) - 1 = 0.383
      >>> g = dv.generators.TOTAL_VARIATION
      >>> fit = critics.train_fgan_critic(x, y, g, config=critics.CriticConfig(steps=1000, progress=False))
      >>> bool(abs(fit.value - 0.383) < 0.05)
      True
    """
    if not isinstance(generator, FGenerator) or generator.name not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            "generator must be one of dv.generators.GENERATORS "
            f"({', '.join(OUTPUT_ACTIVATIONS)}), got {generator!r}"
        )
    x, y = check_samples(x, y)
    objective = FganObjective(generator.name, config.activation)
    out = fit(
        objective, config, x[None], y[None], as_key(key)[None], desc=f"f-GAN ({generator.name})"
    )
    return unbatch(out, objective)
