r"""Certified Wasserstein-1 between laws on the line: :math:`\int |F_p - F_q|`, in ball arithmetic.

The one certified quantity written on the distribution functions rather than the densities: Arb
evaluates each component's ``F`` on a piece as an analytic function (:func:`_cdf_analytic`), the
absolute difference is integrated with ``real_abs`` over the pieces of
:func:`~divergences.continuous._integrals.sum_pieces`, and the tails are bounded by first moments.
Two laws that differ by a shift have the closed form :math:`|t|`. Re-exported by
:mod:`divergences.continuous.certified` beside the divergences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from divergences.continuous._integrals import (
    ARB,
    Enclosure,
    Precision,
    cdf_floats,
    check_concrete_law,
    check_rtol,
    enclosure_of,
    infinite,
    load_arb,
    load_flint,
    sum_pieces,
    tails,
)
from divergences.continuous._tails import w1_tail_infinite
from divergences.continuous.laws import (
    Beta,
    Cauchy,
    Exponential,
    Laplace,
    Law,
    Mixture,
    Normal,
    StudentT,
    Uniform,
)

__all__ = ["w1"]


def _shift_between(p: Law, q: Law) -> float | None:
    """``t`` if ``q`` is the law of ``X + t`` for ``X ~ p`` (same family and shape), else None."""
    A = load_arb()
    if type(p) is not type(q) or isinstance(p, Mixture):
        return None
    names = p._fields
    loc_names = {"loc", "low", "high"}
    if any(A.num(getattr(p, f)) != A.num(getattr(q, f)) for f in names if f not in loc_names):
        return None
    moved = [f for f in names if f in loc_names]
    shifts = {A.num(getattr(q, f)) - A.num(getattr(p, f)) for f in moved}
    exact = all(
        A.num(getattr(q, f)) - A.num(getattr(p, f)) + A.num(getattr(p, f)) == A.num(getattr(q, f))
        for f in moved
    )
    if len(shifts) != 1 or not exact:
        return None
    return shifts.pop()


def w1(p: Law, q: Law, *, rtol: float = 1e-12) -> Enclosure:
    r"""Certified Wasserstein-1 :math:`\int |F_p - F_q|` (host only, not jittable).

    Two laws of one family that differ by a shift ``t`` (all other parameters equal): the closed
    form :math:`|t|`. Otherwise ``|F - G|`` is integrated with ``real_abs`` (normal, Laplace,
    uniform, exponential, Cauchy and their mixtures) and the tails are bounded by first moments;
    ``inf`` (decided exactly) where a first moment is missing on a side where the tails do not
    cancel.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at.

    Returns:
      An :class:`Enclosure`.
    """
    check_rtol(rtol)
    check_concrete_law(p, "p")
    check_concrete_law(q, "q")
    t = _shift_between(p, q)
    flint = load_flint()
    if t is not None:
        return _shift_closed_form(flint, p, q, rtol)
    if bool(w1_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    A = load_arb()
    _check_components_supported(A, p, q)
    with Precision(rtol):
        total = sum_pieces(
            p,
            q,
            _abs_cdf_difference(A, flint, p, q),
            _tail_first_moments(flint, p, q),
            rtol,
            crossing=_cdf_difference_floats(p, q),
        )
        return enclosure_of(total, ARB, 0.0)


def _shift_closed_form(flint: Any, p: Law, q: Law, rtol: float) -> Enclosure:
    """W1 of ``p`` and its shift ``q``: the distance :math:`|t|` between their locations."""
    with Precision(rtol):
        A = load_arb()
        moved = [f for f in p._fields if f in ("loc", "low", "high")]
        f0 = moved[0]
        ball = abs(flint.arb(A.num(getattr(q, f0))) - flint.arb(A.num(getattr(p, f0))))
        return enclosure_of(ball, "closed form", 0.0)


def _check_components_supported(A: Any, p: Law, q: Law) -> None:
    """Refuses laws with a component whose distribution function has no analytic form here.

    Raises:
      NotImplementedError: for a Student t or Beta component, naming the law.
    """
    for law, name in ((p, "p"), (q, "q")):
        for _, c in A.components(law):
            if isinstance(c, StudentT | Beta):
                raise NotImplementedError(f"{name}: a certified W1 with a {type(c).__name__} law")


def _cdf_on_piece(A: Any, flint: Any, law: Law, a: float, b: float) -> Callable[[Any, bool], Any]:
    """F of ``law`` on the piece ``[a, b]``, an analytic function of an Arb ball.

    Its components summed with their weights: those whose support ends left of the piece
    count as their weight (F = 1 there), those whose support begins right of it not at all.
    """
    arb, acb = flint.arb, flint.acb
    parts = []
    for w, c in A.components(law):
        lo, hi = A.support(c)
        if b <= lo:
            continue
        if a >= hi:
            parts.append((w, None, 1))
            continue
        parts.append((w, c, 0))

    def F(x: Any, an: bool) -> Any:
        out = acb(0)
        for w, c, _ in parts:
            if c is None:
                out += arb(w)
            else:
                out += arb(w) * _cdf_analytic(c, x, a, b, an)
        return out

    return F


def _abs_cdf_difference(
    A: Any, flint: Any, p: Law, q: Law
) -> Callable[[float, float], Callable[[Any, bool], Any]]:
    """Piece ``[a, b]`` -> the integrand :math:`|F_p - F_q|` there, by ``real_abs``."""

    def piece(a: float, b: float) -> Callable[[Any, bool], Any]:
        Fp, Fq = _cdf_on_piece(A, flint, p, a, b), _cdf_on_piece(A, flint, q, a, b)

        def h(x: Any, an: bool) -> Any:
            return (Fp(x, an) - Fq(x, an)).real_abs(analytic=an)

        return h

    return piece


def _tail_first_moments(flint: Any, p: Law, q: Law) -> Callable[[float, bool], Any]:
    r"""``(t, left)`` -> a bound on :math:`\int |F_p - F_q|` over the tail beyond ``t``.

    The sum of the two laws' first moments of that tail (a law without mass there adds 0).
    """
    arb = flint.arb

    def bound(tt: float, left: bool) -> Any:
        tp, tq = tails(p, tt, left), tails(q, tt, left)
        return (arb(0) if tp.m0.is_zero() else tp.m1) + (arb(0) if tq.m0.is_zero() else tq.m1)

    return bound


def _cdf_difference_floats(p: Law, q: Law) -> Callable[[np.ndarray], np.ndarray]:
    """Points -> :math:`F_p - F_q` there in floats, for finding where it changes sign."""

    def crossing(x: np.ndarray) -> np.ndarray:
        return cdf_floats(p, list(x)) - cdf_floats(q, list(x))

    return crossing


def _cdf_analytic(c: Law, x: Any, a: float, b: float, an: bool) -> Any:
    """F(x) of a component on a piece ``[a, b]`` inside its support, as an analytic function."""
    flint = load_flint()
    arb = flint.arb
    A = load_arb()

    if isinstance(c, Normal):
        z = (x - arb(A.num(c.loc))) / arb(A.num(c.scale))
        return (-z / arb(2).sqrt()).erfc() / 2
    if isinstance(c, Laplace):
        mu = A.num(c.loc)
        z = (x - arb(mu)) / arb(A.num(c.scale))
        if b <= mu:
            return z.exp() / 2
        return 1 - (-z).exp() / 2
    if isinstance(c, Uniform):
        lo, hi = arb(A.num(c.low)), arb(A.num(c.high))
        return (x - lo) / (hi - lo)
    if isinstance(c, Exponential):
        return -(-arb(A.num(c.rate)) * (x - arb(A.num(c.loc)))).expm1()
    if isinstance(c, Cauchy):
        z = (x - arb(A.num(c.loc))) / arb(A.num(c.scale))
        # atan z = (log(1 + iz) - log(1 - iz)) / 2i, with the branch cuts checked.
        iz = flint.acb(0, 1) * z
        atan = ((1 + iz).log(analytic=an) - (1 - iz).log(analytic=an)) / flint.acb(0, 2)
        return arb(0.5) + atan / arb.pi()
    raise NotImplementedError(f"a certified distribution function of {type(c).__name__}")
