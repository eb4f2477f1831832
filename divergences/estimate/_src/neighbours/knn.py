r"""k-nearest-neighbour estimates of entropy, KL and JS from samples, with asymptotic intervals.

The point estimates (``rho_k(i)``: the distance from ``x_i`` to its k-th nearest other draw of
``x``; ``nu_k(i)``: to its k-th nearest draw of ``y``; ``V_d`` the volume of the unit ball):

* entropy (Kozachenko & Leonenko 1987; Singh et al. 2003):
  :math:`\hat H = \psi(n) - \psi(k) + \log V_d + \frac{d}{n}\sum_i \log \rho_k(i)`;
* KL (Wang, Kulkarni & Verdu 2009):
  :math:`\hat D = \frac{d}{n}\sum_i \log\frac{\nu_k(i)}{\rho_k(i)} + \log\frac{m}{n-1}`;
* JS through the mixture's draws: the larger sample is cut to the smaller one's size by a seeded
  subsample, the two pooled (a sample of :math:`M = (P + Q)/2`), and
  :math:`\widehat{JS} = \hat H(M) - (\hat H(P) + \hat H(Q))/2`, every entropy over the same
  balanced draws, so that each draw's two log-distances (in its own sample, in the pool) pair up
  and much of their noise cancels.

The interval: the draws are cut into ``B`` disjoint random batches (``B`` = :data:`BATCHES`, or
fewer where a batch would hold under ``k + 1`` draws); the estimator computed on each batch
gives ``se = sd(batch estimates) / sqrt(B)``, the standard error of the full-sample estimate
where its variance falls as ``1/n`` (a sqrt(n) central limit theorem: Berrett, Samworth & Yuan,
Ann. Statist. 47(1), 2019, for the entropy in ``d <= 3``), and the interval is the full-sample
estimate ``+- t_{B-1} se`` (Student's quantile), widened on one side by a bias allowance: the
batches' mean drifts from the full estimate by ``bias(n/B) - bias(n)``, which is
``bias(n) (B^(1/3) - 1)`` for a bias falling as ``n^(-1/3)``: the rate measured for KL on
Gaussians in ``d = 2, 3`` between ``n = 100`` and ``3000`` (slower, at these sizes, than the
``n^(-2/d)`` the theory gives for smooth densities); a faster true rate makes the allowance err
wide. A bootstrap would not do: a resample repeats draws, and a repeated draw is at distance 0.

Coverage is claimed where the coverage table measured it (``ASYMPTOTIC_CLAIMS`` of
:mod:`divergences.estimate`: d <= 2, from 250 draws a sample). Outside that range (in d = 8 the
KL interval covered 0.645 at n = 1000; in d = 64 the JS interval collapsed onto 0 and the
entropy was biased by +10.6 nats) the bias outlasts the standard error: the estimate comes back
with ``kind="no-coverage-claim"``, the quantity's range as its ends, and a
:class:`~divergences.estimate.NoCoverageWarning` naming what holds there instead.

Heavy tails. Where P's tails are heavier than Q's (Laplace, Logistic, Student-t(3) or
N(0, 4) draws of P against N(0, 1) ones of Q) the KL estimate misses much of the truth, which
comes from P's draws beyond Q's: there ``nu_k`` grows like the distance to Q's cloud while
``log p/q`` grows like its square, and the bias (-0.16 of 0.226 for Laplace at n = 1000, -0.59
of 0.645 for t(3)) falls more slowly than the interval narrows, so that no widening read off
the batches (or a halving) keeps up: the interval covered 0 to 0.44 at n = 250 to 4000.
:func:`kl` then claims nothing (``kind="no-coverage-claim"``) where
``tail_weight(x) - tail_weight(y) > TAIL_MARGIN`` (a Hill statistic of the draws' distances from
their median, for the shape) or ``tail_reach(x, y) > REACH_LIMIT`` (how far x's draws reach
past y's, for the scale). With the tails the other way round, and for JS (bounded) and the
entropy with Laplace, t(3) and Cauchy tails, the intervals held at 0.90 to 0.985.

Large KL. Between N(0, I) and N(mu, I) with ``|mu| = 2`` (KL = 2) in the plane the bias falls
more slowly than the allowance assumes (-0.35 at n = 1000, the interval covering 0.64 to 0.90 at
n = 250 to 4000). :func:`kl` claims nothing where the batches' mean drifts from the full estimate
by more than ``DRIFT_LIMIT`` Student half-widths: the bias outweighs the spread, the asymptotic
regime not reached. Its coverage then held at 0.915 to 1; it refuses 0.10 to 0.23 of the draws
of the pair at ``|mu| = 1`` in d = 2, whose claims still covered (benchmarks/estimate_coverage.md).

The coverage of these intervals is measured in ``benchmarks/estimate_coverage.md``
(``benchmarks/bench_estimate_coverage.py``); the runs that chose the allowance, with and without
it, are in the dated history beside ``benchmarks/README.md`` ("The k-NN estimators' choices").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import digamma, gammaln
from scipy.stats import t as student_t

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option, seed_option
from divergences._src.scaling import scale_exponent
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.neighbours.search import (
    distance_shift,
    kth_neighbour_distances,
    searched_where,
)
from divergences.estimate._src.result import Estimate, withheld
from divergences.estimate._src.samples import check_at_least, draws_where_they_live, pooled

__all__ = [
    "BATCHES",
    "DEFAULT_K",
    "DRIFT_LIMIT",
    "REACH_LIMIT",
    "TAIL_MARGIN",
    "entropy",
    "js",
    "kl",
    "tail_reach",
    "tail_weight",
]

#: The default neighbour rank (measured: see :func:`kl`).
DEFAULT_K = 5

#: The number of disjoint batches whose spread gives the standard error.
BATCHES = 10

#: The KL interval claims nothing where ``tail_weight(x) - tail_weight(y)`` exceeds this...
TAIL_MARGIN = 0.05
#: ... or where ``tail_reach(x, y)`` exceeds this.
REACH_LIMIT = 1.6
#: ... or where the batches' mean drifts from the estimate by more than this many of the
#: interval's Student half-widths: the bias outweighs the spread (N(0, I) against N(mu, I),
#: ``|mu| = 2``, in the plane).
DRIFT_LIMIT = 1.4

LOG2 = math.log(2.0)

_QUANTITY = {"entropy": "H", "kl": "KL", "js": "JS"}

#: What holds where the k-NN interval claims nothing: named in the warning.
_INSTEAD = {
    "entropy": "no estimator here claims coverage for the entropy there",
    "kl": "kl_from_discriminator (a held-out lower bound) and mmd_test hold in any d",
    "js": "js_from_discriminator (a held-out lower bound) and mmd_test hold in any d",
}


def _log_ball_volume(d: int) -> float:
    return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))


def _log_distances(dist: np.ndarray, k: int, name: str, what: str) -> np.ndarray:
    zero = int(np.count_nonzero(dist == 0.0))
    if zero:
        raise ValueError(
            f"{name}: {zero} draws have their k-th nearest {what} (k = {k}) at distance 0 (repeated "
            f"points); k-NN estimates need densities: raise k above the largest number of "
            f"copies of one point, or remove the repeats"
        )
    return np.log(dist)


def _entropy_value(x: Any, k: int, name: str = "x") -> float:
    n, d = x.shape
    logs = _log_distances(kth_neighbour_distances(x, k), k, name, f"other draw of {name}")
    return float(digamma(n) - digamma(k) + _log_ball_volume(d) + d * np.mean(logs))


def _kl_value(x: Any, y: Any, k: int) -> float:
    n, d = x.shape
    m = y.shape[0]
    rho = _log_distances(kth_neighbour_distances(x, k), k, "x", "other draw of x")
    nu = _log_distances(
        kth_neighbour_distances(y, k, x), k, "x and y", "draw of y from a draw of x"
    )
    return float(d * np.mean(nu - rho) + math.log(m / (n - 1)))


def _js_value(x: Any, y: Any, k: int) -> float:
    pool = pooled(x, y)
    h_m = _entropy_value(pool, k, "x and y (pooled)")
    return h_m - 0.5 * (_entropy_value(x, k, "x") + _entropy_value(y, k, "y"))


def _batches(rng: np.random.Generator, sizes: tuple[int, ...], k: int) -> list[list[np.ndarray]]:
    """Disjoint random batches of each sample's indices, as many as each keeps ``k + 1`` draws.

    The batches of a sample are of one size (``s // count``, the remainder left out), so that
    the XLA engine compiles one program for all of them.
    """
    count = max(2, min(BATCHES, *(s // (k + 1) for s in sizes)))
    parts = [rng.permutation(s)[: count * (s // count)].reshape(count, -1) for s in sizes]
    return [list(group) for group in zip(*parts, strict=True)]


def _interval(
    value: float,
    batch_values: list[float],
    alpha: float,
    low: float,
    high: float,
) -> tuple[float, float, float, float]:
    """The clipped estimate, its interval from the batches (within the range), and the drift.

    The half-width is Student's quantile times ``sd(batches) / sqrt(B)``; the side towards which
    the batches' drift points is then widened by the bias it implies at ``n`` draws, where the
    bias falls as ``n^(-1/3)``: ``(mean(batches) - value) / (B^(1/3) - 1)``. The drift is
    ``|mean(batches) - value|`` in half-widths (``inf`` where the half-width is 0 and it is not).
    """
    b = len(batch_values)
    se = float(np.std(batch_values, ddof=1)) / math.sqrt(b)
    # The upper alpha/2 quantile as isf: ppf(1 - alpha/2) reads 1 - alpha/2 = 1.0 (inf) below 2^-52.
    half = float(student_t.isf(alpha / 2.0, b - 1)) * se
    bias = (float(np.mean(batch_values)) - value) / (b ** (1.0 / 3.0) - 1.0)
    lower, upper = value - half - max(bias, 0.0), value + half + max(-bias, 0.0)
    move = abs(float(np.mean(batch_values)) - value)
    drift = move / half if half > 0.0 else (math.inf if move > 0.0 else 0.0)

    def clip(v: float) -> float:
        return min(max(v, low), high)

    return clip(value), clip(lower), clip(upper), drift


def _options(k: Any, seed: Any, level: Any) -> tuple[int, int]:
    """``k`` and ``seed`` checked, and ``level`` (read again by :func:`_estimate`), before any draw."""
    level_option(level, note="the interval's coverage")
    return integer_option(k, "k", note="the neighbour's rank"), seed_option(
        seed, note="it draws the split"
    )


def _estimate(
    value_of: Callable[..., float],
    samples: tuple[np.ndarray, ...],
    k: int,
    level: Any,
    seed: int,
    bounds: tuple[float, float],
    method: str,
    assumption: str,
    estimator: str,
    weight: int = 0,
    refusal: str = "",
    drift_limit: float = math.inf,
) -> Estimate:
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    # The draws scaled by a power of two (exact) where their squared distances would leave
    # float64's range (distance_shift). Every estimate is invariant under the scaling but the
    # entropy, which moves by ``weight`` e log 2 (``weight = d``): the logs move by e log 2.
    shift = distance_shift(*samples)
    samples = tuple(_scaled(s, -shift) for s in samples)
    offset = weight * shift * LOG2
    value = value_of(*samples, k) + offset
    rng = np.random.default_rng(seed)
    groups = _batches(rng, tuple(s.shape[0] for s in samples), k)
    batch_values = [
        value_of(*(s[i] for s, i in zip(samples, g, strict=True)), k) + offset for g in groups
    ]
    v, lo, hi, drift = _interval(value, batch_values, alpha, *bounds)
    if drift > drift_limit:
        refusal = "; ".join(filter(None, (refusal, _drift_refusal(drift, drift_limit))))
    n, d = min(s.shape[0] for s in samples), samples[0].shape[1]
    method = (
        f"{method}, k = {k}; t interval from {len(groups)} disjoint batches, widened on the "
        "side the batches drift to by the bias that drift implies (n^(-1/3) assumed)"
    ) + searched_where(samples)
    estimate = Estimate(
        value=v,
        lower_bound=lo,
        upper_bound=hi,
        level=float(level),
        kind="asymptotic",
        sides="two-sided",
        assumption=assumption,
        method=method,
        n=samples[0].shape[0],
        m=samples[1].shape[0] if len(samples) > 1 else 0,
        quantity=_QUANTITY[estimator],
    )
    if why := refusal or ASYMPTOTIC_CLAIMS[estimator].refusal(d, n):
        return withheld(estimate, *bounds, why, instead=_INSTEAD[estimator], stacklevel=4)
    return estimate


def tail_weight(z: np.ndarray) -> float:
    r"""How heavy the tails of the draws ``z`` are: the mean log-excess of their far quarter.

    With :math:`r_i = |z_i - \operatorname{med} z|` (the coordinatewise median) and ``t`` the
    upper quartile of the :math:`r_i`, the mean of :math:`\log(r_i / t)` over :math:`r_i > t`
    (Hill's statistic at the quartile). It does not move with a shift or a scaling of ``z``;
    for the laws on the line: Normal 0.33, Logistic 0.39, Laplace 0.48, Student's t with 3
    degrees of freedom 0.50, Cauchy 1.04 (at 2,000,000 draws).
    """
    if isinstance(z, jax.Array):  # read where they live; the n distances come back
        with jax.enable_x64(True):
            r = np.asarray(_from_median((z,), 0)[0])
    else:
        z = np.ldexp(z, -scale_exponent(z))  # into (-1, 1), exactly: no distance overflows
        r = np.linalg.norm(z - np.median(z, axis=0), axis=1)
    t = float(np.quantile(r, 0.75))
    far = r[r > t]
    return float(np.mean(np.log(far / t))) if t > 0.0 and far.size else 0.0


def tail_reach(x: np.ndarray, y: np.ndarray) -> float:
    """How far the draws ``x`` reach past ``y``'s: the ratio of their distances' 95th percentiles.

    Both distances are from the coordinatewise median of ``y``. Above 1 where ``x`` spreads
    wider than ``y`` or sits beside it: 1.35 for N(1, 1) against N(0, 1), 2 for N(0, 4).
    """
    if isinstance(x, jax.Array):  # read where they live; the n + m distances come back
        with jax.enable_x64(True):
            r = [np.asarray(v) for v in _from_median((x, y), 1)]
    else:
        e = scale_exponent(x, y)  # both into (-1, 1) by one power of two: no distance overflows
        x, y = np.ldexp(x, -e), np.ldexp(y, -e)
        r = [np.linalg.norm(z - np.median(y, axis=0), axis=1) for z in (x, y)]
    far = [float(np.quantile(v, 0.95)) for v in r]
    return far[0] / far[1] if far[1] > 0.0 else math.inf


@partial(jax.jit, static_argnames="of")
def _from_median(samples: tuple[jax.Array, ...], of: int) -> list[jax.Array]:
    """Each sample's distances from the coordinatewise median of ``samples[of]``, in float64.

    The host's steps where the draws live (x64 on): all scaled into ``(-1, 1)`` by one power
    of two (exact), so that no distance overflows.
    """
    wide = [s.astype(jnp.float64) for s in samples]
    e = scale_exponent(*wide, xp=jnp)
    wide = [jnp.ldexp(s, -e) for s in wide]
    c = jnp.median(wide[of], axis=0)
    return [jnp.linalg.norm(s - c, axis=1) for s in wide]


def _scaled(s: Any, e: int) -> Any:
    """``s`` times ``2^e`` in float64 (exact), where it lives; ``s`` itself where ``e = 0``."""
    if not e:
        return s
    if isinstance(s, jax.Array):
        with jax.enable_x64(True):
            return jnp.ldexp(s.astype(jnp.float64), e)
    return np.ldexp(s, e)


def _tails_refusal(x: np.ndarray, y: np.ndarray) -> str:
    """Why the KL interval claims nothing where ``x``'s tails are heavier than ``y``'s; else ``""``."""
    hx, hy, reach = tail_weight(x), tail_weight(y), tail_reach(x, y)
    if hx - hy <= TAIL_MARGIN and reach <= REACH_LIMIT:
        return ""
    return (
        f"x's tails are heavier than y's (tail_weight {hx:.3g} against {hy:.3g}, at most "
        f"{TAIL_MARGIN} apart where claimed; tail_reach {reach:.3g}, at most {REACH_LIMIT}): "
        "there the k-NN KL is biased low by more than its interval "
        "(benchmarks/estimate_coverage.md)"
    )


def _drift_refusal(drift: float, limit: float) -> str:
    """Why the interval claims nothing where its batches drift far from the estimate."""
    return (
        f"the batches' mean drifts {drift:.3g} half-widths from the estimate (at most {limit} "
        "where claimed): the estimate's bias outweighs its spread there, and the interval "
        "missed (benchmarks/estimate_coverage.md)"
    )


def _check_sizes(k: int, **samples: np.ndarray) -> None:
    for name, s in samples.items():
        check_at_least(s.shape[0], 2 * (k + 1), name, "two disjoint batches of k + 1 draws")


@runs_on_host
def entropy(x: Any, *, k: int = DEFAULT_K, level: float = 0.95, seed: int = 0) -> Estimate:
    r"""The differential entropy (nats) of the law behind ``x``: Kozachenko-Leonenko, with an interval.

    .. math::
       \hat H = \psi(n) - \psi(k) + \log V_d + \frac{d}{n}\sum_{i=1}^n \log \rho_k(i),

    :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th nearest other draw, :math:`V_d`
    the volume of the unit ball. The interval is asymptotic: the estimate plus or minus a
    Student-t multiple of a standard error from disjoint batches (module docstring). Entropy has
    no range to clip to: it can be negative. ``k = 5`` is :func:`kl`'s; for the entropy alone a
    smaller ``k`` had the lower error in the runs that chose it (``k = 3`` in ``d = 2``, ``k = 1``
    in ``d = 10``, where the bias grows with ``k``), so pass ``k`` for an entropy on its own.

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``; at least ``2 (k + 1)``.
      k: the neighbour rank (default 5).
      level: the interval's nominal coverage, in ``(0, 1)``.
      seed: the batches' random split.

    Returns:
      An :class:`~divergences.estimate.Estimate`, ``m = 0``: ``kind="asymptotic"`` within
      ``ASYMPTOTIC_CLAIMS``, else ``"no-coverage-claim"`` (ends ``-inf``, ``inf``) and a
      :class:`~divergences.estimate.NoCoverageWarning`.

    Raises:
      ValueError: for bad draws, ``k``, ``level`` or ``seed``, or repeated points (a zero distance).

    References:
      Kozachenko & Leonenko, Probl. Inf. Transm. 23, 1987; Singh et al., Amer. J. Math.
      Management Sci. 23, 2003; Berrett, Samworth & Yuan, Ann. Statist. 47(1), 2019.

    Example:
      >>> import numpy as np, divergences as dv
      >>> x = np.random.default_rng(0).standard_normal((2000, 2))
      >>> est = dv.estimate.entropy(x)
      >>> bool(est.lower_bound < 1 + np.log(2 * np.pi) < est.upper_bound)  # H(N(0, I_2)) = 2.8379
      True
    """
    k, seed = _options(k, seed, level)
    (xs,) = draws_where_they_live(((x, "x"),))
    _check_sizes(k, x=xs)
    return _estimate(
        lambda a, kk: _entropy_value(a, kk),
        (xs,),
        k,
        level,
        seed,
        (-math.inf, math.inf),
        "Kozachenko-Leonenko k-NN entropy",
        "P has a density; sqrt(n)-asymptotic normality (Berrett, Samworth & Yuan 2019, d <= 3)",
        "entropy",
        weight=xs.shape[1],
    )


@runs_on_host
def kl(x: Any, y: Any, *, k: int = DEFAULT_K, level: float = 0.95, seed: int = 0) -> Estimate:
    r"""KL(P || Q) (nats) from draws ``x`` of P and ``y`` of Q: Wang-Kulkarni-Verdu, with an interval.

    .. math::
       \hat D = \frac{d}{n}\sum_{i=1}^n \log\frac{\nu_k(i)}{\rho_k(i)} + \log\frac{m}{n - 1},

    :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th nearest other draw of ``x``,
    :math:`\nu_k(i)` to its k-th nearest draw of ``y``. The estimate and the interval's ends are
    clipped to ``[0, inf)`` (the raw estimate can be negative when P is near Q). The interval is
    asymptotic, from disjoint batches (module docstring). ``k = 5``, the default, had an error
    as low as any ``k`` from 1 to 10 in ``d = 2``; in ``d = 10`` the bias dominates whatever
    ``k``; a larger ``k`` narrows the spread (the runs: the history beside
    ``benchmarks/README.md``, "The k-NN estimators' choices"). No coverage is claimed where
    ``x``'s tails are heavier than ``y``'s (:func:`tail_weight`, :func:`tail_reach`), nor where
    the batches drift by more than ``DRIFT_LIMIT`` half-widths (the bias outweighs the spread).

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``; at least ``2 (k + 1)``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``; at least ``2 (k + 1)``.
      k: the neighbour rank.
      level: the interval's nominal coverage, in ``(0, 1)``.
      seed: the batches' random split.

    Returns:
      An :class:`~divergences.estimate.Estimate`: ``kind="asymptotic"`` within
      ``ASYMPTOTIC_CLAIMS`` unless the tails or the drift refuse it, else ``"no-coverage-claim"`` (ends
      ``0``, ``inf``) and a :class:`~divergences.estimate.NoCoverageWarning`.

    Raises:
      ValueError: for bad draws, ``k``, ``level`` or ``seed``, different dimensions, or repeated points.

    References:
      Wang, Kulkarni & Verdu, IEEE Trans. Inf. Theory 55(5), 2009.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(1)
      >>> x, y = rng.standard_normal((2000, 2)), rng.standard_normal((2000, 2)) + [1.0, 0.0]
      >>> est = dv.estimate.kl(x, y)  # KL(N(0, I) || N(mu, I)) = |mu|^2 / 2 = 0.5
      >>> est.kind, bool(est.lower_bound < 0.5 < est.upper_bound)
      ('asymptotic', True)
    """
    k, seed = _options(k, seed, level)
    xs, ys = draws_where_they_live(((x, "x"), (y, "y")))
    _check_sizes(k, x=xs, y=ys)
    return _estimate(
        _kl_value,
        (xs, ys),
        k,
        level,
        seed,
        (0.0, math.inf),
        "Wang-Kulkarni-Verdu k-NN KL",
        "P and Q have densities; sqrt(n)-asymptotic normality of the estimate (d <= 3)",
        "kl",
        refusal=_tails_refusal(xs, ys),
        drift_limit=DRIFT_LIMIT,
    )


@runs_on_host
def js(x: Any, y: Any, *, k: int = DEFAULT_K, level: float = 0.95, seed: int = 0) -> Estimate:
    r"""JS(P, Q) (nats) from draws ``x`` of P and ``y`` of Q, through the mixture's draws.

    .. math::
       \widehat{JS} = \hat H(M) - \tfrac12\left(\hat H(P) + \hat H(Q)\right), \qquad
       M = \tfrac12 (P + Q),

    each :math:`\hat H` Kozachenko-Leonenko's (:func:`entropy`). The larger sample is cut to the
    smaller one's size ``N`` by a subsample seeded with ``seed``; the pooled ``2N`` draws are
    then a sample of M, and every entropy is taken over these balanced draws. The estimate and
    the interval's ends are clipped to ``[0, log 2]``. The interval is asymptotic, from disjoint
    batches of the balanced draws (module docstring).

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``; at least ``2 (k + 1)``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``; at least ``2 (k + 1)``.
      k: the neighbour rank.
      level: the interval's nominal coverage, in ``(0, 1)``.
      seed: the subsample of the larger sample and the batches' split.

    Returns:
      An :class:`~divergences.estimate.Estimate`: ``kind="asymptotic"`` within
      ``ASYMPTOTIC_CLAIMS``, else ``"no-coverage-claim"`` (ends ``0``, ``log 2``) and a
      :class:`~divergences.estimate.NoCoverageWarning`.

    Raises:
      ValueError: for bad draws, ``k``, ``level`` or ``seed``, different dimensions, or repeated points.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.standard_normal((2000, 1)), rng.standard_normal((3000, 1)) + 1.0
      >>> est = dv.estimate.js(x, y)  # JS(N(0, 1), N(1, 1)) = 0.1114
      >>> bool(est.lower_bound < 0.1114 < est.upper_bound <= np.log(2))
      True
    """
    k, seed = _options(k, seed, level)
    xs, ys = draws_where_they_live(((x, "x"), (y, "y")))
    _check_sizes(k, x=xs, y=ys)
    rng = np.random.default_rng(seed)
    size = min(xs.shape[0], ys.shape[0])
    xb = xs if xs.shape[0] == size else xs[rng.choice(xs.shape[0], size, replace=False)]
    yb = ys if ys.shape[0] == size else ys[rng.choice(ys.shape[0], size, replace=False)]
    out = _estimate(
        _js_value,
        (xb, yb),
        k,
        level,
        seed + 1,
        (0.0, LOG2),
        "k-NN JS: Kozachenko-Leonenko entropies of the balanced pool and of each sample",
        "P and Q have densities; sqrt(n)-asymptotic normality of the estimate (d <= 3)",
        "js",
    )
    return out._replace(n=xs.shape[0], m=ys.shape[0])
