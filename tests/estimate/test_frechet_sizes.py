"""FD from samples of different sizes: the extrapolation's remainder and the claim it withholds.

The remainder's model is checked for its shape (zero at one size, the square of the sizes'
reciprocal gap, the covariances' scale), the claim for where it stands and where it is
withheld, and the coverage table's rows for the sizes it claims
(``benchmarks/estimate_coverage.md``, "FD from samples of different sizes").
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import divergences as dv
from divergences.estimate._src.frechet.distance import read_samples
from divergences.estimate._src.frechet.sizes import SHARE_OF_SPREAD, remainder, sizes_refusal
from tests.helpers import COVERAGE_TABLE


def _remainder(n: int, m: int, d: int = 16, scale: float = 1.0) -> float:
    rng = np.random.default_rng(0)
    x, y = scale * rng.standard_normal((n, d)), scale * rng.standard_normal((m, d))
    rx, ry = read_samples([(x, "x", 0), (y, "y", 1)], 4)
    return remainder(rx.moments, ry.moments, 4) * 4.0**rx.moments.shift


def test_the_remainder_vanishes_at_one_size_and_grows_as_the_square_of_the_gap():
    assert _remainder(1000, 1000) == 0.0
    gap = ((1 / 1000 - 1 / 3000) / (1 / 1000 - 1 / 2000)) ** 2  # the traces differ by sampling
    assert _remainder(1000, 3000) / _remainder(1000, 2000) == pytest.approx(gap, rel=0.05)
    assert _remainder(1000, 3000) == pytest.approx(_remainder(3000, 1000), rel=0.05)


def test_the_remainder_scales_as_the_covariances():
    assert _remainder(1000, 3000, scale=3.0) == pytest.approx(9.0 * _remainder(1000, 3000))


def test_the_rule_at_a_spread_of_zero_infinity_and_not_a_number():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((1000, 16)), rng.standard_normal((3000, 16))
    bx, by = (r.moments for r in read_samples([(x, "x", 0), (y, "y", 1)], 4))
    assert sizes_refusal(bx, by, 4, math.inf) == ""  # an interval that holds anything
    assert "sizes differ" in sizes_refusal(bx, by, 4, 0.0)  # one that holds nothing
    assert "sizes differ" in sizes_refusal(bx, by, 4, math.nan)
    assert sizes_refusal(bx, bx, 4, 0.0) == ""  # one size: no remainder


@pytest.mark.parametrize(
    ("d", "m", "claims"),
    [(8, 3000, True), (64, 1010, True), (64, 2000, False), (64, 3000, False)],
)
def test_frechet_claims_where_the_sizes_remainder_is_small_against_its_spread(d, m, claims):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1000, d))
    y = rng.standard_normal((m, d)) + 1.0 / math.sqrt(d)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = dv.estimate.frechet(x, y)
    assert est.claims_coverage is claims
    if not claims:
        assert (est.lower_bound, est.upper_bound) == (0.0, math.inf)
        assert "the samples' sizes differ (1000 and" in str(caught[0].message)
        assert math.isfinite(est.value)  # the estimate is still given, with no claim


@pytest.mark.slow  # two comparisons, each with its copy check: about a second
def test_frechet_difference_claims_nothing_where_a_candidate_s_size_differs():
    rng = np.random.default_rng(2)
    d = 48  # A's 5000 draws against the reference's 1000: a remainder 0.2 of the spread
    r = rng.standard_normal((1000, d))
    a, b = rng.standard_normal((5000, d)) + 0.1, rng.standard_normal((1000, d)) + 0.2
    with pytest.warns(dv.estimate.NoCoverageWarning, match="a against the reference: the samp"):
        c = dv.estimate.frechet_difference(r, a, b)
    assert c.difference.kind == "no-coverage-claim" and c.p_value is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one size: the claim stands
        assert dv.estimate.frechet_difference(r, a[:1000], b).difference.claims_coverage


def test_the_share_of_the_spread_is_below_what_moves_an_end():
    # an error of s * se moves a 95% normal interval's end misses from 2.5% to at most
    # Phi(-1.96 + s): under 1 point at s = 1/8
    from scipy.stats import norm

    assert norm.cdf(-1.959964 + SHARE_OF_SPREAD) - 0.025 < 0.01


def test_the_sizes_claimed_in_the_table_held_each_end():
    """Each unequal-size cell the table measured: claimed repetitions miss at most 3.5% an end."""
    section = COVERAGE_TABLE.read_text().split("## FD from samples of different sizes")[1]
    section = section.split("\n## ")[0]
    rows = [r for r in section.splitlines() if re.match(r"^\| FD \| [^|]*m = \dn", r)]
    assert len(rows) >= 8
    claimed_somewhere = withheld_somewhere = False
    for row in rows:
        low, high, reps = map(int, re.search(r"(\d+)/(\d+) of (\d+) \|\s*$", row).groups())
        assert 1000 * max(low, high) <= 35 * max(reps, 1), row
        claimed_somewhere |= reps > 0
        withheld_somewhere |= reps == 0
    assert claimed_somewhere and withheld_somewhere
