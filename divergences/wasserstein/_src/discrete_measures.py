"""Validation of discrete measures: support points plus weights.

A discrete measure is ``(points, weights)``: ``points`` has shape ``(n, d)`` (a 1-D array of
length ``n`` is read as ``n`` points on the line, ``d = 1``) and ``weights`` has shape ``(n,)``,
non-negative, finite, summing to one; ``None`` means uniform weights ``1/n``. Zero weights,
repeated points and a single point are all allowed.

Shape rules are checked first, at trace time; then the value rules (finite points, weight
sign and sum, equal totals), each written once with :func:`divergences._src.errors.require`:
raised at once for concrete input, and under ``dv.checked(jax.jit(...))`` raised as the same
``ValueError`` with the same message. Under a trace the rules also come back combined into one
predicate, :attr:`Measures.valid`, so that a host solver called back from the trace can refuse
to run on input that broke one (it returns NaN instead of raising, and the check is what the
caller sees).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced, require
from divergences._src.precision import as_float_array, host_float_array, sum_tolerance

__all__ = [
    "Measures",
    "as_points",
    "check_measures",
    "exact_astype",
    "value_with_derivative",
    "weight_values",
]


@dataclasses.dataclass(frozen=True)
class Measures:
    """Two validated discrete measures in one floating dtype, a pytree.

    NumPy arrays for concrete input, JAX arrays when any input is traced. The arrays and
    ``valid`` are the leaves; ``traced`` and ``uniform`` are declared static.
    """

    x: Any  # (n, d)
    y: Any  # (m, d)
    a: Any  # (n,)
    b: Any  # (m,)
    # True when any input is a tracer: take the callback path.
    traced: bool = dataclasses.field(metadata={"static": True})
    # Every value rule held: True for concrete input (a broken rule has raised), a traced
    # boolean under a trace.
    valid: Any = True
    # Whether a and b stand for the uniform weights 1/n and 1/m exactly (given as None): their
    # arrays then hold 1/n rounded into the dtype, which a host solver replaces by the measure
    # itself.
    uniform: tuple[bool, bool] = dataclasses.field(
        default=(False, False), metadata={"static": True}
    )


jax.tree_util.register_dataclass(Measures)


def _float_array(x: Any, name: str) -> Any:
    """A floating NumPy array for concrete input, a JAX array when ``x`` is traced."""
    return as_float_array(x, name) if is_traced(x) else host_float_array(x, name)


def _xp(*arrays: Any) -> Any:
    """The array namespace of the inputs: NumPy for concrete ones, jax.numpy under a trace."""
    return jnp if any(is_traced(t) for t in arrays) else np


def _point_shape(x: Any, name: str, *, line: bool) -> Any:
    p = _float_array(x, name)
    if line and p.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of points on the line; got shape {p.shape}")
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(
            f"{name} must be a 1-D array of points on the line or a 2-D array (n, d); "
            f"got shape {p.shape}"
        )
    if p.shape[0] == 0:
        raise ValueError(f"{name} is empty; a measure needs at least one point")
    if p.shape[1] == 0:
        raise ValueError(f"{name} has points of dimension 0; got shape {p.shape}")
    return p


def _finite_points(p: Any, name: str) -> Any:
    xp = _xp(p)
    return require(
        xp.all(xp.isfinite(p)), f"{name} contains NaN or inf; support points must be finite"
    )


def as_points(x: Any, name: str) -> Any:
    """Validates support points and returns them as a float array of shape ``(n, d)``.

    A NumPy array for concrete input (the host solvers take it as it is), a JAX array when
    ``x`` is traced.
    """
    p = _point_shape(x, name, line=False)
    _finite_points(p, name)
    return p


def _weight_shape(w: Any, n: int, name: str, points_name: str) -> Any:
    if w is None:
        return None
    w = _float_array(w, name)
    if w.ndim == 0:
        raise ValueError(f"{name} must have at least one axis of masses; got a scalar")
    if w.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of weights; got shape {w.shape}")
    if w.shape[0] != n:
        raise ValueError(
            f"{name} has {w.shape[0]} weights but {points_name} has {n} points; "
            "they must have the same length"
        )
    return w


def weight_values(w: Any, name: str) -> Any:
    """The value rules of one weight vector, in order; returns their conjunction."""
    xp = _xp(w)
    ok = require(~xp.any(xp.isnan(w)), f"{name} contains NaN; masses must be finite numbers")
    ok = ok & require(~xp.any(xp.isinf(w)), f"{name} contains inf; masses must be finite numbers")
    lowest = xp.argmin(w)
    ok = ok & require(
        w[lowest] >= 0,
        f"{name} has negative mass {{mass:.6g}} at index {{index}}; masses must be >= 0",
        mass=w[lowest],
        index=lowest,
    )
    tol = sum_tolerance(w.dtype)
    digits = 10 if np.dtype(w.dtype).itemsize >= 8 else 6
    total = xp.sum(w)
    ok = ok & require(
        xp.abs(total - 1) <= tol,
        f"{name} does not sum to 1 (sum = {{total:.{digits}g}}, tolerance {tol:.1e}); "
        f"divergences never renormalises: pass {name} / {name}.sum() if that is what you mean",
        total=total,
    )
    return ok


@jax.custom_jvp
def value_with_derivative(value: jax.Array, carrier: jax.Array) -> jax.Array:
    """``value``, bit for bit, with the derivative of ``carrier``.

    No arithmetic touches ``value`` in the forward pass: an added zero (``value + (t -
    stop_gradient(t))``) would be rounded by XLA's CPU, which flushes a subnormal sum to 0 and
    turns an infinite ``t`` into NaN. The rule is linear in the tangent, so reverse mode
    transposes it, and it composes with ``vmap`` with nothing more to write.
    """
    del carrier
    return value


@value_with_derivative.defjvp
def _value_with_derivative_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    (value, _), (_, carrier_dot) = primals, tangents
    return value, jnp.asarray(carrier_dot, value.dtype)


def exact_astype(x: Any, dtype: Any) -> jax.Array:
    """``x`` cast to the wider floating ``dtype`` in JAX, exactly, subnormals included.

    XLA's CPU casts float32 to float64 with denormals-are-zero on, so a subnormal float32 (and
    a bfloat16 one, which goes by way of float32) would become 0. Its value is rebuilt from the
    bits instead: the significand, an integer, times :math:`2^{-149}`, a normal float64. Casts
    into float32 from float16 and bfloat16 are exact in XLA (their subnormals are normal float32).
    """
    x = jnp.asarray(x)
    target = jnp.dtype(dtype)
    if x.dtype == target:
        return x
    if target != jnp.float64 or not jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(target)
    if x.dtype != jnp.float32:
        x = x.astype(jnp.float32)  # float16, bfloat16: exact
    bits = jax.lax.bitcast_convert_type(x, jnp.int32)
    subnormal = (bits & 0x7F800000) == 0
    significand = (bits & 0x007FFFFF).astype(jnp.float64) * 2.0**-149
    rebuilt = jnp.where(bits < 0, -significand, significand)
    # The rebuilt values carry the cast's derivative (1), which arithmetic on them would flush.
    return value_with_derivative(
        jnp.where(subnormal, rebuilt, x.astype(jnp.float64)), x.astype(jnp.float64)
    )


def check_measures(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    names: tuple[str, str, str, str] = ("x", "y", "a", "b"),
    *,
    line: bool = False,
) -> Measures:
    """Validates two discrete measures and casts them to one floating dtype.

    Every shape rule first (they are static), then every value rule, so that input breaking
    several rules gives the same first error eagerly and under ``dv.checked(jax.jit(...))``.
    ``line=True`` takes points on the line only: 1-D arrays, returned as ``(n, 1)``.

    Raises:
      ValueError: naming the argument and the rule broken: non-finite points, points of
        different dimension, weights whose length does not match the points, negative / NaN
        weights, weights that do not sum to one, unequal total mass.
    """
    nx, ny, na, nb = names
    xp = _point_shape(x, nx, line=line)
    yp = _point_shape(y, ny, line=line)
    if xp.shape[1] != yp.shape[1]:
        raise ValueError(
            f"{nx} and {ny} must have points of the same dimension: {nx} has dimension "
            f"{xp.shape[1]} (shape {xp.shape}), {ny} has dimension {yp.shape[1]} "
            f"(shape {yp.shape})"
        )
    n, m = xp.shape[0], yp.shape[0]
    aw = _weight_shape(a, n, na, nx)
    bw = _weight_shape(b, m, nb, ny)
    uniform = (aw is None, bw is None)
    arrays = [v for v in (xp, yp, aw, bw) if v is not None]
    traced = any(is_traced(v) for v in arrays)
    dtype = jnp.result_type(*arrays)
    valid = _finite_points(xp, nx) & _finite_points(yp, ny)
    if aw is not None:
        valid = valid & weight_values(aw, na)
    if bw is not None:
        valid = valid & weight_values(bw, nb)
    if traced:
        aw = jnp.full((n,), 1.0 / n, dtype) if aw is None else exact_astype(aw, dtype)
        bw = jnp.full((m,), 1.0 / m, dtype) if bw is None else exact_astype(bw, dtype)
        xp, yp = exact_astype(xp, dtype), exact_astype(yp, dtype)
    else:
        aw = np.full((n,), 1.0 / n, dtype) if aw is None else aw.astype(dtype, copy=False)
        bw = np.full((m,), 1.0 / m, dtype) if bw is None else bw.astype(dtype, copy=False)
        xp, yp = xp.astype(dtype, copy=False), yp.astype(dtype, copy=False)
    # Each sums to one within the tolerance already; a transport plan needs the two totals to
    # agree, so say so explicitly rather than let the solver rescale one of them.
    ns = _xp(aw, bw)
    gap = ns.abs(ns.sum(aw) - ns.sum(bw))
    valid = valid & require(
        gap <= sum_tolerance(dtype),
        f"{na} and {nb} must have equal total mass; their sums differ by {{gap:.3e}}",
        gap=gap,
    )
    return Measures(xp, yp, aw, bw, traced, valid if traced else True, uniform)
