r"""Certified Wasserstein-1 between laws on the line: :math:`\int |F_p - F_q|`, in ball arithmetic.

The one certified quantity written on the distribution functions rather than the densities: Arb
evaluates each component's ``F`` on a piece as an analytic function (the law's own
``_ball_cdf_piece``), the
absolute difference is integrated with ``real_abs`` over the pieces of
:func:`~divergences.continuous._src.integrals.sum_pieces`, and the tails are bounded by first moments.
Two laws that differ by a shift have the closed form :math:`|t|`. The entry,
:func:`divergences.continuous.certified.w1`, refines it beside the divergences.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from divergences.continuous._src.ball import load_flint
from divergences.continuous._src.common_part import same_law
from divergences.continuous._src.effort import Precision, Tolerance
from divergences.continuous._src.enclosure import ARB, EQUAL, Enclosure, enclosure_of, infinite
from divergences.continuous._src.infinite import w1_tail_infinite
from divergences.continuous._src.integrals import cdf_floats, sum_pieces
from divergences.continuous._src.interface import Law, exact_components, support_floats
from divergences.continuous._src.tail_bounds import tails

__all__ = ["w1_enclosure"]


def _shift_between(p: Law, q: Law) -> tuple[float, float] | None:
    """Where ``q`` is the law of ``X + t`` for ``X ~ p`` (same family and shape): a location of each.

    By each law's :meth:`~Law._shift_parts`: the other parameters equal, every location moved
    by the one ``t``, exactly. None otherwise.
    """
    if type(p) is not type(q):
        return None
    parts_p, parts_q = p._shift_parts(), q._shift_parts()
    if parts_p is None or parts_q is None or parts_p[1] != parts_q[1]:
        return None
    shifts = {b - a for a, b in zip(parts_p[0], parts_q[0], strict=True)}
    exact = all(b - a + a == b for a, b in zip(parts_p[0], parts_q[0], strict=True))
    if len(shifts) != 1 or not exact:
        return None
    return parts_p[0][0], parts_q[0][0]


def _mass(law: Law) -> Fraction:
    """The total mass of ``law``: its weights summed exactly (1 for a law that is no mixture)."""
    return sum((Fraction(w) for w, _ in exact_components(law)), Fraction(0))


def w1_enclosure(p: Law, q: Law, tol: Tolerance) -> Enclosure:
    """The enclosure of :math:`W_1(p, q)` at one tolerance: decided exactly, a closed form or a ball."""
    if same_law(p, q):
        return EQUAL
    if _mass(p) != _mass(q):
        # F - G tends to the difference of the masses at +inf: its integral diverges.
        return infinite(1.0, "unequal masses")
    shifted = _shift_between(p, q)
    flint = load_flint()
    if shifted is not None:
        return _shift_closed_form(flint, *shifted, tol)
    if bool(w1_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    _check_components_supported(p, q)
    with Precision(tol.rtol):
        closed = p._ball_w1_closed_form(q)
        if closed is not None:
            return enclosure_of(closed, "closed form", 0.0)
        total = sum_pieces(
            p,
            q,
            _abs_cdf_difference(flint, p, q),
            _tail_first_moments(flint, p, q),
            tol,
            crossing=_cdf_difference_floats(p, q),
            strip_bound=_strip_bound(flint, p, q),
        )
        return enclosure_of(total, ARB, 0.0)


def _shift_closed_form(flint: Any, a: float, b: float, tol: Tolerance) -> Enclosure:
    """W1 of a law and its shift: the distance :math:`|b - a|` between their locations."""
    with Precision(tol.rtol):
        return enclosure_of(abs(flint.arb(b) - flint.arb(a)), "closed form", 0.0)


def _check_components_supported(p: Law, q: Law) -> None:
    """Refuses laws with a component whose distribution function has no ball-arithmetic form.

    Raises:
      NotImplementedError: for such a component (a Student t law), naming the law.
    """
    flint = load_flint()
    for law, name in ((p, "p"), (q, "q")):
        for _, c in exact_components(law):
            try:
                c._ball_cdf(flint.arb(0))
            except NotImplementedError:
                raise NotImplementedError(
                    f"{name}: a certified W1 with a {type(c).__name__} law"
                ) from None


def _cdf_on_piece(flint: Any, law: Law, a: float, b: float) -> Callable[[Any, bool], Any]:
    """F of ``law`` on the piece ``[a, b]``, an analytic function of an Arb ball.

    Its components summed with their weights: those whose support ends left of the piece
    count as their weight (F = 1 there), those whose support begins right of it not at all.
    """
    arb, acb = flint.arb, flint.acb
    parts: list[tuple[float, Law | None, int]] = []
    for w, c in exact_components(law):
        lo, hi = support_floats(c)
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
                out += arb(w) * c._ball_cdf_piece(x, a, b, an)
        return out

    return F


def _abs_cdf_difference(
    flint: Any, p: Law, q: Law
) -> Callable[[float, float], Callable[[Any, bool], Any]]:
    """Piece ``[a, b]`` -> the integrand :math:`|F_p - F_q|` there, by ``real_abs``."""

    def piece(a: float, b: float) -> Callable[[Any, bool], Any]:
        Fp, Fq = _cdf_on_piece(flint, p, a, b), _cdf_on_piece(flint, q, a, b)

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


def _strip_bound(flint: Any, p: Law, q: Law) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around :math:`\int_a^b |F_p - F_q|` over a strip at a support's end.

    Both distribution functions are increasing: on ``[a, b]`` the difference lies between
    :math:`F_p(a) - F_q(b)` and :math:`F_p(b) - F_q(a)`, and the width times the larger size
    bounds the integral.
    """
    arb = flint.arb

    def cdf(law: Law, x: float) -> Any:
        return sum((arb(w) * c._ball_cdf(arb(x)) for w, c in exact_components(law)), arb(0))

    def bound(a: float, b: float) -> Any:
        low, high = cdf(p, a) - cdf(q, b), cdf(p, b) - cdf(q, a)
        return arb(0).union((arb(b) - arb(a)) * abs(low).max(abs(high)))

    return bound


def _cdf_difference_floats(p: Law, q: Law) -> Callable[[np.ndarray], np.ndarray]:
    """Points -> :math:`F_p - F_q` there in floats, for finding where it changes sign."""

    def crossing(x: np.ndarray) -> np.ndarray:
        return cdf_floats(p, list(x)) - cdf_floats(q, list(x))

    return crossing
