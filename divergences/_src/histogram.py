r"""Pmfs from samples on a common grid: the discretisation behind "JS and KL on a grid"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced
from divergences._src.float16 import narrow_to_half, widen_half
from divergences._src.numerics import order_key

__all__ = ["GridPmf", "grid_pmf"]


class GridPmf(NamedTuple):
    r"""A sample's histogram on a rectangular grid, as a pmf over the grid's cells.

    Attributes:
      pmf: shape ``(cells + 1,)``: the relative frequency of each grid cell, cells in C order
        (the last coordinate varies fastest), then one final cell holding every point outside
        the grid. The cells and the outside cell partition the whole space, so the pmf sums to 1
        and every sample point is counted: no renormalisation over the points that fell inside.
        With ``pseudo_count`` :math:`\alpha > 0`:
        :math:`(c_i + \alpha) / (n + \alpha\,(\text{cells} + 1))`.
      counts: the raw counts :math:`c_i`, same shape as ``pmf`` (floating point, so that
        weighted variants compose).
      shape: the grid's shape, ``(bins_1, ..., bins_d)``: ``pmf[:-1].reshape(shape)`` is the
        histogram as an image.
    """

    pmf: jax.Array
    counts: jax.Array
    shape: tuple[int, ...]


def _check_edges(edges: Any, d: int) -> list[np.ndarray]:
    if isinstance(edges, (list, tuple)) and len(edges) > 0 and np.ndim(edges[0]) == 1:
        per_dim = list(edges)
    else:
        per_dim = [edges] * d
    if len(per_dim) != d:
        raise ValueError(
            f"edges must give one increasing sequence per sample dimension: the samples have "
            f"{d} dimension(s), edges has {len(per_dim)}"
        )
    out = []
    for i, e in enumerate(per_dim):
        if is_traced(e):
            raise ValueError("edges must be concrete (the grid fixes the pmf's shape), not traced")
        a = np.asarray(e, dtype=np.float64)
        if a.ndim != 1 or a.shape[0] < 2:
            raise ValueError(
                f"edges[{i}] must be a 1-D sequence of at least 2 edges, got {a.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise ValueError(f"edges[{i}] contains NaN or inf; grid edges must be finite")
        if not np.all(np.diff(a) > 0):
            raise ValueError(f"edges[{i}] must be strictly increasing")
        out.append(a)
    return out


def _key(x: jax.Array) -> jax.Array:
    """:func:`order_key` with ``-0.0`` and ``+0.0`` one key, as they are one float."""
    key = order_key(x)
    return jnp.where(key == -1, 0, key)  # -1 is the key of -0.0 alone


@jax.jit
def _binned(x: jax.Array, grid: tuple[jax.Array, ...], pseudo_count: Any) -> tuple[Any, Any]:
    """The pmf and counts of the points ``x`` on the cells of ``grid``, plus the outside cell."""
    n = x.shape[0]
    shape = tuple(e.shape[0] - 1 for e in grid)
    inside = jnp.ones((n,), dtype=bool)
    flat = jnp.zeros((n,), dtype=jnp.int32)
    for k, e in enumerate(grid):
        # Compared as order keys, exactly: XLA's CPU code may take a subnormal coordinate for 0
        # (on some instruction sets), which would move -2e-311 into the cell above an edge at 0.
        # The key of -0.0 is set to that of +0.0, equal as floats.
        ek = _key(e)
        col = _key(x[:, k])
        # side="right" puts a point on an inner edge into the cell above it; the last cell also
        # takes its upper edge, as numpy.histogramdd does.
        idx = jnp.searchsorted(ek, col, side="right") - 1
        idx = jnp.where(col == ek[-1], shape[k] - 1, idx)
        inside = inside & (col >= ek[0]) & (col <= ek[-1])
        flat = flat * shape[k] + jnp.clip(idx, 0, shape[k] - 1)
    cells = int(np.prod(shape))
    flat = jnp.where(inside, flat, cells)
    counts = jnp.zeros((cells + 1,), dtype=x.dtype).at[flat].add(1.0)
    alpha = jnp.asarray(pseudo_count, dtype=x.dtype)
    return (counts + alpha) / (n + alpha * (cells + 1)), counts


def grid_pmf(
    samples: Any,
    edges: Sequence[Any] | Any,
    *,
    pseudo_count: float = 0.0,
) -> GridPmf:
    r"""The pmf of a sample on a rectangular grid, with an explicit pseudo-count.

    Bins ``samples`` into the grid's cells (half-open :math:`[e_k, e_{k+1})`, the last closed, as
    in :func:`numpy.histogramdd`) plus one cell for everything outside, and returns

    .. math::
       \hat p_i = \frac{c_i + \alpha}{n + \alpha\,(\text{cells} + 1)}.

    Conventions: with the default :math:`\alpha = 0` a cell nobody hits has mass exactly 0 (so
    ``dv.kl`` between two histograms may be ``inf``); no smoothing is applied unless asked for.
    Jittable; the edges must be concrete. See the conventions page of the docs for more. The pmf
    is the sample's own (its empirical measure binned), not the law behind it: divergences
    between laws from their samples, with intervals, are :mod:`divergences.estimate`'s.

    Args:
      samples: points, shape ``(n, d)``, or ``(n,)`` for points on the line; finite.
      edges: one strictly increasing 1-D sequence used for every dimension, or ``d`` of them.
      pseudo_count: :math:`\alpha \ge 0`, added to every cell's count, the outside one included.

    Returns:
      A :class:`GridPmf` ``(pmf, counts, shape)``.

    Raises:
      ValueError: for samples that are empty, not finite or of the wrong rank, edges that are not
        strictly increasing or do not match the dimension, or a negative or non-finite
        pseudo-count (the message names the argument).

    References:
      Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, Sec. 2.8 (data
      processing); Krichevsky & Trofimov, *The performance of universal encoding*, IEEE Trans.
      Inf. Theory 27(2), 1981 (the 1/2 pseudo-count).

    Example:
      >>> import divergences as dv
      >>> h = dv.grid_pmf([[0.1, 0.1], [0.9, 0.9], [0.9, 0.8], [5.0, 5.0]], [0.0, 0.5, 1.0])
      >>> h.pmf.tolist()
      [0.25, 0.0, 0.0, 0.5, 0.25]
      >>> dv.grid_pmf([0.2, 0.7], [0.0, 0.5, 1.0], pseudo_count=1.0).pmf.tolist()
      [0.4, 0.4, 0.2]
    """
    if isinstance(pseudo_count, bool) or not isinstance(pseudo_count, (int, float, np.number)):
        raise ValueError(f"pseudo_count must be a number >= 0, got {pseudo_count!r}")
    if not (np.isfinite(pseudo_count) and pseudo_count >= 0):
        raise ValueError(f"pseudo_count must be finite and >= 0, got {pseudo_count!r}")
    # Concrete samples are binned by one compiled program, without a JAX operation of their own.
    x = jnp.asarray(samples) if is_traced(samples) else np.asarray(samples)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    x = x.astype(jax.dtypes.canonicalize_dtype(x.dtype))
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n,) or (n, d), got {x.shape}")
    n, d = x.shape
    if n == 0 or d == 0:
        raise ValueError(f"samples is empty (shape {x.shape}); it needs at least one point")
    if not is_traced(x) and not np.all(np.isfinite(x)):
        raise ValueError("samples contains NaN or inf; sample points must be finite")
    grid = [e.astype(x.dtype) for e in _check_edges(edges, d)]
    shape = tuple(len(e) - 1 for e in grid)
    half = x.dtype == np.float16
    if half:  # binned in float32 (exact for float16 points and edges), XLA needing no F16C
        x = widen_half(x) if is_traced(x) else x.astype(np.float32)
        grid = [e.astype(np.float32) for e in grid]
    pmf, counts = _binned(x, tuple(grid), pseudo_count)
    if half:
        pmf, counts = narrow_to_half(pmf), narrow_to_half(counts)
    return GridPmf(pmf=pmf, counts=counts, shape=shape)
