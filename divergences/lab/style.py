r"""The lab's figure style: one colour registry, text sized for slides, figures without ``pyplot``.

Every figure of the lab (:mod:`divergences.lab.figures.divergence_figures` and its siblings, the critics' figures in
:mod:`divergences.lab.critics`, the training figures in :mod:`divergences.lab.training.figures`)
takes its colours from :data:`COLORS`. They are Okabe & Ito's colour-blind-safe qualitative
palette (*Color Universal Design*, 2008): one colour per quantity (W1, JS, TV, KL, the two
measures P and Q) and one per game of the training lab, each game also with its own marker
(:data:`GAME_MARKERS`) so that two games stay apart on a washed-out projector. A quantity and the
game that estimates it share their colour (W1 and the WGAN-GP critic are blue).

The training snapshots draw the data, the generated points and the generator's pull on them
over a heat map of the critic: :data:`COLORS` names their colours too (``"data"``,
``"generated"``, ``"push"``), and the snapshots' drawing order keeps the data on top.

This module sits under every figure module of the lab and imports none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

import matplotlib
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "GAME_MARKERS",
    "OKABE_ITO",
    "SLIDE_RC",
    "game_style",
    "new_figure",
    "style_axes",
    "styled",
]

#: Okabe & Ito's palette, by the names its authors give the colours.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: The lab's colours, by what they stand for.
COLORS: dict[str, str] = {
    # quantities and measures
    "w1": OKABE_ITO["blue"],
    "js": OKABE_ITO["vermillion"],
    "tv": OKABE_ITO["bluish green"],
    "kl": OKABE_ITO["reddish purple"],
    "reverse_kl": OKABE_ITO["orange"],
    "p": OKABE_ITO["blue"],
    "q": OKABE_ITO["vermillion"],
    "grey": "#555555",
    # the games of the training lab (the palette without its yellow and black)
    "gan": OKABE_ITO["vermillion"],
    "nsgan": OKABE_ITO["orange"],
    "wgan-clip": OKABE_ITO["reddish purple"],
    "wgan-gp": OKABE_ITO["blue"],
    "sngan": OKABE_ITO["bluish green"],
    "r1": OKABE_ITO["sky blue"],
    # the training snapshots: data points, generated points, the generator's pull on them
    "data": OKABE_ITO["black"],
    "generated": "#FFFF00",  # pure yellow, brighter than the palette's: a GIF keeps it exactly
    "push": "#333333",
    # the readout panels' second curves
    "high_quality": OKABE_ITO["sky blue"],
    "critic_loss": "#777777",
}

#: The games' markers, one per game.
GAME_MARKERS: dict[str, str] = {
    "gan": "v",
    "nsgan": "^",
    "wgan-clip": "X",
    "wgan-gp": "o",
    "sngan": "s",
    "r1": "D",
}

#: Colours and markers of games outside :data:`GAME_MARKERS`, in turn.
_MORE_COLORS = ("#000000", "#999999")
_MORE_MARKERS = ("P", "*")

#: The rc settings of the figures drawn for slides (:func:`styled`).
SLIDE_RC: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10.5,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}


def game_style(name: str, i: int = 0) -> dict[str, Any]:
    """The colour and marker of game ``name``, the ``i``-th of a comparison.

    A game outside the registry gets the next of two spare colours and markers.
    """
    if name in GAME_MARKERS:
        return {"color": COLORS[name], "marker": GAME_MARKERS[name]}
    return {
        "color": _MORE_COLORS[i % len(_MORE_COLORS)],
        "marker": _MORE_MARKERS[i % len(_MORE_MARKERS)],
    }


def styled(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Builds the figure under :data:`SLIDE_RC` (fonts sized for slides)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(cast(Any, SLIDE_RC)):
            return fn(*args, **kwargs)

    return wrapper


def new_figure(
    figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kw: Any
) -> tuple[Figure, Any]:
    """A figure with constrained layout, without ``pyplot``, and its ``nrows x ncols`` axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kw)


def style_axes(ax: Any) -> None:
    """A light grid behind the data, no top or right spine, tick labels sized for slides."""
    ax.grid(True, color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=11)
