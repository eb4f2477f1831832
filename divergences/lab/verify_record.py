"""The record of a ``divergences verify`` run: each step's verdict, kept in a JSON file.

``divergences verify --record FILE`` writes what every step gave (its claim, method, error,
tolerance, verdict and seconds) with a digest of the sources it ran: the package's Python modules
and the proofs'. A reader that holds the same sources can show those verdicts without running the
steps again; the site's proof catalogue does so when ``DIVERGENCES_VERIFY_RECORD`` names a record
(CI builds the site after the wheel's own ``verify``, whose record it reads). A record of other
sources, of another Hypothesis profile or of another format is not used: the steps are run.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import divergences
from divergences.lab.proof import Outcome
from divergences.lab.proof_files import PROOFS_PACKAGE

__all__ = [
    "RECORD_FORMAT",
    "outcome_row",
    "read_record",
    "result_cell",
    "source_digest",
    "write_record",
]

#: The format stamp of a record; a record with another is not read.
RECORD_FORMAT = "divergences-verify-record/1"


def source_digest() -> str:
    """SHA-256 of the package's Python modules and the proofs', by path inside the package.

    The same in a source tree (the proofs in its top-level ``proofs/``) and in an installed wheel
    (the proofs inside the package), so that a record written by either is read by the other.
    """
    package = Path(divergences.__file__).parent
    proofs = Path(str(importlib.resources.files(PROOFS_PACKAGE)))
    files = {
        f"divergences/{p.relative_to(package).as_posix()}": p
        for p in package.rglob("*.py")
        if not p.is_relative_to(proofs) and "__pycache__" not in p.parts
    }
    files |= {f"proofs/{p.name}": p for p in proofs.glob("*.py")}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].read_bytes() + b"\0")
    return digest.hexdigest()


def _finite_or_text(x: float) -> float | str:
    """JSON has no inf or NaN: those are written as their ``repr``."""
    return x if math.isfinite(x) else repr(x)


def outcome_row(o: Outcome) -> dict[str, Any]:
    """One step's row of a record: what it claims and what running it gave."""
    row: dict[str, Any] = {
        "proof": o.step.proof,
        "step": o.step.name,
        "claim": o.step.claim,
        "method": o.step.method,
        "holds": o.holds,
        "seconds": o.seconds,
        "exception": o.exception,
    }
    if o.check is not None:
        c = o.check
        row |= {
            "error": _finite_or_text(c.error),
            "tolerance": _finite_or_text(c.tolerance),
            "relation": c.relation,
        }
    return row


def write_record(outcomes: Sequence[Outcome], path: str | Path, *, profile: str) -> None:
    """Writes each outcome's row with the sources' digest and the profile to ``path``."""
    record = {
        "format": RECORD_FORMAT,
        "sources": source_digest(),
        "profile": profile,
        "steps": [outcome_row(o) for o in outcomes],
    }
    Path(path).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def read_record(path: str | Path, *, profile: str) -> dict[tuple[str, str], dict[str, Any]] | None:
    """The record's steps by ``(proof title, step name)``; None where it does not apply here.

    It applies when its format is :data:`RECORD_FORMAT`, its digest is :func:`source_digest`'s
    and its profile is ``profile``.

    Raises:
      ValueError: when ``path`` is not a file, or not JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"the verify record {str(path)!r} is not a file")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the verify record {str(path)!r} is not JSON: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        return None
    if record.get("sources") != source_digest() or record.get("profile") != profile:
        return None
    return {(row["proof"], row["step"]): row for row in record["steps"]}


def result_cell(row: dict[str, Any]) -> str:
    """A row's result as one line: ``holds: error 1.2e-16 <= 1e-10``, or the step's error."""
    if "error" not in row:
        return f"ERROR: {row['exception']}"
    error, tolerance = float(row["error"]), float(row["tolerance"])
    verdict = "holds" if row["holds"] else "FAILS"
    return f"{verdict}: error {error:.1e} {row['relation']} {tolerance:.0e}"
