"""Proof files: find them, import them, and say what is wrong with one that cannot be loaded.

A proof is a file, one per derivation, declaring a :class:`divergences.lab.proof.Proof` named
``PROOF``. The proofs of the lectures are shipped with the package (:data:`PROOFS_PACKAGE`, the
source tree's top-level ``proofs/`` folder); a user's own are files or folders given by path, loaded
under names of their own without touching ``sys.path``.

A proof file that cannot be loaded (a syntax error, an import that fails, an error in its top
level) raises :class:`ProofFileError`, whose message names the file, the line and the error, with a
hint where the file imports a name close to one that exists (``divergences.proof``: did you mean
``divergences.lab.proof``?) or one of the library's private modules.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.resources
import importlib.util
import pkgutil
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import divergences
from divergences.lab.proof import Proof

__all__ = ["PROOFS_PACKAGE", "ProofFileError", "load_proofs", "packaged_proof_modules"]

#: The package that holds the proofs of the lectures (the source tree's top-level ``proofs/``).
PROOFS_PACKAGE = "divergences.lab.proofs"


def packaged_proof_modules(only: Sequence[str] = ()) -> list[ModuleType]:
    """The modules of the proofs shipped with the package, sorted by name.

    Args:
      only: keep the modules whose name contains one of these strings (all when empty).

    Returns:
      The imported ``proof_*`` modules of :data:`PROOFS_PACKAGE`.

    Raises:
      ValueError: when a string of ``only`` is in no module's name (the message lists them).
    """
    names = sorted(
        entry.name[:-3]
        for entry in importlib.resources.files(PROOFS_PACKAGE).iterdir()
        if entry.name.startswith("proof_") and entry.name.endswith(".py")
    )
    return [importlib.import_module(f"{PROOFS_PACKAGE}.{name}") for name in _selected(names, only)]


def _selected(names: Sequence[str], only: Sequence[str]) -> list[str]:
    """The ``names`` that contain one of the strings ``only`` (all when it is empty).

    Raises:
      ValueError: when a string of ``only`` is in none of the names, naming the choices: a
        filter that matches nothing is a typo, not a run of nothing.
    """
    unmatched = [s for s in only if not any(s in name for name in names)]
    if unmatched:
        raise ValueError(
            f"no proof file's name contains {' or '.join(map(repr, unmatched))} (only="
            f"{list(only)}); the proof files are: {', '.join(names) if names else '(none)'}"
        )
    return [name for name in names if not only or any(s in name for s in only)]


#: The library's private modules (``divergences._src``, read off its folder) that a user may
#: guess by a function's name (``divergences.kl``): their functions are imported from the package
#: itself.
_PRIVATE_MODULES = frozenset(
    f"divergences.{path.stem}"
    for path in (Path(divergences.__file__).parent / "_src").glob("*.py")
    if not path.stem.startswith("_")
)


class ProofFileError(Exception):
    """A proof file that cannot be loaded: its syntax, an import, or an error in its top level.

    The message is what a user needs to fix it, with no traceback: the file and the line, the line
    itself, the error, and a hint where one helps (a close name that exists, a private module).

    Attributes:
      path: the proof file.
      line: the line of the file where the error is (None when no line of the file is involved).
      error: the exception raised while loading it.
      hint: what to change, or an empty string.
    """

    def __init__(self, path: Path, line: int | None, error: BaseException, hint: str = ""):
        self.path, self.line, self.error, self.hint = path, line, error, hint
        if isinstance(error, SyntaxError):
            text, what = error.text, f"{type(error).__name__}: {error.msg}"
        else:
            text, what = None, f"{type(error).__name__}: {error}"
        if text is None and line is not None:
            text = _source_line(path, line)
        where = f"{path}, line {line}" if line is not None else str(path)
        parts = [f"{where}: {what}"]
        if text and text.strip():
            parts.append(f"    {text.strip()}")
        if hint:
            parts.append(f"hint: {hint}")
        super().__init__("\n".join(parts))


def _source_line(path: Path, line: int) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
    except (OSError, IndexError):
        return ""


def _public_modules() -> list[str]:
    found = ["divergences"]
    for info in pkgutil.walk_packages(divergences.__path__, "divergences."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return found


def _import_hint(error: ImportError) -> str:
    """What to change after ``error``: the package for a private module, else a close name."""
    module = error.name or ""
    if isinstance(error, ModuleNotFoundError):
        missing = module
    else:  # "cannot import name 'X' from 'M' (...)": X is only in the message
        match = re.match(r"cannot import name '([^']+)'", str(error))
        missing = f"{module}.{match.group(1)}" if match else module
    if missing in _PRIVATE_MODULES:
        return (
            f"the library's modules are private: import their functions from the package "
            f"itself (from divergences import {missing.rsplit('.', 1)[1]}, or "
            "import divergences as dv)"
        )
    top = missing.split(".")[0]
    if top != "divergences":
        return f"the module {top!r} is not installed in this Python ({sys.executable})"
    if isinstance(error, ModuleNotFoundError):
        close = difflib.get_close_matches(missing, _public_modules(), n=1, cutoff=0.8)
    else:
        names = [n for n in dir(sys.modules.get(module)) if not n.startswith("_")]
        name = missing.rsplit(".", 1)[1]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else ""


def _import_proof_file(path: Path) -> ModuleType:
    # A user's proof file is loaded under a name of its own, without touching sys.path: it imports
    # the installed package only (``divergences.lab.proof``, ``divergences.testing``).
    name = f"_divergences_user_proof_{abs(hash(str(path)))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the proof file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # whatever the file's top level raises is the file's error
        del sys.modules[name]
        if isinstance(exc, SyntaxError) and exc.filename == str(path):
            line = exc.lineno
        else:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
            line = frames[-1].lineno if frames else None
        hint = _import_hint(exc) if isinstance(exc, ImportError) else ""
        raise ProofFileError(path, line, exc, hint) from exc
    return module


def _proof_files(paths: Sequence[str | Path], only: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("proof_*.py"))
            if not found:
                raise FileNotFoundError(f"no proof_*.py files in the folder {path}")
            files.extend(found)
        elif path.is_file():
            if path.suffix != ".py":
                raise ValueError(f"a proof file is a Python file (.py); got {path}")
            files.append(path)
        else:
            raise FileNotFoundError(f"no proof file or folder at {path}")
    kept = set(_selected([f.stem for f in files], only))
    return [f for f in files if f.stem in kept]


def load_proofs(paths: Sequence[str | Path] = (), *, only: Sequence[str] = ()) -> list[Proof]:
    """Imports proof files and returns the :class:`Proof` each declares as ``PROOF``.

    Args:
      paths: proof files, or folders whose ``proof_*.py`` files are loaded (sorted by name);
        when empty, the proofs of the lectures shipped with the package.
      only: keep the files whose name contains one of these strings (all when empty).

    Raises:
      FileNotFoundError: for a path that does not exist, or a folder with no ``proof_*.py``.
      ProofFileError: when a file cannot be loaded (a syntax error, a failed import, an error in
        its top level), naming the file, the line and the error.
      ValueError: when a file declares no ``PROOF``, or a string of ``only`` is in no file's
        name (the message lists the names).
    """
    if paths:
        modules = [_import_proof_file(f.resolve()) for f in _proof_files(paths, only)]
    else:
        modules = packaged_proof_modules(only)
    proofs = []
    for module in modules:
        proof = getattr(module, "PROOF", None)
        if not isinstance(proof, Proof):
            where = getattr(module, "__file__", module.__name__)
            raise ValueError(
                f"{where} declares no PROOF: a proof file must define "
                "PROOF = divergences.lab.proof.Proof(...)"
            )
        proofs.append(proof)
    return proofs
