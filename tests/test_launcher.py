"""The ``divergences`` command without the lab's packages says what to install."""

from __future__ import annotations

import importlib.util

import pytest

import divergences as dv
from divergences import _launcher


def test_the_command_without_the_lab_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name in ("sympy", "optax") else real(name, *args),
    )
    assert _launcher.main(["tour"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "sympy, optax not installed" in err
    assert "pip install 'divergences[lab]'" in err
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert _launcher.missing_lab_packages() == []


def test_the_version_needs_no_lab_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_launcher, "missing_lab_packages", lambda: ["sympy"])
    assert _launcher.main(["--version"]) == 0
    assert capsys.readouterr().out == f"divergences {dv.__version__}\n"
