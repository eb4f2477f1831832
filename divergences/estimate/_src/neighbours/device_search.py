r"""The XLA engine of :mod:`.search` (k-th neighbours, ball counts) for draws held by a device.

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
:func:`ball_counts_on_device` does the same for :func:`~.search.ball_counts`: the float32 blocks
of :func:`ball_blocks`, then the undecided pairs from float64 differences and the crowded rows
by float64 products, where the draws live; only the counts and the pairs to decide come back.
"""

from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.scaling import scale_exponent

__all__ = [
    "UNDECIDED_KEPT",
    "add_decided",
    "ball_blocks",
    "ball_counts_on_device",
    "candidate_indices",
    "kth_neighbours_on_device",
]

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


#: Undecided pairs a row of :func:`ball_blocks` hands to the host by index; a row with more is
#: recomputed whole.
UNDECIDED_KEPT = 64


@jax.jit
def ball_blocks(
    xs: jax.Array,
    r2: jax.Array,
    y_blocks: jax.Array,
    s2: jax.Array,
    slack: jax.Array,
    rows: jax.Array,
) -> tuple[jax.Array, ...]:
    """The decided memberships, a block of ``y`` rows at a time (see :func:`~.search.ball_counts`).

    A pair is decided where its float32 squared distance lies more than ``slack`` from the
    squared radius of both balls it could lie in. Returns, per row of ``y``: the balls around
    ``xs`` holding it, over its decided pairs; its number of undecided pairs; the first
    :data:`UNDECIDED_KEPT` of their columns (a row with more counts nothing here). Per ball
    around ``xs``, over the decided pairs: the ``y`` in it and the sum of their row indices;
    the balls around ``y`` holding each ``x``.
    """
    sq_x = jnp.sum(xs * xs, axis=1)
    n = xs.shape[0]

    def step(
        carry: tuple[jax.Array, jax.Array, jax.Array], args: tuple[jax.Array, ...]
    ) -> tuple[tuple[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array, jax.Array]]:
        counts, index_sum, hits = carry
        yb, sb, tb, rb = args
        product = jnp.matmul(yb, xs.T, precision=jax.lax.Precision.HIGHEST)
        sq = jnp.sum(yb * yb, axis=1)[:, None] + sq_x[None, :] - 2.0 * product
        t = tb[:, None]
        to_x, to_y = sq - r2[None, :], sq - sb[:, None]
        undecided = ((jnp.abs(to_x) <= t) | (jnp.abs(to_y) <= t)).astype(jnp.float32)
        many = jnp.sum(undecided, axis=1)
        # padding rows have s^2 = -1; a row with too many undecided pairs is redone whole
        row = ((sb >= 0.0) & (many <= UNDECIDED_KEPT))[:, None]
        in_x = ((to_x < -t) & row).astype(jnp.float32) * (1.0 - undecided)
        in_y = ((to_y < -t) & row).astype(jnp.float32) * (1.0 - undecided)
        # the undecided columns first (all of them where there are at most UNDECIDED_KEPT)
        columns = jax.lax.top_k(undecided, min(UNDECIDED_KEPT, n))[1]  # all, where n is fewer
        # Sums as products (exact: counts and indices below 2^24; an index sum is read only
        # where one index makes it).
        weights = jnp.stack([jnp.ones_like(sb), rb.astype(jnp.float32)])
        sums = jnp.matmul(weights, in_x, precision=jax.lax.Precision.HIGHEST)
        counts, index_sum = counts + sums[0], index_sum + sums[1]
        hits = hits + jnp.sum(in_y, axis=0)
        return (counts, index_sum, hits), (jnp.sum(in_x, axis=1), many, columns)

    zeros = jnp.zeros(n, dtype=jnp.float32)
    (counts, index_sum, hits), (per_row, many, columns) = jax.lax.scan(
        step, (zeros, zeros, zeros), (y_blocks, s2, slack, rows)
    )
    return per_row, many, columns, counts, index_sum, hits


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
    qs: jax.Array = points if queries is None else queries
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


#: Float64 numbers one step of the device's pair checks holds (pairs x d, or rows x points).
PAIR_NUMBERS = 1 << 22


class Counts(NamedTuple):
    """The ball counts as :class:`~.search.BallCounts` holds them, on the host."""

    in_x_balls: np.ndarray
    y_in_ball: np.ndarray
    sole: np.ndarray
    in_y_balls: np.ndarray


def ball_counts_on_device(
    xs: jax.Array, r: np.ndarray, ys: jax.Array, s: np.ndarray, block: int
) -> Counts:
    """:func:`~.search.ball_counts`'s XLA engine where the draws live (radii already widened).

    The same steps as the host's: :func:`ball_blocks` on the centred, scaled float32 draws,
    ``block`` rows of ``ys`` a step; the undecided pairs of a row that kept them all decided
    from float64 differences; a row with more tested again with float64 products under
    float64's bound, its pairs still within that bound from differences. Only the counts, the
    undecided rows' columns and the pairs to decide come back.
    """
    n, d = xs.shape
    m = ys.shape[0]
    blocks = math.ceil(m / block)
    with jax.enable_x64(True):
        r64, s64 = jnp.asarray(r, jnp.float64), jnp.asarray(s, jnp.float64)
        prepared = _ball_prepared(xs, r64, ys, s64, blocks * block)
        x32, r2, y32, s2, slack, norm_y, top, scale, centre = prepared
        out = ball_blocks(
            x32,
            r2,
            y32.reshape(blocks, block, d),
            s2.reshape(blocks, block),
            slack.reshape(blocks, block),
            jnp.arange(blocks * block, dtype=jnp.int32).reshape(blocks, block),
        )
        per_row, many, columns, counts, index_sum, hits = out
        in_x_balls = np.asarray(per_row).reshape(-1)[:m].astype(np.int64)
        undecided = np.asarray(many).reshape(-1)[:m].astype(np.int64)
        y_in_ball = np.asarray(counts).astype(np.int64)  # exact integers below 2^24
        sole = np.asarray(index_sum).astype(np.int64)
        in_y_balls = np.asarray(hits) > 0
        few = np.flatnonzero((undecided > 0) & (undecided <= UNDECIDED_KEPT))
        if few.size:  # each undecided pair of the rows that kept them all, from its differences
            kept = np.asarray(columns.reshape(-1, columns.shape[-1])[jnp.asarray(few)])
            jp = np.repeat(few, undecided[few])
            ip = kept[np.arange(kept.shape[1])[None, :] < undecided[few, None]]
            decided = _pairs_inside(xs, r64, ys, s64, ip, jp)
            add_decided((in_x_balls, y_in_ball, sole, in_y_balls), ip, jp, *decided)
        redo = np.flatnonzero(undecided > UNDECIDED_KEPT)
        step = max(1, min(redo.size, PAIR_NUMBERS // n))
        for start in range(0, redo.size, step):  # every pair of these rows again, in float64
            jr = redo[start : start + step]
            # one shape a call: the last chunk padded with its first row, which counts nothing
            rows = np.concatenate([jr, np.full(step - jr.size, jr[0])])
            valid = jnp.arange(step) < jr.size
            args = (norm_y, top, scale, centre, jnp.asarray(rows), valid)
            got = _rows_by_products(xs, r64, ys, s64, *args)
            in_b, in_c = got[0][: jr.size], got[1]
            ties = np.asarray(got[2])[: jr.size]
            in_x_balls[jr] = np.asarray(in_b)
            y_in_ball += np.asarray(got[3]).astype(np.int64)
            sole += np.asarray(got[4]).astype(np.int64)
            in_y_balls |= np.asarray(in_c)
            rows, cols = np.nonzero(np.asarray(ties))  # within float64's bound: differences
            decided = _pairs_inside(xs, r64, ys, s64, cols, jr[rows])
            add_decided((in_x_balls, y_in_ball, sole, in_y_balls), cols, jr[rows], *decided)
    return Counts(in_x_balls, y_in_ball, sole, in_y_balls)


def add_decided(
    counts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ip: np.ndarray,
    jp: np.ndarray,
    inside: np.ndarray,
    in_c: np.ndarray,
) -> None:
    """Adds the pairs ``(ip, jp)`` decided apart to ``counts`` (:class:`Counts`' order), in place.

    ``y_jp`` lies in ``B_ip`` where ``inside``, and ``x_ip`` in ``C_jp`` where ``in_c``.
    """
    in_x_balls, y_in_ball, sole, in_y_balls = counts
    in_x_balls += np.bincount(jp[inside], minlength=in_x_balls.size)
    y_in_ball += np.bincount(ip[inside], minlength=y_in_ball.size)
    sole += np.bincount(ip[inside], weights=jp[inside], minlength=sole.size).astype(np.int64)
    in_y_balls[ip[in_c]] = True


@partial(jax.jit, static_argnames="rows")
def _ball_prepared(
    xs: jax.Array, r: jax.Array, ys: jax.Array, s: jax.Array, rows: int
) -> tuple[jax.Array, ...]:
    """The host's preparation of :func:`ball_blocks`' arguments, where the draws live.

    Both samples centred on their pooled float64 mean and scaled by the power of two that brings
    the largest centred norm near 1; the squared radii scaled alike; ``ys`` padded to ``rows``
    (padding rows hold no ball, ``s^2 = -1``); each row's slack, the bound on float32's rounding
    of its squared distances and radii. Also the float64 norms of the scaled ``y``, the largest
    scaled norm, the scale and the centre, for the float64 test of the rows redone.
    """
    x, y = xs.astype(jnp.float64), ys.astype(jnp.float64)
    centre = jnp.mean(jnp.concatenate([x, y]), axis=0)
    x, y = x - centre, y - centre
    top = jnp.sqrt(jnp.maximum(jnp.max(jnp.sum(x * x, 1)), jnp.max(jnp.sum(y * y, 1))))
    scale = jnp.ldexp(1.0, -scale_exponent(top, xp=jnp, clip=False))
    x, y, top = x * scale, y * scale, top * scale
    m, d = ys.shape
    norm_y = jnp.sqrt(jnp.sum(y * y, axis=1))
    padded = jnp.zeros((rows, d), jnp.float32).at[:m].set(y.astype(jnp.float32))
    s2 = jnp.full(rows, -1.0, jnp.float32).at[:m].set(((s * scale) ** 2).astype(jnp.float32))
    norms = jnp.zeros(rows).at[:m].set(norm_y)
    slack = (4.0 * (d + 10) * 2.0**-24 * (norms + top) ** 2 + d * 2.0**-120).astype(jnp.float32)
    r2 = ((r * scale) ** 2).astype(jnp.float32)
    return x.astype(jnp.float32), r2, padded, s2, slack, norm_y, top, scale, centre


def _pairs_inside(
    xs: jax.Array, r: jax.Array, ys: jax.Array, s: jax.Array, ip: np.ndarray, jp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``ys[jp]`` lies in ``B_ip`` and ``xs[ip]`` in ``C_jp``: float64 differences there."""
    if not ip.size:
        return np.zeros(0, bool), np.zeros(0, bool)
    step = max(1, PAIR_NUMBERS // xs.shape[1])
    pad = -ip.size % step
    ia, ja = (np.concatenate([v, np.zeros(pad, v.dtype)]) for v in (ip, jp))
    inside, in_c = [], []
    for start in range(0, ia.size, step):
        a, b = jnp.asarray(ia[start : start + step]), jnp.asarray(ja[start : start + step])
        got = _pair_test(xs, r, ys, s, a, b)
        inside.append(np.asarray(got[0]))
        in_c.append(np.asarray(got[1]))
    return np.concatenate(inside)[: ip.size], np.concatenate(in_c)[: ip.size]


@jax.jit
def _pair_test(
    xs: jax.Array, r: jax.Array, ys: jax.Array, s: jax.Array, a: jax.Array, b: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """``|y_b - x_a| <= r_a`` and ``<= s_b``, each pair's distance from its float64 differences."""
    diff = ys[b].astype(jnp.float64) - xs[a].astype(jnp.float64)
    dist = jnp.sqrt(jnp.sum(diff * diff, axis=1))
    return dist <= r[a], dist <= s[b]


@jax.jit
def _rows_by_products(
    xs: jax.Array,
    r: jax.Array,
    ys: jax.Array,
    s: jax.Array,
    norm_y: jax.Array,
    top: jax.Array,
    scale: jax.Array,
    centre: jax.Array,
    jr: jax.Array,
    valid: jax.Array,
) -> tuple[jax.Array, ...]:
    """The rows ``jr`` of ``ys`` tested again with float64 products under float64's bound.

    The host's test (:func:`~.search.ball_counts`): squared distances by the expansion in
    float64 on the centred, scaled draws, decided where they lie beyond float64's bound from a
    squared radius. Returns, for these rows: the balls ``B_i`` holding each ``y_j``; which
    ``x_i`` lie in some ``C_j``; the pairs still within the bound (to decide from differences,
    counted nowhere here); and per ``x_i`` the ``y_j`` in ``B_i`` and the sum of their indices.
    Rows where ``valid`` is False (padding) count nowhere.
    """
    x = (xs.astype(jnp.float64) - centre) * scale
    y = (ys[jr].astype(jnp.float64) - centre) * scale
    d = x.shape[1]
    sq_x = jnp.sum(x * x, axis=1)
    ny = norm_y[jr]
    sq = sq_x[None, :] + ny[:, None] ** 2 - 2.0 * jnp.matmul(y, x.T, precision="highest")
    slack = (4.0 * (d + 10) * 2.0**-53 * (ny + top) ** 2 + d * 2.0**-1000)[:, None]
    to_x, to_y = sq - ((r * scale) ** 2)[None, :], sq - ((s[jr] * scale) ** 2)[:, None]
    ties = ((jnp.abs(to_x) <= slack) | (jnp.abs(to_y) <= slack)) & valid[:, None]
    in_b = (to_x < -slack) & ~ties & valid[:, None]
    in_c = (to_y < -slack) & ~ties & valid[:, None]
    return (
        jnp.sum(in_b, axis=1),
        jnp.any(in_c, axis=0),
        ties,
        jnp.sum(in_b, axis=0),
        jnp.sum(in_b * jr[:, None], axis=0),
    )
