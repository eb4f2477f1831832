"""The domain checks of the public functions: pmfs, axes, bases, values in [0, 1], covariances.

Shape and type rules raise at once; value rules are :func:`~.errors.require` rules (the error
policy, :mod:`.errors`), raised eagerly for concrete input and by ``dv.checked`` under a trace.
Every message names the argument and the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced, require
from divergences._src.options import is_integer
from divergences._src.precision import (
    FloatArray,
    as_float_array,
    half_precision,
    sum_tolerance,
)

__all__ = [
    "check_axis",
    "check_base",
    "check_base_above_one",
    "check_covariance",
    "check_finite",
    "check_in_unit_interval",
    "check_pmf",
    "check_pmf_pair",
    "check_positive",
    "check_same_shape_after_broadcast",
    "normalize_axis",
]


def _xp(*xs: Any) -> Any:
    """``jax.numpy`` if any argument is traced, else NumPy: one predicate, two evaluators."""
    return jnp if any(is_traced(x) for x in xs) else np


def check_axis(axis: Any) -> int:
    """Returns ``axis`` as a Python int, or raises a ValueError naming ``axis``.

    An axis is a static integer (``None``, strings, floats and booleans are refused): the masses
    lie along one axis, and reducing over all of them would mix distributions.
    """
    if not is_integer(axis):
        raise ValueError(
            f"axis must be an integer (the axis holding the masses), got {axis!r} of type "
            f"{type(axis).__name__}"
        )
    return int(axis)


def normalize_axis(axis: Any, ndim: int, name: str) -> int:
    """Returns ``axis`` as a non-negative index, or raises a ValueError naming ``name``."""
    axis = check_axis(axis)
    if ndim == 0:
        raise ValueError(f"{name} must have at least one axis of masses; got a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {ndim} dimension(s)")
    return axis % ndim


def _value_checks(x: Any, name: str, axis: int, require_sum: bool, precision: Any = None) -> None:
    """The value rules of a pmf, in order: no NaN, no inf, no negative mass, sums of 1.

    ``precision``: the input's dtype where it is narrower than ``x``'s (bfloat16 or float16
    computed in float32), which sets the sum tolerance.
    """
    xp = _xp(x)
    require(~xp.isnan(x), f"{name} contains NaN; masses must be finite numbers")
    require(~xp.isinf(x), f"{name} contains inf; masses must be finite numbers")
    # A subnormal negative mass is -0 to the kernels (see has_mass): not refused.
    require(
        x > -jnp.finfo(x.dtype).tiny,
        f"{name} has negative mass {{smallest}}; masses must be >= 0",
        smallest=lambda: xp.min(x),
    )
    if require_sum:
        tol = sum_tolerance(x.dtype if precision is None else precision)
        totals = xp.sum(x, axis=axis)
        off = ~(xp.abs(totals - 1) <= tol)

        def first() -> Any:
            """The flat index, among the slices, of the first slice that does not sum to 1."""
            return xp.argmax(xp.reshape(off, (-1,)))

        # A batch names its first slice off, by its index along the other axes: p[637, :].
        def coordinate(k: int) -> Callable[[], Any]:
            return lambda: xp.unravel_index(first(), totals.shape)[k]

        coords: dict[str, Any] = {f"i{k}": coordinate(k) for k in range(totals.ndim)}
        names = iter(coords)
        where = ", ".join(":" if d == axis else f"{{{next(names)}}}" for d in range(x.ndim))
        at = f"first at {name}[{where}]: " if coords else ""
        require(
            ~off,
            f"{name} does not sum to 1 along axis {axis} ({at}sum = {{total:.6g}}, tolerance "
            f"{tol:.1e}); divergences never renormalises: pass {name} / "
            f"{name}.sum(axis, keepdims=True) if that is what you mean",
            total=lambda: xp.reshape(totals, (-1,))[first()],
            **coords,
        )


def check_pmf(
    p: Any, name: str, *, axis: Any = -1, require_sum: bool = True, precision: Any = None
) -> FloatArray:
    """Validates probability masses along ``axis`` and returns them as a float JAX array.

    Rules: at least one axis; the mass axis is non-empty; real, finite, non-negative entries;
    each slice along ``axis`` sums to one within :func:`sum_tolerance` of the input's dtype
    (``precision``, for input already converted from bfloat16 or float16; by default that of
    ``p``).

    Raises:
      ValueError: naming ``name`` and the rule broken.
    """
    axis = check_axis(axis)
    if precision is None:
        precision = half_precision(p)
    x = as_float_array(p, name)
    ax = normalize_axis(axis, x.ndim, name)
    if x.shape[ax] == 0:
        raise ValueError(f"{name} is empty along axis {axis}; it needs at least one mass")
    _value_checks(x if is_traced(x) else np.asarray(x), name, ax, require_sum, precision)
    return x


def check_same_shape_after_broadcast(
    arrays: dict[str, FloatArray], *, axis: Any
) -> tuple[FloatArray, ...]:
    """Broadcasts the arrays together, or raises a ValueError naming both shapes.

    The mass axis must match exactly: broadcasting a length-1 mass axis against a longer one
    would silently compare a point mass with a pmf, so it is refused.
    """
    axis = check_axis(axis)
    names = list(arrays)
    shapes = [arrays[n].shape for n in names]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        described = " and ".join(f"{n} has shape {s}" for n, s in zip(names, shapes, strict=True))
        raise ValueError(f"{described}: they do not broadcast") from None
    # Broadcasting aligns shapes on the right, so the mass axis is located from the right.
    right = _axis_from_right(axis, len(shape))
    lengths = {}
    for n in names:
        if not -arrays[n].ndim <= right < 0:
            raise ValueError(
                f"{n} has shape {arrays[n].shape}, which has no mass axis {axis} once broadcast "
                f"to shape {shape}"
            )
        lengths[n] = arrays[n].shape[right]
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ValueError(
            f"the mass axis {axis} must have the same length in every argument: {described}"
        )
    dtype = jnp.result_type(*arrays.values())
    if any(is_traced(a) for a in arrays.values()):
        return tuple(jnp.broadcast_to(arrays[n].astype(dtype), shape) for n in names)
    # Concrete input stays on the host (see as_float_array): an array already of the shape and
    # dtype is passed on as it is, any other is broadcast as a NumPy view.
    return tuple(
        a
        if a.shape == shape and a.dtype == dtype
        else np.broadcast_to(np.asarray(a).astype(dtype, copy=False), shape)
        for a in (arrays[n] for n in names)
    )


def _axis_from_right(axis: int, ndim: int) -> int:
    """``axis`` of an ``ndim``-dimensional broadcast shape, counted from the right (negative).

    Out-of-range axes are returned unchanged, for :func:`normalize_axis` to report.
    """
    return axis - ndim if 0 <= axis < ndim else axis


def check_pmf_pair(
    p: Any, q: Any, names: tuple[str, str] = ("p", "q"), *, axis: Any = -1
) -> tuple[FloatArray, FloatArray]:
    """Validates two pmfs (see :func:`check_pmf`) and broadcasts them to one shape and dtype.

    ``axis`` is an axis of the broadcast shape. Broadcasting aligns shapes on the right, so when
    the two inputs differ in rank a non-negative ``axis`` is located from the right in each of them.
    """
    axis = check_axis(axis)
    precisions = half_precision(p), half_precision(q)
    a = as_float_array(p, names[0])
    b = as_float_array(q, names[1])
    if a.ndim != b.ndim and min(a.ndim, b.ndim) > 0:
        right = _axis_from_right(axis, max(a.ndim, b.ndim))
        for name, x in zip(names, (a, b), strict=True):
            if right < -x.ndim:
                raise ValueError(
                    f"{name} has shape {x.shape}, which has no mass axis {axis} once broadcast "
                    f"against shapes {a.shape} and {b.shape}"
                )
        axis = right
    a = check_pmf(a, names[0], axis=axis, precision=precisions[0])
    b = check_pmf(b, names[1], axis=axis, precision=precisions[1])
    a, b = check_same_shape_after_broadcast({names[0]: a, names[1]: b}, axis=axis)
    return a, b


def _base_array(base: Any) -> Any:
    """``base`` as a 0-d array, or a ValueError for what can never be a base (static rules)."""
    b = base if is_traced(base) else np.asarray(base)
    if (
        b.shape != ()
        or isinstance(base, (bool, np.bool_))
        or not (jnp.issubdtype(b.dtype, jnp.integer) or jnp.issubdtype(b.dtype, jnp.floating))
    ):
        raise ValueError(f"base must be None (nats) or a finite number > 0 and != 1, got {base!r}")
    return b


def check_base(base: Any) -> None:
    """Checks a logarithm base: None (nats) or a finite number > 0 and != 1."""
    if base is None:
        return
    b = _base_array(base)
    xp = _xp(b)
    require(
        xp.isfinite(b) & (b > 0) & (b != 1),
        "base must be None (nats) or a finite number > 0 and != 1, got {base}",
        base=b,
    )


def check_base_above_one(base: Any, function: str, reason: str) -> None:
    """Checks a base for a quantity that needs ``base > 1`` (after :func:`check_base`)."""
    if base is None:
        return
    b = _base_array(base)
    require(b > 1, f"{function} needs base > 1, got {{base}}: {reason}", base=b)


def check_in_unit_interval(d: Any, name: str) -> FloatArray:
    """Validates values in [0, 1] (a discriminator's outputs) and returns a float array."""
    x = as_float_array(d, name)
    h = x if is_traced(x) else np.asarray(x)
    xp = _xp(h)
    require(~xp.isnan(h), f"{name} contains NaN; it must lie in [0, 1]")
    require(
        (h >= 0) & (h <= 1),
        f"{name} must lie in [0, 1]; found values in [{{lo}}, {{hi}}]",
        lo=lambda: xp.min(h),
        hi=lambda: xp.max(h),
    )
    return x


def check_finite(x: Any, name: str) -> None:
    """Checks that every entry of ``x`` is finite (no NaN, no inf)."""
    h = x if is_traced(x) else np.asarray(x)
    require(_xp(h).isfinite(h), f"{name} must be finite (no NaN or inf)")


def check_positive(x: Any, name: str, what: str) -> None:
    """Checks that every entry of ``x`` is finite and > 0; ``what`` says what ``x`` is."""
    check_finite(x, name)
    h = x if is_traced(x) else np.asarray(x)
    xp = _xp(h)
    require(h > 0, f"{name} must be > 0 ({what}), got {{smallest}}", smallest=lambda: xp.min(h))


def check_covariance(
    cov: Any, name: str, *, positive_definite: bool, precision: Any = None
) -> None:
    """Checks a (batch of) covariance matrices: finite, symmetric, positive (semi-)definite.

    Symmetry is checked to ``|C - C^T| <= 1e-12 + 1e-10 |C|``; semi-definiteness allows a smallest
    eigenvalue down to ``-sqrt(eps)`` times the largest magnitude (rounding of a singular
    covariance estimated from data; ``eps`` of the input's dtype, ``precision`` for bfloat16 or
    float16 input computed in float32); definiteness asks for a smallest eigenvalue > 0.
    """
    check_finite(cov, name)
    c = cov if is_traced(cov) else np.asarray(cov)
    xp = _xp(c)
    ct = xp.swapaxes(c, -1, -2)
    require(xp.abs(c - ct) <= 1e-12 + 1e-10 * xp.abs(ct), f"{name} must be symmetric")
    eig = xp.linalg.eigvalsh(0.5 * (c + ct))
    smallest = xp.min(eig)
    if positive_definite:
        require(
            smallest > 0,
            f"{name} must be positive definite (smallest eigenvalue {{smallest:.3g}}); KL to or "
            "from a degenerate Gaussian is not finite",
            smallest=smallest,
        )
    else:
        slack = sum_tolerance(c.dtype if precision is None else precision) * xp.max(xp.abs(eig))
        require(
            smallest >= -slack,
            f"{name} must be positive semi-definite (smallest eigenvalue {{smallest:.3g}})",
            smallest=smallest,
        )
