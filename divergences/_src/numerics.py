r"""Zero-safe, gradient-safe, fast and relatively accurate kernels for the log quantities.

The cost model behind every choice here (XLA on CPU; the measurements are in
benchmarks/README.md, "Notes moved from the code"): an elementwise computation ending in a sum is
compiled into one fused loop only if every operation in it is one that fusion supports: ``+ - *
/``, ``log``, ``log1p``, ``exp``, ``abs``, ``floor``, ``ceil``, ``min``, ``max``, ``sqrt``. A
comparison, a ``select`` (``jnp.where``), a clamp, integer or bit operations, an optimisation
barrier, or a loop of more than about 60 operations split it into separate loops that write
their intermediates to memory, several times slower. Inside the fused loop the count of
operations is the cost.

**Conventions.** A term with zero mass is zero (``0 log 0 = 0``, ``0 log(0/0) = 0``); a term with
``p > 0 = q`` in KL or cross-entropy is ``+inf``. Masses below the dtype's smallest normal number
count as 0 (XLA flushes subnormals).

**KL.** The sum is ``sum q phi(p/q)`` with ``phi(t) = t log t - t + 1 >= 0``, that is
``sum p log(p/q) - p + q``: every term is non-negative, so the result is never negative, also for
masses whose totals differ by a rounding (it is then Csiszar's I-divergence, which differs from
``sum p log(p/q)`` by ``sum q - sum p``; for totals that are equal it is KL). Each term is
evaluated to within 4.1 ulp (measured against mpmath over t = p/q from e^-6 to e^6 and masses
from 1e-300 to 1, float64 and float32), by one of two formulas chosen per element without a
comparison, ``z = min(floor(3|u|), 1)``, ``term = (1 - z) near + z far``:

* ``near`` (``|u| < 1/3`` with ``u = (p - q)/(p + q)``, i.e. ``1/2 < p/q < 2``): the term is
  ``s u^2 (1 + u (1 + u) B(u^2))`` with ``s = p + q`` and ``atanh(u) = u + u^3 B(u^2)``. Here
  ``p - q`` is exact (Sterbenz), ``u`` is within an ulp, ``u (1 + u) B`` lies in [-0.08, 0.16], so
  no step cancels. ``B`` is a degree-10 fit (float64) or 8 Taylor terms (float32).
* ``far``: ``p log(max(p/q, tiny)) - (p - q)``; for ``p/q`` outside [1/2, 2] the two parts are at
  most 3.6 times their difference. ``p/q`` cannot overflow: both masses are at least ``tiny``.

The blend is ``(1 - z) near + z far`` rather than ``near + z (far - near)``: the difference of
two nearly equal tiny terms can underflow. For the same reason the exact kernels run on the
masses times ``2^512`` (float64; ``2^64`` in float32) and divide the sum back: KL and JS are
homogeneous of degree one, and a term below the normal range (XLA flushes it to 0) can matter
where the total is normal.

**JS.** Twice JS is ``sum s/2 j(u)`` with ``j(u) = (1+u) log(1+u) + (1-u) log(1-u) >= 0``. For
``|u| < 1/2``: ``j = u (log1p(u) - log1p(-u)) + log1p(-u^2)``, ``~ 2u^2 - u^2`` (at most half
cancels); for ``|u| >= 1/2`` the defining form. Measured within 5.0 ulp per term. XLA's float64
``log1p`` is off by up to 120 ulp near -0.41 on CPU, so :func:`accurate_log1p` is used.

**Fast paths, certified.** Those exact kernels take about 60 fused operations per element. The
defining sums take 6 (KL: ``p log(max(p/q, tiny)) - (p - q)``) or about 10 (JS): they are computed
first, and returned when the rounding bound says they are accurate. Their absolute error is at
most about ``eps (1/2 + 2 KL + 2 sum |p - q|)`` (the rounding of ``p/q``, of the logarithm and of
the products; ``|p log(p/q)| <= term + |p - q|``), and Pinsker's inequality gives
``sum |p - q| <= sqrt(2 KL)``, so the relative error is at most ``eps (0.5/KL + 2.83/sqrt(KL) + 2)``:
below 16 ulp for ``KL >= 0.1`` (:data:`KL_FAST_THRESHOLD`); likewise ``2 JS >= 0.2``
(:data:`JS_FAST_THRESHOLD`). Below the threshold, or where the fast sum is NaN (``p = q = 0``,
``0/0``), one ``lax.cond`` runs the next kernel.

**Short series, certified.** Below the thresholds the inputs are most often near-identical
(every ``|u| < 2^-8``, :data:`NEAR_U`): there the near formulas above need only their first
terms (KL: ``B`` to ``v^2`` in float64, ``B = 1/3`` in float32; JS: ``j(u) = v (1 + v/6 +
v^2/15 + v^3/28)`` in float64, ``v (1 + v/6)`` in float32), 15 to 20 fused operations and no
logarithm. The certificate is summed with
the value: each point adds ``floor(v / NEAR_U^2)``, 0 where it is near and at least 1 where it
is not, so a sum below 1 is the series' value (the true one is below 0.2 here) and a sum of 1 or
more sends the batch entry on to the exact kernel. Near-identical inputs thus cost the fast
pass plus a pass a third of the exact kernel's (measured in ``benchmarks/``), with each term to
within 2 ulp (against mpmath). The measured errors of the fast paths are far
below the bound (a few ulp); the tests hold every path to 32 ulp against mpmath.

**Entropy, cross-entropy** are ``-sum p log max(p, tiny)`` and ``-sum p log q``: every term is
non-negative and nothing cancels; the logarithm is taken of the mass itself, never of a rounded
reciprocal (``log(1/q)`` carries half an ulp of absolute error, most of the value near ``q = 1``).

**One builder.** The five reductions (:func:`xlog_ratio_sum`, :func:`kl_sum`, :func:`js_sum`,
:func:`cross_entropy_sum` and the entropy under :func:`entropy_sum`) are each a list of certified
kernels, an exact one, and the partial derivatives, put together by :func:`certified_sum`; the
zero-mass ``x log(y/z)`` is :func:`xlog_ratio` alone, in this package.

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

__all__ = [
    "JS_FAST_THRESHOLD",
    "KL_FAST_THRESHOLD",
    "accurate_log1p",
    "cross_entropy_sum",
    "entropy_sum",
    "into_range",
    "js_sum",
    "kl_sum",
    "kl_terms",
    "log_of_base",
    "order_key",
    "ratio",
    "safe_sqrt",
    "support_mask",
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
    stages: Sequence[tuple[Kernel, Accept]], exact: Kernel, arrays: Sequence[jax.Array], axis: int
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
        arrays = jnp.broadcast_arrays(*arrays)
        out = _first_accepted(fast, exact, arrays, axis)
        return out if finish is None else finish(out, *arrays, axis)

    value.__name__ = name
    value.__doc__ = doc
    reduction = jax.custom_jvp(value, nondiff_argnums=(arity,))

    def jvp(axis: int, primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
        arrays = jnp.broadcast_arrays(*primals)
        directions = jnp.broadcast_arrays(*tangents)
        parts = [d * c for d, c in zip(directions, coefficients(*arrays), strict=True)]
        return reduction(*arrays, axis), jnp.sum(functools.reduce(operator.add, parts), axis=axis)

    reduction.defjvp(jvp)
    return jax.jit(reduction, static_argnums=arity)


# ---------------------------------------------------------------------------------------------
# x log(y / z): the one zero-safe log-ratio kernel.
# ---------------------------------------------------------------------------------------------


def _log_ratio_on(m: jax.Array, y: jax.Array, z: jax.Array) -> jax.Array:
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
    return _log_ratio_on(mlog, y, z), (x / ys) * m, -(x / zs) * m


@jax.custom_jvp
def xlog_ratio(x: jax.Array, y: jax.Array, z: jax.Array) -> jax.Array:
    """Elementwise ``x log(y / z)`` with 0 where ``x = 0``: select-free and gradient-safe.

    Conventions: 0 where ``x = 0`` (whatever ``y`` and ``z``), ``+inf`` where ``x > 0 = z``,
    ``-inf`` where ``x > 0 = y``. The value takes the quotient (accurate near ``y = z``); the
    derivative is :func:`_xlog_ratio_coefficients`.
    """
    return x * _log_ratio_on(support_mask(x), y, z)


@xlog_ratio.defjvp
def _xlog_ratio_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    cx, cy, cz = _xlog_ratio_coefficients(*primals)
    dx, dy, dz = tangents
    return xlog_ratio(*primals), dx * cx + dy * cy + dz * cz


def _xlog_ratio_fast(x: jax.Array, y: jax.Array, z: jax.Array, axis: int) -> jax.Array:
    tiny = jnp.finfo(x.dtype).tiny
    return jnp.sum(x * jnp.log(jnp.maximum(y / z, tiny)), axis=axis)


def _not_nan(value: jax.Array) -> jax.Array:
    return ~jnp.isnan(value)


xlog_ratio_sum = certified_sum(
    arity=3,
    fast=[(_xlog_ratio_fast, _not_nan)],
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


def _horner(v: jax.Array, coefficients: tuple[float, ...]) -> jax.Array:
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
_ATANH_TAIL = {
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
    return x * accurate_log1p((o * m) / _safe_denominator(x * m))


@xlog1p_ratio.defjvp
def _xlog1p_ratio_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    x, o = primals
    dx, do = tangents
    m = support_mask(x)
    xs = _safe_denominator(x * m)
    # x / (x + o) and o / (x + o), each as its own quotient (1 minus the other loses a tiny one);
    # both 0 off the support.
    total = xs + o * m
    log_term = accurate_log1p((o * m) / xs)
    value = x * log_term
    return value, dx * (log_term - (o * m) / total) * m + do * (x * m) / total


def _safe_denominator(x: jax.Array) -> jax.Array:
    """``x`` where ``x > 0`` and 1 where ``x = 0``: a divisor that never makes 0/0."""
    return x + (1 - support_mask(x))


def _kl_terms_exact(p: jax.Array, q: jax.Array) -> jax.Array:
    r"""Elementwise :math:`q\,\varphi(p/q) = p \log(p/q) - p + q`, relatively accurate, select-free.

    Near ``p = q`` (``|u| < 1/3`` with ``u = (p - q)/(p + q)``, that is ``1/2 < p/q < 2``) the term is
    ``s u^2 (1 + u (1 + u) B(u^2))`` with ``s = p + q``: ``p - q`` is exact there (Sterbenz), every
    factor is positive or close to 1, and nothing cancels. Elsewhere it is ``p log(p/q) - (p - q)``,
    whose two parts are at most a factor 3.6 larger than their difference. The switch is the number
    ``z = min(floor(3|u|), 1)``, arithmetic rather than a comparison, so that XLA fuses it.
    Conventions: 0 where ``p = q = 0``, ``q`` where ``p = 0``, ``+inf`` where ``q = 0 < p``.
    """
    tiny = jnp.finfo(p.dtype).tiny
    mp, mq = support_mask(p), support_mask(q)
    s = p + q
    d = p - q
    u = d / _safe_denominator(s)  # 0 where p = q = 0
    v = u * u
    near = s * v * (1 + u * (1 + u) * _horner(v, _ATANH_TAIL[np.dtype(p.dtype)]))
    far = p * jnp.log(jnp.maximum(p / _safe_denominator(q), tiny)) - d  # finite everywhere
    z = jnp.minimum(jnp.floor(3 * jnp.abs(u)), 1)
    term = (1 - z) * near + z * far  # not near + z (far - near): the difference can underflow
    infinite = mp * (1 - mq)  # 1 exactly where q = 0 < p
    return term + infinite / (1 - infinite)  # + inf there, + 0 elsewhere


def _kl_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(d/dp, d/dq)`` of ``p log(p/q) - p + q``: ``log(p/q)`` and ``1 - p/q``, zero-mass safe.

    Where ``p = 0`` the derivative in ``p`` (``-inf``, one-sided) is replaced by 0, the derivative
    along the face of the simplex; the one in ``q`` is 1 (the term is ``q`` there). Where
    ``q = 0 < p`` the value is ``inf`` and the coefficients are finite but carry no meaning.
    """
    mp = support_mask(p)
    ps = _safe_denominator(p)
    qs = _safe_denominator(q)
    return mp * jnp.log(ps / qs), 1 - p / qs


@jax.custom_jvp
def kl_terms(p: jax.Array, q: jax.Array) -> jax.Array:
    r"""Elementwise generalized KL terms :math:`p \log(p/q) - p + q \ge 0`, each relatively accurate.

    For building sums with weights (mutual information); :func:`kl_sum` is the fast reduction.
    """
    p, q = jnp.broadcast_arrays(p, q)
    return _kl_terms_exact(p, q)


@kl_terms.defjvp
def _kl_terms_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    p, q = jnp.broadcast_arrays(*primals)
    dp, dq = jnp.broadcast_arrays(*tangents)
    cp, cq = _kl_coefficients(p, q)
    return kl_terms(p, q), dp * cp + dq * cq


#: The fast KL sum is returned when it is at least this (nats): there its error is below 8 ulp.
KL_FAST_THRESHOLD = 0.1
#: Likewise for twice the Jensen-Shannon divergence (:func:`js_sum`).
JS_FAST_THRESHOLD = 0.2


def _kl_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    tiny = jnp.finfo(p.dtype).tiny
    return jnp.sum(p * jnp.log(jnp.maximum(p / q, tiny)) - (p - q), axis=axis)


def _upscale(x: jax.Array) -> float:
    """A power of two to multiply the masses by before the exact kernels, and divide the sum by.

    KL and JS are homogeneous of degree one in ``(p, q)``, and XLA flushes subnormal numbers: a
    term below the smallest normal number (``1e-300 (1.22e-4)^2``, say) would count as 0 even
    where the total is normal. Scaled by ``2^512`` (float64) or ``2^64`` (float32) every term of
    masses at or above ``tiny`` stays normal, and the largest masses (1) stay far from overflow.
    """
    return 2.0**512 if x.dtype == np.float64 else 2.0**64


#: The short series below are exact to the ulp where every ``|u| = |p - q|/(p + q)`` is below this.
NEAR_U = 2.0**-8

# KL: atanh(u) = u + u^3 B(u^2) with B(v) = 1/3 + v/5 + v^2/7 + ...; for v < 2^-16 the terms left
# out move the term by at most |u| v^3/9 < 2^-59 relative (float64), |u| v/5 < 2^-26 (float32,
# where B is its first term: a tenth of an ulp).
_KL_NEAR_TAIL = {
    np.dtype(np.float64): (1.0 / 3, 1.0 / 5, 1.0 / 7),
    np.dtype(np.float32): (1.0 / 3,),
}
# JS: j(u) = (1+u) log(1+u) + (1-u) log(1-u) = v (1 + v/6 + v^2/15 + v^3/28 + ...), the k-th
# coefficient 1/(k (2k - 1)); the first left out is below v^4/45 < 2^-66 (float64), v^2/15 < 2^-35
# (float32).
_JS_NEAR_SERIES = {
    np.dtype(np.float64): (1.0 / 6, 1.0 / 15, 1.0 / 28),
    np.dtype(np.float32): (1.0 / 6,),
}


def _series(v: jax.Array, coefficients: tuple[float, ...]) -> Any:
    """:func:`_horner`, or the constant itself for a single coefficient (no operation at all)."""
    return coefficients[0] if len(coefficients) == 1 else _horner(v, coefficients)


def _near_u(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """``(s, u, v, flag)`` for the short series: ``s = p + q``, ``u = (p - q)/s``, ``v = u^2``.

    ``flag`` is 0 where ``|u| < NEAR_U`` and at least 1 elsewhere (``floor(v / NEAR_U^2)``), so that
    a sum of terms plus flags is the series' value when every point is near and at least 1 when
    some point is not: the certificate travels in the sum itself, and the loop stays one fused
    loop (no comparison). ``max(s, tiny)`` makes ``u = 0`` where ``p = q = 0``; ``q = 0 < p``
    gives ``u = 1``, a far point.
    """
    s = p + q
    u = (p - q) / jnp.maximum(s, jnp.finfo(p.dtype).tiny)
    v = u * u
    return s, u, v, jnp.floor(v * (1.0 / NEAR_U**2))


def _kl_near_sum(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """KL by the short series where every ``|u| < NEAR_U``; at least 1 where some point is not.

    The term is ``s u^2 (1 + u (1 + u) B(u^2))`` as in :func:`_kl_terms_exact`, with ``B`` cut to
    the terms that matter for ``|u| < NEAR_U``: about 20 fused operations and no logarithm, where
    the exact kernel takes 60 and two logarithms. Run on the upscaled masses, like the exact one.
    """
    scale = _upscale(p)
    p, q = p * scale, q * scale
    s, u, v, flag = _near_u(p, q)
    b = _series(v, _KL_NEAR_TAIL[np.dtype(p.dtype)])
    return jnp.sum(s * v * (1 + u * (1 + u) * b) + flag * scale, axis=axis) / scale


def _js_near_sum(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """Twice JS by its series ``s/2 v (1 + v/6 + ...)`` where every ``|u| < NEAR_U``; else >= 1."""
    scale = _upscale(p)
    p, q = p * scale, q * scale
    s, _, v, flag = _near_u(p, q)
    series = 1 + v * _series(v, _JS_NEAR_SERIES[np.dtype(p.dtype)])
    return jnp.sum((0.5 * s) * v * series + flag * scale, axis=axis) / scale


def _at_least(threshold: float) -> Accept:
    """Accepts a fast sum at or above ``threshold`` (or ``+inf``); refuses NaN (``0/0``).

    At or above the threshold the fast sum's rounding error, of the order of
    ``eps * sum |p - q|``, is small against the value.
    """
    return lambda value: value >= threshold


def _series_certified(near: jax.Array) -> jax.Array:
    """Accepts a short series' sum below 1 (every point near).

    The series runs below the fast paths' thresholds only, where the true value is below 0.2: a
    sum of 1 or more is the certificate failing, never a value.
    """
    return near < 1


def _kl_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """The sum of :func:`_kl_terms_exact`, on the upscaled masses (:func:`_upscale`)."""
    scale = _upscale(p)
    return jnp.sum(_kl_terms_exact(p * scale, q * scale), axis=axis) / scale


kl_sum = certified_sum(
    arity=2,
    fast=[(_kl_fast, _at_least(KL_FAST_THRESHOLD)), (_kl_near_sum, _series_certified)],
    exact=_kl_exact,
    coefficients=_kl_coefficients,
    name="kl_sum",
    doc=r"""``sum(p log(p/q) - p + q, axis)``: KL for masses summing to one, never negative.

    Fast path: ``p log(max(p/q, tiny)) - (p - q)`` summed, six fused operations per element,
    returned where the sum is at least :data:`KL_FAST_THRESHOLD`; then the short series where its
    certificate holds (:func:`_kl_near_sum`); otherwise (``p = q = 0`` somewhere, ``q = 0 < p``,
    neither certified) the sum of :func:`kl_terms`. The derivative is
    :func:`_kl_coefficients`.
    """,
)


def _js_terms_exact(p: jax.Array, q: jax.Array) -> jax.Array:
    r"""Elementwise ``p log(2p/s) + q log(2q/s)`` (``s = p + q``), relatively accurate, select-free.

    With ``u = (p - q)/s`` the term is ``s/2 j(u)``, ``j(u) = (1+u) log(1+u) + (1-u) log(1-u)``.
    For ``|u| < 1/2``, ``j = u (log1p(u) - log1p(-u)) + log1p(-u^2)``: the first part is
    ``2 u atanh(u) ~ 2u^2`` (two logarithms of opposite signs, added), the second ``~ -u^2``, so at
    most half of the first cancels. For ``|u| >= 1/2`` the defining form, where the two parts are
    at most 3.7 times their sum. ``u`` is kept in ``[-1 + eps/2, 1 - eps/2]`` so that the
    logarithms stay finite; where ``p = 0`` that changes ``0 * log(...)`` only, which is 0.
    """
    s = p + q
    u = (p - q) / _safe_denominator(s)  # 0 where p = q = 0
    edge = 1 - float(jnp.finfo(p.dtype).epsneg)
    # One-sided floors (u <= 1 always): a max and a min together would become a clamp, which XLA
    # does not fuse on CPU.
    a = accurate_log1p(jnp.maximum(u, -edge))
    b = accurate_log1p(jnp.maximum(-u, -edge))
    v = u * u
    near = u * (a - b) + accurate_log1p(-jnp.minimum(v, 0.25))
    far = (1 + u) * a + (1 - u) * b
    z = jnp.minimum(jnp.floor(2 * jnp.abs(u)), 1)
    return 0.5 * s * ((1 - z) * near + z * far)


def _js_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    tiny = jnp.finfo(p.dtype).tiny
    s = p + q  # not halved: (p + q) / 2 underflows for masses near the dtype's tiny
    return jnp.sum(
        p * jnp.log(jnp.maximum(2 * p / s, tiny)) + q * jnp.log(jnp.maximum(2 * q / s, tiny)),
        axis=axis,
    )


def _js_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """The sum of :func:`_js_terms_exact`, on the upscaled masses (:func:`_upscale`)."""
    scale = _upscale(p)
    return jnp.sum(_js_terms_exact(p * scale, q * scale), axis=axis) / scale


def _js_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(d/dp, d/dq)`` of ``p log(2p/s) + q log(2q/s)``, ``s = p + q``, zero-mass safe.

    On the support of ``p``: ``log(2p/s) + 1 - p/s - q/s = log(2p/s)``. Off it the ``p``-term is
    held at 0 and only the ``q``-term moves: ``-q/s``, which is -1 where ``q > 0`` and 0 where
    ``q = 0`` too. Likewise for ``q``.
    """
    s = p + q
    mp, mq = support_mask(p), support_mask(q)
    coef_p = _log_ratio_on(mp, 2 * p, s) - (1 - mp) * mq
    coef_q = _log_ratio_on(mq, 2 * q, s) - (1 - mq) * mp
    return coef_p, coef_q


js_sum = certified_sum(
    arity=2,
    fast=[(_js_fast, _at_least(JS_FAST_THRESHOLD)), (_js_near_sum, _series_certified)],
    exact=_js_exact,
    coefficients=_js_coefficients,
    name="js_sum",
    doc=r"""Twice the Jensen-Shannon divergence in nats, ``sum(p log(2p/s) + q log(2q/s))``, s = p + q.

    Every term is non-negative, so no normalisation is needed for the sign. Fast path: the
    defining sum (two divisions, two logarithms), returned where it is at least
    :data:`JS_FAST_THRESHOLD`; then the short series where its certificate holds; otherwise the
    sum of :func:`_js_terms_exact`.
    """,
)


def safe_sqrt(x: jax.Array) -> jax.Array:
    """``sqrt(x)`` for ``x >= 0`` whose derivative at 0 is 0 (a subgradient) instead of inf."""
    m = support_mask(x)
    return m * jnp.sqrt(x + (1 - m))


def log_of_base(base: Any, dtype: Any) -> Any:
    """``log(base)`` to divide a value in nats by; 1 for ``base=None`` (nats)."""
    if base is None:
        return 1.0
    if isinstance(base, (int, float)):
        return math.log(base)
    return jnp.log(jnp.asarray(base, dtype=dtype))


def _entropy_fast(p: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log p, axis)`` with ``0 log 0 = 0``: ``max(p, tiny)`` inside the logarithm."""
    tiny = jnp.finfo(p.dtype).tiny
    return -jnp.sum(p * jnp.log(jnp.maximum(p, tiny)), axis=axis)


def _entropy_coefficients(p: jax.Array) -> tuple[jax.Array]:
    """The entropy's derivative, ``-(log p + 1)`` on the support and 0 at ``p = 0``.

    At ``p = 0`` the one-sided ``-inf`` is replaced by 0, the derivative along the face of the
    simplex.
    """
    m = support_mask(p)
    return (-m * (jnp.log(p + (1 - m)) + 1),)


_entropy_sum = certified_sum(
    arity=1,
    exact=_entropy_fast,
    coefficients=_entropy_coefficients,
    name="_entropy_sum",
    doc="``-sum(p log p, axis)`` with ``0 log 0 = 0`` (:func:`_entropy_fast`), no NaN.",
)


def _entropy_in_range(p: jax.Array, axis: int) -> jax.Array:
    """:func:`_entropy_sum` moved into ``[0, log n]``, its range for a pmf of ``n`` masses.

    Masses accepted within the sum tolerance ``t`` can leave it: a single mass ``1 + t`` has
    ``H = -(1 + t) log(1 + t) < 0``, ``n`` masses ``(1 + t)/n`` have ``H = log n + t (log n - 1) +
    O(t^2)``; the value is moved by at most ``t (1 + log n)``, the entropy of a pmf within the
    tolerance of the input.
    """
    return into_range(_entropy_sum(p, axis), 0.0, math.log(p.shape[axis]))


#: ``-sum(p log p, axis)`` in ``[0, log n]`` (see :func:`_entropy_in_range`).
entropy_sum = jax.jit(_entropy_in_range, static_argnums=1)


def _cross_entropy_fast(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log q, axis)`` as written: NaN where ``p = q = 0``."""
    return -jnp.sum(p * jnp.log(q), axis=axis)


def _cross_entropy_exact(p: jax.Array, q: jax.Array, axis: int) -> jax.Array:
    """``-sum(p log q, axis)``, masked: 0 where ``p = 0``, ``+inf`` where ``q = 0 < p``."""
    mp, mq = support_mask(p), support_mask(q)
    # log 1 = 0 where p = q = 0; log 0 = -inf where q = 0 < p.
    return -jnp.sum(p * jnp.log(q + (1 - mq) * (1 - mp)), axis=axis)


def _cross_entropy_coefficients(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The cross-entropy's derivatives: ``(-log q, -p/q)``, zero-mass safe.

    ``-log q`` also at ``p = 0`` (the sum is linear in ``p``), and 0 where ``q = 0`` too; ``-p/q``
    is 0 where ``p = 0``.
    """
    mp, mq = support_mask(p), support_mask(q)
    qs = q + (1 - mq)
    return -mq * jnp.log(qs), -mp * p / qs


cross_entropy_sum = certified_sum(
    arity=2,
    fast=[(_cross_entropy_fast, _not_nan)],
    exact=_cross_entropy_exact,
    coefficients=_cross_entropy_coefficients,
    finish=lambda value, p, q, axis: jnp.maximum(value, _entropy_in_range(p, axis)),
    name="cross_entropy_sum",
    doc="""``-sum(p log q, axis)``: 0 where ``p = 0``, ``+inf`` where ``q = 0 < p``; at least ``H(p)``.

    ``-p log q``, not ``p log(1/q)``: the rounding of ``1/q`` costs up to half an ulp of absolute
    error in the logarithm, which is most of the value where ``q`` is near 1. Every term is
    non-negative for ``q <= 1``, so the sum is relatively accurate. NaN (``0 log 0``) sends the
    sum to the masked kernel. ``H(p, q) - H(p) = sum p log(p/q)`` is ``>= 0`` for pmfs but can be
    ``-log(sum q / sum p) ~ -2t`` for masses accepted within the sum tolerance ``t``: the value is
    at least :func:`_entropy_in_range` (the same kernel as :func:`entropy_sum`), moved by at most
    that.
    """,
)
