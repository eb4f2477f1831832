"""The domain checks of the public functions: pmfs, axes, bases, values in [0, 1], covariances.

Shape and type rules raise at once; value rules are :func:`~.errors.require` rules (the error
policy, :mod:`.errors`), raised eagerly for concrete input and by ``dv.checked`` under a trace.
Every message names the argument and the rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
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
    "on_pmf_pair",
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


class PmfSummary(NamedTuple):
    """What the value rules of concrete masses read, reduced in the program that uses them.

    ``totals``: the sums along the mass axis; ``smallest``: the least mass (``inf`` for none).
    """

    totals: Any
    smallest: Any


def _summary(x: jax.Array, axis: int) -> PmfSummary:
    """:class:`PmfSummary` of ``x`` (traced): two reductions, no comparison."""
    return PmfSummary(jnp.sum(x, axis=axis), jnp.min(x, initial=jnp.inf))


def _value_checks(
    x: Any,
    name: str,
    axis: int,
    require_sum: bool,
    precision: Any = None,
    summary: PmfSummary | None = None,
) -> None:
    """The value rules of a pmf, in order: no NaN, no inf, no negative mass, sums of 1.

    ``precision``: the input's dtype where it is narrower than ``x``'s (bfloat16 or float16
    computed in float32), which sets the sum tolerance. ``summary``: the totals and the least
    mass of concrete ``x``, reduced beside the value (:func:`on_pmf_pair`): the rules read them,
    and ``x`` itself only where a total is not finite (a NaN or an inf is then looked for).
    """
    xp = _xp(x)
    if summary is None or not np.all(np.isfinite(summary.totals)):
        h = x if summary is None else np.asarray(x)
        require(~xp.isnan(h), f"{name} contains NaN; masses must be finite numbers")
        require(~xp.isinf(h), f"{name} contains inf; masses must be finite numbers")
    # A subnormal negative mass is -0 to the kernels (see has_mass): not refused.
    tiny = jnp.finfo(x.dtype).tiny
    if summary is None:
        require(
            x > -tiny,
            f"{name} has negative mass {{smallest}}; masses must be >= 0",
            smallest=lambda: xp.min(x),
        )
    else:
        smallest = np.asarray(summary.smallest)
        require(
            smallest > -tiny,
            f"{name} has negative mass {{smallest}}; masses must be >= 0",
            smallest=smallest,
        )
        xp = np
    if require_sum:
        tol = sum_tolerance(x.dtype if precision is None else precision)
        totals = xp.sum(x, axis=axis) if summary is None else np.asarray(summary.totals)
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
    if precision is None:
        precision = half_precision(p)
    x, ax = _masses(p, name, axis)
    _value_checks(x if is_traced(x) else np.asarray(x), name, ax, require_sum, precision)
    return x


def _masses(p: Any, name: str, axis: Any) -> tuple[FloatArray, int]:
    """``p`` as a float array and its mass axis, non-negative: the static rules of a pmf."""
    axis = check_axis(axis)
    x = as_float_array(p, name)
    ax = normalize_axis(axis, x.ndim, name)
    if x.shape[ax] == 0:
        raise ValueError(f"{name} is empty along axis {axis}; it needs at least one mass")
    return x, ax


def check_same_shape_after_broadcast(
    arrays: dict[str, FloatArray], *, axis: Any
) -> tuple[FloatArray, ...]:
    """Broadcasts the arrays together, or raises a ValueError naming both shapes.

    The mass axis must match exactly: broadcasting a length-1 mass axis against a longer one
    would silently compare a point mass with a pmf, so it is refused.
    """
    shape = _broadcast_shape(arrays, axis=axis)
    names = list(arrays)
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


def _broadcast_shape(arrays: dict[str, FloatArray], *, axis: Any) -> tuple[int, ...]:
    """The shape the arrays broadcast to, by the rules of :func:`check_same_shape_after_broadcast`."""
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
    return shape


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
    a, b, axis, precisions = _pair_masses(p, q, names, axis)
    a = check_pmf(a, names[0], axis=axis, precision=precisions[0])
    b = check_pmf(b, names[1], axis=axis, precision=precisions[1])
    a, b = check_same_shape_after_broadcast({names[0]: a, names[1]: b}, axis=axis)
    return a, b


def _pair_masses(
    p: Any, q: Any, names: tuple[str, str], axis: Any
) -> tuple[FloatArray, FloatArray, int, tuple[Any, Any]]:
    """:func:`check_pmf_pair`'s first rules: ``p`` and ``q`` as float arrays, and the axis.

    The axis is counted from the right where the ranks differ; also returned, the dtypes that
    set the sum tolerances (bfloat16 or float16 input).
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
    return a, b, axis, precisions


def on_pmf_pair(
    kernel: Callable[..., Any],
    p: Any,
    q: Any,
    names: tuple[str, str] = ("p", "q"),
    *,
    axis: Any = -1,
    extra: Callable[[Any], tuple[Any, ...]] = lambda dtype: (),
) -> Any:
    """``kernel(p, q, *extra(dtype), axis=axis)`` on two pmfs checked as :func:`check_pmf_pair`.

    Concrete input is checked in the kernel's own program: the totals along the mass axis and
    the least mass of each pmf are reduced there beside the value (:class:`PmfSummary`), and
    the rules read them on the host before the value is returned. A call is then one compiled
    program, dispatched by JAX's fast path, that reads the masses where they are (on the
    device) instead of passes of NumPy over them on the host. The rules and their order are
    those of :func:`check_pmf_pair`, with the totals summed by XLA as under ``jit``: what an
    eager call refuses, ``dv.checked(jax.jit(...))`` refuses with the same message. Traced
    input is checked by :func:`check_pmf_pair` and handed to the kernel.

    Args:
      kernel: a function of module scope (it keys the compiled program) of the broadcast
        masses, the extra arguments and ``axis``.
      p: the first masses, as :func:`check_pmf_pair` takes them.
      q: the second masses.
      names: the arguments' names, for the messages.
      axis: the mass axis of the broadcast shape.
      extra: the kernel's other arguments, from the dtype the masses are computed in.

    Raises:
      ValueError: as :func:`check_pmf_pair`.
    """
    if is_traced((p, q)):
        a, b = check_pmf_pair(p, q, names, axis=axis)
        return kernel(a, b, *extra(a.dtype), axis=axis)
    try:
        a, b, right, precisions = _pair_masses(p, q, names, axis)
        axes = _masses(a, names[0], right)[1], _masses(b, names[1], right)[1]
        _broadcast_shape({names[0]: a, names[1]: b}, axis=right)
    except ValueError:
        check_pmf_pair(p, q, names, axis=axis)  # the first rule broken, in its order
        raise
    dtype = jnp.result_type(a, b)
    value, summaries = _summarised(kernel, axis, axes, a, b, *extra(dtype))
    if is_traced(summaries):
        # Concrete masses inside a transformation (a traced base, constants under jit): the
        # summaries are abstract, the masses are checked on the host.
        check_pmf_pair(p, q, names, axis=axis)
        return value
    for x, name, ax, precision, summary in zip(
        (a, b), names, axes, precisions, summaries, strict=True
    ):
        _value_checks(x, name, ax, True, precision, summary)
    return value


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _summarised(
    kernel: Callable[..., Any], axis: int, axes: tuple[int, int], p: Any, q: Any, *args: Any
) -> tuple[Any, tuple[PmfSummary, PmfSummary]]:
    """The kernel's value on the broadcast masses, with the :class:`PmfSummary` of each."""
    summaries = _summary(p, axes[0]), _summary(q, axes[1])
    dtype = jnp.result_type(p, q)
    shape = jnp.broadcast_shapes(p.shape, q.shape)
    a, b = (jnp.broadcast_to(x.astype(dtype), shape) for x in (p, q))
    return kernel(a, b, *args, axis=axis), summaries


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
