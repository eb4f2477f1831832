r"""float16 to float32 and back in XLA without its conversion, from the bits.

XLA's CPU backend converts between float16 and float32 with the processor's F16C instructions,
or else by calls to the compiler's runtime (``__extendhfsf2``, ``__truncsfhf2``) that its JIT
cannot link: on a processor without F16C (or under ``XLA_FLAGS=--xla_cpu_max_isa=SSE4_2``)
every program that converts a float16, or does arithmetic on one, fails to compile
("Failed to materialize symbols"). bfloat16 is not affected (its conversion is a shift).

The package computes float16 input in float32 (:mod:`.precision`), so the conversions at its
boundary are the only float16 operations it needs; here they are integer operations on the
bits, which compile everywhere and give the same numbers as the conversion:

* :func:`widen_half`, float16 to float32, exact (a float16 number, subnormals included, is a
  normal float32 number or 0);
* :func:`narrow_to_half`, float32 to float16 rounded to nearest, ties to even, with overflow
  to infinity, as IEEE 754 and XLA's conversion round.

Each carries the conversion's derivative (the identity) in reverse mode, its cotangent
converted the other way by the same bits; forward mode (``jax.jvp``) is not defined for them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["narrow_to_half", "widen_half"]

#: float32's exponent bias less float16's, in float32's exponent field: 127 - 15 = 112.
_REBIAS = 112
#: The bits of 2^-14 in float32: the smallest normal float16 number.
_SMALLEST_NORMAL_HALF = 0x38800000
_INF32 = 0x7F800000


@jax.jit
def _widen_bits(x: jax.Array) -> jax.Array:
    """float16 to float32 from the bits: exact, infinities and NaN kept."""
    h = lax.bitcast_convert_type(x, jnp.uint16).astype(jnp.uint32)
    sign, exponent, fraction = h >> 15, (h >> 10) & 0x1F, h & 0x3FF
    normal = (sign << 31) | ((exponent + _REBIAS) << 23) | (fraction << 13)
    special = (sign << 31) | _INF32 | (fraction << 13)  # infinity or NaN
    bits = jnp.where(exponent == 0x1F, special, normal)
    # Exponent 0: the subnormal fraction * 2^-24, a normal float32 (or 0), exact.
    small = fraction.astype(jnp.float32) * jnp.float32(2.0**-24)
    small = jnp.where(sign == 1, -small, small)
    return jnp.where(exponent == 0, small, lax.bitcast_convert_type(bits, jnp.float32))


@jax.jit
def _narrow_bits(x: jax.Array) -> jax.Array:
    """float32 to float16 from the bits, rounded to nearest (ties to even)."""
    b = lax.bitcast_convert_type(x, jnp.uint32)
    sign = (b >> 16) & 0x8000
    magnitude = b & 0x7FFFFFFF
    # A normal result: the top 10 fraction bits, the rest rounded (a carry may reach the
    # exponent, and past the largest float16 gives the bits of infinity, 0x7C00).
    h = (magnitude >> 13) - jnp.uint32(_REBIAS << 10)
    rest = magnitude & 0x1FFF
    odd = (h & 1) == 1
    h = h + ((rest > 0x1000) | ((rest == 0x1000) & odd)).astype(jnp.uint32)
    h = jnp.minimum(h, jnp.uint32(0x7C00))
    # Below 2^-14: the subnormal's integer significand |x| 2^24, at most 1024 (1024 is the bits
    # of 2^-14); a float32 subnormal, which XLA reads as 0, rounds to 0 in float16 anyway.
    scaled = lax.bitcast_convert_type(magnitude, jnp.float32) * jnp.float32(2.0**24)
    small = jnp.round(scaled).astype(jnp.uint32)
    h = jnp.where(magnitude < _SMALLEST_NORMAL_HALF, small, h)
    h = jnp.where(magnitude > _INF32, jnp.uint32(0x7E00), h)  # NaN: a quiet NaN
    return lax.bitcast_convert_type((h | sign).astype(jnp.uint16), jnp.float16)


@jax.custom_vjp
def widen_half(x: jax.Array) -> jax.Array:
    """``x.astype(float32)`` for a float16 ``x``, by integer operations on the bits."""
    return _widen_bits(x)


def _widen_fwd(x: jax.Array) -> tuple[jax.Array, None]:
    return _widen_bits(x), None


def _widen_bwd(_: None, g: jax.Array) -> tuple[jax.Array]:
    return (_narrow_bits(g),)


widen_half.defvjp(_widen_fwd, _widen_bwd)


@jax.custom_vjp
def narrow_to_half(x: jax.Array) -> jax.Array:
    """``x.astype(float16)`` for a float32 ``x``, by integer operations on the bits."""
    return _narrow_bits(x)


def _narrow_fwd(x: jax.Array) -> tuple[jax.Array, None]:
    return _narrow_bits(x), None


def _narrow_bwd(_: None, g: jax.Array) -> tuple[jax.Array]:
    return (_widen_bits(g),)


narrow_to_half.defvjp(_narrow_fwd, _narrow_bwd)
