r"""Ground costs computed in XLA, block by block, with a bound on their rounding.

The device solvers work on the points scaled by a power of two, :math:`x 2^{-e}` with every
coordinate in :math:`(-1, 1)` (``e`` from :func:`~divergences._src.scaling.scale_exponent`,
read from the bits; the scaling :func:`scaled_points`): no difference, square or sum can
overflow, and the costs of the input are those of the scaled points times :math:`2^{k}`,
:math:`k = \deg(c)\, e`, exactly. The costs are the plain formulas
(no hypot-style rescaling): what they lose to underflow is in the bound below.

The formulas are the metrics' specs (:mod:`divergences._src.metrics`), evaluated with
``jax.numpy`` and tree sums; what they may lose to rounding and underflow, in the dtype's
standard model of :mod:`.rounding`, is the specs' cost-error model
(:func:`~divergences._src.metrics.cost_error`), whose :math:`\tau` grows with
:math:`2^{\max(0, -e)}` (:func:`cost_tau`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.metrics import CostError, MetricSpec, Ops, named_metric
from divergences._src.numerics import safe_sqrt
from divergences.wasserstein._src.device.rounding import tree_sum, up
from divergences.wasserstein._src.pairwise import times_power_of_two

__all__ = [
    "cost_tau",
    "device_costs",
    "exact_lift_limit",
    "magnitude_bits",
    "scaled_out",
    "scaled_points",
    "span_cost",
]

#: The device's operations: tree sums (a fixed order, alone and in a batch).
_DEVICE = Ops(jnp, tree_sum, jnp.abs, jnp.sqrt, lax.stop_gradient)
#: The same with the square root's subgradient 0 at 0, for the envelope gradient.
_DEVICE_SAFE = _DEVICE._replace(sqrt=safe_sqrt)


def device_costs(
    p: jax.Array, q: jax.Array, metric: str | MetricSpec, *, safe: bool = False
) -> jax.Array:
    """The ``(n, b)`` costs between scaled points ``p`` ``(n, d)`` and ``q`` ``(b, d)``.

    ``safe=True`` takes the Euclidean norm's square root with the subgradient 0 at coincident
    points (for the envelope gradient); the values are the same bits either way. The sums over
    the coordinates are trees (:func:`~.rounding.tree_sum`), in a fixed order alone and in a
    batch.
    """
    ops = _DEVICE_SAFE if safe else _DEVICE
    return named_metric(metric).costs(p[:, None, :] - q[None, :, :], ops)


def span_cost(span: jax.Array, metric: str | MetricSpec) -> jax.Array:
    """The cost of a box's side lengths ``span`` ``(d,)``: none between its points is larger."""
    return named_metric(metric).span_bound(span, _DEVICE)


def cost_tau(err: CostError, e: jax.Array, dtype: Any) -> jax.Array:
    r""":math:`\tau` for the scale exponent ``e`` (traced), rounded up.

    The lift :math:`2^{\max(0, -e)}` of the flush term is for an input coordinate that XLA reads as
    0 (a subnormal, flushed): :func:`scaled_points` scales those exactly where
    :math:`e \le` :func:`exact_lift_limit`, and there the lift is 1 (the term covers only a scaled
    coordinate that becomes subnormal, which a scaling up never makes).
    """
    lift_exponent = jnp.where(e <= exact_lift_limit(dtype), 0, jnp.maximum(-e, 0))
    lift = jnp.ldexp(jnp.asarray(err.flush, dtype), lift_exponent.astype(jnp.int32))
    return up(jnp.asarray(err.tau, dtype) + lift)


def _bits(dtype: Any) -> tuple[Any, int, int, int]:
    """``(int dtype, mantissa bits, exponent bias for frexp, log2 of the least subnormal)``."""
    fi = jnp.finfo(dtype)
    mant = int(fi.nmant)
    int_dtype = jnp.int32 if jnp.dtype(dtype).itemsize == 4 else jnp.int64
    if jnp.dtype(dtype).itemsize not in (4, 8):
        raise ValueError(f"the device solvers take float32 or float64 points; got {dtype}")
    return int_dtype, mant, int(fi.maxexp) - 2, int(fi.minexp) - mant


def magnitude_bits(t: jax.Array) -> jax.Array:
    """The bits of ``|t|`` as integers: ordered as the magnitudes, and read past XLA's flushing.

    Integer operations never flush a subnormal to zero, so this sees every input as given.
    """
    int_dtype, _, _, _ = _bits(t.dtype)
    sign_off = jnp.asarray(jnp.iinfo(int_dtype).max, int_dtype)
    return lax.bitcast_convert_type(t, int_dtype) & sign_off


def exact_lift_limit(dtype: Any) -> int:
    """The scale exponents ``e`` at or below which :func:`scaled_points` scales subnormals exactly.

    There the factor :math:`2^{s - e}` (:math:`2^s` the least subnormal) is a normal number.
    """
    _, mant, _, _ = _bits(dtype)
    return -mant


def scaled_points(x: jax.Array, e: jax.Array) -> jax.Array:
    r"""``x * 2^-e``, exact also for subnormal coordinates where ``e <= exact_lift_limit``.

    XLA's CPU and GPU arithmetic read a subnormal input as 0; its integer significand :math:`s`
    (the number is :math:`s\, 2^{\text{least}}`) is converted exactly and scaled by the normal
    factor :math:`2^{\text{least} - e}` instead. Elsewhere the plain product
    (:func:`~divergences.wasserstein._src.pairwise.times_power_of_two`), whose flushing the cost bound's
    :math:`\tau` covers.
    """
    dt = x.dtype
    int_dtype, mant, _, least = _bits(dt)
    mag = magnitude_bits(x)
    subnormal = (mag > 0) & ((mag >> mant) == 0)
    exact = e <= exact_lift_limit(dt)
    factor = jnp.ldexp(jnp.ones((), dt), jnp.where(exact, least - e, 0).astype(jnp.int32))
    sign = jnp.where(lax.bitcast_convert_type(x, int_dtype) < 0, -1, 1).astype(dt)
    from_bits = sign * (mag.astype(dt) * lax.stop_gradient(factor))
    return jnp.where(subnormal & exact, from_bits, times_power_of_two(x, -e))


def scaled_out(t: jax.Array, k: jax.Array, rounding: str) -> jax.Array:
    r"""``t * 2^k`` rounded ``"down"``, ``"up"`` or to ``"nearest"``, subnormal results included.

    Exact where the result is a normal number (or inf past the range). Below the normal range
    XLA's arithmetic on CPUs and GPUs flushes a result to 0, so there the result is built from
    its bits: :math:`t\, 2^{k - s}` (:math:`2^s` the least subnormal, the factor taken in two
    normal halves) is below :math:`2^{\text{mant}}`, rounded to an integer as asked, and that
    integer is the subnormal's significand (the significand :math:`2^{\text{mant}}` is the least
    normal number). A bound of a subnormal W1 is then as close as the dtype allows, not the least
    normal number, which is a relative gap of about 1 there. A result built from its bits has
    no derivative (the envelope theorem's is the runner's).
    """
    dt = t.dtype
    fi = jnp.finfo(dt)
    int_dtype = jnp.int32 if jnp.dtype(dt).itemsize == 4 else jnp.int64
    least = int(fi.minexp) - int(fi.nmant)
    k = jnp.asarray(k, jnp.int32)
    normal = times_power_of_two(t, k)
    threshold = jnp.ldexp(jnp.ones((), dt), jnp.int32(fi.minexp) - k)
    below = lax.stop_gradient((jnp.abs(t) < threshold) & (t != 0))  # 0 and NaN: as they are
    half = (k - least) // 2
    shifted = lax.stop_gradient(
        times_power_of_two(times_power_of_two(jnp.where(below, t, 0), half), k - least - half)
    )
    whole = {"down": jnp.floor, "up": jnp.ceil, "nearest": jnp.round}[rounding](shifted)
    significand = jnp.abs(whole).astype(int_dtype)
    sign = jnp.where(whole < 0, jnp.asarray(jnp.iinfo(int_dtype).min, int_dtype), 0)
    from_bits = lax.bitcast_convert_type(significand | sign.astype(int_dtype), dt)
    out = jnp.where(below, lax.stop_gradient(from_bits), normal)
    if rounding == "down":  # past the largest float: the largest, below the number it bounds
        # (a select, not a minimum: XLA's arithmetic would flush a subnormal out to 0)
        out = jnp.where(out == jnp.inf, fi.max, out)
    return out
