r"""The k-th nearest point's search of :mod:`.search`, for draws held by a device, run there.

The XLA engine of :func:`~.search.kth_neighbours` reads float32 candidates off one matrix
product a block of queries at a time, certifies each row's choice against float32's rounding,
and recomputes the candidates' distances in float64 from their differences. On the host those
last steps need the draws in host memory. Here every step runs on the device that holds the
draws, in one XLA program per stage, with x64 on inside it only:

1. the points centred on their float64 mean and scaled by a power of two (fused with their cast
   to float32: no float64 copy of the sample is kept);
2. :func:`candidate_indices`, the engine's own candidates (the host's engine calls it too);
3. each candidate's float64 distance from the differences of the float64 values of the draws,
   a block of queries at a time (the candidates' rows gathered per block), its ``k``-th
   smallest, and the certificate of :func:`~.search.kth_neighbours`'s docstring;
4. the rows left uncertified (ties within float32's bound: a lattice has them) searched again
   over every point in float64 differences, a few rows and a block of points at a time.

Only the ``n`` distances and indices, and the number of rows searched again, come back. The
values are the host's to rounding: the same candidates, and distances summed in another order.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.scaling import scale_exponent

__all__ = ["candidate_indices", "kth_neighbours_on_device"]

#: Bytes of float64 differences one block of the recomputation holds (queries x candidates x d).
DIFFERENCE_BYTES = 1 << 27

#: Rows of an uncertified row's exact search at a time, and points a step.
REDO_ROWS, REDO_POINTS = 64, 256


@partial(jax.jit, static_argnames=("width",))
def candidate_indices(
    points: jax.Array, query_blocks: jax.Array, own: jax.Array, width: int
) -> tuple[jax.Array, jax.Array]:
    r"""The ``width`` best-scored points for each query, a block of queries at a time.

    Scores :math:`2 a \cdot b - |b|^2` (the squared distance's order, reversed, less
    :math:`|a|^2`) in the inputs' dtype; the point whose index equals ``own`` (the query itself;
    ``-1`` for none) is left out. Only ``top_k``'s indices are used: XLA's CPU TopK call is then
    kept (with its values used too, the rewrite falls back to sorting whole rows).

    Args:
      points: ``(m, d)``.
      query_blocks: ``(blocks, block, d)``.
      own: ``(blocks, block)`` int32, each query's own index in ``points`` or ``-1``.
      width: how many candidates a query keeps (at most the number it may choose from).

    Returns:
      int32 ``(blocks, block, width)`` candidates and ``(blocks, block)``: each row's lowest
      score among its candidates (every point left out scores at most that).
    """
    sq_points = jnp.sum(points * points, axis=1)
    columns = jnp.arange(points.shape[0], dtype=own.dtype)

    def one_block(args: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        qb, ob = args
        # Float32's full precision: a GPU's default (TF32) rounds the factors to 10 bits, far
        # outside the certificate's bound.
        product = jnp.matmul(qb, points.T, precision=jax.lax.Precision.HIGHEST)
        score = 2.0 * product - sq_points[None, :]
        score = jnp.where(columns[None, :] == ob[:, None], -jnp.inf, score)
        idx = jax.lax.top_k(score, width)[1]
        return idx, jnp.min(jnp.take_along_axis(score, idx, axis=1), axis=1)

    return jax.lax.map(one_block, (query_blocks, own))


def kth_neighbours_on_device(
    points: jax.Array, k: int, queries: jax.Array | None, width: int, block: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``k``-th nearest point of ``points`` to each query, searched where they live.

    ``queries=None``: the points themselves, each leaving itself out. ``width`` candidates a
    query (``k`` plus the spare ones, at most the points it may choose from) and ``block``
    queries a step of the candidates' search, as the host's engine takes them. Returns float64
    distances, int64 indices (as :func:`~.search.kth_neighbours`) and the number of rows whose
    choice was not certified and that were searched again exactly.
    """
    same = queries is None
    qs = points if same else queries
    m, d = points.shape
    n = qs.shape[0]
    blocks = math.ceil(n / block)
    with jax.enable_x64(True):
        p32, q32, norm_q, top, scale = _centred(points, qs, blocks * block)
        own = np.full(blocks * block, -1, dtype=np.int32)
        if same:
            own[:n] = np.arange(n, dtype=np.int32)
        idx, last = candidate_indices(
            p32, q32.reshape(blocks, block, d), jnp.asarray(own.reshape(blocks, block)), width
        )
        idx = idx.reshape(blocks * block, width)[:n]
        last = last.reshape(-1)[:n].astype(jnp.float64)
        step = max(1, min(n, DIFFERENCE_BYTES // (8 * width * d)))
        dist, index, sure = _exact_kth(points, qs, idx, last, norm_q, top, scale, k, step)
        if width == (m - 1 if same else m):
            sure = jnp.ones_like(sure)
        redo = np.flatnonzero(~np.asarray(sure))
        if redo.size:
            dist, index = _searched_again(points, qs, dist, index, redo, k, same)
        return np.asarray(dist, np.float64), np.asarray(index, np.int64), int(redo.size)


@partial(jax.jit, static_argnames="rows")
def _centred(points: jax.Array, qs: jax.Array, rows: int) -> tuple[jax.Array, ...]:
    """The float32 points and padded queries, centred and scaled; the queries' norms; the top.

    As the host's engine: centred on the points' float64 mean (the expansion's cancellation is
    then relative to the spread), scaled by the power of two that brings the largest centred
    norm near 1 (exact; no float32 overflow). Also returned: the scaled float64 queries' norms,
    the largest scaled norm of a point and the scale, for the certificate.
    """
    p = points.astype(jnp.float64)
    centre = jnp.mean(p, axis=0)
    top = jnp.sqrt(jnp.max(jnp.sum((p - centre) ** 2, axis=1)))
    scale = jnp.ldexp(1.0, -scale_exponent(top, xp=jnp, clip=False))
    q_c = (qs.astype(jnp.float64) - centre) * scale
    padded = jnp.zeros((rows, qs.shape[1]), jnp.float32)
    padded = padded.at[: qs.shape[0]].set(q_c.astype(jnp.float32))
    p32 = ((p - centre) * scale).astype(jnp.float32)
    return p32, padded, jnp.sqrt(jnp.sum(q_c * q_c, axis=1)), top * scale, scale


@partial(jax.jit, static_argnames=("k", "step"))
def _exact_kth(
    points: jax.Array,
    qs: jax.Array,
    idx: jax.Array,
    last: jax.Array,
    norm_q: jax.Array,
    top: jax.Array,
    scale: jax.Array,
    k: int,
    step: int,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Each query's k-th smallest float64 candidate distance, its point, and whether it is sure.

    The certificate is the host's (:func:`~.search.kth_neighbours`): every point left out has
    a float32 score at most ``last``, so an exact one at most ``last + slack``, so a scaled
    squared distance at least ``|a|^2 - last - slack``; a row is sure where its k-th distance,
    scaled, lies below that.
    """
    n, width = idx.shape
    d = points.shape[1]
    pad = -n % step
    idx_b = jnp.pad(idx, ((0, pad), (0, 0))).reshape(-1, step, width)
    q_b = jnp.pad(qs, ((0, pad), (0, 0))).reshape(-1, step, d)

    def one(args: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        ib, qb = args
        diff = points[ib].astype(jnp.float64) - qb[:, None, :].astype(jnp.float64)
        dist = jnp.sqrt(jnp.sum(diff * diff, axis=2))
        kth = jnp.argsort(dist, axis=1, stable=True)[:, k - 1]
        rows = jnp.arange(ib.shape[0])
        return dist[rows, kth], ib[rows, kth]

    dist, index = jax.lax.map(one, (idx_b, q_b))
    dist, index = dist.reshape(-1)[:n], index.reshape(-1)[:n]
    slack = 4.0 * (d + 8) * 2.0**-24 * (2.0 * norm_q * top + top**2) + d * 2.0**-120
    floor = norm_q**2 - last - slack
    return dist, index, (dist * scale) ** 2 * (1.0 + 1e-12) <= floor


def _searched_again(
    points: jax.Array,
    qs: jax.Array,
    dist: jax.Array,
    index: jax.Array,
    redo: np.ndarray,
    k: int,
    same: bool,
) -> tuple[jax.Array, jax.Array]:
    """The rows ``redo`` searched over every point, in float64 differences, where they live."""
    rows = np.concatenate([redo, np.full(-redo.size % REDO_ROWS, redo[0])])
    for start in range(0, rows.size, REDO_ROWS):
        part = jnp.asarray(rows[start : start + REDO_ROWS])
        d_k, i_k = _kth_of_all(points, qs[part], part if same else part * 0 - 1, k)
        dist, index = dist.at[part].set(d_k), index.at[part].set(i_k.astype(index.dtype))
    return dist, index


@partial(jax.jit, static_argnames="k")
def _kth_of_all(
    points: jax.Array, queries: jax.Array, own: jax.Array, k: int
) -> tuple[jax.Array, jax.Array]:
    """Each query's k-th smallest float64 distance to every point (``own``: itself, left out)."""
    m, d = points.shape
    pad = -m % REDO_POINTS
    chunks = jnp.pad(points, ((0, pad), (0, 0))).reshape(-1, REDO_POINTS, d)
    q = queries.astype(jnp.float64)

    def one(chunk: jax.Array) -> jax.Array:
        diff = q[:, None, :] - chunk[None, :, :].astype(jnp.float64)
        return jnp.sqrt(jnp.sum(diff * diff, axis=2))

    dist = jnp.moveaxis(jax.lax.map(one, chunks), 0, 1).reshape(q.shape[0], -1)
    columns = jnp.arange(dist.shape[1])
    dist = jnp.where((columns[None, :] >= m) | (columns[None, :] == own[:, None]), jnp.inf, dist)
    values, where = jax.lax.top_k(-dist, k)
    return -values[:, k - 1], where[:, k - 1]
