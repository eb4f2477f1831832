"""The one result type of every estimate from samples, and the permutation test's result."""

from __future__ import annotations

from typing import Literal, NamedTuple

#: How an interval holds. ``"finite-sample"``: for every sample size, under the stated
#: assumption; ``"asymptotic"``: as the sample sizes grow (a central limit theorem);
#: ``"subsampling"``: from the spread of the estimate over subsamples, as the sizes grow.
IntervalKind = Literal["finite-sample", "asymptotic", "subsampling"]

#: Which ends of an interval carry the guarantee. ``"lower"``: a one-sided lower bound, its
#: upper end the quantity's own range (``inf`` for KL and W1); ``"upper"`` the reverse.
Sides = Literal["two-sided", "lower", "upper"]

INTERVAL_KINDS: tuple[str, ...] = ("finite-sample", "asymptotic", "subsampling")
SIDES: tuple[str, ...] = ("two-sided", "lower", "upper")


class Estimate(NamedTuple):
    r"""An estimate of a quantity between the laws behind two samples, with its interval.

    With probability at least ``level`` over the draws (as ``kind`` says: for every sample size,
    or as the sizes grow), the true quantity lies in ``[lower, upper]``. Every number is a
    finite float but ``upper``, which is ``inf`` where no upper bound is claimed (``sides ==
    "lower"``) and the quantity is unbounded. ``lower <= value <= upper`` always, and both ends
    lie in the quantity's range (KL and W1 ``>= 0``, JS in ``[0, log 2]``, TV in ``[0, 1]``).

    Attributes:
      value: the point estimate, in the quantity's range.
      lower: the lower end of the interval.
      upper: the upper end of the interval (``inf`` where none is claimed).
      level: the interval's nominal coverage, in ``(0, 1)``.
      kind: ``"finite-sample"``, ``"asymptotic"`` or ``"subsampling"``.
      sides: ``"two-sided"``, or the one end that carries the guarantee (``"lower"``).
      assumption: what the guarantee rests on, in words (a support bound, a density, ...).
      method: the estimator and the interval's construction, in words.
      n: the number of draws of the first law (``x``).
      m: the number of draws of the second law (``y``; 0 for a one-sample estimate).
    """

    value: float
    lower: float
    upper: float
    level: float
    kind: IntervalKind
    sides: Sides
    assumption: str
    method: str
    n: int
    m: int


class TwoSampleTest(NamedTuple):
    r"""A test of the hypothesis ``P == Q`` from two samples.

    Attributes:
      statistic: the observed test statistic.
      p_value: the test's p-value, in ``(0, 1]``: the hypothesis is rejected at level ``alpha``
        where ``p_value <= alpha``, with type-I error at most ``alpha`` for every sample size.
      permutations: the number of random permutations the p-value counts.
      method: the statistic and its kernel, in words.
      n: the number of draws of the first law (``x``).
      m: the number of draws of the second law (``y``).
    """

    statistic: float
    p_value: float
    permutations: int
    method: str
    n: int
    m: int
