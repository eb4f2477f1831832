r"""Wasserstein-1 on the line by the CDF formula: jittable, vmappable, differentiable, no LP.

One code path, and not the runner's: after the validation it shares with
:func:`~divergences.w1_primal` (:func:`~._src.discrete_measures.check_measures`: the same rules, the same
errors eagerly and under ``dv.checked``), an eager call and a traced one run the same jitted
program, :func:`_w1_1d_program`, so they give the same value (the same bits on the CPU; another
backend may compile a traced call's program to round differently); input that broke a rule gives NaN
under a trace, as the runner's methods do. The runner (:mod:`._src.runner`) is for a problem solved
on the host or by an iterative device solver: a status, a certificate, a plan and a potential,
a derivative attached from the optimum. A closed form in XLA has none of these, and as a
registry method it would become a method of ``w1_primal`` and ``w1_dual``, whose plan and
potential it does not compute. Its one host step is a sort (NumPy's, on a CPU past a few
thousand points): a callback inside the program that cannot fail and sorts a ``vmap`` batch in
one call, which the runner's ``on_host`` (a status, a message, one call per batch element)
would only slow down.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.array_types import ArrayLike
from divergences._src.float_environment import with_ieee_arithmetic
from divergences._src.numerics import abs_subgradient, order_key
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.device.scaled_costs import (
    magnitude_bits,
    scaled_out,
    scaled_points,
)
from divergences.wasserstein._src.discrete_measures import (
    check_measures,
    exact_astype,
    value_with_derivative,
)
from divergences.wasserstein._src.pairwise import times_power_of_two

__all__ = ["w1_1d"]


# XLA:CPU sorts integers several times faster than floats (the float comparator has to order
# NaNs and signed zeros) and a lone key much faster than a key with payloads: finite floats are
# sorted by their order keys (divergences._src.numerics.order_key).


def _from_order_key(k: jax.Array, dtype: Any) -> jax.Array:
    magnitude = jnp.array(jnp.iinfo(k.dtype).max, k.dtype)
    return lax.bitcast_convert_type(jnp.where(k < 0, k ^ magnitude, k), dtype)


def _xla_argsort(x: jax.Array) -> jax.Array:
    iota = lax.iota(jnp.int32, x.shape[0])
    return lax.sort((order_key(x), iota), num_keys=1, is_stable=True)[1]


def _xla_sort(x: jax.Array) -> jax.Array:
    return _from_order_key(jnp.sort(order_key(x)), x.dtype)


#: From this many points on, a sort on a CPU runs in NumPy on the host, through a callback:
#: XLA:CPU's sort is several times slower than NumPy's, which outweighs the callback's fixed
#: cost past a few thousand points (the crossover measured: ``benchmarks/history-to-2026-11-25.md``).
HOST_SORT_MIN = 8192
#: The same for the stable sorting permutation (the weighted path, and the derivatives), whose
#: XLA form (a sort of keys with a payload) is slower still, so NumPy wins on shorter arrays.
HOST_ARGSORT_MIN = 2048


def _host_sort(x: jax.Array) -> jax.Array:
    # "expand_dims": under vmap one call sorts the whole batch, row by row. In IEEE mode: under
    # XLA's denormals-are-zero a comparison takes every subnormal for 0.
    return jax.pure_callback(
        with_ieee_arithmetic(lambda t: np.sort(np.asarray(t), axis=-1)),
        jax.ShapeDtypeStruct(x.shape, x.dtype),
        x,
        vmap_method="expand_dims",
    )


def _host_argsort(x: jax.Array) -> jax.Array:
    return jax.pure_callback(
        # NumPy arrays first: np.argsort would call a jax.Array's own argsort (XLA again).
        with_ieee_arithmetic(
            lambda t: np.argsort(np.asarray(t), axis=-1, kind="stable").astype(np.int32)
        ),
        jax.ShapeDtypeStruct(x.shape, jnp.int32),
        x,
        vmap_method="expand_dims",
    )


def _on_host_if_cpu(x: jax.Array, host: Any, xla: Any, smallest: int) -> jax.Array:
    """``host(x)`` on a CPU for at least ``smallest`` points, else ``xla(x)``.

    The platform is chosen when the computation is lowered (``lax.platform_dependent``), not
    from the default backend at trace time: a GPU or TPU keeps XLA's own sort.
    """
    if x.shape[0] < smallest:
        return xla(x)
    return lax.platform_dependent(x, cpu=host, default=xla)


def _argsort(x: jax.Array) -> jax.Array:
    """The stable sorting permutation of finite floats.

    Piecewise constant: no derivative, and none asked of the callback.
    """
    return _on_host_if_cpu(lax.stop_gradient(x), _host_argsort, _xla_argsort, HOST_ARGSORT_MIN)


@jax.custom_jvp
def _sort(x: jax.Array) -> jax.Array:
    """``jnp.sort`` for finite floats: NumPy's on a CPU, XLA's through integer keys elsewhere.

    The permutation is used only for derivatives.
    """
    return _on_host_if_cpu(x, _host_sort, _xla_sort, HOST_SORT_MIN)


@_sort.defjvp
def _sort_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    (x,), (t,) = primals, tangents
    perm = _argsort(x)
    return x[perm], t[perm]


def _computed_wide(dtype: Any) -> bool:
    """Whether arithmetic on ``dtype`` is done in float64: float32 when JAX has float64."""
    return jnp.dtype(dtype) == jnp.float32 and bool(jax.config.read("jax_enable_x64"))


def _placed(sx: jax.Array, sy: jax.Array, count: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Sorted points (ascending) ready for the arithmetic, and the exponent to scale back by.

    float32 is cast to float64 from its bits (:func:`~._src.discrete_measures.exact_astype`): the sort runs
    on 32-bit keys, and no subnormal meets XLA's flush to zero. W1 is positively homogeneous, so
    the points are then scaled by the power of two :func:`_level_exponent` (exact), a subnormal
    point read from its bits (:func:`~._src.device.scaled_costs.scaled_points`) wherever the
    scaling goes up by at least the mantissa's width, which it does unless a point reaches about
    1e285 (float64; 1e24 in float32 without x64): XLA's arithmetic would read it as 0. Each
    scaled point carries the derivative of the plain product.
    """
    if _computed_wide(sx.dtype):
        sx, sy = exact_astype(sx, jnp.float64), exact_astype(sy, jnp.float64)
    ends = lax.stop_gradient(jnp.stack([sx[0], sx[-1], sy[0], sy[-1]]))
    e = _level_exponent(ends, count)
    return _scaled(sx, e), _scaled(sy, e), e


def _scaled(x: jax.Array, e: jax.Array) -> jax.Array:
    """``x * 2^-e``, subnormals read from their bits, with the product's derivative."""
    return value_with_derivative(scaled_points(x, e), times_power_of_two(x, -e))


def _scaled_back(w: jax.Array, e: jax.Array, dtype: Any) -> jax.Array:
    """``w * 2^e`` in ``dtype``: exact, or rounded to nearest from its bits below the normal range.

    :func:`~._src.device.scaled_costs.scaled_out` builds a subnormal result from its bits (XLA's
    arithmetic would flush it to 0); float64 for float32 input is then rounded, from its bits,
    into float32.
    """
    w = value_with_derivative(
        scaled_out(lax.stop_gradient(w), e, "nearest"), times_power_of_two(w, e)
    )
    if w.dtype == jnp.dtype(dtype):
        return w
    return value_with_derivative(_round_to_float32(lax.stop_gradient(w)), w.astype(dtype))


@jax.jit
def _uniform_distance(x: jax.Array, y: jax.Array) -> jax.Array:
    r"""Uniform weights: :math:`\int_0^1 |Q_x(s) - Q_y(s)| ds` with the quantile functions.

    :math:`Q_x` jumps at the levels :math:`i/n`, :math:`Q_y` at :math:`j/m`. In units of
    :math:`1/(nm)` these are the integers :math:`im` and :math:`jn`, merged without a sort:
    the level :math:`im` has :math:`\lfloor (im - 1)/n \rfloor` levels :math:`jn` below it.
    Between consecutive merged levels both quantile functions are constant.
    """
    n, m = x.shape[0], y.shape[0]
    itype = jnp.int64 if n * m >= 2**31 else jnp.int32
    i = jnp.arange(1, n + 1, dtype=itype)
    j = jnp.arange(1, m + 1, dtype=itype)
    level_x, level_y = i * m, j * n
    merged = jnp.zeros((n + m,), itype)
    merged = merged.at[i - 1 + (level_x - 1) // n].set(level_x, unique_indices=True)
    merged = merged.at[j - 1 + level_y // m].set(level_y, unique_indices=True)
    lengths = jnp.diff(merged, prepend=jnp.zeros((1,), itype))
    sx, sy, e = _placed(_sort(x), _sort(y), n * m)
    qx = sx[(merged + m - 1) // m - 1]
    qy = sy[(merged + n - 1) // n - 1]
    w = jnp.sum(lengths.astype(qx.dtype) * abs_subgradient(qx - qy)) / (n * m)
    return _scaled_back(w, e, x.dtype)


@jax.jit
def _equal_size_distance(x: jax.Array, y: jax.Array) -> jax.Array:
    r"""W1 of uniform weights with :math:`n = m`: two sorts and a mean.

    Both quantile functions jump at the levels :math:`i/n`, so :math:`W_1 = \frac1n \sum_i |x_{(i)}
    - y_{(i)}|`.
    """
    sx, sy, e = _placed(_sort(x), _sort(y), x.shape[0] * y.shape[0])
    return _scaled_back(jnp.sum(abs_subgradient(sx - sy)) / x.shape[0], e, x.dtype)


@jax.jit
def _cdf_distance(x: jax.Array, y: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
    r"""General weights: :math:`\sum_k |F_x(t_k) - F_y(t_k)| (t_{k+1} - t_k)` over pooled points."""
    n, m = x.shape[0], y.shape[0]
    values = jnp.concatenate([x, y])
    # One stable sort of the pooled points; each measure's weights follow the permutation.
    # Two cumulative sums (rather than one signed sum) make identical measures give exactly 0:
    # both CDFs are then the same sums of the same numbers, interleaved with zeros.
    perm = _argsort(values)
    pooled, _, e = _placed(values[perm], values[perm][:1], n + m)
    if _computed_wide(a.dtype):
        a, b = exact_astype(a, jnp.float64), exact_astype(b, jnp.float64)
    mass_x = jnp.concatenate([a, jnp.zeros((m,), a.dtype)])[perm]
    mass_y = jnp.concatenate([jnp.zeros((n,), b.dtype), b])[perm]
    cdf_gap = jnp.cumsum(mass_x)[:-1] - jnp.cumsum(mass_y)[:-1]
    return _scaled_back(jnp.sum(abs_subgradient(cdf_gap) * jnp.diff(pooled)), e, x.dtype)


def w1_1d(
    u_values: ArrayLike,
    v_values: ArrayLike,
    u_weights: ArrayLike | None = None,
    v_weights: ArrayLike | None = None,
) -> jax.Array:
    r"""Wasserstein-1 distance on the line, the jittable path with no LP.

    .. math:: W_1(u, v) = \int_{\mathbb{R}} |F_u(t) - F_v(t)|\, dt
       = \sum_k |F_u(t_k) - F_v(t_k)|\,(t_{k+1} - t_k)

    over the sorted pooled points :math:`t_k` (the CDFs are step functions): one sort and two
    cumulative sums. Uniform weights take the quantile form :math:`\int_0^1 |Q_u - Q_v|`, for
    ``n = m`` the mean of :math:`|u_{(i)} - v_{(i)}|`. Works under ``jit``, ``vmap`` and
    ``grad`` (at ties the derivative of :math:`|\cdot|` is 0, a subgradient). Long arrays are
    sorted by NumPy on a CPU, by XLA elsewhere. The points are scaled by a power of two (exact,
    subnormals read from their bits) so that no gap or sum overflows or leaves the normal range:
    the value is inf only where :math:`W_1` exceeds the largest float, and a subnormal
    :math:`W_1` is rounded to nearest (a subnormal point beside one beyond about 1e285 is read
    as 0). float32 input is computed in float64 when x64 is on and rounded once. The same value as
    ``scipy.stats.wasserstein_distance``, except that weights are not renormalised.

    Args:
      u_values: points of the first measure, shape ``(n,)``.
      v_values: points of the second measure, shape ``(m,)``.
      u_weights: their weights, shape ``(n,)``, >= 0, summing to 1; ``None`` for uniform.
      v_weights: shape ``(m,)``, summing to 1; ``None`` for uniform.

    Returns:
      :math:`W_1(u, v) \ge 0`, a scalar.

    Raises:
      ValueError: for non-finite or non-1-D points, or weights of the wrong length, negative,
        NaN or not summing to one (the rules of :func:`divergences.w1_primal`), eagerly and
        under ``dv.checked(jax.jit(...))``.

    References:
      Vallender, Theory Probab. Appl. 18(4), 1974; Peyre & Cuturi, 2019, Remark 2.30.

    Example:
      >>> import divergences as dv
      >>> float(dv.w1_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]))
      5.0
      >>> float(dv.w1_1d([0.0, 1.0], [0.0, 1.0], [0.25, 0.75], [0.75, 0.25]))
      0.5
    """
    names = ("u_values", "v_values", "u_weights", "v_weights")
    ms = check_measures(u_values, v_values, u_weights, v_weights, names, line=True)
    uniform = u_weights is None and v_weights is None
    return _w1_1d_program(ms.x, ms.y, ms.a, ms.b, ms.valid, uniform)


def _round_to_float32(r: jax.Array) -> jax.Array:
    r"""A float64 ``r >= 0`` rounded to nearest float32, subnormal results included.

    XLA's CPU flushes a cast whose result is below the normal range to 0; such a result is
    built from its bits instead, the significand :math:`\mathrm{rint}(r\, 2^{149})` (an
    integer below :math:`2^{23}`, or :math:`2^{23}`, which is the bit pattern of the least
    normal float32).
    """
    tiny = r < 2.0**-126
    significand = jnp.rint(jnp.where(tiny, r, 0.0) * 2.0**149).astype(jnp.int32)
    built = lax.bitcast_convert_type(significand, jnp.float32)
    return jnp.where(tiny, built, r.astype(jnp.float32))


def _level_exponent(ends: jax.Array, count: int) -> jax.Array:
    """The power of two the points are divided by, so that their top lands at ``2^t``.

    ``ends``: the extreme points. ``t`` is the highest exponent from which neither a gap nor a
    sum of ``count`` gaps can overflow: every binade below stays representable, so a cloud
    mixing 1e300 and 1e-300 keeps its small gaps (dividing by the top itself, as for the costs,
    would push them below the normal range). The top's exponent is read from its bits where it
    is subnormal (:func:`~divergences._src.scaling.scale_exponent`; XLA takes it for 0). Clipped so that
    the factor is a normal float.
    """
    info = jnp.finfo(ends.dtype)
    target = int(info.maxexp) - 3 - max(1, int(count - 1).bit_length())
    bits = jnp.max(magnitude_bits(ends))
    normal = (bits >> int(info.nmant)) > 0
    top = jnp.max(jnp.abs(ends))
    exponent = jnp.where(normal, jnp.frexp(top)[1], scale_exponent(ends, xp=jnp))
    e = jnp.where(bits > 0, exponent, target).astype(jnp.int32) - target
    limit = min(1000, int(info.maxexp) - 4)
    return jnp.clip(e, -limit, limit)


@functools.partial(jax.jit, static_argnames="uniform")
def _w1_1d_program(
    x: jax.Array, y: jax.Array, a: jax.Array, b: jax.Array, valid: Any, uniform: bool
) -> jax.Array:
    """The JAX part of :func:`w1_1d` (one program, eager or traced), on validated measures.

    ``valid``: every value rule held (true for an eager call, whose broken rules have raised);
    where false, NaN. ``uniform``: no weights given.
    """
    return jnp.where(jnp.asarray(valid), _distance(x[:, 0], y[:, 0], a, b, uniform), jnp.nan)


def _distance(x: jax.Array, y: jax.Array, a: jax.Array, b: jax.Array, uniform: bool) -> jax.Array:
    """W1 by the kernel that fits: equal-size or unequal uniform samples, or general weights."""
    n, m = x.shape[0], y.shape[0]
    if uniform:
        if n == m:
            return _equal_size_distance(x, y)
        if n * m < 2**31 or jax.config.read("jax_enable_x64"):
            return _uniform_distance(x, y)
    return _cdf_distance(x, y, a, b)
