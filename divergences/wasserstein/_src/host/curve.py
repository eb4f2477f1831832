"""Points renumbered along a space-filling curve, so that near points get near indices.

Hilbert's curve in 2-D, Morton's (Z-order) in other dimensions, on a grid of ``2^bits`` cells
per axis over the points' bounding box.

Reference: Bader, *Space-Filling Curves: An Introduction with Applications in Scientific
Computing*, Springer, 2013 (Hilbert's curve and the Morton order).
"""

from __future__ import annotations

import numpy as np

__all__ = ["curve_order"]


def curve_order(p: np.ndarray) -> np.ndarray:
    """Indices of the points along a space-filling curve (Hilbert in 2-D, Morton otherwise)."""
    n, d = p.shape
    if d == 1:
        return np.argsort(p[:, 0], kind="stable")
    lo = p.min(axis=0)
    span = float(np.max(p.max(axis=0) - lo))
    bits = 16 if d <= 3 else max(1, 60 // d)
    scale = ((1 << bits) - 1) / span if span > 0 else 0.0
    q = np.floor((p - lo) * scale).astype(np.uint64)
    if d == 2:
        x, y = q[:, 0].copy(), q[:, 1].copy()
        key = np.zeros(n, np.uint64)
        side = np.uint64(1 << bits)
        s = np.uint64(1 << (bits - 1))
        while s > 0:
            rx = (x & s) > 0
            ry = (y & s) > 0
            key += s * s * ((np.uint64(3) * rx.astype(np.uint64)) ^ ry.astype(np.uint64))
            flip = ~ry & rx
            x = np.where(flip, side - np.uint64(1) - x, x)
            y = np.where(flip, side - np.uint64(1) - y, y)
            swap = ~ry
            x, y = np.where(swap, y, x), np.where(swap, x, y)
            s = s // np.uint64(2)
    else:
        key = np.zeros(n, np.uint64)
        for bit in range(bits):
            for c in range(d):
                key |= ((q[:, c] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(bit * d + c)
    return np.argsort(key, kind="stable")
