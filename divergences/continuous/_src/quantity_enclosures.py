"""Each certified quantity's enclosure at one tolerance: decided exactly, a closed form, or a ball.

Equal laws give 0 exactly; an infinite value is decided before any integration (support, tails,
a singular edge); a law's closed form (``Law._ball_*_closed_form``) is taken where it has one;
otherwise the ball of :mod:`~divergences.continuous._src.term_integrals`, in the logarithm base
asked for. :func:`~divergences.continuous._src.refine.refined` calls these with tighter
tolerances until the enclosure is narrow enough.
"""

from __future__ import annotations

import math
from typing import Any

from divergences.continuous._src.ball import load_flint
from divergences.continuous._src.common_part import same_law
from divergences.continuous._src.effort import Precision, Tolerance
from divergences.continuous._src.enclosure import ARB, EQUAL, Enclosure, enclosure_of, infinite
from divergences.continuous._src.infinite import (
    chi_edge_infinite,
    chi_tail_infinite,
    kl_tail_infinite,
)
from divergences.continuous._src.integrals import supported_by
from divergences.continuous._src.interface import Law
from divergences.continuous._src.term_integrals import (
    chi_ball,
    js_ball,
    kl_ball,
    sqh_ball,
    tv_ball,
)

__all__ = [
    "chi_enclosure",
    "hellinger_enclosure",
    "js_enclosure",
    "kl_enclosure",
    "log_base",
    "tv_enclosure",
]


def log_base(base: Any) -> Any:
    arb = load_flint().arb
    if base is None:
        return arb(1)
    b = float(base)
    if not (math.isfinite(b) and b > 0 and b != 1):
        raise ValueError(f"base must be None (nats) or a finite number > 0 and != 1, got {base!r}")
    return arb(b).log()


def js_enclosure(p: Law, q: Law, tol: Tolerance, base: Any = None) -> Enclosure:
    with Precision(tol.rtol):
        ball = js_ball(p, q, tol) / log_base(base)
        return enclosure_of(ball, ARB, 0.0)


def kl_enclosure(p: Law, q: Law, tol: Tolerance, base: Any = None) -> Enclosure:
    if same_law(p, q):
        return EQUAL
    if not supported_by(p, q):
        return infinite(1.0, "support")
    if bool(kl_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    with Precision(tol.rtol):
        lb = log_base(base)
        closed = p._ball_kl_closed_form(q)
        if closed is not None:
            return enclosure_of(closed / lb, "closed form", 0.0)
        return enclosure_of(kl_ball(p, q, tol) / lb, ARB, 0.0)


def tv_enclosure(p: Law, q: Law, tol: Tolerance) -> Enclosure:
    with Precision(tol.rtol):
        closed = p._ball_tv_closed_form(q)
        if closed is not None:
            return enclosure_of(closed, "closed form", 0.0, 1.0)
        return enclosure_of(tv_ball(p, q, tol), ARB, 0.0, 1.0)


def hellinger_enclosure(p: Law, q: Law, tol: Tolerance) -> Enclosure:
    if same_law(p, q):
        return EQUAL
    with Precision(tol.rtol):
        sq = sqh_ball(p, q, tol)
        arb = load_flint().arb
        lo = sq.lower().max(arb(0)).sqrt()
        hi = sq.upper().min(arb(1)).sqrt()
        return enclosure_of(lo.union(hi), ARB, 0.0, 1.0)


def chi_enclosure(p: Law, q: Law, tol: Tolerance) -> Enclosure:
    if same_law(p, q):
        return EQUAL
    if not supported_by(p, q):
        return infinite(1.0, "support")
    if bool(chi_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    if bool(chi_edge_infinite(p, q)):
        return infinite(1.0, "singular edge")
    with Precision(tol.rtol):
        closed = p._ball_chi_square_closed_form(q)
        if closed is not None:
            return enclosure_of(closed, "closed form", 0.0)
        return enclosure_of(chi_ball(p, q, tol), ARB, 0.0)
