"""Validation of discrete measures: support points plus weights.

A discrete measure is ``(points, weights)``: ``points`` has shape ``(n, d)`` (a 1-D array of
length ``n`` is read as ``n`` points on the line, ``d = 1``) and ``weights`` has shape ``(n,)``,
non-negative, finite, summing to one; ``None`` means uniform weights ``1/n``. Zero weights,
repeated points and a single point are all allowed.

Like the rest of the package: shapes are checked at trace time; values (finite points, weight
sign and sum) on the host for concrete input, and as ``checkify.debug_check`` under a trace.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from divergences._validation import _host_value_checks as host_value_checks
from divergences._validation import (
    as_float_array,
    check_pmf,
    host_float_array,
    is_traced,
    sum_tolerance,
)

__all__ = ["METRICS", "Measures", "as_points", "check_measures", "check_metric"]

#: The metrics known by name; a callable ``c(x_i, y_j)`` is accepted too.
METRICS = ("euclidean", "sqeuclidean", "cityblock", "chebyshev")


class Measures(NamedTuple):
    """Two validated discrete measures in one floating dtype: NumPy arrays for concrete
    input, JAX arrays when any input is traced."""

    x: Any  # (n, d)
    y: Any  # (m, d)
    a: Any  # (n,)
    b: Any  # (m,)
    traced: bool  # True when any input is a tracer: take the callback path


def check_metric(metric: Any) -> None:
    """Raises a ValueError unless ``metric`` is one of :data:`METRICS` or a callable."""
    if callable(metric):
        return
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(
            f"metric must be one of {', '.join(repr(m) for m in METRICS)} or a callable "
            f"c(x_i, y_j); got {metric!r}"
        )


def as_points(x: Any, name: str) -> Any:
    """Validates support points and returns them as a float array of shape ``(n, d)``.

    A NumPy array for concrete input (the host solvers take it as it is), a JAX array when
    ``x`` is traced.
    """
    p = as_float_array(x, name) if is_traced(x) else host_float_array(x, name)
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
    if is_traced(p):
        checkify.debug_check(jnp.all(jnp.isfinite(p)), f"{name} must be finite (no NaN or inf)")
    elif not np.isfinite(p).all():
        raise ValueError(f"{name} contains NaN or inf; support points must be finite")
    return p


def _as_weights(w: Any, n: int, name: str, points_name: str) -> Any:
    if w is None:
        return None
    if is_traced(w):
        w = check_pmf(w, name)
    else:
        w = host_float_array(w, name)
        if w.ndim == 0:
            raise ValueError(f"{name} must have at least one axis of masses; got a scalar")
    if w.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of weights; got shape {w.shape}")
    if w.shape[0] != n:
        raise ValueError(
            f"{name} has {w.shape[0]} weights but {points_name} has {n} points; "
            "they must have the same length"
        )
    if not is_traced(w):
        host_value_checks(w, name, 0, True)
    return w


def check_measures(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    names: tuple[str, str, str, str] = ("x", "y", "a", "b"),
) -> Measures:
    """Validates two discrete measures and casts them to one floating dtype.

    Raises:
      ValueError: naming the argument and the rule broken: non-finite points, points of
        different dimension, weights whose length does not match the points, negative / NaN
        weights, weights that do not sum to one, unequal total mass.
    """
    nx, ny, na, nb = names
    xp = as_points(x, nx)
    yp = as_points(y, ny)
    if xp.shape[1] != yp.shape[1]:
        raise ValueError(
            f"{nx} and {ny} must have points of the same dimension: {nx} has dimension "
            f"{xp.shape[1]} (shape {xp.shape}), {ny} has dimension {yp.shape[1]} "
            f"(shape {yp.shape})"
        )
    aw = _as_weights(a, xp.shape[0], na, nx)
    bw = _as_weights(b, yp.shape[0], nb, ny)
    arrays = [v for v in (xp, yp, aw, bw) if v is not None]
    traced = any(is_traced(v) for v in arrays)
    dtype = jnp.result_type(*arrays)
    n, m = xp.shape[0], yp.shape[0]
    if traced:
        aw = jnp.full((n,), 1.0 / n, dtype) if aw is None else jnp.asarray(aw, dtype)
        bw = jnp.full((m,), 1.0 / m, dtype) if bw is None else jnp.asarray(bw, dtype)
        xp, yp = jnp.asarray(xp, dtype), jnp.asarray(yp, dtype)
    else:
        aw = np.full((n,), 1.0 / n, dtype) if aw is None else aw.astype(dtype, copy=False)
        bw = np.full((m,), 1.0 / m, dtype) if bw is None else bw.astype(dtype, copy=False)
        xp, yp = xp.astype(dtype, copy=False), yp.astype(dtype, copy=False)
        # Each sums to one within the tolerance already; a transport plan needs the two totals
        # to agree, so say so explicitly rather than let the solver rescale one of them.
        gap = abs(float(np.sum(aw, dtype=np.float64) - np.sum(bw, dtype=np.float64)))
        if gap > sum_tolerance(dtype):
            raise ValueError(
                f"{na} and {nb} must have equal total mass; their sums differ by {gap:.3e}"
            )
    return Measures(xp, yp, aw, bw, traced)
