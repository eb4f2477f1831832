r"""The optimal critic :math:`T^* = f'(p/q)` of the variational bound, with its derivative.

:func:`divergences.optimal_critic` (in :mod:`._src.f_divergence`) checks its input and calls
:func:`critic_kernel` here. The value is the generator's ``derivative`` at the ratio, with the
ratio's conventions at zero mass and the clamps of the docstring there.

**Gradients.** JAX's rules through ``f'((p + o)/(q + o))`` form ``1/u^2`` (infinite for a ratio
``u`` below 1e-154) and the clamps' selects pass ``0 * inf``: they gave ``inf`` and NaN where
the value and its exact derivative are finite (Jensen-Shannon at ``p = 1e-300, q = 1e-10``,
whose ``dT/dp = q/(p(p + q)) = 1e300``). The derivative is therefore written out,

.. math:: dT = f''(u)\,\frac{dp - u\,dq}{q} = A\,dp - B\,dq,

with :math:`A = f''(p/q)/q` and :math:`B = p f''(p/q)/q^2` in closed form for each generator of
the table, evaluated on the masses without forming an overflowing intermediate (Jensen-Shannon's
``A = (q/(p + q))/p``), so that it is correctly rounded to a few ulp wherever it is a finite
float. A generator of your own has ``f''`` from JAX's derivative of its ``derivative``, as
written. Conventions, as at zero mass elsewhere in the package (a mass below the smallest normal
number counts as 0):

* where ``T*`` is clamped (onto an inner end of the conjugate's domain, or Neyman's overflow onto
  the most negative float) or is a limit (``q = 0``: ``f'(inf)``; ``p = q = 0``: ``f'(1)``), its
  derivative is 0: it is held constant there;
* where ``p = 0 < q`` the derivative in ``q`` is 0 (``T* = f'(0)`` whatever ``q``) and that in
  ``p`` is the one-sided ``f''(0)/q`` where finite (Pearson's ``2/q``), else 0 (the derivative
  along the face of the simplex, as for KL);
* where the exact derivative lies beyond the float range although ``T*`` is finite (the reverse
  KL's ``dT/dp = q/p^2`` at ``p = 1e-300``), it is the largest finite float with its sign, never
  ``inf``: the gradients are finite wherever the value is.

The coefficients are computed from the primal values alone, so that the backward pass multiplies
cotangents by finite numbers and a zero cotangent (an entry a bound ignores) stays 0.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.f_generators import FGenerator, routed
from divergences._src.numerics import support_mask
from divergences._src.precision import flush_subnormals, has_mass

__all__ = ["critic_kernel", "inner_ends"]

#: ``(p, q) -> (A, B)``: the partial derivatives ``dT/dp = A`` and ``dT/dq = -B`` of ``f'(p/q)``.
Partials = Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]


def inner_ends(generator: FGenerator, dtype: Any) -> tuple[float, float]:
    """The extreme values of the dtype that lie inside the conjugate's domain."""
    lo, hi = generator.conjugate_domain
    closed_lo, closed_hi = generator.closed_ends
    info = jnp.finfo(dtype)
    tiny = float(info.tiny)

    def inward(end: float, closed: bool, direction: float) -> float:
        if math.isinf(end):
            return end
        e = float(np.asarray(end, dtype=dtype))
        if closed:
            return e
        inner = float(np.nextafter(np.asarray(e, dtype=dtype), np.asarray(direction, dtype=dtype)))
        # A step into the subnormals would be flushed back onto the end on XLA:CPU.
        if abs(inner - e) < tiny:
            inner = e + math.copysign(tiny, direction)
        if (direction > 0 and inner <= end) or (direction < 0 and inner >= end):
            inner = float(
                np.nextafter(np.asarray(inner, dtype=dtype), np.asarray(direction, dtype=dtype))
            )
        return inner

    return inward(lo, closed_lo, math.inf), inward(hi, closed_hi, -math.inf)


# --- A = f''(p/q)/q and B = p f''(p/q)/q^2, for p, q normal (p may be 0) ----------------------
# No quotient here has a quotient for numerator or denominator: XLA's simplifier rewrites
# (a/b)/c as a/(b c), whose b c underflows (p^2 for p below 1e-154), so a second division is a
# product with a reciprocal, 1/p, which is finite for every normal p.


def _kl(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    return 1 / p, 1 / q  # f'' = 1/u


def _reverse_kl(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    return (q / p) * (1 / p), 1 / p  # T = -q/p


def _pearson(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    return 2 / q, (p / q) * (2 / q)  # f'' = 2


def _neyman(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    s, r = q / p, 1 / p  # T = 1 - s^2
    return 2 * s * (s * r), 2 * s * r


def _squared_hellinger(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    # T = 1 - sqrt(q/p); sqrt(p) sqrt(q) rather than sqrt(p q), which underflows.
    return 0.5 * jnp.sqrt(q / p) * (1 / p), 0.5 / (jnp.sqrt(p) * jnp.sqrt(q))


def _jensen_shannon(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    # f'' = 1/(u (1 + u)): A = q/(p (p + q)), B = 1/(p + q); the GAN's f' differs by a constant.
    return (q / (p + q)) * (1 / p), 1 / (p + q)


def _total_variation(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    zero = jnp.zeros_like(p * q)  # f' is a step: f'' = 0 off u = 1
    return zero, zero


#: The table's partials, by generator name.
_PARTIALS: dict[str, Partials] = {
    "KL": _kl,
    "reverse KL": _reverse_kl,
    "Pearson chi^2": _pearson,
    "Neyman chi^2": _neyman,
    "squared Hellinger": _squared_hellinger,
    "Jensen-Shannon": _jensen_shannon,
    "GAN": _jensen_shannon,
    "total variation": _total_variation,
}


def _partials_as_written(derivative: Callable[[jax.Array], jax.Array]) -> Partials:
    """``A, B`` of a generator of your own, with ``f''`` by JAX's rules through ``derivative``."""

    def partials(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
        u = p / q
        _, curvature = jax.jvp(derivative, (u,), (jnp.ones_like(u),))
        r = 1 / q
        return curvature * r, curvature * (u * r)

    return partials


def partials_of(generator: FGenerator) -> Partials:
    """The partials of ``f'(p/q)``: the table's closed forms, or ``f''`` as written."""
    if routed(generator) is not None:
        return _PARTIALS[generator.name]
    return _partials_as_written(generator.derivative)


def _value(p: jax.Array, q: jax.Array, generator: FGenerator) -> tuple[jax.Array, jax.Array]:
    """``T*`` and where it is free (neither clamped, nor a limit, nor infinite)."""
    off = 1 - support_mask(p + q)  # 1 where both masses vanish
    raw = generator.derivative((p + off) / (q + off))
    lo, hi = inner_ends(generator, raw.dtype)
    big = float(jnp.finfo(raw.dtype).max)
    inside_q = has_mass(q)
    t = jnp.where(inside_q & (raw > hi), hi, raw)
    t = jnp.where(inside_q & (raw < lo) & (lo > -math.inf), lo, t)
    t = jnp.where(has_mass(p) & (t == -jnp.inf), -big, t)
    return t, inside_q & (t == raw) & jnp.isfinite(t)


@functools.partial(jax.jit, static_argnames="generator")
def critic_kernel(p: jax.Array, q: jax.Array, *, generator: FGenerator) -> jax.Array:
    """``T* = f'(p/q)`` elementwise, with the derivative of the module docstring."""

    @jax.custom_jvp
    def critic(p: jax.Array, q: jax.Array) -> jax.Array:
        return _value(p, q, generator)[0]

    @critic.defjvp
    def _critic_jvp(primals: Any, tangents: Any) -> tuple[jax.Array, jax.Array]:
        p, q = primals
        dp, dq = tangents
        t, free = _value(p, q, generator)
        with_p = has_mass(p)
        a, b = partials_of(generator)(jnp.where(with_p, p, 0), jnp.where(free, q, 1))
        big = float(jnp.finfo(t.dtype).max)
        # p = 0: the one-sided derivative in p where finite, and none in q (T* = f'(0)).
        a = jnp.where(free & (with_p | jnp.isfinite(a)), jnp.clip(a, -big, big), 0)
        b = jnp.where(free & with_p, jnp.clip(b, -big, big), 0)
        return t, a * dp - b * dq

    # A subnormal mass is 0 on every backend (precision.flush_subnormals), its tangent unchanged.
    return critic(flush_subnormals(p), flush_subnormals(q))
