"""``divergences estimate R A B``: is model A nearer the reference than model B, copies seen first.

Each model's FD, KID, precision and recall against R (with held-out draws, its memorisation rows
and test), then ``FD(A, R) - FD(B, R)`` and ``KID(A, R) - KID(B, R)`` with the shared reference
accounted for (:func:`compare_files`). A model whose draws copy R's claims nothing, nor does a
difference built on it (:mod:`~divergences.lab.estimate.estimate_copying`). An option the comparison does
not read is refused (:func:`check_compare_options`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from divergences import estimate
from divergences.estimate import TwoSampleTest
from divergences.lab.estimate.draw_files import held_out_draws, load_any, load_draws
from divergences.lab.estimate.estimate_command import (
    Planned,
    draws_of,
    flag_of,
    run_rows,
    transposed_hint,
)
from divergences.lab.estimate.estimate_copying import copying_line, copying_of, unclaimed_if_copied
from divergences.lab.estimate.estimate_rows import (
    FIDELITY_DRAWS,
    Report,
    Row,
    capped,
    feature_units_note,
    fidelity_rows,
    memorisation_rows,
    p_text,
    part_of,
    shared,
    subsample,
)

__all__ = ["COMPARE_OPTIONS", "check_compare_options", "compare_files"]

#: The options :func:`compare_files` reads; a comparison refuses the others.
COMPARE_OPTIONS = ("kid_draws", "fidelity_draws", "held_out")


def check_compare_options(given: Any) -> None:
    """Refuses an option a comparison (R A B) does not read, naming it and what does read it.

    ``given``: the names of the options the user gave (``"rows"``, ``"bandwidth"``, ...).
    """
    refused = [o for o in given if o not in COMPARE_OPTIONS]
    if refused:
        reads = ", ".join(flag_of(o) for o in COMPARE_OPTIONS)
        raise ValueError(
            f"{', '.join(flag_of(o) for o in refused)}: a comparison (R A B) runs FD, KID, "
            f"precision and recall of each model (with --held-out the memorisation rows), and "
            f"reads {reads} only; give two files (R A) for the other rows"
        )


def compare_files(
    reference_path: str | Path,
    a_path: str | Path,
    b_path: str | Path,
    *,
    level: float = 0.95,
    seed: int = 0,
    kid_draws: int | None = None,
    fidelity_draws: int | None = FIDELITY_DRAWS,
    held_out: str | Path | None = None,
    allow_wide: bool = False,
    progress: bool = False,
) -> Report:
    """Whether model A's draws are nearer the reference's than model B's: each model, then the differences.

    Each model's FD, KID, precision and recall against R (with ``held_out``, its memorisation
    rows and test), then ``frechet_difference``'s and ``kid_difference``'s differences, whose
    ``a`` and ``b`` are the models' FD and KID rows. A model found copying R's draws (module
    docstring) claims nothing, nor do the differences, and the notes say so first.

    Args:
      reference_path: the reference draws R (``.npy`` or ``.csv``), or a reference file
        (``.npz``: :meth:`~divergences.estimate.Reference.save`'s: its statistics for FD, its
        kept subsample of draws for KID, precision, recall and memorisation; a published
        ``mu``/``sigma`` file has none, and those rows say so).
      a_path: model A's draws.
      b_path: model B's draws.
      level: the intervals' coverage, in ``(0, 1)``; the memorisation test's is ``1 - level``.
      seed: the seed of FD's batches, of the subsamples and of the memorisation test.
      kid_draws: the most draws of each file KID takes (a seeded subsample beyond it);
        ``None``: every draw.
      fidelity_draws: the most draws of each file precision and recall take (a seeded
        subsample beyond it, as :func:`estimate_files`'); ``None``: every draw.
      held_out: draws of R's law that neither model was trained on (R being their training
        draws): adds each model's memorisation rows and test; ``None``: copies are seen by
        the comparisons' kernel check alone.
      allow_wide: read an array with more coordinates than draws as it is.
      progress: show a progress bar on stderr, one step a row.

    Returns:
      A :class:`Report` whose rows are A's (FD, KID, precision, recall against R, and with
      ``held_out`` the copied share), B's, and the two differences; its tests the
      memorisation tests.
    """
    r, r_read = load_any(reference_path, allow_wide)
    a, a_read = load_draws(a_path, allow_wide=allow_wide)
    b, b_read = load_draws(b_path, allow_wide=allow_wide)
    rd = draws_of(r)
    d = rd.shape[1]
    if not (a.shape[1] == b.shape[1] == d):
        raise ValueError(
            f"{reference_path}, {a_path} and {b_path} must hold draws of one dimension: "
            f"{d}, {a.shape[1]} and {b.shape[1]} coordinates a draw" + transposed_hint(rd, a, b)
        )
    held = held_out_draws(held_out, d, reference_path, allow_wide)
    baselines: list[str] = []  # the memorisation rows' raw shares, each beside its baseline
    fd_once = shared(lambda: estimate.frechet_difference(r, a, b, level=level, seed=seed))
    rng = np.random.default_rng(seed)
    cut = "" if kid_draws is None else f", subsample={kid_draws}, seed={seed}"
    kid_what = f"kid_difference(r, a, b{cut})"
    kid_once = shared(
        lambda: estimate.kid_difference(r, a, b, level=level, subsample=kid_draws, seed=seed)
    )
    rf = subsample(rd, capped(rd.shape[0], fidelity_draws), rng)
    todo = []
    for label, draws, field in (("A", a, "a"), ("B", b, "b")):
        gf = subsample(draws, capped(draws.shape[0], fidelity_draws), rng)
        what = f"fidelity_diversity(real=r, generated={field})" + _cut_words((rd, draws), (rf, gf))
        todo += [
            Planned("compare", f"FD({label}, R)", f"frechet_difference(r, a, b).{field}",
                     functools.partial(part_of, fd_once, field)),
            Planned("compare", f"KID({label}, R)", f"{kid_what}.{field}",
                     functools.partial(part_of, kid_once, field)),
        ]  # fmt: skip
        todo += [
            Planned("compare", f"{n}(real R, generated {label})", what, part)
            for n, part in fidelity_rows(rf, gf, level, ("precision", "recall"))
        ]
        if held is not None:
            todo += [
                Planned("compare", name, f"memorisation(training=r, generated={field}, "
                         "held_out=h)", part)
                for name, part in memorisation_rows(
                    rd, draws, held, level, seed, label, "R", baselines
                )
            ]  # fmt: skip
    todo += [
        Planned("compare", "FD(A, R) - FD(B, R)", "frechet_difference(r, a, b)",
                 functools.partial(part_of, fd_once, "difference")),
        Planned("compare", "KID(A, R) - KID(B, R)", kid_what,
                 functools.partial(part_of, kid_once, "difference")),
    ]  # fmt: skip
    done = run_rows(todo, progress)
    ran = [c() for name, c in (("FD(A, R)", fd_once), ("KID(A, R)", kid_once)) if _ran(done, name)]
    dependent = tuple(sorted({k for c in ran for k in c.dependent})) if ran else None
    copying = copying_of(done, dependent, 1.0 - level)
    done = [unclaimed_if_copied(row, copying) for row in done]
    notes = [
        copying_line(label, seen, "its rows and both differences")
        for label, seen in copying.items()
    ] + baselines
    comparisons = {"FD": fd_once, "KID": kid_once}
    for q, name in (("FD", "FD(A, R) - FD(B, R)"), ("KID", "KID(A, R) - KID(B, R)")):
        row = next(x for x in done if x.name == name)
        claims = row.result is not None and row.result.claims_coverage
        p = comparisons[q]().p_value if claims else None
        said = f"{q}: A is no better than B ({q}(A, R) >= {q}(B, R)), one-sided: "
        # a difference that claims no coverage has no p-value (claimed_p_value's rule)
        notes.append(said + ("no p-value: no coverage claimed" if p is None else p_text(p)))
        p_b = comparisons[q]().p_value_b if claims else None
        if p_b is not None and p_b < 0.5:  # B looks the better model: how strongly, said too
            notes.append(
                f"{q}: B is no better than A ({q}(B, R) >= {q}(A, R)), the other side: "
                + p_text(p_b)
            )
        if claims and (parts := _unclaimed_parts(done, q)):
            notes.append(_why_the_difference_claims(name, parts, q))
    notes.append(
        "FD(A, R) is frechet(r, a)'s value (to rounding), as `divergences estimate R A` prints "
        "it; FD(B, R) "
        "cuts B's draws into batches with seed + 2 (frechet_difference pairs A's batch k and "
        "B's with R's batch k), where frechet(r, b) and `divergences estimate R B` use seed + 1: "
        "the same estimator on another cut, so their values differ within the interval's noise"
    )
    if held is not None:
        notes.append(f"held-out draws of R: {held_out}, {held.shape[0]} draws")
    notes += feature_units_note(done)
    inputs = tuple(
        {"path": str(p), "shape": list(np.shape(v)), "read_as": how}
        for p, v, how in (
            (reference_path, rd, r_read),
            (a_path, a, a_read),
            (b_path, b, b_read),
        )
    )
    return Report(
        inputs=inputs,
        level=float(level),
        seed=seed,
        rows=tuple(x for x in done if not isinstance(x.result, TwoSampleTest)),
        tests=tuple(x for x in done if isinstance(x.result, TwoSampleTest)),
        skipped=(),
        notes=tuple(notes),
    )


def _cut_words(whole: tuple[np.ndarray, ...], taken: tuple[np.ndarray, ...]) -> str:
    """``""``, or the words saying a row took a seeded subsample of each file."""
    if all(t.shape[0] == w.shape[0] for t, w in zip(taken, whole, strict=True)):
        return ""
    counts = [str(t.shape[0]) for t in taken]
    return f" on a seeded subsample of {', '.join(counts[:-1])} and {counts[-1]} draws"


def _ran(done: list[Row], name: str) -> bool:
    return any(x.name == name and x.result is not None for x in done)


def _unclaimed_parts(done: list[Row], q: str) -> list[str]:
    """The models' ``q`` rows that claim nothing, by name."""
    names = (f"{q}(A, R)", f"{q}(B, R)")
    return [x.name for x in done if x.name in names and not x.result.claims_coverage]


def _why_the_difference_claims(name: str, parts: list[str], q: str) -> str:
    """Why a difference claims its interval where its parts do not: its own measured range."""
    entry = {"FD": "frechet_difference", "KID": "kid_difference"}[q]
    ranges = ", ".join(r.words() for r in estimate.ASYMPTOTIC_CLAIMS[entry].ranges)
    return (
        f"{name} claims its interval where {' and '.join(parts)} claim none: the difference was "
        f"measured on its own, and holds in {ranges} draws (ASYMPTOTIC_CLAIMS[{entry!r}], "
        "benchmarks/estimate_coverage.md); the shared reference's noise cancels in it"
    )
