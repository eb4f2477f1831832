r"""The unbiased two-sample MMD^2 of any kernel: its kernel sums and their rounding bound.

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

Each device adds its block pairs' row sums into the rows where it took them (:func:`rows_added`),
and the host adds, in float64, what each device sends back: each column's sums over its pairs and
its rows' sums (:func:`blocked_pass`); the pairs are split over the local devices
(``jax.local_devices()``), each holding the pooled draws, so several devices share the pass and
give what one gives. The rounding bound is read
from the reduction done and each value's own magnitudes (:func:`value_bounds`), not a worst
case over the whole sum. In float64 each Gram product and each row sum is one matmul over its
whole contraction: :math:`\gamma_d` of float64 is at most 2.3e-13 in d = 2048, far below any
interval's width, and the blocked sums that bought :math:`\gamma_{2\sqrt d}` were two thirds
of KID's pass in d = 64 (``benchmarks/estimates.md``, "KID's pass in float64"). Float32 draws
(x64 off, the inputs' dtype) are raised to float64 (exact) where float64 products cost no more
(:func:`gram_products`: on a CPU from :data:`FLOAT64_PRODUCTS_FROM` coordinates on; elsewhere
chosen once per backend, as on a card that multiplies float64 at its float32 rate), and the
pass is the float64 one: its bound is float64's, and so is the interval's width. Otherwise each Gram product is a sum of float32
matmuls over :func:`chunk_of` coordinates whose partial products are added in float64, and the
kernel values, their bounds and the row sums are float64 (x64 turned on inside the pass only):
each entry is then off by at most :math:`\gamma_c` (``c`` at most 32 terms) times the sum of
its terms' magnitudes, not :math:`\gamma_{c + d/c}`, and the rest of the pass adds next to
nothing.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from functools import partial
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences.estimate._src.concentration import widen
from divergences.estimate._src.samples import devices_of, on_accelerator, where_words

__all__ = ["KernelSums", "blocked_pass", "kernel_sums"]

#: The largest block of rows of the kernel matrix built at once (a square of 1024 rows).
BLOCK = 1024
#: The relabellings of the permutation test that decides whether an interval may leave out 0.
PERMUTATIONS = 200
#: Their seed (``mmd_test``'s default).
SEED = 0
#: The float32 products' inner length where their partials are added in float64: the entry's
#: bound is gamma_34 times its terms' magnitudes (gamma_99 before, d = 2048); alone, such a Gram
#: product took 2.3 times one float32 matmul on the CPU (16: 6.3 times; ``benchmarks/estimates.md``).
WIDE_CHUNK = 32
#: The products at the inputs' full precision: a GPU's float32 default (TF32) rounds the factors
#: to 10 bits, beyond what the rounding bounds of the kernel values assume.
_FULL = jax.lax.Precision.HIGHEST

Kernel = Literal["gaussian", "cubic"]


@partial(jax.jit, static_argnames=("block", "kernel", "rows", "across"))
def pair_sums(
    z: jax.Array,
    pairs: jax.Array,
    cols: jax.Array,
    coeffs: jax.Array,
    sizes: jax.Array,
    bound: jax.Array,
    *,
    block: int,
    kernel: Kernel,
    rows: int,
    across: int,
) -> tuple[jax.Array, ...]:
    r"""Each block pair's sums over the kernel matrix ``K_0`` of the rows of ``z``, a pair a row.

    ``K_0`` has a zero diagonal: :math:`\exp(-c_0\lVert z_i - z_j\rVert^2)` (``"gaussian"``,
    ``sizes[:, 0]`` the squared norms) or :math:`(c_0\, z_i \cdot z_j + c_1)^3` (``"cubic"``),
    ``coeffs = (c_0, c_1)``; rows whose ``w = cols[:, 0]`` is 0 (padding) count for nothing.
    The rows are taken in blocks of ``block`` (which divides their number); each pair of blocks
    ``(I, J)``, ``I <= J``, of ``pairs`` (``(2, P)`` block indices) is built once and dropped. Returned, stacked over the pairs (the host adds them
    in float64, so that no rounding grows with the number of pairs):

    * ``a_c^T K_IJ a_c`` and ``w^T K_IJ a_c`` for every column ``a_c`` of ``cols``, the pair
      ``(J, I)`` counted in where ``I < J``: the permutation test's statistics;
    * for the first ``rows`` columns ``C`` of ``cols`` (none where 0; ``[w, a_0]`` for a
      statistic), ``(K_IJ C, E_IJ C)`` and the same of the pair ``(J, I)``,
      ``E`` the bound of :func:`value_bounds` on each computed value's error: the statistic,
      its rounding bound and its variance are read off them.

    A Gram product sums over ``across`` coordinates at a time: matmuls of that inner length
    whose partials are added in turn, one matmul where ``across`` is the whole width; a row sum
    is one matmul. Where ``z`` is float32 and ``coeffs``, ``sizes`` and ``bound`` float64
    (traced with x64 on), the partials are float32 matmuls added in float64, and the kernel
    values, their bounds and the row sums are float64: an entry's error is at most
    :math:`\gamma_c` (``c = across``, the float32 products' inner length; Higham 2002, eq.
    (3.5)) times the sum of its terms' magnitudes plus the float64 sum's :math:`\gamma_p` (``p``
    partials; sec. 4.2). The permutations' statistics are float32 matmuls of the rounded values
    (no bound is read off them).
    """
    eye = jnp.eye(block, dtype=bool)

    def gram(zi: jax.Array, zj: jax.Array) -> jax.Array:
        if across == z.shape[1]:  # one product over the whole contraction
            return jnp.matmul(zi, zj.T, precision=_FULL).astype(sizes.dtype)

        def step(c: jax.Array, acc: jax.Array) -> jax.Array:
            a = jax.lax.dynamic_slice_in_dim(zi, c * across, across, axis=1)
            b = jax.lax.dynamic_slice_in_dim(zj, c * across, across, axis=1)
            return acc + jnp.matmul(a, b.T, precision=_FULL).astype(acc.dtype)

        zero = jnp.zeros((block, block), sizes.dtype)
        return jax.lax.fori_loop(0, z.shape[1] // across, step, zero)

    def row_sums(k: jax.Array, c: jax.Array, transpose: bool) -> jax.Array:
        if transpose:  # K^T c: the rows of the pair (J, I)
            return jnp.matmul(k.T, c, precision=_FULL)
        return jnp.matmul(k, c, precision=_FULL)

    def body(carry: None, pair: tuple[jax.Array, jax.Array]) -> tuple[None, tuple[jax.Array, ...]]:
        i, j = pair
        zi = jax.lax.dynamic_slice_in_dim(z, i * block, block)
        zj = jax.lax.dynamic_slice_in_dim(z, j * block, block)
        ci = jax.lax.dynamic_slice_in_dim(cols, i * block, block)
        cj = jax.lax.dynamic_slice_in_dim(cols, j * block, block)
        si = jax.lax.dynamic_slice_in_dim(sizes, i * block, block)
        sj = jax.lax.dynamic_slice_in_dim(sizes, j * block, block)
        g = gram(zi, zj)
        if kernel == "gaussian":
            inner = jnp.maximum(si[:, :1] + sj[None, :, 0] - 2.0 * g, 0.0)
            kij = jnp.exp(-coeffs[0] * inner)
        else:
            inner = g * coeffs[0] + coeffs[1]
            kij = inner * inner * inner
        diagonal = eye & (i == j)
        kij = jnp.where(diagonal, 0.0, kij)
        prod = jnp.matmul(kij.astype(z.dtype), cj, precision=_FULL)
        off = jnp.where(i == j, 0.0, 1.0).astype(z.dtype)
        quad = (1.0 + off) * jnp.sum(ci * prod, axis=0)
        lin = jnp.sum(ci[:, :1] * prod, axis=0) + off * jnp.sum(ci * prod[:, :1], axis=0)
        if not rows:
            return None, (quad, lin)
        err = value_bounds(kij, inner, si[:, 1], sj[:, 1], bound, kernel)
        err = jnp.where(diagonal, 0.0, err)
        ri, rj = ci[:, :rows].astype(kij.dtype), cj[:, :rows].astype(kij.dtype)
        mine = [row_sums(kij, rj, False), row_sums(err, rj, False)]
        theirs = [row_sums(kij, ri, True), row_sums(err, ri, True)]
        return None, (quad, lin, jnp.concatenate(mine, 1), off * jnp.concatenate(theirs, 1))

    return jax.lax.scan(body, None, (pairs[0], pairs[1]))[1]


def value_bounds(
    k: jax.Array, inner: jax.Array, ni: jax.Array, nj: jax.Array, bound: jax.Array, kernel: Kernel
) -> jax.Array:
    r"""A bound on each computed kernel value's error, plus the rounding of its row sum.

    ``bound`` holds the host's constants (:func:`_bound_constants`); ``ni``, ``nj`` the rows'
    norm bounds; ``h = bound[8]`` the Gram product's own share where it is counted apart (the
    float32 products added in float64; 0 where ``g`` holds it). Cubic (``inner`` the computed
    :math:`\hat t = c_0 \hat G + c_1`, ``ni`` :math:`\sqrt{c_0}` times a norm bound): the true
    :math:`t` lies within :math:`\delta = g (\nu_i \nu_j + c_1) + h \nu_i \nu_j + a` of
    :math:`\hat t` (the Gram product's blocked sum, the casts and the scaling; ``a`` the
    subnormal spacing's share), so
    :math:`|\hat t^3 - t^3| \le 3(|\hat t| + \Delta)^2 \delta + \gamma_2 |\hat t|^3`
    (``\Delta`` the largest ``\delta``). Gaussian (``inner`` the computed squared distance
    :math:`\hat r^2`, ``ni`` norm bounds): the exponent is off by at most
    :math:`D = c_0 (g (N_i + N_j)^2 + 2 h N_i N_j + a) + 3u c_0 \hat r^2`, so
    :math:`|\hat k - k| \le (\hat k + \tau)(9u + e^{D_{\max}}(1 + 8u) D)` (``exp`` within 8
    ulps, ``tau`` what a flushed value hides). Each is held below the worst case over the
    draws, ``cap``, and ``gamma_L |k|`` is added: the row sum's own rounding.
    """
    if kernel == "cubic":
        g, a, delta, cap, rounding_of_sum, c1 = (bound[q] for q in range(6))
        both = ni[:, None] * nj[None, :]
        spread = g * (both + c1) + bound[8] * both + a
        size = jnp.abs(inner)
        value = 3.0 * (size + delta) ** 2 * spread + bound[6] * size * size * size
    else:
        g, a, grow, cap, rounding_of_sum, tau = (bound[q] for q in range(6))
        total = ni[:, None] + nj[None, :]
        both = 2.0 * bound[8] * ni[:, None] * nj[None, :]
        moved = g * total * total + both + a + bound[6] * inner
        value = (k + tau) * (bound[7] + grow * moved)
    kept = jnp.where(value <= cap, value, cap)  # NaN or inf where c_0 stood for inf: the cap
    return kept + rounding_of_sum * jnp.abs(k)


def widened(dtype: Any) -> bool:
    """Whether a pass in ``dtype`` adds its float32 products' partials in float64 (below float64)."""
    return np.dtype(dtype).itemsize < 8


def layout(count: int) -> tuple[int, int]:
    """``(block, padded count)``: equal blocks of at most :data:`BLOCK` rows, a multiple of 64."""
    blocks = -(-count // BLOCK)
    block = 64 * -(-count // (64 * blocks))
    return block, block * blocks


def chunk_of(width: int) -> int:
    """The float32 products' inner length for ``width`` terms whose partials are added in float64.

    A multiple of 8 near ``sqrt(width)``, at most :data:`WIDE_CHUNK`: only a part's length
    counts in the bound, the float64 sum of the partials adding next to nothing.
    """
    return min(WIDE_CHUNK, 8 * max(1, round(math.sqrt(width) / 8)))


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


def gamma(k: float, unit: float) -> float:
    r""":math:`\gamma_k = ku / (1 - ku)`, Higham's bound on ``k`` rounded steps (inf past 1/2)."""
    return k * unit / (1.0 - k * unit) if k * unit < 0.5 else math.inf


def statistic(quad: np.ndarray, lin: np.ndarray, total: float, n: int, m: int) -> np.ndarray:
    r"""MMD^2_u from :math:`Q = a^\top K_0 a`, :math:`L = w^\top K_0 a` and :math:`w^\top K_0 w`."""
    s_xx, s_xy, s_yy = quad, lin - quad, total - 2.0 * lin + quad
    return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2.0 * s_xy / (n * m)


def _weighted(rows: np.ndarray, n: int, m: int, sign: float) -> float:
    """``sum_xx / (n(n-1)) + sum_yy / (m(m-1)) + sign 2 sum_xy / (nm)`` from row sums over all, x."""
    every, on_x = rows[:, 0], rows[:, 1]
    s_xx, s_xy = math.fsum(on_x[:n]), math.fsum(every[:n] - on_x[:n])
    s_yy = math.fsum(every[n:] - on_x[n:])
    return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) + sign * 2.0 * s_xy / (n * m)


class KernelSums(NamedTuple):
    """MMD^2_u of each labelling, the observed one with its rounding bound, the row sums, dtype.

    Attributes:
      stats: MMD^2_u for each row of the labels (the observed labels first), for the
        permutation test: each from the same sums, so that they compare alike.
      error: a bound on the rounding error of ``value`` (inf where no row sums were taken).
      rows: ``(n + m, 2)``, float64: the row sums of ``K_0`` over every draw and over the
        draws labelled ``x`` (the observed labels).
      dtype: the name of the computing dtype.
      value: the observed MMD^2_u from ``rows`` (``stats[0]`` where no row sums were taken).
    """

    stats: np.ndarray
    error: float
    rows: np.ndarray
    dtype: str
    value: float


def _bound_constants(
    squares: np.ndarray,
    width: int,
    kernel: Kernel,
    coeffs: tuple[float, float],
    cap: float,
    block: int,
    dtype: Any,
    across: int,
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""``(sizes, bound, inflation)`` for :func:`pair_sums` and :func:`value_bounds`.

    ``squares`` are the squared norms of the computing dtype's pooled points, summed in float64
    (:func:`squared_norms`), ``width`` their coordinates; ``cap`` the worst-case bound on one
    value's error over the draws. In float64 the Gram product's blocked sum of
    ``p`` parts of ``c`` terms and the casts and scalings count in ``g`` as
    :math:`\gamma_{c + p + 8}` (cubic; ``+6`` Gaussian). In float32 (:func:`widened`) the pass
    takes float32 products of ``c`` terms, adds their ``p`` partials in float64 and works in
    float64 after (unit ``v``): by Higham (2002), eq. (3.5) and Lemma 3.3, a Gram entry is then
    off by at most :math:`h \sum_k |a_k||b_k|`, :math:`h = \gamma_{c+2}(u) + 2\gamma_{p+2}(v)`
    (the products, the points' cast to float32, the float64 sum), and ``g`` keeps the float64
    evaluation's :math:`\gamma_8(v)`.
    """
    wide = widened(dtype)
    unit = float(np.finfo(dtype).eps) / 2.0  # the products' and the casts' unit
    work = np.float64 if wide else dtype  # the kernel values' dtype
    v = float(np.finfo(work).eps) / 2.0
    tiny = float(np.finfo(dtype).tiny)
    rows_chain = block + 3  # a row sum: one matmul over the block's columns
    rounding_of_sum = gamma(rows_chain, v)
    # a norm bound of the cast points and of the float64 points they came from (the squares'
    # float64 sum of width products off by at most gamma_{width + 1} of float64)
    norms = np.sqrt(squares * (1.0 + gamma(width + 1, 2.0**-53))) * (1.0 + 4.0 * unit)
    flushed = 8.0 * width * tiny  # what flushed subnormal products can move a Gram entry by
    c0, c1 = coeffs
    if wide:  # the products apart (h), the float64 evaluation in g
        h = gamma(across + 2, unit) + 2.0 * gamma(width // across + 2, v)
        g = gamma(8, v)
    else:  # the Gram product's blocked sum of across-term parts in g
        h, g = 0.0, gamma(across + width // across + 8, unit)
    if kernel == "cubic":
        nu = np.sqrt(c0) * norms * (1.0 + 2.0 * unit)
        a = 2.0 * c0 * flushed
        delta = g * (float(np.max(nu)) ** 2 + c1) + h * float(np.max(nu)) ** 2 + a
        bound = [g, a, delta, cap, rounding_of_sum, c1, gamma(3, v), 0.0, h]
        sizes = np.stack([np.zeros_like(nu), nu], axis=1)
    else:
        g = g if wide else gamma(across + width // across + 6, unit)
        a = 2.0 * flushed
        most = 4.0 * float(np.max(norms)) ** 2 * (1.0 + 4.0 * unit)
        with np.errstate(over="ignore", invalid="ignore"):
            top = c0 * ((g + h / 2.0 + 3.0 * v) * most + a)
            grow = math.exp(min(top, 80.0)) * (1.0 + 8.0 * v) * c0
        tau = 4.0 * float(np.finfo(work).tiny)
        bound = [g, a, grow, cap, rounding_of_sum, tau, 3.0 * v, 9.0 * v, h]
        sizes = np.stack([squares, norms], axis=1)
    upward = np.nextafter(sizes.astype(work), np.array(np.inf, work))
    sizes = np.where(np.arange(2) == 0, sizes.astype(work), upward)
    return sizes, np.asarray(bound, np.float64), 1.0 + gamma(rows_chain + 24, v)


Products = Literal["native", "partials", "float64"]

#: The products chosen for float32 draws, by backend, once per process (:func:`gram_products`);
#: a backend named here takes its entry whatever the width (a benchmark's or a test's choice).
_CHOSEN: dict[str, Products] = {}

#: On a CPU, the pass's width (the coordinates padded to a multiple of :data:`WIDE_CHUNK`, so
#: from d = 993 on) from which float32 draws take float64 products. Measured on the
#: project's 2-core CPU (``kid`` on 4,000 half-normal draws a side, benchmarks/estimates.md,
#: "float32 or float64 Gram products on a CPU"): in d = 2048 as fast as the partials, with the
#: interval float64's width where the partials' was 1.22 times it; in d = 1024, 13% narrower for
#: up to a third more time; in d = 64 (10^4 a side) the partials were 30% faster for an interval
#: 1.5% wider.
FLOAT64_PRODUCTS_FROM = 1024


def gram_products(dtype: Any, width: int = 0) -> Products:
    """How a pass over draws of ``dtype``, ``width`` coordinates once padded, forms its products.

    ``"native"`` for float64 draws: float64 products, one matmul a block pair. For
    float32 draws either ``"partials"``, float32 matmuls of :data:`WIDE_CHUNK` coordinates whose
    partials are added in float64, or ``"float64"``, the draws raised to float64 (exact) and
    float64 products: the float64 pass itself, whose rounding bound is the float64 one, so that
    the interval is as wide as float64 draws would give. On a CPU, float64 from
    :data:`FLOAT64_PRODUCTS_FROM` coordinates on, the partials below; on another backend,
    whichever the first pass there measures faster on a ``1024 x 2048 x 1024`` block (H100-class
    cards multiply float64 at about their float32 rate).
    """
    if not widened(dtype):
        return "native"
    backend = jax.default_backend()
    if backend in _CHOSEN:
        return _CHOSEN[backend]
    if backend == "cpu":
        return "float64" if width >= FLOAT64_PRODUCTS_FROM else "partials"
    _CHOSEN[backend] = _faster_products()
    return _CHOSEN[backend]


def _faster_products() -> Products:
    """Times the Gram products of one pass's block pair both ways; the faster (ties: float64)."""
    rng = np.random.default_rng(0)
    z = jnp.asarray(rng.standard_normal((1024, 2048)) / 64.0, jnp.float32)
    cols = columns(512, 512, np.arange(512)[None, :], 1024)
    seconds = {}
    for products in ("float64", "partials"):
        run = functools.partial(
            blocked_pass, z, cols, (1.0 / 2048, 1.0), 1024, "cubic", math.inf, 2, products
        )
        run()  # the compile
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - t0)
        seconds[products] = best
    return "float64" if seconds["float64"] <= seconds["partials"] else "partials"


@jax.jit
def squared_norms(z: jax.Array) -> jax.Array:
    """Each row's squared norm, summed in float64 where ``z`` lives (traced with x64 on)."""
    wide = z.astype(jnp.float64)
    return jnp.sum(wide * wide, axis=1)


def blocked_pass(
    z: jax.Array,
    cols: np.ndarray,
    coeffs: tuple[float, float],
    block: int,
    kernel: Kernel,
    cap: float,
    rows: int,
    products: Products | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """:func:`pair_sums` over the pooled ``z``, its pairs added in float64 on the host.

    Returns ``Q = a_c^T K_0 a_c`` and ``L = w^T K_0 a_c`` for every column of ``cols``, the
    row sums ``(count, 2 rows)`` of ``K_0`` and of the value bounds over the first ``rows``
    columns, and the factor the bounds' own float sums are to be multiplied by. ``cap`` bounds
    the error of one computed kernel value whatever the draws. The Gram products are
    ``products``, by default those of :func:`gram_products` where a bound is taken
    (``rows > 0``); one matmul each in ``z``'s dtype where none is (the permutations'
    statistics).
    """
    if products is None:
        products = gram_products(z.dtype, z.shape[1]) if rows else "native"
    with jax.enable_x64(True):  # where z lives: its norms, and its float64 copy where asked
        squares = np.asarray(squared_norms(z))
        if products == "float64":  # the draws raised to float64 (exact), one product a block
            z = z.astype(jnp.float64)
    dtype = z.dtype
    # without row sums no rounding bound is taken: the Gram products in one matmul each
    wide = widened(dtype) and rows > 0
    whole = not rows or products != "partials"
    across = z.shape[1] if whole else chunk_of(z.shape[1])
    sizes, bound, inflation = _bound_constants(
        squares, z.shape[1], kernel, coeffs, cap, block, dtype, across
    )
    work = np.float64 if wide else dtype
    # float64 inside the pass only, for the float32 products' sums or a float64 pass on float32
    # draws; the caller's setting kept
    with jax.enable_x64(True) if work == np.float64 else contextlib.nullcontext():
        sums = _run_pass(z, cols, coeffs, sizes.astype(work), bound, block, kernel, rows, across)
    return (*sums, inflation)


def _run_pass(
    z: jax.Array,
    cols: np.ndarray,
    coeffs: tuple[float, float],
    sizes: np.ndarray,
    bound: np.ndarray,
    block: int,
    kernel: Kernel,
    rows: int,
    across: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`blocked_pass`'s pass, the kernel values in ``sizes``' dtype: ``Q``, ``L``, rows."""
    dtype, work = z.dtype, sizes.dtype
    with np.errstate(over="ignore"):
        constants = jnp.asarray(np.minimum(bound, np.finfo(work).max), work)
    blocks = z.shape[0] // block
    first, second = np.triu_indices(blocks)
    pairs = np.stack([first, second]).astype(np.int32)
    # the block pairs split over the local devices, each holding the pooled draws: the pairs'
    # sums are the same wherever they are taken, and the host adds them in one order
    devices = jax.local_devices()[: max(1, first.size)]
    shares = np.array_split(np.arange(first.size), len(devices))
    arguments = (z, jnp.asarray(cols, dtype), jnp.asarray(coeffs, work), jnp.asarray(sizes))
    parts = []
    for device, share in zip(devices, shares, strict=True):
        placed = jax.device_put((*arguments, constants), device)
        parts.append(
            pair_sums(
                placed[0],
                jax.device_put(pairs[:, share], device),
                *placed[1:],
                block=block,
                kernel=kernel,
                rows=rows,
                across=across,
            )
        )
    # what comes back: each column's sums over the pairs, and the row sums added on each device
    quad = np.sum([np.sum(np.asarray(p[0], np.float64), axis=0) for p in parts], axis=0)
    lin = np.sum([np.sum(np.asarray(p[1], np.float64), axis=0) for p in parts], axis=0)
    acc = np.zeros((blocks, block, 2 * rows))
    for part, share in zip(parts, shares, strict=True):
        if rows:
            added = rows_added(part[2], part[3], first[share], second[share], blocks=blocks)
            acc += np.asarray(added, np.float64)
    return quad, lin, acc.reshape(blocks * block, 2 * rows)


@partial(jax.jit, static_argnames="blocks")
def rows_added(
    mine: jax.Array, theirs: jax.Array, first: jax.Array, second: jax.Array, *, blocks: int
) -> jax.Array:
    """The pairs' row sums added into their blocks' rows, where they were taken.

    ``mine[p]`` belongs to the rows of block ``first[p]`` and ``theirs[p]`` to those of block
    ``second[p]``: ``(blocks, block, columns)`` comes back in place of ``(pairs, block, columns)``.
    """
    acc = jnp.zeros((blocks, *mine.shape[1:]), mine.dtype)
    return acc.at[first].add(mine).at[second].add(theirs)


def summed_where(z: jax.Array) -> str:
    """``", summed on cuda:0"`` where the pass ran on an accelerator; ``""`` on a CPU."""
    return f", summed on {where_words(devices_of(z))}" if on_accelerator(z) else ""


def host_rounding(pairs: int, count: int, totals: float) -> float:
    """A bound on the float64 host sums' rounding: ``pairs + count`` steps on ``totals``."""
    return gamma(pairs + count + 8, float(np.finfo(np.float64).eps) / 2.0) * totals * 4.0


def kernel_sums(
    z: jax.Array,
    n: int,
    m: int,
    labels: np.ndarray,
    coeffs: tuple[float, float],
    block: int,
    kernel: Kernel,
    cap: float,
    rows: bool = True,
) -> KernelSums:
    """MMD^2_u for each row of ``labels`` over the pooled ``z`` (:mod:`.pool`), in one pass.

    ``cap`` bounds the error of one computed kernel value whatever the draws: the pass's
    data-dependent bound (:func:`value_bounds`) is held below it. Without ``rows`` neither the
    row sums nor the rounding bound are taken (a test needs neither): ``rows`` is zeros and
    ``error`` inf.
    """
    count = labels.shape[0]
    cols = columns(n, m, labels, z.shape[0])
    quad64, lin64, acc, inflation = blocked_pass(
        z, cols, coeffs, block, kernel, cap, 2 if rows else 0
    )
    stats = statistic(quad64[1 : count + 1], lin64[1 : count + 1], float(quad64[0]), n, m)
    name = np.dtype(z.dtype).name
    if z.dtype == np.float64 and not jax.config.read("jax_enable_x64"):
        name += " Gram products of the draws pooled in float64 (x64 off)"
    elif rows and gram_products(z.dtype, z.shape[1]) == "float64":
        name += " draws, float64 Gram products"
    name += summed_where(z)
    if not rows:
        return KernelSums(stats, math.inf, np.zeros((n + m, 2)), name, float(stats[0]))
    acc = acc[: n + m]
    value = _weighted(acc[:, :2], n, m, -1.0)
    bounded = _weighted(acc[:, 2:], n, m, 1.0) * inflation
    pairs = (z.shape[0] // block) * (z.shape[0] // block + 1) // 2
    totals = _weighted(np.abs(acc[:, :2]), n, m, 1.0) + abs(value)
    error = widen(bounded + host_rounding(pairs, n + m, totals))
    return KernelSums(stats, error, acc[:, :2], name, value)
