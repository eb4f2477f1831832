"""The precision policy: the floating dtype an input is computed in, and the tolerances.

* Integers and booleans become the default float; float64 becomes float32 unless x64 is
  enabled.
* ``bfloat16`` and ``float16`` input is computed in ``float32`` and the result is returned in
  the input's dtype (the JAX convention: the dtype the inputs promote to,
  :func:`keeps_input_precision`), and every tolerance of the checks is that of the input's
  dtype (:func:`sum_tolerance`), so that a pmf normalised in float32 and cast to bfloat16
  (summing to 1.002, say) is accepted.
* float16 is converted to float32 and back by integer operations on its bits
  (:mod:`.float16`): XLA's conversion does not compile on a CPU without F16C.
* Concrete input stays on the host (:func:`as_float_array`): checked there, then handed to one
  compiled program.
* A mass counts as present where it is at least the dtype's smallest normal number
  (:func:`has_mass`); the kernels read the others as 0 on every backend
  (:func:`flush_subnormals`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.errors import is_traced
from divergences._src.float16 import narrow_to_half, widen_half

__all__ = [
    "FloatArray",
    "as_float_array",
    "float_dtype",
    "flush_subnormals",
    "half_precision",
    "has_mass",
    "host_float_array",
    "keeps_input_precision",
    "power_of_two_below",
    "sum_tolerance",
]

F = TypeVar("F", bound=Callable[..., Any])

#: What the checks return: a NumPy array (or a JAX array, as given) for concrete input, to be
#: handed to one compiled program; a JAX array under a trace.
FloatArray = np.ndarray | jax.Array


def float_dtype(dtype: Any) -> Any:
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

    Such input is computed in float32 (:func:`float_dtype`); its dtype is what the checks take
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
    float32 (see :func:`float_dtype`); only the result is rounded, once.
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
                others.append(float_dtype(dtype))
            elif type(a) in (list, tuple):  # masses as a list: the default float, as jnp.asarray
                others.append(float_dtype(np.dtype(float)))
        target = jnp.result_type(*halves, *others)
        if jnp.finfo(target).bits >= 32:
            return out
        return jax.tree_util.tree_map(
            lambda x: (
                _rounded(x, target)
                if isinstance(x, jax.Array | jax.core.Tracer)
                and jnp.issubdtype(x.dtype, jnp.floating)
                else x
            ),
            out,
        )

    return wrapper  # type: ignore[return-value]


def _rounded(x: jax.Array, target: Any) -> jax.Array:
    """``x`` rounded to nearest into ``target``; float32 to float16 from the bits (no F16C)."""
    if target == jnp.float16 and x.dtype == jnp.float32:
        return narrow_to_half(x)
    return x.astype(target)


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
    return arr.astype(float_dtype(arr.dtype), copy=False)


def as_float_array(x: Any, name: str) -> FloatArray:
    """Converts ``x`` to a floating array (see :func:`float_dtype` for the dtype rules).

    Concrete input stays on the host side of JAX: a NumPy array, or a JAX array already of its
    floating dtype, returned as it is. A public function checks its values there (or, for two
    pmfs, in the program itself: :func:`~divergences._src.domain.on_pmf_pair`) and hands the
    arrays to one program under :func:`jax.jit`, so that an eager call runs no JAX operation of
    its own: each would compile on its own at every new shape and dispatch on its own at every
    call (what that costs: ``benchmarks/history-to-2026-11-25.md``). Traced input is a JAX array.

    Raises:
      ValueError: if ``x`` is ragged, complex or not numeric.
    """
    if is_traced(x):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise ValueError(f"{name} must be real, got complex dtype {x.dtype}")
        if x.dtype == jnp.float16:  # XLA's conversion needs F16C on a CPU: from the bits
            return widen_half(x)
        return x.astype(float_dtype(x.dtype))
    if isinstance(x, jax.Array) and x.dtype == float_dtype(x.dtype):
        return x
    return host_float_array(x, name)


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

    The package's one rule for tiny masses. XLA's CPU flushes subnormal numbers to 0 in its
    arithmetic, and elsewhere the kernels set them to 0 (:func:`flush_subnormals`), so the kernels
    see a mass below the smallest normal number as an exact 0; every check that
    asks whether a mass is present (on the host with NumPy, or traced) asks this, so that a check
    and the kernel it guards never disagree about a subnormal mass. ``x`` is a NumPy or JAX
    array; the result is a boolean array of the same kind.
    """
    return x >= jnp.finfo(x.dtype).tiny


@jax.custom_jvp
def flush_subnormals(x: jax.Array) -> jax.Array:
    """``x`` with its entries below the smallest normal number in magnitude set to 0.

    Where masses enter a kernel, so that it reads them by :func:`has_mass` on every backend: XLA's
    CPU reads a subnormal operand as 0 already (and writes a subnormal result as 0), a GPU keeps
    it, and there a subnormal mass counted as mass (``kl`` 1.15e-307 for 1.56e-307) or made NaN
    (a ratio of a normal mass to it overflowed). On the CPU this is the identity, compiled to
    nothing, so that the fused loops the masses enter stay as they are
    (:mod:`divergences._src.numerics`, the cost model); elsewhere a select. NaN, infinities and
    normal numbers of either sign pass unchanged. The derivative passes unchanged too: that of
    the masses as they are on the CPU.
    """
    return lax.platform_dependent(x, cpu=lambda v: v, default=_flushed)


def _flushed(x: jax.Array) -> jax.Array:
    return jnp.where(jnp.abs(x) < jnp.finfo(x.dtype).tiny, jnp.zeros_like(x), x)


@flush_subnormals.defjvp
def _flush_subnormals_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
    return flush_subnormals(primals[0]), tangents[0]


def power_of_two_below(x: jax.Array) -> jax.Array:
    """``2^floor(log2 x)`` for normal ``x >= 0`` (0 for 0): ``x`` with its mantissa bits cleared.

    Exact, and the same on every backend (an integer mask, no arithmetic on ``x``). A quotient
    or product by it is exact wherever its result is normal.
    """
    uint, mask = (
        (np.uint64, 0x7FF0000000000000) if x.dtype == np.float64 else (np.uint32, 0x7F800000)
    )
    bits = lax.bitcast_convert_type(x, uint) & uint(mask)
    return lax.bitcast_convert_type(bits, x.dtype)
