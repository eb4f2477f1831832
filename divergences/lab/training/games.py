r"""The games: the critic's loss, the generator's loss, the critic's own estimate, and the
optimiser settings of each game's paper.

The discriminator of the GAN games outputs a logit :math:`l(x)`, :math:`D = \sigma(l)`, so that
:math:`-\log D = \mathrm{softplus}(-l)` and :math:`-\log(1 - D) = \mathrm{softplus}(l)` are
evaluated without overflow. With real points :math:`x \sim P`, generated points
:math:`\tilde x = G(z)`:

* ``gan``: critic :math:`-E\log D(x) - E\log(1 - D(\tilde x))`; generator
  :math:`E\log(1 - D(\tilde x))` (the saturating minimax loss).
* ``nsgan``: the same critic; generator :math:`-E\log D(\tilde x)` (non-saturating).
* ``sngan``: as ``nsgan``, every critic layer spectrally normalised.
* ``r1``: as ``nsgan``, the critic's loss plus :math:`\frac{\gamma}{2} E\|\nabla_x l(x)\|^2`
  on real points.
* ``wgan-clip``: critic :math:`E f(\tilde x) - E f(x)`, weights clipped to :math:`[-c, c]`
  after each step; generator :math:`-E f(\tilde x)`.
* ``wgan-gp``: the same critic loss plus :math:`\lambda E(\|\nabla f(\hat x)\| - 1)^2`,
  :math:`\hat x` uniform on the segments between real and generated points; generator
  :math:`-E f(\tilde x)`.

The critic's own estimate: for the GAN games :math:`\widehat{JS} = (V + \log 4)/2` with
:math:`V = E\log D(x) + E\log(1 - D(\tilde x))` (Goodfellow et al., 2014, Theorem 1:
:math:`\max_D V = 2\,JS - \log 4`), a lower bound on JS in nats up to sampling noise; for the
WGAN games :math:`E f(x) - E f(\tilde x)`, an estimate of :math:`K\,W_1` (with clipping
:math:`K` is set by the clipping bound and not known; with the gradient penalty it is about 1).

References:
  Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014; Radford, Metz & Chintala,
  *DCGAN*, ICLR 2016 (Adam 2e-4, beta1 0.5); Arjovsky, Chintala & Bottou, *Wasserstein GAN*,
  ICML 2017, Algorithm 1 (RMSProp 5e-5, c = 0.01, 5 critic steps); Gulrajani et al.,
  *Improved Training of Wasserstein GANs*, NeurIPS 2017, Algorithm 1 (Adam 1e-4, betas 0 and
  0.9, lambda = 10, 5 critic steps); Miyato et al., *Spectral Normalization for GANs*, ICLR 2018,
  Table 1, setting A (Adam 1e-4, betas 0.5 and 0.9, 5 critic steps); Mescheder, Geiger &
  Nowozin, *Which Training Methods for GANs do actually Converge?*, ICML 2018, eq. (9) and their
  released configurations (R1 with gamma = 10, Adam 1e-4, betas 0 and 0.99, one critic step).

Defaults: each paper's optimiser, betas and critic steps, with the step size raised where the
paper's does not converge on the lab's data within a class's minute: WGAN-GP and SN-GAN take
Adam 5e-4 (their papers' 1e-4 leaves the ring of 8 Gaussians at several times its noise floor
after the default 12000 steps); R1, the GAN and the non-saturating GAN keep their papers' step
sizes, WGAN-clip its RMSProp 5e-5. R1's weight (0.1, not the paper's 10) is set in the
configuration (:class:`~divergences.lab.training.config.TrainingConfig`). Measured in the
training docs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["GAMES", "Game", "OptimiserSettings"]


class OptimiserSettings(NamedTuple):
    """An optimiser as its paper sets it: ``name`` is ``"adam"`` or ``"rmsprop"``."""

    name: str
    learning_rate: float
    b1: float = 0.9
    b2: float = 0.999
    decay: float = 0.99

    def build(self) -> optax.GradientTransformation:
        """The optax transformation (RMSProp with PyTorch's decay 0.99, as WGAN's code used)."""
        if self.name == "adam":
            return optax.adam(self.learning_rate, b1=self.b1, b2=self.b2)
        return optax.rmsprop(self.learning_rate, decay=self.decay, eps=1e-8)


class Game(NamedTuple):
    """One game: its losses, estimate, constraints and its paper's defaults.

    Attributes:
      name: the command line's name.
      wasserstein: ``True`` for a critic with values in R, ``False`` for a discriminator's logit.
      saturating: the generator minimises :math:`E\\log(1 - D(\\tilde x))`.
      spectral_norm: every critic layer is spectrally normalised.
      clip: weights clipped to ``[-c, c]`` after each critic step (``wgan-clip``).
      penalty: ``"gp"`` (WGAN-GP), ``"r1"`` or ``None``.
      optimiser: the paper's optimiser for both networks.
      critic_steps: the paper's number of critic steps per generator step.
      estimate_name: what the critic estimates, for figure labels.
    """

    name: str
    wasserstein: bool
    saturating: bool
    spectral_norm: bool
    clip: bool
    penalty: str | None
    optimiser: OptimiserSettings
    critic_steps: int
    estimate_name: str


_DCGAN_ADAM = OptimiserSettings("adam", 2e-4, b1=0.5, b2=0.999)

#: Every game of the lab, by its command-line name.
GAMES: dict[str, Game] = {
    "gan": Game("gan", False, True, False, False, None, _DCGAN_ADAM, 1, "JS (discriminator)"),
    "nsgan": Game("nsgan", False, False, False, False, None, _DCGAN_ADAM, 1, "JS (discriminator)"),
    "wgan-clip": Game(
        "wgan-clip",
        True,
        False,
        False,
        True,
        None,
        OptimiserSettings("rmsprop", 5e-5),
        5,
        "K W1 (critic)",
    ),
    "wgan-gp": Game(
        "wgan-gp",
        True,
        False,
        False,
        False,
        "gp",
        OptimiserSettings("adam", 5e-4, 0.0, 0.9),
        5,
        "W1 (critic)",
    ),
    "sngan": Game(
        "sngan",
        False,
        False,
        True,
        False,
        None,
        OptimiserSettings("adam", 5e-4, 0.5, 0.9),
        5,
        "JS (discriminator)",
    ),
    "r1": Game(
        "r1",
        False,
        False,
        False,
        False,
        "r1",
        OptimiserSettings("adam", 1e-4, 0.0, 0.99),
        1,
        "JS (discriminator)",
    ),
}


def safe_norm(g: jax.Array) -> jax.Array:
    """Row norms of ``g`` with a finite gradient at 0 (the double ``where``)."""
    sq = jnp.sum(g * g, axis=-1)
    nonzero = sq > 0
    return jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, sq, 1.0)), 0.0)


def critic_loss(
    game: Game,
    f: Callable[[jax.Array], jax.Array],
    real: jax.Array,
    fake: jax.Array,
    key: jax.Array,
    *,
    gp_weight: float,
    r1_weight: float,
) -> jax.Array:
    """The critic's loss for a batch; ``f`` maps one point to the critic's scalar output."""
    fr, ff = jax.vmap(f)(real), jax.vmap(f)(fake)
    if game.wasserstein:
        loss = jnp.mean(ff) - jnp.mean(fr)
    else:
        loss = jnp.mean(jax.nn.softplus(-fr)) + jnp.mean(jax.nn.softplus(ff))
    if game.penalty == "gp":
        t = jax.random.uniform(key, (real.shape[0], 1), real.dtype)
        mid = t * real + (1 - t) * fake
        grads = jax.vmap(jax.grad(f))(mid)
        loss = loss + gp_weight * jnp.mean((safe_norm(grads) - 1.0) ** 2)
    elif game.penalty == "r1":
        grads = jax.vmap(jax.grad(f))(real)
        loss = loss + 0.5 * r1_weight * jnp.mean(jnp.sum(grads * grads, axis=-1))
    return loss


def generator_loss(game: Game, fake_out: jax.Array) -> jax.Array:
    """The generator's loss from the critic's outputs on generated points."""
    if game.wasserstein:
        return -jnp.mean(fake_out)
    if game.saturating:
        return -jnp.mean(jax.nn.softplus(fake_out))  # E log(1 - D) = -E softplus(l)
    return jnp.mean(jax.nn.softplus(-fake_out))  # -E log D


def critic_estimate(game: Game, real_out: Any, fake_out: Any) -> float:
    """The critic's own estimate (JS in nats for the GAN games, (K) W1 for the WGAN games)."""
    if game.wasserstein:
        return float(jnp.mean(real_out) - jnp.mean(fake_out))
    v = -jnp.mean(jax.nn.softplus(-real_out)) - jnp.mean(jax.nn.softplus(fake_out))
    return float((v + math.log(4.0)) / 2)


def clip_weights(params: Any, c: float) -> Any:
    """Every weight and bias clipped to ``[-c, c]`` (Arjovsky et al., Algorithm 1, line 7)."""
    return jax.tree_util.tree_map(lambda w: jnp.clip(w, -c, c), params)
