r"""The lectures' identities as measurements: a GAN discriminator's held-out lower bounds.

A discriminator trained on one half of each sample is a fixed function on the other half, so
its values there give finite-sample lower bounds on JS, TV and KL
(:func:`divergences.estimate.js_from_discriminator` and its siblings): the GAN value bound
:math:`\mathbb{E}_P \log D + \mathbb{E}_Q \log(1 - D) \le -\log 4 + 2\,\mathrm{JS}`
(Goodfellow et al., 2014, Theorem 1) turned into a statement that holds with probability
``level``. On the half it was trained on no bound holds, which is why the split comes first.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

from divergences.estimate import (
    Estimate,
    js_from_discriminator,
    kl_from_discriminator,
    tv_from_discriminator,
)
from divergences.extending import level_option
from divergences.lab.critics._training import CriticFit, as_key, check_samples
from divergences.lab.critics.trainers import train_gan_discriminator
from divergences.lab.training.config import CriticConfig

__all__ = ["HeldOutBounds", "held_out_bounds"]


class HeldOutBounds(NamedTuple):
    """Three held-out lower bounds from one trained GAN discriminator.

    Attributes:
      js: the lower bound on JS(P, Q) in nats (:func:`divergences.estimate.js_from_discriminator`).
      tv: the lower bound on TV(P, Q) (:func:`divergences.estimate.tv_from_discriminator`).
      kl: the lower bound on KL(P || Q) in nats
        (:func:`divergences.estimate.kl_from_discriminator`).
      fit: the discriminator's :class:`CriticFit`, trained on the other halves only.
    """

    js: Estimate
    tv: Estimate
    kl: Estimate
    fit: CriticFit


def _halves(a: np.ndarray, key: jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """``a`` shuffled with ``key`` and cut in two: the first ``n // 2`` rows train, the rest test."""
    order = np.asarray(jax.random.permutation(key, a.shape[0]))
    shuffled = a[order]
    return shuffled[: a.shape[0] // 2], shuffled[a.shape[0] // 2 :]


def held_out_bounds(
    x: Any,
    y: Any,
    *,
    level: float = 0.95,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> HeldOutBounds:
    r"""Trains a GAN discriminator on half of ``x`` and ``y``; bounds JS, TV, KL on the rest.

    Each sample is shuffled with ``key`` and cut in two: :func:`train_gan_discriminator` sees
    only the first halves (its own ``config.holdout``, for the stopping rule, is taken from
    them), and the three bounds are computed on the second halves, which the discriminator never
    saw. Each bound holds with probability at least ``level`` over the held-out draws, whatever
    the training did; a better discriminator only makes them tighter. The three are separate
    statements: holding jointly is guaranteed at ``1 - 3 (1 - level)``.

    Args:
      x: draws of P, shape ``(n,)`` or ``(n, d)``, ``n >= 8``.
      y: draws of Q, shape ``(m,)`` or ``(m, d)``, ``m >= 8``.
      level: each bound's coverage, in ``(0, 1)``.
      config: how to train the discriminator (a :class:`CriticConfig`).
      key: an integer seed or a :func:`jax.random.key`: the split and the training.

    Returns:
      A :class:`HeldOutBounds`: ``js``, ``tv``, ``kl`` (:class:`~divergences.estimate.Estimate`,
      ``n`` and ``m`` the held-out counts) and the ``fit``.

    Raises:
      ValueError: bad samples (fewer than 8 draws), ``level`` or ``config``.

    Example:
      >>> import numpy as np
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)  # JS 0.337, TV 0.683, KL 2
      >>> b = critics.held_out_bounds(x, y, config=critics.CriticConfig(progress=False))
      >>> js, tv, kl = (e.lower_bound for e in (b.js, b.tv, b.kl))
      >>> bool(0.2 < js < 0.337), bool(0.55 < tv < 0.683), bool(kl < 2)
      (True, True, True)
    """
    level = level_option(level, note="each bound's coverage")
    check_samples(x, y)
    # The draws in float64 as given: check_samples' arrays follow JAX's x64 setting.
    xs, ys = (np.asarray(a, dtype=np.float64).reshape(np.shape(a)[0], -1) for a in (x, y))
    for name, a in (("x", xs), ("y", ys)):
        if a.shape[0] < 8:
            raise ValueError(
                f"{name} must hold at least 8 draws (half to train the discriminator, half to "
                f"bound on), got {a.shape[0]}"
            )
    key_x, key_y, key_train = jax.random.split(as_key(key), 3)
    (x_train, x_test), (y_train, y_test) = _halves(xs, key_x), _halves(ys, key_y)
    fit = train_gan_discriminator(x_train, y_train, config=config, key=key_train)
    d = fit.critic
    return HeldOutBounds(
        js=js_from_discriminator(x_test, y_test, d, level=level),
        tv=tv_from_discriminator(x_test, y_test, d, level=level),
        kl=kl_from_discriminator(x_test, y_test, d, level=level),
        fit=fit,
    )
