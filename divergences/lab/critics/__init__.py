r"""Critics: small networks trained on samples, whose optimum is a divergence.

Each trainer takes a sample ``x`` of :math:`p` and ``y`` of :math:`q` and returns a
:class:`CriticFit` (the estimate, its training curve, the trained function):

* :func:`train_gan_discriminator`: the GAN discriminator; estimates JS (nats, with the 1/2);
* :func:`train_wgan_critic`: the WGAN critic with weight clipping, a gradient penalty or spectral
  normalisation; estimates :math:`W_1` (clipping: :math:`K\,W_1`, :math:`K` unknown);
* :func:`train_fgan_critic`: the f-GAN variational bound for a generator of the f-GAN table;
* :func:`critic_sweep` and :func:`plot_critic_sweep`: all of them on the parallel lines.

Training, shared by all, is set by one frozen :class:`CriticConfig` (the network, the steps, the
optimizer, the hold-out; compared by value, so equal configurations reuse compiled steps): the
network is an MLP in plain JAX (parameters a pytree of ``(W, b)``
pairs); each step draws ``batch_size`` points with replacement from each training sample and
takes one optax step; ``eval_every`` steps run as one jitted ``lax.scan``, after which the
estimate is evaluated on held-out points (``holdout``, a quarter of each sample by default,
shuffled with the key). Evaluating on points the critic was not trained on matters: on the
training points a flexible critic separates the two empirical measures, whose atoms are
disjoint, and an in-sample KL bound grows without limit. Training stops after ``steps``, or
earlier when ``patience`` evaluations in a row fail to raise the best estimate by more than
``tol`` times the progress made so far. A given key gives the same result on the same machine.
Networks train in ``float32`` by default, whatever JAX's x64 setting.
"""

from __future__ import annotations

from divergences.lab.critics._training import CriticConfig, CriticFit
from divergences.lab.critics.fgan import OUTPUT_ACTIVATIONS, train_fgan_critic
from divergences.lab.critics.gan import train_gan_discriminator
from divergences.lab.critics.sweep import CriticSweep, critic_sweep, plot_critic_sweep
from divergences.lab.critics.wgan import CONSTRAINTS, train_wgan_critic

__all__ = [
    "CONSTRAINTS",
    "OUTPUT_ACTIVATIONS",
    "CriticConfig",
    "CriticFit",
    "CriticSweep",
    "critic_sweep",
    "plot_critic_sweep",
    "train_fgan_critic",
    "train_gan_discriminator",
    "train_wgan_critic",
]
