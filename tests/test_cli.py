"""The command line: ``divergences tour`` reproduces the known values of the built-in examples."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import divergences as dv
from divergences.cli import main
from divergences.examples import EXAMPLES
from divergences.tour import tour
from tests.conftest import tolerance


def test_tour_succeeds_and_prints_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    assert "all known values reproduced" in out
    for ex in EXAMPLES:
        assert ex.name[:30] in out


def test_tour_fails_when_the_tolerance_cannot_be_met(capsys: pytest.CaptureFixture[str]) -> None:
    # A negative tolerance cannot be met: the command must say so and return 1.
    assert main(["tour", "--tolerance", "-1"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_tour_values_match_the_functions() -> None:
    rows = tour()
    assert [r.name for r in rows] == [ex.name for ex in EXAMPLES]
    for row, ex in zip(rows, EXAMPLES, strict=True):
        assert row.worst_error <= tolerance("float64")["rtol"]  # values are of order 1
        assert row.values["kl"] == float(dv.kl(ex.p, ex.q))
        for key, known in ex.known.items():
            if math.isinf(known):
                assert row.values[key] == known
            else:
                assert abs(row.values[key] - known) <= row.worst_error


def test_unknown_command_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["no-such-command"])


def test_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "divergences", "tour"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "all known values reproduced" in out.stdout
