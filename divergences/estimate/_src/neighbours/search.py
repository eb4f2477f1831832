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

Draws held by one accelerator (:class:`jax.Array`\ s on a GPU or TPU) are searched there by
the XLA engine, every step above included (:mod:`.device_search`): only the distances, the
indices, the counts and the pairs to decide come back. ``"auto"`` takes the tree up to
dimension :data:`TREE_MAX_DIMENSION` and XLA above it. Both
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

import itertools
import math
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from divergences._src.scaling import scale_exponent
from divergences.estimate._src.neighbours.device_search import (
    UNDECIDED_KEPT,
    add_decided,
    ball_blocks,
    ball_counts_on_device,
    candidate_indices,
    kth_neighbours_on_device,
)
from divergences.estimate._src.samples import devices_of, on_accelerator, where_words

__all__ = [
    "TREE_MAX_DIMENSION",
    "BallCounts",
    "ball_counts",
    "candidate_indices",
    "distance_shift",
    "kth_neighbour_distances",
    "kth_neighbours",
    "searched_where",
]

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

#: Draws: a NumPy array on the host, or a :class:`jax.Array` searched where it lives.
Draws = np.ndarray | jax.Array

#: The relative room :func:`ball_counts` gives a radius: a point within it of the sphere is inside.
RADIUS_ROOM = 2.0**-40


def kth_neighbour_distances(
    points: Draws,
    k: int,
    queries: Draws | None = None,
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
    return kth_neighbours(points, k, queries, engine=engine)[0]


def kth_neighbours(
    points: Draws,
    k: int,
    queries: Draws | None = None,
    *,
    engine: Engine = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    r"""The ``k``-th nearest point of ``points`` to each query: its distance and its index.

    :func:`kth_neighbour_distances`'s search (same arguments, same distances), with the row of
    ``points`` at that distance beside each distance; among points tied at the ``k``-th
    distance, any one of them.

    Returns:
      float64 ``(n,)`` distances and int64 ``(n,)`` indices into ``points``.
    """
    same = queries is None
    qs = points if queries is None else queries
    rank = k + 1 if same else k
    if rank > points.shape[0]:
        raise ValueError(f"k must be below the number of points to search, got k={k}")
    if isinstance(points, jax.Array) or isinstance(qs, jax.Array):
        return _held_by_a_device(points, k, queries, engine)
    # Both engines sum squared differences: a coordinate beyond 2^511 (a draw at 1e300) would
    # overflow them, and the tree then read every distance as 0. Scaled by a power of two
    # (exact), the distances scaled back the same way.
    shift = distance_shift(points, qs)
    if shift:
        scaled, index = kth_neighbours(
            np.ldexp(points, -shift), k, None if same else np.ldexp(qs, -shift), engine=engine
        )
        return np.ldexp(scaled, shift), index
    if engine == "auto":
        engine = "tree" if points.shape[1] <= TREE_MAX_DIMENSION else "xla"
    if engine == "tree":
        # With the points as queries the nearest is the query itself (or a duplicate, at the same
        # distance 0), so the (k+1)-th distance is the k-th to another point.
        dist, idx = cKDTree(points).query(qs, k=[rank], workers=-1)
        return np.asarray(dist[:, 0], dtype=np.float64), np.asarray(idx[:, 0], dtype=np.int64)
    if engine != "xla":
        raise ValueError(f"engine must be 'auto', 'tree' or 'xla', got {engine!r}")
    return _xla_distances(points, qs, k, same)


#: The largest coordinate's exponent :func:`distance_shift` leaves: its square, times any
#: dimension below 2^16, stays below float64's largest number, and distances down to
#: ``2^-500`` of it keep normal squares.
LARGEST_EXPONENT = 500


def distance_shift(*points: Draws) -> int:
    r"""The power of two ``e`` that brings draws' squared distances into float64's range.

    With ``max |coordinate|`` in ``[2^(t-1), 2^t)``: ``e = t - 500`` above ``2^500``, ``e = t``
    below ``2^-500``, ``0`` between. The draws times ``2^-e`` (exact) then have squared
    differences that neither overflow (a draw at 1e300 beside draws near 1) nor underflow (a
    sample of spread 1e-300), and the distances between them keep their relative accuracy for
    every pair at least ``2^-500`` times the largest coordinate apart; scaling into ``(-1, 1)``
    would instead flush the squared distances of draws near 1 beside one at 1e300 to 0.
    """
    if any(isinstance(p, jax.Array) for p in points):  # read where they live
        with jax.enable_x64(True):
            top = int(_top_exponent(tuple(jnp.asarray(p) for p in points)))
    else:
        top = scale_exponent(*points, clip=False)
    if top > LARGEST_EXPONENT:
        return int(top - LARGEST_EXPONENT)
    return int(top) if top < -LARGEST_EXPONENT else 0


@jax.jit
def _top_exponent(points: tuple[jax.Array, ...]) -> jax.Array:
    """:func:`scale_exponent` of draws held by a device, read there (one dtype: the widest)."""
    kinds = {p.dtype for p in points}
    if len(kinds) > 1 or not kinds <= {jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)}:
        points = tuple(p.astype(jnp.float64) for p in points)  # integers, bfloat16: exact
    return scale_exponent(*points, xp=jnp, clip=False)


def searched_where(samples: tuple[Any, ...], engine: Engine = "auto") -> str:
    """``"; searched on cuda:0"`` where the XLA engine runs on the draws' accelerator; else ``""``.

    Up to :data:`TREE_MAX_DIMENSION` (``"auto"``) or with ``"tree"`` the k-d tree is the host's.
    """
    if engine == "auto":
        engine = "tree" if samples[0].shape[1] <= TREE_MAX_DIMENSION else "xla"
    if engine != "xla" or not _one_accelerator(*samples):
        return ""
    return f"; searched on {where_words(devices_of(samples[0]))}"


def _one_accelerator(*draws: Any) -> bool:
    """Whether every one of ``draws`` is held by one and the same accelerator."""
    where = {devices_of(z) for z in draws if on_accelerator(z)}
    return len(where) == 1 and all(on_accelerator(z) for z in draws)


def _held_by_a_device(
    points: Draws, k: int, queries: Draws | None, engine: Engine
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`kth_neighbours` of draws held by one accelerator: the XLA engine runs there.

    The k-d tree is the host's, so ``"tree"`` (``"auto"`` up to :data:`TREE_MAX_DIMENSION`)
    reads the draws there, as do draws on a CPU or on two devices.
    """
    same = queries is None
    qs = points if queries is None else queries
    if engine == "auto":
        engine = "tree" if points.shape[1] <= TREE_MAX_DIMENSION else "xla"
    if engine != "xla" or not _one_accelerator(points, qs):
        host = (np.asarray(z, np.float64) for z in (points, qs))
        p, q = next(host), next(host)
        return kth_neighbours(p, k, None if same else q, engine=engine)
    shift = distance_shift(points, qs)
    if shift:  # scaled by 2^-shift in float64 where they live (exact)
        with jax.enable_x64(True):
            wide = [jnp.ldexp(z.astype(jnp.float64), -shift) for z in (points, qs)]
        scaled, index = _held_by_a_device(wide[0], k, None if same else wide[1], engine)
        return np.ldexp(scaled, shift), index
    m, n = points.shape[0], qs.shape[0]
    width = min(k + EXTRA_CANDIDATES, m - 1 if same else m)
    on = jnp.asarray(points), None if queries is None else jnp.asarray(queries)
    dist, index, _ = kth_neighbours_on_device(on[0], k, on[1], width, block_rows(n, m))
    return dist, index


def _xla_distances(
    points: np.ndarray, qs: np.ndarray, k: int, same: bool
) -> tuple[np.ndarray, np.ndarray]:
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
    dist, index = _exact_kth(points, qs, idx, k)
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
        index[rows] = np.argpartition(full, k - 1, axis=1)[:, k - 1]
        dist[rows] = full[np.arange(rows.size), index[rows]]
    return dist, index


def block_rows(n: int, m: int) -> int:
    """Queries in one block of the XLA engine: a block's bytes of float32 scores, ``m`` a row."""
    size = BLOCK_BYTES if jax.default_backend() == "cpu" else ACCELERATOR_BLOCK_BYTES
    return max(1, min(n, size // (4 * m)))


def _exact_kth(
    points: np.ndarray, qs: np.ndarray, idx: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k-th smallest float64 distance from each query to its candidates, and its point."""
    n, width = idx.shape
    dist = np.empty((n, width))
    step = max(1, (1 << 20) // max(1, width * points.shape[1]))
    for start in range(0, n, step):
        stop = min(n, start + step)
        diff = points[idx[start:stop]] - qs[start:stop, None, :]
        dist[start:stop] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    kth = np.argsort(dist, axis=1, kind="stable")[:, k - 1]
    rows = np.arange(n)
    return dist[rows, kth], idx[rows, kth].astype(np.int64)


class BallCounts(NamedTuple):
    r"""Which draws lie in which k-NN balls, between a sample ``x`` and a sample ``y``.

    With :math:`B_i = \bar B(x_i, r_i)` and :math:`C_j = \bar B(y_j, s_j)` closed balls (a point at
    distance exactly the radius is inside, so a ball of radius 0 holds its own duplicates):

    Attributes:
      in_x_balls: int ``(m,)``, :math:`\#\{i : y_j \in B_i\}`.
      y_in_ball: int ``(n,)``, :math:`\#\{j : y_j \in B_i\}`.
      sole: int ``(n,)``, where ``y_in_ball[i] == 1`` the one ``j`` with :math:`y_j \in B_i`
        (meaningless elsewhere).
      in_y_balls: bool ``(n,)``, whether :math:`x_i \in \bigcup_j C_j`.
    """

    in_x_balls: np.ndarray
    y_in_ball: np.ndarray
    sole: np.ndarray
    in_y_balls: np.ndarray


def ball_counts(
    xs: Draws, r: np.ndarray, ys: Draws, s: np.ndarray, *, engine: Engine = "auto"
) -> BallCounts:
    r"""Every membership of a draw of one sample in a closed ball around a draw of the other.

    One pass over the pairs ``(x_i, y_j)``: the k-d trees' ball queries (``"tree"``: SciPy's
    ``query_ball_point`` with a radius per centre, exact in float64), or a blocked brute force in
    XLA (``"xla"``, :func:`~.device_search.ball_blocks`): squared distances by the expansion in float32 on centred
    points scaled by a power of two, each pair decided where its squared distance lies beyond a
    bound on float32's rounding from the squared radius (the bound of
    :func:`kth_neighbour_distances`), and the undecided pairs (ties, duplicates across the
    samples against a radius 0, and in high dimension the many pairs whose distances concentrate
    within that bound of a radius) decided again on the host: a row's first
    :data:`UNDECIDED_KEPT` from float64 differences, a row with more by float64 products (BLAS)
    under float64's bound, its pairs within that from differences. Both engines return the
    same counts.

    Args:
      xs: float64 ``(n, d)``, the centres of the balls ``B_i``.
      r: float64 ``(n,)``, their radii (each taken ``1 + RADIUS_ROOM`` times larger: a point
        within rounding of the sphere is inside).
      ys: float64 ``(m, d)``, the centres of the balls ``C_j``.
      s: float64 ``(m,)``, their radii (as ``r``).
      engine: ``"tree"``, ``"xla"`` or ``"auto"`` (the tree up to ``TREE_MAX_DIMENSION``).
    """
    if engine == "auto":
        engine = "tree" if xs.shape[1] <= TREE_MAX_DIMENSION else "xla"
    if max(xs.shape[0], ys.shape[0]) >= 1 << 24:  # XLA's float32 counts are exact below 2^24
        engine = "tree"
    # A draw within rounding of the radius is inside: a duplicate of the k-th neighbour lies on
    # the sphere, and two float64 formulas of one distance may differ in the last bits.
    r, s = r * (1.0 + RADIUS_ROOM), s * (1.0 + RADIUS_ROOM)
    if isinstance(xs, jax.Array) or isinstance(ys, jax.Array):
        if engine == "xla" and _one_accelerator(xs, ys):  # where the draws live
            block = block_rows(ys.shape[0], xs.shape[0])
            counts = ball_counts_on_device(jnp.asarray(xs), r, jnp.asarray(ys), s, block)
            return BallCounts(*counts)
        xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if engine == "tree":
        return _tree_counts(xs, r, ys, s)
    if engine != "xla":
        raise ValueError(f"engine must be 'auto', 'tree' or 'xla', got {engine!r}")
    return _xla_counts(xs, r, ys, s)


def _from_pairs(i: np.ndarray, j: np.ndarray, n: int, m: int) -> tuple[np.ndarray, ...]:
    """``in_x_balls``, ``y_in_ball`` and ``sole`` from the pairs ``(i, j)``, ``y_j`` in ``B_i``."""
    in_x_balls = np.bincount(j, minlength=m)
    y_in_ball = np.bincount(i, minlength=n)
    sole = np.bincount(i, weights=j, minlength=n).astype(np.int64)
    return in_x_balls, y_in_ball, sole


def _pairs(lists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``(centre, member)`` pairs of ``query_ball_point``'s lists, as two int arrays."""
    sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    centres = np.repeat(np.arange(len(lists)), sizes)
    members = np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(sizes.sum()))
    return centres, members


def _tree_counts(xs: np.ndarray, r: np.ndarray, ys: np.ndarray, s: np.ndarray) -> BallCounts:
    n, m = xs.shape[0], ys.shape[0]
    i, j = _pairs(cKDTree(ys).query_ball_point(xs, r, workers=-1))
    in_x_balls, y_in_ball, sole = _from_pairs(i, j, n, m)
    _, members = _pairs(cKDTree(xs).query_ball_point(ys, s, workers=-1))
    in_y_balls = np.zeros(n, dtype=bool)
    in_y_balls[members] = True
    return BallCounts(in_x_balls, y_in_ball, sole, in_y_balls)


def _xla_counts(xs: np.ndarray, r: np.ndarray, ys: np.ndarray, s: np.ndarray) -> BallCounts:
    n, d = xs.shape
    m = ys.shape[0]
    centre = np.concatenate([xs, ys]).mean(axis=0)
    x_c, y_c = xs - centre, ys - centre
    top = float(np.sqrt(max(np.einsum("ij,ij->i", a, a).max() for a in (x_c, y_c))))
    scale = math.ldexp(1.0, -scale_exponent(np.float64(top), clip=False))
    x_c, y_c, top = x_c * scale, y_c * scale, top * scale
    block = block_rows(m, n)
    blocks = math.ceil(m / block)
    padded = np.zeros((blocks * block, d), dtype=np.float32)
    padded[:m] = y_c
    s2 = np.full(blocks * block, -1.0, dtype=np.float32)  # padding rows hold no ball, no member
    s2[:m] = (s * scale) ** 2
    norm_y = np.zeros(blocks * block)
    norm_y[:m] = np.sqrt(np.einsum("ij,ij->i", y_c, y_c))
    # The float32 squared distance and squared radius are each within this of the exact ones
    # (|r|, |s| <= 2 top): the bound of the k-NN search, with room for the radii's rounding.
    slack = (4.0 * (d + 10) * 2.0**-24 * (norm_y + top) ** 2 + d * 2.0**-120).astype(np.float32)
    rows = np.arange(blocks * block, dtype=np.int32)
    out = ball_blocks(
        jnp.asarray(x_c.astype(np.float32)),
        jnp.asarray(((r * scale) ** 2).astype(np.float32)),
        jnp.asarray(padded.reshape(blocks, block, d)),
        jnp.asarray(s2.reshape(blocks, block)),
        jnp.asarray(slack.reshape(blocks, block)),
        jnp.asarray(rows.reshape(blocks, block)),
    )
    in_x_balls, undecided, columns, y_in_ball, index_sum, in_y_hits = (np.asarray(a) for a in out)
    in_x_balls = in_x_balls.reshape(-1)[:m].astype(np.int64)
    undecided = undecided.reshape(-1)[:m].astype(np.int64)
    columns = columns.reshape(-1, columns.shape[-1])[:m]  # UNDECIDED_KEPT, or n where fewer
    y_in_ball, sole = y_in_ball.astype(np.int64), index_sum.astype(np.int64)  # exact integers
    in_y_balls = in_y_hits > 0
    # The undecided pairs of the rows that kept them all: each decided from its differences.
    few = np.flatnonzero((undecided > 0) & (undecided <= UNDECIDED_KEPT))
    jp = np.repeat(few, undecided[few])
    ip = columns[few][np.arange(columns.shape[1])[None, :] < undecided[few, None]]
    add_decided(
        (in_x_balls, y_in_ball, sole, in_y_balls), ip, jp, *_pairs_inside(xs, r, ys, s, ip, jp)
    )
    # The rows with more undecided pairs than kept (none counted in XLA): every pair again, by
    # float64 products.
    redo = np.flatnonzero(undecided > UNDECIDED_KEPT)
    scaled = (x_c, (r * scale) ** 2, y_c, (s * scale) ** 2, norm_y[:m], top)
    for jr in np.array_split(redo, math.ceil(redo.size * n / HOST_BLOCK)) if redo.size else ():
        in_b, in_c = _rows_inside(xs, r, ys, s, jr, scaled)
        in_x_balls[jr] = in_b.sum(axis=1)
        y_in_ball += in_b.sum(axis=0)
        sole += (in_b * jr[:, None]).sum(axis=0)
        in_y_balls |= in_c.any(axis=0)
    return BallCounts(in_x_balls, y_in_ball, sole, in_y_balls)


#: Pairs (or float64 numbers) the host's checks of :func:`ball_counts` hold at a time.
HOST_BLOCK = 1 << 22


def _pairs_inside(
    xs: np.ndarray, r: np.ndarray, ys: np.ndarray, s: np.ndarray, ip: np.ndarray, jp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``ys[jp]`` lies in ``B_ip`` and ``xs[ip]`` in ``C_jp``, from float64 differences."""
    dist = np.empty(ip.size)
    step = max(1, HOST_BLOCK // xs.shape[1])
    for start in range(0, ip.size, step):
        a, b = ip[start : start + step], jp[start : start + step]
        diff = ys[b] - xs[a]
        dist[start : start + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return dist <= r[ip], dist <= s[jp]


def _rows_inside(
    xs: np.ndarray,
    r: np.ndarray,
    ys: np.ndarray,
    s: np.ndarray,
    jr: np.ndarray,
    scaled: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float],
) -> tuple[np.ndarray, np.ndarray]:
    """For the rows ``jr`` of ``ys``: which balls ``B_i`` hold ``y_j``, which ``x_i`` lie in ``C_j``.

    The float32 pass's test again with float64 products (BLAS) on the same centred, scaled
    draws, and its bound with float64's rounding (centring's rounding is relative to the centred
    norms, so within it); the pairs still within the bound (ties) from differences.
    """
    x_c, r2, y_c, s2, norm_y, top = scaled
    d = x_c.shape[1]
    sq_x = np.einsum("ij,ij->i", x_c, x_c)
    sq = sq_x[None, :] + norm_y[jr, None] ** 2 - 2.0 * (y_c[jr] @ x_c.T)
    slack = (4.0 * (d + 10) * 2.0**-53 * (norm_y[jr] + top) ** 2 + d * 2.0**-1000)[:, None]
    to_x, to_y = sq - r2[None, :], sq - s2[jr, None]
    in_b, in_c = to_x < -slack, to_y < -slack
    rows, cols = np.nonzero((np.abs(to_x) <= slack) | (np.abs(to_y) <= slack))
    in_b[rows, cols], in_c[rows, cols] = _pairs_inside(xs, r, ys, s, cols, jr[rows])
    return in_b, in_c
