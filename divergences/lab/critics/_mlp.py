r"""A tiny multilayer perceptron in plain JAX, and spectral normalisation of its layers.

Parameters are a pytree: a tuple of ``(W, b)`` pairs, ``W`` of shape ``(fan_in, fan_out)``. The
network maps ``(n, d)`` inputs to ``(n,)`` outputs: hidden layers ``h <- act(h W + b)`` and a
final linear layer to one unit.

Spectral normalisation (Miyato et al., 2018) divides each weight matrix by an estimate of its
largest singular value :math:`\sigma(W)`, obtained by power iteration with a persistent vector
``u`` (one step per training update, so the estimate follows ``W`` as it changes). With
1-Lipschitz activations (ReLU, leaky ReLU, tanh) the normalised network is then at most
1-Lipschitz in the Euclidean norm.

References:
  Miyato, Kataoka, Koyama & Yoshida, *Spectral Normalization for Generative Adversarial
  Networks*, ICLR 2018, Algorithm 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

__all__ = [
    "init_mlp",
    "mlp",
    "normalize",
    "power_iteration",
    "spectral_normalized",
]

Params = tuple[tuple[jax.Array, jax.Array], ...]


def init_mlp(key: jax.Array, dim: int, hidden: Sequence[int], dtype: Any) -> Params:
    """He-normal weights (variance ``2 / fan_in``) and zero biases for ``dim -> hidden -> 1``."""
    sizes = [dim, *hidden, 1]
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for k, fan_in, fan_out in zip(keys, sizes[:-1], sizes[1:], strict=True):
        w = jax.random.normal(k, (fan_in, fan_out), dtype) * jnp.sqrt(2.0 / fan_in).astype(dtype)
        layers.append((w, jnp.zeros((fan_out,), dtype)))
    return tuple(layers)


def mlp(params: Params, x: jax.Array, activation: Callable[[jax.Array], jax.Array]) -> jax.Array:
    """The network's output for each row of ``x``: shape ``(n, d) -> (n,)``."""
    h = x
    for w, b in params[:-1]:
        h = activation(h @ w + b)
    w, b = params[-1]
    return (h @ w + b)[..., 0]


def normalize(v: jax.Array) -> jax.Array:
    """``v / ||v||``; a zero vector stays zero. Used on power-iteration vectors only, which
    carry no gradient, so the guard is not on a differentiated path."""
    n = jnp.linalg.norm(v)
    return v / jnp.maximum(n, jnp.finfo(v.dtype).tiny)


def power_iteration(w: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""One step of power iteration for the top singular pair of ``w`` (shape ``(m, k)``).

    Given the current right vector ``u`` (length ``k``): :math:`v = Wu/\|Wu\|`,
    :math:`u' = W^\top v / \|W^\top v\|`, and :math:`\sigma = v^\top W u'`.

    Returns:
      ``(sigma, u', v)``; ``sigma`` approaches the largest singular value as steps repeat.
    """
    v = normalize(w @ u)
    u_new = normalize(w.T @ v)
    sigma = v @ w @ u_new
    return sigma, u_new, v


def spectral_normalized(
    params: Params, us: tuple[jax.Array, ...]
) -> tuple[Params, tuple[jax.Array, ...]]:
    """Each ``W`` divided by its power-iteration estimate of ``sigma(W)``, after one step.

    The singular vectors are held constant for differentiation (``stop_gradient``), as in
    Miyato et al. (2018): the gradient flows through ``W`` in ``v^T W u``.

    Returns:
      The normalised parameters and the updated vectors ``u``, one per layer.
    """
    out, new_us = [], []
    for (w, b), u in zip(params, us, strict=True):
        _, u_new, v = power_iteration(jax.lax.stop_gradient(w), u)
        u_new, v = jax.lax.stop_gradient(u_new), jax.lax.stop_gradient(v)
        sigma = v @ w @ u_new
        out.append((w / sigma, b))
        new_us.append(u_new)
    return tuple(out), tuple(new_us)
