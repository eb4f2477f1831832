r"""Figures of a run on images: the scores with their intervals against step, and the digits.

:func:`figure_image_readouts` draws the image readouts (:mod:`~.image_readouts`) of one run:
each score a line with its interval as error bars, and the level real digits reach at the same
sizes as a dotted line. :func:`mosaic` lays images out as one picture;
:func:`figure_digits` draws one mosaic of generated digits per readout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from divergences.lab.training.evaluator import CLASSES
from divergences.lab.training.figure_parts import legend_below, run_title, title_pad
from divergences.lab.training.run import TrainingRun

__all__ = ["figure_digits", "figure_image_readouts", "grey", "mosaic", "with_interval"]

_LEVEL = "95%"


def with_interval(ax: Any, run: TrainingRun, name: str, label: str, color: str) -> None:
    """The score ``name`` against step with its interval as error bars, and the data's level."""
    r = run.readouts
    s, v = r.step, getattr(r, name)
    lo, hi = getattr(r, f"{name}_lo"), getattr(r, f"{name}_hi")
    err = np.vstack([np.maximum(v - lo, 0.0), np.maximum(hi - v, 0.0)])
    # an interval that claims nothing (its ends the quantity's range) is not drawn as one
    claimed = getattr(r, f"{name}_claimed") == 1.0
    err[:, ~claimed] = 0.0
    if not claimed.any():
        label = f"{label.split(',')[0]}, no interval claimed here"
    ax.errorbar(s, v, yerr=err, color=color, marker="o", ms=3, capsize=3, label=label)
    data = getattr(r, f"{name}_data", None)
    if data is not None and np.isfinite(data).any():
        ax.axhline(
            float(data[0]), color=color, ls=":", lw=1.2, label=f"{label.split(',')[0]}: real digits"
        )


def figure_image_readouts(run: TrainingRun, *, figsize: tuple[float, float] = (14, 10)) -> Figure:
    """Six panels against generator step, each score with its 95% interval as error bars.

    The Inception score; FD (bias-corrected, with its interval) beside the plug-in FID papers
    print, on a log axis; KID; precision and recall, then density and coverage, against the
    held-out digits; the generated digits' class shares with the p-value of the test that they
    match the held-out digits'; and the memorisation test's copied share (the excess over the
    held-out baseline, in [0, 1], with its interval) and p-value.
    Dotted lines: the same scores of real digits (:func:`~.image_readouts.data_row`).
    """
    r, c = run.readouts, run.config
    fig = Figure(figsize=figsize, layout="constrained")
    axs = fig.subplots(2, 3)
    pad = title_pad()
    s = r.step
    ax = axs[0, 0]
    with_interval(ax, run, "inception", f"Inception score, {_LEVEL} interval", "tab:blue")
    ax.axhline(CLASSES, color="0.6", lw=0.8, ls="--", label=f"the largest score, {CLASSES}")
    ax.set_title("Inception score (the evaluator's classes)", pad=pad)
    ax = axs[0, 1]
    with_interval(ax, run, "fd", f"FD, bias-corrected, {_LEVEL} interval", "k")
    ax.plot(s, r.fid, color="tab:red", ls="--", label="plug-in FID (biased upward)")
    with_interval(ax, run, "kid", f"KID, {_LEVEL} interval", "tab:green")
    top = float(np.nanmax(np.r_[r.fd_hi, r.fid, r.kid_hi]))
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylim(0.0, 1.5 * top if top > 0 else 1.0)
    ax.set_title("FD and KID to the training digits (the evaluator's features)", pad=pad)
    ax = axs[0, 2]
    with_interval(ax, run, "precision", f"precision, {_LEVEL} interval", "tab:purple")
    with_interval(ax, run, "recall", f"recall, {_LEVEL} interval", "tab:orange")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Precision and recall against the held-out digits", pad=pad)
    ax = axs[1, 0]
    with_interval(ax, run, "density", f"density, {_LEVEL} interval", "tab:brown")
    with_interval(ax, run, "coverage", f"coverage, {_LEVEL} interval", "tab:cyan")
    ax.set_title("Density and coverage against the held-out digits", pad=pad)
    ax = axs[1, 1]
    shares = np.stack([getattr(r, f"class_{k}") for k in range(CLASSES)], axis=1)
    ax.stackplot(s, shares.T, colors=[f"C{k}" for k in range(CLASSES)])
    for k in range(CLASSES):
        ax.plot([], [], color=f"C{k}", lw=6, label=str(k))
    for x, p in zip(s, r.classes_p, strict=True):
        ax.text(x, 1.01, f"{p:.2g}", ha="center", va="bottom", fontsize="x-small", rotation=90)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("share of generated digits")
    ax.set_title("Classes of the generated digits (top: p of = held-out's)", pad=3 * pad + 18)
    ax = axs[1, 2]
    with_interval(ax, run, "copied", f"share copied, {_LEVEL} interval", "k")
    ax.plot(s, r.copying_p, color="tab:red", ls="--", marker="s", ms=3, label="p-value of copying")
    ax.axhline(0.05, color="tab:red", lw=0.8, ls=":", label="level 0.05")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title("Memorisation (training vs held-out digits)", pad=pad)
    for ax in axs.ravel():
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
        legend_below(ax, ncols=5 if ax is axs[1, 1] else None)
    fig.suptitle(f"{run_title(run)}; {c.hist_size} generated digits a readout")
    return fig


def mosaic(images: Any, shape: tuple[int, int], *, columns: int = 8, gap: int = 1) -> np.ndarray:
    """Images ``(n, h*w)`` as one array: ``columns`` a row, ``gap`` pixels between, 1 in gaps.

    Pixels are clipped to ``[0, 1]`` (a generator's output is not bounded).
    """
    x = np.clip(np.asarray(images, np.float64), 0.0, 1.0)
    h, w = shape
    rows = math.ceil(len(x) / columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), np.nan)
    for i, img in enumerate(x):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = img.reshape(
            h, w
        )
    return out


def _draw_mosaic(ax: Any, images: Any, shape: tuple[int, int], title: str) -> None:
    cmap = grey()
    ax.imshow(mosaic(images, shape), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_title(title, fontsize="medium")
    ax.set_axis_off()


def grey() -> Any:
    """The digits' colour map: white background, black ink, light blue where no image is."""
    from matplotlib import colormaps

    return colormaps["gray_r"].with_extremes(bad="#c8d7e6")  # the gaps, light blue


def figure_digits(
    run: TrainingRun, *, count: int = 64, steps: Sequence[int] | None = None, columns: int = 4
) -> Figure:
    """One mosaic of ``count`` generated digits per readout (or per step of ``steps``).

    The digits are the first of each readout's snapshot (the same latent draws at every
    readout, so a digit changes from panel to panel as the generator learns).
    """
    shape = run.config.dataset.image_shape
    if shape is None:
        raise ValueError(f"run: figure_digits draws images; {run.config.dataset.name} has none")
    snaps = [s for s in run.snapshots if steps is None or s.step in steps]
    rows = math.ceil(len(snaps) / columns)
    fig = Figure(figsize=(3.0 * columns, 3.2 * rows + 0.6), layout="constrained")
    axs = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, snap in zip(axs, snaps, strict=False):
        _draw_mosaic(ax, snap.samples[:count], shape, f"step {snap.step}")
    for ax in axs[len(snaps) :]:
        ax.set_visible(False)
    fig.suptitle(f"generated digits at each readout: {run.config.game}, seed {run.config.seed}")
    return fig
