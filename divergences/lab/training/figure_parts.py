r"""Pieces the training figures share: titles, the noise floor's band, log axes, legends below.

Used by :mod:`~divergences.lab.training.readout_figures`,
:mod:`~divergences.lab.training.snapshot_figures` and :mod:`~divergences.lab.training.animation`.
Text sizes are relative to the ``font.size`` in force ("small" legends, "medium" titles).
"""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import ScaledTranslation

from divergences.lab.training.run import TrainingRun
from divergences.lab.training.verdict import FLOOR_SDS

__all__ = [
    "below_x_label",
    "floor_band",
    "generator_label",
    "legend_below",
    "log_above_floor",
    "plot_positive",
    "run_title",
    "title_pad",
]


def run_title(run: TrainingRun) -> str:
    """The run's game, data, seed and optimiser, and what its readouts sample."""
    c = run.config
    opt = c.optimiser
    return (
        f"{c.game} on {c.dataset.name}, seed {c.seed}: {c.n_critic} critic step(s) per generator "
        f"step, {opt.name} lr {opt.learning_rate:g}\nread out: {generator_label(run)}"
    )


def generator_label(run: TrainingRun) -> str:
    """What the readouts sample: the trained generator, or its weights' moving average."""
    ema = run.config.generator_ema
    if ema is None:
        return "the trained generator"
    return f"the generator's weights averaged (EMA {ema:g})"


def floor_band(
    ax: Any, steps: np.ndarray, mean: np.ndarray, sd: np.ndarray, what: str | None
) -> list[Any]:
    """The noise floor as a grey band, mean +- ``FLOOR_SDS`` standard deviations of its draws.

    Its mean dashed; drawn over ``steps`` only, and named in the legend unless ``what`` is None.
    Returns the band and the line (none for a floor that is not finite).
    """
    if not np.all(np.isfinite(mean)):
        return []
    half = FLOOR_SDS * np.nan_to_num(sd)
    label = None
    if what is not None:
        label = (
            f"noise floor: {what},\n{mean[0]:.3g} $\\pm$ {half[0]:.2g} ({FLOOR_SDS:g} sd)"
            if len(mean)
            else f"noise floor: {what}"
        )
    band = ax.fill_between(steps, mean - half, mean + half, color="0.8", lw=0, label=label)
    (line,) = ax.plot(steps, mean, color="0.5", ls="--", lw=1)
    return [band, line]


def plot_positive(ax: Any, steps: np.ndarray, y: np.ndarray, label: str, **kw: Any) -> None:
    """``y`` on a log axis.

    Its positive values as a line; a readout at or below 0 (the discriminator's estimate of JS is a
    lower bound, slightly negative near the data) is not drawn on the line but marked with a
    down-triangle on the bottom edge, and the legend says how many there are and the lowest.
    """
    y = np.asarray(y, dtype=float)
    low = np.isfinite(y) & (y <= 0)
    if low.any():
        label += f"\n(\u2264 0 at {int(low.sum())} readouts, lowest {y[low].min():.2g}: \u25bc)"
        kw = {"marker": "o", "ms": 3, **kw}  # a value between two gaps is a dot, not a line
    (line,) = ax.plot(steps, np.where(low, np.nan, y), label=label, **kw)
    if low.any():
        ax.plot(
            steps[low],
            np.zeros(int(low.sum())),
            "v",
            color=line.get_color(),
            ms=7,
            clip_on=False,
            transform=ax.get_xaxis_transform(),  # x in steps, y on the axes' bottom edge
        )


def log_above_floor(ax: Any, floor: np.ndarray, top: float) -> None:
    """A log y axis of the positive values drawn.

    From half the smallest of them and of the noise floor's mean to ``top`` (or 1.5 times the
    largest), so that a readout of a few tenths of a nat and its floor of a few ten-thousandths
    both show. The floor band is clipped at the bottom where its lower edge, mean - 2 sd, is not
    positive.
    """
    ys = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()])
    ys = ys[np.isfinite(ys) & (ys > 0)]
    if ys.size == 0:  # nothing drawn: data that is not 2-D
        return
    ax.set_yscale("log")
    low = float(ys.min())
    if len(floor) and np.isfinite(floor[0]) and floor[0] > 0:
        low = min(low, float(floor[0]))
    ax.set_ylim(low / 2, max(top, 1.5 * float(ys.max())))


def _points(size_key: str) -> float:
    """The size in points of an rc font size (``"small"`` and the like resolved)."""
    rc: Any = matplotlib.rcParams  # read by name
    return float(FontProperties(size=rc[size_key]).get_size_in_points())


def below_x_label() -> float:
    """How far below its axes an x axis' tick labels and label reach, in points.

    The ticks, the tick labels and the label with their pads, from the rc settings in force;
    a line is 1.2 times its font size (room for descenders and sub- and superscripts).
    """
    rc = matplotlib.rcParams
    ticks = float(rc["xtick.major.size"]) + float(rc["xtick.major.pad"])
    labels = 1.2 * (_points("xtick.labelsize") + _points("axes.labelsize"))
    return ticks + labels + float(rc["axes.labelpad"])


def title_pad() -> float:
    """A title's pad, in points, that clears the half of a y tick label above the axes' top."""
    return float(matplotlib.rcParams["axes.titlepad"]) + 0.7 * _points("ytick.labelsize")


def legend_below(ax: Any, ncols: int | None = None) -> None:
    """The legend under the axes, off the data, below the x axis' tick labels and label.

    Anchored a fixed number of points under the axes (:func:`below_x_label`), so that the legend
    clears the axis label whatever height the layout gives the axes; in ``ncols`` columns (one
    where None).
    """
    if not ax.get_legend_handles_labels()[0]:
        return
    drop = ScaledTranslation(0, -(below_x_label() + 2) / 72, ax.get_figure().dpi_scale_trans)
    ax.legend(
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=ax.transAxes + drop,
        frameon=False,
        ncols=ncols or 1,
    )
