"""Precision, recall, density and coverage: the calibration cases with truths known in advance.

Each case is one seeded draw whose margin to the assertion is many standard errors wide (the
repetitions that measure the intervals' coverage are ``benchmarks/bench_fidelity.py``'s).
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv
from divergences.estimate import ASYMPTOTIC_CLAIMS, NoCoverageWarning
from divergences.estimate._src.neighbours.fidelity import equal_laws_coverage
from tests.helpers import COVERAGE_TABLE as TABLE

MEASURES = ("precision", "recall", "density", "coverage")


def modes(count: int, n: int, rng: np.random.Generator, d: int = 2) -> np.ndarray:
    """Draws of an equal mixture of unit Gaussians whose centres lie 30 apart on a line."""
    centres = np.zeros((count, d))
    centres[:, 0] = 30.0 * np.arange(count)
    return centres[rng.integers(0, count, n)] + rng.standard_normal((n, d))


def test_a_collapsed_model_keeps_its_precision_and_loses_recall_and_coverage():
    # The data has 4 modes; the model draws 2 of them: precision about 1, recall and coverage
    # at most 1/2 (the balls of the dropped modes' draws hold no generated draw).
    rng = np.random.default_rng(0)
    real, generated = modes(4, 2000, rng), modes(2, 2000, rng)
    f = dv.estimate.fidelity_diversity(real=real, generated=generated)
    equal = dv.estimate.fidelity_diversity(real=real, generated=modes(4, 2000, rng))
    assert f.precision.lower_bound > 0.95 and f.precision.kind == "finite-sample"
    assert 0.4 < f.recall.value <= 0.5 and f.recall.upper_bound < 0.55
    assert abs(f.recall.value - equal.recall.value / 2) < 0.04
    assert 0.4 < f.coverage.value <= 0.5
    assert f.density.contains(1.0) and equal.coverage.value > 0.93
    # the roles swapped: the collapsed sample as the data reads as a model of poor precision
    swapped = dv.estimate.fidelity_diversity(real=generated, generated=real)
    assert swapped.precision.upper_bound < 0.55 and swapped.recall.lower_bound > 0.95


def test_the_roles_are_named_never_positional():
    x = np.zeros((10, 2))
    for name in (*MEASURES, "fidelity_diversity"):
        with pytest.raises(TypeError):
            getattr(dv.estimate, name)(x, x)


def test_equal_laws_give_density_one_and_coverage_one_less_two_to_the_minus_k():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((4000, 3)), rng.standard_normal((4000, 3))
    f = dv.estimate.fidelity_diversity(real=x, generated=y)
    expected = equal_laws_coverage(4000, 4000, 5)
    assert abs(expected - (1 - 2**-5)) < 1e-3
    # density's spread over draws here is about 0.02, coverage's about 0.004
    assert abs(f.density.value - 1.0) < 0.1 and f.density.kind == "asymptotic"
    assert abs(f.coverage.value - expected) < 0.02
    assert f.precision.value > 0.9 and f.recall.value > 0.9


@pytest.mark.slow
def test_equal_laws_coverage_is_the_mean_over_repetitions():
    # the closed form against the mean of 300 small draws (its standard error about 0.003)
    rng = np.random.default_rng(2)
    n, m, k = 40, 30, 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)  # below the measured size
        values = [
            dv.estimate.coverage(
                real=rng.standard_normal((n, 2)), generated=rng.standard_normal((m, 2)), k=k
            ).value
            for _ in range(300)
        ]
    want = 1 - math.comb(n - 1, k) / math.comb(n + m - 1, k)
    assert abs(equal_laws_coverage(n, m, k) - want) < 1e-12
    assert abs(np.mean(values) - want) < 0.015


@pytest.mark.parametrize("engine", ["tree", "xla"])
def test_a_sample_with_duplicates_against_itself_is_fully_faithful_and_covering(engine):
    # Every draw repeated 6 times: every radius (k = 5) is 0. Closed balls hold the copies:
    # precision = recall = coverage = 1 and density 6/5 (strict balls would give 0), as the
    # module docstring says.
    rng = np.random.default_rng(3)
    x = np.repeat(rng.standard_normal((100, 4)), 6, axis=0)
    f = dv.estimate.fidelity_diversity(real=x, generated=x[::-1].copy(), engine=engine)
    assert (f.precision.value, f.recall.value, f.coverage.value) == (1.0, 1.0, 1.0)
    assert f.density.value == pytest.approx(1.2)
    # without duplicates too: each closed ball holds its centre and its k nearest, (k + 1) / k
    y = rng.standard_normal((600, 4))
    g = dv.estimate.fidelity_diversity(real=y, generated=y, k=4, engine=engine)
    assert (g.density.value, g.coverage.value) == (pytest.approx(5 / 4), 1.0)


def test_below_the_measured_size_density_and_coverage_claim_nothing():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((100, 2)), rng.standard_normal((100, 2))
    with pytest.warns(NoCoverageWarning, match="density"):
        e = dv.estimate.density(real=x, generated=y)
    assert (e.kind, e.lower_bound, e.upper_bound) == ("no-coverage-claim", 0.0, 20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        assert dv.estimate.precision(real=x, generated=y).claims_coverage


def density_ends() -> list[tuple[int, int, int, int, int]]:
    """The coverage table's density ends: (d, n, below, above, repetitions) a cell."""
    section = TABLE.read_text().split("Density, each end over every repetition run")[1]
    rows = [line for line in section.split("\n\n")[1].splitlines() if re.match(r"\| \d", line)]
    cells = []
    for row in rows:
        d, n, *cases = (c.strip() for c in row.strip("|").split("|"))
        for case in cases:
            below, above, reps = re.match(r"(\d+)/(\d+) of ([\d,]+)", case).groups()
            cells.append((int(d), int(n), int(below), int(above), int(reps.replace(",", ""))))
    return cells


def test_density_claims_only_where_each_end_held_its_share():
    # each end of a claimed cell misses at most 2.5% + 1% of the repetitions run for it (whole
    # numbers: two cells sit on the bar)
    claim, cells = ASYMPTOTIC_CLAIMS["density"], density_ends()
    assert len(cells) == 18 and {d for d, *_ in cells} == {2, 4, 8}
    for d, n, below, above, reps in cells:
        assert not claim.holds(d, n) or 1000 * max(below, above) <= 35 * reps, (d, n, below, above)
    assert all(claim.holds(d, n) for d, n, *_ in cells)  # every cell measured here is claimed
    assert not claim.holds(32, 2000)  # its upper end missed 5.0% of 400 there


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 10}, "k must be below the size of each sample"),
        ({"k": 0}, "k must be"),
        ({"level": 1.0}, "level"),
    ],
)
def test_bad_options_are_named(kwargs, match):
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match=match):
        dv.estimate.precision(real=x, generated=x, **kwargs)


def test_bad_draws_are_named_by_role():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="generated must be finite"):
        dv.estimate.recall(real=x, generated=np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="real and generated must be draws in one dimension"):
        dv.estimate.recall(real=x, generated=np.zeros((10, 3)))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(4, 30),
    m=st.integers(4, 30),
    k=st.integers(1, 3),
    repeat=st.booleans(),
)
def test_every_measure_lies_in_its_interval_and_range(seed, n, m, k, repeat):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (n, 2)).astype(float) if repeat else rng.standard_normal((n, 2))
    y = rng.standard_normal((m, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        f = dv.estimate.fidelity_diversity(real=x, generated=y, k=k)
    tops = {"precision": 1.0, "recall": 1.0, "density": n / k, "coverage": 1.0}
    for name, e in zip(MEASURES, f, strict=True):
        assert e.quantity == name and (e.n, e.m) == (n, m)
        assert 0.0 <= e.lower_bound <= e.value <= e.upper_bound <= tops[name]
