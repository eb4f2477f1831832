"""Checks recorded by one process for another to show, so that a check runs once per session.

The test session runs every step of the lectures' proofs; the documentation site lists the same
steps with their results. When the site is built within the session (``tests/test_docs.py``), each
step that held in a test leaves its numbers in a folder, and the build shows them instead of
running the step again. Only steps that held are recorded: a step without a record runs.

Other results that take seconds to compute are recorded the same way, by kind and identity
(:func:`record_result`): the teaching notebooks that the session executes leave the training runs
and critic sweeps they computed, a test leaves the output of the commands the site shows
(:func:`run_command`), and the site's pages show those (runs of one configuration on one machine
are bit-identical) instead of computing them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any, TypedDict

__all__ = [
    "Recorded",
    "command_identity",
    "record",
    "record_result",
    "record_run",
    "recorded",
    "recorded_result",
    "recorded_run",
    "run_command",
]


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


def _result_path(folder: str | os.PathLike[str], kind: str, identity: Any) -> pathlib.Path:
    digest = hashlib.sha256(f"{kind}\0{identity!r}".encode()).hexdigest()[:32]
    return pathlib.Path(folder) / f"{kind.replace(' ', '-')}-{digest}.pickle"


def record_result(folder: str | os.PathLike[str], kind: str, identity: Any, value: Any) -> None:
    """Writes ``value``, a result of ``kind`` (``"training run"``, ``"critic sweep"``,
    ``"command"``) computed from ``identity`` (whatever determines it, comparable with ``==``),
    into ``folder``, atomically."""
    _write_atomically(_result_path(folder, kind, identity), pickle.dumps((kind, identity, value)))


def recorded_result(folder: str | os.PathLike[str], kind: str, identity: Any) -> Any | None:
    """The result of ``kind`` computed from ``identity`` recorded in ``folder``, or None."""
    path = _result_path(folder, kind, identity)
    if not path.is_file():
        return None
    stored_kind, stored, value = pickle.loads(path.read_bytes())  # written by record_result
    return value if (stored_kind, stored) == (kind, identity) else None


def record_run(folder: str | os.PathLike[str], run: Any) -> None:
    """Writes a finished training run (a ``TrainingRun`` of the lab, keyed on its ``config``) into
    ``folder``, atomically."""
    record_result(folder, "training run", run.config, run)


def recorded_run(folder: str | os.PathLike[str], config: Any) -> Any | None:
    """The training run of ``config`` recorded in ``folder`` by this test session, or None."""
    return recorded_result(folder, "training run", config)


def command_identity(args: Sequence[str], cwd: str | os.PathLike[str]) -> tuple[Any, ...]:
    """What determines the output of ``divergences ARGS`` run in ``cwd``, for
    :func:`record_result`: the arguments, and the contents of those that are files (a user's
    proof file). The installed package is the session's own."""
    files = [pathlib.Path(cwd) / a for a in args if (pathlib.Path(cwd) / a).is_file()]
    return (tuple(args), tuple(hashlib.sha256(f.read_bytes()).hexdigest() for f in files))


def run_command(args: Sequence[str], cwd: str | os.PathLike[str]) -> tuple[int, str]:
    """Runs ``divergences ARGS`` (as ``python -m divergences``) in ``cwd`` as a user would, with
    this interpreter, figures drawn off-screen and Hypothesis' files in a temporary folder (so
    that nothing is written into ``cwd``); returns the exit status and what it printed."""
    with tempfile.TemporaryDirectory() as storage:
        env = {**os.environ, "MPLBACKEND": "Agg", "HYPOTHESIS_STORAGE_DIRECTORY": storage}
        result = subprocess.run(
            [sys.executable, "-m", "divergences", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    return result.returncode, (result.stdout + result.stderr).rstrip()
