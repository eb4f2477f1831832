r"""W1 between the laws behind two samples: the exact W1 of the samples, with an interval.

**The upper end.** :math:`(P, Q) \mapsto W_1(P, Q)` is jointly convex, and
:math:`E P_n = P`, :math:`E Q_m = Q`, so Jensen's inequality gives
:math:`W_1(P, Q) \le E\, W_1(P_n, Q_m)`: the plug-in is biased upward, never downward. Moving one
:math:`x_i` moves :math:`W_1(P_n, Q_m)` by at most :math:`d(x_i, x_i') / n` (the coupling that
sent mass :math:`1/n` from :math:`x_i` sends it from :math:`x_i'`, and the triangle inequality),
one :math:`y_j` by :math:`d(y_j, y_j') / m`.

* With the supports in a set of diameter :math:`D` (finite sample), McDiarmid's inequality:
  :math:`W_1(P, Q) \le W_1(P_n, Q_m) + D \sqrt{(1/n + 1/m) \log(1/a) / 2}` with probability
  at least :math:`1 - a`; and :math:`W_1(P, Q) \le D` always, which caps it.
* With finite second moments (asymptotic), the Efron-Stein inequality bounds the plug-in's
  variance by :math:`\sigma^2 = E\, d(X, X')^2 / (2n) + E\, d(Y, Y')^2 / (2m)`, estimated from
  the samples (:func:`.spread.second_moment`); the upper end is :math:`W_1(P_n, Q_m) + z \sigma`.

:math:`W_1(P_n, Q_m)` is the certified ``upper_bound`` of :func:`divergences.w1_primal`.

**The lower end.** Every 1-Lipschitz :math:`f` has :math:`E_P f - E_Q f \le W_1(P, Q)`
(Kantorovich-Rubinstein). A random half of each sample fits one: the exact potential of the
half-samples (:func:`divergences.w1_dual`, with :math:`W_1 = \text{mean} f(x) - \text{mean}
f(y)`: ``x`` takes :math:`f`, ``y`` takes :math:`-f`) extended to every point by McShane's
formula :math:`\tilde f(z) = \min_k d(z, z_k) + f_k` (:func:`divergences.kr_potential`), a
minimum of 1-Lipschitz functions, so 1-Lipschitz whatever the :math:`f_k`. On the other halves,
independent of it, :math:`S = \text{mean} \tilde f(x_B) - \text{mean} \tilde f(y_B)` has mean
:math:`E_P \tilde f - E_Q \tilde f \le W_1`. On a support of diameter :math:`D` the values of
:math:`\tilde f` lie in an interval of length :math:`D`, so Hoeffding's inequality gives
:math:`W_1 \ge S - D \sqrt{(1/n_B + 1/m_B) \log(1/a) / 2}`; asymptotically
:math:`S - z\, \mathrm{se}(S)` (the central limit theorem for the held-out means).

The two ends share the error probability: :math:`a = \alpha / 2` each (a union bound), so both
hold together with probability at least ``level``.

References:
  McDiarmid, *On the method of bounded differences*, 1989; Hoeffding, *Probability inequalities
  for sums of bounded random variables*, JASA 58, 1963; Efron & Stein, *The jackknife estimate
  of variance*, Ann. Statist. 9, 1981; Villani, *Optimal Transport*, 2009, Remark 6.5 and
  Theorem 4.8 (convexity); McShane, *Extension of range of functions*, Bull. AMS 40, 1934.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.metrics import MetricSpec, cost_error
from divergences._src.options import level_option, number_option, seed_option
from divergences._src.scaling import scale_exponent
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.concentration import (
    bounded_differences_term,
    normal_quantile,
    widen,
)
from divergences.estimate._src.result import (
    Estimate,
    IntervalKind,
    withheld,
)
from divergences.estimate._src.samples import check_at_least, sample_pair
from divergences.estimate._src.w1.spread import Spread, metric_spec, second_moment, spread
from divergences.wasserstein.dual import kr_potential, w1_dual
from divergences.wasserstein.primal import w1_primal

__all__ = ["w1"]

#: float64's unit roundoff.
_U = 2.0**-53
#: What holds where the asymptotic interval claims nothing: named in the warning.
_INSTEAD = (
    "w1 with diameter given as a number (finite-sample, any d and n), or w1_dkw on the line, "
    "holds there"
)
_SPLIT = "the potential is fitted on a random half of each sample and tested on the other half"


class _HeldOut(NamedTuple):
    """The half-sample potential's values on the held-out halves, and their rounding margin."""

    fx: np.ndarray
    fy: np.ndarray
    margin: float


def _diameter_bound(diameter: Any, sp: Spread) -> float | None:
    """The support's diameter bound ``D`` (None: none given), checked against the samples."""
    if diameter is None:
        return None
    if isinstance(diameter, str):
        if diameter != "sample":
            raise ValueError(f"diameter must be a number > 0, 'sample' or None, got {diameter!r}")
        return sp.upper_bound
    bound = number_option(
        diameter, "diameter", note="a bound of the supports' diameter; or 'sample', or None"
    )
    if bound < sp.lower_bound:
        raise ValueError(
            f"diameter must be at least the pooled draws' spread: {diameter!r} is below "
            f"{sp.lower_bound!r}, a lower bound of their diameter (checked: {sp.how}), so the draws "
            "cannot lie in a set of that diameter"
        )
    return bound


def _held_out(
    xs: np.ndarray, ys: np.ndarray, metric: Any, spec: MetricSpec, sp: Spread, seed: int
) -> _HeldOut:
    """The potential of random halves ``A`` evaluated on the other halves ``B``."""
    rng = np.random.default_rng(seed)
    px, py = rng.permutation(xs.shape[0]), rng.permutation(ys.shape[0])
    ha, hb = xs.shape[0] // 2, ys.shape[0] // 2
    xa, xb, ya, yb = xs[px[:ha]], xs[px[ha:]], ys[py[:hb]], ys[py[hb:]]
    dual = w1_dual(xa, ya, metric=metric)
    values = np.asarray(kr_potential(dual, np.concatenate([xb, yb]), metric=metric), np.float64)
    # Rounding: kr_potential computes min_k fl(c~(z, z_k) + f_k) on the points scaled by 2^-e
    # (exact), then scales back (exact but for subnormals). Each computed cost is within
    # rho c~ + tau of the exact one (the metric's cost-error model, scaled back: tau 2^e), and
    # the sum rounds once (u |c~ + f_k|). Every term of the minimum moves by at most
    # delta = (rho + u) C + u W + (tau + flush) 2^e, with C >= every cost between the pooled
    # draws and W = max |f_k|, so the computed minimum is within delta of McShane's exact one,
    # which is 1-Lipschitz. Twice that, for the rounding of C, W and delta themselves.
    err = cost_error(spec, xs.shape[1])
    big = sp.upper_bound + float(np.max(np.abs(np.asarray(dual.f, np.float64))))
    scale = math.ldexp(1.0, scale_exponent(xs, ys))
    delta = (err.rho + _U) * big + (err.tau + err.flush + 2.0**-1022) * scale
    return _HeldOut(values[: xb.shape[0]], values[xb.shape[0] :], widen(2.0 * delta))


def _difference(held: _HeldOut) -> tuple[float, float]:
    """``S``, the held-out mean difference, and its margin: the potential's and the sums'."""
    mx = math.fsum(held.fx) / held.fx.shape[0]
    my = math.fsum(held.fy) / held.fy.shape[0]
    # fsum is correctly rounded, the division and the difference round once each: within
    # 3u (|mx| + |my|) of the exact means' difference; 4u for the rounding of the margin.
    margin = held.margin + 4.0 * _U * (abs(mx) + abs(my))
    return mx - my, widen(margin)


def _finite_ends(top: float, s: float, bound: float, n: int, m: int, nb: int, mb: int,
                 alpha: float) -> tuple[float, float]:  # fmt: skip
    """The McDiarmid upper end and the Hoeffding lower end for a support diameter ``bound``.

    The terms are homogeneous in ``bound``: computed for a unit diameter (no square of a tiny
    ``bound / n`` underflows) and multiplied by it, widened for that product's rounding.
    """
    up = bounded_differences_term([(1.0 / n, n), (1.0 / m, m)], alpha / 2.0)
    down = bounded_differences_term([(1.0 / nb, nb), (1.0 / mb, mb)], alpha / 2.0)
    return s - widen(bound * down), top + widen(bound * up)


def _asymptotic_ends(top: float, s: float, xs: np.ndarray, ys: np.ndarray, held: _HeldOut,
                     spec: MetricSpec, seed: int, alpha: float) -> tuple[float, float]:  # fmt: skip
    """``W1(P_n, Q_m) + z sigma`` (Efron-Stein) and ``S - z se(S)`` (the held-out CLT).

    Both deviations are computed on the draws and the potential's values scaled by ``2^-e``
    into (-1, 1) (exact), where no square overflows or underflows, and scaled back.
    """
    e = scale_exponent(xs, ys)
    rng = np.random.default_rng(seed + 1)
    mx = second_moment(np.ldexp(xs, -e), spec, rng)
    my = second_moment(np.ldexp(ys, -e), spec, rng)
    z = -normal_quantile(alpha / 2.0)  # not of 1 - alpha/2, which rounds to 1 (z = inf) below 2^-52
    sigma = math.sqrt(mx / (2.0 * xs.shape[0]) + my / (2.0 * ys.shape[0]))
    fx, fy = np.ldexp(held.fx, -e), np.ldexp(held.fy, -e)
    se = math.sqrt(_variance(fx, mx) / fx.shape[0] + _variance(fy, my) / fy.shape[0])
    with np.errstate(over="ignore"):
        up, down = float(np.ldexp(widen(z * sigma), e)), float(np.ldexp(widen(z * se), e))
    return s - widen(down), top + widen(up)


def _variance(values: np.ndarray, moment: float) -> float:
    """The sample variance (ddof=1); for one value, the Lipschitz bound ``E d(Z, Z')^2 / 2``."""
    if values.shape[0] < 2:
        return moment / 2.0
    return float(np.var(values, ddof=1))


def _texts(
    bound: float | None, diameter: Any, sp: Spread, spec: MetricSpec, solver: str
) -> tuple[str, str]:
    """The assumption and the method of the interval, in words (``solver``: W1's method)."""
    plug_in = f"the exact W1 between the samples ({spec.name} metric, method {solver!r})"
    if bound is None:
        return "finite second moments of P and Q", (
            f"{plug_in}; upper end: plus z sigma, "
            "sigma^2 the Efron-Stein bound E d(X,X')^2/(2n) + E d(Y,Y')^2/(2m) estimated by "
            f"U-statistics; lower end: {_SPLIT}, minus z times its standard error (CLT); "
            "alpha split between the ends"
        )
    if diameter == "sample":
        assumption = (
            f"the supports of P and Q lie in one set of diameter at most the samples' in the "
            f"{spec.name} metric: D = {bound!r}, {sp.how}"
        )
    else:
        assumption = (
            f"the supports of P and Q lie in one set of diameter <= {bound!r} in the "
            f"{spec.name} metric"
        )
    return assumption, (
        f"{plug_in}; upper end: McDiarmid on it "
        f"(joint convexity: W1(P, Q) <= E W1(P_n, Q_m)); lower end: {_SPLIT}, minus "
        "Hoeffding's term; alpha split between the ends"
    )


@runs_on_host
def w1(
    x: Any,
    y: Any,
    *,
    level: float = 0.95,
    diameter: float | str | None = None,
    metric: Any = "euclidean",
    seed: int = 0,
) -> Estimate:
    r"""W1 between the laws behind two samples: the samples' exact W1, with an interval.

    .. math:: W_1(P, Q) = \sup_{\mathrm{Lip}(f) \le 1} E_P f - E_Q f,
       \qquad W_1(P, Q) \le W_1(P_n, Q_m) + D \sqrt{(1/n + 1/m) \log(2/\alpha) / 2}.

    The value is :math:`W_1(P_n, Q_m)` (:func:`divergences.w1_primal`, biased upward by
    :math:`O(n^{-1/d})`); the upper end adds McDiarmid's term (joint convexity: the plug-in's
    mean is at least the truth); the lower end is the mean difference, on half the draws, of the
    other half's exact potential (McShane's extension), minus Hoeffding's term. ``diameter=D``:
    finite-sample, supports in a set of diameter :math:`D`; ``"sample"``: the pooled draws'
    diameter (exact to 2000 draws, on the line, Euclidean in 2-3 dimensions; else twice the
    largest distance from one draw); ``None``: asymptotic, finite second moments (Efron-Stein's
    variance bound, the held-out CLT). A host call, not traced by ``jit``.

    Args:
      x: draws of :math:`P`, shape ``(n, d)`` or ``(n,)``, ``n >= 2`` (the split needs halves).
      y: draws of :math:`Q`, shape ``(m, d)`` or ``(m,)``, ``m >= 2``.
      level: the joint coverage of both ends, in ``(0, 1)``; each end gets half the rest.
      diameter: a number ``D > 0`` at least the draws' spread, ``"sample"``, or ``None``.
      metric: ``"euclidean"``, ``"cityblock"``, ``"chebyshev"`` or ``dv.Minkowski(p=...)``.
      seed: the split's seed, an integer ``>= 0``.

    Returns:
      An :class:`Estimate`, two-sided, ``0 <= lower_bound <= value <= upper_bound``, of ``kind``
      ``"finite-sample"`` (``diameter`` a number: the caller's assumption),
      ``"plug-in-assumption"`` (``"sample"``: the assumption read off the draws, whose diameter
      is below the support's; coverage not claimed) or ``"asymptotic"`` (``None``, where
      ``ASYMPTOTIC_CLAIMS`` has it: d <= 64); outside that,
      ``"no-coverage-claim"`` with ends ``0`` and ``inf`` and a ``NoCoverageWarning``.

    Raises:
      ValueError: naming the argument: draws (fewer than 2, not finite, of two dimensions),
        ``level``, ``metric`` (not a metric), ``seed``, ``diameter`` (below the draws' spread).
      MemoryError: for a non-Euclidean metric beyond the dense solver's size.

    References:
      McDiarmid, 1989; Hoeffding, 1963; Efron & Stein, 1981 (module docstring).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.uniform(size=(400, 1)), rng.uniform(size=(400, 1)) + 0.5
      >>> est = dv.estimate.w1(x, y, diameter=1.5)
      >>> est.lower_bound <= 0.5 <= est.upper_bound, est.kind
      (True, 'finite-sample')
    """
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    seed = seed_option(seed, note="it draws the split")
    spec = metric_spec(metric)
    xs, ys = sample_pair(x, y)
    why = "the lower end fits a potential on half of each sample, tested on the other half"
    check_at_least(xs.shape[0], 2, "x", why)
    check_at_least(ys.shape[0], 2, "y", why)
    sp = spread(np.concatenate([xs, ys]), spec)
    bound = _diameter_bound(diameter, sp)
    n, m = xs.shape[0], ys.shape[0]
    with jax.enable_x64(True):
        full = w1_primal(xs, ys, metric=metric)
        plug, top = float(full.value), float(full.upper_bound)
        held = _held_out(xs, ys, metric, spec, sp, seed)
    s, margin = _difference(held)
    s = s - margin
    if bound is None:
        lower, upper = _asymptotic_ends(top, s, xs, ys, held, spec, seed, alpha)
        kind: IntervalKind = "asymptotic"
    else:
        nb, mb = held.fx.shape[0], held.fy.shape[0]
        lower, upper = _finite_ends(top, s, bound, n, m, nb, mb, alpha)
        kind = "plug-in-assumption" if diameter == "sample" else "finite-sample"
    lower = max(0.0, math.nextafter(lower, -math.inf))
    upper = math.nextafter(upper, math.inf)
    if bound is not None:
        upper = min(upper, bound)  # W1 <= D for supports in a set of diameter D
    if not math.isfinite(upper):
        raise ValueError(
            "x, y and diameter must leave the interval finite: its upper end overflows float64 "
            "(distances or a diameter near the largest float)"
        )
    # Where the ends cross, one of them has failed (no number lies above the lower end and
    # below the upper one), so moving the lower end down to the upper one changes no coverage.
    lower = min(lower, upper)
    assumption, method = _texts(bound, diameter, sp, spec, str(full.method))
    value = min(max(plug, lower), upper)
    estimate = Estimate(
        value=value, lower_bound=lower, upper_bound=upper, level=float(level), kind=kind,
        sides="two-sided", assumption=assumption, method=method, n=n, m=m, quantity="W1",
    )  # fmt: skip
    d = xs.shape[1]
    if kind == "asymptotic" and (why := ASYMPTOTIC_CLAIMS["w1"].refusal(d, min(n, m))):
        return withheld(estimate, 0.0, math.inf, why, instead=_INSTEAD)
    return estimate
