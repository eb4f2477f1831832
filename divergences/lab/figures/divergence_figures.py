r"""Figures of divergences: the curves against theta and the optimal discriminator.

Every ``figure_*`` function computes what it draws with the package and returns a
:class:`matplotlib.figure.Figure` built without ``pyplot`` (no global state, no window: safe in
scripts, tests and servers). Sizes are chosen to be legible on a slide. The figures of a
transport plan and a potential are in :mod:`divergences.lab.figures.transport_figures`; the catalogue of
every figure of the lab, and their writing to files, in :mod:`divergences.lab.figures.figure_catalogue`.

Reference for the first figure: Arjovsky, Chintala & Bottou, *Wasserstein Generative
Adversarial Networks*, ICML 2017, Figure 1 (W1 and JS on the parallel lines); extended here with
KL (infinite), total variation and the derivatives in theta.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from divergences import families, optimal_discriminator
from divergences.lab.figures.divergence_curves import sweep
from divergences.lab.style import COLORS, new_figure, style_axes, styled

__all__ = [
    "LABELS",
    "figure_discretisation",
    "figure_optimal_discriminator",
    "figure_shifted_families",
    "figure_wgan",
]

LABELS = {
    "w1": r"$W_1(P_0, P_\theta)$",
    "js": r"$\mathrm{JS}(P_0 \| P_\theta)$ [nats]",
    "tv": r"$\mathrm{TV}(P_0, P_\theta)$",
    "kl": r"$\mathrm{KL}(P_0 \| P_\theta)$ [nats]",
    "reverse_kl": r"$\mathrm{KL}(P_\theta \| P_0)$ [nats]",
}


def _broken(t: np.ndarray, v: np.ndarray, jump: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inserts NaN between consecutive points whose values jump by more than ``jump``.

    A discontinuous curve is then drawn without the vertical segment a plain ``plot`` would add.
    Also returns a mask of the points left isolated (a NaN on both sides), to be drawn as dots.
    """
    cut = np.abs(np.diff(v)) > jump
    tt = np.insert(t.astype(float), np.flatnonzero(cut) + 1, np.nan)
    vv = np.insert(v.astype(float), np.flatnonzero(cut) + 1, np.nan)
    left = np.concatenate([[True], cut])
    right = np.concatenate([cut, [True]])
    return tt, vv, left & right


#: Label prefix of the dots that :func:`_plot_broken` draws at a curve's isolated values; the
#: leading underscore keeps them out of an automatic legend, and :func:`_legend` puts each dot in
#: its curve's entry.
_DOTS = "_isolated values of "


def _legend(ax: Any, **kw: Any) -> Any:
    """The axes' legend, with each curve's isolated dots drawn in that curve's entry."""
    handles, labels = ax.get_legend_handles_labels()
    dots = {
        str(ln.get_label())[len(_DOTS) :]: ln
        for ln in ax.get_lines()
        if str(ln.get_label()).startswith(_DOTS)
    }
    merged = [(h, dots[lab]) if lab in dots else h for h, lab in zip(handles, labels, strict=True)]
    return ax.legend(merged, labels, **kw)


def _plot_broken(ax: Any, t: np.ndarray, v: np.ndarray, *, jump: float = 0.3, **kw: Any) -> None:
    """Draws a curve broken at its jumps; a ``markevery`` slice picks points of ``t`` itself.

    A value left alone between two jumps (JS = 0 at theta = 0 on the parallel lines) is drawn as
    a dot, which :func:`_legend` shows in the curve's legend entry.
    """
    marker = kw.pop("marker", None)
    every = kw.pop("markevery", None)
    size = kw.pop("markersize", 7)
    tt, vv, isolated = _broken(t, v, jump)
    (line,) = ax.plot(tt, vv, marker=marker, markersize=size, markevery=[], **kw)
    if marker is not None:
        pick = np.arange(t.size)[every if every is not None else slice(None)]
        ax.plot(
            t[pick],
            v[pick],
            linestyle="none",
            marker=marker,
            markersize=size,
            color=line.get_color(),
        )
    if isolated.any():
        ax.plot(
            t[isolated],
            v[isolated],
            "o",
            color=line.get_color(),
            markersize=7,
            clip_on=False,
            zorder=5,
            label=_DOTS + str(kw.get("label", "")),
        )


#: How many up-arrows mark an infinite value across the width of the axes.
_ARROWS = 15


def _arrow_thetas(thetas: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The thetas at which to draw the up-arrows of an infinite value.

    About :data:`_ARROWS` evenly spaced thetas where ``values`` is infinite, none within half a
    spacing of a finite value (an arrow beside the dot of a finite value would read as its value).
    """
    inf = np.isinf(values)
    spacing = (thetas.max() - thetas.min()) / (_ARROWS - 1)
    even = np.unique(np.round(np.linspace(0, thetas.size - 1, _ARROWS)).astype(int))
    finite = thetas[~inf]
    if finite.size:
        clear = np.abs(thetas[even][:, None] - finite[None, :]).min(axis=1) >= spacing / 2
    else:
        clear = np.ones(even.size, dtype=bool)
    return thetas[even[inf[even] & clear]]


def _draw_infinite(ax: Any, thetas: np.ndarray, values: np.ndarray, key: str, y_top: float) -> None:
    """KL: a row of up-arrows at the top edge where it is infinite, the finite values as dots."""
    show = _arrow_thetas(thetas, values)
    ax.plot(
        show,
        np.full(show.size, y_top),
        linestyle="none",
        marker="^",
        markersize=8,
        color=COLORS[key],
        clip_on=False,
        label=LABELS[key] + r" $= +\infty$",
    )
    finite = np.isfinite(values)
    if finite.any():
        ax.plot(
            thetas[finite],
            values[finite],
            "o",
            color=COLORS[key],
            markersize=7,
            clip_on=False,
            label=LABELS[key] + ", where finite",
        )


@styled
def figure_wgan(thetas: Sequence[float] | np.ndarray | None = None) -> Figure:
    r"""The WGAN paper's Figure 1, extended: divergences and their derivatives on the parallel lines.

    Left: :math:`W_1 = |\theta|`, :math:`\mathrm{JS} = \log 2` and :math:`\mathrm{TV} = 1` for
    :math:`\theta \ne 0` (0 at 0), and KL, infinite for :math:`\theta \ne 0` (drawn as arrows at
    the top edge); where TV and JS jump, at :math:`\theta = 0`, their value there is a closed dot
    and their limit either side an open circle. Right: :math:`d/d\theta` of each, from
    ``jax.grad`` through the package: W1 gives :math:`\pm 1`, JS and TV give 0, KL has none. At
    :math:`\theta = 0` none of them has a derivative (W1's kink, TV's and JS's jump): the curves
    stop there, with open circles at their limits either side and a dashed vertical line, rather
    than drawing the 0 that ``jax.grad`` returns. Values computed by the package on the lines
    with Z on 16 grid points (which reproduces the closed forms exactly); the closed forms are
    drawn as thin black dashes.
    """
    t = np.linspace(-1.0, 1.0, 201) if thetas is None else np.asarray(thetas, dtype=float)
    fam = families.parallel_lines()
    s = sweep(fam, t, quantities=("kl", "js", "tv", "w1"), gradients=True)
    assert s.gradients is not None and s.exact is not None
    fig, (ax, axg) = new_figure((12.0, 5.2), 1, 2)
    top = 1.25
    widths = {"w1": 2.6, "tv": 2.6, "js": 2.6}
    for key in ("w1", "tv", "js"):
        _plot_broken(
            ax, t, s.values[key], color=COLORS[key], linewidth=widths[key], label=LABELS[key]
        )
        ax.plot(
            *_broken(t, s.exact[key], 0.3)[:2], color="black", linewidth=0.9, linestyle=(0, (3, 3))
        )
    _draw_infinite(ax, t, s.values["kl"], "kl", top)
    ax.plot([], [], color="black", linewidth=0.9, linestyle=(0, (3, 3)), label="closed form")
    # TV and JS jump at theta = 0 (0 there, 1 and log 2 on either side): the value is the closed
    # dot, the limit either side an open circle, a value the function does not take there.
    jumps = np.zeros(t.shape, dtype=bool)
    for key in ("tv", "js"):
        isolated = _broken(t, s.values[key], 0.3)[2]
        isolated[[0, -1]] = False  # the ends of the range are no jumps
        jumps |= isolated
        limit = s.values[key][np.flatnonzero(isolated) - 1]
        ax.plot(t[isolated], limit, "o", mfc="white", mec=COLORS[key], mew=2, ms=8, zorder=5)
    ax.plot(
        [],
        [],
        "o",
        mfc="white",
        mec=COLORS["grey"],
        mew=2,
        ms=8,
        label=r"TV, JS as $\theta \to 0$: a jump",
    )
    ax.annotate(
        r"all four are 0 at $\theta = 0$",
        xy=(0.0, 0.0),
        xytext=(0.3, 0.03),
        fontsize=11,
        va="bottom",
        arrowprops={"arrowstyle": "->", "color": COLORS["grey"], "shrinkB": 5},
    )
    ax.text(t.max(), math.log(2) + 0.02, r"$\log 2$", color=COLORS["js"], ha="right", va="bottom")
    ax.set_ylim(-0.05, top)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel("value (KL, JS in nats)")
    # The KL arrows sit on the top edge: the title is lifted clear of them.
    ax.set_title(r"$P_0 = (0, Z)$ vs $P_\theta = (\theta, Z)$, $Z \sim U[0,1]$", pad=18)
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False)
    style_axes(ax)

    # Where TV and JS jump (and W1 has its kink) none of the three has a derivative: the curves
    # stop short of theta = 0 with open circles at their limits, and a dashed line marks it.
    styles = {"w1": "-", "tv": "-", "js": (0, (5, 3))}
    sizes = {"w1": 8, "tv": 11, "js": 7}
    for key in ("w1", "tv", "js"):
        g = np.where(jumps, np.nan, s.gradients[key])
        _plot_broken(
            axg,
            t,
            g,
            jump=0.5,
            color=COLORS[key],
            linewidth=2.6 if key != "tv" else 4.5,
            linestyle=styles[key],
            label=r"$d/d\theta$ " + LABELS[key].split(" [")[0],
        )
        for i in np.flatnonzero(jumps):
            limits = {g[j] for j in (i - 1, i + 1) if 0 <= j < t.size and np.isfinite(g[j])}
            axg.plot(
                np.full(len(limits), t[i]),
                sorted(limits),
                "o",
                mfc="white",
                mec=COLORS[key],
                mew=2,
                ms=sizes[key],
                zorder=5,
            )
    for x in t[jumps]:
        axg.axvline(  # stops below the KL note at the top
            x, ymax=0.86, color=COLORS["grey"], linewidth=1.2, linestyle=(0, (4, 3)), zorder=1
        )
    marks = (
        axg.plot([], [], color=COLORS["grey"], linewidth=1.2, linestyle=(0, (4, 3)))[0],
        axg.plot([], [], "o", mfc="white", mec=COLORS["grey"], mew=2, ms=8)[0],
    )
    axg.text(
        0.02,
        0.97,
        r"KL: no derivative ($+\infty$ for all $\theta \neq 0$)",
        transform=axg.transAxes,
        color=COLORS["kl"],
        va="top",
        fontsize=11,
    )
    axg.set_ylim(-1.35, 1.35)
    axg.set_xlabel(r"$\theta$")
    axg.set_ylabel(r"derivative in $\theta$")
    axg.set_title(r"the gradient a generator receives: only $W_1$ gives one", pad=18)
    from matplotlib.legend_handler import HandlerTuple

    handles, labels = axg.get_legend_handles_labels()
    handles.append(marks)
    labels.append(r"none at $\theta = 0$ (limits beside it)")
    axg.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=2,
        frameon=False,
        handlelength=3.5,  # two whole dashes of d/dtheta JS
        handler_map={tuple: HandlerTuple(ndivide=None)},
    )
    style_axes(axg)
    return fig


@styled
def figure_discretisation(thetas: Sequence[float] | np.ndarray | None = None) -> Figure:
    r"""How the discretisation changes the parallel lines: exact Z-grid, pixels, samples.

    Left: W1 against theta; on pixels it is a staircase (0 below half a pixel, zero gradient
    almost everywhere); from independent samples it is biased upward (:math:`\ge |\theta|`, > 0
    at 0). Right: JS, which on samples stays at log 2 even at :math:`\theta = 0`.
    """
    t = np.linspace(-0.5, 0.5, 101) if thetas is None else np.asarray(thetas, dtype=float)
    # Away from theta = 0 all three JS curves equal log 2 exactly: they are told apart by a wide
    # pale band (grid), squares (pixels) and triangles (samples) placed at alternating thetas.
    every = max(1, t.size // 10)
    fams: list[tuple[Any, str, dict[str, Any]]] = [
        (
            families.parallel_lines(),
            "Z on a grid (= closed form)",
            {"color": COLORS["w1"], "linewidth": 7.0, "alpha": 0.35, "solid_capstyle": "butt"},
        ),
        (
            families.parallel_lines_pixels(x_step=0.1, x_max=1.0),
            "pixels of width 0.1",
            {
                "color": COLORS["tv"],
                "linewidth": 2.2,
                "marker": "s",
                "markersize": 6,
                "markevery": slice(0, None, every),
            },
        ),
        (
            families.parallel_lines_sampled(n=32, seed=0),
            "32 samples of Z per line",
            {
                "color": COLORS["js"],
                "linewidth": 2.0,
                "linestyle": (0, (4, 2)),
                "marker": "^",
                "markersize": 7,
                "markevery": slice(every // 2, None, every),
            },
        ),
    ]
    fig, (ax, axj) = new_figure((12.0, 5.2), 1, 2)
    for fam, label, style in fams:
        s = sweep(fam, t, quantities=("js", "w1"))
        for axis, key, jump in ((ax, "w1", 0.05), (axj, "js", 0.3)):
            _plot_broken(axis, t, s.values[key], jump=jump, label=label, **style)
    ax.plot(t, np.abs(t), color="black", linewidth=0.9, linestyle=(0, (3, 3)), label=r"$|\theta|$")
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$W_1(P_0, P_\theta)$")
    ax.set_title(r"$W_1$: staircase on pixels, biased up from samples")
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False)
    style_axes(ax)
    axj.set_xlabel(r"$\theta$")
    axj.set_ylabel(r"$\mathrm{JS}(P_0 \| P_\theta)$ [nats]")
    axj.set_ylim(-0.05, 0.95)
    axj.set_title(r"JS: $\log 2$ except where the supports meet")
    axj.annotate(
        r"all three equal $\log 2$ here",
        xy=(-0.3, math.log(2)),
        xytext=(-0.45, 0.45),
        fontsize=11,
        arrowprops={"arrowstyle": "->", "color": COLORS["grey"]},
    )
    axj.annotate(
        r"samples: $\log 2$ even at $\theta = 0$",
        xy=(0.0, math.log(2) + 0.015),
        xytext=(0.0, 0.83),
        ha="center",
        va="bottom",
        color=COLORS["js"],
        fontsize=11,
        arrowprops={"arrowstyle": "->", "color": COLORS["js"]},
    )
    axj.annotate(
        "pixels: 0 for $|\\theta| < 0.05$\ngrid: 0 only at $\\theta = 0$",
        xy=(0.045, 0.0),
        xytext=(0.12, 0.2),
        fontsize=11,
        arrowprops={"arrowstyle": "->", "color": COLORS["grey"]},
    )
    _legend(axj, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False)
    style_axes(axj)
    return fig


@styled
def figure_shifted_families(thetas: Sequence[float] | np.ndarray | None = None) -> Figure:
    r"""Divergences against a shift for two smooth families: Gaussians and uniforms.

    Shifted Gaussians keep overlapping: KL grows like :math:`\theta^2/2`, JS and TV saturate,
    W1 = :math:`|\theta|`. Shifted uniforms lose overlap at :math:`|\theta| = 1`: KL is infinite at
    once, JS and TV stop at log 2 and 1, only W1 keeps growing. Both panels share one scale, tall
    enough for every finite value; the closed forms each family has are drawn as thin black
    dashes, and the legend names them (the JS of two Gaussians has none).
    """
    t = np.linspace(-2.5, 2.5, 101) if thetas is None else np.asarray(thetas, dtype=float)
    fig, axes = new_figure((12.0, 5.4), 1, 2)
    titles = (
        r"$P_0 = N(0, 1)$, $P_\theta = N(\theta, 1)$",
        r"$P_0 = U[0, 1]$, $P_\theta = U[\theta, \theta + 1]$",
    )
    sweeps = [
        sweep(fam, t, quantities=("kl", "js", "tv", "w1"))
        for fam in (families.shifted_gaussians(), families.shifted_uniforms())
    ]
    # One scale for both panels, tall enough for every finite value (KL = theta^2 / 2 included);
    # the arrows of an infinite KL sit on its top edge.
    finite = np.concatenate([v[np.isfinite(v)] for s in sweeps for v in s.values.values()])
    top = 1.08 * float(finite.max())
    short = {"w1": r"$W_1$", "tv": "TV", "js": "JS", "kl": "KL"}
    for ax, s, title in zip(axes, sweeps, titles, strict=True):
        for key in ("w1", "tv", "js"):
            ax.plot(t, s.values[key], color=COLORS[key], linewidth=2.4, label=LABELS[key])
        kl = s.values["kl"]
        if np.isinf(kl).any():
            _draw_infinite(ax, t, kl, "kl", top)
        else:
            ax.plot(t, kl, color=COLORS["kl"], linewidth=2.2, label=LABELS["kl"])
        assert s.exact is not None
        dashed = []
        for key in ("w1", "tv", "js", "kl"):
            v = s.exact.get(key)
            if v is None or np.isfinite(v).sum() < 2:  # no closed form, or no curve to draw
                continue
            dashed.append(short[key])
            ax.plot(
                t,
                np.where(np.isinf(v), np.nan, v),
                color="black",
                linewidth=0.9,
                linestyle=(0, (3, 3)),
            )
        ax.plot(
            [],
            [],
            color="black",
            linewidth=0.9,
            linestyle=(0, (3, 3)),
            label=f"closed form ({', '.join(dashed)})",
        )
        ax.set_ylim(-0.05, top)
        ax.set_xlabel(r"shift $\theta$")
        ax.set_ylabel("value")
        ax.set_title(title, pad=18)  # clear of the KL arrows on the top edge
        _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False)
        style_axes(ax)
    return fig


@styled
def figure_optimal_discriminator() -> Figure:
    r"""The optimal discriminator :math:`D^*(x) = p(x) / (p(x) + q(x))` over x.

    Data p: a mixture of two Gaussians; generator q: one Gaussian; both as cell masses on a grid.
    :math:`D^* = 1/2` where the densities are equal, tends to 1 where only data lives and to 0
    where only the generator does.
    """
    x = np.linspace(-5.0, 5.0, 801)
    h = x[1] - x[0]

    from scipy import stats  # here, not at start-up: slow to import, for this figure alone

    def density(mix: list[tuple[float, float, float]]) -> np.ndarray:
        return np.asarray(sum(w * stats.norm.pdf(x, m, s) for w, m, s in mix))

    p = density([(0.5, -2.0, 0.6), (0.5, 1.5, 0.8)])
    q = density([(1.0, 0.5, 1.3)])
    pm, qm = p * h, q * h
    pm, qm = pm / pm.sum(), qm / qm.sum()
    d = np.asarray(optimal_discriminator(jnp.asarray(pm), jnp.asarray(qm)))
    fig, (ax, axd) = new_figure(
        (8.5, 6.0), 2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1]}
    )
    ax.fill_between(x, p, color=COLORS["p"], alpha=0.25)
    ax.plot(x, p, color=COLORS["p"], linewidth=2.2, label=r"data $p(x)$")
    ax.fill_between(x, q, color=COLORS["q"], alpha=0.25)
    ax.plot(x, q, color=COLORS["q"], linewidth=2.2, label=r"generator $q(x)$")
    ax.set_ylabel("density")
    ax.legend(loc="upper right", frameon=True)
    ax.set_title(r"The optimal discriminator $D^*(x) = p(x) / (p(x) + q(x))$")
    style_axes(ax)
    axd.plot(x, d, color="black", linewidth=2.4, label=r"$D^*(x)$")
    axd.axhline(0.5, color=COLORS["grey"], linewidth=0.9, linestyle=":")
    # Where p = q the curve crosses 1/2: dots there. The label sits above the line in the widest
    # stretch where the curve stays below 1/2, so that the curve never runs through it.
    cross = np.flatnonzero(np.diff(np.sign(d - 0.5)) != 0)
    axd.plot(x[cross], d[cross], "o", color=COLORS["grey"], markersize=6, zorder=3)
    gaps = [(x[a], x[b]) for a, b in itertools.pairwise(cross) if d[(a + b) // 2] < 0.5]
    lo, hi = max(gaps, key=lambda g: g[1] - g[0]) if gaps else (x.min(), x.max())
    axd.text(
        (lo + hi) / 2,
        0.53,
        r"$D^* = 1/2$: $p = q$",
        color=COLORS["grey"],
        ha="center",
        va="bottom",
    )
    axd.set_ylim(-0.03, 1.03)
    axd.set_xlabel("$x$")
    axd.set_ylabel(r"$D^*(x)$ = P(real | $x$)")
    style_axes(axd)
    return fig
