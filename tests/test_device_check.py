"""The device check (benchmarks/device_check.py) run at its small size on the CPU.

The whole check runs on an accelerator (``make device-check``); here its cases run at the sizes of
``--small`` (the certified Sinkhorn's compile, some seconds, left to the device run), and its JUnit
reading is checked on a report written for the purpose.
"""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "device_check.py"


@pytest.fixture(scope="module")
def device_check():
    spec = importlib.util.spec_from_file_location("device_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["device_check"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["device_check"]


@pytest.mark.slow  # every group's kernels compiled at once: seconds, for a script run on a card
def test_small_run_writes_every_case_and_each_holds(device_check, tmp_path) -> None:
    groups = [g for g in device_check.GROUPS if g != "sinkhorn"]
    code = device_check.main(["--small", "--no-tests", "--out", str(tmp_path), "--groups", *groups])
    report = json.loads((tmp_path / "device_check.json").read_text())
    cases = {c["case"]: c for c in report["cases"]}
    assert code == 0, [c for c in report["cases"] if c["status"] != "ok"]
    assert {c["group"] for c in report["cases"]} == set(groups)
    assert report["env"]["backend"] == "cpu"
    for c in cases.values():
        if "x_read" in c or "x_limit" in c:
            assert c.get("x_read", c.get("x_limit")) > 0
    example = cases["w1_primal docstring example, auto"]
    assert example["exactly_2"] is True
    assert sorted(map(sorted, example["plan"])) == [[0.0, 0.5], [0.0, 0.5]]
    joints = [c for c in report["cases"] if c["case"].startswith("mutual_information [")]
    independent, *dependent = joints
    assert independent["exact"] == 0 and independent["error"] <= 1e-300
    assert len(dependent) == 2 and all(c["relative_error"] < 1e-10 for c in dependent)
    assert cases["mutual_information gradient at a 1e-200 entry"]["finite"] is True
    lines = next(c for c in report["cases"] if c["group"] == "lines")
    assert lines["js_above_log2"] == 0 and lines["max_tv_error"] <= 2**-52
    assert lines["max_js_error_ulps"] <= 4
    kid = next(c for c in report["cases"] if c["case"].startswith("KID pooled on the device"))
    assert kid["relative"] <= 1e-12 and kid["summed_on"] == "host"  # this CPU's: no words
    dense = next(c for c in report["cases"] if c["case"].startswith("dense under jit"))
    assert 0 <= dense["relative_gap"] < 1e-9 and math.isfinite(dense["value"])


def test_junit_counts_read_failures_and_errors(device_check, tmp_path) -> None:
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite tests="4" failures="1" errors="1" skipped="1">'
        '<testcase classname="tests.a" name="ok"/>'
        '<testcase classname="tests.a" name="bad"><failure message="x"/></testcase>'
        '<testcase classname="tests.b" name="broken"><error message="y"/></testcase>'
        '<testcase classname="tests.b" name="later"><skipped/></testcase>'
        "</testsuite></testsuites>"
    )
    counts = device_check.junit_counts(tmp_path / "junit.xml")
    assert counts == {
        "tests": 4,
        "failures": 1,
        "errors": 1,
        "skipped": 1,
        "failed": ["tests.a::bad", "tests.b::broken"],
    }


def test_a_value_beyond_its_accuracy_fails_the_check(device_check, tmp_path, monkeypatch) -> None:
    # What an H200 printed as status=ok: the mutual information at its ceiling, 8.2e-15, where
    # the truth is 1.86e-160 (relative error 4e145), and a gradient that is not the slope.
    check = device_check.Check(tmp_path / "report.json", small=True)
    monkeypatch.setattr(
        device_check.dv, "mutual_information", lambda joint: 8.2e-15 + 0 * joint.sum()
    )
    device_check.subnormals(check)
    status = {c["case"]: c["status"] for c in check.report["cases"]}
    assert status["backend behaviour"] == "ok"  # no truth: nothing to judge
    judged = [name for name in status if name.startswith("mutual_information")]
    assert len(judged) == 4 and all(status[name] == "fail" for name in judged)
    assert all("beyond its stated accuracy" in c["error"] for c in check.report["cases"][1:])


def test_each_timed_case_is_judged_against_its_target_at_a_devices_sizes(
    device_check, tmp_path
) -> None:
    check = device_check.Check(tmp_path / "report.json", small=False)
    check.case("evaluation", "estimate.frechet, 50000 x 2048", lambda: {"s": 3.0, "x_limit": 2.0})
    check.case("evaluation", "estimate.kid, 10000 x 2048", lambda: {"s": 1.0, "x_limit": 1.2})
    check.case("masses", "kl float32", lambda: {"s": 1.0, "x_read": 1.31})
    check.case("evaluation", "a limit", lambda: {"s": 1.0})
    status = [c["status"] for c in check.report["cases"]]
    assert status == ["fail", "ok", "fail", "ok"]
    assert check.report["cases"][0]["error"].startswith("off its target: x_limit <= 1.5")

    def peer() -> dict:
        raise device_check.Skipped("torchmetrics not importable")

    check.case("evaluation", "torchmetrics FID (peer)", peer)
    assert check.report["cases"][-1]["status"] == "skipped"
    small = device_check.Check(tmp_path / "small.json", small=True)  # a CPU's try-out: not judged
    small.case("evaluation", "estimate.kid, 250 x 16", lambda: {"s": 1.0, "x_limit": 40.0})
    assert small.report["cases"][0]["status"] == "ok"
