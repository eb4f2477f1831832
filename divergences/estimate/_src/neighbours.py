r"""The distance from each query point to its k-th nearest point of a sample (Euclidean).

One function, :func:`kth_neighbour_distances`, with two engines behind it:

* ``"tree"``: SciPy's ``cKDTree`` queried on every core (``workers=-1``), exact in float64.
  A k-d tree prunes well in low dimension and degrades towards a brute force above it.
* ``"xla"``: a blocked brute force in XLA (:func:`candidate_indices`, jitted): a fixed block of
  queries at a time, so that no ``n x m`` matrix is held; scores of the block by the expansion
  :math:`|a|^2 + |b|^2 - 2 a \cdot b` (one matrix product, in float32's full precision: a GPU's
  default, TF32, rounds beyond the certificate's bound; on points centred and scaled by a power
  of two, so that the cancellation is relative to the sample's spread and nothing overflows),
  ``jax.lax.top_k`` on the block for the ``k + 4`` best candidates; then each
  candidate's distance is recomputed on the host in float64 from the differences
  :math:`\|a - b\|`, so that near points keep their relative accuracy, and the k-th smallest is
  returned. The search runs in float32 whether or not ``jax_enable_x64`` is on (float64 matrix
  products are slower on a CPU, and XLA's CPU top-k sorts whole float64 rows, far slower), and
  its choice is *certified*: a row is kept where its k-th candidate distance is below every
  left-out point's by more than a bound on float32's rounding
  (``4 (d + 8) 2^-24 (2 |a| max|b| + max|b|^2)``); the other rows, ties within that bound
  (rare for draws of a density; a lattice has them), are searched again exactly in float64 on
  the host. So the distances returned are float64, those of an exact search, under x64 or not.

``"auto"`` takes the tree up to dimension :data:`TREE_MAX_DIMENSION` and XLA above it. Both
engines cost ``O(n m d)`` in the worst case; the tree prunes most of that in low dimension, and
its pruning fades as the dimension grows (about twice the time a dimension near the crossover),
while the brute force's time grows only linearly in ``d``, through its matrix product. Both
return the same distances. The crossover's measurement, engine by engine and dimension by
dimension, is in ``benchmarks/README.md`` ("Estimates from samples";
``python benchmarks/bench_estimate.py engines``). Beside it, ``knn-floor`` times the searches of
:func:`divergences.estimate.kl` against a blocked nearest-point pass over the same blocks (the
floor of their arithmetic): on a CPU the XLA engine's time is its matrix product and top-k, the
host's float64 part about a tenth; a two-stage selection (group maxima first) and other block
sizes measured no faster there (the history beside the README, "The k-NN search beside its
floor").
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from divergences._src.scaling import scale_exponent

__all__ = ["TREE_MAX_DIMENSION", "candidate_indices", "kth_neighbour_distances"]

#: The largest dimension ``"auto"`` sends to the k-d tree (measured; see the module docstring).
TREE_MAX_DIMENSION = 8

#: Candidates searched beyond ``k`` by the XLA engine, whose distances are then recomputed.
EXTRA_CANDIDATES = 4

#: Bytes of one block of float32 scores held by the XLA engine (``block x m`` numbers) on a CPU,
#: where larger blocks measured slower (the cache).
BLOCK_BYTES = 1 << 24

#: The same on an accelerator, where a block is one step of a sequential loop: at ``m = 10^5``
#: the CPU's size would be 41 queries a step, 2,440 steps for one search.
ACCELERATOR_BLOCK_BYTES = 1 << 28

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
    block = block_rows(n, m)
    blocks = math.ceil(n / block)
    # Centred (the expansion's cancellation is then relative to the spread, not the offset) and
    # scaled by a power of two (exact) so that the largest norm is about 1: no float32 overflow.
    centre = points.mean(axis=0)
    p_c = points - centre
    q_c = qs - centre
    top = float(np.sqrt(np.einsum("ij,ij->i", p_c, p_c).max()))
    scale = math.ldexp(1.0, -scale_exponent(np.float64(top), clip=False))
    p_c, q_c = p_c * scale, q_c * scale
    padded = np.zeros((blocks * block, d), dtype=np.float32)
    padded[:n] = q_c
    own = np.full(blocks * block, -1, dtype=np.int32)
    if same:
        own[:n] = np.arange(n, dtype=np.int32)
    idx, last = candidate_indices(
        jnp.asarray(p_c.astype(np.float32)),
        jnp.asarray(padded.reshape(blocks, block, d)),
        jnp.asarray(own.reshape(blocks, block)),
        width,
    )
    idx = np.asarray(idx).reshape(blocks * block, width)[:n]
    last = np.asarray(last, dtype=np.float64).reshape(-1)[:n]
    dist = _exact_kth(points, qs, idx, k)
    # Certificate: every point left out has a float32 score at most `last`, so an exact score
    # at most `last + slack`, so a squared distance (scaled) at least |a|^2 - last - slack.
    norm_q = np.sqrt(np.einsum("ij,ij->i", q_c, q_c))
    top_p = top * scale
    slack = 4.0 * (d + 8) * 2.0**-24 * (2.0 * norm_q * top_p + top_p**2) + d * 2.0**-120
    floor = norm_q**2 - last - slack
    sure = (dist * scale) ** 2 * (1.0 + 1e-12) <= floor
    if width == (m - 1 if same else m):
        sure[:] = True
    redo = np.flatnonzero(~sure)
    for start in range(0, redo.size, 256):  # rows left uncertified: every point, in float64
        rows = redo[start : start + 256]
        full = cdist(qs[rows], points)
        if same:
            full[np.arange(rows.size), rows] = np.inf
        dist[rows] = np.partition(full, k - 1, axis=1)[:, k - 1]
    return dist


def block_rows(n: int, m: int) -> int:
    """Queries in one block of the XLA engine: a block's bytes of float32 scores, ``m`` a row."""
    size = BLOCK_BYTES if jax.default_backend() == "cpu" else ACCELERATOR_BLOCK_BYTES
    return max(1, min(n, size // (4 * m)))


def _exact_kth(points: np.ndarray, qs: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The k-th smallest float64 distance from each query to its candidates, from differences."""
    n, width = idx.shape
    dist = np.empty((n, width))
    step = max(1, (1 << 20) // max(1, width * points.shape[1]))
    for start in range(0, n, step):
        stop = min(n, start + step)
        diff = points[idx[start:stop]] - qs[start:stop, None, :]
        dist[start:stop] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    dist.sort(axis=1)
    return dist[:, k - 1]


@functools.partial(jax.jit, static_argnames=("width",))
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
