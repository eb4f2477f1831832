r"""Fidelity and diversity of generated draws: k-NN precision, recall, density and coverage.

With real draws :math:`x_1 \dots x_n \sim P` and generated ones :math:`y_1 \dots y_m \sim Q`,
:math:`r_i` the distance from :math:`x_i` to its k-th nearest other real draw, :math:`s_j` from
:math:`y_j` to its k-th nearest other generated draw, and the *closed* balls
:math:`B_i = \bar B(x_i, r_i)`, :math:`C_j = \bar B(y_j, s_j)`:

* precision (Kynkäänniemi et al. 2019): :math:`\frac1m \sum_j 1[y_j \in \bigcup_i B_i]`, the
  generated draws that fall on the real sample's k-NN manifold (fidelity);
* recall (same): :math:`\frac1n \sum_i 1[x_i \in \bigcup_j C_j]`, the real draws that fall on
  the generated sample's manifold (diversity);
* density (Naeem et al. 2020): :math:`\frac{1}{km} \sum_j \#\{i : y_j \in B_i\}`;
* coverage (same): :math:`\frac1n \sum_i 1[\exists j : y_j \in B_i]`.

The roles are fixed by the names: every entry takes ``real=`` and ``generated=`` as keyword
arguments only, so they cannot be swapped by position. A generator that collapses onto some of
the data's modes keeps its precision (its draws look real) and loses recall and coverage.

**Closed balls.** A draw at exactly the radius is inside, so a ball of radius 0 (a real draw
with ``k`` duplicates) holds its duplicates. Ties have probability 0 for draws of a density, so
the population quantities below are those of the papers; with duplicated points the strict
inequality of the reference code (``prdc``) gives density = coverage = 0 between a sample and
itself (clovaai/generative-evaluation-prdc#7). Here a sample against itself gives coverage 1
and density :math:`(k + 1)/k`, duplicated or not: each closed ball holds its centre and its
``k`` nearest others (a draw with ``k`` duplicates: its ``k + 1`` copies), so each draw lies in
``k + 1`` balls (ties at a radius add more):

>>> import numpy as np, divergences as dv
>>> x = np.repeat(np.random.default_rng(0).standard_normal((100, 3)), 6, axis=0)  # 5 copies more
>>> f = dv.estimate.fidelity_diversity(real=x, generated=x, k=5)
>>> round(f.density.value, 12), f.coverage.value  # (k + 1) / k, and 1
(1.2, 1.0)

**What the intervals cover, and how k and n move it.** These are functionals of the k-NN
balls, so the quantity behind them depends on the reference sample, ``k`` and the sizes. Each
interval covers a quantity *conditional on the sample whose balls are drawn*:

* precision: :math:`Q(\bigcup_i B_i)`, the generated law's mass on the real sample's manifold;
  recall: :math:`P(\bigcup_j C_j)`. Given the balls the indicators are i.i.d. Bernoulli, so the
  Clopper-Pearson interval is exact for every size (``"finite-sample"``), assuming only that
  the two samples are independent draws. The manifold grows with ``k`` and, for fixed ``k``,
  shrinks towards the support as ``n`` grows: as :math:`n \to \infty` with :math:`k/n \to 0` the
  quantity tends to :math:`Q(\mathrm{supp}\, P)` (the papers' population precision), and below
  that limit it is smaller (a manifold of ``n`` balls misses part of the support). Between equal
  laws it is below 1, and in high dimension much below (Khayatkhoei & AbdAlmageed 2023: the
  precision and recall between equal supports become asymmetric, docs/concepts/estimation.md).
* density: :math:`\frac1k \sum_i Q(B_i)`; between equal laws its expectation over the real
  draws is exactly 1 for every ``n``, ``k`` and ``d`` (each :math:`Q(B_i)` has expectation
  :math:`k/n`: a fresh draw is among :math:`x_i`'s ``k`` nearest of ``n`` with probability
  :math:`k/n`). The interval is the normal one from the sample variance of the ``m``
  i.i.d. terms :math:`\#\{i : y_j \in B_i\}/k` (``"asymptotic"`` in ``m``).
* coverage: :math:`\frac1n \sum_i [1 - (1 - Q(B_i))^m]`, its expectation over the generated
  draws; between equal laws its expectation over both samples is
  :math:`1 - \binom{n-1}{k} / \binom{n+m-1}{k}` (:func:`equal_laws_coverage`: ``B_i`` holds no
  generated draw where the ``k`` nearest to :math:`x_i` of the other ``n + m - 1`` draws are
  all real), :math:`\approx 1 - 2^{-k}` for ``m = n``. The interval is normal with the
  Efron-Stein bound on the variance over the generated draws, read off the draws: removing
  :math:`y_j` changes coverage by :math:`u_j / n`, :math:`u_j` the balls :math:`y_j` alone
  covers, so :math:`\mathrm{Var} \le \sum_j u_j^2 / n^2` (Boucheron, Lugosi & Massart 2013,
  Theorem 3.1), estimated by :math:`(1 + \sum_j u_j^2) / n^2`: where no ball has a sole
  generated draw the plug-in is 0 while coverage still moves by ``1/n`` (``"asymptotic"``).

Density and coverage claim their level where the coverage table measured it
(``ASYMPTOTIC_CLAIMS``; ``benchmarks/estimate_coverage.md``, "Precision, recall, density and
coverage"); elsewhere they return ``"no-coverage-claim"`` with the quantity's range as the ends.

The searches: the radii by :func:`~.search.kth_neighbour_distances`, the memberships by
:func:`~.search.ball_counts`, one pass over the pairs for all four measures (k-d trees up to
d = 8, a blocked XLA brute force above, both exact).

References:
  Kynkäänniemi, Karras, Laine, Lehtinen & Aila, *Improved precision and recall metric for
  assessing generative models*, NeurIPS 2019. Naeem, Oh, Uh, Choi & Yoo, *Reliable fidelity
  and diversity metrics for generative models*, ICML 2020. Khayatkhoei & AbdAlmageed,
  *Emergent asymmetry of precision and recall for measuring fidelity and diversity of
  generative models in high dimensions*, ICML 2023. Clopper & Pearson, Biometrika 26, 1934.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy.special import betaincinv

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.concentration import normal_quantile
from divergences.estimate._src.neighbours.search import (
    BallCounts,
    Engine,
    ball_counts,
    kth_neighbour_distances,
    searched_where,
)
from divergences.estimate._src.result import Estimate, withheld
from divergences.estimate._src.samples import draws_where_they_live

__all__ = [
    "DEFAULT_K",
    "FidelityDiversity",
    "clopper_pearson",
    "coverage",
    "density",
    "equal_laws_coverage",
    "fidelity_diversity",
    "precision",
    "proportion_estimate",
    "recall",
]

#: The neighbour's rank: Kynkäänniemi et al.'s choice (k = 3) for precision and recall, and
#: Naeem et al.'s (k = 5) for density and coverage, where coverage between equal laws is about
#: ``1 - 2^-5``; one ``k`` for the four, so that they read the same balls.
DEFAULT_K = 5

#: The four measures, in the order of :class:`FidelityDiversity`.
MEASURES = ("precision", "recall", "density", "coverage")

_ASSUMPTION = (
    "real and generated draws i.i.d. and independent of each other; the interval is conditional "
    "on the {ref} sample's k-NN balls"
)


class FidelityDiversity(NamedTuple):
    """The four measures from one search: fidelity (precision, density), diversity (recall, coverage)."""

    precision: Estimate
    recall: Estimate
    density: Estimate
    coverage: Estimate


def equal_laws_coverage(n: int, m: int, k: int) -> float:
    r"""Coverage's expectation between two samples of one law with a density.

    :math:`1 - \binom{n-1}{k} / \binom{n+m-1}{k}` (Naeem et al. 2020, Sec. 4.2, for ``m = n``:
    about :math:`1 - 2^{-k}`): the ball around a real draw holds no generated one where its
    ``k`` nearest of the other ``n - 1 + m`` draws, in an order uniform by exchangeability, are
    all real.

    Example:
      >>> round(equal_laws_coverage(10_000, 10_000, 5), 5), 1 - 2**-5
      (0.96877, 0.96875)
    """
    log_ratio = sum(math.log((n - 1 - t) / (n + m - 1 - t)) for t in range(k))
    return -math.expm1(log_ratio)


def _search(
    real: Any, generated: Any, k: Any, engine: Engine
) -> tuple[int, int, int, BallCounts, str]:
    k = integer_option(k, "k", note="the neighbour's rank")
    xs, ys = draws_where_they_live(((real, "real"), (generated, "generated")))
    smaller = min(xs.shape[0], ys.shape[0])
    if k >= smaller:
        raise ValueError(
            f"k must be below the size of each sample (a draw's k-th nearest other draw), got "
            f"k={k} with {xs.shape[0]} real and {ys.shape[0]} generated draws"
        )
    r = kth_neighbour_distances(xs, k, engine=engine)
    s = kth_neighbour_distances(ys, k, engine=engine)
    counts = ball_counts(xs, r, ys, s, engine=engine)
    return k, xs.shape[1], smaller, counts, searched_where((xs, ys), engine)


def clopper_pearson(hits: int, trials: int, alpha: float) -> tuple[float, float]:
    """The exact binomial interval: each end misses with probability at most ``alpha / 2``."""
    low = 0.0 if hits == 0 else float(betaincinv(hits, trials - hits + 1, alpha / 2))
    high = 1.0 if hits == trials else float(betaincinv(hits + 1, trials - hits, 1 - alpha / 2))
    return low, high


def proportion_estimate(
    quantity: str, hits: int, trials: int, level: float, *, assumption: str, method: str, n: int,
    m: int,
) -> Estimate:  # fmt: skip
    """``hits / trials`` with Clopper-Pearson's interval at ``level``: a finite-sample Estimate.

    ``method`` is the estimator in words, to which ``", Clopper-Pearson interval"`` is added.
    """
    low, high = clopper_pearson(hits, trials, 1.0 - level)
    value = hits / trials
    return Estimate(
        value=value,
        lower_bound=min(low, value),
        upper_bound=max(high, value),
        level=level,
        kind="finite-sample",
        sides="two-sided",
        assumption=assumption,
        method=f"{method}, Clopper-Pearson interval",
        n=n,
        m=m,
        quantity=quantity,
    )


def _proportion(quantity: str, hits: int, trials: int, level: float, k: int, ref: str, n: int,
                m: int) -> Estimate:  # fmt: skip
    return proportion_estimate(
        quantity, hits, trials, level, assumption=_ASSUMPTION.format(ref=ref),
        method=f"k-NN {quantity} (closed balls, k = {k})", n=n, m=m,
    )  # fmt: skip


def _normal(quantity: str, value: float, variance: float, top: float, level: float, d: int,
            smaller: int, method: str, n: int, m: int) -> Estimate:  # fmt: skip
    half = normal_quantile(0.5 + level / 2.0) * math.sqrt(max(variance, 0.0))
    estimate = Estimate(
        value=value,
        lower_bound=max(value - half, 0.0),
        upper_bound=min(value + half, top),
        level=level,
        kind="asymptotic",
        sides="two-sided",
        assumption=_ASSUMPTION.format(ref="real"),
        method=method,
        n=n,
        m=m,
        quantity=quantity,
    )
    if reason := ASYMPTOTIC_CLAIMS[quantity].refusal(d, smaller):
        return withheld(
            estimate, 0.0, top, reason, stacklevel=5
        )  # _measures, the entry, its caller
    return estimate


def _measures(
    real: Any, generated: Any, k: Any, level: Any, engine: Engine, want: tuple[str, ...]
) -> dict[str, Estimate]:
    """The measures named in ``want``, from one search."""
    lev = level_option(level, note="the interval's coverage")
    k, d, smaller, c, where = _search(real, generated, k, engine)
    n, m = c.y_in_ball.shape[0], c.in_x_balls.shape[0]
    out = {}
    if "precision" in want:
        hits = int(np.count_nonzero(c.in_x_balls))
        out["precision"] = _proportion("precision", hits, m, lev, k, "real", n, m)
    if "recall" in want:
        hits = int(np.count_nonzero(c.in_y_balls))
        out["recall"] = _proportion("recall", hits, n, lev, k, "generated", n, m)
    if "density" in want:
        terms = c.in_x_balls / k
        method = f"k-NN density (closed balls, k = {k}), normal interval from the terms' variance"
        out["density"] = _normal(
            "density", float(terms.mean()), float(terms.var(ddof=1)) / m, n / k, lev, d,
            smaller, method, n, m,
        )  # fmt: skip
    if "coverage" in want:
        alone = np.bincount(c.sole[c.y_in_ball == 1], minlength=m)
        method = (
            f"k-NN coverage (closed balls, k = {k}), normal interval from the Efron-Stein variance"
        )
        out["coverage"] = _normal(
            "coverage", float(np.count_nonzero(c.y_in_ball)) / n,
            (float(np.sum(alone**2.0)) + 1.0) / n**2, 1.0, lev, d, smaller, method, n, m,
        )  # fmt: skip
    if where:  # the searches ran on the draws' own accelerator
        out = {name: e._replace(method=e.method + where) for name, e in out.items()}
    return out


_ARGS = """Args:
      real: the data's draws, ``(n, d)`` or ``(n,)``, ``n > k``.
      generated: the model's draws, ``(m, d)`` or ``(m,)``, ``m > k``.
      k: the neighbour's rank of the balls' radii, ``1 <= k < min(n, m)``.
      level: the interval's coverage, in ``(0, 1)``.
      engine: the searches' engine, ``"auto"`` (k-d trees up to d = 8, XLA above), ``"tree"``
        or ``"xla"``: the same numbers.

    Raises:
      ValueError: naming ``real`` or ``generated`` for draws the shared rules refuse or of two
        dimensions; ``k`` not an integer below both sizes; ``level`` outside ``(0, 1)``."""


@runs_on_host
def fidelity_diversity(
    *, real: Any, generated: Any, k: Any = DEFAULT_K, level: Any = 0.95, engine: Engine = "auto"
) -> FidelityDiversity:
    r"""Precision, recall, density and coverage of ``generated`` against ``real``, one search.

    The four measures of :func:`precision`, :func:`recall`, :func:`density` and
    :func:`coverage` from one search of the radii and one pass over the pairs.

    {args}

    Returns:
      A :class:`FidelityDiversity` of four :class:`~divergences.estimate.Estimate`\ s.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> modes = np.array([[0.0, 0.0], [20.0, 0.0]])  # the model collapsed onto one mode
      >>> real = modes[rng.integers(0, 2, 1000)] + rng.normal(size=(1000, 2))
      >>> generated = rng.normal(size=(1000, 2))
      >>> f = dv.estimate.fidelity_diversity(real=real, generated=generated)
      >>> bool(f.precision.lower_bound > 0.9), bool(f.recall.upper_bound < 0.55)
      (True, True)
    """
    return FidelityDiversity(**_measures(real, generated, k, level, engine, MEASURES))


@runs_on_host
def precision(
    *, real: Any, generated: Any, k: Any = DEFAULT_K, level: Any = 0.95, engine: Engine = "auto"
) -> Estimate:
    r"""The fraction of generated draws on the real sample's k-NN manifold (fidelity).

    .. math:: \mathrm{precision} = \frac1m \sum_j 1\Big[y_j \in \bigcup_i \bar B(x_i, r_i)\Big]

    (Kynkäänniemi et al. 2019), :math:`r_i` the distance from the real draw :math:`x_i` to its
    k-th nearest other real draw. The interval is Clopper-Pearson's for
    :math:`Q(\bigcup_i \bar B(x_i, r_i))` given the real draws: finite-sample. That quantity
    grows with ``k``, tends to :math:`Q(\mathrm{supp}\,P)` as ``n`` grows with ``k/n -> 0``, and
    is below 1 between equal laws (module docstring).

    {args}

    Returns:
      An :class:`~divergences.estimate.Estimate` in ``[0, 1]``, ``kind="finite-sample"``.
    """
    return _measures(real, generated, k, level, engine, ("precision",))["precision"]


@runs_on_host
def recall(
    *, real: Any, generated: Any, k: Any = DEFAULT_K, level: Any = 0.95, engine: Engine = "auto"
) -> Estimate:
    r"""The fraction of real draws on the generated sample's k-NN manifold (diversity).

    .. math:: \mathrm{recall} = \frac1n \sum_i 1\Big[x_i \in \bigcup_j \bar B(y_j, s_j)\Big]

    (Kynkäänniemi et al. 2019), :math:`s_j` the distance from :math:`y_j` to its k-th nearest
    other generated draw. The interval is Clopper-Pearson's for :math:`P(\bigcup_j \bar B(y_j,
    s_j))` given the generated draws: finite-sample. A model that drops half of the data's
    well separated modes has recall at most 1/2 (and about the equal laws' recall times 1/2).

    {args}

    Returns:
      An :class:`~divergences.estimate.Estimate` in ``[0, 1]``, ``kind="finite-sample"``.
    """
    return _measures(real, generated, k, level, engine, ("recall",))["recall"]


@runs_on_host
def density(
    *, real: Any, generated: Any, k: Any = DEFAULT_K, level: Any = 0.95, engine: Engine = "auto"
) -> Estimate:
    r"""How many real draws' k-NN balls hold a generated draw, on average, over ``k`` (fidelity).

    .. math:: \mathrm{density} = \frac{1}{km} \sum_j \#\{i : y_j \in \bar B(x_i, r_i)\}

    (Naeem et al. 2020). Its expectation between equal laws is exactly 1; above 1 the generated
    draws crowd where the real ones are dense. The interval (asymptotic, normal, from the terms'
    sample variance) covers :math:`\frac1k \sum_i Q(\bar B(x_i, r_i))` given the real draws,
    where ``ASYMPTOTIC_CLAIMS`` measured it; else ``"no-coverage-claim"``, ends ``[0, n/k]``.

    {args}

    Returns:
      An :class:`~divergences.estimate.Estimate` in ``[0, n/k]``.
    """
    return _measures(real, generated, k, level, engine, ("density",))["density"]


@runs_on_host
def coverage(
    *, real: Any, generated: Any, k: Any = DEFAULT_K, level: Any = 0.95, engine: Engine = "auto"
) -> Estimate:
    r"""The fraction of real draws whose k-NN ball holds a generated draw (diversity).

    .. math:: \mathrm{coverage} = \frac1n \sum_i 1\big[\exists j : y_j \in \bar B(x_i, r_i)\big]

    (Naeem et al. 2020). Between equal laws its expectation is
    :func:`equal_laws_coverage` (about :math:`1 - 2^{-k}` for ``m = n``). The interval
    (asymptotic, normal with the Efron-Stein variance) covers its expectation over the
    generated draws given the real ones, where ``ASYMPTOTIC_CLAIMS`` measured it; else
    ``"no-coverage-claim"``, ends ``[0, 1]``.

    {args}

    Returns:
      An :class:`~divergences.estimate.Estimate` in ``[0, 1]``.
    """
    return _measures(real, generated, k, level, engine, ("coverage",))["coverage"]


for _entry in (fidelity_diversity, precision, recall, density, coverage):
    _entry.__doc__ = (_entry.__doc__ or "").replace("{args}", _ARGS)
