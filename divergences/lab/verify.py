"""``divergences verify``: run every proof step, print the table, draw the figures.

A proof is a file, one per derivation, declaring a :class:`divergences.lab.proof.Proof` named
``PROOF``. The proofs of the lectures are shipped with the package (:data:`PROOFS_PACKAGE`; the
source tree's top-level ``proofs/`` folder); a user's own are files or folders given by path. This
module loads them, runs their steps (the same :class:`~divergences.lab.proof.Step` objects the test
suite runs), adds the tour of the built-in examples, and reports

* a table: proof, claim, method, largest error (or smallest gap), tolerance, verdict;
* the failed steps, by name, with how far they missed;

then writes the figures of :mod:`divergences.lab.plotting`. Hypothesis runs under the harness'
``ci`` profile (no deadline, derandomised: the same examples every run) unless
``HYPOTHESIS_PROFILE`` names another; everything comes from the installed package, so ``verify``
works from any folder, and writes nothing there but the figures asked for: what Hypothesis stores
on disk (its example database, its cache of the constants it reads in source files) goes to a
temporary folder removed at the end of the run.

A proof file that cannot be loaded (a syntax error, an import that fails, an error in its top
level) raises :class:`ProofFileError`, whose message names the file, the line and the error, with a
hint where the file imports a name close to one that exists (``divergences.proof``: did you mean
``divergences.lab.proof``?) or one of the library's private modules.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.resources
import importlib.util
import pkgutil
import re
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple, TextIO

from divergences.lab.proof import Check, Outcome, Proof, Step
from divergences.testing.profiles import load_profile

__all__ = [
    "PROOFS_PACKAGE",
    "ProofFileError",
    "VerifyReport",
    "format_failures",
    "format_table",
    "load_proofs",
    "run",
    "verify",
]

#: Tolerance of the tour's comparison with the known values of the built-in examples.
TOUR_TOLERANCE = 1e-12


class VerifyReport(NamedTuple):
    """What :func:`verify` did.

    Attributes:
      outcomes: every step run, in order (the tour last).
      figures: the files written.
      seconds: wall time of the whole run.
    """

    outcomes: list[Outcome]
    figures: list[Path]
    seconds: float

    @property
    def ok(self) -> bool:
        """True iff every step held."""
        return all(o.holds for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        """The steps that failed or raised."""
        return [o for o in self.outcomes if not o.holds]


#: The package that holds the proofs of the lectures (the source tree's top-level ``proofs/``).
PROOFS_PACKAGE = "divergences.lab.proofs"


def _packaged_proofs(only: Sequence[str]) -> list[ModuleType]:
    names = sorted(
        entry.name[:-3]
        for entry in importlib.resources.files(PROOFS_PACKAGE).iterdir()
        if entry.name.startswith("proof_") and entry.name.endswith(".py")
    )
    return [
        importlib.import_module(f"{PROOFS_PACKAGE}.{name}")
        for name in names
        if not only or any(s in name for s in only)
    ]


#: The library's private modules (``divergences._src``) that a user may guess by a function's
#: name: their functions are imported from the package itself.
_PRIVATE_MODULES = frozenset(
    f"divergences.{name}"
    for name in (
        "chi_square",
        "entropy",
        "f_divergence",
        "gan",
        "gaussian",
        "hellinger",
        "histogram",
        "information",
        "js",
        "kl",
        "total_variation",
    )
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
    import divergences

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
    return [f for f in files if not only or any(s in f.stem for s in only)]


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
      ValueError: when a file declares no ``PROOF``.
    """
    if paths:
        modules = [_import_proof_file(f.resolve()) for f in _proof_files(paths, only)]
    else:
        modules = _packaged_proofs(only)
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


@contextlib.contextmanager
def _temporary_hypothesis_storage() -> Iterator[Path]:
    """Points Hypothesis' storage at a temporary folder for the ``with`` block, then restores it.

    Hypothesis writes under ``.hypothesis/`` in the working folder: the example database (unless
    the settings say ``database=None``, as the ``ci`` profile does) and, since version 6.131, a
    cache of the constants it collects from the source files it draws for. Inside the block both
    go to a temporary folder, removed at its end; the storage folder in force before (the
    caller's own, or the default) is restored, and no setting or profile is changed.

    Yields:
      The temporary folder.
    """
    from hypothesis import configuration

    previous = vars(configuration).get("__hypothesis_home_directory")
    with tempfile.TemporaryDirectory(prefix="divergences-hypothesis-") as folder:
        configuration.set_hypothesis_home_dir(folder)
        try:
            yield Path(folder)
        finally:
            configuration.set_hypothesis_home_dir(previous)


def _tour_step() -> Step:
    def run_tour() -> Check:
        from divergences.lab.tour import tour

        rows = tour()
        worst = max(rows, key=lambda r: r.worst_error)
        return Check(
            worst.worst_error, TOUR_TOLERANCE, detail=f"{len(rows)} examples; worst: {worst.name}"
        )

    return Step(
        "the built-in examples reproduce their published and closed-form values",
        "numeric",
        run_tour,
        "tour",
        "Tour of the built-in examples",
    )


def run(
    proofs: Sequence[Proof], *, tour: bool = True, stream: TextIO | None = None
) -> list[Outcome]:
    """Runs every step of ``proofs`` (and the tour), printing one dot per step to ``stream``."""
    outcomes: list[Outcome] = []
    groups: list[Proof] = list(proofs)
    if tour:
        t = Proof("Tour of the built-in examples")
        t.steps.append(_tour_step())
        groups.append(t)
    for proof in groups:
        for o in proof.run():
            outcomes.append(o)
            if stream is not None:
                stream.write("." if o.holds else "F")
                stream.flush()
    if stream is not None:
        stream.write("\n")
    return outcomes


def _fmt(x: float) -> str:
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.2e}"


def format_table(outcomes: Sequence[Outcome], *, width: int = 118) -> str:
    """The outcomes as a fixed-width table grouped by proof.

    Columns: step number, claim (wrapped), method (``hyp. xN``, ``ref. xN``: checked on N
    examples drawn by Hypothesis), largest error (or, for a claim that two values differ, the smallest
    gap, marked ``gap``), tolerance, verdict.
    """
    claim_w = width - 4 - 12 - 10 - 10 - 6 - 5
    head = (
        f"{'#':>3} {'claim':<{claim_w}} {'method':<11} {'error':>9} {'tolerance':>9} {'verdict':>7}"
    )
    lines = [head, "=" * len(head)]
    current = None
    number = 0
    for o in outcomes:
        if o.step.proof != current:
            current = o.step.proof
            if number:
                lines.append("")
            lines.append(f"  {current}")
            lines.append("  " + "-" * min(len(current), len(head) - 2))
        number += 1
        wrapped = textwrap.wrap(o.step.claim, claim_w) or [""]
        method = o.step.method
        if o.check is not None and o.check.detail.endswith("drawn examples"):
            short = {"hypothesis": "hyp.", "reference": "ref.", "numeric": "num."}
            method = f"{short.get(method, method[:4])} x{o.check.detail.split()[-3]}"
        if o.check is None:
            err, tol, verdict = "raised", "", "FAIL"
        else:
            c = o.check
            err = _fmt(c.error) if c.relation == "<=" else f"gap {_fmt(c.error)}"
            tol = _fmt(c.tolerance) if c.relation == "<=" else f">={_fmt(c.tolerance)}"
            verdict = "ok" if c.holds else "FAIL"
        lines.append(
            f"{number:>3} {wrapped[0]:<{claim_w}} {method:<11} {err:>12} {tol:>11} {verdict:>7}"
        )
        lines.extend(f"{'':>3} {w}" for w in wrapped[1:])
    return "\n".join(lines)


def format_failures(outcomes: Sequence[Outcome]) -> str:
    """One paragraph per failed step: which, and by how much."""
    out = []
    for o in outcomes:
        if o.holds:
            continue
        where = f"[{o.step.proof}] step '{o.step.name}': {o.step.claim}"
        if o.check is None:
            out.append(f"FAILED {where}\n    raised {o.exception}")
        else:
            c = o.check
            out.append(f"FAILED {where}\n    {c.explain()}")
            if c.counterexample:
                shown = textwrap.indent(c.counterexample, "        ")
                out.append(f"    counterexample (the drawn input that breaks it):\n{shown}")
    return "\n".join(out)


def verify(
    out_dir: str | Path | None = None,
    *,
    paths: Sequence[str | Path] = (),
    only: Sequence[str] = (),
    tour: bool = True,
    figures: bool = True,
    stream: TextIO | None = None,
) -> VerifyReport:
    """Runs every proof step and the tour, prints the table, writes the figures.

    Args:
      out_dir: folder for the figures (PNG and SVG); no figures when None.
      paths: proof files or folders of ``proof_*.py`` files (a user's own derivations); the
        proofs of the lectures shipped with the package when empty.
      only: run the proof files whose name contains one of these strings.
      tour: include the tour of the built-in examples.
      figures: draw the figures (when ``out_dir`` is given).
      stream: where the progress, the table and the failures go (``sys.stdout`` when None).

    Returns:
      A :class:`VerifyReport`; ``report.ok`` is False when any step failed.
    """
    out = sys.stdout if stream is None else stream
    t0 = time.perf_counter()
    load_profile()  # no deadline, derandomised; HYPOTHESIS_PROFILE or a proof file may override
    with _temporary_hypothesis_storage():
        proofs = load_proofs(paths, only=only)
        n_steps = sum(len(p) for p in proofs) + int(tour)
        out.write(f"Verifying {len(proofs)} derivations, {n_steps} steps (float64):\n")
        outcomes = run(proofs, tour=tour, stream=out)
    out.write(format_table(outcomes) + "\n")
    written: list[Path] = []
    if figures and out_dir is not None:
        from divergences.lab.plotting import make_figures

        written = make_figures(out_dir)
        out.write(
            f"\n{len(written)} figure files written to {out_dir}/: "
            + ", ".join(sorted({p.stem for p in written}))
            + "\n"
        )
    report = VerifyReport(outcomes, written, time.perf_counter() - t0)
    failed = report.failures
    if failed:
        out.write("\n" + format_failures(outcomes) + "\n")
        out.write(f"\n{len(failed)} of {len(outcomes)} steps FAILED ({report.seconds:.1f} s)\n")
    else:
        out.write(f"\nall {len(outcomes)} steps hold ({report.seconds:.1f} s)\n")
    return report
