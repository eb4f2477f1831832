r"""The gamma law of shape :math:`k` and scale :math:`\theta` on :math:`[c, \infty)`: all it states.

The density :math:`u^{k-1}e^{-u}/(\Gamma(k)\,\theta)`, :math:`u = (x - c)/\theta`, behaves like
:math:`u^{k-1}` at its left end (unbounded there when :math:`k < 1`); its distribution function is
the regularized lower incomplete gamma function :math:`P(k, u)`.

In ball arithmetic, :math:`P` on a real ball is the union of its values at the ball's ends (it is
increasing); on a complex ball Arb's own bound is loose (its radius grows far faster than the
input's), so :math:`P` is evaluated at the ball's exact centre and the mean value inequality adds
the radius times the density's bound over the ball
(:func:`~divergences.continuous._src.interface.mean_value`). W1 between two gamma laws with one
origin is in closed form: :math:`\log(p/q) = c_0 + (k_p - k_q)\log u - (1/\theta_p - 1/\theta_q)x`
is convex or concave, so :math:`p - q` changes sign at most twice and :math:`D = F_p - F_q` at most
once, at a point :math:`z` (found in floats, then bracketed by two points where the signs of
:math:`D` are certified); with :math:`A(x) = \int_c^x D` in closed form (:math:`\int_c^x F =
(x - c)P(k, u) - k\theta P(k + 1, u)`), :math:`W_1 = |A(z)| + |\bar x_q - \bar x_p - A(z)|`,
and without a sign change :math:`W_1 = |\bar x_q - \bar x_p|`, the difference of the means.

References:
  Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, vol. 1, ch. 17, Wiley 1994.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeGuard

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import special as jsp
from scipy import optimize as sopt
from scipy import special as ssp

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, num
from divergences.continuous._src.interface import (
    EXP_MARKS,
    SYM_MARKS,
    Law,
    UnboundedLaw,
    centred_piece,
    finite,
    param,
    positive,
)

__all__ = ["Gamma"]

# Panel ends towards the left end, where the density may be singular (k < 1), in scales.
_EDGE = 2.0 ** -np.arange(48.0, 0.0, -4.0)
_BALL_EDGE = [2.0**-j for j in range(120, 0, -4)]


class Gamma(UnboundedLaw):
    r"""The gamma law of shape :math:`k` and scale :math:`\theta`, shifted to start at ``loc``.

    Its mean is :math:`c + k\theta`, its variance :math:`k\theta^2`; the density is unbounded at
    ``loc`` when :math:`k < 1` and the law is ``Exponential(1 / scale, loc)`` when :math:`k = 1`.

    Args:
      shape: :math:`k`, finite and > 0.
      scale: :math:`\theta`, finite and > 0.
      loc: the left end :math:`c` of the support, finite; default 0.
    """

    _fields = ("shape", "scale", "loc")
    shape: Any
    scale: Any
    loc: Any

    def __init__(self, shape: Any, scale: Any, loc: Any = 0.0) -> None:
        shape, scale, loc = param(shape, "shape"), param(scale, "scale"), param(loc, "loc")
        positive(shape, "shape", "the shape k of a gamma law")
        positive(scale, "scale", "the scale theta of a gamma law")
        finite(loc, "loc")
        self._set(shape=shape, scale=scale, loc=loc)

    def _u(self, x: Any) -> jax.Array:
        return (jnp.asarray(x) - self.loc) / self.scale

    def log_prob(self, x: Any) -> jax.Array:
        """See :meth:`Law.log_prob`."""
        u = self._u(x)
        # Off the open half-line the value is decided apart, so that no infinite term reaches a
        # gradient: -inf off the support, and at the end +inf, 1/scale or -inf as k <, =, > 1.
        inside = (u > 0) & (u < jnp.inf)
        us = jnp.where(inside, u, 1.0)
        lp = jsp.xlogy(self.shape - 1, us) - us - jsp.gammaln(self.shape) - jnp.log(self.scale)
        log_scale = jnp.log(jnp.where(u == 0, self.scale, 1.0))
        at_end = jnp.where(
            self.shape == 1, -log_scale, jnp.where(self.shape < 1, jnp.inf, -jnp.inf)
        )
        return jnp.where(inside, lp, jnp.where(u == 0, at_end, -jnp.inf))

    def cdf(self, x: Any) -> jax.Array:
        """See :meth:`Law.cdf`."""
        return jsp.gammainc(self.shape, jnp.maximum(self._u(x), 0.0))

    def sf(self, x: Any) -> jax.Array:
        """See :meth:`Law.sf`."""
        return jsp.gammaincc(self.shape, jnp.maximum(self._u(x), 0.0))

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return self.loc, jnp.inf

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        k = jnp.broadcast_to(self.shape, shape)
        return self.loc + self.scale * jax.random.gamma(key, k, shape, jnp.result_type(float))

    def _breakpoints(self) -> jax.Array:
        k = jnp.asarray(self.shape, dtype=float)
        bulk = jnp.maximum(k + jnp.sqrt(k) * jnp.asarray(SYM_MARKS), 0.0)
        marks = jnp.concatenate([jnp.asarray(_EDGE), jnp.asarray(EXP_MARKS), bulk])
        return self.loc + self.scale * marks

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        return ("none", None), ("exp", self.scale)

    def _end_exponents(self) -> tuple[Any, Any]:
        return self.shape - 1, jnp.zeros(())

    @classmethod
    def _examples(cls) -> tuple[Law, Law]:
        return Gamma(2.5, 1.5), Gamma(4.0, 0.75)

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return Gamma(self.shape, width(self.scale), point(self.loc))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.loc),), (num(self.shape), num(self.scale))

    # --- ball arithmetic -----------------------------------------------------------------------

    def _ball_parameters(self) -> tuple[Any, Any, Any]:
        arb = ball.arb
        return arb(num(self.shape)), arb(num(self.scale)), arb(num(self.loc))

    def _ball_log_norm(self) -> Any:
        k, th, _ = self._ball_parameters()
        return k.lgamma() + th.log()

    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        k, th, loc = self._ball_parameters()
        norm, power = self._ball_log_norm(), num(self.shape) != 1

        def log_density(x: Any, analytic: bool) -> Any:
            u = (x - loc) / th
            out = -u - norm
            return out + (k - 1) * u.log(analytic=analytic) if power else out

        return log_density

    def _ball_density_max(self) -> Any:
        k, th, _ = self._ball_parameters()
        if num(self.shape) < 1:
            return ball.arb("inf")
        if num(self.shape) == 1:
            return 1 / th
        m = k - 1
        return (m * m.log() - m - self._ball_log_norm()).exp()

    def _ball_p(self, s: Any, u: Any) -> Any:
        """:math:`P(s, u)` at a real ball ``u``: the union of its values at the ends."""
        ends = []
        for e in (u.lower(), u.upper()):
            ends.append(ball.arb(0) if e <= 0 else e.gamma_lower(s, regularized=1))
        return ends[0].union(ends[1])

    def _ball_cdf(self, x: Any) -> Any:
        k, th, loc = self._ball_parameters()
        return self._ball_p(k, (x - loc) / th)

    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        k, th, loc = self._ball_parameters()
        u = (x - loc) / th
        if not analytic:  # a real segment of the support: the union at its ends
            if not x.imag.is_zero():
                return ball.acb("nan")
            return ball.acb(self._ball_cdf(x.real))
        if not u.real > 0:
            return ball.acb("nan")  # the branch point of u^k inside the ball
        return centred_piece(
            self, x, analytic, lambda c: ((c - loc) / th).gamma_lower(ball.acb(k), regularized=1)
        )

    def _ball_marks(self) -> list[float]:
        k, th, loc = num(self.shape), num(self.scale), num(self.loc)
        bulk = [k + j * math.sqrt(k) for j in (-5, -2, 0, 2, 5, 10)]
        return [loc] + [loc + th * u for u in [*_BALL_EDGE, 0.5, 1.0, *bulk] if u > 0]

    def _ball_strips(self, rtol: float) -> list[tuple[float, float]]:
        # The mass of [0, d] (in u) is about d^k / Gamma(k + 1): d is chosen for 1e-12 rtol (as
        # if k were 1 where k > 1, as the beta law's strips), at most 1e-3, one float at least.
        k, th, loc = num(self.shape), num(self.scale), num(self.loc)
        power = min(k, 1.0)
        d = min(math.exp((math.log(1e-12 * rtol) + math.lgamma(k + 1)) / power), 1e-3)
        x = loc + d * th
        if x == loc:
            x = math.nextafter(loc, math.inf)
        return [(loc, x)]

    def _ball_envelope(self, end: float, a: float, b: float) -> tuple[Any, Any]:
        r"""At the left end :math:`p = (x - c)^{k-1}\,e^{-u}/(\Gamma(k)\theta^k)`.

        The factor :math:`e^{-u}` is analytic: its range over ``[a, b]`` gives the constants.
        Elsewhere the default (exponent 0).
        """
        loc = num(self.loc)
        if end != loc or not loc <= a <= b:
            return super()._ball_envelope(end, a, b)
        arb = ball.arb
        k, th, c = self._ball_parameters()
        u = (arb(a) - c).union(arb(b) - c) / th
        return k - 1, (-u - k.lgamma() - k * th.log()).exp()

    def _ball_tail_start(self, *, left: bool) -> float:
        return -num(self.loc) if left else num(self.loc) + num(self.scale)

    def _ball_tail(self, t: float, *, left: bool) -> Tail:
        r"""The tail :math:`u \ge u_0 \ge 1`: masses :math:`Q(k + j, u_0)` and the moments from them.

        :math:`\int_t^\infty x^j p` uses :math:`\int_t^\infty u^j p = \frac{\Gamma(k + j)}
        {\Gamma(k)} Q(k + j, u_0)`; on the tail :math:`-\log p \le |\log\Gamma(k) + \log\theta|
        + (1 + \max(0, 1 - k))u` (as :math:`(1 - k)\log u \le (1 - k)u` for :math:`u \ge 1`).
        """
        if left:
            return super()._ball_tail(t, left=True)
        arb = ball.arb
        k, th, loc = self._ball_parameters()
        u0 = (arb(t) - loc) / th

        def q(s: Any) -> Any:
            return u0.gamma_upper(s, regularized=1)

        q0, q1, q2 = q(k), q(k + 1), q(k + 2)
        m1 = loc * q0 + k * th * q1
        m2 = loc * loc * q0 + 2 * loc * k * th * q1 + k * (k + 1) * th * th * q2
        slope = (1 + max(0.0, 1 - num(self.shape))) / th
        lg = self._ball_log_norm()
        zero = arb(0)
        env = (abs(lg) + slope * abs(loc), slope, zero, zero)
        if num(self.shape) >= 2:
            log_max = self._ball_density_max().log()
        else:
            log_max = -1 - lg  # the density decreases for u >= 1 > k - 1
        return Tail(q0, m1, m2, m1, env, log_max)

    def _ball_truncation(self, rtol: float, *, left: bool) -> float:
        if left:
            return -math.inf
        k, th, loc = num(self.shape), num(self.scale), num(self.loc)
        u = float(ssp.gammainccinv(k, min(1e-12 * rtol, 0.5)))
        if not math.isfinite(u):
            u = k + 50 * math.sqrt(k) + 50 * math.log(1e12 / rtol)
        return loc + th * max(1.0, 1.1 * u + 2)

    def _same_origin(self, other: Law) -> TypeGuard[Gamma]:
        return type(other) is Gamma and num(self.loc) == num(other.loc)

    def _ball_kl_closed_form(self, other: Law) -> Any:
        r"""Two gamma laws with one origin.

        :math:`(k_p - k_q)\psi(k_p) - \log\Gamma(k_p) + \log\Gamma(k_q) + k_q\log(\theta_q/\theta_p)
        + k_p(\theta_p - \theta_q)/\theta_q`.
        """
        if not self._same_origin(other):
            return None
        kp, tp, _ = self._ball_parameters()
        kq, tq, _ = other._ball_parameters()
        return (
            (kp - kq) * kp.digamma()
            - kp.lgamma()
            + kq.lgamma()
            + kq * (tq / tp).log()
            + kp * (tp - tq) / tq
        )

    def _ball_w1_closed_form(self, other: Law) -> Any:
        """Two gamma laws with one origin: the closed form of the module's docstring.

        None where the sign pattern cannot be decided in ball arithmetic (the integral is used).
        """
        if not self._same_origin(other):
            return None
        return _gamma_w1(self, other)


def _gamma_w1(p: Gamma, q: Gamma) -> Any:
    arb = ball.arb
    kp, tp, loc = p._ball_parameters()
    kq, tq, _ = q._ball_parameters()
    mean_diff = kq * tq - kp * tp  # the integral of D = F_p - F_q over the line

    def integral_f(k: Any, th: Any, x: Any) -> Any:
        u = (x - loc) / th
        return (x - loc) * p._ball_p(k, u) - k * th * p._ball_p(k + 1, u)

    def d(x: Any) -> Any:
        return p._ball_p(kp, (x - loc) / tp) - q._ball_p(kq, (x - loc) / tq)

    if _one_density_crossing(p, q):
        return abs(mean_diff)
    z = _crossing(p, q)
    if z is None:
        return None
    zb = arb(z)
    a = integral_f(kp, tp, zb) - integral_f(kq, tq, zb)
    value = abs(a) + abs(mean_diff - a)
    # The true crossing z* lies in [z - w, z + w] where D's signs at the ends differ; there
    # |A(z*) - A(z)| <= w sup|D| <= w (|D(z - w)| + |D(z + w)| + 2w sup(p + q)), and |a| + |m - a|
    # is 2-Lipschitz in a.
    for j in range(40, 4, -4):
        w = abs(z) * 2.0**-j + 2.0**-1060
        lo, hi = arb(z - w), arb(z + w)
        dl, dh = d(lo), d(hi)
        if (dl < 0 and dh > 0) or (dl > 0 and dh < 0):
            seg = lo.union(hi)
            dens = sum(
                (law._ball_log_density()(ball.acb(seg), False).real.exp() for law in (p, q)),
                arb(0),
            )
            sup_d = abs(dl) + abs(dh) + 2 * arb(w) * dens
            err = 2 * arb(w) * sup_d
            return value + arb(0, err.upper()) if err.is_finite() else None
    return None


def _crossing(p: Gamma, q: Gamma) -> float | None:
    """Where ``F_p - F_q`` changes sign inside the support, in floats; None if it does not."""
    kp, tp, kq, tq = (num(v) for v in (p.shape, p.scale, q.shape, q.scale))
    loc = num(p.loc)

    def d(x: float) -> float:
        return float(ssp.gammainc(kp, (x - loc) / tp) - ssp.gammainc(kq, (x - loc) / tq))

    hi = max(kp * tp, kq * tq) + 60 * max(math.sqrt(kp) * tp, math.sqrt(kq) * tq) + 60 * max(tp, tq)
    grid = loc + np.concatenate([np.geomspace(1e-12, 1.0, 60), np.linspace(1.0, hi, 400)[1:]])
    values = np.array([d(x) for x in grid])
    signs = np.sign(values)
    change = np.nonzero(signs[:-1] * signs[1:] < 0)[0]
    if len(change) != 1:
        return None
    i = change[0]
    return float(sopt.brentq(d, grid[i], grid[i + 1], xtol=1e-300, rtol=1e-15, maxiter=500))


def _one_density_crossing(p: Gamma, q: Gamma) -> bool:
    r"""Whether :math:`p - q` changes sign once only (then :math:`F_p - F_q` never does).

    :math:`h = \log(p/q) = c_0 + \Delta_k\log x - \Delta_r x` (:math:`x` from the origin,
    :math:`\Delta_k = k_p - k_q`, :math:`\Delta_r = 1/\theta_p - 1/\theta_q`) is monotone where
    :math:`\Delta_k\Delta_r \le 0`: one sign change (two densities cross at least once). Else
    it tends to :math:`-\operatorname{sign}(\Delta_k)\infty` at both ends, and crosses 0 twice.
    """
    dk = num(p.shape) - num(q.shape)
    dr = 1 / num(p.scale) - 1 / num(q.scale)
    return dk * dr <= 0
