"""Two laws' common part: the components both hold, with their common weight left out exactly.

Where ``p`` and ``q`` share a component, ``p - q`` is computed as ``P - Q`` without it, so that
the ball arithmetic never subtracts two equal densities; two laws whose difference is empty are
one law (:func:`same_law`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from divergences.continuous._src.interface import Law, exact_components

__all__ = ["same_law", "without_common_part"]


def same_law(p: Law, q: Law) -> bool:
    """Whether ``p`` and ``q`` are one law (the same components, weights and parameters)."""
    return without_common_part(p, q) == ([], [])


def _component_key(c: Law) -> tuple[Any, ...]:
    """A component's type and parameters as exact floats: equal keys, equal densities."""
    return (type(c), *(float(np.asarray(getattr(c, f), np.float64)) for f in c._fields))


def without_common_part(p: Law, q: Law) -> tuple[list[tuple[float, Law]], list[tuple[float, Law]]]:
    """``p - q`` as ``P - Q``: a component both mixtures hold leaves its common weight out.

    ``P = p - m`` and ``Q = q - m`` with ``m = sum_k min(w_k, v_k) p_k`` over the components
    ``p_k`` that ``p`` (weight ``w_k``) and ``q`` (weight ``v_k``) share, so ``P - Q = p - q``
    exactly, while the ball arithmetic never subtracts two equal densities (where the shared
    part dominates, ``p(x) - q(x)`` computed as written loses every bit and the integrator
    bisects until its evaluation limit). A weight difference is kept only where it is a float
    exactly; otherwise that component stays on both sides, as written.
    """
    left = [(w, c, _component_key(c)) for w, c in exact_components(p)]
    right: list[tuple[float, Law, tuple[Any, ...] | None]] = [
        (w, c, _component_key(c)) for w, c in exact_components(q)
    ]
    out_p: list[tuple[float, Law]] = []
    used: set[int] = set()
    for w, c, key in left:
        k = next((k for k, r in enumerate(right) if k not in used and r[2] == key), None)
        if k is None:
            out_p.append((w, c))
            continue
        v = right[k][0]
        diff = w - v
        if Fraction(diff) != Fraction(w) - Fraction(v):  # not exact: keep both as written
            out_p.append((w, c))
            continue
        used.add(k)
        if diff > 0:
            out_p.append((diff, c))
        elif diff < 0:
            right.append((-diff, c, None))  # a key no component of p has
    out_q = [(v, c) for k, (v, c, _) in enumerate(right) if k not in used]
    return out_p, out_q
