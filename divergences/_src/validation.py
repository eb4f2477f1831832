"""Input checks shared by every public function, and the package's error policy.

Error policy (stated once; ``docs/conventions.md`` summarises it):

* **Bad input raises** :class:`ValueError`, and the message starts with the argument's name and
  says which rule it breaks (``"q does not sum to 1 along axis 0 ..."``). Nothing is ever silently
  repaired: a pmf that does not sum to one is an error, never renormalised.
* **Shape, dtype and type rules** (ranks, lengths, broadcasting, ``axis``, a generator that is not
  one) are static: they raise at call time, eagerly and while a transformation traces alike.
* **Value rules** (NaN, inf, signs, sums, a base, a critic's domain, a covariance's symmetry) are
  written once, as a boolean predicate and a message, in :func:`require`. On concrete input the
  predicate is evaluated on the host and a broken rule raises at once. On traced input (inside
  :func:`jax.jit`, :func:`jax.vmap`, :func:`jax.grad`) the same predicate and message become a
  :func:`jax.experimental.checkify.debug_check`: free and silent by default, raised as the very
  same ``ValueError`` (type and message) when the function is wrapped in :func:`checked`. The
  predicates are evaluated with NumPy or ``jax.numpy`` from one code path, so the two modes
  accept and refuse the same inputs. When several rules fail, the first in the function's order
  is reported, in both modes.
* **Low precision**: ``bfloat16`` and ``float16`` input is computed in ``float32`` and the result
  is returned in the input's dtype (the JAX convention: the dtype the inputs promote to), and
  every tolerance of the checks is that of the input's dtype (:func:`sum_tolerance`), so that a
  pmf normalised in float32 and cast to bfloat16 (summing to 1.002, say) is accepted; integers
  and booleans become the default float.
* **Solvers** (the W1 LPs) carry their status in their result or raise ``SolverError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from divergences._src.options import is_integer

__all__ = [
    "as_float_array",
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
    "checked",
    "compiled",
    "half_precision",
    "has_mass",
    "host_float_array",
    "is_traced",
    "keeps_input_precision",
    "normalize_axis",
    "require",
    "sum_tolerance",
]

F = TypeVar("F", bound=Callable[..., Any])

#: What the checks return: a NumPy array (or a JAX array, as given) for concrete input, to be
#: handed to one compiled program; a JAX array under a trace.
FloatArray = np.ndarray | jax.Array


def is_traced(x: Any) -> bool:
    """True when ``x`` (or a leaf of it) is an abstract value inside a JAX transformation."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def require(
    ok: Any,
    message: str,
    *,
    error: Callable[[str, dict[str, Any]], Exception] | None = None,
    **values: Any,
) -> Any:
    """Enforces one value rule: the single implementation behind every check of the package.

    Args:
      ok: a boolean array, True where the rule holds: a NumPy array for concrete input, a traced
        JAX array inside a transformation. The rule holds when every entry is True.
      message: the error message, starting with the argument's name; ``{field}`` placeholders
        (with an optional format spec, ``{total:.6g}``) are filled from ``values``.
      error: makes the exception from the formatted message and the values (NumPy arrays); None
        for a ``ValueError``, the input error. For failures that are not the input's, such as a
        solver that stopped short (``SolverError`` with the status in ``values``).
      **values: arrays named in ``message`` or read by ``error``, or zero-argument callables
        returning them (computed only when the rule fails, for concrete input).

    Returns:
      ``ok`` itself, so that a caller can combine the rules it has checked into one predicate
      (for a host callback that must not run on input that broke a rule).

    Raises:
      ValueError: ``message``, formatted, when ``ok`` is concrete and has a False entry (or the
        exception ``error`` makes). For traced ``ok`` (or traced values) the rule is a
        :func:`jax.experimental.checkify.debug_check`, raised as the same exception by
        :func:`checked`, which finds ``error`` by a code the check carries as a field (no text
        is parsed or compared);
        rules checked in the same order therefore fail alike, eager and under
        ``checked(jit(...))``.
    """
    if is_traced(ok) or any(is_traced(v) for v in values.values() if not callable(v)):
        fields = {k: v() if callable(v) else v for k, v in values.items()}
        if error is not None:
            fields[_ERROR_FIELD] = jnp.int32(_error_code(error))
        checkify.debug_check(jnp.all(jnp.asarray(ok)), message, **fields)
        return ok
    if not np.all(ok):
        fields = {k: np.asarray(v() if callable(v) else v) for k, v in values.items()}
        text = message.format(**fields)
        raise ValueError(text) if error is None else error(text, fields)
    return ok


def _xp(*xs: Any) -> Any:
    """``jax.numpy`` if any argument is traced, else NumPy: one predicate, two evaluators."""
    return jnp if any(is_traced(x) for x in xs) else np


def _float_dtype(dtype: Any) -> Any:
    """The floating dtype an input of ``dtype`` is computed in.

    Integers and booleans become the default float; float64 becomes float32 unless x64 is
    enabled; ``bfloat16`` and ``float16`` become float32 (their 8 or 11 bits of mantissa cannot
    hold the sums and logarithms the package takes, nor check a sum to their own tolerance).
    """
    if jnp.issubdtype(dtype, jnp.floating):
        if jnp.finfo(dtype).bits < 32:
            return np.dtype(np.float32)
        return jax.dtypes.canonicalize_dtype(dtype)
    return jnp.result_type(float)


def half_precision(x: Any) -> Any:
    """The dtype of ``x`` if it is a floating dtype narrower than 32 bits (bfloat16, float16).

    Such input is computed in float32 (:func:`_float_dtype`); its dtype is what the checks take
    their tolerances from and what the result is returned in (:func:`keeps_input_precision`).
    None for any other input, lists and scalars included.
    """
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return None
    try:
        if jnp.issubdtype(dtype, jnp.floating) and jnp.finfo(dtype).bits < 32:
            return np.dtype(dtype)
    except TypeError:  # not a NumPy dtype (an object that merely has a dtype attribute)
        return None
    return None


def keeps_input_precision(fn: F) -> F:
    """Returns ``fn``'s floating results in the input's dtype where that is bfloat16 or float16.

    The target is the dtype JAX promotes the positional arguments to (a list counts as the
    default float, a Python number as weakly typed, other objects not at all): ``kl(bf16, bf16)`` is bfloat16, ``kl(bf16, float32)`` float32,
    ``kl(bf16, float16)`` float32, as ``jnp.add`` would give. The computation itself runs in
    float32 (see :func:`_float_dtype`); only the result is rounded, once.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        halves = [h for a in args if (h := half_precision(a)) is not None]
        if not halves:
            return out
        others = []
        for a in args:
            if half_precision(a) is not None:
                continue
            dtype = getattr(a, "dtype", None)
            if dtype is not None and (
                jnp.issubdtype(dtype, jnp.number) or jnp.issubdtype(dtype, jnp.bool_)
            ):
                others.append(_float_dtype(dtype))
            elif type(a) in (list, tuple):  # masses as a list: the default float, as jnp.asarray
                others.append(_float_dtype(np.dtype(float)))
        target = jnp.result_type(*halves, *others)
        if jnp.finfo(target).bits >= 32:
            return out
        return jax.tree_util.tree_map(
            lambda x: (
                x.astype(target)
                if isinstance(x, jax.Array | jax.core.Tracer)
                and jnp.issubdtype(x.dtype, jnp.floating)
                else x
            ),
            out,
        )

    return wrapper  # type: ignore[return-value]


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
    if not (
        np.issubdtype(arr.dtype, np.number)
        or np.issubdtype(arr.dtype, np.bool_)
        or jnp.issubdtype(arr.dtype, jnp.floating)  # bfloat16 and the other ml_dtypes floats
    ):
        raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(_float_dtype(arr.dtype), copy=False)


def as_float_array(x: Any, name: str) -> FloatArray:
    """Converts ``x`` to a floating array (see :func:`_float_dtype` for the dtype rules).

    Concrete input stays on the host side of JAX: a NumPy array, or a JAX array already of its
    floating dtype, returned as it is. A public function checks its values there and hands the
    arrays to one compiled program (:func:`compiled`), so that an eager call runs no JAX
    operation of its own: each would compile on its own at every new shape (20 ms apiece on a
    CPU) and dispatch on its own at every call. Traced input is a JAX array.

    Raises:
      ValueError: if ``x`` is ragged, complex or not numeric.
    """
    if is_traced(x):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise ValueError(f"{name} must be real, got complex dtype {x.dtype}")
        return x.astype(_float_dtype(x.dtype))
    if isinstance(x, jax.Array) and x.dtype == _float_dtype(x.dtype):
        return x
    return host_float_array(x, name)


def compiled(fn: F | None = None, *, static_argnames: str | tuple[str, ...] = ()) -> Any:
    """``jax.jit`` for the computing part of a public function, named for what it is for.

    A public function checks its input (:func:`check_pmf` and the other checks: on the host for
    concrete input, as :func:`require` rules under a trace), then calls one function decorated
    with this. Called eagerly, the whole computation is then one XLA program, compiled once per
    shape and dtype, instead of an operation at a time; under a caller's transformation it is
    inlined. Options that change the program (an ``axis``) are static; numbers such as the
    logarithm of a base are arguments, so every base shares one program.
    """
    if fn is None:
        return functools.partial(compiled, static_argnames=static_argnames)
    return jax.jit(fn, static_argnames=static_argnames)


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


def sum_tolerance(dtype: Any) -> float:
    """Tolerance on ``|sum(p) - 1|``: the square root of the input dtype's machine epsilon.

    That is 1.5e-8 in float64, 3.5e-4 in float32, 0.031 in float16 and 0.088 in bfloat16 (the
    input's dtype, although such input is computed in float32: casting a float32 pmf to
    bfloat16 moves its sum by up to half its epsilon, 0.004): loose enough for masses typed by hand or
    normalised in another precision, tight enough to catch a forgotten normalisation. Masses
    accepted at this tolerance are used as they are; every function keeps its result inside its
    documented range for them (see ``docs/conventions.md``).
    """
    return float(np.sqrt(jnp.finfo(dtype).eps))


def has_mass(x: Any) -> Any:
    """True where a mass counts as positive: where it is at least the dtype's smallest normal number.

    The package's one rule for tiny masses. XLA flushes subnormal numbers to 0 in its arithmetic,
    so the kernels see a mass below the smallest normal number as an exact 0; every check that
    asks whether a mass is present (on the host with NumPy, or traced) asks this, so that a check
    and the kernel it guards never disagree about a subnormal mass. ``x`` is a NumPy or JAX
    array; the result is a boolean array of the same kind.
    """
    return x >= jnp.finfo(x.dtype).tiny


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


def _host_value_checks(x: np.ndarray, name: str, axis: int, require_sum: bool) -> None:
    """The value rules of :func:`check_pmf` on a NumPy array (for the host LP solvers)."""
    _value_checks(np.asarray(x), name, axis, require_sum)


#: The makers of the exceptions of traced checks that are not input errors, registered by
#: :func:`require`; a failed check carries its maker's position here, plus one, in the field
#: :data:`_ERROR_FIELD` (no field: a ``ValueError``), and :func:`checked` reads it back.
_CHECK_ERRORS: list[Callable[[str, dict[str, Any]], Exception]] = []
_ERROR_FIELD = "_error_kind"


def _error_code(error: Callable[[str, dict[str, Any]], Exception]) -> int:
    """The code of ``error`` in :data:`_CHECK_ERRORS` (registered at its first use), from 1."""
    if error not in _CHECK_ERRORS:
        _CHECK_ERRORS.append(error)
    return _CHECK_ERRORS.index(error) + 1


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


def checked(fn: F) -> F:
    """Wraps ``fn`` so that the value checks run under :func:`jax.jit` too.

    Plain calls on concrete arrays are always checked on the host. Inside ``jit`` the value rules
    are compiled as :func:`jax.experimental.checkify.debug_check` calls that cost nothing unless
    asked for; this wrapper asks for them and turns a failure into the same :class:`ValueError`,
    with the same message, that a plain call raises. Called on concrete arrays, a function that
    is not a ``jax.jit`` one is compiled as one, once per shape and dtype of the array arguments
    (the other arguments static), and raises what ``checked(jax.jit(fn))`` raises (a W1 solver's
    stop: the ``SolverError`` of a traced call). Where the other arguments are not hashable, or
    ``fn`` reads its input's values with NumPy, it runs an operation at a time, as checkify does.

    The wrapper composes with the transformations either way round. ``checked(jit(f))`` and
    ``checked(vmap(f))`` raise once the program has run; ``vmap(checked(f))`` and
    ``grad(checked(f))`` raise the same ``ValueError`` (the failed check is reported through
    :func:`jax.debug.callback`, which these run eagerly); under an outer ``jit``,
    ``jit(checked(f))``, the check runs inside the compiled program, and a failure leaves it as
    the :class:`jax.errors.JaxRuntimeError` that XLA raises for a failed callback, whose message
    ends with the ``ValueError`` and its text: put ``checked`` outermost for the ``ValueError``
    itself.

    Example:
      >>> import jax, divergences as dv
      >>> safe_kl = dv.checked(jax.jit(dv.kl))
      >>> safe_kl([0.5, 0.5], [0.9, 0.2])  # doctest: +ELLIPSIS
      Traceback (most recent call last):
      ...
      ValueError: q does not sum to 1 along axis 0 (sum = 1.1, tolerance ...
    """
    cfn = checkify.checkify(fn, errors=checkify.user_checks)
    # A function that is not a jax.jit one is compiled as one, so that checkify dispatches one
    # program instead of an operation at a time (its checks, numbered afresh on each call, would
    # also make it recompile every jitted part it meets on every call).
    one_program = not callable(getattr(fn, "lower", None))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
        where = tuple(isinstance(leaf, (jax.Array, np.ndarray)) for leaf in leaves)
        others = tuple(leaf for leaf, array in zip(leaves, where, strict=True) if not array)
        arrays = [leaf for leaf, array in zip(leaves, where, strict=True) if array]
        err = out = None
        if one_program and not is_traced(arrays) and _hashable(others):
            try:
                err, out = _CHECKED_PROGRAM(fn, tree, where, others, *arrays)
            except _NEEDS_VALUES:
                pass  # fn reads its input's values in Python: run it on the concrete input
        if err is None:
            err, out = cfn(*args, **kwargs)
        if is_traced(err):
            # Inside an outer transformation the error is an abstract value: it is raised when
            # the values exist, by a callback (once per element under vmap).
            jax.debug.callback(_raise_failed_check, err)
        else:
            _raise_failed_check(err)
        return out

    return wrapper  # type: ignore[return-value]


# What tracing a function under jit raises when the function needs its input's values.
_NEEDS_VALUES = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
)


def _hashable(values: tuple[Any, ...]) -> bool:
    """Whether ``values`` can key a compiled program (the options of a call, as static values)."""
    try:
        hash(values)
    except TypeError:
        return False
    return True


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _call_with_arrays(
    fn: Callable[..., Any],
    tree: Any,
    where: tuple[bool, ...],
    others: tuple[Any, ...],
    *arrays: Any,
) -> Any:
    """``fn`` on the arguments flattened to ``tree`` (``arrays`` and ``others`` by ``where``), jitted.

    The arrays are the program's arguments, the other leaves static: one program per function,
    shape, dtype and option, shared by every :func:`checked` wrapper of that function.
    """
    pick_array, pick_other = iter(arrays), iter(others)
    leaves = [next(pick_array) if array else next(pick_other) for array in where]
    args, kwargs = jax.tree_util.tree_unflatten(tree, leaves)
    return fn(*args, **kwargs)


# Checkify of one jitted call: its checked program is cached with the call's (checkify's cache
# of a jitted function's checked program is keyed by the function's traced program).
_CHECKED_PROGRAM = checkify.checkify(_call_with_arrays, errors=checkify.user_checks)


def _raise_failed_check(err: checkify.Error) -> None:
    """Raises the exception of a failed check; nothing where no check failed.

    The exception is the one whose code the check carries (:func:`require` registers it), else a
    ``ValueError``; its text is the check's template filled with its fields.
    """
    failure: Any = err.get_exception()
    if failure is None:
        return
    # Under vmap, the failures by batch index: the first one's, as an eager loop would raise.
    failure = next(iter(getattr(failure, "error_mapping", {0: failure}).values()))
    template, args, kwargs = failure.fmt_string, failure.args, failure.kwargs
    fields = {k: np.asarray(v) for k, v in kwargs.items()}
    # The exception's maker, by the code the check carries (one value, also under vmap).
    code = int(np.ravel(fields.pop(_ERROR_FIELD, 0))[0])
    text = template.format(*args, **fields)
    raise ValueError(text) if code == 0 else _CHECK_ERRORS[code - 1](text, fields)
