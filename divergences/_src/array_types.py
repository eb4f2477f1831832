"""Type aliases used in signatures across the package."""

from __future__ import annotations

import jax
import numpy as np

#: Anything :func:`jax.numpy.asarray` accepts: JAX and NumPy arrays, nested lists, scalars.
ArrayLike = jax.Array | np.ndarray | list | tuple | float | int

#: A logarithm base: ``None`` for nats, ``2`` for bits, any finite number > 0 and != 1.
Base = float | int | jax.Array | None

__all__ = ["ArrayLike", "Base"]
