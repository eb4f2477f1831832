r"""Figures of training runs.

Readouts against step, snapshots of the samples over the critic's heatmap (as GAN Lab draws them),
an animated GIF, the comparison of games, and the Dirac-GAN's vector field.

Every ``figure_*`` function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global state); :func:`save_gif` renders frames with Agg and writes them with
Pillow. Text sizes are relative to the ``font.size`` in force ("small" legends, "medium"
titles), so ``matplotlib.rc_context({"font.size": 13})`` scales every label of a figure at once.
"""

from __future__ import annotations

import io
import math
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.quiver import Quiver

from divergences.lab.training import dirac
from divergences.lab.training.trainer import Snapshot, TrainingRun
from divergences.lab.training.verdict import FLOOR_SDS, W1_FACTOR, criterion, verdict

__all__ = [
    "figure_comparison",
    "figure_dirac",
    "figure_latent_grid",
    "figure_readouts",
    "figure_snapshots",
    "gif_frame",
    "png_bytes",
    "save_gif",
]

#: The games' colours: Okabe & Ito's colour-blind-safe qualitative palette (*Color Universal
#: Design*, 2008), without its yellow (the generated points' colour) and black (the exact
#: readouts'). Each game also has its own marker in the comparison (:data:`_GAME_MARKERS`), so
#: that two games stay apart on a washed-out projector.
_GAME_COLOURS = {
    "gan": "#D55E00",  # vermillion
    "nsgan": "#E69F00",  # orange
    "wgan-clip": "#CC79A7",  # reddish purple
    "wgan-gp": "#0072B2",  # blue
    "sngan": "#009E73",  # bluish green
    "r1": "#56B4E9",  # sky blue
}

#: The games' markers in the comparison, one per game.
_GAME_MARKERS = {
    "gan": "v",
    "nsgan": "^",
    "wgan-clip": "X",
    "wgan-gp": "o",
    "sngan": "s",
    "r1": "D",
}

#: Colours and markers of games outside :data:`_GAME_COLOURS`, in turn.
_MORE_COLOURS = ("#000000", "#999999")
_MORE_MARKERS = ("P", "*")


def _title(run: TrainingRun) -> str:
    c = run.config
    opt = c.optimiser
    return (
        f"{c.game} on {c.dataset.name}, seed {c.seed}: {c.n_critic} critic step(s) per generator "
        f"step, {opt.name} lr {opt.learning_rate:g}\nread out: {_generator_label(run)}"
    )


def _generator_label(run: TrainingRun) -> str:
    """What the readouts sample: the trained generator, or its weights' moving average."""
    ema = run.config.generator_ema
    if ema is None:
        return "the trained generator"
    return f"the generator's weights averaged (EMA {ema:g})"


_FLOOR_SDS = FLOOR_SDS  # the floor band: mean +- this many standard deviations of the draws


def _floor_band(
    ax: Any, steps: np.ndarray, mean: np.ndarray, sd: np.ndarray, what: str | None
) -> list[Any]:
    """The noise floor as a grey band, mean +- ``_FLOOR_SDS`` standard deviations of its draws.

    Its mean dashed; drawn over ``steps`` only, and named in the legend unless ``what`` is None.
    Returns the band and the line (none for a floor that is not finite).
    """
    if not np.all(np.isfinite(mean)):
        return []
    half = _FLOOR_SDS * np.nan_to_num(sd)
    label = None
    if what is not None:
        label = (
            f"noise floor: {what},\n{mean[0]:.3g} $\\pm$ {half[0]:.2g} ({_FLOOR_SDS:g} sd)"
            if len(mean)
            else f"noise floor: {what}"
        )
    band = ax.fill_between(steps, mean - half, mean + half, color="0.8", lw=0, label=label)
    (line,) = ax.plot(steps, mean, color="0.5", ls="--", lw=1)
    return [band, line]


def _plot_positive(ax: Any, steps: np.ndarray, y: np.ndarray, label: str, **kw: Any) -> None:
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


def _log_above_floor(ax: Any, floor: np.ndarray, top: float) -> None:
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


def _legend_below(ax: Any) -> None:
    """The legend under the axes, off the data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)


def figure_readouts(
    run: TrainingRun, *, figsize: tuple[float, float] = (14, 8.5), columns: int = 3
) -> Figure:
    """Six panels against generator step.

    Exact W1 with its noise floor (and the WGAN critic's estimate), JS on the grid with its floor
    (and the GAN discriminator's estimate), KL on the grid with its floor, mode coverage, the
    losses, and the generator's gradient norm. The floors are bands, mean +- 2 standard deviations
    over the run's independent draws. JS and KL are on log axes of their positive values: a readout
    at or below 0 (the discriminator's estimate, a lower bound) is marked on the bottom edge and
    counted in its legend entry. Legends sit under their panels. In ``columns`` columns (3: two rows
    for a slide, 2: three rows for a page's column).
    """
    r, c = run.readouts, run.config
    game = c.game_spec
    draws = c.floor_draws
    fig = Figure(figsize=figsize, layout="constrained")
    panels = fig.subplots(math.ceil(6 / columns), columns).ravel()
    axs = np.array(panels[:6]).reshape(2, 3)  # in reading order, whatever the grid
    for extra in panels[6:]:
        extra.set_visible(False)
    s = r.step
    ax = axs[0, 0]
    _floor_band(ax, s, r.w1_floor, r.w1_floor_sd, f"$W_1$(data, data), {draws} draws")
    ax.plot(s, r.w1, "k-", lw=2, label=f"exact $W_1$ ({c.eval_size} vs {c.eval_size} points)")
    bottom = 0.0
    if game.wasserstein:
        ax.plot(
            s,
            r.critic_estimate,
            color=_GAME_COLOURS[c.game],
            label=f"the critic's own estimate of {game.estimate_name.removesuffix(' (critic)')}",
        )
        bottom = min(0.0, float(np.nanmin(r.critic_estimate)))
        if bottom < 0:
            ax.axhline(0, color="k", lw=0.6)
    ax.set_title("Wasserstein-1 (exact LP)")
    top = float(np.nanmax(np.r_[r.w1, r.w1_floor + _FLOOR_SDS * r.w1_floor_sd, bottom]))
    if game.wasserstein:
        top = max(top, float(np.nanmax(r.critic_estimate)))
    ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.05 * (top - bottom))
    ax = axs[0, 1]
    _floor_band(ax, s, r.js_floor, r.js_floor_sd, "JS(data, data)")
    js_label = f"JS on a {c.grid_bins}x{c.grid_bins} grid, {c.hist_size} points each"
    _plot_positive(ax, s, r.js_grid, js_label, c="k", lw=2)
    if not game.wasserstein:
        _plot_positive(
            ax,
            s,
            r.critic_estimate,
            "the discriminator's own estimate of JS",
            color=_GAME_COLOURS[c.game],
        )
    ax.axhline(math.log(2), color="0.6", ls=":", label="log 2, the largest JS")
    ax.set_title("Jensen-Shannon on the grid (nats, log axis)")
    _log_above_floor(ax, r.js_floor, 1.0)  # JS <= log 2
    ax = axs[0, 2]
    _floor_band(ax, s, r.kl_floor, r.kl_floor_sd, "KL(data || data)")
    _plot_positive(
        ax, s, r.kl_grid, f"KL(data || generator), pseudo-count {c.kl_pseudo_count:g}", c="k", lw=2
    )
    ax.set_title("KL on the grid (nats, log axis)")
    _log_above_floor(ax, r.kl_floor, 0.0)
    ax = axs[1, 0]
    if c.dataset.modes is not None:
        k = len(c.dataset.modes)
        ax.plot(
            s, r.modes_covered, "k-", lw=2, drawstyle="steps-post", label=f"modes covered (of {k})"
        )
        ax.set_ylim(-0.3, k + 0.3)
        ax2 = ax.twinx()
        ax2.plot(s, r.high_quality, color="tab:cyan")
        # The legend is drawn from the left axes' handles: the right axes' curve gets a proxy.
        ax.plot([], [], color="tab:cyan", label="share of high quality (within 3 sd), right axis")
        ax2.set_ylim(0, 1.02)
        ax2.set_ylabel("share of high-quality samples", color="tab:cyan")
        ax.set_title("Mode coverage")
    else:
        ax.text(
            0.5, 0.5, "no modes for this data set", ha="center", va="center", transform=ax.transAxes
        )
        ax.set_title("Mode coverage")
    ax = axs[1, 1]
    ax.plot(s, r.loss_d, color="tab:gray", label="critic loss $L_D$")
    ax.plot(s, r.loss_g, color=_GAME_COLOURS[c.game], label="generator loss $L_G$")
    ax.set_title("Losses on the readout samples")
    ax = axs[1, 2]
    ax.semilogy(s, np.maximum(r.grad_norm_g, 1e-30), color=_GAME_COLOURS[c.game])
    ax.set_title(r"generator gradient norm $\|\nabla L_G\|$")
    for ax in axs.ravel():
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
        _legend_below(ax)
    fig.suptitle(_title(run))
    return fig


#: Generated points: yellow with a dark edge, visible on every colour of both heat maps
#: (RdBu's red, white and blue; PiYG's pink, white and green); data points are black.
#: Opaque, so that the yellow stays yellow (and in a GIF's palette, :data:`_KEPT_COLOURS`).
_SAMPLE_STYLE = {"s": 6, "c": "yellow", "edgecolors": "k", "linewidths": 0.3, "alpha": 1.0}


#: The most generated (and data) points a snapshot draws.
_MAX_POINTS = 1024


def _heat_label(run: TrainingRun) -> str:
    if run.config.game_spec.wasserstein:
        return "critic value $f(x)$"
    return "discriminator $D(x)$ (1: real)"


def _draw_snapshot(
    ax: Any,
    run: TrainingRun,
    snap: Snapshot,
    *,
    vlim: tuple[float, float],
    max_points: int = _MAX_POINTS,
    arrows: bool = True,
) -> Any:
    """Data (black) and at most ``max_points`` generated points over the critic's heat map.

    With the generator's gradient on a few of them (:func:`_draw_push`) unless ``arrows`` is
    false. Returns the heat map's image (``None`` without one), for a colour bar.
    """
    c = run.config
    x0, x1, y0, y1 = c.dataset.extent
    im = None
    if snap.heat is not None:
        cmap = "RdBu" if c.game_spec.wasserstein else "PiYG"
        im = ax.imshow(
            snap.heat,
            origin="lower",
            extent=(x0, x1, y0, y1),
            cmap=cmap,
            vmin=vlim[0],
            vmax=vlim[1],
            aspect="auto",
            alpha=0.8,
            interpolation="bilinear",
        )
    data, gen = run.data_sample[:max_points], snap.samples[:max_points]
    ax.scatter(data[:, 0], data[:, 1], s=3, c="k", alpha=0.5, lw=0)
    ax.scatter(gen[:, 0], gen[:, 1], **_SAMPLE_STYLE)
    if arrows and snap.push is not None and snap.samples.shape[1] == 2:
        _draw_push(ax, snap, (x1 - x0, y1 - y0))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")  # a ring is drawn round, whatever the panel's shape
    ax.set_xticks([])
    ax.set_yticks([])
    return im


#: The longest arrow of a snapshot, as a fraction of the box's width.
_ARROW_LENGTH = 0.09


def _push_arrows(snap: Snapshot, width: float) -> tuple[np.ndarray, np.ndarray]:
    """The arrows' tails and vectors.

    ``Snapshot.push`` at its points, scaled so that the longest is :data:`_ARROW_LENGTH` of the
    box's ``width`` (all zero where every push is).
    """
    push = np.nan_to_num(np.asarray(snap.push, dtype=float))
    longest = float(np.max(np.linalg.norm(push, axis=1))) if len(push) else 0.0
    scale = _ARROW_LENGTH * width / longest if longest > 0 else 0.0
    return snap.samples[: len(push)], scale * push


def _draw_push(ax: Any, snap: Snapshot, box: tuple[float, float]) -> None:
    """GAN Lab's arrows.

    At the first points of the snapshot, the direction in which the generator's step pulls each
    (``Snapshot.push``), scaled so that the longest arrow of the snapshot is :data:`_ARROW_LENGTH`
    of the box; their lengths compare within a snapshot.
    """
    at, uv = _push_arrows(snap, box[0])
    ax.quiver(
        at[:, 0],
        at[:, 1],
        uv[:, 0],
        uv[:, 1],
        angles="xy",
        scale_units="xy",
        scale=1.0,
        color="k",
        width=0.006,
        headwidth=3.5,
        zorder=3,
    )


def _heat_limits(run: TrainingRun, snaps: Sequence[Snapshot]) -> tuple[float, float]:
    if run.config.game_spec.wasserstein:
        m = max(float(np.abs(s.heat).max()) for s in snaps if s.heat is not None)
        return -m, m
    return 0.0, 1.0


def _pick(run: TrainingRun, count: int) -> list[int]:
    n = len(run.snapshots)
    return sorted(set(np.linspace(0, n - 1, min(count, n)).round().astype(int).tolist()))


def figure_snapshots(run: TrainingRun, *, count: int = 8, columns: int = 4) -> Figure:
    """``count`` snapshots evenly spread over training.

    Data (black), generated points (yellow) over the discriminator's probability (green: real, pink:
    fake) or the critic's value, with one colour bar for all (one colour scale).
    """
    idx = _pick(run, count)
    rows = math.ceil(len(idx) / columns)
    fig = Figure(figsize=(3 * columns, 3 * rows + 0.4), layout="constrained")
    axs = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    snaps = [run.snapshots[i] for i in idx]
    vlim = _heat_limits(run, snaps)
    im = None
    for ax, snap in zip(axs, snaps, strict=False):
        im = _draw_snapshot(ax, run, snap, vlim=vlim)
        i = int(np.searchsorted(run.readouts.step, snap.step))
        ax.set_title(f"step {snap.step}: $W_1$ = {run.readouts.w1[i]:.3f}", fontsize="medium")
    for ax in axs[len(snaps) :]:
        ax.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=axs.tolist(), shrink=0.8, label=_heat_label(run))
    fig.suptitle(
        _title(run)
        + "\nblack: data, yellow: generator (as read out), arrows: where the generator's step "
        "pulls its points; background: " + _heat_label(run),
        fontsize="large",
    )
    return fig


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
        self.im = _draw_snapshot(ax, run, snap, vlim=vlim, arrows=arrows)
        # _draw_snapshot draws the data, the generated points, then the arrows (a Quiver).
        self.arrows = next((a for a in ax.collections if isinstance(a, Quiver)), None)
        self.generated = [a for a in ax.collections if not isinstance(a, Quiver)][-1]
        if self.im is not None:
            fig.colorbar(self.im, ax=ax, shrink=0.9, label=_heat_label(run))
        i = self._readout(k)
        self.band = _floor_band(
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
        top = np.r_[r.w1, r.w1_floor + _FLOOR_SDS * np.nan_to_num(r.w1_floor_sd)]
        self.ax_w.set_ylim(0, 1.05 * float(np.nanmax(top)))
        self.ax_w.set_xlabel("generator step")
        self.ax_w.grid(alpha=0.3)
        _legend_below(self.ax_w)
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
            f"yellow: {_generator_label(self.run)}",
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
        self.generated.set_offsets(snap.samples[:_MAX_POINTS])
        if self.arrows is not None:  # drawn afresh: a Quiver's tails cannot be moved
            self.arrows.remove()
            self.arrows = None
        if self.with_arrows and snap.push is not None and snap.samples.shape[1] == 2:
            x0, x1, y0, y1 = self.run.config.dataset.extent
            _draw_push(self.ax, snap, (x1 - x0, y1 - y0))
            self.arrows = self.ax.collections[-1]
        self._title(k)
        for artist in self.band:
            artist.remove()
        i = self._readout(k)
        # Redrawn up to this step, unnamed: the legend names it already.
        self.band = _floor_band(
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
        vlim = _heat_limits(run, run.snapshots)
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
    from PIL import Image

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
    import matplotlib

    if not run.snapshots or run.snapshots[0].heat is None:
        return []
    cmap = matplotlib.colormaps["RdBu" if run.config.game_spec.wasserstein else "PiYG"]
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
    from PIL import Image

    path = pathlib.Path(path)
    snaps = list(run.frames) or run.snapshots
    frames = _Frames(run, snaps, len(snaps) - 1, _heat_limits(run, snaps))
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


def _game_style(name: str, i: int) -> dict[str, Any]:
    """The colour and marker of game ``name``, the ``i``-th of a comparison."""
    return {
        "color": _GAME_COLOURS.get(name, _MORE_COLOURS[i % len(_MORE_COLOURS)]),
        "marker": _GAME_MARKERS.get(name, _MORE_MARKERS[i % len(_MORE_MARKERS)]),
    }


def _fraction(run: TrainingRun) -> np.ndarray:
    """The readouts' steps as a fraction of the run's step count."""
    return run.readouts.step / run.config.n_steps


def _verdict_title(name: str, run: TrainingRun) -> str:
    v = verdict(run)
    modes = "" if v.modes is None else f"{v.modes} of {v.modes_total} modes, "
    state = "converged" if v.converged else "not converged"
    return f"{name}, step {v.step}:\n{modes}$W_1$ {v.w1_ratio:.2g}x floor\n{state}"


def figure_comparison(
    runs: Mapping[str, TrainingRun], *, figsize: tuple[float, float] | None = None
) -> Figure:
    r"""Every game on the same data and seed, each against the fraction of its own run.

    The games have different step counts. Okabe & Ito's colour-blind-safe palette, with a marker
    per game.

    Top row: the exact :math:`W_1` as a multiple of its noise floor (log axis; the floor's band,
    mean :math:`\pm` 2 sd, and the criterion's 1.5), the modes covered (the games' lines offset
    by a few hundredths of a mode, so that games with equal counts stay apart), and the
    generator's gradient norm (the saturating GAN's vanishing gradient, weight clipping's starved
    critic). Middle row: each WGAN critic's own estimate (dashed) against the exact :math:`W_1`
    (solid), which shows how far a clipped critic is from the distance it should estimate; JS
    on the grid (solid) and each discriminator's own estimate of JS (dashed), on a log axis of
    their positive values. Bottom row: each game's last samples (yellow) over its critic, with
    the verdict (:func:`~divergences.lab.training.verdict.verdict`) in the title.
    """
    names = list(runs)
    n = len(names)
    cols = max(3, n)
    if figsize is None:
        figsize = (max(16.0, 2.9 * cols), 13.0)
    fig = Figure(figsize=figsize, layout="constrained")
    top, middle, bottom = np.asarray(fig.subfigures(3, 1, height_ratios=[1.15, 1.15, 1.0]))
    ax_w, ax_m, ax_g = top.subplots(1, 3)
    ax_e, ax_j, ax_legend = middle.subplots(1, 3)
    first = next(iter(runs.values()))
    c = first.config
    fr = first.readouts
    spread = FLOOR_SDS * float(fr.w1_floor_sd[0]) / float(fr.w1_floor[0])
    ones = np.array([0.0, 1.0])
    if math.isfinite(spread):
        ax_w.fill_between(
            ones,
            max(1 - spread, 1e-3),
            1 + spread,
            color="0.8",
            lw=0,
            label=f"noise floor, mean $\\pm$ {FLOOR_SDS:g} sd of {c.floor_draws} draws",
        )
    ax_w.axhline(1.0, color="0.5", ls="--", lw=1)
    ax_w.axhline(W1_FACTOR, color="k", ls=":", lw=1, label=f"criterion: {W1_FACTOR:g}x the floor")
    modes = c.dataset.modes
    offsets = 0.06 * (np.arange(n) - (n - 1) / 2)
    js_top = math.log(2)
    for i, (name, run) in enumerate(runs.items()):
        r = run.readouts
        x = _fraction(run)
        style = {**_game_style(name, i), "lw": 1.8, "ms": 5, "label": name}
        ax_w.semilogy(x, r.w1 / r.w1_floor, **style)
        if modes is not None:
            ax_m.plot(x, r.modes_covered + offsets[i], drawstyle="steps-post", **style)
        ax_g.semilogy(x, np.maximum(r.grad_norm_g, 1e-30), **style)
        sty = {k: v for k, v in style.items() if k != "label"}
        if run.config.game_spec.wasserstein:
            ax_e.plot(x, r.w1, **sty)
            ax_e.plot(x, r.critic_estimate, **{**sty, "ls": "--", "mfc": "none"})
        _plot_positive(ax_j, x, r.js_grid, name, **sty)
        if not run.config.game_spec.wasserstein:
            _plot_positive(ax_j, x, r.critic_estimate, "", **{**sty, "ls": "--", "mfc": "none"})
    ax_w.set_title(f"exact $W_1$ / its noise floor ({c.eval_size} points a side)")
    ax_w.set_ylabel("multiples of the noise floor")
    if modes is not None:
        ax_m.set_ylim(-0.5, len(modes) + 0.5)
        ax_m.set_title(f"modes covered (of {len(modes)}; lines offset a little)")
    else:
        ax_m.text(
            0.5,
            0.5,
            "no modes for this data set",
            ha="center",
            va="center",
            transform=ax_m.transAxes,
        )
        ax_m.set_title("modes covered")
    ax_g.set_title(r"generator gradient norm $\|\nabla_\theta L_G\|$")
    ax_e.set_title("WGAN critics: own estimate (dashed)\nagainst the exact $W_1$ (solid)")
    if not ax_e.get_lines():
        ax_e.text(
            0.5,
            0.5,
            "no WGAN in this comparison",
            ha="center",
            va="center",
            transform=ax_e.transAxes,
        )
    ax_e.axhline(0, color="k", lw=0.6)
    _floor_band(ax_j, ones, np.full(2, fr.js_floor[0]), np.full(2, fr.js_floor_sd[0]), None)
    ax_j.axhline(js_top, color="0.6", ls=":")
    below = any(  # _plot_positive marks a readout at or below 0 on the bottom edge
        np.any(np.asarray(run.readouts.critic_estimate) <= 0)
        for run in runs.values()
        if not run.config.game_spec.wasserstein
    )
    ax_j.set_title(
        "JS on the grid (solid) and the discriminators'\nown estimates (dashed), nats"
        + ("; \u25bc: \u2264 0" if below else "")
    )
    _log_above_floor(ax_j, fr.js_floor, 1.0)
    for ax in (ax_w, ax_m, ax_g, ax_e, ax_j):
        ax.set_xlabel("fraction of the game's own run")
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
    # One legend for every panel, in its own place: the games' colours and markers are shared.
    ax_legend.axis("off")
    handles, labels = ax_w.get_legend_handles_labels()
    counts = ", ".join(f"{name} {run.config.n_steps}" for name, run in runs.items())
    ax_legend.legend(
        handles,
        labels,
        loc="center",
        fontsize="medium",
        frameon=False,
        title="steps: " + counts if len(counts) < 60 else None,
    )
    if len(counts) >= 60:
        ax_legend.set_title("steps: " + counts, fontsize="small", wrap=True)
    axs = np.atleast_1d(bottom.subplots(1, cols)).ravel()
    im = None
    for i, (ax, (name, run)) in enumerate(zip(axs, runs.items(), strict=False)):
        snap = run.snapshots[-1]
        if run.config.game_spec.wasserstein and snap.heat is not None:
            # A WGAN critic is defined up to a constant: drawn about its mean over the box.
            snap = snap._replace(heat=snap.heat - float(np.mean(snap.heat)))
        im = _draw_snapshot(ax, run, snap, vlim=_heat_limits(run, [snap]), max_points=512)
        ax.set_title(
            _verdict_title(name, run), fontsize="medium", color=_game_style(name, i)["color"]
        )
        for side in ax.spines.values():
            side.set_edgecolor(_game_style(name, i)["color"])
            side.set_linewidth(3)
    for ax in axs[n:]:
        ax.set_visible(False)
    del im
    bottom.suptitle(
        "last samples (yellow) over each game's own critic: the discriminator's D "
        "(green: real, pink: fake) or the WGAN critic's f about its mean (blue: high, red: low)",
        fontsize="medium",
    )
    fig.suptitle(
        f"Every game on {c.dataset.name}, seed {c.seed}, each with its default optimiser, critic "
        f"steps and step count; verdict: {criterion(None if modes is None else len(modes))}"
    )
    return fig


def figure_latent_grid(
    run: TrainingRun, *, lines: int = 13, span: float = 2.5, points: int = 121
) -> Figure:
    r"""GAN Lab's manifold view: the generator's image of a grid in its input space.

    The grid lies in the plane of the first two latent coordinates, :math:`z = (u, v, 0, \dots,
    0)` with :math:`u, v \in [-\mathrm{span}, \mathrm{span}]` (the latent input is standard
    normal: the circles mark 1 and 2 standard deviations). Left: the grid in that plane; right:
    its image under the read-out generator over the data (black) and the last critic, each line
    in the colour of its :math:`u` (solid) or :math:`v` (dashed). Where the image's lines crowd
    together the generator is flat (a mode); where they stretch it is steep (between modes).

    Args:
      run: a run with an MLP generator of at least a 2-dimensional input.
      lines: grid lines per direction.
      span: the grid's half-width, in standard deviations of the latent input.
      points: points per line.
    """
    c = run.config
    if c.generator_kind != "mlp" or c.latent_dim < 2 or c.dataset.dim != 2:
        raise ValueError(
            "run: the latent grid needs an MLP generator of a latent input of dimension >= 2 "
            f"and 2-D data, got a {c.generator_kind} generator, latent_dim {c.latent_dim}, "
            f"data of dimension {c.dataset.dim}"
        )
    from divergences.lab.training.trainer import generate

    ticks = np.linspace(-span, span, lines)
    t = np.linspace(-span, span, points)
    z = np.zeros((2, lines, points, c.latent_dim))
    z[0, :, :, 0], z[0, :, :, 1] = ticks[:, None], t[None, :]  # u fixed along each line
    z[1, :, :, 0], z[1, :, :, 1] = t[None, :], ticks[:, None]  # v fixed along each line
    image = generate(run, z.reshape(-1, c.latent_dim)).reshape(2, lines, points, 2)
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax_z, ax_x = fig.subplots(1, 2)
    snap = run.snapshots[-1]
    _draw_snapshot(
        ax_x,
        run,
        snap._replace(samples=snap.samples[:0]),
        vlim=_heat_limits(run, [snap]),
        arrows=False,
    )
    cmap = colormaps["viridis"]
    for k in range(lines):
        colour = cmap(k / max(lines - 1, 1))
        for d, ls in ((0, "-"), (1, "--")):
            ax_z.plot(z[d, k, :, 0], z[d, k, :, 1], color=colour, ls=ls, lw=1)
            ax_x.plot(image[d, k, :, 0], image[d, k, :, 1], color=colour, ls=ls, lw=1)
    for radius in (1, 2):
        ax_z.add_patch(Circle((0, 0), radius, fill=False, color="0.4", lw=1, ls=":"))
    ax_z.set_aspect("equal")
    ax_z.set_xlabel("$z_1$ (solid lines: $z_1$ fixed, coloured by it)")
    ax_z.set_ylabel("$z_2$ (dashed lines: $z_2$ fixed)")
    if c.latent_dim == 2:
        ax_z.set_title("the generator's input: its whole plane $(z_1, z_2)$")
    else:
        plane = f"$z_3 = \\dots = z_{{{c.latent_dim}}} = 0$" if c.latent_dim > 3 else "$z_3 = 0$"
        ax_z.set_title(f"the generator's input: the plane {plane}")
    ax_x.set_title("its image under the generator, over the data and the critic")
    fig.suptitle(
        f"{c.game} on {c.dataset.name}, step {snap.step}: the generator's warp of its "
        "input space (GAN Lab's manifold view)"
    )
    return fig


def figure_dirac(
    *,
    steps: int = 300,
    step_size: float = 0.1,
    start: tuple[float, float] = (1.0, 1.0),
    gamma: float = 0.5,
    figsize: tuple[float, float] = (13, 4.3),
) -> Figure:
    """The Dirac-GAN's vector field with trajectories.

    Simultaneous and alternating gradient steps without a penalty, and with the R1 penalty
    ``gamma``; eigenvalues in the titles.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    axs = fig.subplots(1, 3)
    g = np.linspace(-2, 2, 17)
    th, ps = np.meshgrid(g, g)
    cases = [
        ("simultaneous, $\\gamma = 0$", 0.0, False),
        ("alternating, $\\gamma = 0$", 0.0, True),
        (f"simultaneous, R1 $\\gamma = {gamma:g}$", gamma, False),
    ]
    for ax, (label, gam, alt) in zip(axs, cases, strict=True):
        u, v = dirac.vector_field(th, ps, game="gan", gamma=gam)
        ax.quiver(th, ps, np.asarray(u), np.asarray(v), color="0.6", angles="xy")
        z = dirac.trajectory(
            *start, steps=steps, step_size=step_size, game="gan", gamma=gam, alternating=alt
        )
        ax.plot(z[:, 0], z[:, 1], color="tab:blue", lw=1.2)
        ax.plot(*start, "o", color="tab:blue")
        ax.plot(0, 0, "k*", ms=10)
        ev = dirac.eigenvalues_numeric(game="gan", gamma=gam)
        pair = len(ev) == 2 and abs(ev[0] - np.conj(ev[1])) <= 1e-12 * (1 + abs(ev[0]))
        evs = (
            f"{ev[0].real:.2f} \u00b1 {abs(ev[0].imag):.2f}i"
            if pair
            else ", ".join(f"{e.real:+.2f}{e.imag:+.2f}i" for e in ev)
        )
        ax.set_title(f"{label}\neigenvalues of J at 0:\n{evs}", fontsize="medium")
        ax.set_xlim(-2, 2)
        ax.set_ylim(-2, 2)
        ax.set_xlabel(r"generator $\theta$")
        ax.set_ylabel(r"discriminator $\psi$")
        ax.set_aspect("equal")
    fig.suptitle(
        f"Dirac-GAN (Mescheder et al., 2018): {steps} gradient steps of size {step_size:g} from {start}"
    )
    return fig
