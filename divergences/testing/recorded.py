"""Checks recorded by one process for another to show, so that a check runs once per session.

The test session runs every step of the lectures' proofs; the documentation site lists the same
steps with their results. When the site is built within the session (``tests/test_docs.py``), each
step that held in a test leaves its numbers in a folder, and the build shows them instead of
running the step again. Only steps that held are recorded: a step without a record runs.

Training runs of the lab are recorded the same way (:func:`record_run`): the teaching notebooks
that the session executes leave the runs they trained, and the site's training page shows the run
of its configuration from there (runs of one configuration on one machine are bit-identical).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import pickle
from typing import Any, TypedDict

__all__ = ["Recorded", "record", "record_run", "recorded", "recorded_run"]


class Recorded(TypedDict):
    """A check that held: its error, how it compares with the tolerance, and the seconds it took."""

    error: float
    relation: str
    tolerance: float
    seconds: float


def _path(folder: str | os.PathLike[str], proof: str, step: str) -> pathlib.Path:
    digest = hashlib.sha256(f"{proof}\0{step}".encode()).hexdigest()[:32]
    return pathlib.Path(folder) / f"{digest}.json"


def _write_atomically(path: pathlib.Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that a reader in another process sees all of it or none."""
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)


def record(folder: str | os.PathLike[str], proof: str, step: str, result: Recorded) -> None:
    """Writes the result of ``step`` of ``proof`` into ``folder`` (atomically: a reader in another
    process sees the whole record or none)."""
    data = json.dumps({"proof": proof, "step": step, **result}).encode()
    _write_atomically(_path(folder, proof, step), data)


def recorded(folder: str | os.PathLike[str], proof: str, step: str) -> Recorded | None:
    """The record of ``step`` of ``proof`` in ``folder``, or None."""
    path = _path(folder, proof, step)
    if not path.is_file():
        return None
    data = json.loads(path.read_bytes())
    if data.get("proof") != proof or data.get("step") != step:
        return None
    return Recorded(
        error=float(data["error"]),
        relation=str(data["relation"]),
        tolerance=float(data["tolerance"]),
        seconds=float(data["seconds"]),
    )


def _run_path(folder: str | os.PathLike[str], config: Any) -> pathlib.Path:
    digest = hashlib.sha256(f"training run\0{config!r}".encode()).hexdigest()[:32]
    return pathlib.Path(folder) / f"run-{digest}.pickle"


def record_run(folder: str | os.PathLike[str], run: Any) -> None:
    """Writes a finished training run (a ``TrainingRun`` of the lab, keyed on its ``config``) into
    ``folder``, atomically."""
    _write_atomically(_run_path(folder, run.config), pickle.dumps(run))


def recorded_run(folder: str | os.PathLike[str], config: Any) -> Any | None:
    """The training run of ``config`` recorded in ``folder`` by this test session, or None."""
    path = _run_path(folder, config)
    if not path.is_file():
        return None
    run = pickle.loads(path.read_bytes())  # written by record_run in this session's folder
    return run if run.config == config else None
