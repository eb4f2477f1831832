r"""Draws from the laws of :mod:`divergences.continuous.laws`, one function per family.

Each function takes the law, a ``jax.random`` key and the sample shape (checked by
:meth:`divergences.continuous.laws.Law.sample`, which calls them), and draws in XLA: a standard
draw of ``jax.random`` carried by the law's location and scale, or its ends. They sit here and
not in ``laws.py`` for the reason ``_arb.py`` does: ``laws.py`` holds the families' densities
and distribution functions and is close to the package's 600 lines a module; each law names its
sampler in one line (``_draw = _sampling.normal``), and reads nothing else from this module.

A mixture draws a component index from the categorical law of its weights, then every
component's draw of the whole shape (each with its own key) and keeps, at each place, the
component its index names: ``K`` draws for one, so that the program has static shapes and
works under ``jit`` and ``vmap``.

References:
  Devroye, *Non-Uniform Random Variate Generation*, Springer 1986 (chapter IX for the families;
  chapter XIV.4 for the composition method of mixtures).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = [
    "beta",
    "cauchy",
    "exponential",
    "laplace",
    "mixture",
    "normal",
    "student_t",
    "uniform",
]

Shape = tuple[int, ...]


def _float() -> Any:
    """The default float dtype of JAX: float64 where ``jax_enable_x64`` is on."""
    return jnp.result_type(float)


def normal(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.loc + law.scale * jax.random.normal(key, shape, _float())


def laplace(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.loc + law.scale * jax.random.laplace(key, shape, _float())


def cauchy(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.loc + law.scale * jax.random.cauchy(key, shape, _float())


def student_t(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.loc + law.scale * jax.random.t(key, law.df, shape, _float())


def uniform(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.low + (law.high - law.low) * jax.random.uniform(key, shape, _float())


def exponential(law: Any, key: Any, shape: Shape) -> jax.Array:
    return law.loc + jax.random.exponential(key, shape, _float()) / law.rate


def beta(law: Any, key: Any, shape: Shape) -> jax.Array:
    t = jax.random.beta(key, law.a, law.b, shape, _float())
    return law.low + (law.high - law.low) * t


def mixture(law: Any, key: Any, shape: Shape) -> jax.Array:
    pick, *keys = jax.random.split(key, 1 + len(law.components))
    index = jax.random.categorical(pick, jnp.log(law.weights), shape=shape)
    draws = jnp.stack([c._draw(k, shape) for c, k in zip(law.components, keys, strict=True)])
    return jnp.take_along_axis(draws, index[None], axis=0)[0]
