r"""The certified path's integrals over the line, in ball arithmetic (python-flint, host only).

The line is cut at the support ends, the centres and the scale marks of both laws
(:func:`sum_pieces`); on each piece an integrand in Arb's complex balls is integrated by
``acb.integral`` to a relative tolerance, the pieces taken in decreasing order of their mass so
that the tolerance of a one-signed integrand holds for the sum; beyond a truncation point the
tails are bounded analytically (:func:`tails`, from :mod:`divergences.continuous._arb`).
:mod:`divergences.continuous.certified` writes each quantity's integrand and tail bound on top,
and returns the :class:`Enclosure` of the ball (:func:`enclosure_of`: floats rounded outward).

Reference: F. Johansson, *Numerical integration in arbitrary-precision ball arithmetic*, ICMS
2018, LNCS 10931, pp. 255-263.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from divergences._src.options import number_option
from divergences.continuous._quadrature import check_law
from divergences.continuous.laws import Beta, Cauchy, Law, Normal, StudentT, Uniform

__all__ = [
    "ARB",
    "Enclosure",
    "Integrand",
    "Precision",
    "active",
    "ball_exp",
    "cdf_floats",
    "check_concrete_law",
    "check_shapes",
    "density_floats",
    "domain",
    "dot",
    "down",
    "enclosure_of",
    "infinite",
    "integrate",
    "intervals",
    "load_arb",
    "load_flint",
    "log_density_fn",
    "mass_tails",
    "sum_pieces",
    "supported_by",
    "tails",
    "up",
]


class Enclosure(NamedTuple):
    """A rigorous enclosure of a real number.

    Attributes:
      value: the float nearest the midpoint of the enclosure (``inf``/``-inf`` when infinite).
      lower_bound: a float below the exact value (rounded outward).
      upper_bound: a float above the exact value (rounded outward).
      method: how the bounds were obtained: ``"arb integration + analytic tails"``,
        ``"closed form"``, ``"infinite: support"``, ``"infinite: tails"``...
    """

    value: float
    lower_bound: float
    upper_bound: float
    method: str

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]``."""
        return self.lower_bound <= x <= self.upper_bound


ARB = "arb integration + analytic tails"


def down(x: Any) -> float:
    flint = load_flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) > x:
        f = math.nextafter(f, -math.inf)
    return f


def up(x: Any) -> float:
    flint = load_flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def enclosure_of(
    ball: Any, method: str, lo_clip: float = -math.inf, hi_clip: float = math.inf
) -> Enclosure:
    lo = max(down(ball.lower()), lo_clip)
    hi = min(up(ball.upper()), hi_clip)
    mid = float(ball.mid())
    mid = min(max(mid, lo), hi)
    return Enclosure(mid, lo, hi, method)


def infinite(sign: float, why: str) -> Enclosure:
    v = sign * math.inf
    return Enclosure(v, v, v, f"infinite: {why}")


def load_flint() -> Any:
    try:
        import flint
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "divergences.continuous.certified needs python-flint: pip install "
            "'divergences[certified]'"
        ) from None
    return flint


def load_arb() -> Any:
    load_flint()
    # Here, not at the top: _arb imports python-flint, an optional dependency (the
    # ``certified`` extra), which a user of the fast path need not install.
    from divergences.continuous import _arb

    return _arb


def check_concrete_law(law: Any, name: str) -> None:
    """The fast path's checks of a law, and parameters that are concrete (not traced)."""
    check_law(law, name)

    if any(isinstance(leaf, Tracer) for leaf in _leaves(law)):
        raise ValueError(
            f"{name} must have concrete parameters: the certified path runs on the host"
        )


def _leaves(law: Law) -> list[Any]:
    return jax.tree_util.tree_leaves(law)


def check_rtol(rtol: Any) -> float:
    """``rtol`` as a float, or a ValueError naming it: a finite number in (0, 1)."""
    value = number_option(rtol, "rtol")
    if not value < 1.0:
        raise ValueError(f"rtol must be a finite number in (0, 1), got {rtol!r}")
    return value


class Precision:
    """Working precision for a tolerance, restored on exit."""

    def __init__(self, rtol: float) -> None:
        self.bits = max(64, int(-math.log2(check_rtol(rtol))) + 24)

    def __enter__(self) -> None:
        ctx = load_flint().ctx
        self.saved = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc: Any) -> None:
        load_flint().ctx.prec = self.saved


# --- supports and layout -------------------------------------------------------------------


def intervals(law: Law) -> list[tuple[float, float]]:
    """The support of a law as merged closed intervals."""
    A = load_arb()
    ivs = sorted(A.support(c) for _, c in A.components(law))
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
    A = load_arb()
    t = 1.0
    for law in laws:
        for _, c in A.components(law):
            cc = A.reflect(c) if left else c
            start = A.tail_start(cc)
            t = max(t, start)
            if isinstance(cc, Uniform | Beta):
                continue
            centre, width = A.centre_and_width(cc)
            if isinstance(cc, StudentT | Cauchy):
                nu = 1.0 if isinstance(cc, Cauchy) else A.num(cc.df)
                reach = min((1e3 / rtol) ** (1 / nu), 1e30)
                t = max(t, start + width * reach)
            elif isinstance(cc, Normal):
                # tail mass below e^{-z^2/2} ~ 1e-12 rtol: far below any width asked for
                t = max(t, centre + (math.sqrt(2 * math.log(1e12 / rtol)) + 2) * width)
            else:
                t = max(t, centre + (math.log(1e12 / rtol) + 5) * width)
    return t


def _cuts(p: Law, q: Law, lo: float, hi: float) -> list[float]:
    """Ends of the pieces in ``[lo, hi]``: support ends, centres and scale marks of both laws."""
    A = load_arb()
    pts = {lo, hi}
    for law in (p, q):
        for _, c in A.components(law):
            s_lo, s_hi = A.support(c)
            centre, width = A.centre_and_width(c)
            pts.update(v for v in (s_lo, s_hi) if math.isfinite(v))
            if not isinstance(c, Uniform | Beta):
                pts.update(centre + k * width for k in (-5, 0, 5))
    return sorted(v for v in pts if lo <= v <= hi)


def active(law: Law | list[tuple[float, Law]], a: float, b: float) -> list[tuple[float, Law]]:
    """The weighted components of ``law`` (a law, or its components) supported on all of [a, b]."""
    A = load_arb()
    weighted = law if isinstance(law, list) else A.components(law)
    return [(w, c) for w, c in weighted if A.support(c)[0] <= a and b <= A.support(c)[1]]


def log_density_fn(comps: list[tuple[float, Law]]) -> Callable[[Any, bool], Any] | None:
    """``x, analytic -> log p(x)`` on a piece where ``comps`` are the positive components."""
    A = load_arb()
    flint = load_flint()
    if not comps:
        return None
    fns = [A.log_density_fn(c) for _, c in comps]
    if len(comps) == 1 and comps[0][0] == 1.0:
        return fns[0]
    logw = [flint.arb(w).log() for w, _ in comps]

    def log_mix(x: Any, an: bool) -> Any:
        terms = [lw + fn(x, an) for lw, fn in zip(logw, fns, strict=True)]
        top = max(range(len(terms)), key=lambda k: float(terms[k].real.mid()))
        rest = sum(((t - terms[top]).exp() for k, t in enumerate(terms) if k != top), flint.acb(1))
        return terms[top] + rest.log(analytic=an)

    return log_mix


def check_shapes(law: Law, name: str) -> None:
    A = load_arb()
    for _, c in A.components(law):
        if isinstance(c, Beta):
            raise NotImplementedError(
                f"{name}: the certified path does not integrate beta laws yet (its density "
                "x^(a-1) (1-x)^(b-1) / B(a, b), evaluated as the exponential of its logarithm, "
                "is not analytic at the ends 0 and 1 of the support, where the ball-arithmetic "
                "integration needs bounds of its own); divergences.continuous takes them"
            )


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
    rtol: float,
    *,
    sign: float = 1.0,
    crossing: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """The integral over the line of a one-signed integrand, as an arb ball (tails included).

    ``piece(a, b)`` gives the integrand on ``[a, b]`` (None where it is 0). Pieces are integrated
    in decreasing order of the mass the two laws put on them, each to a relative tolerance of
    ``rtol / 8`` and an absolute one of ``rtol / 8`` times the running total over the number of
    pieces: for a one-signed integrand, a relative width of about ``rtol`` on the sum.
    """
    flint = load_flint()
    arb, acb = flint.arb, flint.acb
    lo_hull, hi_hull, lo, hi = domain(p, q, rtol)
    cuts = _cuts(p, q, lo, hi)
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
    rel = arb(rtol) / 16
    floor = arb(2) ** (-flint.ctx.prec - 60)
    n = max(len(pieces), 1)
    for a, b in pieces:
        f = piece(a, b)
        if f is None:
            continue
        running = abs(total.mid())
        absolute = (rel * running / n).max(floor) if running != 0 else floor
        r = acb.integral(f, a, b, rel_tol=rel, abs_tol=absolute, eval_limit=10**6)
        total += r.real
    for side_inf, t, left in ((lo_hull, -lo, True), (hi_hull, hi, False)):
        if math.isfinite(side_inf):
            continue
        bound = tail_bound(t, left)
        total += arb(0).union(sign * bound)
    return total


def cdf_floats(law: Law, xs: list[float]) -> np.ndarray:
    """``F(x)`` at floats, in low-precision ball arithmetic (JAX where Arb has no formula)."""
    A = load_arb()
    arb = load_flint().arb
    try:
        return np.array(
            [sum(w * float(A.cdf(c, arb(x)).mid()) for w, c in A.components(law)) for x in xs]
        )
    except NotImplementedError:
        return np.asarray(law.cdf(jnp.asarray(np.array(xs))))


def density_floats(law: Law | list[tuple[float, Law]]) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> p(x)`` at floats, from the ball-arithmetic log-densities (0 off the support).

    ``law`` is a law or its weighted components ``[(w_k, p_k)]``.
    """
    A = load_arb()
    acb = load_flint().acb
    weighted = law if isinstance(law, list) else A.components(law)
    comps = [(w, A.support(c), A.log_density_fn(c)) for w, c in weighted]

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


def integrate(
    p: Law,
    q: Law,
    integrand: Integrand,
    tail_bound: Callable[[float, bool], Any],
    rtol: float,
    *,
    sign: float = 1.0,
    crossing: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """:func:`sum_pieces` of ``integrand(x, log p, log q, analytic)``."""

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp = log_density_fn(active(p, a, b))
        lq = log_density_fn(active(q, a, b))
        if lp is None and lq is None:
            return None

        def f(x: Any, an: bool) -> Any:
            return integrand(
                x, None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
            )

        return f

    return sum_pieces(p, q, piece, tail_bound, rtol, sign=sign, crossing=crossing)


def tails(law: Law, t: float, left: bool) -> Any:
    return load_arb().law_tail(law, t, left=left)


def dot(env: tuple[Any, ...], tl: Any) -> Any:
    """``sum_j env_j * moment_j`` with ``0 * inf = 0``."""
    arb = load_flint().arb
    total = arb(0)
    for c, m in zip(env, (tl.m0, tl.m1, tl.m2, tl.mlog), strict=True):
        if c != 0:
            total += c * m
    return total


def mass_tails(p: Law, q: Law, factor: float) -> Callable[[float, bool], Any]:
    def bound(t: float, left: bool) -> Any:
        return factor * (tails(p, t, left).m0 + tails(q, t, left).m0)

    return bound


def ball_exp(v: Any) -> Any:
    return v.exp()
