r"""Where each asymptotic interval claims its level: one table of measured ranges, and its rule.

An estimate of kind ``"asymptotic"`` claims its ``level`` only where the coverage benchmarks
(``benchmarks/estimate_coverage.md``) measured its interval covering ``level - 0.05`` or better
(each end missing at most ``(1 - level) / 2 + 1%`` where the ends were measured apart). Every
such range lives here, in :data:`ASYMPTOTIC_CLAIMS`: for each estimator a :class:`Claim`, its
:class:`Range` s each ``(largest d, smallest n)`` with the benchmark file and the cell that
measured it. The rule reading it is :meth:`Claim.holds`: ``(d, n)`` is claimed where some range
has ``d <= dimension`` and ``n >= draws`` (``n`` the smallest sample's size; the Inception
score's ``draws`` counted per class, ``n >= draws * K``). Outside, :meth:`Claim.refusal` says why,
in words, and the estimator returns ``"no-coverage-claim"``
(:func:`~divergences.estimate._src.result.withheld`).

A new measured range goes here, as a :class:`Range` of its estimator's :class:`Claim`, citing
the benchmark's file and cell; the test that pins it (``tests/estimate/``) reads the same
cell. Rules that read the draws themselves (the k-NN KL's tail and drift rules, the kernel
measures' dependence check) stay with their estimators: they refuse a claim inside a range.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "ASYMPTOTIC_CLAIMS",
    "TABLE_FILE",
    "Claim",
    "Range",
]

#: Where the coverage table lives, as the refusals name it.
TABLE_FILE = "benchmarks/estimate_coverage.md"


class Range(NamedTuple):
    """One measured range of an asymptotic interval: up to ``dimension``, from ``draws`` draws.

    Attributes:
      dimension: the largest dimension ``d`` measured; None: any (the Inception score's
        classes).
      draws: the smallest sample size measured (``n`` the smallest sample's); per class where
        ``per_class``.
      measured: the benchmark file and the cell (a section, a table's rows) that measured it.
      per_class: True where ``draws`` counts rows a class, ``dimension`` the number of classes.
    """

    dimension: int | None
    draws: int
    measured: str
    per_class: bool = False

    def holds(self, d: int, n: int) -> bool:
        """Whether ``(d, n)`` lies in this range."""
        least = self.draws * d if self.per_class else self.draws
        return (self.dimension is None or d <= self.dimension) and n >= least

    def words(self) -> str:
        """The range in words: ``"d <= 256 from n = 1000"``, ``"100 rows a class"``."""
        if self.per_class:
            return f"{self.draws} rows a class"
        return f"d <= {self.dimension} from n = {self.draws}"


class Claim(NamedTuple):
    """Where one estimator's asymptotic interval claims its level: the union of its ranges.

    Attributes:
      estimator: the entry's name, as the refusal says it.
      ranges: the measured ranges, each a :class:`Range`.
    """

    estimator: str
    ranges: tuple[Range, ...]

    def holds(self, d: int, n: int) -> bool:
        """Whether the interval claims its level in dimension ``d`` from ``n`` draws."""
        return any(r.holds(d, n) for r in self.ranges)

    def refusal(self, d: int, n: int) -> str:
        """Why the interval claims nothing at ``(d, n)``, in words; ``""`` where it claims."""
        return "" if self.holds(d, n) else _unmeasured_words(self, d, n)


def _unmeasured_words(claim: Claim, d: int, n: int) -> str:
    if all(r.per_class for r in claim.ranges):
        (least,) = {r.draws for r in claim.ranges}
        return (
            f"the Inception score's interval is measured to hold from {least} rows a class "
            f"({TABLE_FILE}), here {n} rows for {d} classes"
        )
    where = ", ".join(r.words() for r in claim.ranges)
    return (
        f"{claim.estimator}'s interval is measured to hold in {where} draws "
        f"({TABLE_FILE}), here d = {d}, n = {n}"
    )


def _claim(estimator: str, *ranges: tuple[int | None, int, str]) -> Claim:
    return Claim(estimator, tuple(Range(d, n, f"{TABLE_FILE}: {cell}") for d, n, cell in ranges))


_COVERAGE_TABLE = '"The table", the rows of `{}`'
_FD_WIDE = (
    '"FD where FID lives" (bench_frechet_coverage.py, exact Wishart statistics), '
    '"FD\'s interval by the delta method on kept draws", '
    '"FD\'s ends symmetric where d^2 >= 16 n and d <= 768"'
)
_FD_PAIR = (
    '"FD where FID lives", "Two candidates against one reference", '
    '"FD\'s interval by the delta method on kept draws"'
)

# The k-NN estimators on the line and in the plane (0.91 to 0.97; in d = 8 the KL interval covers
# 0.645 at n = 1000 and in d = 64 the JS interval collapses), from 250 draws. The exact W1 in
# d = 1, 2, 8 and 64 (0.98 to 1.00) at every size: its interval only widens as n falls (the
# plug-in's bias is upward and the Efron-Stein term bounds the variance), and the slow tier of
# tests/estimate/test_w1.py holds it at 0.90 or more at 60 and 80 draws. mmd_squared's normal
# interval (Gaussian kernel, d = 2, 8, 64) from 250 draws, 0.92 to 1.00 up to 5000 draws; kid's
# (cubic kernel) from 1000 draws: over 1000 repetitions each end missed at most 3.4% in d = 2, 8
# and 64 from n = 1000 (in d = 2 at n = 250 the upper end missed 3.8%: bench_kid_ends.py). FD
# in d <= 256 from 1000 draws (0.935 to 0.99; its extrapolation in 1/n needs the batches well
# above d draws; not on heavy radial tails, which frechet/tails.py withholds), d <= 768 from
# 5000 (0.96 to 1.00, each end missing at most 2.8%) and d <= 2048 from 10^4 (0.98 to 0.995,
# each end at most 1.5%), the wide ranges from the batches' exact Gaussian statistics, each at
# n = m (where the sizes differ, frechet/sizes.py withholds the claim as the remainder grows).
# From d = 64 the interval is the delta method's on kept draws, measured on real draws: each
# claimed end within 3.5% in d = 64 to 256, and on 100 repetitions a cell in d = 768 and 40 in
# d = 2048 (the difference: 50 and 24 a cell, no end missed more than once) ("FD's interval by
# the delta method on kept draws"), its ends symmetric where d^2 >= 16 n and d <= 768 (each claimed
# end within 3.0% there: "FD's ends symmetric where d^2 >= 16 n and d <= 768").
# frechet_difference where its own rows measured it (n the smallest of the three samples): each
# end at most 1.5% at d = 768 from 5000, at most 1% at d = 2048 from 10^4 (the null's p-value at
# most 0.05 in 1.5%); kid_difference in d <= 64 from 250 draws (Gaussian and non-Gaussian triples
# in d = 8 and 64), and d <= 2048 from 1000 (each end missed at most 2.0% over 200 repetitions).
# Density's normal interval from d = 8 (in d = 32, n = 2000 its upper end missed 5.0% of 400
# repetitions); coverage's in d = 32 and 64. The Inception score from 100 rows a class
# (N >= 100 K).
_TABLE: dict[str, Claim] = {
    "entropy": _claim("entropy", (2, 250, _COVERAGE_TABLE.format("entropy"))),
    "kl": _claim("kl", (2, 250, _COVERAGE_TABLE.format("kl"))),
    "js": _claim("js", (2, 250, _COVERAGE_TABLE.format("js"))),
    "w1": _claim("w1", (64, 2, _COVERAGE_TABLE.format("w1"))),
    "mmd_squared": _claim(
        "mmd_squared", (64, 250, '"The normal intervals: `mmd_squared(..., interval="normal")`"')
    ),
    "kid": _claim("kid", (2048, 1000, "\"Each end of KID's and MMD^2's normal intervals\"")),
    "frechet": _claim(
        "frechet",
        (256, 1000, _COVERAGE_TABLE.format("frechet")),
        (768, 5000, _FD_WIDE),
        (2048, 10_000, _FD_WIDE),
    ),
    "frechet_difference": _claim(
        "frechet_difference",
        (256, 1000, _FD_PAIR),
        (768, 5000, _FD_PAIR),
        (2048, 10_000, _FD_PAIR),
    ),
    "kid_difference": _claim(
        "kid_difference",
        (64, 250, '"Comparing two models: `kid_difference`"'),
        (2048, 1000, '"Comparing two models: `kid_difference`"'),
    ),
    "density": _claim("density", (8, 500, '"Precision, recall, density and coverage"')),
    "coverage": _claim("coverage", (64, 500, '"Precision, recall, density and coverage"')),
    "inception_score": Claim(
        "inception_score",
        (Range(None, 100, f'{TABLE_FILE}: "The Inception score"', per_class=True),),
    ),
}

#: Every asymptotic estimator's measured ranges, by the entry's name: a :class:`Claim` each.
#: ``ASYMPTOTIC_CLAIMS["frechet"].ranges`` are FD's: d <= 256 from 1000 draws, d <= 768 from
#: 5000, d <= 2048 from 10^4 (with ``batches=4``,
#: :data:`~divergences.estimate._src.frechet.groups.MEASURED_BATCHES`).
ASYMPTOTIC_CLAIMS: Mapping[str, Claim] = MappingProxyType(_TABLE)
