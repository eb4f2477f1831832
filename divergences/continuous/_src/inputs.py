"""The certified path's checks of its input: laws with concrete parameters, a tolerance in (0, 1)."""

from __future__ import annotations

from typing import Any

import jax
from jax.core import Tracer

from divergences._src.options import number_option
from divergences.continuous._src.interface import Law
from divergences.continuous._src.quadrature import check_law

__all__ = ["check_concrete_law", "check_rtol"]


def check_concrete_law(law: Any, name: str) -> None:
    """The fast path's checks of a law, and parameters that are concrete (not traced)."""
    check_law(law, name)

    if any(isinstance(leaf, Tracer) for leaf in _leaves(law)):
        raise ValueError(
            f"{name} must have concrete parameters: the certified path runs on the host"
        )


def _leaves(law: Law) -> list[Any]:
    return jax.tree_util.tree_leaves(law)


def check_rtol(rtol: Any) -> float:
    """``rtol`` as a float, or a ValueError naming it and its rule: a finite number in (0, 1)."""
    return number_option(rtol, "rtol", below=1.0)
