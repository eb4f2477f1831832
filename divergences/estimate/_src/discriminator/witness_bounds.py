r"""Held-out lower bounds on JS, TV and KL from a discriminator: the lectures' identities measured.

A discriminator :math:`D` valued in :math:`[0, 1]` is a witness: for *every* such function,
:math:`\mathbb{E}_P \log D + \mathbb{E}_Q \log(1 - D) \le -\log 4 + 2\,\mathrm{JS}(P, Q)`
(Goodfellow et al., 2014, Proposition 1 and Theorem 1),
:math:`P(D > 1/2) - Q(D > 1/2) \le \mathrm{TV}(P, Q)`, and with :math:`T = \log(D / (1 - D))`,
:math:`\mathbb{E}_P T - \log \mathbb{E}_Q e^T \le \mathrm{KL}(P \,\|\, Q)` (Donsker & Varadhan).
Each side is an expectation of a bounded function of :math:`D` once :math:`D` is clipped into
:math:`[c, 1 - c]`, so its sample mean over draws :math:`D` never saw concentrates: a lower
bound on the expectation, hence on the divergence, holds with probability ``level`` over the
draws, for every sample size. On the draws :math:`D` was trained on, no bound holds: a flexible
network separates the two empirical measures and its in-sample value is biased upwards.

The deviation terms are Hoeffding's (:func:`bounded_differences_term`) and the empirical
Bernstein bound of Maurer & Pontil (2009, Theorem 4), which uses the sample variance: for
:math:`Z_i \in [a, a + R]` i.i.d., with probability at least :math:`1 - \delta`,
:math:`\mathbb{E} Z \le \bar Z + \sqrt{2 V_n \log(2/\delta) / n} + 7 R \log(2/\delta) / (3(n-1))`
(:math:`V_n` the unbiased sample variance), and the same below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.options import level_option, number_option
from divergences.estimate._src.concentration import bounded_differences_term, widen
from divergences.estimate._src.result import Estimate
from divergences.estimate._src.samples import sample_pair

__all__ = [
    "empirical_bernstein_term",
    "js_from_discriminator",
    "kl_from_discriminator",
    "tv_from_discriminator",
]

_ASSUMPTION = (
    "D fixed independently of x and y (trained on other draws); x i.i.d. from P, y i.i.d. from Q"
)
_LOG4 = math.log(4.0)
_LOG2 = math.log(2.0)
_EPS = 2.0**-53


def empirical_bernstein_term(values: np.ndarray, width: float, alpha: float) -> float:
    r"""One-sided empirical Bernstein term (Maurer & Pontil, 2009, Theorem 4).

    For i.i.d. ``values`` in an interval of length ``width``, the mean's deviation from the
    expectation, in one given direction, exceeds
    :math:`\sqrt{2 V_n \log(2/\alpha) / n} + 7\,\mathrm{width} \log(2/\alpha) / (3(n - 1))` with
    probability at most ``alpha``. Needs ``n >= 2``.

    References:
      Maurer & Pontil, *Empirical Bernstein bounds and sample variance penalization*, COLT 2009.
    """
    n = values.shape[0]
    log_term = math.log(2.0 / alpha)
    variance = float(np.var(values, ddof=1))
    term = math.sqrt(2.0 * variance * log_term / n) + 7.0 * width * log_term / (3.0 * (n - 1))
    return widen(term)


def _check_clip(clip: Any) -> float:
    """``clip`` in ``[2^-53, 1/2)``: ``D`` is clipped into ``[clip, 1 - clip]``, which 2^-53 keeps."""
    note = "D is clipped into [clip, 1 - clip]; below 2^-53, 1 - clip rounds to 1"
    return number_option(clip, "clip", above=_EPS, inclusive=True, below=0.5, note=note)


def _clip_ends(c: float) -> tuple[float, float]:
    """``(top, bottom)``: ``D`` clipped into ``[c, top]`` has ``D``, ``1 - D`` in ``[bottom, top]``.

    ``top = fl(1 - c)``, and ``1 - top`` (exact) may lie below ``c`` where ``top`` rounded up.
    """
    top = 1.0 - c
    return top, min(c, 1.0 - top)


def _values(discriminator: Callable[[Any], Any], points: np.ndarray, name: str) -> np.ndarray:
    """``discriminator`` on ``points``, once, as float64 ``(k,)`` in ``[0, 1]``, or a ValueError."""
    k = points.shape[0]
    try:
        raw = np.asarray(discriminator(points))
    except Exception as err:  # the caller's function failed: say where, keep its error chained
        raise ValueError(
            f"discriminator failed on {name}'s {k} draws: {type(err).__name__}: {err}"
        ) from err
    if not (raw.dtype == bool or np.issubdtype(raw.dtype, np.floating)
            or np.issubdtype(raw.dtype, np.integer)):  # fmt: skip
        raise ValueError(
            f"discriminator must return real probabilities in [0, 1] on {name}, got dtype "
            f"{raw.dtype}"
        )
    out = raw.astype(np.float64)
    if out.shape != (k,):
        raise ValueError(
            f"discriminator must map {name}'s {k} draws to values of shape ({k},), "
            f"got shape {out.shape}"
        )
    bad = int(np.count_nonzero(~((out >= 0.0) & (out <= 1.0))))
    if bad:
        raise ValueError(
            f"discriminator must return probabilities in [0, 1]: {bad} of its {k} values on "
            f"{name} are outside [0, 1] or NaN"
        )
    return out


def _discriminated(
    x: Any, y: Any, discriminator: Any, level: Any
) -> tuple[np.ndarray, np.ndarray, float]:
    """The checked inputs: D's values on ``x`` and on ``y``, and ``alpha``."""
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    xs, ys = sample_pair(x, y)
    if not callable(discriminator):
        raise ValueError(
            "discriminator must be a callable mapping draws (k, d) (or (k,)) to values (k,) "
            f"in [0, 1], got {type(discriminator).__name__}"
        )
    # D sees the draws in the caller's layout: (k,) stays (k,) for one-dimensional samples.
    as_given = (xs[:, 0], ys[:, 0]) if np.ndim(x) == 1 and np.ndim(y) == 1 else (xs, ys)
    return _values(discriminator, as_given[0], "x"), _values(discriminator, as_given[1], "y"), alpha


def _estimate(
    quantity: str,
    value: float,
    lower: float,
    upper: float,
    level: Any,
    method: str,
    n: int,
    m: int,
) -> Estimate:
    lower = min(max(lower, 0.0), upper)
    return Estimate(
        value=float(min(max(value, lower), upper)),
        lower_bound=float(lower),
        upper_bound=float(upper),
        level=float(level),
        kind="finite-sample",
        sides="lower",
        assumption=_ASSUMPTION,
        method=method,
        n=n,
        m=m,
        quantity=quantity,
    )


@runs_on_host
def js_from_discriminator(
    x: Any, y: Any, discriminator: Callable[[Any], Any], *, level: float = 0.95, clip: float = 0.03
) -> Estimate:
    r"""A held-out lower bound on JS(P, Q) (nats, with the 1/2) from a discriminator.

    **Valid only on draws D never saw**: pass held-out ``x ~ P``, ``y ~ Q``. With :math:`D_c` the
    discriminator clipped into :math:`[c, 1 - c]` and
    :math:`\hat V = \overline{\log D_c(x)} + \overline{\log(1 - D_c(y))}`,

    .. math:: \mathrm{JS}(P, Q) \ge \tfrac12 \big(\hat V - t + \log 4\big),

    since :math:`\mathbb{E} \hat V \le -\log 4 + 2\,\mathrm{JS}` for every :math:`D` (Goodfellow
    et al., 2014, Proposition 1 and Theorem 1). :math:`t` is the smaller of two terms, each
    holding with probability :math:`1 - \alpha/2`: Hoeffding's (terms in a range
    :math:`\log((1-c)/c)`) and the empirical Bernstein one on each sample at :math:`\alpha/4`
    (Maurer & Pontil, 2009; Hoeffding's alone at :math:`\alpha` for a sample of one draw). ``value`` is :math:`(\hat V + \log 4)/2`, the GAN's own estimate.

    Args:
      x: held-out draws of P, shape ``(n, d)`` or ``(n,)``.
      y: held-out draws of Q, shape ``(m, d)`` or ``(m,)``.
      discriminator: a callable taking draws in the layout given (``(k, d)``, or ``(k,)`` when
        both samples are ``(k,)``) to ``(k,)`` values in ``[0, 1]``; called once per sample.
      level: the bound's coverage in ``(0, 1)``.
      clip: :math:`c \in [2^{-53}, 1/2)`; the default 0.03 was chosen by measurement (as for
        :func:`kl_from_discriminator`); the bound is then at most :math:`\log 2 + \log 0.97`.

    Returns:
      An :class:`Estimate`, ``kind="finite-sample"``, ``sides="lower"``: ``bound`` (``lower_bound``,
      clipped at 0) is the claim; ``upper_bound = log 2``, JS's range end, claims nothing.

    Raises:
      ValueError: bad samples, ``level`` or ``clip``; a ``discriminator`` not callable, raising,
        or whose output is not real, of shape ``(k,)``, in ``[0, 1]`` (NaN counted outside).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)  # JS = 0.3368
      >>> d = lambda z: 1 / (1 + np.exp(2 * z - 2))  # D* = p / (p + q)
      >>> e = dv.estimate.js_from_discriminator(x, y, d)
      >>> bool(0.25 < e.bound < 0.3368), e.sides
      (True, 'lower')
      >>> print(e)
      JS >= 0.2998 at 95%, finite-sample (estimate 0.3379)
    """
    c = _check_clip(clip)
    dx, dy, alpha = _discriminated(x, y, discriminator, level)
    top, bottom = _clip_ends(c)
    dx, dy = np.clip(dx, c, top), np.clip(dy, c, top)
    n, m = dx.shape[0], dy.shape[0]
    log_x, log_y = np.log(dx), np.log1p(-dy)
    v_hat = float(np.mean(log_x) + np.mean(log_y))
    width = widen(math.log(top / bottom))
    widths = [(width / n, n), (width / m, m)]
    method = f"GAN value of D clipped to [{c:g}, {1 - c:g}] on held-out draws; "
    if min(n, m) >= 2:
        terms = [
            bounded_differences_term(widths, alpha / 2),
            empirical_bernstein_term(log_x, width, alpha / 4)
            + empirical_bernstein_term(log_y, width, alpha / 4),
        ]
        method += (
            "the larger of Hoeffding's and the empirical Bernstein lower bounds, each at alpha/2"
        )
    else:  # one draw has no sample variance: Hoeffding's term alone, at the whole alpha
        terms = [bounded_differences_term(widths, alpha)]
        method += "Hoeffding's lower bound"
    lower = (v_hat - min(terms) + _LOG4) / 2.0
    return _estimate("JS", (v_hat + _LOG4) / 2.0, lower, _LOG2, level, method, n, m)


@runs_on_host
def tv_from_discriminator(
    x: Any, y: Any, discriminator: Callable[[Any], Any], *, level: float = 0.95
) -> Estimate:
    r"""A held-out lower bound on TV(P, Q) from the set where a discriminator says "P".

    **Valid only on draws D never saw.** With :math:`A = \{D > 1/2\}`,
    :math:`\mathrm{TV}(P, Q) = \sup_B P(B) - Q(B) \ge P(A) - Q(A)`, and the empirical difference
    moves by at most :math:`1/n` (:math:`1/m`) with one draw of ``x`` (``y``), so by Hoeffding
    (McDiarmid, 1989)

    .. math:: \mathrm{TV}(P, Q) \ge P_n(A) - Q_m(A) - \sqrt{\log(1/\alpha)\,(1/n + 1/m)/2}.

    Only :math:`A` is used, not its complement: a discriminator trained to say "P" on P points
    makes :math:`P(A) - Q(A)` the larger one, and using both would cost a split of ``alpha``.

    Args:
      x: held-out draws of P, shape ``(n, d)`` or ``(n,)``.
      y: held-out draws of Q, shape ``(m, d)`` or ``(m,)``.
      discriminator: a callable as in :func:`js_from_discriminator`, values in ``[0, 1]``.
      level: the bound's coverage, in ``(0, 1)``.

    Returns:
      An :class:`Estimate`, ``sides="lower"``: ``bound`` is the claim, ``upper_bound = 1``
      (TV's range end) claims nothing; ``value`` is :math:`P_n(A) - Q_m(A)` (at least
      ``lower_bound``, which is clipped at 0).

    Raises:
      ValueError: as :func:`js_from_discriminator`.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)  # TV = 2 Phi(1) - 1 = 0.6827
      >>> d = lambda z: 1 / (1 + np.exp(2 * z - 2))
      >>> e = dv.estimate.tv_from_discriminator(x, y, d)
      >>> bool(0.63 < e.bound < 0.6827 < e.upper_bound == 1.0)
      True
    """
    dx, dy, alpha = _discriminated(x, y, discriminator, level)
    n, m = dx.shape[0], dy.shape[0]
    gap = float(np.mean(dx > 0.5) - np.mean(dy > 0.5))
    lower = gap - bounded_differences_term([(1.0 / n, n), (1.0 / m, m)], alpha)
    method = "P_n(A) - Q_m(A) on held-out draws, A = {D > 1/2}; Hoeffding's lower bound"
    return _estimate("TV", gap, lower, 1.0, level, method, n, m)


@runs_on_host
def kl_from_discriminator(
    x: Any, y: Any, discriminator: Callable[[Any], Any], *, level: float = 0.95, clip: float = 0.03
) -> Estimate:
    r"""A held-out lower bound on KL(P || Q) (nats) from a discriminator, by Donsker-Varadhan.

    **Valid only on draws D never saw.** With :math:`D_c` clipped into :math:`[c, 1 - c]` and
    :math:`T = \log(D_c / (1 - D_c))` (the optimal :math:`D^* = p/(p+q)` gives
    :math:`T = \log p/q`),

    .. math:: \mathrm{KL}(P \,\|\, Q) \ge \mathbb{E}_P T - \log \mathbb{E}_Q e^T

    (Donsker & Varadhan, 1983). Below :math:`\mathbb{E}_P T` and above :math:`\mathbb{E}_Q e^T`
    go empirical Bernstein terms at :math:`\alpha/2` each (Maurer & Pontil, 2009): :math:`e^T`
    ranges over :math:`[c/(1-c), (1-c)/c]`, where Hoeffding's term grows with the range
    and this one with the standard deviation. The NWJ bound :math:`1 + \mathbb{E}_P T - \mathbb{E}_Q e^T` (Nguyen,
    Wainwright & Jordan, 2010) is never larger, with the same terms, as :math:`\log u \le u - 1`.
    The default ``clip`` = 0.03 was chosen by measurement (``benchmarks/bench_from_discriminator.py``: two
    unit Gaussians, D*, n = 10^4): 0.45 to 0.85 of the truth for KL from 0.125 to 4.5 nats, the
    best compromise; the bound never exceeds :math:`2 \log((1 - c)/c)` (6.95 nats at 0.03).

    Args:
      x: held-out draws of P, ``(n, d)`` or ``(n,)``, ``n >= 2``.
      y: held-out draws of Q, ``(m, d)`` or ``(m,)``, ``m >= 2``.
      discriminator: a callable as in :func:`js_from_discriminator`, values in ``[0, 1]``.
      level: the bound's coverage in ``(0, 1)``.
      clip: :math:`c \in [2^{-53}, 1/2)` (below, 1 - c rounds to 1).

    Returns:
      An :class:`Estimate`, ``sides="lower"``: ``bound`` is the claim, ``upper_bound = inf`` (KL's
      range end) claims nothing; ``value`` is the plug-in
      :math:`\overline{T(x)} - \log \overline{e^{T(y)}}` (at least ``lower_bound``, clipped at 0).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)  # KL = 2
      >>> d = lambda z: 1 / (1 + np.exp(2 * z - 2))
      >>> e = dv.estimate.kl_from_discriminator(x, y, d)
      >>> bool(1.5 < e.bound < 2.0 < e.upper_bound)
      True
    """
    c = _check_clip(clip)
    dx, dy, alpha = _discriminated(x, y, discriminator, level)
    n, m = dx.shape[0], dy.shape[0]
    if min(n, m) < 2:
        raise ValueError(
            f"x and y must hold at least 2 draws each (the empirical Bernstein bound uses the "
            f"sample variance), got {n} and {m}"
        )
    top, bottom = _clip_ends(c)
    dx, dy = np.clip(dx, c, top), np.clip(dy, c, top)
    t_x = np.log(dx) - np.log1p(-dx)
    ratio_y = dy / (1.0 - dy)
    t_width = widen(2.0 * math.log(top / bottom))
    ratio_width = widen(top / bottom - bottom / top)
    mean_t, mean_ratio = float(np.mean(t_x)), float(np.mean(ratio_y))
    low_t = mean_t - empirical_bernstein_term(t_x, t_width, alpha / 2)
    high_ratio = mean_ratio + empirical_bernstein_term(ratio_y, ratio_width, alpha / 2)
    lower = low_t - math.log(high_ratio)
    method = (
        f"Donsker-Varadhan with T = log(D/(1-D)), D clipped to [{c:g}, {1 - c:g}], on held-out "
        "draws; empirical Bernstein bounds on E_P T and E_Q e^T, each at alpha/2"
    )
    return _estimate("KL", mean_t - math.log(mean_ratio), lower, math.inf, level, method, n, m)
