r"""Zero-safe, gradient-safe, fast and relatively accurate kernels for the log quantities.

The cost model behind every choice here (XLA on CPU; the measurements are in
benchmarks/history-to-2026-11-25.md, "Notes moved from the code"): an elementwise computation ending in a sum is
compiled into one fused loop only if every operation in it is one that fusion supports: ``+ - *
/``, ``log``, ``log1p``, ``exp``, ``abs``, ``floor``, ``ceil``, ``min``, ``max``, ``sqrt``. A
comparison, a ``select`` (``jnp.where``), a clamp, integer or bit operations, an optimisation
barrier, or a loop of more than about 60 operations split it into separate loops that write
their intermediates to memory, several times slower. Inside the fused loop the count of
operations is the cost.

**Conventions.** A term with zero mass is zero (``0 log 0 = 0``, ``0 log(0/0) = 0``); a term with
``p > 0 = q`` in KL or cross-entropy is ``+inf``. Masses below the dtype's smallest normal number
count as 0 on every backend: XLA's CPU reads them so, and elsewhere the builders set them to 0
where they enter (:func:`~divergences._src.precision.flush_subnormals`, nothing on the CPU). On
the CPU every result and intermediate below it is 0 too, on every instruction set (a product whose
exact value lies under ``tiny`` is flushed even where it rounds up to ``tiny``). A sum of terms
homogeneous of degree one in the masses is therefore taken on the masses times a power of two and
divided back (:func:`upscaled_sum`): its terms below the normal range count where the total is
normal.

**One builder.** The five reductions (:func:`xlog_ratio_sum` here; ``kl_sum``, ``js_sum``,
``cross_entropy_sum`` and the entropy under ``entropy_sum`` in :mod:`divergences._src.log_sums`)
are each a list of certified kernels, an exact one, and the partial derivatives, put together by
:func:`certified_sum`; the zero-mass ``x log(y/z)`` is :func:`xlog_ratio` alone, in this package.

**Gradients**: custom JVPs with the masks ``m = min(ceil(x), 1)`` (1 on the support, 0 off it;
arithmetic, not a comparison). KL's value is ``sum p log(p/q) - p + q`` everywhere, so its
gradient is ``log(p/q)`` in ``p`` and ``1 - p/q`` in ``q`` (the textbook ``log(p/q) + 1`` and
``-p/q`` shifted by constant vectors: equal along the simplex). Convention: where ``p = 0`` the
one-sided derivative in ``p`` (``-inf``) is replaced by 0, the derivative along the face of the
simplex that the support spans; in ``q`` it is 1 (the term is ``q`` there). For
``x log(y/z)`` (the general kernel) a zero-mass term is held at 0. Quotients whose denominator
can be tiny are differentiated as ``(da - (a/b) db)/b`` (:func:`ratio`), never through ``b^2``.

Why not the obvious formulations: ``x * log(y / z)`` gives ``0 * -inf = NaN`` at zero mass and
loses every digit near ``y = z``; ``jnp.where(x > 0, ..., 0)`` needs a second ``where`` for the
gradient and stops the fusion (``jax.scipy.special.rel_entr`` is built that way);
``log(x + eps)`` changes every small mass.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.precision import flush_subnormals

__all__ = [
    "ATANH_TAIL",
    "Accept",
    "accurate_log1p",
    "certified_sum",
    "flush_floor",
    "horner",
    "into_range",
    "log_of_base",
    "log_ratio_on",
    "not_nan",
    "order_key",
    "ratio",
    "safe_denominator",
    "safe_sqrt",
    "support_mask",
    "upscale",
    "upscaled_root",
    "upscaled_sum",
    "xlog_ratio",
    "xlog_ratio_sum",
]


_INT_OF_WIDTH = {2: jnp.int16, 4: jnp.int32, 8: jnp.int64}


def order_key(x: jax.Array) -> jax.Array:
    """Floats as integers of the same width and in the same order: exact on every CPU.

    The bit pattern, with the magnitude bits flipped for negative numbers (two's complement then
    orders them the right way round): ``order_key(a) < order_key(b)`` exactly when ``a < b``, for
    finite floats, with ``-0.0`` one below ``+0.0``. Integers are compared as they are on every
    CPU, where XLA's CPU code may treat subnormal floats as 0 depending on the instruction set
    (``-2e-311 < 0`` false), and XLA sorts them several times faster than floats.
    """
    itype = _INT_OF_WIDTH[x.dtype.itemsize]
    bits = lax.bitcast_convert_type(x, itype)
    magnitude = jnp.array(jnp.iinfo(itype).max, itype)
    return jnp.where(bits < 0, bits ^ magnitude, bits)


def support_mask(x: jax.Array) -> jax.Array:
    """1 where ``x > 0`` and 0 where ``x == 0``, for ``x >= 0``, without a comparison.

    ``ceil`` maps (0, 1] to 1 and 0 to 0; ``min`` caps larger masses at 1. Both vectorise on every
    backend, where ``(x > 0).astype(...)`` lowers to a select on XLA CPU. The mask carries no
    gradient.
    """
    return lax.stop_gradient(jnp.minimum(jnp.ceil(x), 1))


def into_range(value: jax.Array, lo: float, hi: float) -> jax.Array:
    """``value`` moved into ``[lo, hi]`` (ends at +-inf are no bound); NaN stays NaN.

    For a documented range that masses accepted within the sum tolerance (used as they are) could
    leave by about that tolerance; each caller states by how much at most. A select on the reduced
    value, not on the elements: it costs nothing, and the gradient is 0 where the value is moved
    and passes unchanged elsewhere (at a tie too).
    """
    if lo > -math.inf:
        value = jnp.where(value < lo, jnp.asarray(lo, value.dtype), value)
    if hi < math.inf:
        value = jnp.where(value > hi, jnp.asarray(hi, value.dtype), value)
    return value


def abs_subgradient(x: jax.Array) -> jax.Array:
    """``|x|`` whose derivative is ``sign(x)``: the subgradient 0 at ``x = 0``.

    Written ``x * sign(x)`` with the sign held constant: the same value as ``jnp.abs``, whose
    derivative at 0 is the one-sided 1.
    """
    return x * lax.stop_gradient(jnp.sign(x))


# ---------------------------------------------------------------------------------------------
# The reduction builder: a fast sum, certified, with exact fallbacks and a hand-written JVP.
# ---------------------------------------------------------------------------------------------

#: A kernel of a reduction: ``kernel(*arrays, axis)``, the sums along ``axis``.
Kernel = Callable[..., jax.Array]
#: Whether a kernel's sums are accepted: True (or 1) where they are, per sum.
Accept = Callable[[jax.Array], jax.Array]


def _first_accepted(
    stages: Sequence[tuple[Kernel, Accept]],
    exact: Kernel,
    arrays: Sequence[jax.Array],
    axis: int | None,
) -> jax.Array:
    """The first stage's sums where it accepts them, the next stage's (recursively) elsewhere.

    One ``lax.cond`` per stage for the whole batch: the next stage runs only if some sum needs
    it, and then its sums replace only those (a select on the reduced values, not the elements),
    so that a row gets the same value alone and in a batch.
    """
    if not stages:
        return exact(*arrays, axis)
    (kernel, accept), rest = stages[0], stages[1:]
    value = kernel(*arrays, axis)
    ok = accept(value)
    return lax.cond(
        jnp.all(ok),
        lambda: value,
        lambda: jnp.where(ok, value, _first_accepted(rest, exact, arrays, axis)),
    )


def certified_sum(
    *,
    arity: int,
    exact: Kernel,
    coefficients: Callable[..., tuple[jax.Array, ...]],
    fast: Sequence[tuple[Kernel, Accept]] = (),
    finish: Callable[..., jax.Array] | None = None,
    name: str,
    doc: str,
) -> Callable[..., jax.Array]:
    r"""A reduction ``f(*arrays, axis)`` with certified fast paths and a hand-written derivative.

    The value is that of the first of ``fast`` whose ``accept`` holds, else of ``exact``
    (:func:`_first_accepted`), then ``finish(value, *arrays, axis)`` if given. The derivative is

    .. math:: df = \sum_{\text{axis}} \sum_k c_k \, dx_k, \qquad
       (c_1, \dots, c_n) = \text{coefficients}(x_1, \dots, x_n),

    the arrays and their tangents broadcast together first. Why each part:

    * **fast paths**: on XLA CPU a sum is one fused loop only while its operations are few and
      free of selects and comparisons (module docstring); the defining sum is such a loop, and a
      bound on its rounding error says where it is accurate. ``exact`` is select-free too but
      several times longer; it runs under ``lax.cond`` only when some sum is refused.
    * **custom JVP**: differentiating through the stages would differentiate masks and clamps
      (``0 * inf = NaN`` at zero mass) and the branch taken, not the function; the conventions
      at zero mass (the derivative along the face of the simplex) are chosen, not derived; and
      the coefficients are one more elementwise pass, fused into the sum.
    * **finish**: a move of the value into its documented range (a rounding of the input's
      tolerance, not part of the function): the tangent is that of the unmoved sum.
    * **jit**: the result is compiled once per shape (``axis`` static), so that an eager call
      costs one dispatch, not one per operation.

    Args:
      arity: the number of array arguments; ``axis`` follows them.
      exact: the kernel that is always right.
      coefficients: ``coefficients(*arrays)``, the elementwise partial derivatives, one per
        array, finite everywhere.
      fast: ``(kernel, accept)`` pairs, tried in turn.
      finish: optional, ``finish(value, *arrays, axis)``.
      name: the function's ``__name__``.
      doc: its docstring.

    Returns:
      The jitted reduction.
    """

    def value(*args: Any) -> jax.Array:
        *arrays, axis = args
        arrays = [flush_subnormals(a) for a in jnp.broadcast_arrays(*arrays)]
        out = _first_accepted(fast, exact, arrays, axis)
        return out if finish is None else finish(out, *arrays, axis)

    value.__name__ = name
    value.__doc__ = doc
    reduction = jax.custom_jvp(value, nondiff_argnums=(arity,))

    def jvp(axis: int, primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
        arrays = [flush_subnormals(a) for a in jnp.broadcast_arrays(*primals)]
        directions = jnp.broadcast_arrays(*tangents)
        parts = [d * c for d, c in zip(directions, coefficients(*arrays), strict=True)]
        return reduction(*arrays, axis), jnp.sum(functools.reduce(operator.add, parts), axis=axis)

    reduction.defjvp(jvp)
    return jax.jit(reduction, static_argnums=arity)


# ---------------------------------------------------------------------------------------------
# Sums of terms homogeneous of degree one, taken above the subnormal range.
# ---------------------------------------------------------------------------------------------


def upscale(x: jax.Array) -> float:
    """The power of two that the masses are multiplied by before a sum of degree-one terms.

    ``2^512`` in float64, ``2^64`` in float32: a term of masses at or above ``tiny`` is then
    normal (a term is at least its masses times ``eps^2``), a term that is a few times its masses
    stays far from overflow (masses of 1 become ``2^512``), and the square root of the scale is
    a power of two too, for the distances that are roots of such sums.
    """
    return 2.0**512 if x.dtype == np.float64 else 2.0**64


def flush_floor(x: jax.Array) -> float:
    """``tiny / eps^2`` of ``x``'s dtype: a sum below it may have lost terms flushed to 0.

    ``n`` flushed terms are below ``n tiny``, that is ``n eps^2`` of a sum at or above this floor.
    """
    info = jnp.finfo(x.dtype)
    return float(info.tiny / info.eps**2)


def upscaled_sum(
    term: Callable[..., jax.Array],
    *masses: jax.Array,
    axis: int | None,
    bounded: bool = True,
    given: tuple[jax.Array, ...] = (),
) -> jax.Array:
    r"""``sum(term(*masses), axis)`` for a non-negative term homogeneous of degree one.

    .. math:: \sum_i t(x_i, y_i) = \frac{1}{s} \sum_i t(s x_i, s y_i), \qquad s = 2^{512}
       \ \text{(float64)}, \ 2^{64} \ \text{(float32)}

    (:func:`upscale`). Why: XLA on CPU flushes every subnormal result to 0, so a term below the
    smallest normal number ``tiny`` (``p log(p/q) - p + q`` at ``p = 1.5 tiny, q = tiny``; the
    difference ``p - q`` of total variation there) or a product whose exact value lies just under
    ``tiny`` (``14/29 * (tiny / (14/29))``) would count as 0 where the total is normal. A power of
    two moves every such term into the normal range and the division moves the sum back, both
    exactly; the derivative of a term of degree one is of degree zero, the same on both scales.

    ``bounded`` says that each term is at most a fixed multiple of its masses (KL, JS, total
    variation, Hellinger, conditional entropy), so that the upscaled terms cannot overflow: one
    multiplication per mass, in the same fused loop. A term that can be large against its masses
    (chi-square's ``(p - q)^2 / q``, up to ``1 / tiny``) is summed as it is first, and upscaled
    only where that sum is below ``tiny / eps^2`` (where every term is, so the upscaled ones
    cannot overflow), by one ``lax.cond`` on the sums (:func:`_first_accepted`).

    Args:
      term: ``term(*masses)``, elementwise.
      *masses: the arrays, broadcast together.
      axis: the axis summed over; None for all.
      bounded: whether the term is at most a fixed multiple of its masses.
      given: arrays passed to ``term`` after the masses as they are (the discriminator of the GAN
        value, or the row terms that the mutual information weights by the rows' masses: the
        term is linear in the masses); bounded terms only.

    Returns:
      The sums.
    """
    masses = tuple(flush_subnormals(x) for x in jnp.broadcast_arrays(*masses))

    def upscaled(*xs: Any) -> jax.Array:
        *arrays, ax = xs
        return _upscaled(term, ax, False, len(arrays), *arrays, *given)

    if bounded:
        return upscaled(*masses, axis)
    if given:
        raise ValueError("given arrays are for bounded terms only")
    small = flush_floor(masses[0])

    def plain(*xs: Any) -> jax.Array:
        *arrays, ax = xs
        return jnp.sum(term(*arrays), axis=ax)

    return _first_accepted([(plain, lambda value: value >= small)], upscaled, masses, axis)


def upscaled_root(term: Callable[..., jax.Array], *masses: jax.Array, axis: int) -> jax.Array:
    r"""``sqrt(sum(term(*masses), axis))`` for a bounded term of :func:`upscaled_sum`.

    The root of the sum on the upscaled masses divided by the root of the scale (a power of two,
    exact): a distance that is the root of such a sum (Hellinger, Jensen-Shannon) is then normal
    and relatively accurate where its square is below the normal range. The derivative is
    ``dS / (2 sqrt S)``, and 0 where the sum is 0 (a subgradient at ``p = q``).
    """
    arrays = [flush_subnormals(x) for x in jnp.broadcast_arrays(*masses)]
    return _upscaled(term, axis, True, len(arrays), *arrays)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2, 3))
def _upscaled(
    term: Callable[..., jax.Array], axis: int | None, root: bool, count: int, *arrays: jax.Array
) -> jax.Array:
    """The sum of ``term`` on the first ``count`` arrays times :func:`upscale`, divided back.

    Or its root. The derivative in the masses is the term's at the upscaled masses, along their
    tangents as they are: of degree zero, it is the same on both scales, and no cotangent of a
    mass is divided by the scale (which would take a small one below the normal range). The
    derivative in the other arrays is of degree one in the masses: it is taken at the masses as
    they are, where it is the true one, not at the upscaled masses divided back, which overflows
    where the true one is large (``p / d`` of the GAN value at ``p = 5e-85, d = 1e-300`` is
    ``5e215``, and ``5e215 * 2^512`` is ``inf``) and underflows where it is small.
    """
    scale = upscale(arrays[0])
    total = jnp.sum(term(*_scaled(arrays, count, scale)), axis=axis)
    return jnp.sqrt(jnp.maximum(total, 0)) * (1 / math.sqrt(scale)) if root else total / scale


def _scaled(arrays: Sequence[jax.Array], count: int, scale: float) -> tuple[jax.Array, ...]:
    return (*(a * scale for a in arrays[:count]), *arrays[count:])


@_upscaled.defjvp
def _upscaled_jvp(
    term: Callable[..., jax.Array],
    axis: int | None,
    root: bool,
    count: int,
    primals: Any,
    tangents: Any,
) -> tuple[jax.Array, jax.Array]:
    scale = upscale(primals[0])
    masses, given = primals[:count], primals[count:]
    values, slopes = jax.jvp(
        lambda *xs: term(*xs, *given),
        tuple(x * scale for x in masses),
        tuple(tangents[:count]),
    )
    total, slope = jnp.sum(values, axis=axis), jnp.sum(slopes, axis=axis)
    if given:
        _, given_slopes = jax.jvp(
            lambda *gs: term(*masses, *gs), tuple(given), tuple(tangents[count:])
        )
        slope = slope + jnp.sum(given_slopes, axis=axis)
    if not root:
        return total / scale, slope
    value = jnp.sqrt(jnp.maximum(total, 0)) * (1 / math.sqrt(scale))
    m = support_mask(value)
    return value, slope * (m / (2 * value + (1 - m)))


# ---------------------------------------------------------------------------------------------
# x log(y / z): the one zero-safe log-ratio kernel.
# ---------------------------------------------------------------------------------------------


def log_ratio_on(m: jax.Array, y: jax.Array, z: jax.Array) -> jax.Array:
    """``log(y / z)`` where ``m = 1``, 0 where ``m = 0``; select-free.

    Off the mask both are replaced by 1. A quotient that underflows (below the smallest normal
    number, flushed to 0 on XLA CPU) is held there, where ``y > 0``: ``log`` would be ``-inf``;
    ``y = 0`` keeps ``-inf``. The callers' quotients are at least ``tiny / (1 + sqrt(eps))``
    (the f-divergence terms, where ``y >= x`` and ``z`` is a mass) or the hold is the fast sum's
    too (:func:`xlog_ratio_sum`).
    """
    off = 1 - m
    ym = y * m + off
    r = ym / (z * m + off)
    return jnp.log(jnp.maximum(r, jnp.minimum(ym, jnp.finfo(r.dtype).tiny)))


def _xlog_ratio_coefficients(
    x: jax.Array, y: jax.Array, z: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The partial derivatives of ``x log(y/z)`` (zero mass held at 0): ``(log(y/z), x/y, -x/z)``.

    ``log(y/z)`` is kept in ``x`` off the support of ``x`` too, where ``y, z > 0`` (finite), 0
    where ``y`` or ``z`` is 0 too; ``x/y`` and ``x/z`` are 0 off the support. Never through
    ``y / z^2``, which underflows for masses near the smallest normal number while ``x / z`` is
    finite.
    """
    m = support_mask(x)
    mlog = jnp.maximum(m, support_mask(y) * support_mask(z))
    off = 1 - mlog
    ys, zs = y * mlog + off, z * mlog + off
    return log_ratio_on(mlog, y, z), (x / ys) * m, -(x / zs) * m


@jax.custom_jvp
def xlog_ratio(x: jax.Array, y: jax.Array, z: jax.Array) -> jax.Array:
    """Elementwise ``x log(y / z)`` with 0 where ``x = 0``: select-free and gradient-safe.

    Conventions: 0 where ``x = 0`` (whatever ``y`` and ``z``), ``+inf`` where ``x > 0 = z``,
    ``-inf`` where ``x > 0 = y``. The value takes the quotient (accurate near ``y = z``); the
    derivative is :func:`_xlog_ratio_coefficients`.
    """
    return x * log_ratio_on(support_mask(x), y, z)


@xlog_ratio.defjvp
def _xlog_ratio_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    cx, cy, cz = _xlog_ratio_coefficients(*primals)
    dx, dy, dz = tangents
    return xlog_ratio(*primals), dx * cx + dy * cy + dz * cz


def _xlog_ratio_fast(x: jax.Array, y: jax.Array, z: jax.Array, axis: int) -> jax.Array:
    tiny = jnp.finfo(x.dtype).tiny
    return jnp.sum(x * jnp.log(jnp.maximum(y / z, tiny)), axis=axis)


def not_nan(value: jax.Array) -> jax.Array:
    return ~jnp.isnan(value)


xlog_ratio_sum = certified_sum(
    arity=3,
    fast=[(_xlog_ratio_fast, not_nan)],
    exact=lambda x, y, z, axis: jnp.sum(xlog_ratio(x, y, z), axis=axis),
    coefficients=_xlog_ratio_coefficients,
    name="xlog_ratio_sum",
    doc="""``sum(x * log(y / z), axis)`` under the conventions of this module.

    Fast path: the sum with the quotient held at ``tiny`` (NaN only from ``0/0``); where it is
    NaN, the sum of :func:`xlog_ratio`.

    Args:
      x: weights, ``x >= 0``, typically probability masses.
      y: numerators, with ``y > 0`` wherever ``x > 0``.
      z: denominators, ``z >= 0``; ``z = 0 < x`` makes the sum ``+inf``.
      axis: the axis summed over.

    Returns:
      The sum, with ``0`` terms where ``x = 0`` and ``+inf`` where ``x > 0 = z``.
    """,
)


# ---------------------------------------------------------------------------------------------
# Kullback-Leibler and Jensen-Shannon: relative accuracy near p = q (see the module docstring).
# ---------------------------------------------------------------------------------------------


def horner(v: jax.Array, coefficients: tuple[float, ...]) -> jax.Array:
    """``sum_j coefficients[j] * v**j`` by Horner's rule (all arithmetic that XLA fuses)."""
    # Started as v * c_n + c_(n-1), not from a broadcast constant, which XLA would not fuse.
    acc = v * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        acc = acc * v + c
    return acc


# atanh(u) = u + u^3 B(u^2), B(v) = sum_j v^j / (2j + 3), needed for v = u^2 <= 1/9. float64: a
# degree-10 near-minimax fit (mpmath.chebyfit of B on [0, 1/9 (1 + 1/64)] at 120 bits; largest
# relative error 4.4e-18): the 16 Taylor terms that the same accuracy needs make the kernel too
# large for one fused loop. float32: 8 Taylor terms, the first one left out below 2^-27 of the sum.
ATANH_TAIL = {
    np.dtype(np.float64): (
        0.3333333333333333,
        0.19999999999999718,
        0.14285714285813841,
        0.11111111097404712,
        0.09090910056411287,
        0.07692268135413656,
        0.06667672781710854,
        0.0586602341041445,
        0.05431575284624098,
        0.03706147539273881,
        0.078904562829069,
    ),
    np.dtype(np.float32): tuple(1.0 / (2 * j + 3) for j in range(8)),
}


def accurate_log1p(x: jax.Array) -> jax.Array:
    """``log(1 + x)`` for ``x > -1`` to about 1 ulp, from ``log`` and a first-order correction.

    XLA's float64 ``log1p`` on CPU is off by up to 120 ulp near ``x = -0.41`` (measured against
    mpmath). Here ``w = fl(1 + x)`` and ``c = x - (w - 1)`` is the rounding error of ``w``, exactly
    (``w - 1`` is exact for ``w`` in [1/2, 2] and ``c`` is representable), so
    ``log(1 + x) = log(w) + log(1 + c/w) = log(w) + c/w`` up to ``(c/w)^2 <= eps^2``. For
    ``|x| < eps/2``, ``w = 1`` and the result is ``x``. Six fused operations, no select.
    """
    # XLA's simplifier rewrites (1 + x) - 1 as x, which would drop the correction: the 1 is
    # computed from x (min(ceil(|x| + 1/2), 1) = 1 always), so that it is no known constant there.
    one = jnp.minimum(jnp.ceil(jnp.abs(x) + 0.5), 1)
    w = one + x
    return jnp.log(w) + (x - (w - one)) / w


@jax.custom_jvp
def ratio(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a / b`` whose derivative is ``(da - (a/b) db) / b``.

    JAX differentiates a quotient as ``da / b - a db / b^2``, and ``b^2`` underflows to 0 for
    ``b`` below ``1e-154`` (float64) while ``a / b`` is perfectly representable: that gave NaN
    gradients of mutual information at a joint with a 1e-200 entry.
    """
    return a / b


@ratio.defjvp
def _ratio_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    a, b = primals
    da, db = tangents
    out = a / b
    return out, (da - out * db) / b


@jax.custom_jvp
def xlog1p_ratio(x: jax.Array, o: jax.Array) -> jax.Array:
    """Elementwise ``x * log1p(o / x)`` = ``x log((x + o) / x)`` for ``x, o >= 0``; 0 where ``x = 0``.

    With ``o`` given rather than ``x + o``: where ``o`` is far below ``x`` the rounded sum
    ``x + o`` loses it, and ``log`` of the rounded quotient with it, while ``log1p(o / x)`` keeps
    its relative accuracy. The derivative is taken in the same form
    (``d = (log1p(o/x) - o/(x + o)) dx + x/(x + o) do``), since JAX's chain rule through
    ``o / x`` squares ``x`` and overflows for ``x`` near the smallest normal number; off the
    support of ``x`` it is 0.
    """
    m = support_mask(x)
    return x * accurate_log1p((o * m) / safe_denominator(x * m))


@xlog1p_ratio.defjvp
def _xlog1p_ratio_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    x, o = primals
    dx, do = tangents
    m = support_mask(x)
    xs = safe_denominator(x * m)
    # x / (x + o) and o / (x + o), each as its own quotient (1 minus the other loses a tiny one);
    # both 0 off the support.
    total = xs + o * m
    log_term = accurate_log1p((o * m) / xs)
    value = x * log_term
    return value, dx * (log_term - (o * m) / total) * m + do * ((x * m) / total)


def safe_denominator(x: jax.Array) -> jax.Array:
    """``x`` where ``x > 0`` and 1 where ``x = 0``: a divisor that never makes 0/0."""
    return x + (1 - support_mask(x))


def safe_sqrt(x: jax.Array) -> jax.Array:
    """``sqrt(x)`` for ``x >= 0`` whose derivative at 0 is 0 (a subgradient) instead of inf.

    The root is of ``max(x, 1 - m)``, not of ``x + (1 - m)``: XLA reassociates the sum with a
    known ``x`` into ``(x + 1) - m``, which is 0 for ``x`` below ``eps`` (``jax.jit`` of a
    closure over masses gave ``js_distance`` 0 for 3.8e-82).
    """
    m = support_mask(x)
    return m * jnp.sqrt(jnp.maximum(x, 1 - m))


def log_of_base(base: Any, dtype: Any) -> Any:
    """``log(base)`` to divide a value in nats by; 1 for ``base=None`` (nats)."""
    if base is None:
        return 1.0
    if isinstance(base, (int, float)):
        return math.log(base)
    return jnp.log(jnp.asarray(base, dtype=dtype))
