"""The Inception score with an interval (divergences.estimate.inception_score)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import rel_entr

import divergences as dv
from divergences.estimate import NoCoverageWarning, inception_score


def mixture(rows: int, seed: int) -> tuple[np.ndarray, float]:
    """Rows drawn from 30 fixed class-probability vectors over 8 classes, and the exact IS."""
    rng = np.random.default_rng(0)
    v = rng.dirichlet(np.full(8, 0.3), size=30)
    pi = rng.dirichlet(np.ones(30))
    p = pi @ v
    exact = math.exp(float(pi @ np.sum(rel_entr(v, p), axis=1)))
    return v[np.random.default_rng(seed).choice(30, size=rows, p=pi)], exact


def test_interval_covers_the_exact_score_and_the_plug_in_is_dv_inception_score() -> None:
    c, exact = mixture(4000, 1)
    out = inception_score(c)
    est = out.estimate
    assert (est.kind, est.sides, est.quantity) == ("asymptotic", "two-sided", "IS")
    assert est.lower_bound <= exact <= est.upper_bound
    assert out.estimate.plug_in == pytest.approx(float(dv.inception_score(c)), rel=1e-6)
    # the bias correction moves the point up by about (K_eff - 1) / (2N) in log IS
    assert 0.0 < math.log(est.value / out.estimate.plug_in) < 8 / 4000


def test_the_splits_are_the_plug_in_of_each_tenth() -> None:
    c, _ = mixture(1000, 2)
    out = inception_score(c, splits=10)
    scores = [float(dv.inception_score(part)) for part in np.array_split(c, 10)]
    assert out.splits_mean == pytest.approx(np.mean(scores), rel=1e-6)
    assert out.splits_std == pytest.approx(np.std(scores), rel=1e-4)
    assert "not an interval for IS" in out.note


def test_below_a_hundred_rows_a_class_no_coverage_is_claimed() -> None:
    c, _ = mixture(500, 3)
    with pytest.warns(NoCoverageWarning, match="from 100 rows a class"):
        out = inception_score(c)
    assert (out.estimate.kind, out.estimate.lower_bound, out.estimate.upper_bound) == (
        "no-coverage-claim", 1.0, 8.0,
    )  # fmt: skip


def test_one_class_for_every_row_gives_a_score_of_one() -> None:
    out = inception_score(np.tile([0.2, 0.3, 0.5], (300, 1)))
    assert out.estimate.value == pytest.approx(1.0) and out.estimate.plug_in == pytest.approx(1.0)
    assert 1.0 <= out.estimate.lower_bound <= out.estimate.upper_bound <= 1.0 + 1e-12


@pytest.mark.parametrize(
    ("c", "kwargs", "match"),
    [
        ([[0.5, 0.5]], {}, "at least 2 rows"),
        ([0.5, 0.5], {}, "2-D array"),
        ([[0.5, 0.6], [0.5, 0.5]], {}, "probabilities"),
        ([[0.5, 0.5], [0.5, 0.5]], {"splits": 3}, "splits must be at most"),
        ([[0.5, 0.5], [0.5, 0.5]], {"level": 1.0}, "level must be"),
    ],
)
def test_bad_input_is_refused(c: object, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        inception_score(c, **kwargs)


def test_a_generator_collapsed_onto_some_classes_claims_nothing_and_says_why() -> None:
    # 2000 confident rows of 3 classes, the other 7 leaking in a handful of rows: the rows of a
    # thin class carry KL terms far above the rest, and the normal interval's upper end missed
    # there (benchmarks/estimate_coverage.md, "The Inception score under collapse").
    rng = np.random.default_rng(4)
    kept = rng.integers(0, 3, 2000)
    kept[:7] = np.arange(3, 10)  # one row of each left-out class
    rows = np.eye(10)[kept] * 0.95 + 0.005
    with pytest.warns(NoCoverageWarning, match=r"class \d holds [\d.]+ rows' worth of probability"):
        out = inception_score(rows)
    assert out.estimate.kind == "no-coverage-claim"
    assert (out.estimate.lower_bound, out.estimate.upper_bound) == (1.0, 10.0)
    balanced = np.eye(10)[rng.integers(0, 10, 2000)] * 0.95 + 0.005  # each class ~200 rows
    assert inception_score(balanced).estimate.kind == "asymptotic"
