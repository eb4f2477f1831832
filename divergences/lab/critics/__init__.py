r"""Critics: small networks trained on samples, whose optimum is a divergence.

Each trainer takes a sample ``x`` of :math:`p` and ``y`` of :math:`q` and returns a
:class:`CriticFit` (the estimate, its training curve, the trained function):

* :func:`train_gan_discriminator`: the GAN discriminator; estimates JS (nats, with the 1/2);
* :func:`train_wgan_critic`: the WGAN critic of a game of :data:`WGAN_GAMES`, with weight
  clipping (``wgan-clip``), a gradient penalty (``wgan-gp``) or spectral normalisation
  (``wgan-sn``); estimates :math:`W_1` (clipping: :math:`K\,W_1`, :math:`K` unknown);
* :func:`train_fgan_critic`: the f-GAN variational bound for a generator of the f-GAN table;
* :func:`critic_sweep` and :func:`plot_critic_sweep`: all of them on the parallel lines;
* :func:`critics_on_two_gaussians` (:mod:`~divergences.lab.critics.saturation`): a saturated GAN
  discriminator beside a clipped WGAN critic on the line, WGAN's Figure 2;
* :func:`critic_value_surfaces` and :func:`layer_gradient_norms`
  (:mod:`~divergences.lab.critics.clipping`): weight clipping against the gradient penalty,
  WGAN-GP's Figure 1.
* :func:`held_out_bounds` (:mod:`~divergences.lab.critics.held_out`): a GAN discriminator
  trained on half of each sample, and its finite-sample lower bounds on JS, TV and KL from the
  other half (:func:`divergences.estimate.js_from_discriminator` and its siblings).

Every critic is the critic of a game of :mod:`divergences.lab.training.games` (``nsgan``,
``wgan-clip``, ``wgan-gp``, ``wgan-sn``, the ``fgan-*`` games), trained by the lab's critic update
(:func:`divergences.lab.training.trainer.critic_update`) with the generator frozen: its sample
``y`` is fixed. Its network is the lab's equinox MLP
(:func:`divergences.lab.training.networks.make_critic`); under a gradient penalty its output
layer starts at zero, so that the critic starts as :math:`f \equiv 0` and the objective, not the
initialisation, sets the sign of its slope. Training is set by one frozen
:class:`CriticConfig` (the network, the steps, the step size of the game's optimiser, the
hold-out; compared by value, so equal configurations reuse compiled steps): each step draws
``batch_size`` points with replacement from each training sample and takes one optimiser step;
``eval_every`` steps run as one jitted ``lax.scan``, after which the estimate is evaluated on
held-out points (``holdout``, a quarter of each sample by default, shuffled with the key).
Evaluating on points the critic was not trained on matters: on the training points a flexible
critic separates the two empirical measures, whose atoms are disjoint, and an in-sample KL bound
grows without limit. Training stops after ``steps``, or earlier when ``patience`` evaluations in
a row fail to raise the best estimate by more than ``tol`` times the progress made so far. A
given key gives the same result on the same machine. Networks train in ``float32`` by default,
whatever JAX's x64 setting.
"""

from __future__ import annotations

from divergences.lab.critics._training import CriticFit
from divergences.lab.critics.clipping import (
    LayerGradients,
    ValueSurface,
    critic_value_surfaces,
    figure_layer_gradients,
    figure_value_surfaces,
    layer_gradient_norms,
    noisy_data_generator,
)
from divergences.lab.critics.held_out import HeldOutBounds, held_out_bounds
from divergences.lab.critics.parallel_lines import CriticSweep, critic_sweep, plot_critic_sweep
from divergences.lab.critics.saturation import (
    TwoGaussians,
    critics_on_two_gaussians,
    figure_two_gaussians,
)
from divergences.lab.critics.trainers import (
    WGAN_GAMES,
    train_critic,
    train_fgan_critic,
    train_gan_discriminator,
    train_wgan_critic,
)
from divergences.lab.training.config import CriticConfig
from divergences.lab.training.games import OUTPUT_ACTIVATIONS

__all__ = [
    "OUTPUT_ACTIVATIONS",
    "WGAN_GAMES",
    "CriticConfig",
    "CriticFit",
    "CriticSweep",
    "HeldOutBounds",
    "LayerGradients",
    "TwoGaussians",
    "ValueSurface",
    "critic_sweep",
    "critic_value_surfaces",
    "critics_on_two_gaussians",
    "figure_layer_gradients",
    "figure_two_gaussians",
    "figure_value_surfaces",
    "held_out_bounds",
    "layer_gradient_norms",
    "noisy_data_generator",
    "plot_critic_sweep",
    "train_critic",
    "train_fgan_critic",
    "train_gan_discriminator",
    "train_wgan_critic",
]
