"""The record of a verify run: written by ``--record``, read only where it holds these sources."""

from __future__ import annotations

import json
import math

import pytest

from divergences.lab.cli import main
from divergences.lab.proof import Check, Outcome, Step
from divergences.lab.verify.verify_record import (
    RECORD_FORMAT,
    read_record,
    result_cell,
    source_digest,
    write_record,
)
from tests.lab.test_cli import FAILING_PROOF


def _outcome(check: Check | None, exception: str = "") -> Outcome:
    step = Step("a claim", "numeric", lambda: Check(0.0, 1.0), "a_step", "A proof")
    return Outcome(step, check, 0.25, exception)


def test_verify_writes_a_record_that_reads_back_step_by_step(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    (proofs / "proof_99_injected.py").write_text(FAILING_PROOF)
    path = tmp_path / "record.json"
    assert main(["verify", str(proofs), "--record", str(path)]) == 1
    capsys.readouterr()
    record = json.loads(path.read_text())
    assert record["format"] == RECORD_FORMAT and record["sources"] == source_digest()
    assert record["packaged"] is False  # a user's own proofs: not read for the package's
    assert read_record(path, profile=record["profile"]) is None
    rows = {(row["proof"], row["step"]): row for row in record["steps"]}
    held, missed = rows[("injected", "holds")], rows[("injected", "misses")]
    assert held["holds"] and not missed["holds"]
    assert result_cell(held) == "holds: error 0.0e+00 <= 0e+00"
    assert result_cell(missed) == "FAILS: error 5.0e-01 <= 1e-12"


def test_a_record_of_other_sources_another_profile_or_format_is_not_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "record.json"
    write_record([_outcome(Check(1e-17, 1e-10))], path, profile="ci", packaged=True)
    assert read_record(path, profile="ci") is not None
    assert read_record(path, profile="check") is None
    record = json.loads(path.read_text())
    changed = {
        "sources": "0" * 64,
        "format": "divergences-verify-record/0",
        "packaged": False,
        "versions": {**record["versions"], "jax": "0.0.1"},
        "steps": record["steps"] * 2,  # two steps of one name
    }
    for field, value in changed.items():
        path.write_text(json.dumps({**record, field: value}))
        assert read_record(path, profile="ci") is None, field


def test_a_missing_or_unreadable_record_is_an_error_naming_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"record '.*nowhere.json' is not a file"):
        read_record(tmp_path / "nowhere.json", profile="ci")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"record '.*bad.json' is not JSON"):
        read_record(tmp_path / "bad.json", profile="ci")


def test_a_step_that_raised_and_an_infinite_error_are_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "record.json"
    outcomes = [_outcome(None, "ZeroDivisionError: x"), _outcome(Check(math.inf, 1e-10))]
    write_record(outcomes, path, profile="ci", packaged=True)
    strict = json.loads(path.read_text(), parse_constant=pytest.fail)  # no Infinity or NaN tokens
    raised, infinite = strict["steps"]
    assert result_cell(raised) == "ERROR: ZeroDivisionError: x" and not raised["holds"]
    assert result_cell(infinite) == "FAILS: error inf <= 1e-10" and not infinite["holds"]
