r"""The f-GAN critic, trained on samples, and the variational estimate of an f-divergence.

For a generator :math:`f` of the table in :mod:`divergences.f_divergence`,

.. math:: D_f(p \,\|\, q) \ge \sup_T\; \mathbb{E}_{x\sim p}\, T(x) - \mathbb{E}_{y\sim q}\, f^*(T(y))

(Nguyen, Wainwright & Jordan, 2010). The critic is :math:`T = g_f(V)` with :math:`V` an MLP and
:math:`g_f` an output activation whose range is the domain of :math:`f^*`, so every value of
``T`` is admissible (Nowozin, Cseke & Tomioka, 2016, Table 2):

======================  ===============================  ======================================
generator               activation :math:`g_f(v)`        :math:`f^*(g_f(v))`
======================  ===============================  ======================================
``KL``                  :math:`v`                        :math:`e^{v - 1}`
``REVERSE_KL``          :math:`-e^{v}`                   :math:`-1 - v`
``PEARSON``             :math:`v`                        :math:`v^2/4 + v`
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
:math:`2\,\mathrm{JS} - \log 4` (the table of :mod:`divergences.f_divergence`).
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
from divergences.f_divergence import FGenerator
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

__all__ = ["OUTPUT_ACTIVATIONS", "fgan_objective", "train_fgan_critic"]

_LOG2 = math.log(2.0)

Fn = Callable[[jax.Array], jax.Array]

#: Per generator name: (activation g_f, the composition f* o g_f in a floating-point-safe form).
OUTPUT_ACTIVATIONS: dict[str, tuple[Fn, Fn]] = {
    "KL": (lambda v: v, lambda v: jnp.exp(v - 1)),
    "reverse KL": (lambda v: -jnp.exp(v), lambda v: -1 - v),
    "Pearson chi^2": (lambda v: v, lambda v: v**2 / 4 + v),
    "Neyman chi^2": (lambda v: 1 - jnp.exp(v), lambda v: 2 - 2 * jnp.exp(v / 2)),
    "squared Hellinger": (lambda v: 1 - jnp.exp(v), lambda v: jnp.exp(-v) - 1),
    "Jensen-Shannon": (
        lambda v: _LOG2 - jax.nn.softplus(-v),
        lambda v: jax.nn.softplus(v) - _LOG2,
    ),
    "GAN": (lambda v: -jax.nn.softplus(-v), jax.nn.softplus),
    "total variation": (lambda v: 0.5 * jnp.tanh(v), lambda v: 0.5 * jnp.tanh(v)),
}


@functools.lru_cache(maxsize=32)
def fgan_objective(generator_name: str, activation: Fn) -> Objective:
    """The variational objective for one generator (cached so compiled steps are reused)."""
    g, conj_g = OUTPUT_ACTIVATIONS[generator_name]

    def bound(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return jnp.mean(g(mlp(params, x, activation))) - jnp.mean(
            conj_g(mlp(params, y, activation))
        )

    return Objective(
        loss=lambda params, state, x, y, key: (-bound(params, x, y), state),
        estimate=lambda params, state, x, y: bound(params, x, y),
        project=lambda params: params,
        init_state=lambda key, params: (),
        output=lambda params, state, x: g(mlp(params, x, activation)),
    )


def train_fgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    generator: FGenerator,
    *,
    key: int | jax.Array = 0,
    holdout: float = 0.25,
    hidden: Sequence[int] = (32, 32),
    activation: Fn = jax.nn.relu,
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
    r"""Trains an f-GAN critic on ``x ~ p`` and ``y ~ q``; estimates :math:`D_f(p \,\|\, q)`.

    The estimate is the variational bound :math:`\overline{T(x)} - \overline{f^*(T(y))}` over the
    held-out points, with :math:`T = g_f(V)` (see :mod:`divergences.lab.critics.fgan`). It lies
    below :math:`D_f` up to sampling noise (in the generator's normalisation: twice JS for
    ``JENSEN_SHANNON``).

    Args:
      x: sample of ``p``, shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q``, shape ``(m,)`` or ``(m, d)``.
      generator: one of :data:`divergences.f_generators.GENERATORS`, e.g.
        ``dv.f_generators.KL``.
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
      A :class:`CriticFit`; ``value`` is the estimate of :math:`D_f` and ``critic`` returns
      :math:`T(x)`.

    Raises:
      ValueError: for a generator outside the table, or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 2048), rng.normal(1, 1, 2048)  # TV = 2 Phi(1/2) - 1 = 0.383
      >>> g = dv.f_generators.TOTAL_VARIATION
      >>> fit = critics.train_fgan_critic(x, y, g, steps=1000, progress=False)
      >>> bool(abs(fit.value - 0.383) < 0.05)
      True
    """
    if not isinstance(generator, FGenerator) or generator.name not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            "generator must be one of dv.f_generators.GENERATORS "
            f"({', '.join(OUTPUT_ACTIVATIONS)}), got {generator!r}"
        )
    x, y = check_samples(x, y)
    opts = options(hidden, holdout, steps, batch_size, eval_every, patience, tol, progress, dtype)
    objective = fgan_objective(generator.name, activation)
    opt = adam(learning_rate) if optimizer is None else optimizer
    out = fit(
        objective, opt, x[None], y[None], as_key(key)[None], opts, desc=f"f-GAN ({generator.name})"
    )
    return unbatch(out, objective)
