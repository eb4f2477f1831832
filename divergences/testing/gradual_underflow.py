r"""JAX's float arithmetic evaluated with gradual underflow, as a GPU does it, on this CPU.

XLA's CPU runtime runs every program with the processor's flush-to-zero and
denormals-are-zero modes on (:mod:`divergences._src.float_environment`), and no option of its
own turns them off (``XLA_FLAGS=--xla_cpu_ftz=false`` is accepted and changes nothing on
jaxlib 0.10). A GPU keeps subnormal numbers (IEEE 754 gradual underflow): in float64
``5e-320 * 2`` is ``1e-319`` there and 0 here. Code whose answer below the normal range should
not depend on the backend is therefore run twice by the tests: as XLA computes it, and inside
:func:`keep_subnormals`, where

* a jitted function is traced as usual, and its program is evaluated one equation at a time
  instead of being compiled (so are the programs of ``lax.cond``, ``lax.while_loop`` and the
  custom derivatives inside it);
* every primitive that does float arithmetic or compares floats (:data:`_NUMPY`) is computed by
  NumPy, which keeps subnormal operands and results as the IEEE standard says, and the result
  goes back to JAX with its dtype and weak type;
* the primitives that only move, reshape or reinterpret data (:data:`_DATA`) and every primitive
  on integers and booleans alone run in XLA as usual (copying bits neither reads nor writes a
  float);
* any other primitive on floats raises ``NotImplementedError`` (none passes unseen);
* ``lax.platform_dependent`` takes the branch of a GPU (``cuda``, else its default), not the
  CPU's: the emulated backend is not the CPU that flushes, and code that leaves the flush to the
  CPU's runtime must do it itself elsewhere.

NumPy's elementary functions and sums round differently from XLA's, by an ulp or a few (the
tests' tolerances, mathematical bounds, hold for both); the evaluation is slow (a dispatch per
operation), for the float-range tests; host callbacks run as they are. Not faithful to a GPU:
the program is JAX's, before XLA's rewrites, each exact in real arithmetic and able to leave the
float range (``(d / s)^2`` as ``d^2 (1 / s)^2``): :func:`evaluated_by_the_compiler` shows them,
with subnormals kept (docs/conventions.md, "Subnormal numbers"); a card's run is the judge.

Example:
  >>> import jax, numpy as np
  >>> from divergences.testing.gradual_underflow import keep_subnormals
  >>> x = np.float64(5e-320)  # float64: x64 on, as in the tests
  >>> double = jax.jit(lambda v: v * 2)
  >>> with keep_subnormals():
  ...     kept = float(double(x))
  >>> kept, float(double(x))
  (1e-319, 0.0)
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jax
import numpy as np
import scipy.special
from jax._src import core, pjit
from jax._src.lax import lax

__all__ = ["evaluated_by_the_compiler", "keep_subnormals", "keeps_subnormals"]


def _elementwise(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: np.ndarray, **_: Any) -> np.ndarray:
        return fn(*args)

    return run


def _integer_pow(x: np.ndarray, *, y: int) -> np.ndarray:
    # XLA multiplies (square and multiply); NumPy's power of a float by an integer rounds once.
    # Both are within a few ulps for the small exponents used here.
    return np.power(x, x.dtype.type(y)) if y >= 0 else 1 / np.power(x, x.dtype.type(-y))


def _round(x: np.ndarray, *, rounding_method: Any) -> np.ndarray:
    if int(rounding_method) == 1:  # to nearest even
        return np.round(x)
    return np.copysign(np.floor(np.abs(x) + 0.5), x)  # half away from zero


def _axes(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def run(x: np.ndarray, *, axes: tuple[int, ...], **_: Any) -> np.ndarray:
        return fn(x, axis=tuple(axes))

    return run


def _arg(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def run(x: np.ndarray, *, axes: tuple[int, ...], index_dtype: Any) -> np.ndarray:
        return fn(x, axis=axes[0]).astype(index_dtype)

    return run


def _cumulative(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def run(x: np.ndarray, *, axis: int, reverse: bool) -> np.ndarray:
        if reverse:
            return np.flip(fn(np.flip(x, axis), axis=axis), axis)
        return fn(x, axis=axis)

    return run


def _cumlogsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    return np.logaddexp.accumulate(x, axis=axis)


def _convert(x: np.ndarray, *, new_dtype: Any, **_: Any) -> np.ndarray:
    return x.astype(new_dtype)


def _clamp(lo: np.ndarray, x: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)


def _dot_general(
    a: np.ndarray, b: np.ndarray, *, dimension_numbers: Any, preferred_element_type: Any, **_: Any
) -> np.ndarray:
    (ca, cb), (ba, bb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ca, cb, strict=True):
        sb[j] = sa[i]
    for i, j in zip(ba, bb, strict=True):
        sb[j] = sa[i]
    batch = [sa[i] for i in ba]
    free_a = [sa[i] for i in range(a.ndim) if i not in ca and i not in ba]
    free_b = [sb[j] for j in range(b.ndim) if j not in cb and j not in bb]
    spec = f"{''.join(sa)},{''.join(sb)}->{''.join(batch + free_a + free_b)}"
    out = np.einsum(spec, a, b)
    dtype = preferred_element_type or np.result_type(a, b)
    return np.asarray(out, dtype)


def _order_key(x: np.ndarray) -> np.ndarray:
    """Floats as integers in the order of ``lax.sort`` (``-0 < +0``; NaN last)."""
    if not np.issubdtype(x.dtype, np.floating):
        return x
    itype = np.dtype(f"int{8 * x.dtype.itemsize}")
    bits = x.view(itype)
    largest = np.iinfo(itype).max
    key = np.where(bits < 0, bits ^ largest, bits)
    return np.where(np.isnan(x), largest, key)


def _sort(*operands: np.ndarray, dimension: int, is_stable: bool, num_keys: int) -> tuple:
    del is_stable  # lexsort is stable
    moved = [np.moveaxis(o, dimension, -1) for o in operands]
    keys = [_order_key(o) for o in moved[:num_keys]]
    flat = [k.reshape(-1, k.shape[-1]) for k in keys]
    order = np.stack(
        [np.lexsort(tuple(k[r] for k in reversed(flat))) for r in range(flat[0].shape[0])]
    )
    order = order.reshape(moved[0].shape)
    return tuple(np.moveaxis(np.take_along_axis(o, order, -1), -1, dimension) for o in moved)


def _reduce_precision(x: np.ndarray, *, exponent_bits: int, mantissa_bits: int) -> np.ndarray:
    info = np.finfo(x.dtype)
    if exponent_bits >= info.nexp and mantissa_bits >= info.nmant:
        return x
    raise NotImplementedError("reduce_precision to a narrower format")


#: Set inside ``keep_subnormals(reciprocal_division=True)``.
_options = threading.local()


def _divide(a: np.ndarray, b: np.ndarray, **_: Any) -> np.ndarray:
    """``a / b``; or ``a * (1 / b)``, as XLA rewrites a division by a broadcast divisor."""
    if getattr(_options, "reciprocal", False):
        return a * (1 / b)
    return np.true_divide(a, b)


def _logistic(x: np.ndarray, **_: Any) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


#: The primitives computed by NumPy: float arithmetic and comparisons of floats.
_NUMPY: dict[str, Callable[..., Any]] = {
    **{
        name: _elementwise(fn)
        for name, fn in {
            "add": np.add,
            "add_any": np.add,
            "sub": np.subtract,
            "mul": np.multiply,
            "rem": np.fmod,
            "neg": np.negative,
            "abs": np.abs,
            "sign": np.sign,
            "max": np.maximum,
            "min": np.minimum,
            "floor": np.floor,
            "ceil": np.ceil,
            "sqrt": np.sqrt,
            "rsqrt": lambda x: 1 / np.sqrt(x),
            "cbrt": np.cbrt,
            "square": np.square,
            "exp": np.exp,
            "exp2": np.exp2,
            "expm1": np.expm1,
            "log": np.log,
            "log1p": np.log1p,
            "tanh": np.tanh,
            "sin": np.sin,
            "cos": np.cos,
            "tan": np.tan,
            "atan2": np.arctan2,
            "pow": np.power,
            "nextafter": np.nextafter,
            "is_finite": np.isfinite,
            "erf": scipy.special.erf,
            "erfc": scipy.special.erfc,
            "erf_inv": scipy.special.erfinv,
            "lgamma": scipy.special.gammaln,
            "digamma": scipy.special.digamma,
            "eq": np.equal,
            "ne": np.not_equal,
            "lt": np.less,
            "le": np.less_equal,
            "gt": np.greater,
            "ge": np.greater_equal,
            "clamp": _clamp,
            "copysign": np.copysign,
        }.items()
    },
    "div": _divide,
    "logistic": _logistic,
    "integer_pow": _integer_pow,
    "round": _round,
    "reduce_sum": _axes(np.sum),
    "reduce_prod": _axes(np.prod),
    "reduce_max": _axes(np.max),
    "reduce_min": _axes(np.min),
    "argmax": _arg(np.argmax),
    "argmin": _arg(np.argmin),
    "cumsum": _cumulative(np.cumsum),
    "cumprod": _cumulative(np.cumprod),
    "cummax": _cumulative(np.maximum.accumulate),
    "cummin": _cumulative(np.minimum.accumulate),
    "cumlogsumexp": _cumulative(_cumlogsumexp),
    "convert_element_type": _convert,
    "dot_general": _dot_general,
    "sort": _sort,
    "reduce_precision": _reduce_precision,
}

#: The primitives that move, reshape or reinterpret data without float arithmetic: run by XLA.
_DATA = frozenset(
    {
        "stage",
        "stack",
        "scatter",
        "check",
        "debug_callback",
        "broadcast_in_dim",
        "reshape",
        "squeeze",
        "expand_dims",
        "transpose",
        "rev",
        "slice",
        "dynamic_slice",
        "dynamic_update_slice",
        "gather",
        "concatenate",
        "pad",
        "select_n",
        "bitcast_convert_type",
        "iota",
        "copy",
        "copy_p",
        "device_put",
        "stop_gradient",
        "optimization_barrier",
        "split",
        "pure_callback",
        "io_callback",
        "random_bits",
        "random_seed",
        "random_wrap",
        "random_unwrap",
        "threefry2x32",
        "shift_left",
        "shift_right_logical",
        "shift_right_arithmetic",
        "and",
        "or",
        "not",
        "xor",
        "population_count",
        "clz",
    }
)


def _is_float(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.issubdtype(np.dtype(dtype), np.inexact)


def _back(values: Any, avals: Any, multiple: bool, weaken: Callable[[Any], Any]) -> Any:
    """NumPy results as JAX arrays of the avals' dtypes and weak types."""
    if not multiple:
        values, avals = (values,), (avals,)
    out = []
    for v, aval in zip(values, avals, strict=True):
        arr = jax.device_put(np.asarray(v, dtype=aval.dtype).reshape(aval.shape))
        out.append(weaken(arr) if getattr(aval, "weak_type", False) else arr)
    return tuple(out) if multiple else out[0]


def _eval(closed: Any, args: Any) -> list[Any]:
    return core.eval_jaxpr(closed.jaxpr, closed.consts, *args)


def _while(args: Any, params: Any) -> list[Any]:
    nc, nb = params["cond_nconsts"], params["body_nconsts"]
    cond_consts, body_consts, carry = args[:nc], args[nc : nc + nb], list(args[nc + nb :])
    while bool(_eval(params["cond_jaxpr"], [*cond_consts, *carry])[0]):
        carry = _eval(params["body_jaxpr"], [*body_consts, *carry])
    return carry


def _cond(args: Any, params: Any) -> list[Any]:
    branches = params["branches"]
    index = min(max(int(np.asarray(args[0])), 0), len(branches) - 1)
    return _eval(branches[index], args[1:])


#: Primitives that hold programs: their equations are evaluated one by one, here.
_PROGRAMS: dict[str, Callable[[Any, Any], Any]] = {
    "jit": lambda args, params: _eval(params["jaxpr"], args),
    "cond": _cond,
    "while": _while,
    "closed_call": lambda args, params: _eval(params["call_jaxpr"], args),
    "remat": lambda args, params: core.eval_jaxpr(params["jaxpr"], (), *args),
    "checkpoint": lambda args, params: core.eval_jaxpr(params["jaxpr"], (), *args),
}


def _gpu_branch(platforms: Any) -> Any:
    """The index ``platform_index`` gives on a GPU: of the branch for ``cuda``, else the default."""
    for i, names in enumerate(platforms):
        if names is not None and "cuda" in names:
            return jax.device_put(np.int32(i))
    if None in platforms:
        return jax.device_put(np.int32(platforms.index(None)))
    raise NotImplementedError("keep_subnormals: lax.platform_dependent without a GPU branch")


def _numpy_primitive(original: Callable[..., Any]) -> Callable[..., Any]:
    def process_primitive(self: Any, primitive: Any, args: Any, params: Any, /) -> Any:
        name = primitive.name
        if name in _PROGRAMS:
            return _PROGRAMS[name](args, params)
        if name == "platform_index":
            return _gpu_branch(params["platforms"])
        floats = any(_is_float(a) for a in args)
        if name in _NUMPY and floats:
            arrays = [np.asarray(a) for a in args]
            avals = primitive.abstract_eval(*(core.typeof(a) for a in args), **params)[0]
            with np.errstate(all="ignore"):
                result = _NUMPY[name](*arrays, **params)

            def weaken(arr: Any) -> Any:
                convert = {"new_dtype": arr.dtype, "weak_type": True, "sharding": None}
                return _by_xla(original, self, lax.convert_element_type_p, [arr], convert)

            return _back(result, avals, primitive.multiple_results, weaken)
        if name in _LINEAR and floats:
            return _scaled_by_xla(original, self, primitive, args, params)
        if name in _DATA or not floats or name in _NUMPY:
            return _by_xla(original, self, primitive, args, params)
        raise NotImplementedError(f"keep_subnormals: no IEEE evaluation of {name!r} on floats")

    return process_primitive


#: Set while a primitive runs in XLA (JAX compiles it as a program of its own).
_in_xla = threading.local()


def _by_xla(original: Callable[..., Any], *args: Any) -> Any:
    _in_xla.depth = getattr(_in_xla, "depth", 0) + 1
    try:
        return original(*args)
    finally:
        _in_xla.depth -= 1


#: Linear primitives run in XLA on their float operands scaled by a power of two (see below).
_LINEAR = frozenset({"scatter-add", "scatter_add"})


def _scaled_by_xla(original: Callable[..., Any], *call: Any) -> Any:
    """A linear primitive in XLA, its float operands times ``2^k``, the results divided back.

    ``k`` as large as keeps every operand and the sum of their magnitudes finite, so that a
    subnormal operand is normal in XLA (8e-324 times ``2^1000`` is ``9e-23``); the division back
    is NumPy's, with gradual underflow. Raises where the data span too many binades for that.
    """
    trace, primitive, args, params = call
    floats = [np.asarray(a) for a in args if _is_float(a)]
    dtype = floats[0].dtype
    info = np.finfo(dtype)
    total = sum(float(np.sum(np.abs(f.astype(np.float64)))) for f in floats)
    room = float(info.max) / 4 / max(total, 1.0)  # below 1: the sum's magnitude fits
    k = min(int(np.floor(np.log2(room))) + (info.maxexp - 1 if total < 1 else 0), info.maxexp - 1)
    smallest = min(
        (float(np.min(np.abs(f[f != 0]))) for f in floats if np.any(f != 0)), default=1.0
    )
    if smallest * 2.0**k < float(info.tiny):
        raise NotImplementedError(f"keep_subnormals: {primitive.name} over too many binades")
    scale = dtype.type(2.0**k)
    scaled = [jax.device_put(np.asarray(a) * scale) if _is_float(a) else a for a in args]
    out = _by_xla(original, trace, primitive, scaled, params)
    outs = out if primitive.multiple_results else [out]
    back = [jax.device_put(np.asarray(o) / scale) if _is_float(o) else o for o in outs]
    return back if primitive.multiple_results else back[0]


def _jit_call(original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, jaxpr: Any, **params: Any) -> Any:
        """A top-level ``jax.jit`` call: its program evaluated here, nothing compiled or cached."""
        if getattr(_in_xla, "depth", 0):
            return original(*args, jaxpr=jaxpr, **params)
        return _eval(jaxpr, args), None, None, []

    return call


@contextlib.contextmanager
def keep_subnormals(*, reciprocal_division: bool = False) -> Iterator[None]:
    """Inside the block, JAX computes floats with gradual underflow (see the module docstring).

    Args:
      reciprocal_division: every division of floats as a multiplication by the divisor's
        reciprocal. XLA rewrites ``a / broadcast(b)`` so (its optimised program for the mutual
        information multiplies the joint by ``broadcast(1 / row)``), and where subnormal numbers
        are kept the reciprocal of one overflows (``1 / 5e-320`` is ``inf``) where the quotient
        is finite. Applied to every division, a superset of XLA's.
    """
    _options.reciprocal = reciprocal_division
    original = core.EvalTrace.process_primitive
    original_call = pjit._pjit_call_impl_python
    jax.clear_caches()  # no compiled program of a jitted function is called from its cache
    core.EvalTrace.process_primitive = _numpy_primitive(original)  # type: ignore[method-assign]
    pjit._pjit_call_impl_python = _jit_call(original_call)
    try:
        yield
    finally:
        _options.reciprocal = False
        core.EvalTrace.process_primitive = original  # type: ignore[method-assign]
        pjit._pjit_call_impl_python = original_call
        jax.clear_caches()


def keeps_subnormals(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run inside :func:`keep_subnormals`."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with keep_subnormals():
            return fn(*args, **kwargs)

    return run


def evaluated_by_the_compiler(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with ``args`` as constants of the program, so that XLA folds it as it compiles.

    XLA's constant folding evaluates a program whose operands are all known, after its
    algebraic simplifier has rewritten it, on the host thread that compiles, where subnormal
    numbers are kept (``5e-320 * 2`` is ``1e-319``, where the compiled program gives 0). A user's
    ``jax.jit`` of a closure over small arrays runs this way too. Small arrays only (JAX passes
    large ones as arguments); operations XLA does not fold run compiled, with the CPU's flush.

    Example:
      >>> import jax, numpy as np
      >>> float(evaluated_by_the_compiler(lambda v: v * 2, np.float64(5e-320)))
      1e-319
    """
    constants = [jax.numpy.asarray(a) for a in args]
    return jax.jit(lambda: fn(*constants))()
