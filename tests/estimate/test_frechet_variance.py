"""FD's standard error: the delete-a-group jackknife over the variance groups, and where it runs.

``frechet`` reads each sample through ``GROUPS`` variance groups where ``GROUPS_FROM <= d <=
GROUPS_UP_TO`` (``B = 4`` extrapolation batches, each a union of groups) and, below
``FIRST_ORDER_FROM``, takes the standard error from the bias-corrected FD recomputed without each
group (from it, the delta method's: ``test_frechet_first_order``). The tests check each left-out
value against a direct computation on the draws themselves, the jackknife's formula, where the
groups are used and where the batches are kept, that the range of the groups is the one the
coverage table measured, and (slow) that the standard error meets the estimator's spread over
repeated samples.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.stats import t as student

import divergences as dv
from divergences.estimate._src.frechet.distance import jackknife_error, paired_parts, read_samples
from divergences.estimate._src.frechet.first_order import (
    KEPT_DRAWS,
    delta_ends,
    score_form_runs,
    single_error,
)
from divergences.estimate._src.frechet.groups import (
    FIRST_ORDER_FROM,
    GROUPS,
    GROUPS_FROM,
    GROUPS_UP_TO,
    variance_groups,
)
from divergences.estimate._src.reading import batch_labels
from tests.helpers import COVERAGE_TABLE


def _direct_fd(x, y, groups_x, groups_y, batches, by_size):
    """The bias-corrected FD from the draws: ``batches`` lists of group labels pooled each.

    ``by_size``: the batches' cross terms weighted by their shares of the draws (the two samples'
    averaged), else equally.
    """

    def cross(a, b):
        sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        w, v = np.linalg.eigh(sa)
        root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
        return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ sb @ root), 0, None))))

    def rest(a, b):
        diff = a.mean(0) - b.mean(0)
        ta, tb = np.trace(np.cov(a, rowvar=False)), np.trace(np.cov(b, rowvar=False))
        return float(diff @ diff) + ta + tb - ta / len(a) - tb / len(b)

    every = [g for part in batches for g in part]
    keep_x, keep_y = np.isin(groups_x, every), np.isin(groups_y, every)
    b = len(batches)
    t_batches = [cross(x[np.isin(groups_x, part)], y[np.isin(groups_y, part)]) for part in batches]
    t_full = cross(x[keep_x], y[keep_y])
    weights = np.full(b, 1.0 / b)
    if by_size:
        nx = np.array([np.isin(groups_x, part).sum() for part in batches])
        ny = np.array([np.isin(groups_y, part).sum() for part in batches])
        weights = 0.5 * (nx / nx.sum() + ny / ny.sum())
    return rest(x[keep_x], y[keep_y]) - 2.0 * (b * t_full - weights @ t_batches) / (b - 1)


@pytest.mark.parametrize("by_size", [True, False])
def test_each_left_out_value_is_the_estimate_without_that_group(by_size):
    """Where the jackknife runs the batches are weighted by size; equally where asked."""
    rng = np.random.default_rng(0)
    d, n, b = 8, 950, 4  # batch sizes differ: the weights matter
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d)) @ np.diag(np.linspace(0.5, 2.0, d)) + 0.3
    bx, by = (r.moments for r in read_samples([(x, "x", 0), (y, "y", 1)], b))
    assert len(bx.parts) == GROUPS and bx.shift == by.shift
    parts = paired_parts(bx, by, b) if by_size else paired_parts(bx, by, b, by_size=False)
    assert parts.by_size is by_size
    assert parts.left_out is not None and parts.left_out.shape == (GROUPS,)
    gx, gy = batch_labels(0, n, GROUPS, 0), batch_labels(0, n, GROUPS, 1)
    scale = 4.0**bx.shift  # the statistics are the draws' times 2^-shift
    every = list(range(GROUPS))
    full = _direct_fd(x, y, gx, gy, [every[j::b] for j in range(b)], by_size)
    assert parts.value * scale == pytest.approx(full, rel=1e-9, abs=1e-12)
    for g in (0, 5, GROUPS - 1):
        rest = [[k for k in every[j::b] if k != g] for j in range(b)]
        assert parts.left_out[g] * scale == pytest.approx(
            _direct_fd(x, y, gx, gy, rest, by_size), rel=1e-9, abs=1e-12
        )


def test_the_jackknife_error_is_its_formula():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    mean = values.mean()
    expected = math.sqrt(3 / 4 * float(np.sum((values - mean) ** 2)))
    assert jackknife_error(values) == pytest.approx(expected, rel=1e-15)
    assert jackknife_error(np.full(8, 3.0)) == 0.0


def test_the_groups_are_used_where_measured_and_the_batches_kept_elsewhere():
    assert variance_groups(GROUPS_FROM, 4) == variance_groups(GROUPS_UP_TO, 4) == GROUPS
    assert variance_groups(GROUPS_UP_TO + 1, 4) == 4  # unmeasured: the batches' interval
    assert variance_groups(GROUPS_FROM - 1, 4) == 4  # d = 2: an end missed 4.5%
    assert variance_groups(32, 5) == 5  # another number of batches: the batches themselves
    rng = np.random.default_rng(1)
    few = rng.standard_normal((40, 8))  # groups of 1 or 2 draws: the 4 batches
    bx, by = (r.moments for r in read_samples([(few, "x", 0), (few + 1.0, "y", 1)], 4))
    assert len(bx.parts) == len(by.parts) == 4
    wide = rng.standard_normal((40, GROUPS_UP_TO + 1))
    assert len(read_samples([(wide, "x", 0)], 4)[0].moments.parts) == 4


def jackknife_cells() -> list[tuple[int, int, int, int]]:
    """The jackknife's cells in the coverage table: (d, below, above, repetitions) a row."""
    section = COVERAGE_TABLE.read_text().split("## FD's interval: batches against the jackknife")[1]
    section = section.split("\n## ")[0]
    row = re.compile(
        r"^\| FD (?:difference )?\| ([^|]+) \| (\d+) \| \d+ \|(?:[^|]*\|){4} [^|]+ \| "
        r"(\d+)/(\d+)( of \d+)? \|"
    )
    cells = []
    for line in section.splitlines():
        if m := row.match(line):
            case, d, low, high, of = m.groups()
            reps = re.search(r"(\d+)", of) if of else re.search(r"(\d+) repetitions", case)
            cells.append((int(d), int(low), int(high), int(reps.group(1)) if reps else 200))
    return cells


def test_the_groups_are_used_only_where_each_end_held_its_share():
    """Every cell the table measured with the groups, in their range, misses at most 3.5% an end."""
    cells = jackknife_cells()
    assert {GROUPS_FROM, GROUPS_UP_TO} <= {d for d, *_ in cells}  # both ends were measured
    inside = [c for c in cells if GROUPS_FROM <= c[0] <= GROUPS_UP_TO]
    assert len(inside) >= 20
    for d, low, high, reps in inside:
        assert 1000 * max(low, high) <= 35 * reps, (d, low, high, reps)


@pytest.mark.slow  # 1.7 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize(
    "d", [GROUPS_FROM, FIRST_ORDER_FROM - 1, FIRST_ORDER_FROM, GROUPS_UP_TO, GROUPS_UP_TO + 1]
)
def test_the_interval_s_half_width_is_student_s_over_its_construction(d):
    """The jackknife's below FIRST_ORDER_FROM; from it, the delta method's (Satterthwaite).

    The delta method's ends are Wilson's score form below d^2 = 16 n (d = 64 and 257 here),
    symmetric from it (d = 256 at n = 2000).
    """
    rng = np.random.default_rng(2)
    n = 2000 if d <= GROUPS_UP_TO else 5000  # where the claim starts above d = 256
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d)) + 0.5
    est = dv.estimate.frechet(x, y)
    rx, ry = read_samples([(x, "x", 0), (y, "y", 1)], 4, keep=KEPT_DRAWS)
    bx, by = rx.moments, ry.moments
    assert len(bx.parts) == len(by.parts) == (GROUPS if d <= GROUPS_UP_TO else 4)
    scale = 4.0**bx.shift
    if d >= FIRST_ORDER_FROM:
        parts = paired_parts(bx, by, 4, (rx.kept, ry.kept), 0)
        assert parts.left_out is None  # no refits without each group
        spread, dof = single_error(parts.first_order)
        assert 100.0 < dof <= KEPT_DRAWS - 1 and "delta method" in est.method
        q = float(student.isf(0.025, dof))
        shift, half = delta_ends(parts.first_order, parts.value, spread, q)
        if score_form_runs(parts.first_order):
            assert d != GROUPS_UP_TO and 0.0 < shift < 0.5 * half and half > q * spread  # Wilson's
            assert "score form" in est.method
        else:
            assert d == GROUPS_UP_TO and shift == 0.0 and half == q * spread
            assert "ends symmetric" in est.method
        centre = (est.upper_bound + est.lower_bound) / 2
        assert centre == pytest.approx((parts.value + shift) * scale, rel=1e-6)
    else:
        spread, dof = jackknife_error(paired_parts(bx, by, 4).left_out), GROUPS - 1.0
        assert "delta method" not in est.method
        half = float(student.isf(0.025, dof)) * spread
    assert (est.upper_bound - est.lower_bound) / 2 == pytest.approx(half * scale, rel=1e-6)


@pytest.mark.slow
def test_the_standard_error_meets_the_spread_over_samples():
    """Over 150 samples (d = 8, n = 2000, FD = 1) the mean jackknife error is the spread's."""
    rng = np.random.default_rng(3)
    d, n = 8, 2000
    values, errors = [], []
    for rep in range(150):
        x = rng.standard_normal((n, d))
        y = rng.standard_normal((n, d)) + 1.0 / math.sqrt(d)
        bx, by = (r.moments for r in read_samples([(x, "x", rep), (y, "y", rep + 1)], 4))
        parts = paired_parts(bx, by, 4)
        values.append(parts.value * 4.0**bx.shift)
        errors.append(jackknife_error(parts.left_out) * 4.0**bx.shift)
    spread = float(np.std(values, ddof=1))
    assert 0.8 < float(np.mean(errors)) / spread < 1.25
