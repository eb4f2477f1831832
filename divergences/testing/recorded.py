"""Checks recorded by one process for another to show, so that a check runs once per session.

The test session runs every step of the lectures' proofs; the documentation site lists the same
steps with their results. When the site is built within the session (``tests/test_docs.py``), each
step that held in a test leaves its numbers in a folder, and the build shows them instead of
running the step again. Only steps that held are recorded: a step without a record runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import TypedDict

__all__ = ["Recorded", "record", "recorded"]


class Recorded(TypedDict):
    """A check that held: its error, how it compares with the tolerance, and the seconds it took."""

    error: float
    relation: str
    tolerance: float
    seconds: float


def _path(folder: str | os.PathLike[str], proof: str, step: str) -> pathlib.Path:
    digest = hashlib.sha256(f"{proof}\0{step}".encode()).hexdigest()[:32]
    return pathlib.Path(folder) / f"{digest}.json"


def record(folder: str | os.PathLike[str], proof: str, step: str, result: Recorded) -> None:
    """Writes the result of ``step`` of ``proof`` into ``folder`` (atomically: a reader in another
    process sees the whole record or none)."""
    path = _path(folder, proof, step)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"proof": proof, "step": step, **result}))
    partial.replace(path)


def recorded(folder: str | os.PathLike[str], proof: str, step: str) -> Recorded | None:
    """The record of ``step`` of ``proof`` in ``folder``, or None."""
    path = _path(folder, proof, step)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if data.get("proof") != proof or data.get("step") != step:
        return None
    return Recorded(
        error=float(data["error"]),
        relation=str(data["relation"]),
        tolerance=float(data["tolerance"]),
        seconds=float(data["seconds"]),
    )
