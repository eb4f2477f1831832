r"""The distance from each query point to its k-th nearest point of a sample (Euclidean).

One function, :func:`kth_neighbour_distances`, with two engines behind it:

* ``"tree"``: SciPy's ``cKDTree`` queried on every core (``workers=-1``), exact in float64.
  A k-d tree prunes well in low dimension and degrades towards a brute force above it.
* ``"xla"``: a blocked brute force in XLA (:func:`candidate_indices`, jitted): a fixed block of
  queries at a time, so that no ``n x m`` matrix is held; scores of the block by the expansion
  :math:`|a|^2 + |b|^2 - 2 a \cdot b` (one matrix product, the points centred first so that the
  cancellation is relative to the sample's spread, not its offset), ``jax.lax.top_k`` on the
  block for the ``k + 4`` best candidates; then each candidate's distance is recomputed on the
  host in float64 from the differences :math:`\|a - b\|`, so that near points keep their
  relative accuracy (the expansion alone loses it), and the k-th smallest is returned. The
  search runs in float64 when ``jax_enable_x64`` is on, else in float32. In float64, ``top_k``
  ranks the scores rounded to float32 (XLA's CPU top-k sorts whole rows in float64, about 100
  times slower) and a row is kept only where the float64 scores certify that its ``k`` nearest
  are among the candidates; the rare other rows are searched exactly on the host. In float32 the
  coordinates are rounded to 24 bits for the *choice* of candidates: the chosen set can differ
  from the exact one where squared distances tie to about ``1e-7`` of the sample's squared
  spread (the four extra candidates absorb most such ties). The returned distances are float64
  from the original coordinates either way.

``"auto"`` takes the tree up to dimension :data:`TREE_MAX_DIMENSION` and XLA above it. The
crossover was measured on a shared 2-core machine under heavy load (a load average of 8 to 9, so
every time is several times an idle one's): at ``n = m = 10^4``, ``k = 5``, one search of the
sample in itself and one in another sample took, tree / XLA (float64), 0.09 / 3.8 s at
``d = 2``, 1.7 / 4.0 s at ``d = 8``, 4.0 / 4.1 s at ``d = 10``, 6.6 / 2.9 s at ``d = 12`` and
12.8 / 2.7 s at ``d = 16``; the two engines gave the same distances to 1e-15.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial import cKDTree

__all__ = ["TREE_MAX_DIMENSION", "candidate_indices", "kth_neighbour_distances"]

#: The largest dimension ``"auto"`` sends to the k-d tree (measured; see the module docstring).
TREE_MAX_DIMENSION = 10

#: Candidates searched beyond ``k`` by the XLA engine, whose distances are then recomputed.
EXTRA_CANDIDATES = 4

#: Bytes of one block of squared distances held by the XLA engine (``block x m`` numbers).
BLOCK_BYTES = 1 << 24

Engine = Literal["auto", "tree", "xla"]


def kth_neighbour_distances(
    points: np.ndarray,
    k: int,
    queries: np.ndarray | None = None,
    *,
    engine: Engine = "auto",
) -> np.ndarray:
    r"""Distance from each query to its ``k``-th nearest point of ``points``, in float64.

    With ``queries=None`` the queries are the points themselves and each point's own entry is
    left out (its ``k``-th nearest *other* point, a duplicate counting as another point at
    distance 0); otherwise every point counts.

    Args:
      points: float64 array ``(m, d)``.
      k: the neighbour's rank, ``1 <= k <= m`` (``<= m - 1`` with ``queries=None``).
      queries: float64 array ``(n, d)``, or ``None`` for the points themselves.
      engine: ``"tree"``, ``"xla"`` or ``"auto"`` (the tree up to ``TREE_MAX_DIMENSION``).

    Returns:
      float64 array ``(n,)`` of Euclidean distances.
    """
    same = queries is None
    qs = points if queries is None else queries
    rank = k + 1 if same else k
    if rank > points.shape[0]:
        raise ValueError(f"k must be below the number of points to search, got k={k}")
    if engine == "auto":
        engine = "tree" if points.shape[1] <= TREE_MAX_DIMENSION else "xla"
    if engine == "tree":
        # With the points as queries the nearest is the query itself (or a duplicate, at the same
        # distance 0), so the (k+1)-th distance is the k-th to another point.
        dist, _ = cKDTree(points).query(qs, k=[rank], workers=-1)
        return np.asarray(dist[:, 0], dtype=np.float64)
    if engine != "xla":
        raise ValueError(f"engine must be 'auto', 'tree' or 'xla', got {engine!r}")
    return _xla_distances(points, qs, k, same)


def _xla_distances(points: np.ndarray, qs: np.ndarray, k: int, same: bool) -> np.ndarray:
    m, d = points.shape
    n = qs.shape[0]
    width = min(k + EXTRA_CANDIDATES, m - 1 if same else m)
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    block = max(1, min(n, BLOCK_BYTES // (np.dtype(dtype).itemsize * m)))
    blocks = math.ceil(n / block)
    centre = points.mean(axis=0)  # the expansion's cancellation scales with the norms: centre them
    padded = np.zeros((blocks * block, d))
    padded[:n] = qs - centre
    own = np.full(blocks * block, -1, dtype=np.int32)
    if same:
        own[:n] = np.arange(n, dtype=np.int32)
    idx, sure = candidate_indices(
        jnp.asarray(points - centre, dtype=dtype),
        jnp.asarray(padded.reshape(blocks, block, d), dtype=dtype),
        jnp.asarray(own.reshape(blocks, block)),
        k,
        width,
    )
    idx = np.asarray(idx).reshape(blocks * block, width)[:n]
    dist = _exact_kth(points, qs, idx, k)
    for i in np.flatnonzero(~np.asarray(sure).reshape(-1)[:n]):  # uncertified rows: every point
        row = np.sqrt(np.einsum("ij,ij->i", points - qs[i], points - qs[i]))
        if same:
            row[i] = np.inf
        dist[i] = np.partition(row, k - 1)[k - 1]
    return dist


def _exact_kth(points: np.ndarray, qs: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The k-th smallest float64 distance from each query to its candidates, from differences."""
    n, width = idx.shape
    dist = np.empty((n, width))
    step = max(1, (1 << 22) // max(1, width * points.shape[1]))
    for start in range(0, n, step):
        stop = min(n, start + step)
        diff = points[idx[start:stop]] - qs[start:stop, None, :]
        dist[start:stop] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    dist.sort(axis=1)
    return dist[:, k - 1]


@functools.partial(jax.jit, static_argnames=("k", "width"))
def candidate_indices(
    points: jax.Array, query_blocks: jax.Array, own: jax.Array, k: int, width: int
) -> tuple[jax.Array, jax.Array]:
    r"""The ``width`` nearest points to each query, a block of queries at a time, and a check.

    Scores :math:`2 a \cdot b - |b|^2` (the squared distance's order, reversed) in the inputs'
    dtype; the point whose index equals ``own`` (the query itself; ``-1`` for none) is left out.
    ``jax.lax.top_k`` runs on the scores rounded to float32 (XLA's CPU top-k is a full sort in
    float64, about 100 times slower), and a row is ``sure`` where its ``k`` best candidates by
    the scores in the inputs' dtype beat every point left out by more than that rounding: those
    ``k`` points are then the ``k`` best by the scores of the inputs' dtype.

    Args:
      points: ``(m, d)``, centred.
      query_blocks: ``(blocks, block, d)``, centred alike.
      own: ``(blocks, block)`` int32, each query's own index in ``points`` or ``-1``.
      k: the rank wanted.
      width: how many candidates a query keeps, ``k <= width`` (at most those it may choose).

    Returns:
      int32 ``(blocks, block, width)`` candidates and bool ``(blocks, block)``: certified rows.
    """
    sq_points = jnp.sum(points * points, axis=1)
    columns = jnp.arange(points.shape[0], dtype=own.dtype)

    def one_block(args: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        qb, ob = args
        score = 2.0 * (qb @ points.T) - sq_points[None, :]
        score = jnp.where(columns[None, :] == ob[:, None], -jnp.inf, score)
        rounded = score.astype(jnp.float32)
        # Only the indices of top_k are used: XLA's CPU TopK call is then kept (with the values
        # used too, the rewrite falls back to a full sort of the row).
        idx = jax.lax.top_k(rounded, width)[1]
        last = jnp.min(jnp.take_along_axis(rounded, idx, axis=1), axis=1)
        exact = jnp.sort(jnp.take_along_axis(score, idx, axis=1), axis=1)
        # Every left-out score is at most the last picked rounded one, plus its rounding error.
        slack = jnp.max(jnp.abs(jnp.where(jnp.isfinite(score), score, 0.0)), axis=1) * 2.0**-22
        bound = last.astype(score.dtype) + slack
        everything = width >= score.shape[1] - (ob >= 0).astype(jnp.int32)
        sure = ((exact[:, width - k] > bound) & jnp.isfinite(bound)) | everything
        return idx, sure

    return jax.lax.map(one_block, (query_blocks, own))
