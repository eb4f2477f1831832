"""The record of a ``divergences verify`` run: each step's verdict, kept in a JSON file.

``divergences verify --record FILE`` writes what every step gave (its claim, method, error,
tolerance, verdict and seconds) with a digest of the package's Python modules and its proofs,
the Hypothesis profile, and the versions of Python and of the libraries the steps run on. A
reader with the same sources and versions can show those verdicts without running the package's
proofs again: the site's proof catalogue does so when ``DIVERGENCES_VERIFY_RECORD`` names a record
(CI builds the site after the wheel's own ``verify``, whose record it reads). Any other record
(a user's own proofs, other sources, profile or versions, another format) is not used: the steps
run. The compiled extension's C++ is not in the digest (a wheel holds only its build); CI writes
its record from the same commit.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import math
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import divergences
from divergences.lab.proof import Outcome
from divergences.lab.verify.proof_files import PROOFS_PACKAGE

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


#: The distributions whose versions a record names: another version is another run.
_VERSIONED = ("jax", "jaxlib", "numpy", "scipy", "pot", "hypothesis", "sympy", "python-flint")


def _versions() -> dict[str, str]:
    """Python's version and those of :data:`_VERSIONED` (``""`` for one not installed)."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = ""
    return out


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


def write_record(
    outcomes: Sequence[Outcome], path: str | Path, *, profile: str, packaged: bool
) -> None:
    """Writes each outcome's row with the sources' digest, the profile and the versions to ``path``.

    ``packaged``: whether the proofs run were the package's own (False for a user's files, whose
    sources the digest does not cover: such a record is never read for the package's proofs).
    """
    record = {
        "format": RECORD_FORMAT,
        "sources": source_digest(),
        "packaged": packaged,
        "profile": profile,
        "versions": _versions(),
        "steps": [outcome_row(o) for o in outcomes],
    }
    Path(path).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def read_record(path: str | Path, *, profile: str) -> dict[tuple[str, str], dict[str, Any]] | None:
    """The steps of a record of the package's proofs by ``(proof title, step name)``, or None.

    None where it does not apply here: a format other than :data:`RECORD_FORMAT`, a user's own
    proofs, sources other than these (:func:`source_digest`), another profile, other versions of
    Python or of the distributions it names, or two steps of one name in a proof.

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
    same = (
        record.get("packaged") is True
        and record.get("sources") == source_digest()
        and record.get("profile") == profile
        and record.get("versions") == _versions()
    )
    if not same:
        return None
    steps = {(row["proof"], row["step"]): row for row in record["steps"]}
    return steps if len(steps) == len(record["steps"]) else None


def result_cell(row: dict[str, Any]) -> str:
    """A row's result as one line: ``holds: error 1.2e-16 <= 1e-10``, or the step's error."""
    if "error" not in row:
        return f"ERROR: {row['exception']}"
    error, tolerance = float(row["error"]), float(row["tolerance"])
    verdict = "holds" if row["holds"] else "FAILS"
    return f"{verdict}: error {error:.1e} {row['relation']} {tolerance:.0e}"
