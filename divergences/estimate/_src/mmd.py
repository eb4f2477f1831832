r"""The kernel maximum mean discrepancy from samples: its unbiased estimate, interval and test.

The Gaussian kernel :math:`k(a, b) = \exp(-\lVert a - b\rVert^2 / (2 s^2))` takes values in
``(0, 1]``. Every sum the estimate and the permutation test need is a quadratic form in the
kernel matrix of the pooled sample :math:`z = (x_1..x_n, y_1..y_m)` with its diagonal set to
zero, :math:`K_0`: with ``w`` the vector of ones and ``a`` the indicator of the draws labelled
``x``,

.. math::
   S_{xx} = a^\top K_0 a,\quad S_{xy} = w^\top K_0 a - a^\top K_0 a,\quad
   S_{yy} = w^\top K_0 w - 2\, w^\top K_0 a + a^\top K_0 a.

:func:`_pair_sums` computes ``a_c^T K_0 a_c`` and ``w^T K_0 a_c`` for many columns ``a_c`` at
once (the observed labels and every permutation's), block pair by block pair of the pooled
sample: each block ``K_IJ`` (``I <= J``, by symmetry) is built once, multiplied by the columns'
rows ``J`` (a matmul) and dropped, so that no ``(n + m)``-square matrix is ever held.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial.distance import pdist

from divergences._src.options import integer_option, level_option, number_option, seed_option
from divergences.estimate._src.concentration import bounded_differences_term, widen
from divergences.estimate._src.result import Estimate, IntervalKind, TwoSampleTest
from divergences.estimate._src.samples import check_at_least, sample_pair
from divergences.wasserstein._src.metrics import scale_exponent

__all__ = ["mmd_squared", "mmd_test"]

#: The most points of the pooled sample the median heuristic reads (a seeded subsample).
MEDIAN_POINTS = 2000
#: The largest block of rows of the kernel matrix built at once (a square of 1024 rows).
BLOCK = 1024
_MEDIAN_SEED = 0
_FLOAT64_MAX = float(np.finfo(np.float64).max)


def median_bandwidth(xs: np.ndarray, ys: np.ndarray) -> float:
    r"""The median heuristic: the median distance between two points of the pooled sample.

    Where the pool holds more than :data:`MEDIAN_POINTS` points, it is first put in an order that
    depends on the points' values only (:func:`_canonical_order`) and that many are taken with a
    fixed seed, so the bandwidth is a function of the pooled sample as a multiset: relabelling
    its points (a permutation of the test) leaves it unchanged. Pairs of equal points are left out where they make the median 0;
    where every point is the same, every bandwidth gives MMD 0, and 1 is returned.
    """
    z = np.concatenate([xs, ys])
    if z.shape[0] > MEDIAN_POINTS:
        order = _canonical_order(z)
        pick = np.random.default_rng(_MEDIAN_SEED).choice(z.shape[0], MEDIAN_POINTS, False)
        z = z[order[np.sort(pick)]]
    shift = scale_exponent(z, clip=False)
    dist = pdist(np.ldexp(z, -shift))  # by a power of two: no distance overflows
    median = float(np.median(dist))
    if median == 0.0:
        positive = dist[dist > 0.0]
        if not positive.size:
            return 1.0
        median = float(np.median(positive))
    try:
        return min(math.ldexp(median, shift), _FLOAT64_MAX)
    except OverflowError:
        return _FLOAT64_MAX


def _canonical_order(z: np.ndarray) -> np.ndarray:
    """An order of the rows that depends on their values only (equal rows in either order).

    By the first coordinate, or lexicographically where two rows share it.
    """
    order = np.argsort(z[:, 0], kind="stable")
    if np.any(np.diff(z[order, 0]) == 0.0):
        order = np.lexsort(z.T[::-1])
    return order


def _bandwidth_of(bandwidth: Any, xs: np.ndarray, ys: np.ndarray) -> float:
    if bandwidth is None:
        return median_bandwidth(xs, ys)
    return number_option(bandwidth, "bandwidth", note="the Gaussian kernel's width s")


@partial(jax.jit, static_argnames=("block",))
def _pair_sums(
    z: jax.Array, cols: jax.Array, scale: jax.Array, *, block: int
) -> tuple[jax.Array, jax.Array]:
    r"""``(a_c^T K_0 a_c, w^T K_0 a_c)`` for every column ``a_c`` of ``cols``, ``w = cols[:, 0]``.

    ``K_0`` is the Gaussian kernel matrix :math:`\exp(-\mathrm{scale}\,\lVert z_i - z_j\rVert^2)`
    of the rows of ``z`` with a zero diagonal; rows whose ``w`` is 0 (padding) count for nothing.
    The rows are taken in blocks of ``block`` (which divides their number); each pair of blocks
    ``I <= J`` is built once, ``K_IJ @ cols_J`` is one matmul, and the pair ``(J, I)`` is read
    from it by symmetry.
    """
    count, width = cols.shape
    blocks = count // block
    first, second = np.triu_indices(blocks)
    first_j, second_j = jnp.asarray(first, jnp.int32), jnp.asarray(second, jnp.int32)
    squares = jnp.sum(z * z, axis=1)
    eye = jnp.eye(block, dtype=bool)

    def body(p: jax.Array, carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        quad, lin = carry
        i, j = first_j[p], second_j[p]
        zi = jax.lax.dynamic_slice_in_dim(z, i * block, block)
        zj = jax.lax.dynamic_slice_in_dim(z, j * block, block)
        ci = jax.lax.dynamic_slice_in_dim(cols, i * block, block)
        cj = jax.lax.dynamic_slice_in_dim(cols, j * block, block)
        si = jax.lax.dynamic_slice_in_dim(squares, i * block, block)
        sj = jax.lax.dynamic_slice_in_dim(squares, j * block, block)
        r2 = jnp.maximum(si[:, None] + sj[None, :] - 2.0 * (zi @ zj.T), 0.0)
        kij = jnp.where(eye & (i == j), 0.0, jnp.exp(-scale * r2))
        prod = kij @ cj
        weight = jnp.where(i == j, 1.0, 2.0).astype(z.dtype)
        quad = quad + weight * jnp.sum(ci * prod, axis=0)
        back = jnp.where(i == j, 0.0, 1.0).astype(z.dtype) * jnp.sum(ci * prod[:, :1], axis=0)
        lin = lin + jnp.sum(ci[:, :1] * prod, axis=0) + back
        return quad, lin

    zero = jnp.zeros(width, z.dtype)
    return jax.lax.fori_loop(0, first.size, body, (zero, zero))


def _layout(count: int) -> tuple[int, int]:
    """``(block, padded count)``: equal blocks of at most :data:`BLOCK` rows, a multiple of 64."""
    blocks = -(-count // BLOCK)
    block = 64 * -(-count // (64 * blocks))
    return block, block * blocks


def _pooled(xs: np.ndarray, ys: np.ndarray, dtype: Any) -> tuple[jax.Array, float, int, int]:
    """The pooled sample, centred, divided by ``2^e`` and padded for :func:`_pair_sums`.

    Centred on the midrange (no overflow) and divided by the power of two ``2^e`` that brings
    every coordinate into ``(-1, 1)``, so that no square overflows. Returns the padded array,
    the largest squared norm of a point (divided by ``4^e``), the block size and ``e``.
    """
    z = np.concatenate([xs, ys])
    z = z - (z.max(axis=0) / 2.0 + z.min(axis=0) / 2.0)
    shift = scale_exponent(z, clip=False)
    z = np.ldexp(z, -shift)
    block, count = _layout(z.shape[0])
    dim = 8 * -(-z.shape[1] // 8)
    padded = np.zeros((count, dim))
    padded[: z.shape[0], : z.shape[1]] = z
    return jnp.asarray(padded, dtype), float(np.max(np.sum(z * z, axis=1))), block, shift


def _columns(n: int, m: int, labels: np.ndarray, count: int) -> np.ndarray:
    """``[w, a_0, a_1, ...]``: ones on the pooled draws, then the indicator of each row of ``labels``.

    ``labels`` holds, row by row, the ``n`` positions labelled ``x``; the columns are padded with
    zero rows to ``count`` and with zero columns to a multiple of 8.
    """
    width = 8 * -(-(labels.shape[0] + 1) // 8)
    cols = np.zeros((count, width))
    cols[: n + m, 0] = 1.0
    rows = labels.T
    np.put_along_axis(cols[:, 1 : labels.shape[0] + 1], rows, 1.0, axis=0)
    return cols


def _gamma(k: float, unit: float) -> float:
    return k * unit / (1.0 - k * unit) if k * unit < 0.5 else math.inf


def _statistic(quad: np.ndarray, lin: np.ndarray, total: float, n: int, m: int) -> np.ndarray:
    r"""MMD^2_u from :math:`Q = a^\top K_0 a`, :math:`L = w^\top K_0 a` and :math:`w^\top K_0 w`."""
    s_xx, s_xy, s_yy = quad, lin - quad, total - 2.0 * lin + quad
    return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2.0 * s_xy / (n * m)


def _rounding(
    n: int, m: int, dim: int, scale: float, radius2: float, block: int, dtype: Any
) -> float:
    r"""A bound on the rounding error of the computed MMD^2_u, first in ``u`` and a little over.

    With ``u`` the unit roundoff of the computing dtype and :math:`\gamma_k = ku/(1 - ku)`:
    centring and casting move each point by at most :math:`2uR` (``R`` the largest norm), hence
    a squared distance by at most :math:`(16u + 16u^2) R^2`; the Gram form
    :math:`|a|^2 + |b|^2 - 2a\cdot b` adds :math:`4\gamma_{d+2} R^2 (1 + 2u)^2`; the kernel is
    1-Lipschitz in :math:`\mathrm{scale}\cdot r^2` and its argument and ``exp`` add at most
    :math:`16u`. Each of :math:`Q, L, w^\top K_0 w` sums ``count`` kernel values, each off by at
    most ``e_k``, in at most ``2 block + pairs + 2`` rounded steps.
    """
    unit = float(np.finfo(dtype).eps) / 2.0
    spread = scale * radius2 if radius2 > 0.0 else 0.0  # all points equal: every r^2 is 0
    e_k = spread * (17.0 * unit + 5.0 * _gamma(dim + 2, unit)) + 16.0 * unit
    pairs = ((n + m) // block + 1) ** 2
    per_term = e_k + _gamma(2 * block + pairs + 2, unit) * (1.0 + e_k)
    e_q, e_l, e_t = (per_term * c for c in (n * (n - 1), n * (n + m - 1), (n + m) * (n + m - 1)))
    alpha, beta, cross = 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1)), 1.0 / (n * m)
    bound = alpha * e_q + beta * (e_t + 2.0 * e_l + e_q) + 2.0 * cross * (e_l + e_q)
    scale_of_terms = alpha * n * n + beta * (n + m) ** 2 * 4.0 + 4.0 * cross * n * (n + m)
    return widen(bound + 8.0 * (np.finfo(np.float64).eps / 2.0) * scale_of_terms)


def _sums(
    xs: np.ndarray, ys: np.ndarray, labels: np.ndarray, s: float
) -> tuple[np.ndarray, float, str]:
    """MMD^2_u for each row of ``labels`` (the positions labelled ``x`` in the pooled sample).

    Returns the statistics, a bound on the rounding error of each, and the computing dtype.
    """
    n, m = xs.shape[0], ys.shape[0]
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 where x64 is off
    z, radius2, block, shift = _pooled(xs, ys, dtype)
    cols = jnp.asarray(_columns(n, m, labels, z.shape[0]), dtype)
    try:  # s in the units of z / 2^e
        width = math.ldexp(s, -shift)
    except OverflowError:  # beyond float64: the scale is 0 and the kernel 1 to the last bit
        width = math.inf
    # 1 / (2 s^2); inf where it overflows or s / 2^e underflows (exp(-inf r^2) = 0 for r > 0)
    scale = 0.5 / width / width if width > 0.0 else math.inf
    # The largest finite scale stands for a larger one: 0 * scale stays 0 on equal points.
    finite = min(scale, float(np.finfo(dtype).max))
    quad, lin = _pair_sums(z, cols, jnp.asarray(finite, dtype), block=block)
    quad64, lin64 = np.asarray(quad, np.float64), np.asarray(lin, np.float64)
    count = labels.shape[0]
    stats = _statistic(quad64[1 : count + 1], lin64[1 : count + 1], float(quad64[0]), n, m)
    error = _rounding(n, m, xs.shape[1], scale, radius2, block, dtype)
    return stats, error, np.dtype(dtype).name


def _prepare(x: Any, y: Any, bandwidth: Any) -> tuple[np.ndarray, np.ndarray, float]:
    xs, ys = sample_pair(x, y)
    why = "the unbiased statistic pairs distinct draws"
    check_at_least(xs.shape[0], 2, "x", why)
    check_at_least(ys.shape[0], 2, "y", why)
    return xs, ys, _bandwidth_of(bandwidth, xs, ys)


_FIXED_KERNEL = "the kernel fixed independently of the draws"
_MEDIAN_KERNEL = (
    "the kernel fixed independently of the draws, read here off them (the median heuristic): "
    "no coverage claimed; give the bandwidth for a finite-sample interval"
)


def mmd_squared(x: Any, y: Any, *, bandwidth: Any = None, level: Any = 0.95) -> Estimate:
    r"""The squared MMD between the laws behind ``x`` and ``y``, with a finite-sample interval.

    The unbiased estimate (Gretton et al. 2012, eq. 3) under the Gaussian kernel
    :math:`k(a, b) = \exp(-\lVert a - b\rVert^2 / (2 s^2))`, which lies in ``(0, 1]``:

    .. math::
       \mathrm{MMD}^2_u = \frac{\sum_{i \ne j} k(x_i, x_j)}{n(n-1)}
       + \frac{\sum_{i \ne j} k(y_i, y_j)}{m(m-1)} - \frac{2}{nm} \sum_{i, j} k(x_i, y_j).

    Moving one ``x_i`` moves it by at most ``4/n`` (one ``y_j``: ``4/m``), so McDiarmid's
    inequality gives :math:`\mathrm{MMD}^2_u \pm 4 \sqrt{(1/n + 1/m) \log(2/\alpha) / 2}`
    (for even ``n = m``, the width of Gretton et al.'s Theorem 10, which bounds the same
    deviation by Hoeffding's inequality for U-statistics), widened by the rounding error and
    intersected with ``[0, 2]``; where it lies wholly below 0 (probability at most
    ``alpha / 2``) it is ``[0, 0]``. ``value`` is ``max(0, MMD^2_u)``: MMD^2 is at least 0,
    the unbiased statistic can be negative. The kernel sums run in XLA, block by block (no
    ``(n + m)``-square matrix is held), in float64 where JAX's x64 is on, float32 otherwise.

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``, ``n >= 2``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``, ``m >= 2``.
      bandwidth: the kernel's ``s > 0``; ``None``: the median heuristic, the median distance
        between two points of the pooled sample (of at most 2000 of them, seeded).
      level: the interval's coverage, in ``(0, 1)``.

    Returns:
      An :class:`Estimate`, two-sided: ``"finite-sample"`` for a ``bandwidth`` given (a
      kernel fixed before the draws); ``"plug-in-assumption"`` for the median heuristic, whose
      kernel is read off the draws (no coverage claimed).

    Raises:
      ValueError: for draws the shared rules refuse, fewer than 2 draws in ``x`` or ``y``, a
        ``bandwidth`` that is not a number ``> 0``, or a ``level`` outside ``(0, 1)``.

    References:
      Gretton, Borgwardt, Rasch, Schölkopf, Smola, *A kernel two-sample test*, JMLR 13, 2012.

    Example:
      >>> import math
      >>> import numpy as np
      >>> from divergences.estimate import mmd_squared
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(400, 2)), rng.normal(1.0, size=(400, 2))
      >>> est = mmd_squared(x, y, bandwidth=1.0)
      >>> exact = 2 / 3 * (1 - math.exp(-1 / 3))  # N(0, I) and N((1, 1), I), s = 1
      >>> est.lower_bound <= exact <= est.upper_bound
      True
    """
    xs, ys, s = _prepare(x, y, bandwidth)
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    n, m = xs.shape[0], ys.shape[0]
    stats, error, dtype = _sums(xs, ys, np.arange(n)[None, :], s)
    stat = float(stats[0])
    half = bounded_differences_term([(4.0 / n, n), (4.0 / m, m)], alpha / 2.0) + error
    value = min(max(stat, 0.0), 2.0)
    lower = min(max(stat - half, 0.0), value)
    upper = max(min(stat + half, 2.0), value)
    method = (
        f"unbiased MMD^2_u (Gretton et al. 2012), Gaussian kernel of bandwidth {s:.6g}, "
        f"McDiarmid interval (bounded differences 4/n, 4/m), {dtype}"
    )
    assumption = _MEDIAN_KERNEL if bandwidth is None else _FIXED_KERNEL
    kind: IntervalKind = "plug-in-assumption" if bandwidth is None else "finite-sample"
    return Estimate(
        value, lower, upper, float(level), kind, "two-sided", assumption, method, n, m, "MMD^2"
    )


def _permutations(n: int, m: int, count: int, seed: int) -> np.ndarray:
    """The observed labels, then ``count`` seeded random ones: rows of ``n`` pooled positions."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(np.arange(n + m), (count, 1)), axis=1)[:, :n]
    return np.concatenate([np.arange(n)[None, :], shuffled])


def mmd_test(
    x: Any, y: Any, *, bandwidth: Any = None, permutations: Any = 200, seed: Any = 0
) -> TwoSampleTest:
    r"""The permutation test of ``P == Q`` with the unbiased MMD^2 statistic.

    The statistic :math:`T = \mathrm{MMD}^2_u` (as :func:`mmd_squared`) is computed for the
    observed labels and for ``B = permutations`` seeded random relabellings of the pooled
    sample, and

    .. math::
       p = \frac{1 + \#\{b : T_b \ge T\}}{1 + B},

    whose type-I error is at most ``alpha`` for every ``n`` and ``m`` (Phipson & Smyth 2010):
    under ``P == Q`` the pooled draws are exchangeable. The median heuristic's bandwidth is a
    function of the pooled sample as a multiset, the same for every relabelling, which keeps
    the test exact. All ``B + 1`` statistics come from one pass over the kernel matrix: each
    block is built once and multiplied by the ``B + 1`` label vectors (a matmul), in float64
    where JAX's x64 is on. In float32 (x64 off) a relabelling whose statistic lies within
    rounding of ``T`` (about 1e-6 at ``n = m = 1000``) can be counted on the wrong side.

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``, ``n >= 2``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``, ``m >= 2``.
      bandwidth: the kernel's ``s > 0``; ``None``: the median heuristic.
      permutations: the number ``B >= 1`` of random relabellings.
      seed: the seed of the relabellings, an integer ``>= 0``.

    Returns:
      A :class:`TwoSampleTest`: the observed MMD^2_u (it can be negative) and ``p`` in ``(0, 1]``.

    Raises:
      ValueError: as :func:`mmd_squared`, or ``permutations`` or ``seed`` not such an integer.

    References:
      Gretton et al., *A kernel two-sample test*, JMLR 13, 2012. Phipson & Smyth, *Permutation
      p-values should never be zero*, Stat. Appl. Genet. Mol. Biol. 9, 2010.

    Example:
      >>> import numpy as np
      >>> from divergences.estimate import mmd_test
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(200, 3)), rng.normal(0.5, size=(200, 3))
      >>> mmd_test(x, y, permutations=99).p_value  # no relabelling reaches T: 1 / 100
      0.01
    """
    xs, ys, s = _prepare(x, y, bandwidth)
    count = integer_option(permutations, "permutations", note="random relabellings")
    start = seed_option(seed, note="the relabellings' seed")
    n, m = xs.shape[0], ys.shape[0]
    stats, _, dtype = _sums(xs, ys, _permutations(n, m, count, start), s)
    exceed = int(np.count_nonzero(stats[1:] >= stats[0]))
    method = (
        f"permutation test, unbiased MMD^2_u (Gretton et al. 2012), Gaussian kernel of "
        f"bandwidth {s:.6g}, {dtype}"
    )
    return TwoSampleTest(float(stats[0]), (1 + exceed) / (1 + count), count, method, n, m)
