r"""Figures of optimal transport: the earth mover's plan and a Kantorovich-Rubinstein potential.

Each ``figure_*`` function computes what it draws with the package's W1 solvers and returns a
:class:`matplotlib.figure.Figure` built without ``pyplot``; the catalogue
(:mod:`divergences.lab.figures.figure_catalogue`) names and writes them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from divergences import w1_dual, w1_primal
from divergences.lab.style import COLORS, new_figure, style_axes, styled

__all__ = ["figure_kr_potential", "figure_transport_plan"]


def _monotone_plan(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The north-west-corner (quantile) coupling of two pmfs on sorted points of the line."""
    plan = np.zeros((p.size, q.size))
    a, b = p.astype(float).copy(), q.astype(float).copy()
    i = j = 0
    while i < a.size and j < b.size:
        m = min(a[i], b[j])
        plan[i, j] += m
        a[i] -= m
        b[j] -= m
        if a[i] <= 1e-15:
            i += 1
        if j < b.size and b[j] <= 1e-15:
            j += 1
    return plan


@styled
def figure_transport_plan() -> Figure:
    """The earth mover's example: the optimal plan between P = (4,3,2,1)/10 and Q = (1,4,3,2)/10."""
    xs = np.arange(4.0)
    p = np.array([4, 3, 2, 1]) / 10
    q = np.array([1, 4, 3, 2]) / 10
    res = w1_primal(xs[:, None], xs[:, None], p, q)
    # On the line with cost |x - y| several plans are optimal; the LP returns one of them. The
    # figure draws the monotone (quantile) coupling, the plan of the notes, and states that its
    # cost equals the LP's value.
    plan = _monotone_plan(p, q)
    cost = float(np.sum(plan * np.abs(xs[:, None] - xs[None])))
    if abs(cost - float(res.value)) > 1e-9:
        raise RuntimeError(f"the monotone plan costs {cost}, the LP {float(res.value)}")
    fig, axes = new_figure(
        (7.2, 6.4), 2, 2, gridspec_kw={"width_ratios": [4, 1.3], "height_ratios": [1.3, 4]}
    )
    ax_top, ax_empty, ax, ax_right = axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]
    ax_empty.axis("off")
    im = ax.imshow(
        plan, cmap="Blues", vmin=0, vmax=plan.max() * 1.15, origin="upper", aspect="auto"
    )
    for i in range(4):
        for j in range(4):
            if plan[i, j] > 1e-12:
                ax.text(
                    j,
                    i,
                    f"{plan[i, j]:.1f}",
                    ha="center",
                    va="center",
                    fontsize=13,
                    color="white" if plan[i, j] > 0.2 else "black",
                )
    ax.set_xticks(range(4), [f"{v:g}" for v in xs])
    ax.set_yticks(range(4), [f"{v:g}" for v in xs])
    ax.set_xlabel(r"to $y$ (support of $Q$)")
    ax.set_ylabel(r"from $x$ (support of $P$)")
    ax_top.bar(xs, q, color=COLORS["q"], width=0.6)
    ax_top.set_xlim(-0.5, 3.5)
    ax_top.set_xticks([])
    ax_top.set_ylabel("$Q$")
    ax_top.set_title(rf"optimal plan: cost $0.3 + 0.2 + 0.1 = {cost:.1f} = W_1$ (LP)", loc="left")
    ax_right.barh(xs, p, color=COLORS["p"], height=0.6)
    ax_right.set_ylim(3.5, -0.5)
    ax_right.set_yticks([])
    ax_right.set_xlabel("$P$")
    for a in (ax_top, ax_right):
        style_axes(a)
    _ = im
    return fig


@styled
def figure_kr_potential() -> Figure:
    r"""A Kantorovich-Rubinstein potential on the line: 1-Lipschitz, slope :math:`\pm 1` between atoms.

    :math:`\mu` and :math:`\nu` are discrete measures on the line; ``dv.w1_dual`` gives the optimal
    critic f on their atoms, and :math:`\mathbb{E}_\mu f - \mathbb{E}_\nu f = W_1`. Between the
    atoms it is drawn linearly, with slope :math:`\pm 1` where mass crosses and flat elsewhere.
    """
    x = np.array([-2.0, -0.5, 1.0, 2.5])
    a = np.array([0.1, 0.4, 0.3, 0.2])
    y = np.array([-1.5, 0.0, 0.5, 3.0])
    b = np.array([0.3, 0.2, 0.3, 0.2])
    dual = w1_dual(x[:, None], y[:, None], a, b, method="lp")
    f = np.asarray(dual.f)
    z = np.concatenate([x, y])
    order = np.argsort(z)
    # The smallest 1-Lipschitz extension through the atoms' values, drawn on a fine grid.
    grid = np.linspace(z.min() - 0.5, z.max() + 0.5, 801)
    ext = np.max(f[None, :] - np.abs(grid[:, None] - z[None, :]), axis=1)
    fig, (ax, axm) = new_figure(
        (8.5, 6.0), 2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    ax.plot(grid, ext, color=COLORS["grey"], linewidth=1.4, label="a 1-Lipschitz extension")
    ax.plot(z[order], f[order], color="black", linewidth=2.2, label=r"critic $f$ through the atoms")
    ax.plot(
        x, f[: len(x)], "o", color=COLORS["p"], markersize=9, label=r"$f$ on the atoms of $\mu$"
    )
    ax.plot(
        y, f[len(x) :], "s", color=COLORS["q"], markersize=8, label=r"$f$ on the atoms of $\nu$"
    )
    ax.set_ylabel(r"$f(x)$")
    ax.set_title(
        rf"KR potential: $E_\mu f - E_\nu f = W_1 = {float(dual.value):.3f}$, $|f(s) - f(t)| \leq |s - t|$"
    )
    ax.legend(loc="upper left", frameon=True, fontsize=10)
    style_axes(ax)
    axm.vlines(x, 0, a, color=COLORS["p"], linewidth=4, label=r"$\mu$")
    axm.vlines(y, 0, -b, color=COLORS["q"], linewidth=4, label=r"$\nu$ (drawn downward)")
    axm.axhline(0, color="black", linewidth=0.8)
    axm.set_ylabel("mass")
    axm.set_xlabel("$x$")
    axm.legend(loc="upper right", frameon=True, fontsize=10, ncols=2)
    style_axes(axm)
    return fig
