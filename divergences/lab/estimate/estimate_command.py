"""``divergences estimate x.npy y.npy``: the estimates of :mod:`divergences.estimate` for two files.

Each file holds the draws of one law, one draw a row (``.npy``, or ``.csv``: numbers separated
by commas, no header). The files are checked before any estimate runs, and an array that is
probably not what its writer meant is refused with a message naming the file and the rule: an
empty or truncated file, more coordinates than draws (a transposed array; ``allow_wide``
passes it), NaN or inf entries, two files of different dimensions. A 1-D array is read as ``n``
draws on the line, and the output says so.

The rows (:data:`~divergences.lab.estimate.estimate_table.ROWS`: what each prints, where it runs
by default, the options it reads) are then planned from that table, and each is run, timed and
with its warnings recorded rather than printed (a
:class:`~divergences.estimate.NoCoverageWarning` is the row's ``coverage claimed: no``). Where
the memorisation test (with a third file of held-out draws of P) finds that Q copies X, every
other row claims nothing, and the notes open with ``copying: Q yes``. The rows left out are
listed with the reason, and ``rows`` chooses them. An estimator that refuses the draws (repeated points for the
nearest-neighbour ones, too few draws) gives a row saying why, not a failed command. Where a
row claims nothing, the table prints its value as the API returns it, marked so and with the
reason on a line below; the JSON keeps every field. The first file may be a reference's
``.npz`` (FD reads its statistics, the other rows its kept subsample).
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from divergences import estimate
from divergences.lab.estimate.draw_files import held_out_draws, load_any, load_draws
from divergences.lab.estimate.estimate_copying import copying_line, copying_of, unclaimed_if_copied
from divergences.lab.estimate.estimate_rows import (
    DISCRIMINATOR_MODEL,
    FIDELITY_DRAWS,
    MMD_DRAWS,
    TEST_PERMUTATIONS,
    TESTS,
    W1_DRAWS,
    Report,
    Row,
    feature_units_note,
    p_text,
    planned_draws,
    subsamples,
)
from divergences.lab.estimate.estimate_table import (
    OPTION_ROWS,
    ROW_KEYS,
    ROWS,
    Context,
    Planned,
    cannot_run,
    left_out,
)

__all__ = [
    "OPTION_ROWS",
    "ROW_KEYS",
    "Planned",
    "Report",
    "Row",
    "draws_of",
    "estimate_files",
    "flag_of",
    "load_draws",
    "p_text",
    "planned_draws",
    "run_rows",
    "transposed_hint",
]


def flag_of(option: str) -> str:
    """An option's flag from its name: ``held_out`` is ``--held-out``."""
    return "--" + option.replace("_", "-")


def _check_given(given: Any, keys: tuple[str, ...], skipped: dict[str, str]) -> None:
    """Refuses an option given whose rows do not run (:data:`OPTION_ROWS`), saying why not."""
    for option in given:
        rows = OPTION_ROWS.get(option, ())
        if not rows or set(rows) & set(keys):
            continue
        why = next((skipped[k] for k in rows if k in skipped), "--rows leaves them out")
        raise ValueError(
            f"{flag_of(option)} is read by --rows {','.join(rows)} only, and none of them runs "
            f"here ({why}): drop it, or run them with --rows"
        )


def _parse_rows(
    rows: str | None, d: int, n: int, given: Any
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The rows to run (``rows``: comma-separated keys, ``"all"``, or None for the default).

    By default the rows :func:`left_out` leaves in; with ``"all"`` every row that can run
    (:func:`cannot_run`); the others returned with the reason. A row named that cannot run is
    refused.
    """
    if rows is None:
        skipped = {spec.key: why for spec in ROWS if (why := left_out(spec, d, n, given))}
        return tuple(k for k in ROW_KEYS if k not in skipped), skipped
    keys = tuple(dict.fromkeys(k.strip() for k in rows.split(",") if k.strip()))
    cannot = {spec.key: why for spec in ROWS if (why := cannot_run(spec, d, given))}
    if keys == ("all",):
        return tuple(k for k in ROW_KEYS if k not in cannot), cannot
    unknown = [k for k in keys if k not in ROW_KEYS]
    if unknown or not keys:
        raise ValueError(
            f"rows must be 'all' or a comma-separated list of {', '.join(ROW_KEYS)}; got {rows!r}"
        )
    for key in keys:
        if key in cannot:
            raise ValueError(f"rows: {key} cannot run here: {cannot[key]}")
    return tuple(k for k in ROW_KEYS if k in keys), {}


def _call(planned: Planned) -> Row:
    """Runs one estimator, timed, its warnings recorded rather than shown and its refusal kept."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = planned.run()
        except ValueError as exc:
            return Row(planned.name, planned.what, None, (), str(exc), time.perf_counter() - start)
    said = tuple(dict.fromkeys(str(w.message) for w in caught))  # each message once, in order
    return Row(planned.name, planned.what, result, said, "", time.perf_counter() - start)


def _progress(total: int, show: bool) -> Any:
    """A progress bar on stderr (tqdm), or a stand-in that does nothing where it is off."""
    if not show:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, unit="row", leave=False)


class _NoProgress:
    def set_description_str(self, text: str) -> None:
        del text

    def update(self, count: int) -> None:
        del count

    def close(self) -> None:
        pass


def estimate_files(
    x_path: str | Path,
    y_path: str | Path,
    *,
    level: float = 0.95,
    seed: int = 0,
    rows: str | None = None,
    bandwidth: float | None = None,
    w1_draws: int | None = W1_DRAWS,
    kid_draws: int | None = None,
    mmd_draws: int | None = MMD_DRAWS,
    fidelity_draws: int | None = FIDELITY_DRAWS,
    permutations: int = TEST_PERMUTATIONS,
    model: str = DISCRIMINATOR_MODEL,
    allow_wide: bool = False,
    progress: bool = False,
    held_out: str | Path | None = None,
    options_given: Any = (),
) -> Report:
    """Every estimate of :mod:`divergences.estimate` that applies to the draws in two files.

    Args:
      x_path: the draws of P (``.npy`` or ``.csv``, one draw a row).
      y_path: the draws of Q, of P's dimension.
      level: the intervals' coverage, in ``(0, 1)``.
      seed: the seed of the splits, the subsamples and the test's relabellings, ``>= 0``.
      rows: the rows to run, comma-separated keys of :data:`ROW_KEYS` or ``"all"`` (every row
        that can run); ``None``: those the row table runs by default
        (:func:`~divergences.lab.estimate.estimate_table.left_out`; the others are listed in
        the report's ``skipped`` with the reason).
      bandwidth: the Gaussian kernel's width for the MMD rows and the test (a kernel fixed
        before the draws: MMD²'s interval is then finite-sample); ``None``: the median
        heuristic, whose interval claims nothing.
      w1_draws: the most draws of each file the exact W1 takes (a seeded subsample beyond it:
        exact transport between 10^4 draws takes minutes); ``None``: every draw.
      kid_draws: the most draws of each file KID takes; ``None`` (the default): every draw.
      mmd_draws: the most draws of each file the MMD rows and the test take (a seeded
        subsample beyond it, said in the row); ``None``: every draw.
      fidelity_draws: the most draws of each file the four fidelity rows take (a seeded
        subsample beyond it: measures of samples of that size, said in the notes).
      permutations: the MMD test's random relabellings.
      model: the trained discriminator's model (``"logistic"``, ``"mlp"`` or ``"auto"``:
        :func:`~divergences.estimate.discriminator_bounds`).
      allow_wide: read an array with more coordinates than draws as it is.
      progress: show a progress bar on stderr, one step a row.
      held_out: a file of draws of P that Q's generator never saw (``X`` its training draws),
        for the memorisation rows; where its test finds copying, the other rows claim nothing.
      options_given: the names of the options the user set (``"bandwidth"``, ...): one whose
        rows (:data:`OPTION_ROWS`) do not run is refused, never ignored.

    Returns:
      A :class:`Report`.

    Raises:
      ValueError: for a file :func:`load_draws` refuses, files of different dimensions,
        ``rows`` naming no row, the memorisation rows named without ``held_out``, or an option
        of ``options_given`` that no row runs to read.
    """
    x_any, x_read = load_any(x_path, allow_wide)
    y, y_read = load_draws(y_path, allow_wide=allow_wide)
    x = draws_of(x_any)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"{x_path} and {y_path} must hold draws of one dimension: {x_path} has "
            f"{x.shape[1]} coordinates a draw, {y_path} has {y.shape[1]}" + transposed_hint(x, y)
        )
    d = x.shape[1]
    given = {*options_given, *(["bandwidth"] if bandwidth is not None else [])}
    given |= {"held_out"} if held_out is not None else set()
    keys, skipped = _parse_rows(rows, d, min(x.shape[0], y.shape[0]), given)
    held = held_out_draws(held_out, d, x_path, allow_wide)
    if isinstance(x_any, estimate.Reference) and x.shape[0] < 2:
        why = (
            f"{x_path} holds the reference's statistics without draws (a published mean and "
            "covariance): FD alone reads it"
        )
        skipped.update({k: why for k in keys if k != "fd"})
        keys = tuple(k for k in keys if k == "fd")
    _check_given(options_given, keys, skipped)
    rng = np.random.default_rng(seed)
    draws = planned_draws(
        x.shape[0], y.shape[0], w1_draws=w1_draws, kid_draws=kid_draws, mmd_draws=mmd_draws,
        fidelity_draws=fidelity_draws,
    )  # fmt: skip
    context = Context(
        x, y, x_any, held,
        w1=subsamples("w1(x, y)", x, y, draws["w1"], rng),
        kid=subsamples("kid(x, y)", x, y, draws["kid"], rng),
        mmd=subsamples("mmd_squared(x, y", x, y, draws["mmd"], rng),
        fidelity=subsamples(
            "fidelity_diversity(real=x, generated=y)", x, y, draws["fidelity"], rng
        ),
        level=level, seed=seed, bandwidth=bandwidth, permutations=permutations, model=model,
        notes=[],
    )  # fmt: skip
    notes = context.notes
    if "fidelity" in keys and "subsample" in context.fidelity[2]:
        notes.append(
            "precision, recall, density and coverage on the subsample (--fidelity-draws all "
            "takes every draw, at n^2 d): each interval covers a quantity of the subsample's "
            "k-NN balls, which shrink as n grows, so these are the measures of samples of that "
            "size, not of every draw"
        )
    plan = {spec.key: spec.plan(context) for spec in ROWS}
    done = run_rows([p for k in keys for p in plan[k]], progress)
    if any(r.name == TESTS[2] and r.result is not None for r in done):
        # the memorisation test ran: its verdict, first, read by every row
        seen = copying_of(done, None, 1.0 - level, ("Q",), "P")
        done = [unclaimed_if_copied(r, seen) for r in done]
        notes.insert(0, copying_line("Q", seen["Q"], "the rows comparing P and Q"))
    inputs = tuple(
        {"path": str(p), "shape": list(a.shape), "read_as": how}
        for p, a, how in ((x_path, x, x_read), (y_path, y, y_read))
    )
    if isinstance(x_any, estimate.Reference) and x.shape[0] >= 2:
        notes.append(
            f"{x_path} is a reference's statistics: FD reads them (every draw's), the other rows "
            f"its kept subsample of {x.shape[0]} draws"
        )
    names = {k: ", ".join(p.name for p in plan[k]) for k in plan}
    if held is not None:
        notes.append(f"held-out draws of P: {held_out}, {held.shape[0]} draws")
    notes += feature_units_note(done)
    return Report(
        inputs=inputs,
        level=float(level),
        seed=seed,
        rows=tuple(r for r in done if r.name not in TESTS),
        tests=tuple(r for r in done if r.name in TESTS),
        skipped=tuple((names[k], k, why) for k, why in skipped.items()),
        notes=tuple(notes),
    )


def draws_of(source: Any) -> np.ndarray:
    """The draws of a file as read: an array, or a reference's kept subsample (float64)."""
    if isinstance(source, estimate.Reference):
        return np.asarray(source.subsample, np.float64)
    return np.asarray(source)


def transposed_hint(*arrays: np.ndarray) -> str:
    """``""``, or a hint where one of the files holds more coordinates than draws."""
    if any(z.shape[1] > z.shape[0] > 0 for z in arrays):
        return " (a file with more coordinates than draws may be transposed)"
    return ""


def run_rows(todo: list[Planned], progress: bool) -> list[Row]:
    """Each planned row in turn, timed, with a progress bar on stderr where asked."""
    bar = _progress(len(todo), progress)
    done: list[Row] = []
    stop = threading.Event()
    ticks = threading.Thread(target=_tick, args=(bar, stop), daemon=True)
    if progress:
        ticks.start()
    try:
        for planned in todo:
            bar.set_description_str(planned.name)
            done.append(_call(planned))
            bar.update(1)
    finally:
        stop.set()
        if progress:
            ticks.join()
        bar.close()
    return done


#: Seconds between two redraws of the progress bar while a row runs.
TICK_SECONDS = 1.0


def _tick(bar: Any, stop: threading.Event) -> None:
    """Redraws ``bar`` every :data:`TICK_SECONDS` until ``stop``: a long row's time moves on it."""
    while not stop.wait(TICK_SECONDS):
        bar.refresh()
