"""The example proofs of the docs (``docs/examples``), run as the page "Verify your own" runs them:
``divergences verify`` on each exits as the page promises and prints what the page shows."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

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
    example: str, status: int, shows: str, tmp_path: pathlib.Path
) -> None:
    # From the docs folder, as the page runs it; Hypothesis' files go to a temporary folder.
    env = {**os.environ, "MPLBACKEND": "Agg", "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "divergences", "verify", f"examples/{example}"],
        cwd=DOCS,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    printed = result.stdout + result.stderr
    assert result.returncode == status, printed[-3000:]
    assert shows in printed
