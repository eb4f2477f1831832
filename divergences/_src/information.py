r"""Mutual information, conditional entropy and the Inception score of discrete distributions.

A joint distribution is a 2-D array ``joint[i, j] = P(C = i, X = j)``: rows index the first
variable (InfoGAN's latent code ``c``; a classifier's input ``x``), columns the second.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.domain import check_base, check_pmf
from divergences._src.errors import is_traced
from divergences._src.log_sums import entropy_sum, kl_terms
from divergences._src.numerics import (
    into_range,
    log_of_base,
    ratio,
    safe_denominator,
    support_mask,
    upscaled_sum,
    xlog1p_ratio,
    xlog_ratio_sum,
)
from divergences._src.precision import (
    FloatArray,
    as_float_array,
    flush_subnormals,
    half_precision,
    keeps_input_precision,
    power_of_two_below,
)

__all__ = ["conditional_entropy", "inception_score", "mutual_information"]


def _check_joint(joint: ArrayLike) -> FloatArray:
    j = as_float_array(joint, "joint")
    if j.ndim != 2:
        raise ValueError(f"joint must be a 2-D array P(C = i, X = j), got shape {j.shape}")
    if not is_traced(j):
        j = np.asarray(j)  # reshaped on the host, not by a JAX operation of its own
    return check_pmf(j.reshape(-1), "joint", precision=half_precision(joint)).reshape(j.shape)


@keeps_input_precision
def mutual_information(joint: ArrayLike, *, base: Base = None) -> jax.Array:
    r"""Mutual information :math:`I(C; X) = \mathrm{KL}(P_{CX} \,\|\, P_C \otimes P_X)`.

    .. math:: I(C; X) = \sum_{i,j} P(i, j) \log\frac{P(i, j)}{P(i) P(j)}
                      = H(C) - H(C \mid X) = H(X) - H(X \mid C)

    Zero iff C and X are independent; at most :math:`\min(H(C), H(X))` (with
    :func:`divergences.entropy` of the marginals) for every accepted joint, up to the rounding of
    the marginal sums: a joint accepted within the sum tolerance ``t`` could pass that bound by
    about ``t (1 + log n)``, and the value is then held at the bound plus
    ``(rows + columns + 32) eps (1 + bound)``. That allowance is the bound's own rounding error
    (each marginal is a rounded sum, and where ``H(C)`` is tiny one ulp of a marginal near 1 is
    a large part of it), so a joint whose total is 1 to within it keeps its relatively accurate
    value even where ``H(C | X)`` is smaller still. Convention 0 log 0 = 0. Computed as
    :math:`\sum_i P(i)\, \mathrm{KL}(P(\cdot \mid i) \,\|\, P_X)` with the non-negative terms of
    :func:`divergences.kl`, each :math:`P(j \mid i) - P(j)` from :math:`P(i, j) - P(i) P(j)` with
    the marginals summed in double words (not from two rounded numbers, which left an error
    :math:`\epsilon/\sqrt{I}` relative): within 2.5 ulp in float64 (I from 1e-32 to 1) and 5.3 in
    float32 (from 1e-17), measured on 2 to 10 rows and columns summing to 1 exactly; about
    :math:`\epsilon^2 \sqrt{I}` absolute, so a few ulp wherever I is above about
    :math:`\epsilon^2`. A total ``T`` other than 1 is used as given: the value is then
    :math:`\sum P(i,j) \log\frac{P(i,j)}{P(i) P(j)} - P(i,j) + P(i) P(j)`, that is
    ``T (I' + T - 1 - log T)`` with ``I'`` that of the joint divided by ``T``. Gradients are
    finite wherever the value is, tiny or zero entries included. Entries below the smallest
    normal number count as 0, on a backend that keeps subnormal numbers as on one that flushes.

    Args:
      joint: ``joint[i, j] = P(C = i, X = j)``, non-negative, summing to 1.
      base: logarithm base; ``None`` for nats, ``2`` for bits.

    Returns:
      I(C; X) >= 0, a scalar.

    References:
      Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, eq. (2.28) and (2.43);
      Chen et al., *InfoGAN*, NeurIPS 2016, eq. (2).

    Example:
      >>> import divergences as dv
      >>> round(float(dv.mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2)), 12)  # X = C: 1 bit
      1.0
    """
    check_base(base)
    j = _check_joint(joint)
    return _mutual_information(j, log_of_base(base, j.dtype))


@jax.jit
def _mutual_information(j: jax.Array, log_base: jax.Array) -> jax.Array:
    return _mutual_information_nats(j) / log_base


def _mutual_information_nats(j: jax.Array) -> jax.Array:
    # KL(P_CX || P_C x P_X) = sum_i P(i) KL(P(. | i) || P_X), each row's KL a sum of the
    # non-negative, relatively accurate terms P(j|i) log(P(j|i)/P(j)) - P(j|i) + P(j). The
    # conditional P(j | i) rather than the product P(i) P(j): that product of two small marginals
    # underflows (1e-200 * 1e-200 = 0) where the conditional does not. The linear terms add
    # (sum P)^2 - sum P, zero for a joint that sums to one.
    j = flush_subnormals(j)  # a subnormal row or column sum: 1 / sum overflowed where kept
    row = jnp.sum(j, axis=1, keepdims=True)
    col = jnp.sum(j, axis=0, keepdims=True)
    # Near independence P(j|i) - P(j) is a small difference of two rounded numbers: its
    # rounding, not the departure, made most of a term (relative error eps / sqrt(I)). The terms
    # take the marginals and that difference from the departure J - R C, with R and C summed in
    # double words (_departure); the derivative stays that of the plain sums and quotients.
    exact_row, exact_col, difference = _departure(lax.stop_gradient(j))
    row_t = row + lax.stop_gradient(exact_row - row)
    col_t = col + lax.stop_gradient(exact_col - col)
    cond = ratio(j, row_t + (1 - support_mask(row_t)))  # empty rows: every P(i, j), P(i) are 0
    # A product row * term below the normal range would be flushed to 0 by XLA (I = 2 t log 2
    # of [[1/2, 1/2], [0, t], [0, t]], t the smallest normal number, came out 0): the products
    # are taken on upscaled rows (numerics.upscaled_sum, the terms given as they are).
    terms = kl_terms(cond, col_t, difference)
    mi = upscaled_sum(jnp.multiply, row_t, axis=None, given=(terms,))
    # I(C; X) <= min(H(C), H(X)) for a pmf; a joint accepted within the sum tolerance t could
    # pass it by about t (1 + log n): held at the smaller marginal entropy, plus that entropy's
    # rounding error. A rounded marginal r moves r log r by up to its ulp times |1 + log r|, that
    # is (rows + columns) eps (1 + H) over all of them, and the kernel's own rounding adds 32 eps
    # MI. Without the allowance a joint summing to 1 within an ulp lost its relative accuracy:
    # [[1e-18, 1 - 1.000001e-12], [1e-12, 1e-19]] (total 1 + 2e-17) has I = 2.8631005e-11,
    # 4e-18 above its H(C) and 3e-18 above H(C) of its rounded rows, and was cut to the latter.
    ceiling = jnp.minimum(entropy_sum(row[:, 0], 0), entropy_sum(col[0], 0))
    rounding = (j.shape[0] + j.shape[1] + 32) * jnp.finfo(j.dtype).eps
    bound = ceiling + rounding * (1 + ceiling)
    return jnp.where(mi > bound, bound, mi)


def _double_sum(x: jax.Array, axis: int, one: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``sum(x, axis)`` as ``hi + lo``, ``hi`` exact, for ``0 <= x < 2``, to about ``n^2 eps^2``.

    Rump's error-free extraction: with ``sigma`` a power of two at least ``2 (n + 2) max x``,
    ``x_hi = (sigma + x) - sigma`` is ``x`` rounded to the multiples of ``ulp(sigma) / 2``, so the
    ``x_hi`` add up without rounding, and ``x_lo = x - x_hi`` exactly, each at most ``n eps``.
    ``one`` is 1 computed from the data: XLA rewrites ``(c + x) - c`` as ``x`` for a constant ``c``.
    """
    sigma = (2.0 ** (math.ceil(math.log2(x.shape[axis] + 2)) + 1)) * one
    hi = (sigma + x) - sigma
    return jnp.sum(hi, axis=axis, keepdims=True), jnp.sum(x - hi, axis=axis, keepdims=True)


def _split(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``a = hi + lo`` exactly, each of at most half the mantissa's bits (Veltkamp), ``a >= 0``.

    A product of two halves is then exact, whatever multiply-add a backend fuses it into. The
    scaled ``a`` is multiplied by 1 computed from the data, so that no backend fuses its product
    into the subtraction of ``a`` (``fma(2^27 + 1, a, -a)`` is no Veltkamp split).
    """
    one = jnp.minimum(jnp.ceil(a + 0.5), 1)
    t = (a * float(2 ** ((np.finfo(a.dtype).nmant + 2) // 2) + 1)) * one  # 2^27 + 1, 2^12 + 1
    hi = t - (t - a)
    return hi, a - hi


def _departure(j: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The row and column sums ``R``, ``C`` of ``j``, rounded, and ``D / R``, ``D = J - R C``.

    ``D / R`` is the difference of the conditional ``J / R`` and the marginal ``C`` with ``R``
    and ``C`` the exact sums: within a few roundings of itself plus about ``eps^2 C``, where
    ``fl(J / R) - fl(C)`` is off by ``eps C``. Each row is scaled by the power of two ``p_i <=``
    its largest mass (exact; its low parts stay in the normal range), each column by ``q_j``,
    and the sums of the scaled masses are split into exact double words (:func:`_double_sum`).
    With ``S = R / p``, ``T = C / q`` and ``X = J / (p q)``, ``D / (p q) = X - S T``: the product
    of the high words exact by Dekker's product of halves (:func:`_split`), ``X - fl(S T)`` exact
    by Sterbenz's lemma wherever ``J`` is within a factor 2 of ``R C``, and the low words' products
    rounded at ``eps^2 S T``. ``fl(S T)`` is multiplied by ``one`` so that no backend fuses it into
    the subtraction (a multiply-add would subtract the exact product, the error twice). The row
    and column quantities are quotients, which XLA keeps as vectors rather than recomputing them
    for every entry.
    """
    inv_p = 1 / safe_denominator(power_of_two_below(jnp.max(j, axis=1, keepdims=True)))
    inv_q = 1 / safe_denominator(power_of_two_below(jnp.max(j, axis=0, keepdims=True)))
    one = jnp.minimum(jnp.ceil(j[0, 0] + 0.5), 1)  # 1, not a constant to XLA (j >= 0)
    scaled_rows = j * inv_p  # in [0, 2), exact
    s_hi, s_lo = _double_sum(scaled_rows, 1, one)
    t_hi, t_lo = _double_sum(j * inv_q, 0, one)
    (a, b), (c, d) = _split(s_hi), _split(t_hi)
    product = (s_hi * t_hi) * one
    error = ((a * c - product) + a * d + b * c) + b * d  # s_hi t_hi - product, exactly
    low = error + (s_hi * t_lo + s_lo * (t_hi + t_lo))
    s, t = s_hi + s_lo, t_hi + t_lo
    empty = 1 - support_mask(s)  # an empty row's difference is 0 - C, as it would be rounded
    q, col = 1 / inv_q, t / inv_q
    difference = ((scaled_rows * inv_q - product) - low) * q / (s + empty) - empty * col
    return s / inv_p, col, difference


@keeps_input_precision
def conditional_entropy(joint: ArrayLike, *, base: Base = None) -> jax.Array:
    r"""Conditional entropy of the row variable given the column one, :math:`H(C \mid X)`.

    .. math:: H(C \mid X) = -\sum_{i,j} P(i, j) \log P(i \mid j) = H(C, X) - H(X)

    Computed as :math:`\sum_{i,j} P(i, j) \log(1 + O(i, j) / P(i, j))` with :math:`O(i, j)` the
    mass of the other rows in column ``j`` (summed from those masses at the column's largest
    entry, the column sum minus the entry elsewhere): every term is non-negative and relatively
    accurate, so the value is too, also where C is nearly determined by X and the column sum
    rounds the other rows' mass away. Gradients are finite
    wherever the value is: at an entry that is 0, the derivative leaves out its own term's
    slope (``+inf`` from the right). Convention 0 log 0 = 0.

    Args:
      joint: ``joint[i, j] = P(C = i, X = j)``.
      base: logarithm base; ``None`` for nats, ``2`` for bits.

    Returns:
      H(C | X) >= 0, a scalar. Transpose ``joint`` for :math:`H(X \mid C)`.

    References:
      Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, eq. (2.10).

    Example:
      >>> import divergences as dv
      >>> float(dv.conditional_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))
      1.0
    """
    check_base(base)
    j = _check_joint(joint)
    return _conditional_entropy(j, log_of_base(base, j.dtype))


@jax.jit
def _conditional_entropy(j: jax.Array, log_base: jax.Array) -> jax.Array:
    return _conditional_entropy_nats(j) / log_base


def _conditional_entropy_nats(j: jax.Array) -> jax.Array:
    # sum P(i,j) log(P(j) / P(i,j)) = sum P(i,j) log1p(O(i,j) / P(i,j)), with O(i,j) the mass of
    # the other rows in column j: non-negative terms, each relatively accurate given O. O is
    # P(j) - P(i,j) except at the column's largest entry, where it is the sum of the others: the
    # rounded column sum P(j) loses an O far below P(i,j), and log(P(j) / P(i,j)) with it
    # (H(C | X) of [[1, 0], [1e-20, 0]] came out 2% low). Any other entry is at most P(j) / 2,
    # so its difference keeps the relative accuracy of the sum. (Summing the rows above and
    # below each entry by cumulative sums is as accurate and slower: benchmarks/history-to-2026-11-25.md,
    # "Notes moved from the code".)
    # The terms are homogeneous of degree one in the joint, and one of them can lie below the
    # normal range (flushed to 0 by XLA) where the total does not: [[1, 0], [0, t], [0, t]] with
    # t the smallest normal number has H = 2 t log 2 from two terms t log 2. So every entry is
    # upscaled first, and the sum divided back (numerics.upscaled_sum).
    return upscaled_sum(_conditional_entropy_terms, j, axis=None)


def _conditional_entropy_terms(j: jax.Array) -> jax.Array:
    """The terms ``P(i,j) log1p(O(i,j) / P(i,j))`` of :func:`_conditional_entropy_nats`."""
    top = jax.nn.one_hot(jnp.argmax(j, axis=0), j.shape[0], dtype=j.dtype, axis=0)
    col = jnp.sum(j, axis=0, keepdims=True)
    others_of_top = jnp.sum(j * (1 - top), axis=0, keepdims=True)
    other_rows = (col - j) * (1 - top) + others_of_top * top
    return xlog1p_ratio(j, other_rows)


@keeps_input_precision
def inception_score(conditionals: ArrayLike, weights: ArrayLike | None = None) -> jax.Array:
    r"""Inception score :math:`\exp\,\mathbb{E}_x \mathrm{KL}(p(y \mid x) \,\|\, p(y))`.

    ``conditionals[n, k] = p(y = k | x_n)`` are a classifier's class probabilities on generated
    samples :math:`x_n` (with probabilities ``weights``, uniform by default) and
    :math:`p(y) = \mathbb{E}_x\, p(y \mid x)` is their mean. The exponent is the mutual
    information :math:`I(y; x)`, so :math:`1 \le \mathrm{IS} \le K` for K classes: 1 when every
    sample gets the same class distribution, K when each sample is classified with certainty
    and the classes are used equally.

    Args:
      conditionals: ``(N, K)``, each row a pmf over the K classes.
      weights: ``(N,)`` probabilities of the samples; uniform when None.

    Range: in [1, K] for every accepted input; conditionals or weights accepted within the sum
    tolerance ``t`` could move the exponent out of [0, log K] by about ``t (1 + log K)``, and it
    is held in it.

    Returns:
      The score, a scalar in [1, K].

    References:
      Salimans et al., *Improved Techniques for Training GANs*, NeurIPS 2016, sec. 4;
      Barratt & Sharma, *A Note on the Inception Score*, 2018 (the bounds).

    Example:
      >>> import numpy as np, divergences as dv
      >>> round(float(dv.inception_score(np.eye(3))), 6)  # confident and balanced: K = 3
      3.0
    """
    c = as_float_array(conditionals, "conditionals")
    if c.ndim != 2:
        raise ValueError(f"conditionals must be a 2-D array (N, K), got shape {c.shape}")
    n = c.shape[0]
    if n == 0:
        raise ValueError(
            "conditionals has no rows (an empty batch); the Inception score needs at least one "
            "sample"
        )
    c = check_pmf(c, "conditionals", axis=-1, precision=half_precision(conditionals))
    if weights is None:
        w = (jnp if is_traced(c) else np).full((n,), 1.0 / n, dtype=c.dtype)
    else:
        w = check_pmf(weights, "weights")
        if w.shape != (n,):
            raise ValueError(f"weights must have shape ({n},) to match conditionals, got {w.shape}")
    if not is_traced(c) and not np.isfinite(np.asarray(c)).all():
        raise ValueError("conditionals must be finite")
    return _inception_score(c, w)


@jax.jit
def _inception_score(c: jax.Array, w: jax.Array) -> jax.Array:
    joint = w[:, None] * c
    marginal = jnp.broadcast_to(jnp.sum(joint, axis=0, keepdims=True), c.shape)
    # I(y; x) = sum_n w_n sum_k c_nk log(c_nk / p_k): the ratio is taken as c / p, not as
    # joint / (w p), whose denominator underflows to 0 for tiny weights while the joint does not.
    info = xlog_ratio_sum(joint.reshape(-1), c.reshape(-1), marginal.reshape(-1), 0)
    # The exponent is I(y; x), in [0, log K] for pmfs; conditionals and weights accepted within
    # the sum tolerance t could move it out by about t (1 + log K): held in that range.
    return jnp.exp(into_range(info, 0.0, math.log(c.shape[1])))
