r"""Coverage of an interval estimate, measured over seeded repetitions against a known truth.

An interval that claims level :math:`1 - \alpha` is checked the only way a claim about repeated
sampling can be: draw fresh samples many times, build the interval each time, count how often it
holds the truth. :func:`measure_coverage` does that and reports a :class:`Coverage`;
:func:`coverage_verdict` is the pass/fail rule the tests, the proofs and the coverage table share.

The truth is an exact number, or a certified interval ``[lo, hi]`` (an ``Enclosure`` of
:mod:`divergences.continuous.certified`, anything with ``lower_bound`` and ``upper_bound``, or a
pair). With an interval truth a repetition counts as covered only where ``[lo, hi]`` lies inside
``[lower_bound, upper_bound]``: the unknown true value is somewhere in ``[lo, hi]``, and only
then is it inside the estimate's interval whatever it is. That errs against the estimate by at
most the truth's width (``1e-12`` relative for the certified enclosures), never in its favour.

Draws are seeded: repetition ``i`` gets the ``i``-th key of ``jax.random.split(jax.random.key(
seed), repetitions)``, so a run is the same on one machine every time and the repetitions are
independent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from divergences.estimate import INTERVAL_KINDS, Estimate
from divergences.extending import integer_option

__all__ = ["Coverage", "coverage_verdict", "measure_coverage", "truth_interval"]


class Coverage(NamedTuple):
    r"""How often an interval estimate held the truth over independent repetitions.

    Attributes:
      covered: the repetitions whose interval held the truth (all of it, for an interval truth).
      total: the repetitions.
      rate: ``covered / total``.
      mc_standard_error: the Monte Carlo standard error of ``rate``,
        :math:`\sqrt{r (1 - r) / N}`: 0 where every repetition covered.
      mean_value: the mean point estimate over the repetitions with a number (NaN left out).
      bias: ``mean_value`` minus the truth (the midpoint of an interval truth).
      mean_width: the mean of ``upper_bound - lower_bound``; ``inf`` where an interval claims no
        upper end.
      nan_count: the repetitions where the value or an end of the interval is NaN (not covered).
      negative_count: the repetitions with a value or a finite lower end below 0 (every
        quantity of :mod:`divergences.estimate` but the entropy is at least 0; the entropy's
        lower end where it claims no coverage is ``-inf``, the end of its range).
    """

    covered: int
    total: int
    rate: float
    mc_standard_error: float
    mean_value: float
    bias: float
    mean_width: float
    nan_count: int
    negative_count: int


def truth_interval(truth: Any) -> tuple[float, float]:
    """``(lo, hi)`` of a truth: a number (``lo == hi``), an enclosure, or a pair ``(lo, hi)``.

    Raises:
      ValueError: naming ``truth``, where it is none of these, NaN, or ``lo > hi``.
    """
    if hasattr(truth, "lower_bound") and hasattr(truth, "upper_bound"):
        lo, hi = float(truth.lower_bound), float(truth.upper_bound)
    elif isinstance(truth, Sequence | np.ndarray) and len(truth) == 2:
        lo, hi = float(truth[0]), float(truth[1])
    else:
        try:
            lo = hi = float(truth)
        except (TypeError, ValueError):
            raise ValueError(
                f"truth must be a number, an enclosure or a pair (lo, hi), got {truth!r}"
            ) from None
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise ValueError(f"truth must be a number or an interval lo <= hi, got {truth!r}")
    return lo, hi


def measure_coverage(
    draw: Callable[[jax.Array], tuple[Any, ...]],
    estimator: Callable[..., Estimate],
    truth: Any,
    *,
    repetitions: int,
    seed: int = 0,
) -> Coverage:
    r"""Repeats ``estimator`` on ``repetitions`` seeded independent draws and counts coverage.

    Repetition ``i`` calls ``estimator(*draw(key_i))``. It is covered where
    ``lower_bound <= lo`` and ``hi <= upper_bound`` for the truth's interval
    ``[lo, hi]`` (``lo == hi`` for an exact truth); a NaN anywhere in the estimate is not.

    Args:
      draw: ``key -> samples``, the arguments the estimator takes first (``(x, y)``, or ``(x,)``).
      estimator: ``(*samples) -> Estimate``, its options bound (``functools.partial``).
      truth: the true quantity: a number, a certified enclosure or a pair ``(lo, hi)``.
      repetitions: the number of repetitions, at least 1.
      seed: the seed of the keys.

    Returns:
      The :class:`Coverage` of the repetitions.

    Example:
      >>> import math
      >>> from divergences import continuous as dvc
      >>> from divergences.estimate import INTERVAL_KINDS, Estimate
      >>> from divergences.testing import measure_coverage
      >>> def mean(x):  # Hoeffding's interval for the mean of draws in [0, 1], level 0.95
      ...     v, t = float(x.mean()), math.sqrt(math.log(2 / 0.05) / (2 * x.size))
      ...     claim = ("finite-sample", "two-sided", "Hoeffding", "the mean", 99, 0, "mean")
      ...     return Estimate(v, v - t, v + t, 0.95, *claim)
      >>> draw = lambda key: (dvc.Uniform(0.0, 1.0).sample(key, (99,)),)
      >>> c = measure_coverage(draw, mean, 0.5, repetitions=20)
      >>> c.covered, c.total, c.nan_count
      (20, 20, 0)
    """
    lo, hi = truth_interval(truth)
    repetitions = integer_option(repetitions, "repetitions")
    keys = jax.random.split(jax.random.key(seed), repetitions)
    rows = np.array([_row(estimator(*draw(keys[i]))) for i in range(repetitions)], dtype=np.float64)
    value, lower, upper = rows[:, 0], rows[:, 1], rows[:, 2]
    nan = np.isnan(rows).any(axis=1)
    covered = int(np.count_nonzero(~nan & (lower <= lo) & (hi <= upper)))
    rate = covered / repetitions
    good = value[~np.isnan(value)]
    mean_value = float(np.mean(good)) if good.size else math.nan
    widths = (upper - lower)[~nan]
    return Coverage(
        covered=covered,
        total=repetitions,
        rate=rate,
        mc_standard_error=math.sqrt(rate * (1.0 - rate) / repetitions),
        mean_value=mean_value,
        bias=mean_value - 0.5 * (lo + hi),
        mean_width=float(np.mean(widths)) if widths.size else math.nan,
        nan_count=int(np.count_nonzero(nan)),
        negative_count=int(np.count_nonzero((value < 0) | ((lower < 0) & np.isfinite(lower)))),
    )


def _row(estimate: Estimate) -> tuple[float, float, float]:
    return float(estimate.value), float(estimate.lower_bound), float(estimate.upper_bound)


def coverage_verdict(result: Coverage, *, level: float, kind: str) -> str:
    r"""``"pass"``, ``"fail"`` or ``"reported"``: the rule a measured coverage is judged by.

    * ``kind == "finite-sample"``: the interval claims ``level`` at every sample size, so
      ``"pass"`` where :math:`r \ge \mathrm{level} - 2 s` with
      :math:`s = \sqrt{\mathrm{level}(1 - \mathrm{level}) / N}`, the Monte Carlo standard error
      of the rate of an interval whose coverage is exactly ``level`` (the rate's own is 0 where
      every repetition covers); else ``"fail"``.
    * ``"asymptotic"``: the claim holds as the sizes grow, and an estimator returns this kind only
      where the coverage table measured it (``divergences.estimate.ASYMPTOTIC_CLAIMS``), so
      ``"pass"`` where :math:`r \ge \mathrm{level} - 0.05`; else ``"fail"``.
    * ``"plug-in-assumption"`` and ``"no-coverage-claim"`` claim nothing: ``"reported"``.

    Args:
      result: the measured coverage.
      level: the intervals' nominal level.
      kind: the intervals' kind (``Estimate.kind``).

    Example:
      >>> from divergences.testing import Coverage, coverage_verdict
      >>> c = Coverage(186, 200, 0.93, 0.018, 1.0, 0.0, 0.4, 0, 0)
      >>> coverage_verdict(c, level=0.95, kind="finite-sample")
      'pass'
      >>> coverage_verdict(c, level=0.95, kind="no-coverage-claim")
      'reported'
    """
    if kind == "finite-sample":
        s = math.sqrt(level * (1.0 - level) / result.total)
        return "pass" if result.rate >= level - 2.0 * s else "fail"
    if kind == "asymptotic":
        return "pass" if result.rate >= level - 0.05 else "fail"
    if kind in INTERVAL_KINDS:
        return "reported"
    raise ValueError(f"kind must be one of {', '.join(map(repr, INTERVAL_KINDS))}, got {kind!r}")
