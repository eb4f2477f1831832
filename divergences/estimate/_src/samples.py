"""The rules of the estimates' draws: one message per rule, naming the argument.

The estimates run on the host (NumPy, SciPy, the package's exact solvers) with XLA kernels
inside, so every rule is checked eagerly, before any work, and raises a ``ValueError``. Their
options (``level``, ``seed``, ``k``, a bandwidth or a diameter) follow the package's option
rules (:mod:`divergences._src.options`).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from divergences._src.errors import NEEDS_VALUES

__all__ = ["as_samples", "check_at_least", "relabellings", "sample_pair"]


def as_samples(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array of shape ``(n, d)``: ``(n,)`` is read as ``n`` points of the line.

    Raises:
      ValueError: naming ``name``, where ``x`` is not real, has another number of axes than one
        or two, holds no point or no coordinate, or holds ``NaN`` or ``inf`` (the count given).
    """
    try:
        arr = np.asarray(x)
    except NEEDS_VALUES:
        raise  # traced draws (jit, vmap, grad): JAX's own error says the values are needed
    except Exception as err:  # a ragged list, an object that is no array
        raise ValueError(
            f"{name} must be an array of draws of shape (n, d) or (n,): {err}"
        ) from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or jnp.issubdtype(arr.dtype, jnp.floating)  # bfloat16 and the other ml_dtypes floats
    ):
        raise ValueError(f"{name} must hold real numbers (draws), got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, d) (n draws in d dimensions) or (n,) on the line, "
            f"got shape {np.shape(x)}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one draw of at least one coordinate, got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
    if bad:
        raise ValueError(
            f"{name} must be finite: {bad} of its {arr.shape[0]} draws hold NaN or inf"
        )
    return arr


def sample_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as ``(n, d)`` and ``(m, d)`` float64 arrays of one dimension ``d``.

    Raises:
      ValueError: as :func:`as_samples`, or where ``x`` and ``y`` differ in dimension.
    """
    xs, ys = as_samples(x, "x"), as_samples(y, "y")
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"x and y must be draws in one dimension: x has {xs.shape[1]} coordinates a draw, "
            f"y has {ys.shape[1]}"
        )
    return xs, ys


def check_at_least(count: int, minimum: int, name: str, why: str) -> None:
    """Raises a ValueError naming ``name`` where it holds fewer than ``minimum`` draws."""
    if count < minimum:
        raise ValueError(f"{name} must hold at least {minimum} draws ({why}), got {count}")


def relabellings(n: int, m: int, count: int, seed: int) -> np.ndarray:
    """The observed labels, then ``count`` seeded random ones: rows of ``n`` pooled positions."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(np.arange(n + m), (count, 1)), axis=1)[:, :n]
    return np.concatenate([np.arange(n)[None, :], shuffled])
