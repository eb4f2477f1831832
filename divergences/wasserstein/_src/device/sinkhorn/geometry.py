r"""A problem on its scaled points, its columns in blocks, and the scan over the blocks.

**The scaling** by :math:`2^{-e}` is exact: the exponent and, where it is a scaling up, the
subnormal coordinates are read from their bits (XLA's arithmetic on CPUs and GPUs reads a
subnormal as 0), so points of any scale, subnormal float32 included, are solved like scale 1.

**The costs** are the matrix when ``n m`` is at most ``dense_pairs``; above, they are
recomputed for each block of columns in every pass (``lax.scan``; an online log-sum-exp over
the blocks for the row updates), so that memory is :math:`O((n + m) \times \text{block})`,
never :math:`n \times m`.

W1 = 0 is proved here from the bits of the input (:func:`_equal_measures`), before any
iteration. The potentials are pairs of floats (:class:`Potentials`), and every pass over the
blocks forms the reduced costs the same way (:func:`scan_blocks`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.metrics import named_metric
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.device.scaled_costs import (
    device_costs,
    magnitude_bits,
    scaled_points,
)
from divergences.wasserstein._src.device.sinkhorn.parameters import SinkhornConfig

__all__ = [
    "Block",
    "Geometry",
    "Potentials",
    "block_size",
    "blocked_geometry",
    "scan_blocks",
    "two_sum",
]


class Geometry(NamedTuple):
    """A problem on its scaled points, its columns in ``nb`` blocks of ``bs``.

    Zero-mass padding past ``m``; ``cost`` is the ``(1, n, m)`` matrix when it is kept
    (``nb == 1``).
    """

    xs: jax.Array  # (n, d)
    ys: jax.Array  # (nb, bs, d)
    a: jax.Array  # (n,)
    b: jax.Array  # (nb, bs)
    loga: jax.Array  # (n,)
    logb: jax.Array  # (nb, bs)
    cost: jax.Array | None  # (1, n, m) or None
    e: jax.Array  # the scale exponent of the points
    k: jax.Array  # the scale exponent of the costs, degree * e
    equal: jax.Array  # () bool: the measures are proved equal (W1 = 0, see _equal_measures)
    match: jax.Array  # (nb, bs) int32: the row matched to each column where ``equal``

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n, nb, bs)``."""
        return self.xs.shape[0], self.ys.shape[0], self.ys.shape[1]

    @property
    def dense(self) -> bool:
        return self.cost is not None


def block_size(n: int, m: int, config: SinkhornConfig) -> int:
    """The number of columns of a block.

    All ``m`` columns in one block (the matrix kept) up to ``dense_pairs`` pairs; above, blocks of
    ``dense_pairs // n`` columns (at least ``min_block``).
    """
    if n * m <= config.dense_pairs:
        return m
    return max(1, min(m, max(config.min_block, config.dense_pairs // n)))


def blocked_geometry(
    x: Any, y: Any, a: Any, b: Any, metric: str, config: SinkhornConfig
) -> Geometry:
    n, m = x.shape[0], y.shape[0]
    deg = named_metric(metric).degree
    e = scale_exponent(x, y, degree=deg, xp=jnp)
    xs, ys = scaled_points(x, e), scaled_points(y, e)
    bs = block_size(n, m, config)
    nb = -(-m // bs)
    pad = nb * bs - m
    y0 = y
    if pad:
        ys = jnp.concatenate([ys, jnp.broadcast_to(ys[:1], (pad, ys.shape[1]))])
        y0 = jnp.concatenate([y, jnp.broadcast_to(y[:1], (pad, y.shape[1]))])
        b = jnp.concatenate([b, jnp.zeros((pad,), b.dtype)])
    cost = device_costs(xs, ys, metric)[None] if nb == 1 else None
    equal, match = _equal_measures(x, y0.reshape(nb, bs, -1), a, b.reshape(nb, bs))
    return Geometry(
        xs=xs,
        ys=ys.reshape(nb, bs, -1),
        a=a,
        b=b.reshape(nb, bs),
        loga=jnp.log(a),
        logb=jnp.log(b).reshape(nb, bs),
        cost=cost,
        e=e,
        k=deg * e,
        equal=equal,
        match=match,
    )


def _equal_measures(
    x: jax.Array, y: jax.Array, a: jax.Array, b: jax.Array
) -> tuple[jax.Array, jax.Array]:
    r"""Whether the measures are proved equal (then W1 = 0 exactly), and the matching that proves it.

    Read from the bits of the input as given (integers: no flushing, no rounding), columns ``y``
    ``(nb, bs, d)``, ``b`` ``(nb, bs)``. The proof: the points of positive mass of each side, each
    with its mass, are the same multiset. Both sides are sorted by (positive mass first, the
    coordinates' bits, the mass's bits); equal multisets are then equal entry by entry, and
    pairing the ``k``-th row with the ``k``-th column gives :math:`G_{ij} = a_i` on those pairs,
    a coupling of cost exactly 0: a point repeated on a side (masses of every size, in any order)
    is matched copy by copy. Sorting takes :math:`O((n + m) \log(n + m))`, no ``n x m`` memory.

    Returns ``(equal, match)``: ``match[j]`` the row paired with column ``j`` (-1 where none).
    """
    n, d = x.shape
    yf, bf = y.reshape(-1, d), b.reshape(-1)
    size = max(n, yf.shape[0])
    ex, px = _sorted_entries(x, a, size)
    ey, py = _sorted_entries(yf, bf, size)
    # Entries past a side's length are padding of zero mass: they sort last, after the others.
    equal = jnp.all(ex == ey)
    k = min(n, yf.shape[0])
    positive = ey[:k, 0] == 0
    match = jnp.full((yf.shape[0],), -1, jnp.int32)
    match = match.at[py[:k]].set(jnp.where(positive, px[:k], -1), mode="drop")
    return equal, match.reshape(b.shape)


def _sorted_entries(p: jax.Array, w: jax.Array, size: int) -> tuple[jax.Array, jax.Array]:
    """The entries (zero-mass flag, coordinates' bits, mass's bits) sorted, padded to ``size``.

    Signed bits with -0 read as +0 (equal numbers exactly where the integers are equal); an
    entry of zero mass has its other keys zeroed, so that all of them are alike. Returns the
    ``(size, d + 2)`` sorted entries and the order (the original index of each).
    """
    bp, bw = magnitude_bits(p), magnitude_bits(w)
    sp = jnp.where(bp == 0, 0, lax.bitcast_convert_type(p, bp.dtype))
    zero = bw == 0
    flag = zero.astype(bp.dtype)
    sp = jnp.where(zero[:, None], 0, sp)
    entries = jnp.concatenate([flag[:, None], sp, bw.astype(bp.dtype)[:, None]], axis=1)
    pad = size - p.shape[0]
    if pad:
        filler = jnp.zeros((pad, entries.shape[1]), entries.dtype).at[:, 0].set(1)
        entries = jnp.concatenate([entries, filler])
    index = jnp.arange(size, dtype=entries.dtype)  # ties in order: the padding last
    keys = (index, *(entries[:, c] for c in reversed(range(entries.shape[1]))))
    order = jnp.lexsort(keys).astype(jnp.int32)  # the last key first: the flag
    return entries[order], order


class Potentials(NamedTuple):
    r"""The potentials as ``hi + lo``.

    By blocks: unevaluated sums of two floats (a double-float). With the matrix kept: ``lo`` is what
    has been absorbed into the reduced costs, ``hi`` what was added since.
    """

    f_hi: jax.Array  # (n,)
    f_lo: jax.Array  # (n,)
    g_hi: jax.Array  # (nb * bs,)
    g_lo: jax.Array  # (nb * bs,)

    def f(self) -> jax.Array:
        return self.f_hi + self.f_lo

    def g(self) -> jax.Array:
        return self.g_hi + self.g_lo


def two_sum(s: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``s + t = hi + lo`` exactly (Knuth's two-sum, six operations, any order of sizes)."""
    hi = s + t
    back = hi - s
    return hi, (s - (hi - back)) + (t - back)


class Block(NamedTuple):
    """One block of columns as a pass sees it."""

    cost: jax.Array  # (n, bs) the computed costs c~
    reduced: jax.Array  # (n, bs) R = c - f - g
    b: jax.Array  # (bs,)
    logb: jax.Array  # (bs,)
    ys: jax.Array  # (bs, d)


def scan_blocks(
    geo: Geometry,
    metric: str,
    reduced: jax.Array | None,
    pot: Potentials,
    fn: Any,
    carry: Any,
    *per_block: Any,
) -> Any:
    """``lax.scan`` of ``fn(carry, block, *per_block)`` over the column blocks.

    With the matrix kept, ``reduced`` is the absorbed matrix and :math:`R = (R_0 - f_{hi}) -
    g_{hi}`; by blocks, :math:`R = (c - s) - (e + f_{lo} + g_{lo})` with :math:`s + e = f_{hi} +
    g_{hi}` exactly (the subtraction ``c - s`` is exact where :math:`R` is small, by Sterbenz's
    lemma).
    """
    _, nb, bs = geo.shape

    def body(c: Any, xs: Any) -> Any:
        ys, b, logb, cost, red, gh, gl, *rest = xs
        costs = device_costs(geo.xs, ys, metric) if cost is None else cost
        if red is not None:
            r = (red - pot.f_hi[:, None]) - gh[None, :]
        else:
            s, e = two_sum(pot.f_hi[:, None], gh[None, :])
            r = (costs - s) - (e + (pot.f_lo[:, None] + gl[None, :]))
        return fn(c, Block(costs, r, b, logb, ys), *rest)

    xs = (
        geo.ys, geo.b, geo.logb, geo.cost, reduced, pot.g_hi.reshape(nb, bs),
        pot.g_lo.reshape(nb, bs), *per_block,
    )  # fmt: skip
    if nb > 1:
        return lax.scan(body, carry, xs)
    # One block (the matrix kept): no loop, so that no block is sliced out of a carried array.
    carry, out = body(carry, jax.tree_util.tree_map(lambda t: t[0], xs))
    return carry, jax.tree_util.tree_map(lambda t: t[None], out)
