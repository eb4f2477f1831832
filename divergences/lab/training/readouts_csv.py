r"""``readouts.csv``: the readouts of a run, one row per evaluation, and the verdict of each.

The columns are :data:`~divergences.lab.training.readouts.COLUMNS` (the readouts) then
:data:`VERDICT_COLUMNS` (each readout against the lab's criterion,
:func:`divergences.lab.training.verdict.verdict`).
"""

from __future__ import annotations

import csv
import math
import pathlib

from divergences.lab.training.readouts import COLUMNS
from divergences.lab.training.run import TrainingRun
from divergences.lab.training.verdict import verdict

__all__ = ["VERDICT_COLUMNS", "write_readouts_csv"]

#: The columns ``readouts.csv`` adds after :data:`COLUMNS`: each readout against the lab's
#: criterion (:func:`divergences.lab.training.verdict.verdict`). ``modes_total``: the data's
#: modes (``modes_covered`` of ``modes_total``); ``w1_over_floor``: the exact W1 over its noise
#: floor's mean; ``w1_floor_2sd_over_floor``: two standard deviations of the floor's draws over
#: its mean (the figures' floor band is ``1 +-`` this, in multiples of the floor);
#: ``converged``: 1 when every mode is covered and ``w1_over_floor <= 1.5``, else 0.
VERDICT_COLUMNS = ("modes_total", "w1_over_floor", "w1_floor_2sd_over_floor", "converged")


def write_readouts_csv(run: TrainingRun, path: str | pathlib.Path) -> pathlib.Path:
    """Writes the readouts, one row per evaluation, :data:`COLUMNS` then :data:`VERDICT_COLUMNS`.

    A readout that does not apply is empty.
    """
    path = pathlib.Path(path)
    with path.open("w", newline="") as fh:  # closed before returning
        w = csv.writer(fh)
        w.writerow(COLUMNS + VERDICT_COLUMNS)
        for i in range(len(run.readouts.step)):
            cells = []
            for c in COLUMNS:
                v = float(getattr(run.readouts, c)[i])
                cells.append("" if math.isnan(v) else (str(int(v)) if c == "step" else repr(v)))
            vi = verdict(run, i)
            cells += [
                "" if vi.modes_total is None else str(vi.modes_total),
                repr(vi.w1_ratio),
                "" if math.isnan(vi.floor_spread) else repr(vi.floor_spread),
                str(int(vi.converged)),
            ]
            w.writerow(cells)
    return path
