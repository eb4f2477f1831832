r"""The animation of a run: one figure moved from snapshot to snapshot, written as a GIF.

Each frame is the samples over the critic's heat map beside the exact W1 so far
(:func:`gif_frame`); :func:`save_gif` renders the frames with Agg and writes them with Pillow,
under one palette that keeps the generated points' yellow exact.
"""

from __future__ import annotations

import io
import pathlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver
from PIL import Image

from divergences.lab.training.figure_parts import floor_band, generator_label, legend_below
from divergences.lab.training.run import Snapshot, TrainingRun
from divergences.lab.training.snapshot_figures import (
    MAX_POINTS,
    draw_push,
    draw_snapshot,
    heat_label,
    heat_limits,
)
from divergences.lab.training.verdict import FLOOR_SDS

__all__ = ["gif_frame", "png_bytes", "save_gif"]


class _Frames:
    """The figure of :func:`gif_frame`, built once and moved from snapshot to snapshot.

    A GIF's frames differ only in their samples, heat map, title and curves, and building, laying
    out and drawing a figure afresh for each cost about 0.25 s a frame.

    The snapshots may be the readouts' (``run.snapshots``) or the animation's frames
    (``run.frames``, some between readouts): the W1 curve then shows the readouts up to the
    frame's step, and a vertical line marks the frame's step.
    """

    def __init__(
        self,
        run: TrainingRun,
        snaps: Sequence[Snapshot],
        k: int,
        vlim: tuple[float, float],
        *,
        arrows: bool = False,
    ) -> None:
        self.run, self.snaps, self.with_arrows = run, snaps, arrows
        snap = snaps[k]
        r = run.readouts
        fig = Figure(figsize=(9, 4.4), layout="constrained")
        ax, self.ax_w = fig.subplots(1, 2)
        self.ax = ax
        self.im = draw_snapshot(ax, run, snap, vlim=vlim, arrows=arrows)
        # draw_snapshot draws the generated points, the arrows (a Quiver), then the data.
        self.arrows = next((a for a in ax.collections if isinstance(a, Quiver)), None)
        self.generated = next(a for a in ax.collections if a.get_gid() == "generated")
        if self.im is not None:
            fig.colorbar(self.im, ax=ax, shrink=0.9, label=heat_label(run))
        i = self._readout(k)
        self.band = floor_band(
            self.ax_w,
            r.step[: i + 1],
            r.w1_floor[: i + 1],
            r.w1_floor_sd[: i + 1],
            "$W_1$(data, data)",
        )
        (self.w1,) = self.ax_w.plot(
            r.step[: i + 1], r.w1[: i + 1], "k-o", lw=2, ms=3, label="exact $W_1$", zorder=3
        )
        self.now = self.ax_w.axvline(
            snap.step, color="tab:red", lw=1, alpha=0.8, label="this frame"
        )
        self.ax_w.set_xlim(0, max(float(r.step[-1]), 1.0))
        top = np.r_[r.w1, r.w1_floor + FLOOR_SDS * np.nan_to_num(r.w1_floor_sd)]
        self.ax_w.set_ylim(0, 1.05 * float(np.nanmax(top)))
        self.ax_w.set_xlabel("generator step")
        self.ax_w.grid(alpha=0.3)
        legend_below(self.ax_w)
        self.fig = fig
        self._title(k)

    def _readout(self, k: int) -> int:
        """The last readout at or before snapshot ``k``'s step."""
        steps = self.run.readouts.step
        return max(int(np.searchsorted(steps, self.snaps[k].step, side="right")) - 1, 0)

    def _title(self, k: int) -> None:
        c, r = self.run.config, self.run.readouts
        self.ax.set_title(
            f"{c.game} on {c.dataset.name}, step {self.snaps[k].step}\n"
            f"yellow: {generator_label(self.run)}",
            fontsize="medium",
        )
        # Between readouts a frame has new samples, not a new exact W1: the title says which.
        self.ax_w.set_title(
            f"exact $W_1$, read out every {c.eval_every} steps\n"
            f"(last at step {int(r.step[self._readout(k)])})",
            fontsize="medium",
        )

    def move_to(self, k: int) -> None:
        """Shows snapshot ``k``: its samples and heat map, the W1 curve up to its step."""
        r = self.run.readouts
        snap = self.snaps[k]
        if self.im is not None and snap.heat is not None:
            self.im.set_data(snap.heat)
        self.generated.set_offsets(snap.samples[:MAX_POINTS])
        if self.arrows is not None:  # drawn afresh: a Quiver's tails cannot be moved
            self.arrows.remove()
            self.arrows = None
        if self.with_arrows and snap.push is not None and snap.samples.shape[1] == 2:
            x0, x1, y0, y1 = self.run.config.dataset.extent
            self.arrows = draw_push(self.ax, snap, (x1 - x0, y1 - y0))
        self._title(k)
        for artist in self.band:
            artist.remove()
        i = self._readout(k)
        # Redrawn up to this step, unnamed: the legend names it already.
        self.band = floor_band(
            self.ax_w, r.step[: i + 1], r.w1_floor[: i + 1], r.w1_floor_sd[: i + 1], None
        )
        self.w1.set_data(r.step[: i + 1], r.w1[: i + 1])
        self.now.set_xdata([snap.step, snap.step])


def gif_frame(
    run: TrainingRun, k: int, *, vlim: tuple[float, float] | None = None, arrows: bool = True
) -> Figure:
    """The ``k``-th readout as :func:`save_gif` draws it.

    The samples over the critic's heat map (with its colour bar) beside the exact W1 and its
    noise-floor band up to that readout's step (the axes span the whole run, so the frames line up);
    with GAN Lab's arrows on some samples unless ``arrows`` is false (the live view draws them, the
    GIF does not: at a GIF's frame rate they flicker).
    """
    if vlim is None:
        vlim = heat_limits(run, run.snapshots)
    return _Frames(run, run.snapshots, k, vlim, arrows=arrows).fig


def png_bytes(fig: Figure, *, dpi: int = 72) -> bytes:
    """The figure drawn as a PNG, in memory (a figure built without pyplot gets an Agg canvas)."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


#: Colours a GIF's palette keeps exactly: the generated points' yellow, the data's black, white.
_KEPT_COLOURS = ((255, 255, 0), (0, 0, 0), (255, 255, 255))


def _palette(images: Sequence[Any], kept: Sequence[tuple[int, int, int]]) -> Any:
    """One palette for every frame.

    :data:`_KEPT_COLOURS` and ``kept`` exactly, and the rest fitted by median cut to a few frames. A
    palette fitted to each frame alone turned the small yellow points olive over the green of the
    discriminator's map.
    """
    kept = list(dict.fromkeys([*_KEPT_COLOURS, *kept]))
    picks = [images[i] for i in sorted({0, len(images) // 2, len(images) - 1})]
    w, h = picks[0].size
    sheet = Image.new("RGB", (w, h * len(picks)))
    for i, im in enumerate(picks):
        sheet.paste(im, (0, i * h))
    fitted = sheet.quantize(256 - len(kept), method=Image.Quantize.MEDIANCUT)
    colours = [c for rgb in kept for c in rgb]
    colours += (fitted.getpalette() or [])[: 3 * (256 - len(kept))]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [0] * (768 - len(colours)))
    return palette


def _heat_shades(run: TrainingRun, count: int = 48) -> list[tuple[int, int, int]]:
    """``count`` shades of the heat map's colour map as drawn, for the GIF's palette.

    Drawn at alpha 0.8 over white. The colour bar's ends are too small a part of a frame for a
    fitted palette.
    """
    if not run.snapshots or run.snapshots[0].heat is None:
        return []
    cmap = colormaps["RdBu" if run.config.game_spec.wasserstein else "PiYG"]
    rgb = np.rint(255 * (0.8 * cmap(np.linspace(0, 1, count))[:, :3] + 0.2)).astype(int)
    return [(int(r), int(g), int(b)) for r, g, b in rgb]


def save_gif(
    run: TrainingRun,
    path: str | pathlib.Path,
    *,
    frame_ms: int = 150,
    last_ms: int = 2000,
    dpi: int = 144,
) -> pathlib.Path:
    """An animated GIF of the run.

    One frame per snapshot of ``run.frames`` (taken every ``frame_every`` steps by
    :func:`~divergences.lab.training.trainer.train`), or of the readouts where the run has no
    frames; samples over the critic's heatmap beside the exact W1 so far.

    The exact W1 is read out only at the readouts (an LP each): between them a frame shows new
    samples and a new heat map, and the W1 curve up to the last readout, with a line at the
    frame's step. At the default ``dpi`` a frame is 1296 x 634 pixels (legible on a projector);
    each shows ``frame_ms`` milliseconds, the last ``last_ms``. One palette serves every frame and
    keeps the samples' yellow exact.

    The frames are one figure, laid out once (at the last snapshot, whose title and curves are
    the widest) and moved from snapshot to snapshot, so that they line up and cost a draw each.
    """
    path = pathlib.Path(path)
    snaps = list(run.frames) or run.snapshots
    frames = _Frames(run, snaps, len(snaps) - 1, heat_limits(run, snaps))
    frames.fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(frames.fig)
    canvas.draw()  # the constrained layout, once
    frames.fig.set_layout_engine("none")
    images = []
    for k in range(len(snaps)):
        frames.move_to(k)
        canvas.draw()
        rgba = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        images.append(rgba.convert("RGB"))
    palette = _palette(images, _heat_shades(run))
    indexed = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    durations = [frame_ms] * (len(indexed) - 1) + [last_ms]
    indexed[0].save(
        path, save_all=True, append_images=indexed[1:], duration=durations, loop=0, optimize=False
    )
    return path
