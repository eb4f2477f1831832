r"""WGAN's Figure 2: a GAN discriminator trained to saturation beside a WGAN critic, on the line.

Two Gaussians far apart, the data :math:`P = N(\mu_P, \sigma^2)` and a frozen generator's
:math:`Q = N(\mu_Q, \sigma^2)`. Both critics are the lab's own, trained by
:func:`~divergences.lab.critics.train_critic` against the frozen sample of :math:`Q`:

* the **GAN discriminator** (the ``gan`` game: the minimax GAN), a logit :math:`v` with
  :math:`D = \sigma(v)`, trained by cross-entropy. On disjoint supports it can separate the two
  samples perfectly, so the longer it trains the larger :math:`|v|` grows and :math:`D`
  saturates: 1 on the data, 0 on the generator. A generated point :math:`\tilde x` then receives
  from the minimax loss :math:`\ell(\tilde x) = \log(1 - D(\tilde x)) = -\mathrm{softplus}(v)`
  the gradient

  .. math:: \frac{d\ell}{d\tilde x} = -D(\tilde x)\, v'(\tilde x),

  which vanishes with :math:`D(\tilde x)`: the generator learns nothing where it is. The
  non-saturating loss :math:`-\log D(\tilde x)` has :math:`-(1 - D(\tilde x))\, v'(\tilde x)`
  instead, which does not (Goodfellow et al., 2014, Section 3).
* the **WGAN critic** with its weights clipped to :math:`[-c, c]` (the ``wgan-clip`` game), which
  maximises :math:`E_P f - E_Q f`; a :math:`K`-Lipschitz function for some :math:`K` fixed by
  :math:`c` and the network. Its best shape between two far-apart masses is a straight line of
  slope :math:`K`, so a generated point gets :math:`-f'(\tilde x) \approx -K` wherever it is:
  "very clean gradients on all parts of the space".

Reference: Arjovsky, Chintala & Bottou, *Wasserstein Generative Adversarial Networks*, ICML
2017, Figure 2 ("Optimal discriminator and critic when learning to differentiate two
Gaussians").
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from divergences.lab.critics._training import CriticFit
from divergences.lab.critics.trainers import train_critic
from divergences.lab.style import COLORS, new_figure, style_axes, styled
from divergences.lab.training.config import CriticConfig
from divergences.lab.training.games import GAMES, named_game

__all__ = ["TwoGaussians", "critics_on_two_gaussians", "figure_two_gaussians"]


class TwoGaussians(NamedTuple):
    r"""The discriminator and the critic trained on two Gaussians, on a grid of the line.

    Attributes:
      x: the grid of the line the curves are evaluated on.
      data_density, generator_density: the two Gaussian densities on ``x`` (closed form).
      discriminator: :math:`D(x)`, the trained GAN discriminator's probability of "real".
      critic: :math:`f(x)`, the trained clipped WGAN critic.
      minimax_gradient: :math:`|d/dx \log(1 - D(x))|`, what a generated point at ``x`` is told by
        the minimax GAN's loss.
      nonsaturating_gradient: :math:`|d/dx \log D(x)|`, the same for the non-saturating loss.
      critic_gradient: :math:`|f'(x)|`, the same for the WGAN loss :math:`-f(\tilde x)`.
      js_estimate: the discriminator's JS estimate on held-out points (nats; at most log 2).
      critic_estimate: the critic's :math:`K W_1` estimate on held-out points.
      w1: the exact :math:`W_1(P, Q) = |\mu_P - \mu_Q|` (equal variances).
      config: the arguments of :func:`critics_on_two_gaussians`.
    """

    x: np.ndarray
    data_density: np.ndarray
    generator_density: np.ndarray
    discriminator: np.ndarray
    critic: np.ndarray
    minimax_gradient: np.ndarray
    nonsaturating_gradient: np.ndarray
    critic_gradient: np.ndarray
    js_estimate: float
    critic_estimate: float
    w1: float
    config: dict[str, Any]


def _raw_and_slope(fit: CriticFit, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The trained network's raw output :math:`v(x)` and its derivative :math:`v'(x)` on ``x``."""
    net, state = fit.network, fit.state

    def v(z: jax.Array) -> jax.Array:
        return net(z[None], state, inference=True)[0]

    z = jnp.asarray(x, dtype=net.layers[0].weight.dtype)
    values, slopes = jax.vmap(jax.value_and_grad(v))(z)
    return np.asarray(values, np.float64), np.asarray(slopes, np.float64)


def critics_on_two_gaussians(
    *,
    data_mean: float = -2.0,
    generator_mean: float = 2.0,
    std: float = 0.5,
    n: int = 1024,
    steps: int = 3000,
    critic_hidden: tuple[int, ...] = (64, 64),
    learning_rate: float = 1e-3,
    clip: float | None = None,
    key: int = 0,
) -> TwoGaussians:
    r"""Trains the minimax GAN's discriminator and the clipped WGAN critic on two Gaussians.

    The data is :math:`N(\mu_P, \sigma^2)`, the frozen generator :math:`N(\mu_Q, \sigma^2)`, ``n``
    points of each; both critics train for all ``steps`` (no early stop: the discriminator is
    meant to saturate) with the step size ``learning_rate`` in their game's optimiser (Adam for
    the discriminator, RMSProp for the critic). The curves are evaluated on a grid from 2.5
    standard deviations beyond the outer of the two means on either side.

    Args:
      data_mean: the data's mean :math:`\mu_P`.
      generator_mean: the frozen generator's mean :math:`\mu_Q`.
      std: their common standard deviation :math:`\sigma`, > 0.
      n: points per sample.
      steps: training steps of each critic.
      critic_hidden: the hidden widths of both networks.
      learning_rate: the step size of both.
      clip: the WGAN critic's clipping bound :math:`c`; ``None`` for the ``wgan-clip`` game's
        (0.01).
      key: the integer seed of both trainings.

    Returns:
      A :class:`TwoGaussians`.

    Example:
      >>> from divergences.lab.critics import critics_on_two_gaussians
      >>> r = critics_on_two_gaussians(n=256, steps=200, critic_hidden=(8,))
      >>> bool(r.discriminator[0] > 0.5 > r.discriminator[-1])  # "real" on the data's side
      True
    """
    from scipy import stats  # here, not at start-up: slow to import, for this figure alone

    if not std > 0:
        raise ValueError(f"std must be > 0, got {std!r}")
    config = CriticConfig(
        steps=steps,
        critic_hidden=tuple(critic_hidden),
        learning_rate=learning_rate,
        eval_every=max(1, steps // 10),
        patience=steps + 1,  # never stops early
        progress=False,
    )
    rng = np.random.default_rng(key)
    x = data_mean + std * rng.standard_normal(n)
    y = generator_mean + std * rng.standard_normal(n)
    disc = train_critic(GAMES["gan"], x, y, config=config, key=key)
    clipped = named_game("wgan-clip", clip=clip)
    crit = train_critic(clipped, x, y, config=config, key=key)
    lo, hi = min(data_mean, generator_mean), max(data_mean, generator_mean)
    grid = np.linspace(lo - 2.5 * std - 0.5, hi + 2.5 * std + 0.5, 401)
    v, dv = _raw_and_slope(disc, grid)
    f, df = _raw_and_slope(crit, grid)
    d = 1 / (1 + np.exp(-v))
    return TwoGaussians(
        x=grid,
        data_density=stats.norm.pdf(grid, data_mean, std),
        generator_density=stats.norm.pdf(grid, generator_mean, std),
        discriminator=d,
        critic=f,
        # d/dx log(1 - D) = -D v'; d/dx log D = (1 - D) v' (see the module's docstring).
        minimax_gradient=np.abs(d * dv),
        nonsaturating_gradient=np.abs((1 - d) * dv),
        critic_gradient=np.abs(df),
        js_estimate=float(disc.value),
        critic_estimate=float(crit.value),
        w1=abs(data_mean - generator_mean),
        config={
            "data_mean": data_mean,
            "generator_mean": generator_mean,
            "std": std,
            "n": n,
            "steps": steps,
            "critic_hidden": tuple(critic_hidden),
            "learning_rate": learning_rate,
            "clip": clipped.constants["clip"],
            "key": key,
        },
    )


@styled
def figure_two_gaussians(
    result: TwoGaussians, *, figsize: tuple[float, float] = (11.0, 7.6)
) -> Figure:
    r"""WGAN's Figure 2 from a :class:`TwoGaussians`.

    The saturated discriminator beside the critic (top), and the gradient each gives a generated
    point, on a log scale (bottom).

    Top: the two densities, :math:`D(x)` and the critic :math:`f(x)` mapped affinely onto
    :math:`[0, 1]` over the plotted range (a clipped critic's values are :math:`K` times a
    1-Lipschitz function's, with :math:`K` unknown and small; an affine map keeps its shape).
    Bottom: :math:`|d\ell/dx|` for the minimax loss :math:`\log(1 - D)`, the non-saturating loss
    :math:`-\log D` and the WGAN loss :math:`-f`, each divided by its largest value on the plot
    (the scale of a clipped critic is arbitrary).
    """
    r = result
    fig, (ax, axg) = new_figure(
        figsize, 2, 1, sharex=True, gridspec_kw={"height_ratios": [1.15, 1]}
    )
    peak = max(r.data_density.max(), r.generator_density.max())
    ax.fill_between(r.x, r.data_density / peak, color=COLORS["p"], alpha=0.18, lw=0)
    ax.fill_between(r.x, r.generator_density / peak, color=COLORS["q"], alpha=0.18, lw=0)
    ax.plot(r.x, r.data_density / peak, color=COLORS["p"], lw=1.5, label="data density")
    ax.plot(r.x, r.generator_density / peak, color=COLORS["q"], lw=1.5, label="generator density")
    ax.plot(r.x, r.discriminator, color="black", lw=2.8, label=r"GAN discriminator $D(x)$")
    span = r.critic.max() - r.critic.min()
    f01 = (r.critic - r.critic.min()) / span if span > 0 else np.zeros_like(r.critic)
    ax.plot(
        r.x,
        f01,
        color=COLORS["tv"],
        lw=2.8,
        ls=(0, (6, 2)),
        label=rf"WGAN critic $f(x)$, clipped at $\pm${r.config['clip']:g} (mapped onto [0, 1])",
    )
    ax.set_ylim(-0.04, 1.3)
    ax.set_ylabel("value (densities: peak = 1)")
    ax.set_title(
        rf"$P = N({r.config['data_mean']:g}, {r.config['std']:g}^2)$ (data) vs "
        rf"$Q = N({r.config['generator_mean']:g}, {r.config['std']:g}^2)$ (generator): "
        rf"JS estimate {r.js_estimate:.3f} of $\log 2 = 0.693$"
    )
    ax.legend(loc="upper center", ncols=2, frameon=False, fontsize=10.5)
    style_axes(ax)
    curves = (
        (r.minimax_gradient, "black", "-", r"GAN, minimax loss $\log(1 - D(\tilde x))$"),
        (
            r.nonsaturating_gradient,
            COLORS["grey"],
            ":",
            r"GAN, non-saturating $-\log D(\tilde x)$",
        ),
        (r.critic_gradient, COLORS["tv"], (0, (6, 2)), r"WGAN $-f(\tilde x)$"),
    )
    tiny = np.finfo(np.float32).tiny
    for g, color, ls, label in curves:
        top = g.max()
        axg.plot(
            r.x,
            np.maximum(g / top, tiny) if top > 0 else g,
            color=color,
            ls=ls,
            lw=2.6,
            label=label,
        )
    mean_q = r.config["generator_mean"]
    axg.axvline(mean_q, color=COLORS["q"], lw=1.2, ls=(0, (2, 2)))
    at_q = np.interp(mean_q, r.x, r.minimax_gradient) / r.minimax_gradient.max()
    # The note sits left of the generator's mean, halfway (in decades) between the curve
    # there and the lowest value drawn: below the curve, clear of every line.
    drawn = np.concatenate([g[g > 0] / g.max() for g, *_ in curves if g.max() > 0])
    low = float(drawn.min()) if drawn.size else at_q
    note = axg.annotate(
        f"at the generator's mean the minimax\nGAN's gradient is {at_q:.0e} of its largest",
        xy=(mean_q, at_q),
        xytext=(mean_q - 0.1, math.sqrt(max(at_q, 1e-300) * max(low, 1e-300))),
        ha="right",
        va="center",
        fontsize=11,
        arrowprops={"arrowstyle": "->", "color": COLORS["grey"]},
    )
    note.set_in_layout(False)  # a note never squeezes the axes
    axg.set_yscale("log")
    axg.set_ylabel(r"$|d\ell/d\tilde x|$ / its largest")
    axg.set_xlabel(r"$x$ (where a generated point $\tilde x$ sits)")
    axg.set_title("the gradient a generated point receives (log scale)")
    axg.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False, fontsize=10.5
    )
    style_axes(axg)
    return fig
