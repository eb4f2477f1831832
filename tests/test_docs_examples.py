"""The docs' example proofs (``docs/examples``), verified as the page "Verify your own" runs them.

``divergences verify`` on each, from the docs folder, exits as the page promises and prints what the
page shows. (In this process: ``make docs`` runs the same commands in a subprocess, and
tests/lab/test_cli.py runs the command itself.)
"""

from __future__ import annotations

import pathlib

import pytest

from divergences.lab.cli import main

pytestmark = pytest.mark.slow

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize(
    ("example", "status", "shows"),
    [
        ("proof_my_claims.py", 0, "all 5 steps hold"),
        ("proof_pinsker_upside_down.py", 1, "counterexample (the drawn input that breaks it):"),
    ],
)
def test_example_proof_exits_as_the_page_says(
    example: str,
    status: int,
    shows: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(DOCS)
    returncode = main(["verify", f"examples/{example}"])
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert returncode == status, printed[-3000:]
    assert shows in printed
