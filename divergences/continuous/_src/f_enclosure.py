"""A certified f-divergence by its generator's route: the enclosure of its term's sum, mapped.

A generator of :mod:`divergences.generators` names a term of :mod:`divergences._src.terms`, maybe
with the laws swapped, a scale, a shift and a square (:class:`divergences._src.f_generators.Route`);
its enclosure is the matching quantity's (:data:`TERM_SUMS`), mapped by :func:`affine` with outward
rounding, in the logarithm base asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from divergences._src import terms
from divergences._src.f_generators import FGenerator, Route, routed
from divergences.continuous._src.ball import load_flint
from divergences.continuous._src.effort import Precision, Tolerance
from divergences.continuous._src.enclosure import Enclosure, enclosure_of
from divergences.continuous._src.interface import Law
from divergences.continuous._src.quantity_enclosures import (
    chi_enclosure,
    hellinger_enclosure,
    js_enclosure,
    kl_enclosure,
    log_base,
    tv_enclosure,
)

__all__ = ["TERM_SUMS", "affine", "f_enclosure", "route_of"]


def route_of(f: Any) -> Route:
    """The route of ``f``, one of the generators of :mod:`divergences.generators`, or the error.

    Raises:
      ValueError: where ``f`` is not an :class:`~divergences.FGenerator`.
      NotImplementedError: for a generator of your own (the fast path takes it).
    """
    if not isinstance(f, FGenerator):
        raise ValueError(f"f must be a divergences.FGenerator, got {f!r}")
    route = routed(f)
    if route is None:
        raise NotImplementedError(
            f"the certified f_divergence knows the generators of divergences.generators, not {f.name!r}"
        )
    return route


def f_enclosure(p: Law, q: Law, tol: Tolerance, f: Any, base: Any = None) -> Enclosure:
    """The enclosure of the f-divergence of the generator ``f`` at one attempt's tolerance."""
    route = route_of(f)
    fn, scale, square = TERM_SUMS[route.term.name]
    a, b = (q, p) if route.swapped else (p, q)
    e = fn(a, b, tol)
    if scale != 1.0 or route.shift or square:
        e = affine(e, scale, route.shift, square=square)
    if base is None or not math.isfinite(e.value):
        return e
    with Precision(tol.rtol):
        arb = load_flint().arb
        lb = log_base(base)
        ball = arb(e.lower_bound).union(arb(e.upper_bound)) / lb
        return enclosure_of(ball, e.method)


#: The enclosure of each term's sum, by the term's name, as ``(function, a, square)``: the sum is
#: ``a`` times the function's value (squared first where ``square``). What a generator's route
#: (:class:`divergences._src.f_generators.Route`) is computed by.
TERM_SUMS: dict[str, tuple[Callable[..., Enclosure], float, bool]] = {
    terms.KL.name: (kl_enclosure, 1.0, False),
    terms.PEARSON.name: (chi_enclosure, 1.0, False),
    terms.SQUARED_HELLINGER.name: (hellinger_enclosure, 2.0, True),
    terms.JENSEN_SHANNON.name: (js_enclosure, 2.0, False),
    terms.TOTAL_VARIATION.name: (tv_enclosure, 1.0, False),
}


def affine(e: Enclosure, a: float, b: float, *, square: bool = False) -> Enclosure:
    """``a * e + b`` (of ``e^2`` if ``square``), rounded outward."""
    if not math.isfinite(e.value):
        return e
    flint = load_flint()
    with Precision(1e-15):
        lo, hi = flint.arb(e.lower_bound), flint.arb(e.upper_bound)
        if square:
            lo, hi = lo * lo, hi * hi
        ball = a * lo.union(hi)
        if b:
            ball = ball + flint.arb(b) if b != -math.log(4) else ball - 2 * flint.arb(2).log()
        return enclosure_of(ball, e.method)
