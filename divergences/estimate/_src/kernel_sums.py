r"""The unbiased two-sample MMD^2 of any kernel: its kernel sums, rounding bound and variance.

Every sum the statistic, its variance and the permutation test need is read off the kernel
matrix of the pooled sample :math:`z = (x_1..x_n, y_1..y_m)` with its diagonal set to zero,
:math:`K_0`: with ``w`` the vector of ones and ``a`` the indicator of the draws labelled ``x``,

.. math::
   S_{xx} = a^\top K_0 a,\quad S_{xy} = w^\top K_0 a - a^\top K_0 a,\quad
   S_{yy} = w^\top K_0 w - 2\, w^\top K_0 a + a^\top K_0 a,

and the row sums :math:`K_0 w` and :math:`K_0 a` of the observed labels give the variance.
:func:`pair_sums` computes them for many columns ``a_c`` at once (the observed labels and every
relabelling's), block pair by block pair: each block ``K_IJ`` (``I <= J``, by symmetry) is built
once, multiplied by the columns' rows ``J`` (a matmul) and dropped, so that no ``(n + m)``-square
matrix is ever held. The kernel is a parameter: the Gaussian of :func:`~divergences.estimate.
mmd_squared` or the cubic polynomial of :func:`~divergences.estimate.kid`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.scaling import scale_exponent
from divergences.estimate._src.concentration import normal_quantile, widen
from divergences.estimate._src.result import Estimate, claims_asymptotic, unclaimed

__all__ = [
    "KernelSums",
    "claimed",
    "first_order_variance",
    "kernel_sums",
    "normal_interval",
    "permutations",
]

#: The largest block of rows of the kernel matrix built at once (a square of 1024 rows).
BLOCK = 1024
#: The relabellings of the permutation test that decides whether an interval may leave out 0.
PERMUTATIONS = 200
#: Their seed (``mmd_test``'s default).
SEED = 0
#: The products at the inputs' full precision: a GPU's float32 default (TF32) rounds the factors
#: to 10 bits, beyond what the rounding bounds of the kernel values assume.
_FULL = jax.lax.Precision.HIGHEST

Kernel = Literal["gaussian", "cubic"]
#: How :func:`normal_interval` is built, in words (an estimate's ``method``).
NORMAL_METHOD = (
    "normal interval from the plug-in first-order variance (row sums of the kernel matrix), "
    f"0 left out only where the permutation test ({PERMUTATIONS} relabellings, seed {SEED}) "
    "rejects at alpha/2"
)


@partial(jax.jit, static_argnames=("block", "kernel", "rows"))
def pair_sums(
    z: jax.Array, cols: jax.Array, coeffs: jax.Array, *, block: int, kernel: Kernel, rows: bool
) -> tuple[jax.Array, jax.Array, jax.Array]:
    r"""``(a_c^T K_0 a_c, w^T K_0 a_c, K_0 cols[:, :2])`` for the columns ``a_c`` of ``cols``.

    ``w = cols[:, 0]``. ``K_0`` is the kernel matrix of the rows of ``z`` with a zero diagonal:
    :math:`\exp(-c_0\lVert z_i - z_j\rVert^2)` (``"gaussian"``) or :math:`(c_0\, z_i \cdot z_j +
    c_1)^3` (``"cubic"``), ``coeffs = (c_0, c_1)``; rows whose ``w`` is 0 (padding) count for
    nothing. The rows are taken in blocks of ``block`` (which divides their number); each pair
    of blocks ``I <= J`` is built once, ``K_IJ @ cols_J`` is one matmul, and the pair ``(J, I)``
    is read from it by symmetry (its two row-sum columns by ``K_IJ^T @ cols_I[:, :2]``, where
    ``rows``; else those are zeros, and the pass saves a read of each block).
    """
    count, width = cols.shape
    blocks = count // block
    first, second = np.triu_indices(blocks)
    first_j, second_j = jnp.asarray(first, jnp.int32), jnp.asarray(second, jnp.int32)
    squares = jnp.sum(z * z, axis=1)
    eye = jnp.eye(block, dtype=bool)

    def gram(zi: jax.Array, zj: jax.Array, si: jax.Array, sj: jax.Array) -> jax.Array:
        if kernel == "gaussian":
            r2 = jnp.maximum(
                si[:, None] + sj[None, :] - 2.0 * jnp.matmul(zi, zj.T, precision=_FULL), 0.0
            )
            return jnp.exp(-coeffs[0] * r2)
        t = jnp.matmul(zi, zj.T, precision=_FULL) * coeffs[0] + coeffs[1]
        return t * t * t

    def body(p: jax.Array, carry: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
        quad, lin, sums = carry
        i, j = first_j[p], second_j[p]
        zi = jax.lax.dynamic_slice_in_dim(z, i * block, block)
        zj = jax.lax.dynamic_slice_in_dim(z, j * block, block)
        ci = jax.lax.dynamic_slice_in_dim(cols, i * block, block)
        cj = jax.lax.dynamic_slice_in_dim(cols, j * block, block)
        si = jax.lax.dynamic_slice_in_dim(squares, i * block, block)
        sj = jax.lax.dynamic_slice_in_dim(squares, j * block, block)
        kij = jnp.where(eye & (i == j), 0.0, gram(zi, zj, si, sj))
        prod = jnp.matmul(kij, cj, precision=_FULL)
        off = jnp.where(i == j, 0.0, 1.0).astype(z.dtype)
        quad = quad + (1.0 + off) * jnp.sum(ci * prod, axis=0)
        lin = lin + jnp.sum(ci[:, :1] * prod, axis=0) + off * jnp.sum(ci * prod[:, :1], axis=0)
        if rows:
            sums_i = jax.lax.dynamic_slice_in_dim(sums, i * block, block) + prod[:, :2]
            sums = jax.lax.dynamic_update_slice_in_dim(sums, sums_i, i * block, 0)
            back = off * jnp.matmul(kij.T, ci[:, :2], precision=_FULL)
            sums_j = jax.lax.dynamic_slice_in_dim(sums, j * block, block) + back
            sums = jax.lax.dynamic_update_slice_in_dim(sums, sums_j, j * block, 0)
        return quad, lin, sums

    zero = jnp.zeros(width, z.dtype)
    return jax.lax.fori_loop(0, first.size, body, (zero, zero, jnp.zeros((count, 2), z.dtype)))


def layout(count: int) -> tuple[int, int]:
    """``(block, padded count)``: equal blocks of at most :data:`BLOCK` rows, a multiple of 64."""
    blocks = -(-count // BLOCK)
    block = 64 * -(-count // (64 * blocks))
    return block, block * blocks


def pooled(
    xs: np.ndarray, ys: np.ndarray, dtype: Any, centre: bool
) -> tuple[jax.Array, float, int, int]:
    """The pooled sample, divided by ``2^e`` and padded for :func:`pair_sums`.

    Centred on the midrange first where ``centre`` (a translation-invariant kernel; no
    overflow), and divided by the power of two ``2^e`` that brings every coordinate into
    ``(-1, 1)``, so that no square overflows. Returns the padded array, the largest squared
    norm of a point (divided by ``4^e``), the block size and ``e``.
    """
    z = np.concatenate([xs, ys])
    if centre:
        z = z - (z.max(axis=0) / 2.0 + z.min(axis=0) / 2.0)
    shift = scale_exponent(z, clip=False)
    z = np.ldexp(z, -shift)
    block, count = layout(z.shape[0])
    dim = 8 * -(-z.shape[1] // 8)
    padded = np.zeros((count, dim))
    padded[: z.shape[0], : z.shape[1]] = z
    return jnp.asarray(padded, dtype), float(np.max(np.sum(z * z, axis=1))), block, shift


def columns(n: int, m: int, labels: np.ndarray, count: int) -> np.ndarray:
    """``[w, a_0, a_1, ...]``: ones on the pooled draws, then the indicator of each row of ``labels``.

    ``labels`` holds, row by row, the ``n`` positions labelled ``x``; the columns are padded with
    zero rows to ``count`` and with zero columns to a multiple of 8.
    """
    width = 8 * -(-(labels.shape[0] + 1) // 8)
    cols = np.zeros((count, width))
    cols[: n + m, 0] = 1.0
    np.put_along_axis(cols[:, 1 : labels.shape[0] + 1], labels.T, 1.0, axis=0)
    return cols


def permutations(n: int, m: int, count: int, seed: int) -> np.ndarray:
    """The observed labels, then ``count`` seeded random ones: rows of ``n`` pooled positions."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(np.arange(n + m), (count, 1)), axis=1)[:, :n]
    return np.concatenate([np.arange(n)[None, :], shuffled])


def gamma(k: float, unit: float) -> float:
    r""":math:`\gamma_k = ku / (1 - ku)`, Higham's bound on ``k`` rounded steps (inf past 1/2)."""
    return k * unit / (1.0 - k * unit) if k * unit < 0.5 else math.inf


def statistic(quad: np.ndarray, lin: np.ndarray, total: float, n: int, m: int) -> np.ndarray:
    r"""MMD^2_u from :math:`Q = a^\top K_0 a`, :math:`L = w^\top K_0 a` and :math:`w^\top K_0 w`."""
    s_xx, s_xy, s_yy = quad, lin - quad, total - 2.0 * lin + quad
    return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2.0 * s_xy / (n * m)


def rounding(n: int, m: int, block: int, e_k: float, top: float, dtype: Any) -> float:
    r"""A bound on the rounding error of the computed MMD^2_u, first in ``u`` and a little over.

    Each kernel value is off by at most ``e_k`` and at most ``top`` in magnitude; each of
    :math:`Q, L, w^\top K_0 w` sums ``count`` of them in at most ``2 block + pairs + 2`` rounded
    steps (:math:`\gamma_k = ku/(1 - ku)`, ``u`` the dtype's unit roundoff), and the host
    combines the three in float64.
    """
    unit = float(np.finfo(dtype).eps) / 2.0
    pairs = ((n + m) // block + 1) ** 2
    per_term = e_k + gamma(2 * block + pairs + 2, unit) * (top + e_k)
    e_q, e_l, e_t = (per_term * c for c in (n * (n - 1), n * (n + m - 1), (n + m) * (n + m - 1)))
    alpha, beta, cross = 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1)), 1.0 / (n * m)
    bound = alpha * e_q + beta * (e_t + 2.0 * e_l + e_q) + 2.0 * cross * (e_l + e_q)
    scale_of_terms = alpha * n * n + beta * (n + m) ** 2 * 4.0 + 4.0 * cross * n * (n + m)
    return widen(bound + 8.0 * (np.finfo(np.float64).eps / 2.0) * top * scale_of_terms)


class KernelSums(NamedTuple):
    """MMD^2_u of each labelling, its rounding bound, the row sums and the computing dtype.

    Attributes:
      stats: MMD^2_u for each row of the labels (the observed labels first).
      error: a bound on the rounding error of each.
      rows: ``(n + m, 2)``, float64: the row sums of ``K_0`` over every draw and over the
        draws labelled ``x`` (the observed labels).
      dtype: the name of the computing dtype.
    """

    stats: np.ndarray
    error: float
    rows: np.ndarray
    dtype: str


def kernel_sums(
    z: jax.Array,
    n: int,
    m: int,
    labels: np.ndarray,
    coeffs: tuple[float, float],
    block: int,
    kernel: Kernel,
    kernel_error: tuple[float, float],
    rows: bool = True,
) -> KernelSums:
    """MMD^2_u for each row of ``labels`` over the pooled ``z`` (:func:`pooled`), in one pass.

    ``kernel_error`` is ``(e_k, top)`` for :func:`rounding`: a bound on the error of a computed
    kernel value and on its magnitude. Without ``rows`` the row sums are zeros (a test needs
    none).
    """
    cols = jnp.asarray(columns(n, m, labels, z.shape[0]), z.dtype)
    c = jnp.asarray(coeffs, z.dtype)
    quad, lin, sums = pair_sums(z, cols, c, block=block, kernel=kernel, rows=rows)
    quad64, lin64 = np.asarray(quad, np.float64), np.asarray(lin, np.float64)
    count = labels.shape[0]
    stats = statistic(quad64[1 : count + 1], lin64[1 : count + 1], float(quad64[0]), n, m)
    error = rounding(n, m, block, *kernel_error, z.dtype)
    rows64 = np.asarray(sums, np.float64)[: n + m]
    return KernelSums(stats, error, rows64, np.dtype(z.dtype).name)


def first_order_variance(rows: np.ndarray, n: int, m: int) -> float:
    r"""The plug-in first-order variance of MMD^2_u (the observed labels: ``x`` first).

    The Hoeffding projection of MMD^2_u is
    :math:`\tfrac2n\sum_i f(x_i) + \tfrac2m\sum_j g(y_j)` (centred), with
    :math:`f(x) = \mathbb E\,k(x, X') - \mathbb E\,k(x, Y)` and
    :math:`g(y) = \mathbb E\,k(y, Y') - \mathbb E\,k(X, y)`, so
    :math:`\mathrm{Var} = 4\,\mathrm{Var} f(X)/n + 4\,\mathrm{Var} g(Y)/m + O(1/n^2)`. Each
    :math:`f(x_i)` is estimated by its row means, :math:`\hat f_i = \sum_{j \ne i} k(x_i,
    x_j)/(n-1) - \sum_j k(x_i, y_j)/m`, and the variances by the sample variances of
    :math:`\hat f` and :math:`\hat g`. The row means' own noise adds :math:`O(1/n^2)`, the order
    of the second-order term: under ``P == Q``, where ``f`` is constant and the statistic
    degenerate, the estimate is :math:`O(1/n^2)` as the statistic's variance is.
    """
    every, on_x = rows[:, 0], rows[:, 1]
    f = on_x[:n] / (n - 1) - (every[:n] - on_x[:n]) / m
    g = (every[n:] - on_x[n:]) / (m - 1) - on_x[n:] / n
    return 4.0 * float(np.var(f, ddof=1)) / n + 4.0 * float(np.var(g, ddof=1)) / m


def normal_interval(
    sums: KernelSums, n: int, m: int, alpha: float, unit: float, top: float
) -> tuple[float, float, float]:
    r"""``(value, lower, upper)``: the asymptotic normal interval of MMD^2_u, honest at ``P == Q``.

    :math:`\mathrm{MMD}^2_u \pm z_{1-\alpha/2} \sqrt{\hat V}` (:func:`first_order_variance`),
    widened by the rounding bound and cut to ``[0, top]``. Its lower end is above 0 only where
    the permutation test of the same pass (``sums.stats[1:]``, :data:`PERMUTATIONS` seeded
    relabellings) rejects ``P == Q`` at ``alpha / 2``, the lower end's own error; so under the
    null it leaves out 0 with probability at most ``alpha / 2`` at every sample size, where the
    degenerate statistic is far from normal. ``unit`` multiplies the sums (the kernel's scale).
    """
    stat = float(sums.stats[0]) * unit
    spread = math.sqrt(max(first_order_variance(sums.rows, n, m), 0.0)) * unit
    z = -normal_quantile(alpha / 2.0)  # not of 1 - alpha/2, which rounds to 1 (z = inf) below 2^-52
    half = widen(z * spread + sums.error * unit)
    exceed = int(np.count_nonzero(sums.stats[1:] >= sums.stats[0]))
    rejects = (1 + exceed) / (1 + sums.stats.size - 1) <= alpha / 2.0
    value = min(max(stat, 0.0), top)
    lower = min(max(stat - half, 0.0), value) if rejects else 0.0
    upper = max(min(stat + half, top), value)
    return value, lower, upper


def claimed(estimate: Estimate, estimator: str, d: int, plug_in: bool, top: float) -> Estimate:
    """``estimate`` (kind ``"asymptotic"``) as claimed: where measured, and its kernel fixed.

    A kernel read off the draws gives ``"plug-in-assumption"``; outside
    :data:`~divergences.estimate.ASYMPTOTIC_CLAIMS` the kind is ``"no-coverage-claim"``, the
    ends ``[0, top]`` (MMD^2's range), and a :class:`NoCoverageWarning` says so.
    """
    if plug_in:
        return estimate._replace(kind="plug-in-assumption")
    n = min(estimate.n, estimate.m)
    if claims_asymptotic(estimator, d, n):
        return estimate
    reason = unclaimed(estimator, d, n, "", stacklevel=4)
    return estimate._replace(
        kind="no-coverage-claim",
        sides="none",
        lower_bound=0.0,
        upper_bound=top,
        assumption=f"{estimate.assumption}; {reason}",
        method=f"{estimate.method} (not returned: [{estimate.lower_bound:.4g}, {estimate.upper_bound:.4g}])",
    )
