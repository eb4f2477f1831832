r"""The laws of :math:`X = \mu + s Z` for a standard law :math:`Z` symmetric about 0, on the line.

The normal, Laplace, logistic, Student's t and Cauchy laws differ in their standard law only:
where the line is cut around the centre, how far a tail reaches, the bounds on the right tail.
What follows from :math:`\mu + sZ` alone is stated here once: the support, the panel ends, the
marks of the integrator, the left tail as the right tail of the mirrored law :math:`-X`, the
truncation point a number of scales past the tail's start, the law of :math:`aX + b`, a shift's
parameters (:meth:`Law._shift_parts`) and, for a density that decreases away from its centre,
the total variation of two laws of one scale (:func:`shift_tv`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar, cast

import jax
import jax.numpy as jnp
import numpy as np

from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail, num
from divergences.continuous._src.interface import Law, UnboundedLaw, finite, param, positive

__all__ = ["LocationScaleLaw", "shift_tv"]


class LocationScaleLaw(UnboundedLaw):
    """Base of the laws of ``loc + scale * Z``, ``Z`` symmetric about 0 with an unbounded support.

    A family states its standard law (its density, distribution function and draws), its panel
    marks (:attr:`_marks`, in scales about ``loc``), its right tail's bounds
    (:meth:`_right_tail`) and how many scales that tail reaches (:meth:`_tail_reach`).
    """

    _fields: ClassVar[tuple[str, ...]] = ("loc", "scale")
    #: What the scale is, for the constructor's message ("a standard deviation").
    _scale_is: ClassVar[str] = "the scale s"
    #: The panel ends of the fast path, in scales about ``loc``.
    _marks: ClassVar[np.ndarray]
    loc: Any
    scale: Any

    def __init__(self, loc: Any = 0.0, scale: Any = 1.0) -> None:
        loc, scale = param(loc, "loc"), param(scale, "scale")
        finite(loc, "loc")
        positive(scale, "scale", self._scale_is)
        self._set(loc=loc, scale=scale)

    def support(self) -> tuple[Any, Any]:
        """See :meth:`Law.support`."""
        return -jnp.inf, jnp.inf

    def _breakpoints(self) -> jax.Array:
        return self.loc + self.scale * jnp.asarray(self._marks)

    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        return type(self)(point(self.loc), width(self.scale))

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (num(self.loc),), (num(self.scale),)

    def _ball_marks(self) -> list[float]:
        mu, s = num(self.loc), num(self.scale)
        return [mu + k * s for k in (-5, 0, 5)]

    def _mirror(self) -> LocationScaleLaw:
        """The law of :math:`-X`: its right tail is this law's left tail."""
        return cast(LocationScaleLaw, self._affine(lambda m: -num(m), num))  # the family's own

    def _ball_tail_start(self, *, left: bool) -> float:
        return -num(self.loc) if left else num(self.loc)

    def _ball_tail(self, t: float, *, left: bool) -> Tail:
        return self._mirror()._right_tail(t) if left else self._right_tail(t)

    def _ball_truncation(self, rtol: float, *, left: bool) -> float:
        start = self._ball_tail_start(left=left)
        return max(start, start + self._tail_reach(rtol) * num(self.scale))

    @abc.abstractmethod
    def _right_tail(self, t: float) -> Tail:
        """Bounds on ``[t, inf)`` for ``t >= _ball_tail_start(left=False)``."""

    @abc.abstractmethod
    def _tail_reach(self, rtol: float) -> float:
        """How many scales past its start the right tail holds a mass far below ``rtol``."""

    def _ball_tv_closed_form(self, other: Law) -> Any:
        """Equal scales: the symmetric shift's closed form (:func:`shift_tv`)."""
        return shift_tv(self, other)


def shift_tv(p: LocationScaleLaw, q: Law) -> Any:
    r"""TV of two laws of one symmetric unimodal family, equal scales: :math:`|F_p(m) - F_q(m)|`.

    Each density decreases away from its centre, so ``p`` lies above ``q`` exactly on the side
    of the midpoint :math:`m` of the two centres where ``p``'s centre is, and the total variation,
    the mass of that side under ``p`` less that under ``q``, is the difference of the
    distribution functions at :math:`m`. None for other pairs (another family, another shape or
    scale), or where ``_ball_cdf`` cannot decide a branch at :math:`m` or has no ball form.
    """
    if type(p) is not type(q):
        return None
    (loc_p,), rest_p = p._shift_parts()
    (loc_q,), rest_q = q._shift_parts()
    if rest_p != rest_q:
        return None
    arb = ball.arb
    m = (arb(loc_p) + arb(loc_q)) / 2
    try:
        fp, fq = p._ball_cdf(m), q._ball_cdf(m)
    except NotImplementedError:  # a family without a distribution function in balls
        return None
    if fp is None or fq is None:
        return None
    return abs(fp - fq)
