r"""Rounding that can be bounded, in XLA: tree sums, outward steps, and enclosed dot products.

The device solvers certify their bounds in the input's dtype, inside the compiled program, by
the same argument as the host's :mod:`~divergences.wasserstein._src.host.certify` (which encloses
its sums exactly with ``math.fsum`` and Fractions, a luxury XLA does not have). Here every
floating-point operation is taken to satisfy the standard model with underflow,

.. math:: \mathrm{fl}(a \circ b) = (a \circ b)(1 + \delta) + \eta, \quad
   |\delta| \le u, \quad |\eta| \le \lambda,

for :math:`\circ \in \{+, -, \times\}` and the square root, with :math:`u = 2^{-p}` the unit
roundoff (:math:`2^{-24}` in float32, :math:`2^{-53}` in float64) and :math:`\lambda` the
smallest normal number: the term that covers flushing subnormal results and inputs to zero, as
XLA does on CPUs and GPUs. A fused multiply-add rounds once where the model counts two, which
only tightens the bounds below. Nothing here relies on ``exp`` or ``log`` being accurate: they
make the plan and the potentials, and the bounds hold for whatever values those have.

* :func:`tree_sum` adds along an axis in a fixed binary tree (pairs of halves, zero padding to
  a power of two), so that the sum of :math:`N` terms has
  :math:`|\hat S - \sum_k t_k| \le \gamma_h \sum_k |t_k| + 2 N \lambda` with
  :math:`h = \lceil \log_2 N \rceil` and :math:`\gamma_h = h u / (1 - h u)` (Higham, *Accuracy
  and Stability of Numerical Algorithms*, 2002, Sec. 4.2). XLA's own reductions promise no
  order, which leaves :math:`\gamma_{N - 1}`: 6% of the sum for a million float32 terms, where
  the tree gives :math:`1.2 \times 10^{-6}`. The tree is also the same sequence of elementwise
  additions whatever the batch axes around it, so ``vmap`` does not reorder a sum (the
  elementwise ``exp`` and ``log`` of a batched program may still round differently).
* :func:`up` and :func:`down` step one float outward (``jnp.nextafter``): applied to the rounded
  result of one operation in the normal range, they give a float on the right side of the exact
  one. Each bound adds a few :math:`\lambda` for results that may have been flushed.
* :func:`nonneg_sum_upper` and :func:`dot_lower` turn a tree sum into a bound on the exact sum.

Every constant (:math:`1/(1 - \gamma_h)`, ...) is computed exactly with Fractions when the
program is traced and rounded up to a float of the dtype (:func:`ceil_float`), so that XLA
reads it without a rounding of its own.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.scaling import ceil_float, tiny, unit_roundoff

__all__ = [
    "ceil_float",
    "depth",
    "dot_lower",
    "down",
    "gamma",
    "nonneg_sum_upper",
    "tree_sum",
    "up",
]


def gamma(k: int, dtype: Any) -> Fraction:
    r""":math:`\gamma_k = k u / (1 - k u)`, exactly."""
    u = unit_roundoff(dtype)
    return k * u / (1 - k * u)


def depth(count: int) -> int:
    r"""The depth :math:`\lceil \log_2 N \rceil` of :func:`tree_sum` over ``count`` terms."""
    return max(int(count) - 1, 0).bit_length()


def up(t: jax.Array) -> jax.Array:
    """The next float above ``t``.

    The exact result of the operation that rounded to ``t`` lies below it, where ``t`` is normal.
    """
    return jnp.nextafter(t, jnp.asarray(jnp.inf, t.dtype))


def down(t: jax.Array) -> jax.Array:
    """The next float below ``t``."""
    return jnp.nextafter(t, jnp.asarray(-jnp.inf, t.dtype))


def tree_sum(t: jax.Array, axis: int = -1) -> jax.Array:
    r"""The sum along ``axis`` in a fixed binary tree: the first half plus the second, repeatedly.

    The slices are zero padded to a power of two (adding an exact zero is exact). The error is
    within :math:`\gamma_{\lceil \log_2 N \rceil}` of the sum of magnitudes (see the module's
    docstring). Slices along ``axis`` itself: no transposition.
    """
    axis = axis % t.ndim
    count = t.shape[axis]
    size = 1 << depth(count)
    if size > count:
        shape = list(t.shape)
        shape[axis] = size - count
        t = jnp.concatenate([t, jnp.zeros(shape, t.dtype)], axis=axis)
    while t.shape[axis] > 1:
        half = t.shape[axis] // 2
        t = lax.slice_in_dim(t, 0, half, axis=axis) + lax.slice_in_dim(t, half, 2 * half, axis=axis)
    return lax.index_in_dim(t, 0, axis=axis, keepdims=False)


def nonneg_sum_upper(total: jax.Array, levels: int, count: int, *, products: bool) -> jax.Array:
    r"""An upper bound on the exact sum of ``count`` non-negative terms, given their tree sum ``total``.

    :math:`\sum_k t_k` of :math:`N` = ``count`` terms, from ``total``, their tree sum of depth
    ``levels`` (a tree of trees: the sum of the depths).

    With :math:`\hat S \ge (1 - \gamma_h) \sum_k t_k - 2 N \lambda`,
    :math:`\sum_k t_k \le (\hat S + 2 N \lambda) / (1 - \gamma_h)`. Where the terms summed are
    rounded products :math:`\tilde p_k` of exact ones :math:`p_k \ge 0` (``products=True``),
    :math:`p_k \le (\tilde p_k + \lambda) / (1 - u)` as well.
    """
    dt = total.dtype
    g = gamma(levels, dt)
    slack = 2 * count * tiny(dt)
    kappa = 1 / (1 - g)
    if products:
        kappa /= 1 - unit_roundoff(dt)
        slack += count * tiny(dt)
    k = ceil_float(kappa, dt)
    s = ceil_float(slack * kappa, dt)
    return up(up(total * k) + s)


def dot_lower(w: jax.Array, t: jax.Array) -> jax.Array:
    r"""A lower bound on the exact :math:`\sum_k w_k t_k` (1-D, any signs), in their dtype.

    With the products :math:`\tilde p_k = \mathrm{fl}(w_k t_k)` tree-summed to :math:`\hat S`
    and their magnitudes to :math:`\hat A` (depth :math:`h`),

    .. math::
       \Big|\hat S - \sum_k w_k t_k\Big| \le \frac{u / (1 - u) + \gamma_h}{1 - \gamma_h}
       \,(\hat A + 2 N \lambda) + 4 N \lambda,

    the products' rounding and the sum's, each within the standard model.
    """
    dt = t.dtype
    count = t.shape[0]
    p = w * t
    s = tree_sum(p)
    a = tree_sum(jnp.abs(p))
    g = gamma(depth(count), dt)
    u = unit_roundoff(dt)
    kappa = (u / (1 - u) + g) / (1 - g)
    lam = tiny(dt)
    slack = kappa * 2 * count * lam + 4 * count * lam
    err = up(up(a * ceil_float(kappa, dt)) + ceil_float(slack, dt))
    return down(s - err)
