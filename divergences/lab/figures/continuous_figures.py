r"""Figures of divergences between continuous laws: fast curves against theta, certified points.

:func:`figure_continuous_curves` draws, for three continuous families (two Gaussians moving
apart, a mixture's component moving, a Gaussian widening), KL, JS and TV against theta from the
fast path of :mod:`divergences.continuous`, and marks the thetas where the certified path
enclosed each value: the sweep behind it (:func:`~divergences.lab.figures.continuous_curves.continuous_sweep`)
raises if a fast value misses its enclosure, so a figure drawn is a figure checked. The lower
row says how close, on a log scale: the fast path's own error estimate along the curve, and
at the certified points the distance from the fast value to the enclosure's midpoint and the
enclosure's width.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from divergences.lab.figures.continuous_curves import (
    ContinuousFamily,
    ContinuousSweep,
    continuous_sweep,
    gaussian_widening,
    gaussians_apart,
    mixture_component_moving,
)
from divergences.lab.style import COLORS, new_figure, style_axes, styled

__all__ = ["continuous_curve_sweeps", "figure_continuous_curves"]

_SHORT = {"kl": "KL", "js": "JS", "tv": "TV", "hellinger": "H", "reverse_kl": "KL reverse"}
_MARKERS = {"kl": "o", "js": "s", "tv": "D", "hellinger": "^", "reverse_kl": "v"}
#: Distances below this are drawn on the bottom edge of the log-scale panels (0 has no log).
_FLOOR = 1e-17


def continuous_curve_sweeps(
    *, num: int = 121, certify: int = 9, quantities: Sequence[str] = ("kl", "js", "tv")
) -> list[tuple[ContinuousFamily, ContinuousSweep, str]]:
    """The three sweeps :func:`figure_continuous_curves` draws, each with its panel title.

    Args:
      num: thetas per family.
      certify: how many of them to certify per quantity.
      quantities: what to draw.
    """
    specs = [
        (gaussians_apart(), np.linspace(-4.0, 4.0, num), r"$N(0,1)$ vs $N(\theta,1)$"),
        (
            mixture_component_moving(),
            np.linspace(-5.0, 5.0, num),
            r"$\frac{1}{2}N(-2,1)+\frac{1}{2}N(2,1)$ vs $\frac{1}{2}N(-2,1)+\frac{1}{2}N(\theta,1)$",
        ),
        (gaussian_widening(), np.linspace(0.5, 3.0, num), r"$N(0,1)$ vs $N(0,\theta^2)$"),
    ]
    return [
        (fam, continuous_sweep(fam, t, quantities=quantities, certify=certify), title)
        for fam, t, title in specs
    ]


@styled
def figure_continuous_curves(
    sweeps: list[tuple[ContinuousFamily, ContinuousSweep, str]] | None = None,
) -> Figure:
    r"""KL, JS and TV between continuous laws against theta, checked against certified enclosures.

    Top row: the fast curves (Gauss-Kronrod quadrature in JAX, one ``vmap`` over theta), the
    family's closed forms as thin black dashes where it has them, and the certified points as
    open markers (an enclosure far narrower than the marker; the sweep raised had any fast value
    missed it). Bottom row, log scale: the fast path's error estimate (line) and, at the
    certified points, the distance of the fast value from the enclosure's midpoint (filled) and
    the enclosure's width (crosses). Distances of exactly 0 sit on the bottom edge.

    Args:
      sweeps: the output of :func:`continuous_curve_sweeps` (computed when None).
    """
    runs = continuous_curve_sweeps() if sweeps is None else sweeps
    fig, axes = new_figure(
        (15.0, 8.2), 2, len(runs), squeeze=False, gridspec_kw={"height_ratios": [3, 2]}
    )
    lowest = np.inf
    for col, (_fam, s, title) in enumerate(runs):
        ax, axe = axes[0, col], axes[1, col]
        t = s.thetas
        ct = t[s.certified]
        notes = []
        for key in s.values:
            infinite = np.isinf(s.values[key])
            if infinite.any():  # drawn where finite; the rest said in words
                notes.append(
                    f"({_SHORT.get(key, key)} = +inf at {int(infinite.sum())} of {t.size} thetas)"
                )
            color = COLORS.get(key, COLORS["grey"])
            ax.plot(t, s.values[key], color=color, linewidth=2.3, label=_SHORT.get(key, key))
            mid = 0.5 * (s.lower_bound[key] + s.upper_bound[key])
            ax.plot(
                ct, mid, _MARKERS.get(key, "o"), mfc="white", mec=color, mew=1.6, ms=8, zorder=4
            )
            if s.exact is not None and key in s.exact:
                ax.plot(t, s.exact[key], color="black", linewidth=0.9, linestyle=(0, (3, 3)))
            err = np.maximum(np.where(infinite, 0.0, s.errors[key]), _FLOOR)
            axe.plot(t, err, color=color, linewidth=1.6)
            with np.errstate(invalid="ignore"):  # inf - inf: an infinite value met exactly
                dist = np.abs(s.values[key][s.certified] - mid)
                width = s.upper_bound[key] - s.lower_bound[key]
            exact_inf = np.isinf(s.lower_bound[key]) & (s.lower_bound[key] == s.upper_bound[key])
            dist = np.maximum(np.where(exact_inf, 0.0, dist), _FLOOR)
            width = np.maximum(np.where(exact_inf, 0.0, width), _FLOOR)
            axe.plot(ct, dist, _MARKERS.get(key, "o"), color=color, ms=6, zorder=4)
            axe.plot(ct, width, "x", color=color, ms=7, mew=1.6, zorder=4)
            lowest = min(lowest, float(np.min(err)), float(np.min(dist)), float(np.min(width)))
        ax.set_title("\n".join([title, *notes]), fontsize=12)
        ax.set_xlabel(r"$\theta$")
        ax.set_ylim(bottom=-0.05)
        axe.set_yscale("log")
        axe.set_xlabel(r"$\theta$")
        style_axes(ax)
        style_axes(axe)
    axes[0, 0].set_ylabel("value (nats for KL, JS)")
    axes[1, 0].set_ylabel("error (log scale)")
    for axe in axes[1]:
        axe.set_ylim(bottom=_FLOOR / 3 if lowest <= _FLOOR else None)
    # One legend for the whole figure, below it: the quantities, then what the marks mean.
    handles, labels = axes[0, 0].get_legend_handles_labels()
    grey = COLORS["grey"]
    extra = [
        (axes[0, 0].plot([], [], color="black", lw=0.9, ls=(0, (3, 3)))[0], "closed form"),
        (
            axes[0, 0].plot([], [], "o", mfc="white", mec=grey, mew=1.6, ms=8)[0],
            "certified enclosure (midpoint)",
        ),
        (axes[0, 0].plot([], [], color=grey, lw=1.6)[0], "fast path's error estimate"),
        (
            axes[0, 0].plot([], [], "o", color=grey, ms=6)[0],
            "|fast - enclosure midpoint| (0: bottom edge)",
        ),
        (axes[0, 0].plot([], [], "x", color=grey, ms=7, mew=1.6)[0], "enclosure width"),
    ]
    fig.legend(
        handles + [h for h, _ in extra],
        labels + [lab for _, lab in extra],
        loc="outside lower center",
        ncols=4,
        frameon=False,
    )
    return fig
