"""``divergences verify``: run every proof step, print the table, draw the figures.

The runner. It loads the proofs (:func:`divergences.lab.verify.proof_files.load_proofs`: the lectures'
shipped with the package, or a user's own given by path), runs their steps (the same
:class:`~divergences.lab.proof.Step` objects the test suite runs), adds the tour of the built-in
examples, prints the table and the failed steps (:mod:`divergences.lab.verify.formatting`) and writes
the figures of :mod:`divergences.lab.figures.figure_catalogue`.

Hypothesis runs under the harness' ``ci`` profile (no deadline, derandomised: the same examples
every run) unless ``HYPOTHESIS_PROFILE`` names another; everything comes from the installed
package, so ``verify`` works from any folder, and writes nothing there but the figures asked for:
what Hypothesis stores on disk (its example database, its cache of the constants it reads in source
files) goes to a temporary folder removed at the end of the run.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from divergences.lab.figures import figure_catalogue
from divergences.lab.proof import Check, Outcome, Proof, Step
from divergences.lab.verify.formatting import format_failures, format_table
from divergences.lab.verify.proof_files import load_proofs
from divergences.lab.verify.tour import tour
from divergences.lab.verify.verify_record import write_record
from divergences.testing.profiles import load_profile

__all__ = ["VerifyReport", "run", "verify"]

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


def _count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 step``, ``5 steps``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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


def verify(
    out_dir: str | Path | None = None,
    *,
    paths: Sequence[str | Path] = (),
    only: Sequence[str] = (),
    tour: bool = True,
    figures: bool = True,
    stream: TextIO | None = None,
    record: str | Path | None = None,
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
      record: a JSON file to write each step's verdict to, with the digest of the package's
        sources and the versions run on (:mod:`divergences.lab.verify.verify_record`); none when None.

    Returns:
      A :class:`VerifyReport`; ``report.ok`` is False when any step failed.
    """
    out = sys.stdout if stream is None else stream
    t0 = time.perf_counter()
    # No deadline, derandomised; HYPOTHESIS_PROFILE or a proof file may override.
    profile = load_profile()
    with _temporary_hypothesis_storage():
        proofs = load_proofs(paths, only=only)
        n_steps = sum(len(p) for p in proofs) + int(tour)
        out.write(
            f"Verifying {_count(len(proofs), 'derivation')}, {_count(n_steps, 'step')} (float64):\n"
        )
        outcomes = run(proofs, tour=tour, stream=out)
    out.write(format_table(outcomes) + "\n")
    if record is not None:
        write_record(outcomes, record, profile=profile, packaged=not paths)
    written: list[Path] = []
    if figures and out_dir is not None:
        written = figure_catalogue.make_figures(out_dir)
        out.write(
            f"\n{_count(len(written), 'figure file')} written to {out_dir}/: "
            + ", ".join(sorted({p.stem for p in written}))
            + "\n"
        )
    report = VerifyReport(outcomes, written, time.perf_counter() - t0)
    failed = report.failures
    if failed:
        out.write("\n" + format_failures(outcomes) + "\n")
        out.write(
            f"\n{len(failed)} of {_count(len(outcomes), 'step')} FAILED ({report.seconds:.1f} s)\n"
        )
    else:
        held = "the 1 step holds" if len(outcomes) == 1 else f"all {len(outcomes)} steps hold"
        out.write(f"\n{held} ({report.seconds:.1f} s)\n")
    return report
