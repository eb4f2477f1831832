r"""The certified path's integrals over the line, in ball arithmetic (python-flint, host only).

The line is cut at the support ends, the centres and the scale marks of both laws
(:func:`sum_pieces`); on each piece an integrand in Arb's complex balls is integrated by
``acb.integral`` to the attempt's tolerance (a :class:`~divergences.continuous._src.effort.Tolerance`,
an argument), the pieces taken in decreasing order of their mass so that the tolerance of a
one-signed integrand holds for the sum; beyond a truncation point the
tails are bounded analytically (:mod:`~divergences.continuous._src.tail_bounds`, from each law's
own bounds). Everything it asks of a law is a method of
:class:`~divergences.continuous._src.interface.Law` (``_ball_log_density``, ``_ball_marks``,
``_ball_tail``, ...): no type switch. The working precision and a refinement's effort (its work
budget, current in a context variable) are :mod:`~divergences.continuous._src.effort`'s; the quantities' integrands and tail bounds are
written on top (:mod:`~divergences.continuous._src.term_integrals`), and their balls returned as
an :class:`~divergences.continuous._src.enclosure.Enclosure`.

Reference: F. Johansson, *Numerical integration in arbitrary-precision ball arithmetic*, ICMS
2018, LNCS 10931, pp. 255-263.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from divergences._src.solver_error import SolverError
from divergences.continuous._src.ball import load_flint
from divergences.continuous._src.effort import (
    EFFORT,
    EVAL_LIMIT,
    Bits,
    BudgetSpent,
    Stop,
    Tolerance,
    Unconverged,
)
from divergences.continuous._src.interface import Law, exact_components, support_floats

__all__ = [
    "Integrand",
    "active",
    "cdf_floats",
    "density_floats",
    "domain",
    "integral",
    "intervals",
    "mixture_log_density",
    "sum_pieces",
    "supported_by",
]


# --- supports and layout -------------------------------------------------------------------


def intervals(law: Law) -> list[tuple[float, float]]:
    """The support of a law as merged closed intervals."""
    ivs = sorted(support_floats(c) for _, c in exact_components(law))
    merged: list[list[float]] = []
    for lo, hi in ivs:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(a, b) for a, b in merged]


def supported_by(p: Law, q: Law) -> bool:
    """Whether supp(p) is inside supp(q) (up to sets of length 0)."""
    qs = intervals(q)
    return all(any(a >= c and b <= d for c, d in qs) for a, b in intervals(p))


def _truncation(laws: tuple[Law, ...], rtol: float, *, left: bool) -> float:
    """A point ``t >= 1`` past which the tails of the laws (reflected if ``left``) are bounded."""
    points = [c._ball_truncation(rtol, left=left) for law in laws for _, c in exact_components(law)]
    return max([1.0, *points])


def _cuts(p: Law, q: Law, lo: float, hi: float) -> list[float]:
    """Ends of the pieces in ``[lo, hi]``: support ends, centres and scale marks of both laws."""
    pts = {lo, hi}
    for law in (p, q):
        for _, c in exact_components(law):
            pts.update(c._ball_marks())
    return sorted(v for v in pts if lo <= v <= hi)


def active(law: Law | list[tuple[float, Law]], a: float, b: float) -> list[tuple[float, Law]]:
    """The weighted components of ``law`` (a law, or its components) supported on all of [a, b]."""
    weighted = law if isinstance(law, list) else exact_components(law)
    return [(w, c) for w, c in weighted if support_floats(c)[0] <= a and b <= support_floats(c)[1]]


def mixture_log_density(comps: list[tuple[float, Law]]) -> Callable[[Any, bool], Any] | None:
    """``x, analytic -> log p(x)`` on a piece where ``comps`` are the positive components."""
    flint = load_flint()
    if not comps:
        return None
    fns = [c._ball_log_density() for _, c in comps]
    if len(comps) == 1 and comps[0][0] == 1.0:
        return fns[0]
    logw = [flint.arb(w).log() for w, _ in comps]

    def log_mix(x: Any, an: bool) -> Any:
        terms = [lw + fn(x, an) for lw, fn in zip(logw, fns, strict=True)]
        top = max(range(len(terms)), key=lambda k: float(terms[k].real.mid()))
        rest = sum(((t - terms[top]).exp() for k, t in enumerate(terms) if k != top), flint.acb(1))
        return terms[top] + rest.log(analytic=an)

    return log_mix


def _strips(p: Law, q: Law, rtol: float, lo: float, hi: float) -> list[tuple[float, float, str]]:
    """The laws' strips inside ``[lo, hi]``: where a bound replaces the integral, and whose."""
    out = []
    for law, name in ((p, "p"), (q, "q")):
        for _, c in exact_components(law):
            out += [(max(a, lo), min(b, hi), name) for a, b in c._ball_strips(rtol)]
    return [(a, b, name) for a, b, name in out if a < b]


Integrand = Callable[[Any, Any, Any, bool], Any]  # (x, log p or None, log q or None, analytic)


def _crossings(g: Callable[[np.ndarray], np.ndarray], cuts: list[float]) -> list[float]:
    """Float approximations of the sign changes of ``g`` between the cuts (grid, then bisection).

    They only place piece ends: Arb's ``real_abs(analytic=True)`` keeps the integral rigorous
    wherever they land.
    """
    a = np.asarray(cuts[:-1])
    b = np.asarray(cuts[1:])
    ok = b > a
    a, b = a[ok], b[ok]
    if a.size == 0:
        return []
    u = np.linspace(0.0, 1.0, 33)[1:-1]
    xs = (a[:, None] + (b - a)[:, None] * u).ravel()
    xs = np.concatenate([a, xs, b])
    xs = np.unique(xs)
    gs = np.asarray(g(xs))
    change = np.nonzero(np.sign(gs[:-1]) * np.sign(gs[1:]) < 0)[0]
    lo, hi = xs[change], xs[change + 1]
    glo = gs[change]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        gm = np.asarray(g(mid))
        left = np.sign(gm) == np.sign(glo)
        lo = np.where(left, mid, lo)
        glo = np.where(left, gm, glo)
        hi = np.where(left, hi, mid)
    return [float(v) for v in 0.5 * (lo + hi)]


def domain(p: Law, q: Law, rtol: float) -> tuple[float, float, float, float]:
    lo_hull = min(a for law in (p, q) for a, _ in intervals(law))
    hi_hull = max(b for law in (p, q) for _, b in intervals(law))
    lo = lo_hull if math.isfinite(lo_hull) else -_truncation((p, q), rtol, left=True)
    hi = hi_hull if math.isfinite(hi_hull) else _truncation((p, q), rtol, left=False)
    return lo_hull, hi_hull, lo, hi


def sum_pieces(
    p: Law,
    q: Law,
    piece: Callable[[float, float], Callable[[Any, bool], Any] | None],
    tail_bound: Callable[[float, bool], Any],
    tol: Tolerance,
    *,
    sign: float = 1.0,
    crossing: Callable[[np.ndarray], np.ndarray] | None = None,
    strip_bound: Callable[[float, float], Any] | None = None,
) -> Any:
    """The integral over the line of a one-signed integrand, as an arb ball (tails included).

    ``piece(a, b)`` gives the integrand on ``[a, b]`` (None where it is 0). On the strips a law
    asks for at the ends of its support (``Law._ball_strips``: a beta law's density is not
    analytic there) the integral is enclosed instead by the ball ``strip_bound(a, b)`` (by
    default the ``strip`` method of ``tail_bound``, which
    :func:`~divergences.continuous._src.tail_bounds.mass_tails` has); an integrand without such a
    bound is refused there, naming the law. Pieces are integrated in decreasing order of the mass
    the two laws put on them, each to a relative tolerance of ``tol.rtol / 16`` and an absolute
    one of ``tol.rtol / 16`` times the running total over the number of pieces: for a one-signed
    integrand, a relative width of about ``tol.rtol`` on the sum. Where ``tol.atol`` is set, each
    piece's absolute tolerance is at least ``tol.atol / 4`` over the number of pieces: no piece
    works for a width far below the absolute one asked for (a value near 0, which the relative
    tolerance alone would chase).
    """
    flint = load_flint()
    arb = flint.arb
    lo_hull, hi_hull, lo, hi = domain(p, q, tol.rtol)
    strips = _strips(p, q, tol.rtol, lo, hi)
    strip_bound = strip_bound or getattr(tail_bound, "strip", None)
    if strips and strip_bound is None:
        raise NotImplementedError(
            f"{strips[0][2]}: this certified quantity has no bound near the ends of a beta law's "
            "support, where its density x^(a-1) (1-x)^(b-1) / B(a, b) is not analytic and the "
            "ball-arithmetic integration needs bounds of its own (each certified function "
            "of divergences.continuous.certified has them); divergences.continuous.fast "
            "takes it"
        )
    cuts = sorted(set(_cuts(p, q, lo, hi)) | {e for a, b, _ in strips for e in (a, b)})
    if crossing is not None:
        cuts = sorted(set(cuts) | {c for c in _crossings(crossing, cuts) if lo < c < hi})
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if a < b]
    mass_p, mass_q = cdf_floats(p, cuts), cdf_floats(q, cuts)
    index = {c: k for k, c in enumerate(cuts)}
    pieces.sort(
        key=lambda ab: (
            -(
                mass_p[index[ab[1]]]
                - mass_p[index[ab[0]]]
                + mass_q[index[ab[1]]]
                - mass_q[index[ab[0]]]
            )
        )
    )
    total = arb(0)
    rel = arb(tol.rtol) / 16
    floor = arb(2) ** (-flint.ctx.prec - 60)
    n = max(len(pieces), 1)
    for a, b in pieces:
        if strip_bound is not None and any(s <= a and b <= e for s, e, _ in strips):
            total += strip_bound(a, b)
            continue
        f = piece(a, b)
        if f is None:
            continue
        running = abs(total.mid())
        absolute = (rel * running / n).max(floor) if running != 0 else floor
        if tol.atol > 0:
            absolute = absolute.max(arb(tol.atol) / (4 * n))
        with Bits(flint.ctx.prec + _lost_bits(a, b)):
            r = _piece_integral(f, a, b, rel, absolute)
        total += r.real
    for side_inf, t, left in ((lo_hull, -lo, True), (hi_hull, hi, False)):
        if math.isfinite(side_inf):
            continue
        bound = tail_bound(t, left)
        total += arb(0).union(sign * bound)
    return total


def _piece_integral(
    f: Callable[[Any, bool], Any], a: float, b: float, rel: Any, absolute: Any
) -> Any:
    """``acb.integral`` of ``f`` on ``[a, b]``, within the refinement's effort where one is set.

    Raises:
      BudgetSpent: where the refinement's deadline passes.
      Unconverged: where the integral is not finite within a refinement's evaluation limit
        below the integrals' own (the refinement tries again, with more).
      SolverError: where it is not finite within the integrals' own limit.
    """
    acb = load_flint().acb
    work = EFFORT.get()
    if work is not None:
        if work.check():
            raise BudgetSpent
        f = work.counted(f)
    limit = EVAL_LIMIT if work is None else work.eval_limit
    r = acb.integral(f, a, b, rel_tol=rel, abs_tol=absolute, eval_limit=limit)
    if work is not None and work.spent:
        raise BudgetSpent
    if not r.real.is_finite():
        if work is not None and limit < EVAL_LIMIT:
            raise Unconverged
        raise SolverError(
            f"the certified integration did not converge on [{a!r}, {b!r}] within {limit} "
            "evaluations: the integrand has no finite bound on the complex balls Arb "
            "needs there (a mixture's log density far from its components, where the "
            "exponentials of its components' differences are bounded only on tiny balls); "
            "divergences.continuous.fast gives the value with an error estimate",
            Stop.NOT_FINITE,
        )
    return r


def _lost_bits(a: float, b: float) -> int:
    """The bits a point of ``[a, b]`` spends on its distance from 0 before its place in the piece.

    Near an end at ``1`` a piece ``[1 - 2^-52, 1 - 2^-53]`` leaves ``1 - x`` with 53 bits fewer
    than the working precision: the integrator gets them back to converge there.
    """
    size = max(abs(a), abs(b))
    if size == 0 or b <= a:
        return 0
    return max(0, math.ceil(math.log2(size / (b - a))))


def cdf_floats(law: Law, xs: list[float]) -> np.ndarray:
    """``F(x)`` at floats, in low-precision ball arithmetic (JAX where Arb has no formula)."""
    arb = load_flint().arb
    try:
        return np.array(
            [
                sum(w * float(c._ball_cdf(arb(x)).mid()) for w, c in exact_components(law))
                for x in xs
            ]
        )
    except NotImplementedError:
        return np.asarray(law.cdf(jnp.asarray(np.array(xs))))


def density_floats(law: Law | list[tuple[float, Law]]) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> p(x)`` at floats, from the ball-arithmetic log-densities (0 off the support).

    ``law`` is a law or its weighted components ``[(w_k, p_k)]``.
    """
    acb = load_flint().acb
    weighted = law if isinstance(law, list) else exact_components(law)
    comps = [(w, support_floats(c), c._ball_log_density()) for w, c in weighted]

    def density(xs: np.ndarray) -> np.ndarray:
        out = np.zeros(len(xs))
        for k, x in enumerate(np.asarray(xs, dtype=float)):
            out[k] = sum(
                w * float(fn(acb(float(x)), False).real.exp().mid())
                for w, (lo, hi), fn in comps
                if lo < x < hi
            )
        return out

    return density


def integral(
    p: Law,
    q: Law,
    integrand: Integrand,
    tail_bound: Callable[[float, bool], Any],
    tol: Tolerance,
    *,
    sign: float = 1.0,
    crossing: Callable[[np.ndarray], np.ndarray] | None = None,
    strip_bound: Callable[[float, float], Any] | None = None,
) -> Any:
    """:func:`sum_pieces` of ``integrand(x, log p, log q, analytic)``."""

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp = mixture_log_density(active(p, a, b))
        lq = mixture_log_density(active(q, a, b))
        if lp is None and lq is None:
            return None

        def f(x: Any, an: bool) -> Any:
            return integrand(
                x, None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
            )

        return f

    return sum_pieces(
        p, q, piece, tail_bound, tol, sign=sign, crossing=crossing, strip_bound=strip_bound
    )
