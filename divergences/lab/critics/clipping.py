r"""WGAN-GP's Figure 1: what weight clipping does to a critic, against the gradient penalty.

Three experiments, each with the lab's own WGAN critics (the ``wgan-clip`` and ``wgan-gp``
games, trained by :func:`~divergences.lab.critics.train_critic` against a frozen sample):

* **Value surfaces** (:func:`critic_value_surfaces`, Figure 1a). On 8 Gaussians, 25 Gaussians
  and the Swiss roll, the generator is held fixed at the real data plus Gaussian noise (as the
  paper's plots, whose code adds noise of standard deviation 1 to data of radius about 1.4 to
  1.9); the critic is trained to optimality under weight clipping and under the gradient
  penalty, and its value :math:`f(x)` is drawn over the plane. The clipped critic is a smooth
  function of low complexity and tiny range whose level sets take no notice of the data's
  finer structure (the modes, the spiral); the penalised one has slope about 1, and its level
  sets bend at the modes. At the lab's default size (three layers of 128, 2000 steps) the
  penalised critic is not yet the paper's optimum, which peaks on every mode.
* **Gradient norms per layer** (:func:`layer_gradient_norms`, Figure 1b). A deep critic
  (12 hidden layers of 256 units by default) on the Swiss roll: the norm
  :math:`E_x\|\partial f(x) / \partial W_l\|_F` of the critic's gradient with respect to each
  layer's weights, at the end of training. A layer of 256 weights :math:`\pm c` multiplies a
  typical vector's norm by about :math:`c\sqrt{256}`: 1.6 for :math:`c = 0.1`, so activations
  and gradients grow through the 12 layers and the norms are enormous at every layer
  (explode); 0.16 and 0.016 for :math:`c = 0.01` and :math:`0.001`, so the gradient shrinks by
  a constant factor per layer from the output back to the input (vanishes): the critic's first
  layers learn almost nothing. Under the gradient penalty the norms stay near 1.
* **Weights** (:attr:`LayerGradients.weights`, Figure 1c). Clipping pushes the weights onto the
  two ends of :math:`[-c, c]`; the gradient penalty leaves them spread.

Reference: Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, *Improved Training of Wasserstein
GANs*, NeurIPS 2017, Figure 1 and Section 3 (their toy code, ``gan_toy.py``, holds the
generator at the data plus unit Gaussian noise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from divergences.lab.critics._training import fit, unbatch
from divergences.lab.critics.trainers import WGAN_GAMES
from divergences.lab.style import OKABE_ITO, new_figure, style_axes, styled
from divergences.lab.training.config import CriticConfig
from divergences.lab.training.data import dataset
from divergences.lab.training.games import named_game

__all__ = [
    "LayerGradients",
    "ValueSurface",
    "critic_value_surfaces",
    "figure_layer_gradients",
    "figure_value_surfaces",
    "layer_gradient_norms",
    "noisy_data_generator",
]

#: The length of the paper's unit in the lab's coordinates, per data set: the lab's ring of 8
#: Gaussians has radius 2 (the paper's code: 2 / 1.414), its grid of 25 spacing 2 (the paper's:
#: 2 / 2.828); the Swiss roll is the paper's own. The fixed generator's noise is one paper unit.
PAPER_UNIT = {"ring8": math.sqrt(2.0), "grid25": 2 * math.sqrt(2.0), "swiss_roll": 1.0}


def noisy_data_generator(
    name: str, n: int, *, key: int = 0, noise: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The data and the fixed generator of WGAN-GP's Figure 1, as ``(data, generated)``.

    ``data`` is ``n`` points of the named data set; ``generated`` is ``n`` others plus Gaussian
    noise of standard deviation ``noise`` (one paper unit, :data:`PAPER_UNIT`, if ``None``).
    """
    ds = dataset(name)
    sd = PAPER_UNIT.get(name, 1.0) if noise is None else float(noise)
    ka, kb, kn = jax.random.split(jax.random.key(key), 3)
    data = np.asarray(ds.sample(ka, n), np.float64)
    other = np.asarray(ds.sample(kb, n), np.float64)
    return data, other + sd * np.asarray(jax.random.normal(kn, other.shape), np.float64)


class ValueSurface(NamedTuple):
    """One trained critic's values over the plane.

    Attributes:
      data_name: the data set.
      game: the critic's game, ``"wgan-clip"`` or ``"wgan-gp"``.
      xs, ys: the grid's axes (the data set's box).
      values: :math:`f` on the grid, shape ``(len(ys), len(xs))``.
      data: the data sample (the frozen generator's is not drawn).
      estimate: the critic's estimate on held-out points (:math:`K W_1` under clipping).
    """

    data_name: str
    game: str
    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    data: np.ndarray
    estimate: float


def _config(steps: int, hidden: Sequence[int], learning_rate: float) -> CriticConfig:
    return CriticConfig(
        steps=steps,
        critic_hidden=tuple(hidden),
        learning_rate=learning_rate,
        eval_every=max(1, steps // 10),
        patience=steps + 1,  # trained for every step: "to optimality"
        progress=False,
    )


def critic_value_surfaces(
    datasets: Sequence[str] = ("ring8", "grid25", "swiss_roll"),
    games: Sequence[str] = ("wgan-clip", "wgan-gp"),
    *,
    n: int = 1024,
    steps: int = 2000,
    critic_hidden: Sequence[int] = (128, 128, 128),
    learning_rate: float = 1e-3,
    clip: float | None = None,
    gp_weight: float | None = None,
    resolution: int = 120,
    key: int = 0,
) -> list[ValueSurface]:
    r"""Values of WGAN critics on a grid of each data set's box (WGAN-GP's Figure 1a).

    A critic is trained per data set and game against the data plus noise.

    The data sets of one game train together (one compiled program, ``vmap``). The fixed
    generator is :func:`noisy_data_generator`'s.

    Args:
      datasets: names of :data:`~divergences.lab.training.DATASETS`, 2-D.
      games: among :data:`~divergences.lab.critics.WGAN_GAMES`; the paper's two by default.
      n: points per sample.
      steps: critic steps.
      critic_hidden: hidden widths (the paper: three layers of 512).
      learning_rate: the step size of the game's optimiser.
      clip: the clipping bound :math:`c` of ``wgan-clip``; ``None`` for the game's (0.01).
      gp_weight: the gradient penalty's weight :math:`\lambda` of ``wgan-gp``; ``None`` for the
        game's (10).
      resolution: grid points per axis.
      key: the integer seed of the samples and the training.

    Returns:
      One :class:`ValueSurface` per (game, data set), games outermost.

    Raises:
      ValueError: before any training, for a game that is not a WGAN game or a constant outside
        its rule.

    Example:
      >>> from divergences.lab.critics import critic_value_surfaces
      >>> s = critic_value_surfaces(["ring8"], n=128, steps=20, critic_hidden=(8,), resolution=5)
      >>> [(v.game, v.values.shape) for v in s]
      [('wgan-clip', (5, 5)), ('wgan-gp', (5, 5))]
    """
    specs = [named_game(name, clip=clip, gp_weight=gp_weight) for name in games]
    for spec in specs:
        if not spec.wasserstein:
            raise ValueError(f"games must be WGAN games {WGAN_GAMES}, got {spec.name!r}")
    config = _config(steps, critic_hidden, learning_rate)
    samples = [noisy_data_generator(name, n, key=key) for name in datasets]
    xs = np.stack([d for d, _ in samples])
    ys = np.stack([g for _, g in samples])
    keys = jax.random.split(jax.random.key(key), len(datasets))
    out: list[ValueSurface] = []
    for game in specs:
        trained = fit(game, config, jnp.asarray(xs), jnp.asarray(ys), keys, desc=game.name)
        for i, data_name in enumerate(datasets):
            critic = unbatch(trained, game, config, 2, i)
            x0, x1, y0, y1 = dataset(data_name).extent
            gx, gy = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
            grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
            values = np.asarray(critic.critic(grid), np.float64).reshape(resolution, resolution)
            out.append(
                ValueSurface(
                    data_name, game.name, gx, gy, values, samples[i][0], float(critic.value)
                )
            )
    return out


class LayerGradients(NamedTuple):
    r"""Deep critics' gradient norms per layer and their weights.

    Attributes:
      labels: one per critic: ``"clip c = 0.1"``, ..., ``"gradient penalty"``.
      norms: :math:`E_x\|\partial f(x) / \partial W_l\|_F` per critic (rows) and linear layer
        (columns, the input layer first), at the end of training.
      weights: per label, every weight of the critic's linear layers (biases left out), flat.
      clips: the clipping bounds, in the order of the first labels.
      config: the arguments of :func:`layer_gradient_norms`.
    """

    labels: tuple[str, ...]
    norms: np.ndarray
    weights: dict[str, np.ndarray]
    clips: tuple[float, ...]
    config: dict[str, Any]


@eqx.filter_jit
def _mean_gradient_norms(params: Any, static: Any, state: Any, points: jax.Array) -> jax.Array:
    """:func:`_weight_gradient_norms` compiled: one program per network structure and shape."""

    def value(p: Any, z: jax.Array) -> jax.Array:
        return eqx.combine(p, static)(z, state, inference=True)[0]

    def norms(z: jax.Array) -> jax.Array:
        g = jax.grad(value)(params, z)
        return jnp.stack([jnp.linalg.norm(layer.weight) for layer in g.layers])

    return jnp.mean(jax.lax.map(norms, points), axis=0)


def _weight_gradient_norms(network: Any, state: Any, points: Any) -> np.ndarray:
    r"""The mean gradient norm with respect to each linear layer's weights, input layer first.

    That is :math:`E\|\partial f(x)/\partial W_l\|_F` over ``points``, for each linear layer
    :math:`l` of ``network``.
    """
    params, static = eqx.partition(network, eqx.is_inexact_array)
    # In the widest float type enabled: the norms of a vanishing gradient span hundreds of
    # decades, and float32's squares underflow to 0 below about 1e-19.
    wide = jnp.result_type(float)
    params = jax.tree_util.tree_map(lambda a: a.astype(wide), params)
    points = jnp.asarray(points, wide)
    return np.asarray(_mean_gradient_norms(params, static, state, points), np.float64)


def layer_gradient_norms(
    data: str = "swiss_roll",
    clips: Sequence[float] = (0.1, 0.01, 0.001),
    *,
    depth: int = 12,
    width: int = 256,
    n: int = 1024,
    steps: int = 500,
    learning_rate: float = 1e-3,
    gp_weight: float | None = None,
    probe_points: int = 256,
    key: int = 0,
) -> LayerGradients:
    r"""Gradient norms per layer and weights of deep critics (WGAN-GP's Figures 1b and 1c).

    A deep WGAN critic is trained under each clipping bound and under the gradient penalty; then
    the norm of the critic loss's gradient with respect to each layer's weights is read (Figure
    1b) and the weights are kept (Figure 1c).

    The critic has ``depth`` hidden layers of ``width`` units (leaky ReLU), trained for ``steps``
    steps against :func:`noisy_data_generator`'s fixed generator. The norm read out per layer
    :math:`l` is :math:`E_x \|\partial f(x) / \partial W_l\|_F`, the gradient of the critic's
    value at a point with respect to that layer's weights, averaged over ``probe_points``
    points, half real and half generated, at the trained weights: the signal back-propagation
    carries to layer :math:`l`. (The loss's own gradient, the difference of these gradients'
    means over the two samples, nearly cancels here, since the fixed generator has the data's
    mean and a clipped critic is nearly linear.)

    Args:
      data: the data set's name.
      clips: the clipping bounds :math:`c`.
      depth: the critic's number of hidden layers.
      width: the units of each hidden layer.
      n: points per sample.
      steps: critic steps.
      learning_rate: the step size of the game's optimiser.
      gp_weight: the gradient penalty's :math:`\lambda`; ``None`` for the ``wgan-gp`` game's (10).
      probe_points: points the gradient norms are averaged over (half from each sample).
      key: the integer seed.

    Returns:
      A :class:`LayerGradients`.

    Example:
      >>> from divergences.lab.critics import layer_gradient_norms
      >>> g = layer_gradient_norms(clips=(0.01,), depth=2, width=8, n=64, steps=10)
      >>> g.labels, g.norms.shape
      (('clip c = 0.01', 'gradient penalty'), (2, 3))
    """
    hidden = (int(width),) * int(depth)
    config = _config(steps, hidden, learning_rate)
    x, y = noisy_data_generator(data, n, key=key)
    games = [(f"clip c = {c:g}", named_game("wgan-clip", clip=c)) for c in clips]
    penalised = named_game("wgan-gp", gp_weight=gp_weight)
    games.append(("gradient penalty", penalised))
    xa, ya = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
    norms, weights = [], {}
    for i, (label, game) in enumerate(games):
        k = jax.random.fold_in(jax.random.key(key), i)[None]
        trained = unbatch(fit(game, config, xa[None], ya[None], k, desc=label), game, config, 2)
        probe = jnp.concatenate([xa[: probe_points // 2], ya[: probe_points // 2]])
        norms.append(_weight_gradient_norms(trained.network, trained.state, probe))
        weights[label] = np.concatenate(
            [np.asarray(layer.weight, np.float64).ravel() for layer in trained.network.layers]
        )
    return LayerGradients(
        labels=tuple(label for label, _ in games),
        norms=np.stack(norms),
        weights=weights,
        clips=tuple(float(c) for c in clips),
        config={
            "data": data,
            "depth": depth,
            "width": width,
            "n": n,
            "steps": steps,
            "learning_rate": learning_rate,
            "gp_weight": penalised.constants["gp_weight"],
            "probe_points": probe_points,
            "key": key,
        },
    )


_NAMES = {"ring8": "8 Gaussians", "grid25": "25 Gaussians", "swiss_roll": "Swiss roll"}


@styled
def figure_value_surfaces(
    surfaces: Sequence[ValueSurface], *, panel_size: float = 3.9, show_data: int = 600
) -> Figure:
    r"""WGAN-GP's Figure 1a from :func:`critic_value_surfaces`.

    One row per game (labelled by its constraint), one column per data set; the critic's value as
    filled contours (each panel on its own colour scale: a critic is defined up to a constant and,
    clipped, up to its unknown scale :math:`K`), the data as dots, and the range of :math:`f` over
    the panel in its corner.
    """
    games = list(dict.fromkeys(s.game for s in surfaces))
    names = list(dict.fromkeys(s.data_name for s in surfaces))

    fig, axes = new_figure(
        (panel_size * len(names) + 0.9, panel_size * len(games) + 0.5),
        len(games),
        len(names),
        squeeze=False,
    )
    for s in surfaces:
        ax = axes[games.index(s.game), names.index(s.data_name)]
        ax.contourf(s.xs, s.ys, s.values, levels=14, cmap="viridis")
        ax.contour(s.xs, s.ys, s.values, levels=14, colors="white", linewidths=0.4, alpha=0.5)
        pts = s.data[:show_data]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=5, color=OKABE_ITO["orange"], edgecolors="none", alpha=0.9
        )
        ax.text(
            0.03,
            0.03,
            f"range of f: {np.ptp(s.values):.2g}",
            transform=ax.transAxes,
            fontsize=10.5,
            color="white",
            bbox={"facecolor": "black", "alpha": 0.55, "lw": 0, "pad": 2},
        )
        ax.set_xlim(s.xs[0], s.xs[-1])
        ax.set_ylim(s.ys[0], s.ys[-1])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        if s.game == games[0]:
            ax.set_title(_NAMES.get(s.data_name, s.data_name))
        if s.data_name == names[0]:
            ax.set_ylabel(named_game(s.game).constraint.label, fontsize=13)
    fig.suptitle(
        "WGAN critics trained against the data (orange) plus Gaussian noise: clipped (top), "
        "a function of tiny range\nwhose level sets take no notice of the data; penalised "
        "(bottom), slope about 1 and level sets that bend at the modes",
        fontsize=12.5,
    )
    return fig


@styled
def figure_layer_gradients(
    result: LayerGradients, *, figsize: tuple[float, float] = (13.0, 5.0)
) -> Figure:
    r"""WGAN-GP's Figures 1b and 1c from :func:`layer_gradient_norms`.

    Left, the gradient norm per layer (log scale) of each deep critic; right, the histograms of the
    weights of the critic clipped at the middle bound and of the penalised one.
    """
    r = result
    palette = [OKABE_ITO[c] for c in ("vermillion", "reddish purple", "sky blue", "black")]
    markers = ["^", "s", "v", "o"]

    fig = new_figure(figsize)[0]
    fig.clear()
    grid = fig.add_gridspec(2, 2, width_ratios=[1.35, 1])
    ax = fig.add_subplot(grid[:, 0])
    layers = np.arange(1, r.norms.shape[1] + 1)
    tiny = np.finfo(np.float64).tiny
    for i, label in enumerate(r.labels):
        if label == "gradient penalty":
            legend = rf"gradient penalty, $\lambda = {r.config['gp_weight']:g}$"
        else:
            legend = label.replace("clip c", "weight clipping, c")
        ax.plot(
            layers,
            np.maximum(r.norms[i], tiny),
            color=palette[i % len(palette)],
            marker=markers[i % len(markers)],
            lw=2.4,
            ms=7,
            label=legend,
        )
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("critic layer (1 = input, last = output)")
    ax.set_ylabel(r"gradient norm $E\,\|\partial f(x) / \partial W_l\|_F$")
    ax.set_title(
        f"(b) a critic of {r.config['depth']} hidden layers of {r.config['width']} units on "
        f"the {_NAMES.get(r.config['data'], r.config['data'])}:\nclipped, its gradients "
        "explode or vanish; penalised, neither",
        fontsize=12,
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, frameon=False)
    style_axes(ax)
    # The weights: the clipped critic of the middle bound against the penalised one.
    middle = len(r.clips) // 2
    shown = ([r.labels[middle]] if r.clips else []) + ["gradient penalty"]
    for row, label in enumerate(shown):
        axh = fig.add_subplot(grid[row, 1])
        w = r.weights[label]
        color = palette[r.labels.index(label) % len(palette)]
        if label == "gradient penalty":
            # The range of all but the largest 0.1% of the weights: a few large ones would
            # squeeze the histogram into a line.
            half = float(np.quantile(np.abs(w), 0.999)) * 1.05
            axh.hist(w, bins=60, range=(-half, half), color=color, alpha=0.85)
            axh.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
            beyond = int(np.sum(np.abs(w) > half))
            title = "(c) weights, gradient penalty"
            if beyond:
                title += f" ({beyond} beyond $\\pm${half:.2g} not shown)"
        else:
            c = r.clips[middle]
            axh.hist(w, bins=60, range=(-c, c), color=color, alpha=0.85)
            ticks = np.array([-c, -c / 2, 0.0, c / 2, c])
            axh.set_xticks(ticks, [f"{t:g}" for t in ticks])
            at_edge = float(np.mean(np.abs(w) >= 0.99 * c))
            title = f"(c) weights, clipping at $\\pm${c:g}: {at_edge:.0%} at the ends"
        axh.set_title(title, fontsize=12)
        axh.set_ylabel("weights")
        axh.set_xlabel("weight value")
        style_axes(axh)
    fig.set_layout_engine("constrained")
    return fig
