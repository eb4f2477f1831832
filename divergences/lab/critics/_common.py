"""Defaults shared by the critics' public functions."""

from __future__ import annotations

import functools

import optax

__all__ = ["adam"]


@functools.lru_cache(maxsize=32)
def adam(learning_rate: float) -> optax.GradientTransformation:
    """Adam with the given step size; cached so repeated calls reuse compiled training steps."""
    return optax.adam(learning_rate)
