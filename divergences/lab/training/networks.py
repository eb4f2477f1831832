r"""The lab's networks, built from equinox layers.

Multilayer perceptrons for generators and critics, spectral normalisation from
:class:`equinox.nn.SpectralNorm`, and the one-parameter generator of the parallel lines.

Every network is called on ONE point, ``net(x, state) -> (y, state)``, and batched with
:func:`batched`; ``state`` is an :class:`equinox.nn.State` holding the power-iteration vectors
of spectral normalisation (empty for the other networks).

References:
  Kidger & Garcia, *Equinox: neural networks in JAX via callable PyTrees and filtered
  transformations*, 2021; Miyato, Kataoka, Koyama & Yoshida, *Spectral Normalization for
  Generative Adversarial Networks*, ICLR 2018, Algorithm 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "ShiftGenerator",
    "batched",
    "make_critic",
    "make_mlp",
    "power_iterate",
]


def leaky_relu(x: jax.Array) -> jax.Array:
    """Leaky ReLU with slope 0.2 below zero.

    It is 1-Lipschitz, so spectral normalisation bounds the network's Lipschitz constant by 1.
    """
    return jax.nn.leaky_relu(x, 0.2)


#: The activations an MLP of the lab can have between its layers, by name. Critics use leaky
#: ReLU (DCGAN's discriminators; a gradient everywhere). Generators use ReLU: a generator that
#: maps a connected latent space onto separate modes must be flat where it lands on a mode and
#: steep between modes, and a ReLU layer is exactly flat where its units are off, while a leaky
#: one never is (its slope is at least 0.2). Measured on the ring of 8 Gaussians: see the
#: training docs.
ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "leaky_relu": leaky_relu,
}


def check_activation(argument: str, name: Any) -> None:
    """Raises a ValueError naming ``argument`` unless ``name`` is a key of :data:`ACTIVATIONS`."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{argument} must be one of {sorted(ACTIVATIONS)}, got {name!r}")


class MLP(eqx.Module):
    """A multilayer perceptron, ``in -> hidden -> ... -> out``.

    An activation (leaky ReLU unless given) sits between the linear layers.

    Attributes:
      layers: the linear layers, each an :class:`equinox.nn.Linear` or one wrapped in
        :class:`equinox.nn.SpectralNorm`.
      scalar_output: when ``True`` the output of width 1 is returned as a scalar (critics).
      activation: the activation's name, a key of :data:`ACTIVATIONS` (a name, not the
        function, so that a network pickles).
    """

    layers: tuple[Any, ...]
    scalar_output: bool = eqx.field(static=True)
    activation: str = eqx.field(static=True, default="leaky_relu")

    def __call__(
        self, x: jax.Array, state: eqx.nn.State, *, inference: bool = False
    ) -> tuple[jax.Array, eqx.nn.State]:
        """The output for one point ``x``, and the state.

        With ``inference`` spectral normalisation uses the stored power-iteration vectors without
        updating them (the state is returned as is).
        """
        h, act = x, ACTIVATIONS[self.activation]
        for i, layer in enumerate(self.layers):
            if isinstance(layer, eqx.nn.SpectralNorm):
                h, state = layer(h, state, inference=inference)
            else:
                h = layer(h)
            if i < len(self.layers) - 1:
                h = act(h)
        return (h[0] if self.scalar_output else h), state


def make_mlp(
    key: jax.Array,
    sizes: Sequence[int],
    *,
    spectral_norm: bool = False,
    scalar_output: bool,
    dtype: Any,
    activation: str = "leaky_relu",
) -> tuple[MLP, eqx.nn.State]:
    r"""A new :class:`MLP` and its initial state.

    Its layer widths are ``sizes`` (input first), with the activation named ``activation`` (a key
    of :data:`ACTIVATIONS`) between its layers.

    Linear layers use equinox's default initialisation (uniform in
    :math:`\pm 1/\sqrt{\text{fan in}}`); with ``spectral_norm`` every layer is wrapped in
    :class:`equinox.nn.SpectralNorm` with one power iteration per call.
    """
    check_activation("activation", activation)  # before the layers: no work for a refused call
    keys = jax.random.split(key, 2 * (len(sizes) - 1))
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layer: Any = eqx.nn.Linear(fan_in, fan_out, dtype=dtype, key=keys[2 * i])
        if spectral_norm:
            layer = eqx.nn.SpectralNorm(layer, "weight", key=keys[2 * i + 1])
        layers.append(layer)
    return eqx.nn.make_with_state(MLP)(tuple(layers), scalar_output, activation)


def make_critic(
    key: jax.Array,
    game: Any,
    dim: int,
    hidden: Sequence[int],
    dtype: Any,
    *,
    zero_output: bool = False,
) -> tuple[MLP, eqx.nn.State]:
    r"""A new critic of ``game`` on points of dimension ``dim``, and its state.

    ``game`` is a :class:`~divergences.lab.training.games.Game`; the critic is an :class:`MLP`
    to one scalar, spectrally normalised where the game says,
    with the game's projection (weight clipping) applied to its initial weights.

    With ``zero_output`` the last layer's weights and bias start at 0, so the critic starts as
    :math:`f \equiv 0` and its first updates follow the objective alone (see
    :mod:`divergences.lab.critics`). Refused for a spectrally normalised critic, whose layers are
    divided by their largest singular value, 0 for a zero layer.
    """
    if zero_output and game.spectral_norm:
        raise ValueError(
            "zero_output: a spectrally normalised layer cannot start at 0 (it is divided by its "
            "largest singular value); use zero_output=False for this game"
        )
    net, state = make_mlp(
        key,
        (dim, *hidden, 1),
        spectral_norm=game.spectral_norm,
        scalar_output=True,
        dtype=dtype,
    )
    if zero_output:
        last = net.layers[-1]
        net = eqx.tree_at(
            lambda n: (n.layers[-1].weight, n.layers[-1].bias),
            net,
            (jnp.zeros_like(last.weight), jnp.zeros_like(last.bias)),
        )
    return game.project(net), state


def power_iterate(net: MLP, state: eqx.nn.State) -> eqx.nn.State:
    """One power-iteration step of every spectrally normalised layer.

    Done once per critic update (Miyato et al., Algorithm 1); the losses then call the network
    with ``inference=True`` on the updated vectors.
    """
    first = net.layers[0]
    linear = first.layer if isinstance(first, eqx.nn.SpectralNorm) else first
    return net(jnp.zeros((linear.in_features,), linear.weight.dtype), state)[1]


class ShiftGenerator(eqx.Module):
    r"""The parallel lines' generator :math:`g_\theta(z) = (\theta, z)`, one parameter."""

    theta: jax.Array

    def __call__(self, z: jax.Array, state: eqx.nn.State) -> tuple[jax.Array, eqx.nn.State]:
        r"""The point :math:`(\theta, z_0)` for one noise vector ``z``, and the state unchanged."""
        return jnp.concatenate([self.theta[None], z[:1]]), state


def batched(net: Any, x: jax.Array, state: eqx.nn.State) -> tuple[jax.Array, eqx.nn.State]:
    """``net`` on every row of ``x``; the state (power iterations) is shared by the batch."""
    return jax.vmap(net, in_axes=(0, None), out_axes=(0, None), axis_name="batch")(x, state)
