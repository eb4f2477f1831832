r"""Certified divergences between continuous laws, in ball arithmetic (host only, not jittable).

Each function returns an :class:`Enclosure`: an interval ``[lower_bound, upper_bound]`` of
floats that contains the exact value in real arithmetic, the float nearest its midpoint, and a
short ``method`` saying how it was obtained. The jittable path beside it is
:mod:`divergences.continuous.fast`.

How. The line is cut at the support ends, the centres and the scale marks of both laws; on each
piece the integrand is written with Arb's complex ball functions (python-flint), honouring the
``analytic`` flag where it has a branch point (``|p - q|``, logarithms), and integrated by
``acb.integral``: Gauss-Legendre on nested ellipses with rigorous error bounds and adaptive
bisection (Johansson 2018). The integrands are of one sign (centred KL
:math:`p\log(p/q) - p + q`, the JS, Hellinger and TV summands, :math:`(p - q)^2/q`,
:math:`|F - G|`), so a relative tolerance on each piece is one on the sum. Beyond a truncation
point the tails are bounded analytically: exact tail masses and moments of each law (Gaussian
tails by ``erfc``, Laplace and exponential in closed form, Student-t and Cauchy by the envelope
:math:`p(x) \le K (x - \mu)^{-(\nu+1)}`) and envelopes of :math:`-\log p`
(:mod:`divergences.continuous._arb`). Values that are infinite are decided exactly before any
integration: supports nested the wrong way (``"infinite: support"``) or tails
(``"infinite: tails"``, e.g. KL(Cauchy || Normal)). KL between normals and W1 between two laws
that differ by a shift have closed forms (``"closed form"``).

Limits: a beta law (the logarithm of its density at the support ends) and, for W1, a Student-t or a beta
law (no ball-arithmetic distribution function here) raise ``NotImplementedError``, as does a
chi-square whose tails are not Gaussian, or a W1 between two laws without first moment whose tails
cancel without being shifts of each other.

References:
  F. Johansson, *Numerical integration in arbitrary-precision ball arithmetic*, ICMS 2018,
  LNCS 10931, pp. 255-263; F. Johansson, *Arb: efficient arbitrary-precision midpoint-radius
  interval arithmetic*, IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from divergences import generators as _gens
from divergences.continuous import fast as _fast
from divergences.continuous.laws import Beta, Cauchy, Law, Mixture, Normal, StudentT, Uniform

__all__ = [
    "Enclosure",
    "chi_square",
    "f_divergence",
    "gan_value",
    "hellinger",
    "js_divergence",
    "kl",
    "total_variation",
    "w1",
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


_ARB = "arb integration + analytic tails"


def _flint() -> Any:
    try:
        import flint
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "divergences.continuous.certified needs python-flint: pip install "
            "'divergences[certified]'"
        ) from None
    return flint


def _arbmod() -> Any:
    _flint()
    from divergences.continuous import _arb

    return _arb


def _check(law: Any, name: str) -> None:
    _fast._check_law(law, name)
    from jax.core import Tracer

    if any(isinstance(leaf, Tracer) for leaf in _leaves(law)):
        raise ValueError(
            f"{name} must have concrete parameters: the certified path runs on the host"
        )


def _leaves(law: Law) -> list[Any]:
    import jax

    return jax.tree_util.tree_leaves(law)


# --- floats out of balls ----------------------------------------------------------------------


def _down(x: Any) -> float:
    flint = _flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) > x:
        f = math.nextafter(f, -math.inf)
    return f


def _up(x: Any) -> float:
    flint = _flint()
    f = float(x)
    if math.isfinite(f) and flint.arb(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def _enclosure(
    ball: Any, method: str, lo_clip: float = -math.inf, hi_clip: float = math.inf
) -> Enclosure:
    lo = max(_down(ball.lower()), lo_clip)
    hi = min(_up(ball.upper()), hi_clip)
    mid = float(ball.mid())
    mid = min(max(mid, lo), hi)
    return Enclosure(mid, lo, hi, method)


def _infinite(sign: float, why: str) -> Enclosure:
    v = sign * math.inf
    return Enclosure(v, v, v, f"infinite: {why}")


class _Prec:
    """Working precision for a tolerance, restored on exit."""

    def __init__(self, rtol: float) -> None:
        self.bits = max(64, int(-math.log2(rtol)) + 24)

    def __enter__(self) -> None:
        ctx = _flint().ctx
        self.saved = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc: Any) -> None:
        _flint().ctx.prec = self.saved


# --- supports and layout -------------------------------------------------------------------


def _intervals(law: Law) -> list[tuple[float, float]]:
    """The support of a law as merged closed intervals."""
    A = _arbmod()
    ivs = sorted(A.support(c) for _, c in A.components(law))
    merged: list[list[float]] = []
    for lo, hi in ivs:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(a, b) for a, b in merged]


def _supported_by(p: Law, q: Law) -> bool:
    """Whether supp(p) is inside supp(q) (up to sets of length 0)."""
    qs = _intervals(q)
    return all(any(a >= c and b <= d for c, d in qs) for a, b in _intervals(p))


def _truncation(laws: tuple[Law, ...], rtol: float, *, left: bool) -> float:
    """A point ``t >= 1`` past which the tails of the laws (reflected if ``left``) are bounded."""
    A = _arbmod()
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
    A = _arbmod()
    pts = {lo, hi}
    for law in (p, q):
        for _, c in A.components(law):
            s_lo, s_hi = A.support(c)
            centre, width = A.centre_and_width(c)
            pts.update(v for v in (s_lo, s_hi) if math.isfinite(v))
            if not isinstance(c, Uniform | Beta):
                pts.update(centre + k * width for k in (-5, 0, 5))
    return sorted(v for v in pts if lo <= v <= hi)


def _active(law: Law, a: float, b: float) -> list[tuple[float, Law]]:
    A = _arbmod()
    return [(w, c) for w, c in A.components(law) if A.support(c)[0] <= a and b <= A.support(c)[1]]


def _log_density_fn(comps: list[tuple[float, Law]]) -> Callable[[Any, bool], Any] | None:
    """``x, analytic -> log p(x)`` on a piece where ``comps`` are the positive components."""
    A = _arbmod()
    flint = _flint()
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


def _check_shapes(law: Law, name: str) -> None:
    A = _arbmod()
    for _, c in A.components(law):
        if isinstance(c, Beta):
            raise NotImplementedError(
                f"{name}: the certified path does not integrate beta laws yet (the logarithm of "
                "the density at the support ends needs bounds of its own)"
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


def _domain(p: Law, q: Law, rtol: float) -> tuple[float, float, float, float]:
    lo_hull = min(a for law in (p, q) for a, _ in _intervals(law))
    hi_hull = max(b for law in (p, q) for _, b in _intervals(law))
    lo = lo_hull if math.isfinite(lo_hull) else -_truncation((p, q), rtol, left=True)
    hi = hi_hull if math.isfinite(hi_hull) else _truncation((p, q), rtol, left=False)
    return lo_hull, hi_hull, lo, hi


def _sum_pieces(
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
    flint = _flint()
    arb, acb = flint.arb, flint.acb
    lo_hull, hi_hull, lo, hi = _domain(p, q, rtol)
    cuts = _cuts(p, q, lo, hi)
    if crossing is not None:
        cuts = sorted(set(cuts) | {c for c in _crossings(crossing, cuts) if lo < c < hi})
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if a < b]
    mass_p, mass_q = _cdf_floats(p, cuts), _cdf_floats(q, cuts)
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


def _cdf_floats(law: Law, xs: list[float]) -> np.ndarray:
    """``F(x)`` at floats, in low-precision ball arithmetic (JAX where Arb has no formula)."""
    A = _arbmod()
    arb = _flint().arb
    try:
        return np.array(
            [sum(w * float(A.cdf(c, arb(x)).mid()) for w, c in A.components(law)) for x in xs]
        )
    except NotImplementedError:
        import jax.numpy as jnp

        return np.asarray(law.cdf(jnp.asarray(np.array(xs))))


def _density_floats(law: Law) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> p(x)`` at floats, from the ball-arithmetic log-densities (0 off the support)."""
    return _density_floats_of(_arbmod().components(law))


def _density_floats_of(weighted: list[tuple[float, Law]]) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> sum_k w_k p_k(x)`` at floats for components ``[(w_k, p_k)]``."""
    A = _arbmod()
    acb = _flint().acb
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


def _integrate(
    p: Law,
    q: Law,
    integrand: Integrand,
    tail_bound: Callable[[float, bool], Any],
    rtol: float,
    *,
    sign: float = 1.0,
    crossing: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """:func:`_sum_pieces` of ``integrand(x, log p, log q, analytic)``."""

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp = _log_density_fn(_active(p, a, b))
        lq = _log_density_fn(_active(q, a, b))
        if lp is None and lq is None:
            return None

        def f(x: Any, an: bool) -> Any:
            return integrand(
                x, None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
            )

        return f

    return _sum_pieces(p, q, piece, tail_bound, rtol, sign=sign, crossing=crossing)


def _tails(law: Law, t: float, left: bool) -> Any:
    return _arbmod().law_tail(law, t, left=left)


def _dot(env: tuple[Any, ...], tl: Any) -> Any:
    """``sum_j env_j * moment_j`` with ``0 * inf = 0``."""
    arb = _flint().arb
    total = arb(0)
    for c, m in zip(env, (tl.m0, tl.m1, tl.m2, tl.mlog), strict=True):
        if c != 0:
            total += c * m
    return total


def _mass_tails(p: Law, q: Law, factor: float) -> Callable[[float, bool], Any]:
    def bound(t: float, left: bool) -> Any:
        return factor * (_tails(p, t, left).m0 + _tails(q, t, left).m0)

    return bound


def _exp(v: Any) -> Any:
    return v.exp()


# --- the quantities ---------------------------------------------------------------------------


def _js_ball(p: Law, q: Law, rtol: float) -> Any:
    flint = _flint()
    log2 = flint.arb(2).log()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return 0.5 * log2 * _exp(lp if lq is None else lq)
        pe, qe = lp.exp(), lq.exp()
        lm = (pe + qe).log(analytic=an) - log2
        return (pe * (lp - lm) + qe * (lq - lm)) / 2

    return _integrate(p, q, h, _mass_tails(p, q, 0.5 * math.log(2) * (1 + 1e-15)), rtol)


def js_divergence(p: Law, q: Law, *, rtol: float = 1e-12, base: Any = None) -> Enclosure:
    r"""Certified Jensen-Shannon divergence (host only, not jittable), in :math:`[0, \log 2]`.

    :math:`\tfrac12 \int p \log\frac{2p}{p+q} + q \log\frac{2q}{p+q}`; tails bounded by
    :math:`\tfrac{\log 2}{2}(P(\text{tail}) + Q(\text{tail}))`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure`.

    Example:
      >>> from divergences import continuous as dvc
      >>> e = dvc.certified.js_divergence(dvc.Normal(0.0, 1.0), dvc.Normal(1.0, 1.0))
      >>> e.upper_bound - e.lower_bound < 1e-12
      True
    """
    _check(p, "p")
    _check(q, "q")
    _check_shapes(p, "p")
    _check_shapes(q, "q")
    with _Prec(rtol):
        ball = _js_ball(p, q, rtol) / _log_base(base)
        return _enclosure(ball, _ARB, 0.0)


def _log_base(base: Any) -> Any:
    arb = _flint().arb
    if base is None:
        return arb(1)
    b = float(base)
    if not (math.isfinite(b) and b > 0 and b != 1):
        raise ValueError(f"base must be None (nats) or a finite number > 0 and != 1, got {base!r}")
    return arb(b).log()


def _kl_ball(p: Law, q: Law, rtol: float) -> Any:
    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        d = lp - lq
        return lq.exp() * (d.exp() * d - d.expm1())

    def bound(t: float, left: bool) -> Any:
        tp, tq = _tails(p, t, left), _tails(q, t, left)
        arb = _flint().arb
        if tp.m0.is_zero():
            return tq.m0
        env = tuple(ep + eq for ep, eq in zip(tp.envelope, tq.envelope, strict=True))
        extra = tp.log_max.max(arb(0)) + tq.log_max.max(arb(0))
        env = (env[0] + extra, *env[1:])
        # |p log p - p log q| + p + q integrated over the tail.
        return _dot(env, tp) + tp.m0 + tq.m0

    return _integrate(p, q, h, bound, rtol)


def kl(p: Law, q: Law, *, rtol: float = 1e-12, base: Any = None) -> Enclosure:
    r"""Certified :math:`\mathrm{KL}(p \| q)` (host only, not jittable).

    Integrated in the centred form :math:`q(e^d d - (e^d - 1))`, :math:`d = \log(p/q)`, which is
    :math:`p \log(p/q) - p + q \ge 0`. The tail beyond :math:`t` is bounded by
    :math:`\int p (|\log p| + |\log q|) + p + q` with envelopes of :math:`-\log p, -\log q` and
    tail moments of ``p``. Infinite (decided exactly) where ``supp p`` is not inside ``supp q``
    or where ``q``'s tails are too light for ``p``'s moments (Gaussian ``q`` and ``p`` without
    second moment; exponential ``q`` and ``p`` without first moment). Two normals: the closed
    form :math:`\log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure`.

    Example:
      >>> from divergences import continuous as dvc
      >>> dvc.certified.kl(dvc.Cauchy(0.0, 1.0), dvc.Normal(0.0, 1.0)).method
      'infinite: tails'
    """
    _check(p, "p")
    _check(q, "q")
    if not _supported_by(p, q):
        return _infinite(1.0, "support")
    if bool(_fast._kl_tail_infinite(p, q)):
        return _infinite(1.0, "tails")
    with _Prec(rtol):
        lb = _log_base(base)
        if isinstance(p, Normal) and isinstance(q, Normal):
            return _enclosure(_kl_normal_ball(p, q) / lb, "closed form", 0.0)
        _check_shapes(p, "p")
        _check_shapes(q, "q")
        return _enclosure(_kl_ball(p, q, rtol) / lb, _ARB, 0.0)


def _kl_normal_ball(p: Normal, q: Normal) -> Any:
    arb = _flint().arb
    A = _arbmod()
    mp, sp = arb(A.num(p.loc)), arb(A.num(p.scale))
    mq, sq = arb(A.num(q.loc)), arb(A.num(q.scale))
    return (sq / sp).log() + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - arb(0.5)


def _component_key(c: Law) -> tuple[Any, ...]:
    """A component's type and parameters as exact floats: equal keys, equal densities."""
    return (type(c), *(float(np.asarray(getattr(c, f), np.float64)) for f in c._fields))


def _without_common_part(p: Law, q: Law) -> tuple[list[tuple[float, Law]], list[tuple[float, Law]]]:
    """``p - q`` as ``P - Q``: a component both mixtures hold leaves its common weight out.

    ``P = p - m`` and ``Q = q - m`` with ``m = sum_k min(w_k, v_k) p_k`` over the components
    ``p_k`` that ``p`` (weight ``w_k``) and ``q`` (weight ``v_k``) share, so ``P - Q = p - q``
    exactly, while the ball arithmetic never subtracts two equal densities (where the shared
    part dominates, ``p(x) - q(x)`` computed as written loses every bit and the integrator
    bisects until its evaluation limit). A weight difference is kept only where it is a float
    exactly; otherwise that component stays on both sides, as written.
    """
    A = _arbmod()
    left = [(w, c, _component_key(c)) for w, c in A.components(p)]
    right: list[tuple[float, Law, tuple[Any, ...] | None]] = [
        (w, c, _component_key(c)) for w, c in A.components(q)
    ]
    out_p: list[tuple[float, Law]] = []
    used: set[int] = set()
    for w, c, key in left:
        k = next((k for k, r in enumerate(right) if k not in used and r[2] == key), None)
        if k is None:
            out_p.append((w, c))
            continue
        v = right[k][0]
        diff = w - v
        if Fraction(diff) != Fraction(w) - Fraction(v):  # not exact: keep both as written
            out_p.append((w, c))
            continue
        used.add(k)
        if diff > 0:
            out_p.append((diff, c))
        elif diff < 0:
            right.append((-diff, c, None))  # a key no component of p has
    out_q = [(v, c) for k, (v, c, _) in enumerate(right) if k not in used]
    return out_p, out_q


def _tv_ball(p: Law, q: Law, rtol: float) -> Any:
    """``1/2 int |P - Q|`` with the common part of ``p`` and ``q`` left out exactly."""
    big_p, big_q = _without_common_part(p, q)
    if not big_p and not big_q:  # the same law: 0 exactly
        return _flint().arb(0)

    def h(lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        return (lp.exp() - lq.exp()).real_abs(analytic=an) / 2

    def on(comps: list[tuple[float, Law]], a: float, b: float) -> list[tuple[float, Law]]:
        A = _arbmod()
        return [(w, c) for w, c in comps if A.support(c)[0] <= a and b <= A.support(c)[1]]

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp, lq = _log_density_fn(on(big_p, a, b)), _log_density_fn(on(big_q, a, b))
        if lp is None and lq is None:
            return None
        return lambda x, an: h(
            None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
        )

    dp, dq = _density_floats_of(big_p), _density_floats_of(big_q)

    def crossing(x: np.ndarray) -> np.ndarray:
        return dp(x) - dq(x)

    return _sum_pieces(p, q, piece, _mass_tails(p, q, 0.5), rtol, crossing=crossing)


def total_variation(p: Law, q: Law, *, rtol: float = 1e-12) -> Enclosure:
    r"""Certified total variation :math:`\tfrac12\int|p - q|` (host only, not jittable).

    ``|p - q|`` is integrated with Arb's ``real_abs(analytic=...)``: pieces that hold a crossing
    point are bisected around it, where the integrand is small.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at.

    Returns:
      An :class:`Enclosure` inside ``[0, 1]``.
    """
    _check(p, "p")
    _check(q, "q")
    _check_shapes(p, "p")
    _check_shapes(q, "q")
    with _Prec(rtol):
        return _enclosure(_tv_ball(p, q, rtol), _ARB, 0.0, 1.0)


def _sqh_ball(p: Law, q: Law, rtol: float) -> Any:
    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        return ((lp / 2).exp() - (lq / 2).exp()) ** 2 / 2

    return _integrate(p, q, h, _mass_tails(p, q, 0.5), rtol)


def hellinger(p: Law, q: Law, *, rtol: float = 1e-12) -> Enclosure:
    r"""Certified Hellinger distance :math:`(\tfrac12\int(\sqrt p - \sqrt q)^2)^{1/2}` (host only, not jittable).

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at (of the squared distance).

    Returns:
      An :class:`Enclosure` inside ``[0, 1]``.
    """
    _check(p, "p")
    _check(q, "q")
    _check_shapes(p, "p")
    _check_shapes(q, "q")
    with _Prec(rtol):
        sq = _sqh_ball(p, q, rtol)
        arb = _flint().arb
        lo = sq.lower().max(arb(0)).sqrt()
        hi = sq.upper().min(arb(1)).sqrt()
        return _enclosure(lo.union(hi), _ARB, 0.0, 1.0)


def _chi_ball(p: Law, q: Law, rtol: float) -> Any:
    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        return lq.exp() * (lp - lq).expm1() ** 2

    return _integrate(p, q, h, lambda t, left: _chi_tail(p, q, t, left), rtol)


def _chi_tail(p: Law, q: Law, t: float, left: bool) -> Any:
    """Bound of the tail of (p - q)^2 / q <= p^2 / q + q, Gaussian components only."""
    A = _arbmod()
    arb = _flint().arb
    qn = [(w, c) for w, c in A.components(q) if isinstance(c, Normal)]
    pu = [(w, c) for w, c in A.components(p) if not isinstance(c, Uniform | Beta)]
    if any(not isinstance(c, Normal) for _, c in pu) or (pu and not qn):
        raise NotImplementedError("a certified chi_square with tails that are not Gaussian")
    total = _tails(q, t, left).m0
    if not pu:
        return total
    wk, k = max(qn, key=lambda wc: A.num(wc[1].scale))
    sign = -1.0 if left else 1.0
    mk, sk = arb(sign * A.num(k.loc)), arb(A.num(k.scale))
    tt = arb(t)
    for w, c in pu:
        mi, si = arb(sign * A.num(c.loc)), arb(A.num(c.scale))
        # p_i^2 / q_k = C exp(-a x^2 + b x + c0), integrated over [t, inf) with erfc.
        a = 1 / (si * si) - 1 / (2 * sk * sk)
        if not a > 0:
            return arb("inf")
        b = 2 * mi / (si * si) - mk / (sk * sk)
        c0 = -mi * mi / (si * si) + mk * mk / (2 * sk * sk)
        pref = sk / (si * si * (2 * arb.pi()).sqrt())
        integral = (
            (c0 + b * b / (4 * a)).exp()
            * (arb.pi() / a).sqrt()
            / 2
            * ((a.sqrt()) * (tt - b / (2 * a))).erfc()
        )
        total += arb(w) / arb(wk) * pref * integral
    return total


def chi_square(p: Law, q: Law, *, rtol: float = 1e-12) -> Enclosure:
    r"""Certified Pearson :math:`\chi^2(p, q) = \int (p - q)^2/q` (host only, not jittable).

    Infinite (decided exactly) on a support, tail or edge condition (see
    :func:`divergences.continuous.chi_square`). Tails are bounded for Gaussian tails only, with
    :math:`p^2 \le \sum_i w_i p_i^2` and :math:`q \ge w_k q_k` (``q_k`` its widest normal):
    each :math:`p_i^2 / q_k` is a Gaussian with an ``erfc`` tail.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width aimed at.

    Returns:
      An :class:`Enclosure`.
    """
    _check(p, "p")
    _check(q, "q")
    if not _supported_by(p, q):
        return _infinite(1.0, "support")
    if bool(_fast._chi_tail_infinite(p, q)):
        return _infinite(1.0, "tails")
    if bool(_fast._chi_edge_infinite(p, q)):
        return _infinite(1.0, "singular edge")
    _check_shapes(p, "p")
    _check_shapes(q, "q")
    with _Prec(rtol):
        return _enclosure(_chi_ball(p, q, rtol), _ARB, 0.0)


def f_divergence(p: Law, q: Law, f: Any, *, rtol: float = 1e-12, base: Any = None) -> Enclosure:
    """Certified f-divergence for a generator of :mod:`divergences.generators` (host only, not jittable).

    Computed by the matching function of this module (``KL`` by :func:`kl`, ``PEARSON`` by
    :func:`chi_square`, ``JENSEN_SHANNON`` as twice :func:`js_divergence`...).

    Args:
      p: the first law.
      q: the second law.
      f: one of the generators of :mod:`divergences.generators`.
      rtol: the relative width aimed at.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure`.

    Raises:
      NotImplementedError: for a generator of your own (use the fast path).
    """
    table: dict[int, Callable[[], Enclosure]] = {
        id(_gens.KL): lambda: kl(p, q, rtol=rtol),
        id(_gens.REVERSE_KL): lambda: kl(q, p, rtol=rtol),
        id(_gens.PEARSON): lambda: chi_square(p, q, rtol=rtol),
        id(_gens.NEYMAN): lambda: chi_square(q, p, rtol=rtol),
        id(_gens.SQUARED_HELLINGER): lambda: _affine(
            hellinger(p, q, rtol=rtol), 2.0, 0.0, square=True
        ),
        id(_gens.JENSEN_SHANNON): lambda: _affine(js_divergence(p, q, rtol=rtol), 2.0, 0.0),
        id(_gens.GAN): lambda: _affine(js_divergence(p, q, rtol=rtol), 2.0, -math.log(4)),
        id(_gens.TOTAL_VARIATION): lambda: total_variation(p, q, rtol=rtol),
    }
    if not isinstance(f, _gens.FGenerator):
        raise ValueError(f"f must be a divergences.FGenerator, got {f!r}")
    if id(f) not in table:
        raise NotImplementedError(
            f"the certified f_divergence knows the generators of divergences.generators, not {f.name!r}"
        )
    e = table[id(f)]()
    if base is None or not math.isfinite(e.value):
        return e
    with _Prec(rtol):
        arb = _flint().arb
        lb = _log_base(base)
        ball = arb(e.lower_bound).union(arb(e.upper_bound)) / lb
        return _enclosure(ball, e.method)


def _affine(e: Enclosure, a: float, b: float, *, square: bool = False) -> Enclosure:
    """``a * e + b`` (of ``e^2`` if ``square``), rounded outward."""
    if not math.isfinite(e.value):
        return e
    flint = _flint()
    with _Prec(1e-15):
        lo, hi = flint.arb(e.lower_bound), flint.arb(e.upper_bound)
        if square:
            lo, hi = lo * lo, hi * hi
        ball = a * lo.union(hi)
        if b:
            ball = ball + flint.arb(b) if b != -math.log(4) else ball - 2 * flint.arb(2).log()
        return _enclosure(ball, e.method)


def gan_value(p: Law, q: Law, d: Any = "optimal", *, rtol: float = 1e-12) -> Enclosure:
    r"""Certified GAN value :math:`\int p\log D + \int q \log(1 - D)` (host only, not jittable).

    ``d="optimal"``: :math:`2\,\mathrm{JS}(p \| q) - \log 4`. A
    :class:`divergences.continuous.LogisticDiscriminator` :math:`D = \sigma(wx + b)`: the
    integrand :math:`-p\,\mathrm{softplus}(-(wx+b)) - q\,\mathrm{softplus}(wx+b) \le 0`, tails
    bounded with :math:`\mathrm{softplus}(y) \le |y| + \log 2` and first moments; ``-inf``
    (decided exactly) where a law without first moment meets the linear growth.

    Args:
      p: the data law.
      q: the generator's law.
      d: ``"optimal"`` or a :class:`divergences.continuous.LogisticDiscriminator`.
      rtol: the relative width aimed at.

    Returns:
      An :class:`Enclosure`.
    """
    _check(p, "p")
    _check(q, "q")
    if isinstance(d, str) and d == "optimal":
        with _Prec(rtol):
            ball = 2 * _js_ball(p, q, rtol) - 2 * _flint().arb(2).log()
            return _enclosure(ball, _ARB, -2 * math.log(2) * (1 + 1e-15), 0.0)
    if not isinstance(d, _fast.LogisticDiscriminator):
        raise ValueError(f'd must be "optimal" or a LogisticDiscriminator, got {d!r}')
    if bool(_fast._logistic_infinite(p, q, d)):
        return _infinite(-1.0, "tails")
    _check_shapes(p, "p")
    _check_shapes(q, "q")
    with _Prec(rtol):
        flint = _flint()
        arb, acb = flint.arb, flint.acb
        wt, bs = arb(float(np.asarray(d.weight))), arb(float(np.asarray(d.bias)))

        def softplus(y: Any, an: bool) -> Any:
            # log(1 + e^y), for y of either sign without overflow.
            if y.real > 0:
                return y + (1 + (-y).exp()).log(analytic=an)
            return (1 + y.exp()).log(analytic=an)

        def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
            y = wt * x + bs
            out = acb(0)
            if lp is not None:
                out -= lp.exp() * softplus(-y, an)
            if lq is not None:
                out -= lq.exp() * softplus(y, an)
            return out

        def bound(t: float, left: bool) -> Any:
            tp, tq = _tails(p, t, left), _tails(q, t, left)
            c = abs(bs) + arb(2).log()
            return c * (tp.m0 + tq.m0) + abs(wt) * (
                (0 if tp.m0.is_zero() else tp.m1) + (0 if tq.m0.is_zero() else tq.m1)
            )

        return _enclosure(_integrate(p, q, h, bound, rtol, sign=-1.0), _ARB, hi_clip=0.0)


def _shift_between(p: Law, q: Law) -> float | None:
    """``t`` if ``q`` is the law of ``X + t`` for ``X ~ p`` (same family and shape), else None."""
    A = _arbmod()
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
    _check(p, "p")
    _check(q, "q")
    t = _shift_between(p, q)
    flint = _flint()
    if t is not None:
        with _Prec(rtol):
            A = _arbmod()
            moved = [f for f in p._fields if f in ("loc", "low", "high")]
            f0 = moved[0]
            ball = abs(flint.arb(A.num(getattr(q, f0))) - flint.arb(A.num(getattr(p, f0))))
            return _enclosure(ball, "closed form", 0.0)
    if bool(_fast._w1_tail_infinite(p, q)):
        return _infinite(1.0, "tails")
    A = _arbmod()
    for law, name in ((p, "p"), (q, "q")):
        for _, c in A.components(law):
            if isinstance(c, StudentT | Beta):
                raise NotImplementedError(f"{name}: a certified W1 with a {type(c).__name__} law")
    with _Prec(rtol):
        arb, acb = flint.arb, flint.acb

        def cdf_on_piece(law: Law, a: float, b: float) -> Callable[[Any, bool], Any]:
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

        def piece(a: float, b: float) -> Callable[[Any, bool], Any]:
            Fp, Fq = cdf_on_piece(p, a, b), cdf_on_piece(q, a, b)

            def h(x: Any, an: bool) -> Any:
                return (Fp(x, an) - Fq(x, an)).real_abs(analytic=an)

            return h

        def bound(tt: float, left: bool) -> Any:
            tp, tq = _tails(p, tt, left), _tails(q, tt, left)
            return (arb(0) if tp.m0.is_zero() else tp.m1) + (arb(0) if tq.m0.is_zero() else tq.m1)

        def crossing(x: np.ndarray) -> np.ndarray:
            return _cdf_floats(p, list(x)) - _cdf_floats(q, list(x))

        total = _sum_pieces(p, q, piece, bound, rtol, crossing=crossing)
        return _enclosure(total, _ARB, 0.0)


def _cdf_analytic(c: Law, x: Any, a: float, b: float, an: bool) -> Any:
    """F(x) of a component on a piece ``[a, b]`` inside its support, as an analytic function."""
    flint = _flint()
    arb = flint.arb
    A = _arbmod()
    from divergences.continuous.laws import Exponential, Laplace

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
