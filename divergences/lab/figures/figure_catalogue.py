"""The catalogue of the lab's figures: each by name, what to see in it, and their writing to files.

:data:`FIGURES` are the figures ``divergences verify`` draws (divergence curves, the optimal
discriminator, a transport plan and potential, continuous laws, estimates from samples against
n, the digits' chain from images to scores); :data:`TRAINED_FIGURES` the
papers' figures drawn from critics the lab trains, drawn only when named; :data:`CAPTIONS` what to
see in those. :func:`save_figure` writes a figure as PNG and SVG, :func:`make_figures` the named
ones. The catalogue sits above the figure modules and the critics, which never import it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from matplotlib.figure import Figure

from divergences.lab.critics.clipping import (
    critic_value_surfaces,
    figure_layer_gradients,
    figure_value_surfaces,
    layer_gradient_norms,
)
from divergences.lab.critics.saturation import critics_on_two_gaussians, figure_two_gaussians
from divergences.lab.figures.continuous_figures import figure_continuous_curves
from divergences.lab.figures.divergence_figures import (
    figure_discretisation,
    figure_optimal_discriminator,
    figure_shifted_families,
    figure_wgan,
)
from divergences.lab.figures.estimate_figures import figure_estimates
from divergences.lab.figures.transport_figures import figure_kr_potential, figure_transport_plan
from divergences.lab.training.digits_chain import figure_digits_chain

__all__ = ["CAPTIONS", "FIGURES", "TRAINED_FIGURES", "make_figures", "save_figure"]


#: Figure name -> function producing it with its default arguments.
FIGURES: dict[str, Callable[[], Figure]] = {
    "wgan_figure1": figure_wgan,
    "discretisation": figure_discretisation,
    "shifted_families": figure_shifted_families,
    "optimal_discriminator": figure_optimal_discriminator,
    "transport_plan": figure_transport_plan,
    "kr_potential": figure_kr_potential,
    # KL, JS, TV between continuous laws against theta, each checked against certified
    # enclosures (divergences.lab.figures.continuous_figures)
    "continuous_curves": figure_continuous_curves,
    # KL, JS, W1 and MMD^2 estimated from n draws of two continuous laws, each with its
    # interval, against n, closing on the certified value (divergences.lab.figures.estimate_figures)
    "estimates_from_samples": figure_estimates,
    # the digits from images to scores with error bars: a GAN trained 4000 steps (about a
    # minute and a half on two cores), its collapsed version and a copier of training digits
    # (divergences.lab.training.digits_chain)
    "digits_chain": figure_digits_chain,
}


def _wgan_figure2() -> Figure:
    return cast(Figure, figure_two_gaussians(critics_on_two_gaussians()))


def _wgan_gp_figure1_surfaces() -> Figure:
    return cast(Figure, figure_value_surfaces(critic_value_surfaces()))


def _wgan_gp_figure1_gradients() -> Figure:
    return cast(Figure, figure_layer_gradients(layer_gradient_norms()))


#: The papers' figures drawn from critics the lab trains (a minute or more each on two cores):
#: ``divergences plot NAME`` draws them, ``make_figures`` with their names too; ``divergences
#: verify`` (``make_figures`` without names) draws only :data:`FIGURES`. Their computations are
#: in :mod:`divergences.lab.critics.saturation` and :mod:`divergences.lab.critics.clipping`.
TRAINED_FIGURES: dict[str, Callable[[], Figure]] = {
    "wgan_figure2": _wgan_figure2,
    "wgan_gp_figure1_surfaces": _wgan_gp_figure1_surfaces,
    "wgan_gp_figure1_gradients": _wgan_gp_figure1_gradients,
}

#: What to see in each trained figure, as ``divergences plot`` prints it and the docs show it.
CAPTIONS: dict[str, str] = {
    "wgan_figure2": (
        "WGAN's Figure 2 (Arjovsky, Chintala & Bottou, 2017), from the lab's critics: two "
        "Gaussians far apart, the data at -2 and a frozen generator at +2. Top: the minimax "
        "GAN's discriminator, trained to saturation, is a step from 1 to 0 (its JS estimate is "
        "log 2: it separates the samples perfectly); the clipped WGAN critic is a slope across "
        "the whole line. Bottom, on a log scale: the gradient each loss gives a generated point. "
        "Where the generator is, the minimax loss log(1 - D) gives almost nothing (about 1e-8 "
        "of its largest value): D is 0 there and flat. The WGAN critic gives the same slope "
        "everywhere; the non-saturating loss -log D also keeps a gradient at the generator, and "
        "loses it on the data's side instead."
    ),
    "wgan_gp_figure1_surfaces": (
        "WGAN-GP's Figure 1a (Gulrajani et al., 2017), from the lab's critics: the value of a "
        "WGAN critic trained against a generator held at the data (orange) plus Gaussian "
        "noise, on 8 Gaussians, 25 Gaussians and the Swiss roll; each panel on its own colour "
        "scale, the range of f in its corner. Top, weights clipped to [-0.01, 0.01]: a smooth "
        "function of range about 0.015, whose level sets take no notice of the modes or the "
        "spiral. Bottom, the gradient penalty: a range of 3.5 to 7, slope about 1, level sets "
        "that bend at the modes. (Three layers of 128 units and 2000 steps do not yet reach "
        "the paper's optimum, which peaks on every mode.)"
    ),
    "wgan_gp_figure1_gradients": (
        "WGAN-GP's Figure 1b and 1c (Gulrajani et al., 2017), from the lab's critics: a deep "
        "critic (12 hidden layers of 256 units) on the Swiss roll, the generator held at the "
        "data plus noise. Left, on a log scale: the norm of the critic's gradient with respect "
        "to each layer's weights. Clipped at c = 0.1 it is enormous at every layer (explodes: "
        "each layer of weights +-0.1 amplifies); clipped at c = 0.01 or 0.001 it shrinks by a "
        "constant factor per layer from the output back to the input, by 10 and 20 orders of "
        "magnitude (vanishes: the first layers learn nothing). Under the gradient penalty it "
        "stays near 1 at every layer. Right: clipping drives the weights to the two ends of "
        "[-c, c]; the gradient penalty leaves them spread around 0."
    ),
}


def save_figure(
    fig: Figure,
    out_dir: str | os.PathLike[str],
    name: str,
    *,
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Writes ``fig`` to ``out_dir/name.<fmt>`` for each format (PNG at 200 dpi); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=200 if fmt == "png" else None, bbox_inches="tight")
        paths.append(path)
    return paths


def make_figures(out_dir: str | os.PathLike[str], names: Sequence[str] | None = None) -> list[Path]:
    """Builds and writes the named figures.

    All of :data:`FIGURES` by default; the trained figures of :data:`TRAINED_FIGURES` only when
    named.
    """
    known = {**FIGURES, **TRAINED_FIGURES}
    chosen = list(FIGURES) if names is None else list(names)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {sorted(known)}")
    paths: list[Path] = []
    for name in chosen:
        paths += save_figure(known[name](), out_dir, name)
    return paths
