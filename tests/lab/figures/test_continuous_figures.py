"""The figure of continuous curves: drawn from checked sweeps, labelled, nothing cut."""

from __future__ import annotations

import numpy as np
import pytest

from divergences.lab.figures.continuous_curves import (
    continuous_sweep,
    gaussians_apart,
    uniforms_apart,
)
from divergences.lab.figures.continuous_figures import figure_continuous_curves
from divergences.lab.figures.figure_catalogue import FIGURES

pytest.importorskip("flint")


@pytest.mark.slow
def test_the_figure_draws_each_family_with_its_certified_points() -> None:
    runs = [
        (fam, continuous_sweep(fam, t, quantities=("kl", "js", "tv"), certify=3), title)
        for fam, t, title in (
            (gaussians_apart(), np.linspace(-2, 2, 9), "gaussians"),
            (uniforms_apart(), np.linspace(-2, 2, 9), "uniforms"),
        )
    ]
    fig = figure_continuous_curves(runs)
    axes = fig.get_axes()
    assert len(axes) == 4
    # an infinite value is said in the title (KL between the uniforms: everywhere but theta = 0)
    assert [a.get_title() for a in axes[:2]] == [
        "gaussians",
        "uniforms\n(KL = +inf at 8 of 9 thetas)",
    ]
    assert axes[2].get_yscale() == "log" and axes[3].get_yscale() == "log"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:3] == ["KL", "JS", "TV"]
    assert "certified enclosure (midpoint)" in labels and "enclosure width" in labels
    # the certified markers sit at the certified thetas, on the curve
    top = axes[0]
    marker_lines = [
        ln for ln in top.get_lines() if ln.get_linestyle() == "None" and len(ln.get_xdata())
    ]
    xs = {tuple(np.round(ln.get_xdata(), 12)) for ln in marker_lines}
    assert (-2.0, 0.0, 2.0) in xs
    fig.canvas.draw()  # renders without an error (layout included)


def test_the_figure_is_one_of_the_lab_figures() -> None:
    assert "continuous_curves" in FIGURES
