r"""The WGAN critic, trained on samples, and the Wasserstein-1 estimate it gives.

By Kantorovich-Rubinstein duality (Villani, 2009, Remark 6.5),

.. math:: W_1(p, q) = \sup_{\|f\|_L \le 1}\; \mathbb{E}_{x\sim p} f(x) - \mathbb{E}_{y\sim q} f(y).

The critic is an MLP :math:`f` trained to maximise :math:`\overline{f(x)} - \overline{f(y)}`;
the estimate is that difference over held-out points. Three ways to keep :math:`f`
Lipschitz, the ``constraint`` argument:

``"clip"`` (Arjovsky, Chintala & Bottou, 2017, Algorithm 1)
   every weight and bias is clipped to :math:`[-c, c]` after each update (``c = 0.01``). The
   network is then :math:`K`-Lipschitz for some unknown :math:`K` fixed by ``c`` and the
   architecture, so the estimate is about :math:`K\,W_1`: proportional to the distance, not
   equal to it.
``"gradient_penalty"`` (Gulrajani et al., 2017, Algorithm 1)
   the loss adds :math:`\lambda\,\mathbb{E}\,(\|\nabla f(\hat x)\|_2 - 1)^2` at random
   interpolates :math:`\hat x = \epsilon x + (1 - \epsilon) y`,
   :math:`\epsilon \sim U[0, 1]` (``lambda = 10``). A soft constraint, so the estimate can
   exceed :math:`W_1`: for a translation by :math:`\delta` a linear critic of slope :math:`s`
   earns :math:`s\delta - \lambda (s - 1)^2`, best at :math:`s = 1 + \delta / (2\lambda)`; the
   estimate, the gap :math:`s\delta`, then overshoots by :math:`\delta^2 / (2\lambda)`.
``"spectral_norm"`` (Miyato et al., 2018)
   each weight matrix is divided by its largest singular value, estimated by one step of power
   iteration per update; with a 1-Lipschitz activation the critic is at most 1-Lipschitz, so the
   estimate is at most :math:`W_1` up to sampling noise, and often well below (a ReLU network
   with normalised layers struggles to reach slope 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from divergences._numerics import safe_sqrt
from divergences._typing import ArrayLike
from divergences.lab.critics._mlp import mlp, normalize, spectral_normalized
from divergences.lab.critics._training import (
    CriticConfig,
    CriticFit,
    Objective,
    as_key,
    check_samples,
    fit,
    unbatch,
)

__all__ = ["CONSTRAINTS", "WganObjective", "train_wgan_critic"]

#: The Lipschitz constraints :func:`train_wgan_critic` knows.
CONSTRAINTS = ("clip", "gradient_penalty", "spectral_norm")


def _gap(f: Callable[[jax.Array], jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.mean(f(x)) - jnp.mean(f(y))


@dataclasses.dataclass(frozen=True)
class WganObjective(Objective):
    """The critic's objective: maximise the mean of f on ``x`` minus its mean on ``y``, under a
    Lipschitz constraint.

    Attributes:
      constraint: one of :data:`CONSTRAINTS`.
      clip: the clipping bound ``c`` (``"clip"``).
      penalty: the gradient penalty's weight ``lambda`` (``"gradient_penalty"``).
      activation: the hidden layers' nonlinearity.
    """

    constraint: str = "gradient_penalty"
    clip: float = 0.01
    penalty: float = 10.0
    activation: Callable[[jax.Array], jax.Array] = jax.nn.relu

    def __post_init__(self) -> None:
        if self.constraint not in CONSTRAINTS:
            raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {self.constraint!r}")
        if not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip!r}")
        if not self.penalty > 0:
            raise ValueError(f"penalty must be > 0, got {self.penalty!r}")

    def _apply(self, params: Any, state: Any, x: jax.Array) -> jax.Array:
        if self.constraint == "spectral_norm":
            # Evaluation uses the stored vectors after one more step, without updating them.
            params, _ = spectral_normalized(params, state)
        return mlp(params, x, self.activation)

    def loss(self, params: Any, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
        if self.constraint == "spectral_norm":
            normed, new_state = spectral_normalized(params, state)
            return -_gap(lambda z: mlp(normed, z, self.activation), x, y), new_state

        def f(z: jax.Array) -> jax.Array:
            return mlp(params, z, self.activation)

        gap = _gap(f, x, y)
        if self.constraint == "clip":
            return -gap, state
        eps = jax.random.uniform(key, (x.shape[0], 1), x.dtype)
        x_hat = eps * x + (1 - eps) * y
        # Gradient of f at each interpolate: f acts row by row, so the gradient of the sum holds
        # the per-row gradients.
        grads = jax.grad(lambda z: jnp.sum(f(z)))(x_hat)
        # safe_sqrt: the norm's derivative at a zero gradient is taken as 0, not inf.
        norms = safe_sqrt(jnp.sum(grads**2, axis=-1))
        return -gap + self.penalty * jnp.mean((norms - 1) ** 2), state

    def estimate(self, params: Any, state: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return _gap(lambda z: self._apply(params, state, z), x, y)

    def output(self, params: Any, state: Any, x: jax.Array) -> jax.Array:
        return self._apply(params, state, x)

    def project(self, params: Any) -> Any:
        if self.constraint != "clip":
            return params
        return jax.tree_util.tree_map(lambda w: jnp.clip(w, -self.clip, self.clip), params)

    def init_state(self, key: jax.Array, params: Any) -> Any:
        if self.constraint != "spectral_norm":
            return ()
        keys = jax.random.split(key, len(params))
        return tuple(
            normalize(jax.random.normal(k, (w.shape[1],), w.dtype))
            for k, (w, _) in zip(keys, params, strict=True)
        )


def train_wgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    *,
    constraint: str = "gradient_penalty",
    clip: float = 0.01,
    penalty: float = 10.0,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains a WGAN critic on ``x ~ p`` and ``y ~ q``; estimates :math:`W_1(p, q)`.

    The estimate is :math:`\overline{f(x)} - \overline{f(y)}` over the held-out points, in the
    units of the points (Euclidean ground metric). What it estimates depends on ``constraint``
    (see :mod:`divergences.lab.critics.wgan`): about :math:`W_1` for ``"gradient_penalty"`` and at
    most :math:`W_1` for ``"spectral_norm"``; about :math:`K\,W_1` with an unknown :math:`K` for
    ``"clip"``.

    Args:
      x: sample of ``p`` (the data), shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q`` (the model), shape ``(m,)`` or ``(m, d)``.
      constraint: ``"clip"``, ``"gradient_penalty"`` or ``"spectral_norm"``.
      clip: the clipping bound ``c`` (``"clip"`` only); parameters stay in ``[-c, c]``.
      penalty: the gradient penalty's weight ``lambda`` (``"gradient_penalty"`` only).
      config: how to train (network, steps, optimizer, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the estimate and ``critic`` the trained :math:`f`.

    Raises:
      ValueError: for an unknown ``constraint``, a ``clip`` or ``penalty`` <= 0, or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 1024), rng.normal(2, 1, 1024)  # W1 = 2
      >>> fit = critics.train_wgan_critic(x, y, config=critics.CriticConfig(steps=1000, progress=False))
      >>> bool(abs(fit.value - 2) < 0.2)
      True
    """
    objective = WganObjective(constraint, float(clip), float(penalty), config.activation)
    x, y = check_samples(x, y)
    out = fit(
        objective, config, x[None], y[None], as_key(key)[None], desc=f"WGAN critic ({constraint})"
    )
    return unbatch(out, objective)
