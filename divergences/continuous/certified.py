r"""Certified divergences between continuous laws, in ball arithmetic (host only, not jittable).

Each function returns an :class:`Enclosure`: ``[lower_bound, upper_bound]`` holding the exact
value in real arithmetic, a ``value`` inside and a ``method`` saying how it was obtained. The
jittable path beside it is :mod:`divergences.continuous.fast`.

How. The line is cut at the support ends, the centres and the scale marks of both laws; on each
piece the integrand is written with Arb's complex ball functions (python-flint), honouring the
``analytic`` flag where it has a branch point (``|p - q|``, logarithms), and integrated by
``acb.integral``: Gauss-Legendre on nested ellipses with rigorous error bounds and adaptive
bisection (Johansson 2018). The integrands are of one sign (centred KL
:math:`p\log(p/q) - p + q`, the JS, Hellinger and TV summands, :math:`(p - q)^2/q`,
:math:`|F - G|`), so a relative tolerance on each piece is one on the sum. Beyond a truncation
point the tails are bounded analytically from each law's exact tail masses, moments and
envelopes of :math:`-\log p` (each law's own file under ``divergences.continuous._src``). Infinite
values are decided exactly before any integration (``"infinite: support"``, ``"infinite:
tails"``); KL between normals and W1 between shifts of one law have closed forms.

Near the ends of a beta law's support, where its density is not analytic, a thin strip is
enclosed from power envelopes of the densities (``docs/concepts/continuous.md``).

Precision (:mod:`divergences.continuous._src.refine`). Each function returns an enclosure with
``upper_bound - lower_bound <= max(rtol * max(|lower_bound|, |upper_bound|), atol)`` (``atol``
0 by default: the relative rule alone) or raises :class:`PrecisionError` (a ``SolverError``
naming the laws, the enclosure reached, the time and evaluations spent and what would reach
the width), refining with more bits, where laws close together cancel, until ``budget``
seconds of processor time (:data:`BUDGET` by default) are spent. TV and W1 of two normals, and
TV of two Laplace, logistic or Cauchy laws of one scale, have closed forms that keep their
precision however close the laws are. Two equal laws are 0 exactly (``"equal laws"``).
``value`` is the enclosure's midpoint, or the fast path's value where it lies inside a wider
enclosure with a smaller error estimate.

Limits: ``NotImplementedError`` for W1 with a Student-t law, a chi-square whose tails are not
Gaussian, and a W1 between two laws without first moment that are not shifts of each other.

References:
  F. Johansson, *Numerical integration in arbitrary-precision ball arithmetic*, ICMS 2018,
  LNCS 10931, pp. 255-263; F. Johansson, *Arb: efficient arbitrary-precision midpoint-radius
  interval arithmetic*, IEEE Trans. Computers 66 (2017).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from divergences._src import terms
from divergences._src.f_generators import FGenerator, routed
from divergences.continuous import fast as _fast
from divergences.continuous._src import strips
from divergences.continuous._src.ball import num
from divergences.continuous._src.certified_w1 import w1
from divergences.continuous._src.infinite import (
    chi_edge_infinite,
    chi_tail_infinite,
    kl_tail_infinite,
    logistic_infinite,
)
from divergences.continuous._src.integrals import (
    ARB,
    Enclosure,
    Precision,
    active,
    ball_exp,
    check_concrete_law,
    check_rtol,
    density_floats,
    dot,
    enclosure_of,
    infinite,
    integral,
    law_mass,
    load_flint,
    mass_tails,
    mixture_log_density,
    sum_pieces,
    supported_by,
    tails,
)
from divergences.continuous._src.interface import Law, exact_components
from divergences.continuous._src.refine import BUDGET, PrecisionError, refined

__all__ = [
    "BUDGET",
    "Enclosure",
    "PrecisionError",
    "chi_square",
    "f_divergence",
    "gan_value",
    "hellinger",
    "js_divergence",
    "kl",
    "total_variation",
    "w1",
]


def __dir__() -> list[str]:
    """The public entries only: ``dir()`` and tab completion list ``__all__``, not the helpers."""
    return list(__all__)


# --- the quantities ---------------------------------------------------------------------------


def _ops(log2: Any = None) -> tuple[Any, Any]:
    """The term operations on balls (:func:`divergences._src.terms.ball_ops`), by ``analytic``."""
    return terms.ball_ops(log2, False), terms.ball_ops(log2, True)


def _same_law(p: Law, q: Law) -> bool:
    """Whether ``p`` and ``q`` are one law (the same components, weights and parameters)."""
    return _without_common_part(p, q) == ([], [])


#: The enclosure of a divergence between a law and itself: 0 exactly.
_EQUAL = Enclosure(0.0, 0.0, 0.0, "equal laws")


def _js_ball(p: Law, q: Law, rtol: float) -> Any:
    flint = load_flint()
    if _same_law(p, q):
        return flint.arb(0)
    log2 = flint.arb(2).log()
    ops = _ops(log2)

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return 0.5 * log2 * ball_exp(lp if lq is None else lq)
        return terms.JENSEN_SHANNON.on_logs(lp, lq, ops[an]) / 2  # its term is twice JS's

    tail = mass_tails(p, q, 0.5 * math.log(2) * (1 + 1e-15))
    return integral(p, q, h, tail, rtol, strip_bound=strips.js_strip(p, q))


def js_divergence(
    p: Law,
    q: Law,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
    budget: float = BUDGET,
    base: Any = None,
) -> Enclosure:
    r"""Certified Jensen-Shannon divergence (host only, not jittable), in :math:`[0, \log 2]`.

    :math:`\tfrac12 \int p \log\frac{2p}{p+q} + q \log\frac{2q}{p+q}`; tails bounded by
    :math:`\tfrac{\log 2}{2}(P(\text{tail}) + Q(\text{tail}))`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * max(|lower_bound|,
      |upper_bound|), atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.

    Example:
      >>> from divergences import continuous as dvc
      >>> e = dvc.certified.js_divergence(dvc.Normal(0.0, 1.0), dvc.Normal(1.0, 1.0))
      >>> e.upper_bound - e.lower_bound < 1e-12
      True
    """
    _check(p, q, rtol, base)
    return refined(
        "js_divergence",
        p,
        q,
        lambda r: _js_enclosure(p, q, r, base),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.js_divergence(p, q, base=base),
    )


def _js_enclosure(p: Law, q: Law, rtol: float, base: Any = None) -> Enclosure:
    with Precision(rtol):
        ball = _js_ball(p, q, rtol) / _log_base(base)
        return enclosure_of(ball, ARB, 0.0)


def _check(p: Law, q: Law, rtol: Any, base: Any = None) -> None:
    """The checks every certified function makes of its input, in this order."""
    check_rtol(rtol)
    check_concrete_law(p, "p")
    check_concrete_law(q, "q")
    if base is not None:
        with Precision(1e-15):
            _log_base(base)


def _log_base(base: Any) -> Any:
    arb = load_flint().arb
    if base is None:
        return arb(1)
    b = float(base)
    if not (math.isfinite(b) and b > 0 and b != 1):
        raise ValueError(f"base must be None (nats) or a finite number > 0 and != 1, got {base!r}")
    return arb(b).log()


def _kl_ball(p: Law, q: Law, rtol: float) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        return terms.KL.on_logs(lp, lq, ops[an])

    def bound(t: float, left: bool) -> Any:
        tp, tq = tails(p, t, left), tails(q, t, left)
        arb = load_flint().arb
        if tp.m0.is_zero():
            return tq.m0
        env = tuple(ep + eq for ep, eq in zip(tp.envelope, tq.envelope, strict=True))
        extra = tp.log_max.max(arb(0)) + tq.log_max.max(arb(0))
        env = (env[0] + extra, *env[1:])
        # |p log p - p log q| + p + q integrated over the tail.
        return dot(env, tp) + tp.m0 + tq.m0

    return integral(p, q, h, bound, rtol, strip_bound=strips.kl_strip(p, q))


def kl(
    p: Law,
    q: Law,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
    budget: float = BUDGET,
    base: Any = None,
) -> Enclosure:
    r"""Certified :math:`\mathrm{KL}(p \| q)` (host only, not jittable).

    Integrated in the centred form :math:`q(e^d d - (e^d - 1))`, :math:`d = \log(p/q)`, which is
    :math:`p \log(p/q) - p + q \ge 0`. The tail beyond :math:`t` is bounded by
    :math:`\int p (|\log p| + |\log q|) + p + q` with envelopes of :math:`-\log p, -\log q` and
    tail moments of ``p``. Infinite (decided exactly) where ``supp p`` is not inside ``supp q``
    or where ``q``'s tails are too light for ``p``'s moments (Gaussian ``q`` and ``p`` without
    second moment; exponential ``q`` and ``p`` without first moment). Two normals: the closed
    form :math:`\log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12`.
    A beta law, either side: on a strip at each end of its support, :math:`u = |x - e| \le d`,
    with :math:`c_{p-}u^{\alpha_p} \le p \le c_{p+}u^{\alpha_p}` and the same for ``q``,
    :math:`\int p\log p` and :math:`\int p\log q` are enclosed by
    :math:`\int_0^d u^\alpha\log u\,du = d^{\alpha+1}((\alpha+1)\log d - 1)/(\alpha+1)^2`;
    the value is finite whenever the supports nest (:math:`\alpha > -1`, and
    :math:`u^\alpha \log u` is integrable). Two beta laws on one interval: the closed form in
    :math:`\psi` and :math:`\log B`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * max(|lower_bound|,
      |upper_bound|), atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.

    Example:
      >>> from divergences import continuous as dvc
      >>> dvc.certified.kl(dvc.Cauchy(0.0, 1.0), dvc.Normal(0.0, 1.0)).method
      'infinite: tails'
      >>> # KL(U(0, 1) || Beta(2, 3)) = log B(2, 3) + (2 - 1) + (3 - 1) = 3 - log 12
      >>> import math
      >>> dvc.certified.kl(dvc.Uniform(0.0, 1.0), dvc.Beta(2.0, 3.0)).contains(3 - math.log(12))
      True
    """
    _check(p, q, rtol, base)
    return refined(
        "kl",
        p,
        q,
        lambda r: _kl_enclosure(p, q, r, base),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.kl(p, q, base=base),
    )


def _kl_enclosure(p: Law, q: Law, rtol: float, base: Any = None) -> Enclosure:
    if _same_law(p, q):
        return _EQUAL
    if not supported_by(p, q):
        return infinite(1.0, "support")
    if bool(kl_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    with Precision(rtol):
        lb = _log_base(base)
        closed = p._ball_kl_closed_form(q)
        if closed is not None:
            return enclosure_of(closed / lb, "closed form", 0.0)
        return enclosure_of(_kl_ball(p, q, rtol) / lb, ARB, 0.0)


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
    left = [(w, c, _component_key(c)) for w, c in exact_components(p)]
    right: list[tuple[float, Law, tuple[Any, ...] | None]] = [
        (w, c, _component_key(c)) for w, c in exact_components(q)
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
        return load_flint().arb(0)

    ops = _ops()

    def h(lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        return terms.TOTAL_VARIATION.on_logs(lp, lq, ops[an])

    def piece(a: float, b: float) -> Callable[[Any, bool], Any] | None:
        lp, lq = mixture_log_density(active(big_p, a, b)), mixture_log_density(active(big_q, a, b))
        if lp is None and lq is None:
            return None
        return lambda x, an: h(
            None if lp is None else lp(x, an), None if lq is None else lq(x, an), an
        )

    dp, dq = density_floats(big_p), density_floats(big_q)

    def crossing(x: np.ndarray) -> np.ndarray:
        return dp(x) - dq(x)

    return sum_pieces(p, q, piece, mass_tails(p, q, 0.5), rtol, crossing=crossing)


def total_variation(
    p: Law, q: Law, *, rtol: float = 1e-12, atol: float = 0.0, budget: float = BUDGET
) -> Enclosure:
    r"""Certified total variation :math:`\tfrac12\int|p - q|` (host only, not jittable).

    ``|p - q|`` is integrated with Arb's ``real_abs(analytic=...)``: pieces that hold a crossing
    point are bisected around it, where the integrand is small.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.

    Returns:
      An :class:`Enclosure` inside ``[0, 1]`` with ``upper_bound - lower_bound <= max(rtol *
      upper_bound, atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.
    """
    _check(p, q, rtol)
    return refined(
        "total_variation",
        p,
        q,
        lambda r: _tv_enclosure(p, q, r),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.total_variation(p, q),
    )


def _tv_enclosure(p: Law, q: Law, rtol: float) -> Enclosure:
    with Precision(rtol):
        closed = p._ball_tv_closed_form(q)
        if closed is not None:
            return enclosure_of(closed, "closed form", 0.0, 1.0)
        return enclosure_of(_tv_ball(p, q, rtol), ARB, 0.0, 1.0)


def _sqh_ball(p: Law, q: Law, rtol: float) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None or lq is None:
            return (lp if lq is None else lq).exp() / 2
        # The squared Hellinger term sums to twice the squared distance.
        return terms.SQUARED_HELLINGER.on_logs(lp, lq, ops[an]) / 2

    return integral(p, q, h, mass_tails(p, q, 0.5), rtol, strip_bound=strips.hellinger_strip(p, q))


def hellinger(
    p: Law, q: Law, *, rtol: float = 1e-12, atol: float = 0.0, budget: float = BUDGET
) -> Enclosure:
    r"""Certified Hellinger distance :math:`(\tfrac12\int(\sqrt p - \sqrt q)^2)^{1/2}` (host only, not jittable).

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.

    Returns:
      An :class:`Enclosure` inside ``[0, 1]`` with ``upper_bound - lower_bound <= max(rtol *
      upper_bound, atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.
    """
    _check(p, q, rtol)
    return refined(
        "hellinger",
        p,
        q,
        lambda r: _hellinger_enclosure(p, q, r),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.hellinger(p, q),
    )


def _hellinger_enclosure(p: Law, q: Law, rtol: float) -> Enclosure:
    if _same_law(p, q):
        return _EQUAL
    with Precision(rtol):
        sq = _sqh_ball(p, q, rtol)
        arb = load_flint().arb
        lo = sq.lower().max(arb(0)).sqrt()
        hi = sq.upper().min(arb(1)).sqrt()
        return enclosure_of(lo.union(hi), ARB, 0.0, 1.0)


def _chi_ball(p: Law, q: Law, rtol: float) -> Any:
    ops = _ops()

    def h(x: Any, lp: Any, lq: Any, an: bool) -> Any:
        if lp is None:
            return lq.exp()
        return terms.PEARSON.on_logs(lp, lq, ops[an])

    tail = lambda t, left: _chi_tail(p, q, t, left)  # noqa: E731
    return integral(p, q, h, tail, rtol, strip_bound=strips.chi_square_strip(p, q))


def _chi_tail(p: Law, q: Law, t: float, left: bool) -> Any:
    """Bound of the tail of (p - q)^2 / q <= p^2 / q + q, Gaussian components only."""
    arb = load_flint().arb
    qn: list[tuple[float, Any]] = [(w, c) for w, c in exact_components(q) if _gaussian(c)]
    pu: list[tuple[float, Any]] = [
        (w, c) for w, c in exact_components(p) if any(kind != "none" for kind, _ in c._tails())
    ]
    if any(not _gaussian(c) for _, c in pu) or (pu and not qn):
        raise NotImplementedError("a certified chi_square with tails that are not Gaussian")
    total = tails(q, t, left).m0
    if not pu:
        return total
    wk, k = max(qn, key=lambda wc: num(wc[1].scale))
    sign = -1.0 if left else 1.0
    mk, sk = arb(sign * num(k.loc)), arb(num(k.scale))
    tt = arb(t)
    for w, c in pu:
        mi, si = arb(sign * num(c.loc)), arb(num(c.scale))
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


def _gaussian(c: Law) -> bool:
    """Whether both tails of a component are Gaussian (a normal law: ``loc`` and ``scale``)."""
    return all(kind == "gauss" for kind, _ in c._tails())


def chi_square(
    p: Law, q: Law, *, rtol: float = 1e-12, atol: float = 0.0, budget: float = BUDGET
) -> Enclosure:
    r"""Certified Pearson :math:`\chi^2(p, q) = \int (p - q)^2/q` (host only, not jittable).

    Infinite (decided exactly) on a support, tail or edge condition (see
    :func:`divergences.continuous.chi_square`): at an end where :math:`p \sim u^{\alpha_p}` and
    :math:`q \sim u^{\alpha_q}`, :math:`p^2/q \sim u^{2\alpha_p - \alpha_q}` is integrable iff
    :math:`2\alpha_p - \alpha_q > -1` (``"infinite: singular edge"`` otherwise). Tails are
    bounded for Gaussian tails only, with :math:`p^2 \le \sum_i w_i p_i^2` and
    :math:`q \ge w_k q_k` (``q_k`` its widest normal): each :math:`p_i^2 / q_k` is a Gaussian
    with an ``erfc`` tail. On the strip at a beta law's end, :math:`\int p^2/q - 2p + q` is
    enclosed with the power envelopes of both laws and :math:`\int u^s = d^{s+1}/(s+1)`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * max(|lower_bound|,
      |upper_bound|), atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.

    Example:
      >>> from divergences import continuous as dvc
      >>> # int_0^1 p^2 = B(3, 5) / B(2, 3)^2 = 48/35 for p = Beta(2, 3): chi^2 = 13/35
      >>> dvc.certified.chi_square(dvc.Beta(2.0, 3.0), dvc.Uniform(0.0, 1.0)).contains(13 / 35)
      True
      >>> dvc.certified.chi_square(dvc.Beta(0.5, 2.0), dvc.Uniform(0.0, 1.0)).method
      'infinite: singular edge'
    """
    _check(p, q, rtol)
    return refined(
        "chi_square",
        p,
        q,
        lambda r: _chi_enclosure(p, q, r),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.chi_square(p, q),
    )


def _chi_enclosure(p: Law, q: Law, rtol: float) -> Enclosure:
    if _same_law(p, q):
        return _EQUAL
    if not supported_by(p, q):
        return infinite(1.0, "support")
    if bool(chi_tail_infinite(p, q)):
        return infinite(1.0, "tails")
    if bool(chi_edge_infinite(p, q)):
        return infinite(1.0, "singular edge")
    with Precision(rtol):
        closed = p._ball_chi_square_closed_form(q)
        if closed is not None:
            return enclosure_of(closed, "closed form", 0.0)
        return enclosure_of(_chi_ball(p, q, rtol), ARB, 0.0)


def f_divergence(
    p: Law,
    q: Law,
    f: Any,
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
    budget: float = BUDGET,
    base: Any = None,
) -> Enclosure:
    """Certified f-divergence for a generator of :mod:`divergences.generators` (host only, not jittable).

    Computed by its route, the enclosure of its term's integral by the matching function of this
    module (``KL`` by :func:`kl`, ``NEYMAN`` by :func:`chi_square` with the laws swapped,
    ``JENSEN_SHANNON`` as twice :func:`js_divergence`...).

    Args:
      p: the first law.
      q: the second law.
      f: one of the generators of :mod:`divergences.generators`.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.
      base: logarithm base; ``None`` for nats.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * max(|lower_bound|,
      |upper_bound|), atol)``.

    Raises:
      NotImplementedError: for a generator of your own (use the fast path).
      PrecisionError: where the budget ends before the enclosure is that narrow.
    """
    _check(p, q, rtol, base)
    if not isinstance(f, FGenerator):
        raise ValueError(f"f must be a divergences.FGenerator, got {f!r}")
    route = routed(f)
    if route is None:
        raise NotImplementedError(
            f"the certified f_divergence knows the generators of divergences.generators, not {f.name!r}"
        )
    return refined(
        "f_divergence",
        p,
        q,
        lambda r: _f_enclosure(p, q, route, r, base),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.f_divergence(p, q, f, base=base),
    )


def _f_enclosure(p: Law, q: Law, route: Any, rtol: float, base: Any) -> Enclosure:
    fn, scale, square = _TERM_SUMS[route.term.name]
    a, b = (q, p) if route.swapped else (p, q)
    e = fn(a, b, rtol)
    if scale != 1.0 or route.shift or square:
        e = _affine(e, scale, route.shift, square=square)
    if base is None or not math.isfinite(e.value):
        return e
    with Precision(rtol):
        arb = load_flint().arb
        lb = _log_base(base)
        ball = arb(e.lower_bound).union(arb(e.upper_bound)) / lb
        return enclosure_of(ball, e.method)


#: The enclosure of each term's sum, by the term's name, as ``(function, a, square)``: the sum is
#: ``a`` times the function's value (squared first where ``square``). What a generator's route
#: (:class:`divergences._src.f_generators.Route`) is computed by.
_TERM_SUMS: dict[str, tuple[Callable[..., Enclosure], float, bool]] = {
    terms.KL.name: (_kl_enclosure, 1.0, False),
    terms.PEARSON.name: (_chi_enclosure, 1.0, False),
    terms.SQUARED_HELLINGER.name: (_hellinger_enclosure, 2.0, True),
    terms.JENSEN_SHANNON.name: (_js_enclosure, 2.0, False),
    terms.TOTAL_VARIATION.name: (_tv_enclosure, 1.0, False),
}


def _affine(e: Enclosure, a: float, b: float, *, square: bool = False) -> Enclosure:
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


def gan_value(
    p: Law,
    q: Law,
    d: Any = "optimal",
    *,
    rtol: float = 1e-12,
    atol: float = 0.0,
    budget: float = BUDGET,
) -> Enclosure:
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
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * max(|lower_bound|,
      |upper_bound|), atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.
    """
    _check(p, q, rtol)
    if not (isinstance(d, str) and d == "optimal") and not isinstance(
        d, _fast.LogisticDiscriminator
    ):
        raise ValueError(f'd must be "optimal" or a LogisticDiscriminator, got {d!r}')
    return refined(
        "gan_value",
        p,
        q,
        lambda r: _gan_enclosure(p, q, d, r),
        rtol=rtol,
        atol=atol,
        budget=budget,
        fast=lambda: _fast.gan_value(p, q, d),
    )


def _gan_enclosure(p: Law, q: Law, d: Any, rtol: float) -> Enclosure:
    if isinstance(d, str) and d == "optimal":
        with Precision(rtol):
            ball = 2 * _js_ball(p, q, rtol) - 2 * load_flint().arb(2).log()
            return enclosure_of(ball, ARB, -2 * math.log(2) * (1 + 1e-15), 0.0)
    if bool(logistic_infinite(p, q, d)):
        return infinite(-1.0, "tails")
    with Precision(rtol):
        flint = load_flint()
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
            tp, tq = tails(p, t, left), tails(q, t, left)
            c = abs(bs) + arb(2).log()
            return c * (tp.m0 + tq.m0) + abs(wt) * (
                (0 if tp.m0.is_zero() else tp.m1) + (0 if tq.m0.is_zero() else tq.m1)
            )

        strip = _softplus_strip_bound(p, q, wt, bs)
        ball = integral(p, q, h, bound, rtol, sign=-1.0, strip_bound=strip)
        return enclosure_of(ball, ARB, hi_clip=0.0)


def _softplus_strip_bound(p: Law, q: Law, wt: Any, bs: Any) -> Callable[[float, float], Any]:
    r"""``(a, b)`` -> a ball around the GAN integrand's integral on a strip ``[a, b]`` at an end.

    There :math:`\mathrm{softplus}(\pm y) \le |y| + \log 2 \le |w| \max(|a|, |b|) + |b| +
    \log 2` for :math:`y = wx + b`, times the two laws' masses.
    """
    arb = load_flint().arb

    def strip(a: float, b: float) -> Any:
        c = abs(wt) * max(abs(a), abs(b)) + abs(bs) + arb(2).log()
        return arb(0).union(-c * (law_mass(p, a, b) + law_mass(q, a, b)))

    return strip
