r"""Snapshots of a run: the samples over the critic's heat map, as GAN Lab draws them.

:func:`figure_snapshots` draws a few snapshots spread over training; :func:`figure_latent_grid`
the generator's image of a grid of its input space (GAN Lab's manifold view). The drawing of one
snapshot (:func:`draw_snapshot`) serves the animation and the comparison of games too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from divergences.lab.style import COLORS
from divergences.lab.training.figure_parts import run_title
from divergences.lab.training.run import Snapshot, TrainingRun
from divergences.lab.training.trainer import generate

__all__ = ["figure_latent_grid", "figure_snapshots"]


#: Generated points: yellow with a dark edge, visible on every colour of both heat maps
#: (RdBu's red, white and blue; PiYG's pink, white and green). Opaque, so that the yellow stays
#: yellow (and in a GIF's palette). Under the arrows and the data.
SAMPLE_STYLE: dict[str, Any] = {
    "s": 6,
    "c": COLORS["generated"],
    "edgecolors": "0.25",
    "linewidths": 0.3,
    "alpha": 1.0,
    "zorder": 2,
    "gid": "generated",
}

#: Data points: black, opaque, drawn last, so that a mode stays black and in sight under a
#: crowd of generated points and arrows.
DATA_STYLE: dict[str, Any] = {"s": 5, "c": COLORS["data"], "lw": 0, "zorder": 4, "gid": "data"}


#: The most generated (and data) points a snapshot draws.
MAX_POINTS = 1024


def heat_label(run: TrainingRun) -> str:
    """What the heat map shows: the discriminator's probability or the critic's value."""
    if run.config.game_spec.wasserstein:
        return "critic value $f(x)$"
    return "discriminator $D(x)$ (1: real)"


def draw_snapshot(
    ax: Any,
    run: TrainingRun,
    snap: Snapshot,
    *,
    vlim: tuple[float, float],
    max_points: int = MAX_POINTS,
    arrows: bool = True,
) -> Any:
    """Data (black) and at most ``max_points`` generated points over the critic's heat map.

    With the generator's gradient on a few of them (:func:`draw_push`) unless ``arrows`` is
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
    ax.scatter(gen[:, 0], gen[:, 1], **SAMPLE_STYLE)
    ax.scatter(data[:, 0], data[:, 1], **DATA_STYLE)
    if arrows and snap.push is not None and snap.samples.shape[1] == 2:
        draw_push(ax, snap, (x1 - x0, y1 - y0))
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


def draw_push(ax: Any, snap: Snapshot, box: tuple[float, float]) -> Any:
    """GAN Lab's arrows.

    At the first points of the snapshot, the direction in which the generator's step pulls each
    (``Snapshot.push``), scaled so that the longest arrow of the snapshot is :data:`_ARROW_LENGTH`
    of the box; their lengths compare within a snapshot. Returns the arrows (a ``Quiver``).
    """
    at, uv = _push_arrows(snap, box[0])
    return ax.quiver(
        at[:, 0],
        at[:, 1],
        uv[:, 0],
        uv[:, 1],
        angles="xy",
        scale_units="xy",
        scale=1.0,
        color=COLORS["push"],
        edgecolor="white",  # an outline: dark arrows apart from the data's black
        linewidth=0.4,
        width=0.006,
        headwidth=3.5,
        zorder=3,  # over the generated points, under the data
    )


def heat_limits(run: TrainingRun, snaps: Sequence[Snapshot]) -> tuple[float, float]:
    """One colour scale for ``snaps``: [0, 1] for D, symmetric about 0 for a WGAN critic."""
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
    vlim = heat_limits(run, snaps)
    im = None
    for ax, snap in zip(axs, snaps, strict=False):
        im = draw_snapshot(ax, run, snap, vlim=vlim)
        i = int(np.searchsorted(run.readouts.step, snap.step))
        ax.set_title(f"step {snap.step}: $W_1$ = {run.readouts.w1[i]:.3f}", fontsize="medium")
    for ax in axs[len(snaps) :]:
        ax.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=axs.tolist(), shrink=0.8, label=heat_label(run))
    fig.suptitle(
        run_title(run) + "\nblack: data, yellow: generator (as read out), arrows: where the "
        "generator's step pulls its points;\nbackground: " + heat_label(run),
        fontsize="large",
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
    ticks = np.linspace(-span, span, lines)
    t = np.linspace(-span, span, points)
    z = np.zeros((2, lines, points, c.latent_dim))
    z[0, :, :, 0], z[0, :, :, 1] = ticks[:, None], t[None, :]  # u fixed along each line
    z[1, :, :, 0], z[1, :, :, 1] = t[None, :], ticks[:, None]  # v fixed along each line
    image = generate(run, z.reshape(-1, c.latent_dim)).reshape(2, lines, points, 2)
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax_z, ax_x = fig.subplots(1, 2)
    snap = run.snapshots[-1]
    draw_snapshot(
        ax_x,
        run,
        snap._replace(samples=snap.samples[:0]),
        vlim=heat_limits(run, [snap]),
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
