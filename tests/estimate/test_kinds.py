"""What an estimate claims, read by code: its kind, ``claims_coverage``, ``bound`` and ``str``.

An interval claims its level only where the caller gave its assumption (``"finite-sample"``) or
where the coverage table measured it (``"asymptotic"``, within ``ASYMPTOTIC_CLAIMS``); the
table is read here, so a claim the table does not back fails this file.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from divergences import estimate as dve
from divergences.estimate import ASYMPTOTIC_CLAIMS, INTERVAL_KINDS, Estimate, NoCoverageWarning
from divergences.testing.coverage_cases import CASES
from tests.helpers import COVERAGE_TABLE as TABLE

ROW = re.compile(
    r"^\| `(?P<estimator>\w+)` \| [^|]*(?:\\\|[^|]*)*\| (?P<d>\d+) \| (?P<n>\d+) \| "
    r"(?P<kind>[\w-]+) \| (?P<covered>\d+)/(?P<total>\d+) = [^|]*\|.*\| (?P<verdict>\w+) \|$"
)
LEVEL = 0.95


def table_rows() -> list[dict]:
    rows = []
    for line in TABLE.read_text().splitlines():
        match = ROW.match(line)
        if match:
            row = match.groupdict()
            for key in ("d", "n", "covered", "total"):
                row[key] = int(row[key])
            row["rate"] = row["covered"] / row["total"]
            rows.append(row)
    return rows


ROWS = table_rows()


def test_the_table_is_read_whole():
    lines = [line for line in TABLE.read_text().splitlines() if line.startswith("| `")]
    assert len(ROWS) == len(lines) > 50
    assert {row["estimator"] for row in ROWS} == {case.estimator for case in CASES}


#: The estimators the coverage table's family (divergences.testing.coverage_cases) measures; the
#: others' ranges were measured in the benchmark's own sections, pinned by their own tests.
TABLED = sorted({case.estimator for case in CASES} & set(ASYMPTOTIC_CLAIMS))


def test_the_claims_table_says_fd_s_whole_range():
    fd = ASYMPTOTIC_CLAIMS["frechet"]
    assert [(r.dimension, r.draws) for r in fd.ranges] == [(256, 1000), (768, 5000), (2048, 10_000)]
    assert all(r.measured.startswith("benchmarks/estimate_coverage.md: ") for r in fd.ranges)
    assert fd.holds(2048, 10_000) and not fd.holds(2048, 9_999)
    assert "d <= 2048 from n = 10000" in fd.refusal(4096, 10**5)
    assert fd.refusal(64, 1000) == ""
    assert set(ASYMPTOTIC_CLAIMS) >= {"frechet_difference", "kid_difference", "density", "coverage",
                                      "inception_score"}  # fmt: skip
    assert ASYMPTOTIC_CLAIMS["inception_score"].holds(10, 1000)
    assert not ASYMPTOTIC_CLAIMS["inception_score"].holds(10, 999)


@pytest.mark.parametrize("estimator", TABLED)
def test_every_asymptotic_claim_is_measured_covering_at_its_edges(estimator):
    # the coverage table's range, the first; FD's wider ones from exact statistics (test_frechet)
    top, least = ASYMPTOTIC_CLAIMS[estimator].ranges[0][:2]
    rows = [r for r in ROWS if r["estimator"] == estimator and r["kind"] == "asymptotic"]
    claimed = [r for r in rows if r["d"] <= top and r["n"] >= least]
    # the claim's corner is measured: its largest dimension, and its smallest size unless the
    # claim starts at the fewest draws the estimator takes (the exact W1: ASYMPTOTIC_CLAIMS)
    assert any(r["d"] == top for r in claimed)
    assert least == 2 or any(r["n"] == least for r in claimed)
    for r in claimed:
        assert r["rate"] >= LEVEL - 0.05, r
    # and every measured miss lies outside the claim
    for r in rows:
        if r["rate"] < LEVEL - 0.05:
            assert r["d"] > top or r["n"] < least, r


def test_every_finite_sample_row_passes_and_every_asymptotic_one_is_claimed():
    for r in ROWS:
        if r["kind"] == "finite-sample":
            assert r["verdict"] == "pass", r
        elif r["kind"] == "no-coverage-claim":  # the k-NN KL's claim refused by x's tails
            assert r["estimator"] == "kl" and r["verdict"] == "reported", r
        else:
            assert r["kind"] == "asymptotic" and r["estimator"] in ASYMPTOTIC_CLAIMS, r
    assert "subsampling" not in INTERVAL_KINDS


def gaussians(n, d, seed=0):
    rng = np.random.default_rng(seed)
    mu = np.zeros(d)
    mu[0] = 1.0
    return rng.standard_normal((n, d)), rng.standard_normal((n, d)) + mu


@pytest.mark.parametrize(("name", "low", "high"), [("kl", 0.0, math.inf), ("js", 0.0, math.log(2))])
def test_knn_above_the_claim_warns_and_claims_nothing(name, low, high):
    x, y = gaussians(300, 8)
    with pytest.warns(NoCoverageWarning, match=rf"{name}_from_discriminator .* mmd_test hold"):
        est = getattr(dve, name)(x, y)
    assert (est.kind, est.sides, est.claims_coverage, est.bound) == (
        "no-coverage-claim",
        "none",
        False,
        None,
    )
    assert (est.lower_bound, est.upper_bound) == (low, high) and low <= est.value <= high
    assert str(est) == f"{name.upper()} = {est.value:.4g}, no-coverage-claim"


def test_entropy_below_the_smallest_size_measured_claims_nothing():
    x, _ = gaussians(200, 2)
    with pytest.warns(NoCoverageWarning, match=r"d <= 2 from n = 250"):
        est = dve.entropy(x)
    assert (est.kind, est.lower_bound, est.upper_bound) == (
        "no-coverage-claim",
        -math.inf,
        math.inf,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        claimed = dve.entropy(np.concatenate([x, gaussians(50, 2, seed=1)[0]]))
    assert claimed.kind == "asymptotic" and claimed.claims_coverage


def test_w1_without_a_diameter_claims_within_the_measured_dimensions_only():
    x, y = gaussians(20, 64)
    assert dve.w1(x, y).claims_coverage
    with pytest.warns(NoCoverageWarning, match=r"diameter given as a number"):
        far = dve.w1(np.pad(x, ((0, 0), (0, 1))), np.pad(y, ((0, 0), (0, 1))))
    assert (far.kind, far.lower_bound, far.upper_bound, far.bound) == (
        "no-coverage-claim",
        0.0,
        math.inf,
        None,
    )
    assert str(far) == f"W1 = {far.value:.4g}, no-coverage-claim"


def test_an_assumption_read_off_the_draws_claims_no_coverage():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(size=400), rng.uniform(size=400) + 0.5
    for est in (
        dve.w1(x, y, diameter="sample"),
        dve.w1_dkw(x, y, diameter="sample"),
        dve.mmd_squared(x, y),
    ):
        assert (est.kind, est.sides, est.claims_coverage) == (
            "plug-in-assumption",
            "two-sided",
            False,
        )
        assert str(est).endswith("plug-in-assumption, coverage not claimed")
    for est in (
        dve.w1(x, y, diameter=1.5),
        dve.w1_dkw(x, y, diameter=1.5),
        dve.mmd_squared(x, y, bandwidth=1.0),
    ):
        assert (est.kind, est.sides, est.claims_coverage) == ("finite-sample", "two-sided", True)
        assert est.bound is None and est.lower_bound <= 0.5


def test_a_one_sided_bound_prints_and_reads_as_a_bound():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)
    critic = lambda z: 1 / (1 + np.exp(2 * z - 2))  # noqa: E731  D* = p / (p + q)
    for name, top in (("js", math.log(2)), ("tv", 1.0), ("kl", math.inf)):
        est = getattr(dve, f"{name}_from_discriminator")(x, y, critic)
        assert (est.sides, est.bound, est.upper_bound) == ("lower", est.lower_bound, top)
        text = f"{name.upper()} >= {est.lower_bound:.4g} at 95%, finite-sample (estimate {est.value:.4g})"
        assert str(est) == text and repr(est) == f"Estimate({text}; n=4000, m=4000)"
        assert "[" not in str(est) and "<=" not in str(est)  # the range's end is not printed
    assert str(dve.w1_dkw(x, y)).startswith("W1 >= ")


def test_an_upper_bound_and_a_two_sided_interval_print_as_such():
    upper = Estimate(0.2, 0.0, 0.3, 0.9, "finite-sample", "upper", "", "", 10, 10, "TV")
    assert (str(upper), upper.bound) == ("TV <= 0.3 at 90%, finite-sample (estimate 0.2)", 0.3)
    both = upper._replace(sides="two-sided", kind="asymptotic")
    assert str(both) == "TV = 0.2 in [0, 0.3] at 90%, asymptotic" and both.bound is None
