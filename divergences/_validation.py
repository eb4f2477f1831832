"""Input checks shared by every public function.

Two regimes, chosen automatically:

* **Concrete input** (NumPy arrays, lists, or JAX arrays outside a trace): every rule is checked on
  the host and a broken rule raises :class:`ValueError` naming the argument and the rule.
* **Traced input** (inside :func:`jax.jit`, :func:`jax.vmap`, :func:`jax.grad`): shape rules are
  still checked at trace time, since shapes are static. Value rules (sign, sum, NaN) become
  one identity primitive per array that costs nothing (not even JAX's slower dispatch of effectful
  programs), and is expanded by :func:`jax.experimental.checkify.checkify` into checks raised as a
  :class:`ValueError` when the function is wrapped in :func:`divergences.checked`.

Nothing here ever rescales an input: a pmf that does not sum to one is an error, not a hint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.extend.core
import jax.interpreters.ad
import jax.interpreters.batching
import jax.interpreters.mlir
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

__all__ = [
    "as_float_array",
    "check_base",
    "check_in_unit_interval",
    "check_pmf",
    "check_pmf_pair",
    "check_same_shape_after_broadcast",
    "checked",
    "host_float_array",
    "is_traced",
    "normalize_axis",
    "sum_tolerance",
]

F = TypeVar("F", bound=Callable[..., Any])


def is_traced(x: Any) -> bool:
    """True when ``x`` is an abstract value inside a JAX transformation."""
    return isinstance(x, jax.core.Tracer)


def _float_dtype(dtype: Any) -> Any:
    """The floating dtype an input of ``dtype`` is computed in: ints and bools become the default
    float, and float64 becomes float32 unless x64 is enabled."""
    if jnp.issubdtype(dtype, jnp.floating):
        return jax.dtypes.canonicalize_dtype(dtype)
    return jnp.result_type(float)


def host_float_array(x: Any, name: str) -> np.ndarray:
    """Converts concrete input to a floating NumPy array, with the dtype rules of the package.

    For host code (the LP solvers) that should not round-trip through a device.

    Raises:
      ValueError: if ``x`` is ragged, complex or not numeric.
    """
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got complex dtype {arr.dtype}")
    if not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(_float_dtype(arr.dtype), copy=False)


def as_float_array(x: Any, name: str) -> jax.Array:
    """Converts ``x`` to a floating JAX array (integers and booleans become the default float).

    Raises:
      ValueError: if ``x`` is ragged, complex or not numeric.
    """
    if isinstance(x, jax.Array) or any(is_traced(leaf) for leaf in jax.tree_util.tree_leaves(x)):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise ValueError(f"{name} must be real, got complex dtype {x.dtype}")
        return x.astype(_float_dtype(x.dtype))
    return jnp.asarray(host_float_array(x, name))


def normalize_axis(axis: int, ndim: int, name: str) -> int:
    """Returns ``axis`` as a non-negative index, or raises a ValueError naming ``name``."""
    if ndim == 0:
        raise ValueError(f"{name} must have at least one axis of masses; got a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {ndim} dimension(s)")
    return axis % ndim


def sum_tolerance(dtype: Any) -> float:
    """Tolerance on ``|sum(p) - 1|``: the square root of the dtype's machine epsilon.

    That is 1.5e-8 in float64 and 3.5e-4 in float32: loose enough for masses typed by hand or
    normalised in another precision, tight enough to catch a forgotten normalisation.
    """
    return float(np.sqrt(np.finfo(dtype).eps))


def _host_value_checks(x: np.ndarray, name: str, axis: int, require_sum: bool) -> None:
    if np.isnan(x).any():
        raise ValueError(f"{name} contains NaN; masses must be finite numbers")
    if np.isinf(x).any():
        raise ValueError(f"{name} contains inf; masses must be finite numbers")
    if (x < 0).any():
        idx = np.unravel_index(np.argmin(x), x.shape)
        raise ValueError(
            f"{name} has negative mass {x[idx]!r} at index {tuple(int(i) for i in idx)}; "
            "masses must be >= 0"
        )
    if require_sum:
        totals = x.sum(axis=axis, dtype=np.float64)
        tol = sum_tolerance(x.dtype)
        bad = np.abs(totals - 1.0) > tol
        if bad.any():
            worst = totals.flat[np.argmax(np.abs(totals - 1.0))]
            raise ValueError(
                f"{name} does not sum to 1 along axis {axis} "
                f"(sum = {worst!r}, tolerance {tol:.1e}); "
                f"divergences never renormalises: pass {name} / {name}.sum(axis, keepdims=True) "
                "if that is what you mean"
            )


def _traced_predicates(
    x: jax.Array, name: str, axis: int, require_sum: bool, shown_axis: int | None = None
) -> list[Any]:
    """``(holds, message)`` pairs of the value rules, as traced booleans; the messages name
    ``shown_axis`` (the axis the caller sees, before any ``vmap`` added batch axes)."""
    shown = axis if shown_axis is None else shown_axis
    rules = [
        (~jnp.any(jnp.isnan(x)), f"{name} contains NaN; masses must be finite"),
        (~jnp.any(jnp.isinf(x)), f"{name} contains inf; masses must be finite"),
        (jnp.all(x >= 0), f"{name} has negative mass; masses must be >= 0"),
    ]
    if require_sum:
        tol = sum_tolerance(x.dtype)
        rules.append(
            (
                jnp.all(jnp.abs(jnp.sum(x, axis=axis) - 1) <= tol),
                f"{name} does not sum to 1 along axis {shown} (tolerance {tol:.1e})",
            )
        )
    return rules


# The value rules under a trace are one primitive, ``x -> x``, that lowers to nothing and costs
# nothing; only :func:`checkify.checkify` (that is, :func:`checked`) expands it into the
# predicates and their checks. ``checkify.debug_check`` would do the same, but it is an effectful
# primitive: a jitted function that contains one leaves JAX's C++ fast dispatch path, which cost
# 0.15 ms per call (15x a trivial jitted kernel), even though XLA then drops the predicates.
_pmf_checks_p = jax.extend.core.Primitive("divergences_pmf_checks")
_pmf_checks_p.def_impl(lambda x, **_: x)
_pmf_checks_p.def_abstract_eval(lambda x, **_: x)
jax.interpreters.mlir.register_lowering(_pmf_checks_p, lambda ctx, x, **_: [x])


def _pmf_checks_jvp(primals: Any, tangents: Any, **params: Any) -> Any:
    return _pmf_checks_p.bind(primals[0], **params), tangents[0]


def _pmf_checks_batch(args: Any, dims: Any, *, axis: int, **params: Any) -> Any:
    (x,), (d,) = args, dims
    if d is None:
        return _pmf_checks_p.bind(x, axis=axis, **params), None
    return _pmf_checks_p.bind(jnp.moveaxis(x, d, 0), axis=axis + 1, **params), 0


def _pmf_checks_checkify(
    error: Any,
    enabled: Any,
    x: jax.Array,
    *,
    name: str,
    axis: int,
    require_sum: bool,
    shown_axis: int,
) -> Any:
    from jax._src import checkify as impl  # the rule API of checkify is not public

    if impl.FailedCheckError in enabled:
        for holds, message in _traced_predicates(x, name, axis, require_sum, shown_axis):
            failure = impl.FailedCheckError(impl.get_traceback(), message)
            error = impl.assert_func(error, jnp.logical_not(holds), failure)
    return error, x


jax.interpreters.ad.primitive_jvps[_pmf_checks_p] = _pmf_checks_jvp
jax.interpreters.batching.primitive_batchers[_pmf_checks_p] = _pmf_checks_batch
_checkify_rules: Any = __import__("jax._src.checkify", fromlist=["error_checks"]).error_checks
_checkify_rules[_pmf_checks_p] = _pmf_checks_checkify


def _traced_value_checks(x: jax.Array, name: str, axis: int, require_sum: bool) -> jax.Array:
    return _pmf_checks_p.bind(x, name=name, axis=axis, require_sum=require_sum, shown_axis=axis)


def check_pmf(p: Any, name: str, *, axis: int = -1, require_sum: bool = True) -> jax.Array:
    """Validates probability masses along ``axis`` and returns them as a float JAX array.

    Rules: at least one axis; the mass axis is non-empty; real, finite, non-negative entries;
    each slice along ``axis`` sums to one within :func:`sum_tolerance`.

    Raises:
      ValueError: naming ``name`` and the rule broken.
    """
    x = as_float_array(p, name)
    ax = normalize_axis(axis, x.ndim, name)
    if x.shape[ax] == 0:
        raise ValueError(f"{name} is empty along axis {axis}; it needs at least one mass")
    if is_traced(x):
        x = _traced_value_checks(x, name, ax, require_sum)
    else:
        _host_value_checks(np.asarray(x), name, ax, require_sum)
    return x


def check_same_shape_after_broadcast(
    arrays: dict[str, jax.Array], *, axis: int
) -> tuple[jax.Array, ...]:
    """Broadcasts the arrays together, or raises a ValueError naming both shapes.

    The mass axis must match exactly: broadcasting a length-1 mass axis against a longer one
    would silently compare a point mass with a pmf, so it is refused.
    """
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
    return tuple(jnp.broadcast_to(arrays[n].astype(dtype), shape) for n in names)


def _axis_from_right(axis: int, ndim: int) -> int:
    """``axis`` of an ``ndim``-dimensional broadcast shape, counted from the right (negative).

    Out-of-range axes are returned unchanged, for :func:`normalize_axis` to report.
    """
    return axis - ndim if 0 <= axis < ndim else axis


def check_pmf_pair(
    p: Any, q: Any, names: tuple[str, str] = ("p", "q"), *, axis: int = -1
) -> tuple[jax.Array, jax.Array]:
    """Validates two pmfs (see :func:`check_pmf`) and broadcasts them to one shape and dtype.

    ``axis`` is an axis of the broadcast shape. Broadcasting aligns shapes on the right, so when
    the two inputs differ in rank a non-negative ``axis`` is located from the right in each of them.
    """
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
    a = check_pmf(a, names[0], axis=axis)
    b = check_pmf(b, names[1], axis=axis)
    a, b = check_same_shape_after_broadcast({names[0]: a, names[1]: b}, axis=axis)
    return a, b


def check_base(base: Any) -> None:
    """Checks a logarithm base: None (nats) or a finite number > 0 and != 1."""
    if base is None or is_traced(base):
        return
    b = np.asarray(base)
    if (
        b.shape != ()
        or not (np.issubdtype(b.dtype, np.integer) or np.issubdtype(b.dtype, np.floating))
        or not np.isfinite(b)
        or b <= 0
        or b == 1
    ):
        raise ValueError(f"base must be None (nats) or a finite number > 0 and != 1, got {base!r}")


def check_in_unit_interval(d: Any, name: str) -> jax.Array:
    """Validates values in [0, 1] (a discriminator's outputs) and returns a float array."""
    x = as_float_array(d, name)
    if is_traced(x):
        checkify.debug_check(jnp.all((x >= 0) & (x <= 1)), f"{name} must lie in [0, 1] (no NaN)")
    else:
        h = np.asarray(x)
        if np.isnan(h).any():
            raise ValueError(f"{name} contains NaN; it must lie in [0, 1]")
        if (h < 0).any() or (h > 1).any():
            raise ValueError(
                f"{name} must lie in [0, 1]; found values in [{h.min()!r}, {h.max()!r}]"
            )
    return x


def checked(fn: F) -> F:
    """Wraps ``fn`` so that the value checks run under :func:`jax.jit` too.

    Plain calls on concrete arrays are always checked on the host. Inside ``jit`` the value rules
    are compiled as :func:`jax.experimental.checkify.debug_check` calls that cost nothing unless
    asked for; this wrapper asks for them and turns a failure into the same :class:`ValueError`.

    Example:
      >>> import jax, divergences as dv
      >>> safe_kl = dv.checked(jax.jit(dv.kl))
      >>> safe_kl([0.5, 0.5], [0.9, 0.2])  # doctest: +ELLIPSIS
      Traceback (most recent call last):
      ...
      ValueError: q does not sum to 1 along axis 0 (tolerance ...)
    """
    cfn = checkify.checkify(fn, errors=checkify.user_checks)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        err, out = cfn(*args, **kwargs)
        message = err.get()
        if message is not None:
            raise ValueError(message.removesuffix(" (`check` failed)").split("\n")[0])
        return out

    return wrapper  # type: ignore[return-value]
