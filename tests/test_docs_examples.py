"""The example proofs of the docs (``docs/examples``), run as the page "Verify your own" runs them.

``divergences verify`` on each exits as the page promises, and its output is recorded for the docs
build of this session (``tests/test_docs.py``), which shows it instead of running the command a
second time (:func:`divergences.testing.recorded.command_identity`: the same arguments and files).
"""

from __future__ import annotations

import pathlib

import pytest

from divergences.testing.recorded import command_identity, record_result, run_command

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
    example: str, status: int, shows: str, recorded_results: pathlib.Path
) -> None:
    args = ["verify", f"examples/{example}"]
    returncode, printed = run_command(args, DOCS)
    assert returncode == status, printed[-3000:]
    assert shows in printed
    record_result(recorded_results, "command", command_identity(args, DOCS), (returncode, printed))
