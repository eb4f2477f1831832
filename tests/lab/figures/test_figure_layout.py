"""Every published figure of the lab lays out its text legibly.

Each figure is drawn as the docs, the notebooks and ``divergences plot`` draw it (the training
figures from a synthetic run: no training), and fails where two drawn texts overlap (a legend
over the next row's axis label, a title over a tick label) or a text leaves the canvas (a title
cut at the edge, a colour bar's label clipped). The texts are those the renderer draws: tick
labels outside the view limits and artists of hidden axes are not drawn and not checked. A figure
function added to the lab and not drawn here fails ``test_every_figure_of_the_lab_is_drawn_here``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import BboxBase

from divergences.lab import critics
from divergences.lab.critics import (
    CriticSweep,
    LayerGradients,
    TwoGaussians,
    ValueSurface,
    figure_layer_gradients,
    figure_two_gaussians,
    figure_value_surfaces,
    plot_critic_sweep,
)
from divergences.lab.figures import (
    continuous_figures,
    divergence_figures,
    estimate_figures,
    figure_catalogue,
    transport_figures,
)
from divergences.lab.training import TrainingConfig, TrainingRun, figures
from tests.lab.training.synthetic import synthetic_run

# Every published figure drawn and measured: the slow tier (make verify draws them too).
pytestmark = pytest.mark.slow

#: Pixels two text boxes may share (antialiasing, a glyph's side bearing) at the test's dpi.
TOLERANCE = 1.0


@contextmanager
def _recording_texts() -> Iterator[list[Text]]:
    """The texts that a draw inside the block draws, visible and not empty, each once."""
    drawn: list[Text] = []
    original = Text.draw

    def draw(self: Text, renderer: Any) -> None:
        if self.get_visible() and self.get_text().strip() and self not in drawn:
            drawn.append(self)
        original(self, renderer)

    with mock.patch.object(Text, "draw", draw):
        yield drawn


def layout_defects(fig: Figure, *, dpi: float = 100.0) -> list[str]:
    """Pairs of drawn texts whose boxes overlap, and drawn texts that leave the canvas."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    with _recording_texts() as texts:
        canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    canvas_box = fig.bbox.padded(TOLERANCE)
    defects = []
    for t, box in boxes:
        if not _inside(box, canvas_box):
            defects.append(f"leaves the canvas {_extent(fig.bbox)}: {_name(t)} at {_extent(box)}")
    shrunk = [(t, box.padded(-TOLERANCE / 2)) for t, box in boxes]
    for i, (t, box) in enumerate(shrunk):
        for u, other in shrunk[i + 1 :]:
            if box.overlaps(other):
                defects.append(f"overlap: {_name(t)} and {_name(u)}")
    return defects


def _inside(box: BboxBase, outer: BboxBase) -> bool:
    return bool(
        box.x0 >= outer.x0 and box.y0 >= outer.y0 and box.x1 <= outer.x1 and box.y1 <= outer.y1
    )


def _extent(box: BboxBase) -> str:
    return f"[{box.x0:.0f}, {box.x1:.0f}] x [{box.y0:.0f}, {box.y1:.0f}]"


def _name(t: Text) -> str:
    return repr(t.get_text()[:60])


def assert_legible(fig: Figure) -> None:
    defects = layout_defects(fig)
    assert not defects, "\n".join(defects)


# The check itself: it finds what it is meant to find.


def test_the_check_finds_overlapping_texts_and_texts_off_the_canvas() -> None:
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    ax.text(0.5, 0.5, "one", transform=ax.transAxes)
    ax.text(0.5, 0.5, "two", transform=ax.transAxes)
    fig.text(0.98, 0.5, "far to the right")
    defects = layout_defects(fig)
    assert any("overlap: 'one' and 'two'" in d for d in defects)
    assert any("leaves the canvas" in d and "far to the right" in d for d in defects)


def test_the_check_passes_a_plain_figure_and_skips_hidden_axes() -> None:
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax, hidden = fig.subplots(1, 2)
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_xlabel("x")
    ax.set_title("a title")
    ax.legend()
    hidden.text(0.5, 0.5, "hidden", transform=ax.transAxes)  # over the legend, but not drawn
    hidden.set_visible(False)
    assert layout_defects(fig) == []


def test_every_figure_of_the_lab_is_drawn_here() -> None:
    """A figure function added to the lab is measured here, or this test says which is not.

    The catalogue's figures are drawn by name (``test_divergence_figures``); each other function
    that draws a figure (the training figures, the critics') is called in this file.
    """
    catalogued = {f.__name__ for f in figure_catalogue.FIGURES.values()}
    for module in (divergence_figures, transport_figures, continuous_figures, estimate_figures):
        drawn = {n for n in module.__all__ if n.startswith("figure_")}
        assert drawn <= catalogued, f"not in figure_catalogue.FIGURES: {drawn - catalogued}"
    functions = {n for n in figures.__all__ if n.startswith("figure_") or n == "gif_frame"}
    functions |= {n for n in critics.__all__ if n.startswith(("figure_", "plot_"))}
    source = Path(__file__).read_text(encoding="utf-8")
    missing = {n for n in functions if f"{n}(" not in source}
    assert not missing, f"figures not drawn in {Path(__file__).name}: {sorted(missing)}"


# The training figures, from a synthetic run shaped as the docs' (6000 steps read out every 300).


def _synthetic_run(game: str = "sngan", *, seed: int = 0) -> TrainingRun:
    config = TrainingConfig(
        data="ring8",
        game=game,
        steps=6000,
        eval_every=300,
        eval_size=2048,
        heat_resolution=48,
        critic_hidden=(8,),
        generator_hidden=(8,),
        latent_dim=8,
    )
    return synthetic_run(config, seed=seed)


@pytest.fixture(scope="module")
def run() -> TrainingRun:
    return _synthetic_run()


@pytest.fixture(scope="module")
def wgan_run() -> TrainingRun:
    return _synthetic_run("wgan-gp", seed=1)


def _at_font_size(size: float | None, draw: Callable[[], Figure]) -> Figure:
    if size is None:
        return draw()
    with matplotlib.rc_context({"font.size": size}):
        return draw()


@pytest.mark.parametrize(
    ("font_size", "options"),
    [
        (None, {}),  # divergences train's readouts.png
        (13, {"figsize": (10, 12), "columns": 2}),  # the training page
        (None, {"figsize": (14, 7)}),  # notebook 09
    ],
    ids=["cli", "docs", "notebook"],
)
@pytest.mark.parametrize("game", ["sngan", "wgan-gp"])
def test_training_readouts(run, wgan_run, game, font_size, options) -> None:
    r = run if game == "sngan" else wgan_run
    assert_legible(_at_font_size(font_size, lambda: figures.figure_readouts(r, **options)))


@pytest.mark.parametrize("font_size", [None, 13], ids=["cli", "docs"])
@pytest.mark.parametrize("game", ["sngan", "wgan-gp"])
def test_training_snapshots(run, wgan_run, game, font_size) -> None:
    r = run if game == "sngan" else wgan_run
    assert_legible(_at_font_size(font_size, lambda: figures.figure_snapshots(r)))


def test_training_snapshots_of_notebook_09(run) -> None:
    four = run._replace(snapshots=[run.snapshots[i] for i in (0, 3, 5, 7)])
    assert_legible(figures.figure_snapshots(four))


def test_training_snapshots_of_notebook_06(run) -> None:
    assert_legible(figures.figure_snapshots(run, count=4))


def test_training_comparison(run) -> None:
    runs = {}
    for game in ("gan", "nsgan", "wgan-clip", "wgan-gp", "sngan", "r1"):
        g = _synthetic_run(game) if game in ("wgan-clip", "wgan-gp") else run
        runs[game] = g._replace(config=dataclasses.replace(g.config, game=game))
    assert_legible(figures.figure_comparison(runs))


@pytest.mark.parametrize("k", [0, -1])
def test_training_gif_frame(run, k) -> None:
    assert_legible(figures.gif_frame(run, k % len(run.snapshots)))


def test_training_on_digits() -> None:
    # divergences train --data digits: readouts.png and digits.png, from a synthetic run
    config = TrainingConfig.for_data("digits", critic_hidden=(8,), generator_hidden=(8,))
    digits_run = synthetic_run(config)
    assert_legible(figures.figure_image_readouts(digits_run))
    assert_legible(figures.figure_digits(digits_run))


def test_training_latent_grid(run) -> None:
    assert_legible(figures.figure_latent_grid(run))


@pytest.mark.parametrize("font_size", [None, 13], ids=["cli", "docs"])
def test_dirac_gan(font_size) -> None:
    figsize = (13.0, 4.3) if font_size is None else (11.0, 5.4)  # the default, the docs'

    def draw() -> Figure:
        return figures.figure_dirac(steps=300, gamma=0.5, figsize=figsize)

    assert_legible(_at_font_size(font_size, draw))


# The divergence figures of ``divergences verify`` and ``divergences plot``.


@pytest.mark.parametrize("name", list(figure_catalogue.FIGURES))
def test_divergence_figures(name: str) -> None:
    assert_legible(figure_catalogue.FIGURES[name]())


# The critics' figures (the papers' figures of ``divergences plot``), from synthetic results.


def test_critics_two_gaussians() -> None:
    x = np.linspace(-5, 5, 401)
    p = np.exp(-0.5 * ((x + 2) / 0.5) ** 2)
    q = np.exp(-0.5 * ((x - 2) / 0.5) ** 2)
    d = 1 / (1 + np.exp(8 * x))
    result = TwoGaussians(
        x=x,
        data_density=p,
        generator_density=q,
        discriminator=d,
        critic=-0.01 * x,
        minimax_gradient=8 * d,
        nonsaturating_gradient=8 * (1 - d),
        critic_gradient=np.full_like(x, 0.01),
        js_estimate=0.69,
        critic_estimate=0.04,
        w1=4.0,
        config={"clip": 0.01, "data_mean": -2.0, "generator_mean": 2.0, "std": 0.5},
    )
    assert_legible(figure_two_gaussians(result))


@pytest.mark.parametrize("panel_size", [None, 3.0], ids=["plot", "notebook-08"])
def test_critics_value_surfaces(panel_size) -> None:
    xs = np.linspace(-3, 3, 40)
    values = np.add.outer(xs, xs)
    data = np.random.default_rng(0).normal(size=(300, 2))
    surfaces = [
        ValueSurface(name, game, xs, xs, scale * values, data, 1.0)
        for game, scale in (("wgan-clip", 0.01), ("wgan-gp", 3.0))
        for name in ("ring8", "grid25", "swiss_roll")
    ]
    options = {} if panel_size is None else {"panel_size": panel_size}
    assert_legible(figure_value_surfaces(surfaces, **options))


def test_critics_layer_gradients() -> None:
    labels = ("clip c = 0.1", "clip c = 0.01", "clip c = 0.001", "gradient penalty")
    depth = 12
    layers = np.arange(depth + 1)
    norms = np.stack([1e3 * 2.0**layers, 0.5**layers, 1e-3 * 0.1**layers, np.ones(depth + 1)])
    rng = np.random.default_rng(0)
    weights = {label: rng.uniform(-0.01, 0.01, 2000) for label in labels}
    weights["gradient penalty"] = rng.normal(scale=0.1, size=2000)
    result = LayerGradients(
        labels,
        norms,
        weights,
        (0.1, 0.01, 0.001),
        {"gp_weight": 10.0, "depth": depth, "width": 256, "data": "swiss_roll"},
    )
    assert_legible(figure_layer_gradients(result))


@pytest.mark.parametrize("figsize", [None, (12, 3.5)], ids=["cli", "docs"])
def test_critics_sweep(figsize) -> None:
    import matplotlib.pyplot as plt

    thetas = np.linspace(-1, 1, 9)
    w1 = np.abs(thetas)
    js = np.where(thetas == 0, 0.0, math.log(2))
    names = ("GAN discriminator", "WGAN, gradient penalty", "WGAN, spectral norm", "WGAN, clipping")
    estimates = {
        "GAN discriminator": np.where(thetas == 0, 0.0, math.log(2) - 0.01),
        "WGAN, gradient penalty": w1 * 1.05,
        "WGAN, spectral norm": w1 * 0.95,
        "WGAN, clipping": 0.003 * w1,
    }
    sweep = CriticSweep(
        thetas, estimates, {k: np.zeros((2, 3)) for k in names}, js, w1, 0.003, 10.0, {}
    )
    fig = plot_critic_sweep(sweep) if figsize is None else plot_critic_sweep(sweep, figsize=figsize)
    try:
        assert_legible(fig)
    finally:
        plt.close(fig)
