r"""f-divergences, the generators of the f-GAN table, and their variational lower bound.

For a convex :math:`f` with :math:`f(1) = 0`,

.. math:: D_f(p \,\|\, q) = \sum_i q_i\, f\!\left(\frac{p_i}{q_i}\right),

with the conventions :math:`0 f(0/0) = 0` and, where :math:`q_i = 0 < p_i`,
:math:`q_i f(p_i/q_i) = p_i \lim_{t\to\infty} f(t)/t` (the generator's ``slope_at_infinity``).
Every f-divergence has the variational lower bound of Nguyen, Wainwright & Jordan (2010),

.. math:: D_f(p \,\|\, q) \ge \sup_T\; \mathbb{E}_p[T] - \mathbb{E}_q[f^*(T)],

where :math:`f^*(t) = \sup_u\, (u t - f(u))` is the convex conjugate; it is tight at
:math:`T^* = f'(p/q)`. This is the objective the f-GAN discriminator maximises.

The generators, with their factor conventions, are the table of :mod:`divergences.generators`
(``dv.generators.KL``, ...). The ``GAN`` generator has :math:`f(1) = -\log 4`, not 0.

Numerics. Each generator of the table carries a stable expression of its summand, centred at 1 so
that it is non-negative term by term (see :mod:`divergences.generators`): masses anywhere from 1
down to the smallest normal number give neither overflow nor NaN, and :math:`D_f \ge f(1)` holds
by construction. KL, the reverse KL and Jensen-Shannon are summed by the certified sums of
:func:`divergences.kl` and :func:`divergences.js_divergence`, the GAN by that of
:func:`divergences.gan_value` (its :math:`\sum_i q_i f(p_i/q_i)` in terms of one sign, since
:math:`-\log 4 + 2\,\mathrm{JS}` cancels near disjoint supports): relatively accurate to a few
ulp, with their derivatives; the others by their summand on the upscaled masses. The results are
kept in :math:`f(1) \le D_f \le f(0) + \lim_{t\to\infty} f(t)/t` (Liese & Vajda, 2006,
Theorem 5): masses accepted within the sum tolerance (``sqrt(eps)``) could pass an end by up to
that tolerance (a total variation of 1.0003 in float32).
A generator of your own is checked instead (convex at the ratios evaluated, a slope at infinity
that agrees with its chords) and its sum returned as it is; without a ``term`` it is evaluated
as :math:`q_i f(p_i/q_i)`, which overflows where :math:`p_i/q_i` passes the largest float.

Example:
  >>> import divergences as dv
  >>> p, q = [0.8, 0.2], [0.3, 0.7]
  >>> [round(float(dv.f_divergence(p, q, g)), 4) for g in dv.generators.GENERATORS.values()]
  [0.5341, 0.5827, 1.1905, 1.5625, 0.2719, 0.265, -1.1213, 0.5]

References:
  Ali & Silvey, J. Roy. Statist. Soc. B 28(1), 1966; Csiszar, Studia Sci. Math. Hungar. 2, 1967;
  Nguyen, Wainwright & Jordan, IEEE Trans. Inf. Theory 56(11), 2010; Nowozin, Cseke & Tomioka,
  *f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization*,
  NeurIPS 2016, Tables 1 and 2; Liese & Vajda, *On Divergences and Informations in Statistics
  and Information Theory*, IEEE Trans. Inf. Theory 52(10), 2006.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.critic import critic_kernel
from divergences._src.domain import check_axis, check_base, check_pmf_pair
from divergences._src.errors import is_traced, require
from divergences._src.f_generators import GENERATORS, Elementwise, FGenerator, routed
from divergences._src.numerics import into_range, log_of_base, support_mask
from divergences._src.precision import (
    as_float_array,
    flush_subnormals,
    has_mass,
    keeps_input_precision,
)

__all__ = ["f_divergence", "optimal_critic", "variational_bound"]


def _check_generator(f: Any, name: str) -> None:
    if isinstance(f, str):
        raise ValueError(
            f"{name} must be an FGenerator (such as dv.generators.KL) or a callable, got the "
            f"string {f!r}; the generators by name are dv.generators.GENERATORS"
            + (f" (GENERATORS[{f!r}])" if f in GENERATORS else "")
        )
    if not callable(f) and not isinstance(f, FGenerator):
        raise ValueError(
            f"{name} must be an FGenerator or a callable, got {type(f).__name__} {f!r}"
        )


@functools.lru_cache(maxsize=64)
def _value_range(f: Elementwise, slope: float) -> tuple[float, float]:
    """``(f(1), f(0) + slope)``, the range of every f-divergence (NaN ends become +-inf).

    Evaluated outside any trace (``jax.core.eval_context``): the result is cached, and an end
    lost to a trace would stay lost for every later call. ``jax.ensure_compile_time_eval`` is
    not enough under ``vmap``, where a ``custom_jvp`` inside it (KL's ``u log u``) stays batched:
    KL got the range ``(-inf, inf)`` and ``vmap`` of it returned ``-inf``.
    """
    try:
        with jax.core.eval_context():
            f1 = float(f(jnp.asarray(1.0)))
            f0 = float(f(jnp.asarray(0.0)))
    except Exception:  # a user's f that cannot be evaluated at 0 or 1 alone: no clamp
        return -math.inf, math.inf
    lo = f1 if math.isfinite(f1) else -math.inf
    hi = f0 + slope if not math.isnan(f0 + slope) else math.inf
    return lo, hi


def _slope_number(slope: Any) -> float:
    """``slope_at_infinity`` as a float, or a ValueError naming it (NaN, -inf, not a number)."""
    message = (
        "slope_at_infinity must be a number in (-inf, inf], lim f(t)/t as t -> inf (inf for "
        f"KL-like generators), got {slope!r}"
    )
    if is_traced(slope):
        raise ValueError(message.replace("got", "a static Python number; got a traced value"))
    arr = np.asarray(slope)
    if (
        isinstance(slope, (bool, np.bool_))
        or arr.shape != ()
        or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating))
    ):
        raise ValueError(message)
    value = float(arr)
    if math.isnan(value) or value == -math.inf:
        raise ValueError(message)
    return value


#: Where a generator's chords from 1 are read to check its slope at infinity: t = 2^10, 2^20, 2^40.
_FAR = (2.0**10, 2.0**20, 2.0**40)


def _own_ratio(p: jax.Array, q: jax.Array) -> jax.Array:
    """``p/q`` on the support of ``q`` and 1 off it: the ratios ``sum q f(p/q)`` evaluates."""
    mq = support_mask(q)
    return p * mq / (q + (1 - mq)) + (1 - mq)


def _convexity(fn: Elementwise, ratio: jax.Array, q: jax.Array) -> tuple[jax.Array, ...]:
    """The second differences of ``fn`` at the ratios, for :func:`_check_convex`.

    Returns ``(ok, t, d2)``: whether every second difference stands above minus its rounding,
    and the ratio and second difference of the first that does not.
    """
    eps = float(jnp.finfo(ratio.dtype).eps)
    h = ratio * 0.125
    fa, ft, fb = fn(ratio - h), fn(ratio), fn(ratio + h)
    d2 = fa + fb - 2 * ft
    terms = 4 * ratio * (1 + jnp.abs(jnp.log(jnp.where(ratio > 0, ratio, 1.0))))
    slack = 8 * eps * (jnp.abs(fa) + jnp.abs(fb) + 2 * jnp.abs(ft) + 4 * jnp.abs(fb - fa) + terms)
    finite = jnp.isfinite(fa) & jnp.isfinite(ft) & jnp.isfinite(fb)
    bad = finite & (q > 0) & (d2 < -slack)
    first = jnp.argmax(jnp.reshape(bad, (-1,)))
    return ~jnp.any(bad), jnp.reshape(ratio, (-1,))[first], jnp.reshape(d2, (-1,))[first]


def _check_convex(ok: Any, t: Any, d2: Any) -> None:
    """Refuses a generator ``f`` that is not convex at a ratio ``p/q`` the divergence evaluates.

    The second difference ``f(t - h) + f(t + h) - 2 f(t)`` with ``h = t/8`` is ``>= 0`` for a
    convex ``f``; it is refused below minus its rounding: 8 eps times the magnitudes involved,
    including the asymmetry of the rounded ``t +- h``, and times ``4 t (1 + |log t|)``, the size
    of the terms that a generator built from ``t log t`` subtracts (Jensen-Shannon's
    ``t log t - (t + 1) log((t + 1)/2)`` is 3e12 at ``t = 6e12`` from terms of 2e14: its values
    carry eps times the terms, and its second difference there evaluated to -0.0625 for a true
    1/128). A sign error is refused where the second difference, about ``t^2 f''(t) / 64``,
    stands above that rounding: ``t / 64`` for ``t log t`` at every ratio, an O(1) constant for
    Jensen-Shannon up to ratios of about 1e10. Points where a value is not finite
    (``f(0) = inf``) or where ``q`` is 0 are skipped. The differences are computed by
    :func:`_convexity` inside :func:`_own_checks`.
    """
    require(
        ok,
        "f is not convex at the ratio p/q = {t:.6g}: f(t - h) + f(t + h) - 2 f(t) = {d2:.3g} < 0 "
        "with h = t/8; an f-divergence needs a convex generator (check its sign)",
        t=t,
        d2=d2,
    )


def _chords(fn: Elementwise, slope: float, ratio: jax.Array, q: jax.Array) -> tuple[jax.Array, ...]:
    """The chords of ``fn`` from 1, for :func:`_check_slope`.

    Returns ``(ok, chord, t, c0, c1, c2, far_ok)``: whether no chord exceeds the slope, the first
    chord that does and its ``t``, the chords at ``t = 2^10, 2^20, 2^40``, and whether those
    agree with the slope (do not settle below a finite one, nor at all for inf).
    """
    dtype = ratio.dtype
    eps = float(jnp.finfo(dtype).eps)
    f1 = fn(jnp.asarray(1.0, dtype))
    far = jnp.asarray(_FAR, dtype)
    t = jnp.concatenate([far, jnp.reshape(ratio, (-1,))])
    above = jnp.concatenate([jnp.ones(3, bool), jnp.reshape((q > 0) & (ratio >= 2), (-1,))])
    ft = fn(t)
    chord = (ft - f1) / jnp.where(above, t - 1, 1.0)
    slack = 8 * eps * ((jnp.abs(ft) + jnp.abs(f1)) / jnp.where(above, t - 1, 1.0) + abs(slope))
    if math.isinf(slope):
        slack = jnp.zeros_like(slack)
    bad = above & (chord > slope + slack)  # inf > a finite slope; NaN never
    first = jnp.argmax(bad)
    c0, c1, c2 = chord[0], chord[1], chord[2]
    rise, last_rise = c1 - c0, c2 - c1
    if math.isinf(slope):
        far_bad = (
            jnp.isfinite(c2) & jnp.isfinite(c1) & (last_rise <= 0.25 * rise + 8 * eps * abs(c2))
        )
    else:
        margin = 4 * jnp.maximum(last_rise, 0) + 8 * eps * (abs(slope) + jnp.abs(c2) + 1)
        far_bad = jnp.isfinite(c2) & (slope > c2 + margin)
    return ~jnp.any(bad), chord[first], t[first], c0, c1, c2, ~far_bad


@functools.partial(jax.jit, static_argnames=("fn", "slope"))
def _own_checks(
    p: jax.Array, q: jax.Array, *, fn: Elementwise, slope: float | None
) -> tuple[tuple[jax.Array, ...], tuple[jax.Array, ...] | None]:
    """What :func:`_check_convex` and :func:`_check_slope` read, in one compiled program.

    One program per generator, slope and shape, rather than an operation at a time (each of
    which compiles per shape when called eagerly); ``slope`` None leaves the chords out.
    """
    p, q = flush_subnormals(p), flush_subnormals(q)  # as the sum reads them
    ratio = _own_ratio(p, q)
    convex = _convexity(fn, ratio, q)
    return convex, None if slope is None else _chords(fn, slope, ratio, q)


def _check_slope(
    slope: float, ok: Any, chord: Any, t: Any, c0: Any, c1: Any, c2: Any, far_ok: Any
) -> None:
    """Refuses a ``slope_at_infinity`` that contradicts ``f``'s chords from 1.

    For a convex ``f`` the chord ``c(t) = (f(t) - f(1))/(t - 1)`` increases with ``t`` to the slope
    at infinity. So (i) ``c(t)`` may not exceed the slope, at any ratio evaluated from 2 on nor at
    ``t = 2^10, 2^20, 2^40`` (below 2 the chord tells nothing the larger ones do not, and near 1
    it is all rounding: ``f(t)``'s error is eps times its terms, not eps times ``f(t)``, and
    dividing by ``t - 1`` a few ulps wide makes it O(1): the Jensen-Shannon generator's chord at
    ``t = 1 + 2^-52`` evaluates to 1, above its slope log 2); (ii) a finite slope may not exceed
    ``c(2^40)`` by more than 4 times the last increase of the chords, ``c(2^40) - c(2^20)``
    (they would have to climb faster than they do); (iii) ``inf`` is refused where the chords
    settle: where their increase from 2^20 to 2^40 is below a quarter of that from 2^10 to 2^20
    (a limit reached like a power of ``1/t``; ``t log t`` or ``t^2`` grow by more). Each with 8
    eps of rounding. The chords are computed by :func:`_chords` inside :func:`_own_checks`.
    """
    require(
        ok,
        f"slope_at_infinity = {slope:g} contradicts f: the chord (f(t) - f(1))/(t - 1) = "
        "{chord:.6g} at t = {t:.6g} exceeds it, and the chords of a convex f increase to its "
        "slope at infinity",
        chord=chord,
        t=t,
    )
    if math.isinf(slope):
        message = (
            "slope_at_infinity = inf contradicts f: its chords (f(t) - f(1))/(t - 1) settle near "
            "{c2:.6g} (t = 2^10, 2^20, 2^40: {c0:.6g}, {c1:.6g}, {c2:.6g}); pass their limit"
        )
    else:
        message = (
            f"slope_at_infinity = {slope:g} contradicts f: its chords (f(t) - f(1))/(t - 1) "
            "settle near {c2:.6g} (t = 2^10, 2^20, 2^40: {c0:.6g}, {c1:.6g}, {c2:.6g}), below it"
        )
    require(far_ok, message, c0=c0, c1=c1, c2=c2)


@keeps_input_precision
def f_divergence(
    p: ArrayLike,
    q: ArrayLike,
    f: FGenerator | Elementwise,
    *,
    slope_at_infinity: float | None = None,
    base: Base = None,
    axis: int = -1,
) -> jax.Array:
    r"""The f-divergence :math:`D_f(p \,\|\, q) = \sum_i q_i f(p_i / q_i)`.

    Conventions: a point where both masses are 0 contributes 0; a point with :math:`q_i = 0 < p_i`
    contributes :math:`p_i \cdot \lim_{t\to\infty} f(t)/t`, ``inf`` for superlinear generators
    such as KL and Pearson. The table's generators sum a stable summand (KL, Jensen-Shannon and
    the GAN by the sums of :func:`divergences.kl`, :func:`divergences.js_divergence` and
    :func:`divergences.gan_value`), kept in :math:`[f(1),\ f(0) + \lim f(t)/t]`; a generator of
    your own is checked for convexity where it is used and summed as written (see the docs).

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      f: an :class:`FGenerator` (which carries its slope at infinity), or a convex callable with
        ``f(1) = 0`` applied elementwise. Not a name: use ``dv.generators.GENERATORS[name]``.
      slope_at_infinity: :math:`\lim_{t\to\infty} f(t)/t` for a plain callable, needed only where
        ``q = 0 < p`` (unchecked under ``jit``, it then defaults to ``inf``).
      base: logarithm base; the value is divided by ``log(base)`` whatever the generator.
      axis: the axis holding the masses.

    Returns:
      D_f(p || q), with ``axis`` reduced.

    Raises:
      ValueError: for invalid masses, a generator given by name, a slope given with an
        :class:`FGenerator`, a point ``q = 0 < p`` without a slope, or a generator of your own
        that is not convex at a ratio or disagrees with its slope (the message says which).

    References:
      Csiszár, *Information-type measures of difference of probability distributions*, Studia
      Sci. Math. Hungar. 2, 1967; Nowozin, Cseke & Tomioka, *f-GAN*, NeurIPS 2016, Table 1.

    Example:
      >>> import divergences as dv
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> bool(abs(dv.f_divergence(p, q, dv.generators.JENSEN_SHANNON)
      ...          - 2 * dv.js_divergence(p, q)) < 1e-6)
      True
    """
    _check_generator(f, "f")
    check_axis(axis)
    if isinstance(f, FGenerator) and slope_at_infinity is not None:
        raise ValueError(
            "slope_at_infinity is for a plain callable f; an FGenerator carries its own "
            f"({f.name}: {f.slope_at_infinity})"
        )
    check_base(base)
    if slope_at_infinity is not None:
        slope_at_infinity = _slope_number(slope_at_infinity)
    p, q = check_pmf_pair(p, q, axis=axis)
    route = routed(f)
    if isinstance(f, FGenerator):
        fn, slope = f.f, f.slope_at_infinity
        given_slope = route is None
    else:
        fn = f
        given_slope = slope_at_infinity is not None
        if slope_at_infinity is None:
            require(
                ~(~has_mass(q) & has_mass(p)),
                "q is zero where p is positive, where D_f depends on lim f(t)/t as t -> inf; "
                "pass slope_at_infinity (inf for KL-like generators) or use an FGenerator",
            )
            slope = math.inf
        else:
            slope = slope_at_infinity
    if route is not None:
        # The table's generators are convex and their sums non-negative term by term: only
        # masses accepted within the sum tolerance can move the value past the range's ends.
        lo, hi = _value_range(fn, slope)
        return _tabled_sum(p, q, log_of_base(base, p.dtype), f=f, lo=lo, hi=hi, axis=axis)
    # A generator of your own: checked at the ratios it is evaluated at, and summed as written.
    convex, chords = _own_checks(p, q, fn=fn, slope=slope if given_slope else None)
    _check_convex(*convex)
    if chords is not None:
        _check_slope(slope, *chords)
    if isinstance(f, FGenerator) and f.term is not None:
        lo, _ = _value_range(fn, slope)
        return _tabled_sum(p, q, log_of_base(base, p.dtype), f=f, lo=lo, hi=math.inf, axis=axis)
    return _own_sum(p, q, log_of_base(base, p.dtype), fn=fn, slope=slope, axis=axis)


@functools.partial(jax.jit, static_argnames=("f", "lo", "hi", "axis"))
def _tabled_sum(
    p: jax.Array,
    q: jax.Array,
    log_base: jax.Array,
    *,
    f: FGenerator,
    lo: float,
    hi: float,
    axis: int,
) -> jax.Array:
    """``f(1) + sum term(p, q)`` (``lo`` is ``f(1)``), held in ``[lo, hi]``, in the base.

    A table's term is summed by its route (:meth:`~.f_generators.Route.summed`): KL, the reverse
    KL, Jensen-Shannon and the GAN by the certified sums of :func:`divergences.kl` and
    :func:`divergences.js_divergence`, the others on the upscaled masses, so that terms below the
    normal range count; a term of your own is summed as written.
    """
    p, q = flush_subnormals(p), flush_subnormals(q)  # masses below tiny are 0 (has_mass)
    if f.route is None:
        value = lo + jnp.sum(f.term(p, q), axis=axis)  # type: ignore[misc]
    else:
        value = f.route.divergence(p, q, axis)
    return into_range(value, lo, hi) / log_base


@functools.partial(jax.jit, static_argnames=("fn", "slope", "axis"))
def _own_sum(
    p: jax.Array, q: jax.Array, log_base: jax.Array, *, fn: Elementwise, slope: float, axis: int
) -> jax.Array:
    return _generic_sum(flush_subnormals(p), flush_subnormals(q), fn, slope, axis) / log_base


def _generic_sum(p: jax.Array, q: jax.Array, fn: Elementwise, slope: float, axis: int) -> jax.Array:
    """``sum q f(p/q)`` as written, with the conventions at zero mass."""
    mq = support_mask(q)
    offq = 1 - mq
    ratio = p * mq / (q + offq) + offq  # p/q on the support of q, 1 (harmless) off it
    body = jnp.sum(q * fn(ratio), axis=axis)
    outside = support_mask(p) * offq  # 1 where q = 0 < p
    if math.isinf(slope):
        return jnp.where(jnp.any(outside > 0, axis=axis), jnp.inf, body)
    return body + slope * jnp.sum(p * outside, axis=axis)


@keeps_input_precision
def optimal_critic(
    p: ArrayLike, q: ArrayLike, generator: FGenerator, *, axis: int = -1
) -> jax.Array:
    r"""The critic :math:`T^* = f'(p/q)` at which the variational bound equals :math:`D_f`.

    ``p/q`` is taken as ``inf`` where ``q = 0 < p``, ``0`` where ``p = 0 < q`` and ``1`` where
    both vanish, so ``T*`` may hold ``+inf`` where ``q = 0`` and ``-inf`` where ``p = 0`` (KL's
    :math:`1 + \log 0`); :func:`variational_bound` gives such entries their limits.

    Rounding: where ``q > 0`` and :math:`f'(p/q)` rounds onto an open end of the conjugate's
    domain (Jensen-Shannon's :math:`\log 2` and the GAN's 0 where :math:`q < \epsilon p`), ``T*``
    is the nearest value of the dtype inside it, so that :math:`f^*(T^*)` is finite and the bound
    stays tight; where :math:`f'(p/q)` overflows although ``p > 0`` (Neyman's
    :math:`1 - (q/p)^2` for :math:`q/p > 10^{154}`), it is the most negative finite float, and
    the bound is a bound but not tight there.

    Gradients: :math:`dT^* = f''(u)(dp - u\,dq)/q` at :math:`u = p/q`, written out (for the
    table's generators in closed form, without overflowing intermediates), finite wherever ``T*``
    is. Where ``T*`` is held (clamped as above, or a limit where ``q = 0``) it is 0; where
    ``p = 0 < q`` it is 0 in ``q`` and, in ``p``, the one-sided :math:`f''(0)/q` where finite,
    else 0; where the exact value passes the float range, the largest float with its sign.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      generator: the f-divergence's generator.
      axis: the axis holding the masses.

    Returns:
      T*, elementwise, in the broadcast shape of ``p`` and ``q``.

    Example:
      >>> import divergences as dv
      >>> t = dv.optimal_critic([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], dv.generators.KL)
      >>> [round(float(v), 6) for v in t]  # 1 + log(p/q)
      [1.693147, 1.693147, -inf]
    """
    _check_generator(generator, "generator")
    p, q = check_pmf_pair(p, q, axis=axis)
    return critic_kernel(p, q, generator=generator)


def _weighted_sum(w: jax.Array, values: jax.Array, axis: int) -> jax.Array:
    """``sum(w * values)`` where a zero weight makes the term 0 even for infinite values."""
    # The double where keeps the gradient finite: the inner one removes the infinite values the
    # outer one discards, so no 0 * inf reaches the backward pass.
    positive = has_mass(w)
    safe = jnp.where(positive, values, 0)
    return jnp.sum(jnp.where(positive, w * safe, 0), axis=axis)


def _check_critic(p: Any, q: Any, t: Any, generator: FGenerator) -> None:
    """The rules for a critic: no NaN; inside the conjugate's domain wherever it counts."""
    tracing = is_traced(t) or is_traced(p) or is_traced(q)
    xp: Any = jnp if tracing else np
    p, q, t = xp.asarray(p), xp.asarray(q), xp.asarray(t)
    require(~xp.isnan(t), "t contains NaN; a critic's values must be numbers")
    # Masses below the smallest normal number count as 0, as in the kernels (see has_mass).
    p_in, q_in = has_mass(p), has_mass(q)
    lo, hi = generator.conjugate_domain
    closed_lo, closed_hi = generator.closed_ends
    # Above: p t <= p sup(domain) where q = 0; where q > 0, f*(t) must be finite too.
    above = (t > hi) | ((t == hi) & q_in & (not closed_hi))
    # Below: f* is evaluated where q > 0; -inf (an infinite end's limit) only where p = 0.
    below = q_in & ((t < lo) | ((t == lo) & (not closed_lo) & (p_in | (lo > -math.inf))))
    bad = (above | below) & (p_in | q_in)

    def first(x: Any) -> Any:
        return xp.reshape(x, (-1,))[xp.argmax(xp.reshape(bad, (-1,)))]

    kind = "[" if closed_lo else "("
    kind_hi = "]" if closed_hi else ")"
    require(
        ~bad,
        f"t is outside the domain {kind}{lo}, {hi}{kind_hi} of the {generator.name} conjugate "
        "(e.g. t = {value} where p = {p_value}, q = {q_value}); f*(t) is infinite or undefined "
        "there and the bound would not be a bound",
        value=lambda: first(t),
        p_value=lambda: first(p),
        q_value=lambda: first(q),
    )


@keeps_input_precision
def variational_bound(
    p: ArrayLike, q: ArrayLike, t: ArrayLike, generator: FGenerator, *, axis: int = -1
) -> jax.Array:
    r"""The f-GAN objective :math:`\mathbb{E}_p[T] - \mathbb{E}_q[f^*(T)] \le D_f(p \,\|\, q)`.

    A bound for every accepted critic: ``t`` must lie in the conjugate's domain wherever a mass
    is (where ``q > 0`` inside it, its open ends excluded, because :math:`f^*` is evaluated there;
    where ``q = 0 < p`` at most its upper end, because :math:`p\,t \le p \sup\mathrm{dom} f^* =
    p \lim f(u)/u`). ``-inf`` is accepted where ``p = 0``, with :math:`f^*(-\infty) = -f(0)`, the
    limit; points where both masses vanish are ignored. A mass below the dtype's smallest normal
    number counts as 0, here as in every kernel of the package. Anything else raises ``ValueError``
    (under ``jit`` through :func:`divergences.checked`): a critic outside the domain would give a
    "bound" above the divergence (total variation with ``t = 10``). Map a network's raw output
    into the domain with the generator's output activation (Nowozin et al., 2016, Table 2) before
    calling this.

    Args:
      p: probability masses along ``axis``.
      q: probability masses along ``axis``.
      t: the critic's value at each outcome.
      generator: the f-divergence's generator.
      axis: the axis holding the masses.

    Masses accepted within the sum tolerance are used as they are: the bound is that of the sum
    :func:`f_divergence` computes (centred at 1 but for the GAN), which equals the textbook one
    on pmfs. For the table's generators it is held at most at :func:`f_divergence`, relatively
    accurate to a few ulp: near :math:`T^*` its two sums cancel, and their rounding passed
    :math:`D_f` by thousands of ulp (so it may pass the exact :math:`D_f` by that kernel's error).

    Returns:
      The lower bound, with ``axis`` reduced; equal to :func:`f_divergence` at
      :func:`optimal_critic` (up to rounding, and where ``T*`` is a finite float).

    Example:
      >>> import divergences as dv
      >>> g = dv.generators.KL
      >>> p, q = [0.8, 0.2], [0.3, 0.7]
      >>> t = dv.optimal_critic(p, q, g)
      >>> bool(abs(dv.variational_bound(p, q, t, g) - dv.kl(p, q)) < 1e-6)
      True
    """
    _check_generator(generator, "generator")
    p, q = check_pmf_pair(p, q, axis=axis)
    critic = as_float_array(t, "t")
    xp: Any = jnp if is_traced(critic) or is_traced(p) else np
    try:
        critic = xp.broadcast_to(xp.asarray(critic).astype(p.dtype), p.shape)
    except ValueError:
        raise ValueError(
            f"t has shape {critic.shape}, which does not broadcast to the masses' shape {p.shape}"
        ) from None
    _check_critic(p, q, critic, generator)
    return _variational_bound(p, q, critic, generator=generator, axis=axis)


@functools.partial(jax.jit, static_argnames=("generator", "axis"))
def _variational_bound(
    p: jax.Array, q: jax.Array, t: jax.Array, *, generator: FGenerator, axis: int
) -> jax.Array:
    p, q = flush_subnormals(p), flush_subnormals(q)  # masses below tiny are 0 (has_mass)
    # f* is evaluated where q > 0 only: elsewhere t is replaced by f'(1), a point inside every
    # conjugate's domain, so that neither the value nor the gradient meets f* outside it.
    with jax.core.eval_context():
        slope_1 = float(generator.derivative(jnp.asarray(1.0)))
    t_q = jnp.where(has_mass(q), t, slope_1)
    if generator.weighted_conjugate is not None:
        conj_sum = jnp.sum(generator.weighted_conjugate(q, t_q), axis=axis)
    else:
        conj_sum = _weighted_sum(q, generator.conjugate(t_q), axis)
    bound = _weighted_sum(p, t, axis) - conj_sum
    # The bound of f_divergence's sum, centred at 1 but the GAN's (f~*(s) = f*(s + f'(1)) + f(1) -
    # f'(1) at s = t - f'(1)): the same on pmfs, below f_divergence and equal at T* off 1 too.
    f1, hi = _value_range(generator.f, generator.slope_at_infinity)
    route = routed(generator)
    if route is None or route.uncentred is None:
        total_p, total_q = jnp.sum(p, axis=axis), jnp.sum(q, axis=axis)
        bound = bound - slope_1 * (total_p - total_q) + f1 * (1 - total_q)
    bound = into_range(bound, -math.inf, hi)
    if route is None:
        return bound

    def held() -> jax.Array:
        # Near T* the two sums cancel and can pass D_f (the reverse KL by 4.9e3 ulp): held at the
        # accurate D_f, with the bound's own tangent (at T* the derivatives agree), no 0 * inf.
        d_f = _tabled_sum(p, q, 1.0, f=generator, lo=f1, hi=hi, axis=axis)
        at_d_f = lax.stop_gradient(d_f) + (bound - lax.stop_gradient(bound))
        return jnp.where(bound > d_f, at_d_f, bound)

    # D_f >= f(1): a bound at or below it (a poor critic's) needs no D_f.
    return lax.cond(jnp.any(bound > f1), held, lambda: bound)
