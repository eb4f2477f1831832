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

from collections.abc import Callable
from typing import Any

from divergences._src.errors import runs_on_host
from divergences._src.options import rtol_option
from divergences.continuous import fast as _fast
from divergences.continuous._src.certified_w1 import w1_enclosure
from divergences.continuous._src.effort import Precision, Stop, Tolerance
from divergences.continuous._src.enclosure import Enclosure
from divergences.continuous._src.f_enclosure import f_enclosure, route_of
from divergences.continuous._src.gan_enclosure import gan_enclosure
from divergences.continuous._src.inputs import check_concrete_law
from divergences.continuous._src.interface import Law
from divergences.continuous._src.quantity_enclosures import (
    chi_enclosure,
    hellinger_enclosure,
    js_enclosure,
    kl_enclosure,
    log_base,
    tv_enclosure,
)
from divergences.continuous._src.refine import (
    BUDGET,
    PrecisionError,
    check_atol,
    check_budget,
    refined,
)

__all__ = [
    "BUDGET",
    "Enclosure",
    "PrecisionError",
    "Stop",
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


def _certified(
    quantity: str,
    p: Law,
    q: Law,
    options: tuple[Any, Any, Any],
    enclosure: Callable[..., Enclosure],
    fast: Callable[..., Any],
    *given: Any,
    base: Any = None,
    check: Callable[..., object] | None = None,
) -> Enclosure:
    """The one path of every certified entry: its arguments checked, then its refinement.

    Each entry states only what is its own: its name, its ``enclosure`` (``(p, q, tol, *given)
    -> Enclosure``, the quantity at one attempt's
    :class:`~divergences.continuous._src.effort.Tolerance`), its ``fast`` path (``(p, q,
    *given)``), the arguments ``given`` to both (f's generator, gan's discriminator) with their
    ``check``, and the logarithm ``base`` (handed to both where it is set). The checks, in this
    order, before any work: the laws (their constructors' checks made again, since a law rebuilt
    by ``jax.tree_util`` is not re-validated where it is built), the ``base``, the ``given``
    arguments, then the ``options`` as the caller gave them, ``(rtol, atol, budget)``, once;
    then :func:`~divergences.continuous._src.refine.refined`.
    """
    check_concrete_law(p, "p")
    check_concrete_law(q, "q")
    named: dict[str, Any] = {}
    if base is not None:
        with Precision(1e-15):
            log_base(base)
        named["base"] = base
    if check is not None:
        check(*given)
    rtol, atol, budget = options
    return refined(
        quantity,
        p,
        q,
        lambda tol: enclosure(p, q, tol, *given, **named),
        Tolerance(rtol_option(rtol), check_atol(atol)),
        check_budget(budget),
        fast=lambda: fast(p, q, *given, **named),
    )


def _check_discriminator(d: Any) -> None:
    """``d`` is ``"optimal"`` or a :class:`~divergences.continuous.LogisticDiscriminator`, or the error."""
    if not (isinstance(d, str) and d == "optimal") and not isinstance(
        d, _fast.LogisticDiscriminator
    ):
        raise ValueError(f'd must be "optimal" or a LogisticDiscriminator, got {d!r}')


@runs_on_host
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
    return _certified(
        "js_divergence", p, q, (rtol, atol, budget), js_enclosure, _fast.js_divergence, base=base
    )


@runs_on_host
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
    return _certified("kl", p, q, (rtol, atol, budget), kl_enclosure, _fast.kl, base=base)


@runs_on_host
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
    return _certified(
        "total_variation", p, q, (rtol, atol, budget), tv_enclosure, _fast.total_variation
    )


@runs_on_host
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
    return _certified("hellinger", p, q, (rtol, atol, budget), hellinger_enclosure, _fast.hellinger)


@runs_on_host
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
    return _certified("chi_square", p, q, (rtol, atol, budget), chi_enclosure, _fast.chi_square)


@runs_on_host
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
    return _certified(
        "f_divergence",
        p,
        q,
        (rtol, atol, budget),
        f_enclosure,
        _fast.f_divergence,
        f,
        base=base,
        check=route_of,
    )


@runs_on_host
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
    return _certified(
        "gan_value",
        p,
        q,
        (rtol, atol, budget),
        gan_enclosure,
        _fast.gan_value,
        d,
        check=_check_discriminator,
    )


@runs_on_host
def w1(
    p: Law, q: Law, *, rtol: float = 1e-12, atol: float = 0.0, budget: float = BUDGET
) -> Enclosure:
    r"""Certified Wasserstein-1 :math:`\int |F_p - F_q|` (host only, not jittable).

    Two laws of one family that differ by a shift ``t`` (all other parameters equal): the closed
    form :math:`|t|`. Otherwise ``|F - G|`` is integrated with ``real_abs`` (normal, Laplace,
    uniform, exponential, Cauchy and their mixtures) and the tails are bounded by first moments;
    ``inf`` (decided exactly) where a first moment is missing on a side where the tails do not
    cancel, and where the masses differ (``"infinite: unequal masses"``): a mixture's weights,
    never renormalised, summed exactly, give its mass, and :math:`F - G` tends to the
    difference of the masses at :math:`+\infty`.

    Args:
      p: the first law.
      q: the second law.
      rtol: the relative width asked for.
      atol: the absolute width asked for; 0 for the relative rule alone.
      budget: seconds of processor time the refinement may spend at most.

    Returns:
      An :class:`Enclosure` with ``upper_bound - lower_bound <= max(rtol * upper_bound, atol)``.

    Raises:
      PrecisionError: where the budget ends before the enclosure is that narrow.
    """
    return _certified("w1", p, q, (rtol, atol, budget), w1_enclosure, _fast.w1)
