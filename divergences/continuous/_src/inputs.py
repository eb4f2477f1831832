"""The certified path's check of its laws: the fast path's checks, and parameters that are concrete."""

from __future__ import annotations

from typing import Any

import jax
from jax.core import Tracer

from divergences.continuous._src.interface import Law
from divergences.continuous._src.quadrature import check_law

__all__ = ["check_concrete_law"]


def check_concrete_law(law: Any, name: str) -> None:
    """The fast path's checks of a law, and parameters that are concrete (not traced)."""
    check_law(law, name)

    if any(isinstance(leaf, Tracer) for leaf in _leaves(law)):
        raise ValueError(
            f"{name} must have concrete parameters: the certified path runs on the host"
        )


def _leaves(law: Law) -> list[Any]:
    return jax.tree_util.tree_leaves(law)
