r"""The Dirac-GAN's vector field with trajectories (Mescheder, Geiger & Nowozin, 2018).

The dynamics are :mod:`divergences.lab.training.dirac`'s; this module draws them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from divergences.lab.training import dirac

__all__ = ["figure_dirac"]


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
        ax.set_xticks(range(-2, 3))
        ax.set_yticks(range(-2, 3))
        ax.tick_params(axis="y", pad=6)  # the labels at the corner apart
        ax.set_xlabel(r"generator $\theta$")
        ax.set_ylabel(r"discriminator $\psi$")
        ax.set_aspect("equal")
    fig.suptitle(
        f"Dirac-GAN (Mescheder et al., 2018): {steps} gradient steps of size {step_size:g} from {start}"
    )
    return fig
