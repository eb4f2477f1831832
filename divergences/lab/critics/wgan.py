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

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from divergences._numerics import safe_sqrt
from divergences._typing import ArrayLike
from divergences.lab.critics._common import adam
from divergences.lab.critics._mlp import mlp, normalize, spectral_normalized
from divergences.lab.critics._training import (
    CriticFit,
    Objective,
    as_key,
    check_samples,
    fit,
    options,
    unbatch,
)

__all__ = ["CONSTRAINTS", "train_wgan_critic", "wgan_objective"]

#: The Lipschitz constraints :func:`train_wgan_critic` knows.
CONSTRAINTS = ("clip", "gradient_penalty", "spectral_norm")


def _gap(f: Callable[[jax.Array], jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.mean(f(x)) - jnp.mean(f(y))


@functools.lru_cache(maxsize=32)
def wgan_objective(
    constraint: str, clip: float, penalty: float, activation: Callable[[jax.Array], jax.Array]
) -> Objective:
    """The critic's objective for one constraint (cached so compiled steps are reused)."""
    if constraint == "clip":
        return Objective(
            loss=lambda params, state, x, y, key: (
                -_gap(lambda z: mlp(params, z, activation), x, y),
                state,
            ),
            estimate=lambda params, state, x, y: _gap(lambda z: mlp(params, z, activation), x, y),
            project=lambda params: jax.tree_util.tree_map(
                lambda w: jnp.clip(w, -clip, clip), params
            ),
            init_state=lambda key, params: (),
            output=lambda params, state, x: mlp(params, x, activation),
        )
    if constraint == "gradient_penalty":

        def gp_loss(params: Any, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
            def f(z: jax.Array) -> jax.Array:
                return mlp(params, z, activation)

            eps = jax.random.uniform(key, (x.shape[0], 1), x.dtype)
            x_hat = eps * x + (1 - eps) * y
            # Gradient of f at each interpolate: f acts row by row, so the gradient of the sum
            # holds the per-row gradients.
            grads = jax.grad(lambda z: jnp.sum(f(z)))(x_hat)
            # safe_sqrt: the norm's derivative at a zero gradient is taken as 0, not inf.
            norms = safe_sqrt(jnp.sum(grads**2, axis=-1))
            return -_gap(f, x, y) + penalty * jnp.mean((norms - 1) ** 2), state

        return Objective(
            loss=gp_loss,
            estimate=lambda params, state, x, y: _gap(lambda z: mlp(params, z, activation), x, y),
            project=lambda params: params,
            init_state=lambda key, params: (),
            output=lambda params, state, x: mlp(params, x, activation),
        )
    if constraint == "spectral_norm":

        def init_state(key: jax.Array, params: Any) -> tuple[jax.Array, ...]:
            keys = jax.random.split(key, len(params))
            return tuple(
                normalize(jax.random.normal(k, (w.shape[1],), w.dtype))
                for k, (w, _) in zip(keys, params, strict=True)
            )

        def sn_loss(params: Any, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
            normed, new_state = spectral_normalized(params, state)
            return -_gap(lambda z: mlp(normed, z, activation), x, y), new_state

        def normalized_apply(params: Any, state: Any, x: jax.Array) -> jax.Array:
            # Evaluation uses the stored vectors after one more step, without updating them.
            normed, _ = spectral_normalized(params, state)
            return mlp(normed, x, activation)

        return Objective(
            loss=sn_loss,
            estimate=lambda params, state, x, y: _gap(
                lambda z: normalized_apply(params, state, z), x, y
            ),
            project=lambda params: params,
            init_state=init_state,
            output=normalized_apply,
        )
    raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")


def train_wgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    *,
    constraint: str = "gradient_penalty",
    clip: float = 0.01,
    penalty: float = 10.0,
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
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.
      holdout: the fraction of each sample kept aside to evaluate the estimate (see
        :mod:`divergences.lab.critics`); 0 evaluates on the training points.
      hidden: widths of the hidden layers.
      activation: the hidden layers' nonlinearity (1-Lipschitz for ``"spectral_norm"``).
      steps: the most training steps; fewer when the estimate plateaus.
      batch_size: points drawn (with replacement) from each sample per step; the interpolates
        pair the two minibatches row by row.
      learning_rate: Adam's step size, when ``optimizer`` is not given.
      optimizer: any optax optimizer.
      eval_every: steps between evaluations (one point of the training curve each).
      patience: evaluations without progress before stopping.
      tol: progress below ``tol`` times the progress made so far counts as none.
      progress: show a tqdm progress bar.
      dtype: the dtype the network trains in.

    Returns:
      A :class:`CriticFit`; ``value`` is the estimate and ``critic`` the trained :math:`f`.

    Raises:
      ValueError: for an unknown ``constraint``, a ``clip`` or ``penalty`` <= 0, or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 1024), rng.normal(2, 1, 1024)  # W1 = 2
      >>> fit = critics.train_wgan_critic(x, y, steps=1000, progress=False)
      >>> bool(abs(fit.value - 2) < 0.2)
      True
    """
    if constraint not in CONSTRAINTS:
        raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")
    if not clip > 0:
        raise ValueError(f"clip must be > 0, got {clip!r}")
    if not penalty > 0:
        raise ValueError(f"penalty must be > 0, got {penalty!r}")
    x, y = check_samples(x, y)
    opts = options(hidden, holdout, steps, batch_size, eval_every, patience, tol, progress, dtype)
    objective = wgan_objective(constraint, float(clip), float(penalty), activation)
    opt = adam(learning_rate) if optimizer is None else optimizer
    out = fit(
        objective,
        opt,
        x[None],
        y[None],
        as_key(key)[None],
        opts,
        desc=f"WGAN critic ({constraint})",
    )
    return unbatch(out, objective)
