"""The test session's own rule (the root conftest.py): a quick test past ``--quick-limit`` fails.

The hooks are called with reports shaped as pytest's (duration, phase, test id, keywords), on
copies of the session's state, so that the session running these tests keeps its own.
"""

from __future__ import annotations

import types

import pytest

import conftest as session_rules


def _report(seconds: float, when: str = "call", *, slow: bool = False) -> types.SimpleNamespace:
    keywords = {"test_x": 1, **({"slow": 1} if slow else {})}
    nodeid = f"tests/test_x.py::test_x[{when}-{seconds}]"
    return types.SimpleNamespace(duration=seconds, when=when, nodeid=nodeid, keywords=keywords)


def _session(status: pytest.ExitCode = pytest.ExitCode.OK) -> types.SimpleNamespace:
    return types.SimpleNamespace(config=types.SimpleNamespace(), exitstatus=status)


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setattr(session_rules, "_OVER_LIMIT", [])
    monkeypatch.setattr(session_rules, "_quick_limit", 5.0)
    return session_rules


def test_a_quick_phase_past_the_limit_fails_a_session_that_passed(rules) -> None:
    for report in (_report(4.9), _report(5.1, "setup"), _report(60.0, slow=True)):
        rules.pytest_runtest_logreport(report)
    assert [(seconds, when) for seconds, when, _ in rules._OVER_LIMIT] == [(5.1, "setup")]
    session = _session()
    rules.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    failed = _session(pytest.ExitCode.INTERRUPTED)  # a worse verdict is kept
    rules.pytest_sessionfinish(failed)
    assert failed.exitstatus == pytest.ExitCode.INTERRUPTED


def test_within_the_limit_or_without_one_the_session_keeps_its_verdict(rules, monkeypatch) -> None:
    rules.pytest_runtest_logreport(_report(5.0, "teardown"))
    session = _session()
    rules.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.OK
    monkeypatch.setattr(rules, "_quick_limit", None)  # make test sets it; plain pytest does not
    rules.pytest_runtest_logreport(_report(100.0))
    assert rules._OVER_LIMIT == []


def test_a_worker_hands_its_reports_on_and_leaves_the_verdict_to_the_controller(rules) -> None:
    rules.pytest_runtest_logreport(_report(9.0))
    worker = _session()
    worker.config.workeroutput = {}
    rules.pytest_sessionfinish(worker)
    assert worker.exitstatus == pytest.ExitCode.OK and "cpu_seconds" in worker.config.workeroutput
