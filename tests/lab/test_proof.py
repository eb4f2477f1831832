"""The proof framework: checks, steps, and the table the runner prints."""

from __future__ import annotations

import math

import pytest
from hypothesis import strategies as st

from divergences.lab.proof import Check, Proof, StepFailed, over_examples, symbolic_zero, worst_of
from divergences.lab.verify import run
from divergences.lab.verify.formatting import format_failures, format_table


def test_check_equal_reports_the_worst_entry_and_handles_inf() -> None:
    c = Check.equal([1.0, 2.0 + 1e-9, math.inf], [1.0, 2.0, math.inf], rtol=0.0, atol=1e-12)
    assert not c.holds and c.error == pytest.approx(1e-9, rel=1e-6)
    assert Check.equal(math.inf, math.inf, rtol=0, atol=0).holds
    assert not Check.equal(math.inf, 1.0, rtol=0, atol=1).holds
    assert not Check.equal(math.nan, 1.0, rtol=1, atol=1).holds


def test_at_most_and_differ() -> None:
    assert Check.at_most([0.5, 1.0], [1.0, 1.0], atol=0).holds
    assert Check.at_most(math.inf, math.inf, atol=0).holds
    c = Check.at_most(1.1, 1.0, atol=0.01)
    assert not c.holds and c.error == pytest.approx(0.1)
    assert Check.differ(0.0, 1.0, at_least=0.5).holds
    assert not Check.differ([0.0, 1.0], [0.1, 3.0], at_least=0.5).holds
    assert worst_of([Check(0.0, 1.0), Check(0.9, 1.0), Check(2.0, 1.0, ">=")]).error == 0.9


def test_symbolic_zero() -> None:
    import sympy as sp

    x = sp.symbols("x", positive=True)
    assert symbolic_zero(sp.log(x**2) - 2 * sp.log(x)).holds
    assert not symbolic_zero(sp.log(x) - x).holds


def test_over_examples_reports_worst_and_falsifies() -> None:
    ok = over_examples(st.floats(0, 1), lambda v: Check(v / 10, 0.2))
    assert ok.holds and "drawn examples" in ok.detail
    bad = over_examples(st.floats(0, 1), lambda v: Check(v, 0.5))
    assert not bad.holds and "falsified" in bad.detail


def test_steps_run_through_pytest_and_runner_alike() -> None:
    proof = Proof("demo")

    @proof.step("one plus one is two", method="numeric")
    def _good() -> Check:
        return Check.equal(1 + 1, 2, rtol=0, atol=0)

    @proof.step("one is two", method="numeric")
    def _bad() -> Check:
        return Check.equal(1, 2, rtol=0, atol=0.5)

    @proof.step("raises", method="numeric")
    def _boom() -> Check:
        raise RuntimeError("boom")

    good, bad, boom = proof.steps
    assert good.assert_holds().holds
    with pytest.raises(StepFailed, match="one is two"):
        bad.assert_holds()
    outcomes = run([proof], tour=False)
    assert [o.holds for o in outcomes] == [True, False, False]
    table = format_table(outcomes)
    assert "one plus one is two" in table and "FAIL" in table and "raised" in table
    failures = format_failures(outcomes)
    assert "step 'bad'" in failures and "exceeds the tolerance" in failures and "boom" in failures
    assert boom.name == "boom"


def test_a_failed_check_shows_the_two_values_compared_and_no_stray_separator() -> None:
    equal = Check.equal([1.0, 2.0, 3.0], [1.0, 2.0, 3.5], rtol=0.0, atol=1e-12)
    assert equal.explain() == (
        "error 5.000e-01 exceeds the tolerance 1.0e-12: at [2]: actual 3.0, expected 3.5"
    )
    scalar = Check.equal(2.0, 2.5, rtol=0.0, atol=1e-12)
    assert scalar.explain().endswith(": actual 2.0, expected 2.5")
    # Every digit: two values that differ in the last place are told apart.
    close = Check.equal(0.1 + 0.2, 0.3, rtol=0.0, atol=0.0)
    assert "actual 0.30000000000000004, expected 0.3" in close.explain()
    bound = Check.at_most([0.2, 0.7], 0.5, atol=0.0, detail="two entries")
    assert bound.explain().endswith("at [1]: left 0.7, right 0.5; two entries")
    gap = Check.differ([1.0, 4.0], [1.0 + 1e-9, 2.0], at_least=1e-3)
    assert gap.explain().startswith("gap 1.000e-09 is below the required 1.0e-03: at [0]: a 1.0")
    # A check built by hand carries no values and no detail: the line ends with the bound.
    assert Check(0.2, 0.1).explain() == "error 2.000e-01 exceeds the tolerance 1.0e-01"


def test_the_failure_report_of_a_numeric_step_ends_with_its_values() -> None:
    proof = Proof("slip")

    @proof.step("two equals two and a half", method="numeric")
    def _misses() -> Check:
        return Check.equal(2.0, 2.5, rtol=0.0, atol=1e-12)

    report = format_failures(run([proof], tour=False))
    assert report.splitlines()[-1] == (
        "    error 5.000e-01 exceeds the tolerance 1.0e-12: actual 2.0, expected 2.5"
    )
    assert not any(line.rstrip().endswith(";") for line in report.splitlines())
    with pytest.raises(StepFailed, match=r"1\.0e-12: actual 2\.0, expected 2\.5$"):
        proof.steps[0].assert_holds()
