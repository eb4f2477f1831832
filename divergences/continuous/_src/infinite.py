r"""Infinite values of the continuous divergences, decided from the laws' tails and ends.

A divergence that is infinite in real arithmetic is decided from the laws, never from a
quadrature or an integral: :math:`\mathrm{KL}(p \| q) = \infty` when ``q``'s tails are lighter than
``p``'s moments need (Gaussian ``q``, ``p`` without second moment, e.g. a Cauchy ``p``), the
chi-square likewise and where ``q`` vanishes at a support end faster than ``p``, W1 where a first
moment is missing on a side whose tails do not cancel. Shared by the fast path
(:mod:`divergences.continuous.fast`) and the certified one. What each law states of itself is
read through its methods: ``_tails`` (the decay class of each tail), ``_end_exponents`` (the power
of the density at its finite ends), ``_power_tail`` (the constant of a power tail).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from divergences.continuous._src.interface import TAIL_ORDER, Law
from divergences.continuous._src.quadrature import finite_ends

__all__ = [
    "chi_edge_infinite",
    "chi_tail_infinite",
    "kl_tail_infinite",
    "logistic_infinite",
    "no_first_moment_tail",
    "w1_tail_infinite",
]


def kl_tail_infinite(p: Law, q: Law) -> Any:
    """KL(p || q) = inf because -log q grows faster than p's moments allow, on some side."""
    out = jnp.asarray(False)
    for (kp, ap), (kq, _) in zip(p._tails(), q._tails(), strict=True):
        if kp == "none":
            continue
        if kq == "none":
            out = out | True
        elif kq == "gauss" and kp == "poly":
            out = out | (ap <= 2)  # no second moment
        elif kq == "exp" and kp == "poly":
            out = out | (ap <= 1)  # no first moment
    return out


def chi_tail_infinite(p: Law, q: Law) -> Any:
    """chi^2(p, q) = inf because p^2 / q is not integrable in a tail."""
    out = jnp.asarray(False)
    for (kp, ap), (kq, aq) in zip(p._tails(), q._tails(), strict=True):
        if kp == "none":
            continue
        if TAIL_ORDER[kq] < TAIL_ORDER[kp]:
            out = out | True
        elif kq == kp == "gauss":
            out = out | (ap * ap >= 2 * aq * aq)
        elif kq == kp == "exp":
            out = out | (ap >= 2 * aq)
        elif kq == kp == "poly":
            out = out | (aq >= 2 * ap)
    return out


def _edge_exponent(law: Law, e: Any, right: bool) -> Any:
    """Exponent alpha of the density ~ |x - e|^alpha just right (left) of ``e``; inf if 0 there."""
    alphas = []
    for _, c in law._components():
        lo, hi = (jnp.asarray(t, dtype=float) for t in c.support())
        interior = (e > lo) & (e < hi)
        at_end = (e == lo) if right else (e == hi)
        end_alpha = c._end_exponents()[0 if right else 1]
        alphas.append(jnp.where(interior, 0.0, jnp.where(at_end, end_alpha, jnp.inf)))
    return jnp.min(jnp.stack(alphas))


def chi_edge_infinite(p: Law, q: Law) -> Any:
    """chi^2(p, q) = inf because p^2 / q has a non-integrable power singularity at a support end."""
    out = jnp.asarray(False)
    for e in finite_ends(p) + finite_ends(q):
        safe_e = jnp.where(jnp.isfinite(e), e, 0.0)
        for right in (True, False):
            ap = _edge_exponent(p, safe_e, right)
            aq = _edge_exponent(q, safe_e, right)
            bad = jnp.isfinite(ap) & (2 * ap - jnp.where(jnp.isfinite(aq), aq, 0.0) <= -1)
            out = out | (jnp.isfinite(e) & bad)
    return out


def no_first_moment_tail(law: Law, side: int) -> tuple[Any, Any, Any]:
    """``(missing, df, coefficient)`` of the ``side`` tail (0 left, 1 right).

    Whether the tail has no first moment, its df and the constant ``K`` of the survival function
    ``~ K |x|^-df`` (summed over the heaviest components).
    """
    kind, df = law._tails()[side]
    if kind != "poly":
        return jnp.asarray(False), jnp.asarray(jnp.inf), jnp.zeros(())
    coef = jnp.zeros(())
    for w, c in law._components():
        power = c._power_tail()
        if power is not None:
            c_df, k = power
            coef = coef + jnp.where(c_df == df, w * k, 0.0)
    return df <= 1, df, coef


def w1_tail_infinite(p: Law, q: Law) -> Any:
    out = jnp.asarray(False)
    for side in (0, 1):
        mp, dp, cp = no_first_moment_tail(p, side)
        mq, dq, cq = no_first_moment_tail(q, side)
        cancel = (dp == dq) & (cp == cq)
        out = out | ((mp | mq) & ~cancel)
    return out


def logistic_infinite(p: Law, q: Law, d: Any) -> Any:
    """Whether the GAN value with the logistic discriminator ``d`` is infinite, from the tails."""
    # -log D ~ w x as x -> -inf for w > 0 (p's left tail), -log(1 - D) ~ w x as x -> inf (q's
    # right tail); mirrored for w < 0. Infinite where that tail has no first moment.
    w = jnp.asarray(d.weight)
    p_left = no_first_moment_tail(p, 0)[0]
    p_right = no_first_moment_tail(p, 1)[0]
    q_left = no_first_moment_tail(q, 0)[0]
    q_right = no_first_moment_tail(q, 1)[0]
    return ((w > 0) & (p_left | q_right)) | ((w < 0) & (p_right | q_left))
