r"""The parallel-lines experiment: trained critics beside the exact JS and Wasserstein-1.

On the plane, :math:`P_0` is the law of :math:`(0, Z)` and :math:`P_\theta` that of
:math:`(\theta, Z)`, :math:`Z \sim U[0, 1]` (Arjovsky, Chintala & Bottou, 2017, Example 1). For
:math:`\theta \ne 0` the supports are disjoint, so :math:`\mathrm{JS}(P_0, P_\theta) = \log 2`
whatever :math:`\theta`, while :math:`W_1(P_0, P_\theta) = |\theta|`. The sweep trains, for each
:math:`\theta` on a grid, the GAN discriminator (a JS estimate) and the WGAN critic under its three
constraints (W1 estimates), all the problems of one kind at once (``vmap``), and reports them
beside the exact values. The clipped critic estimates :math:`K\,W_1` for an unknown :math:`K`;
the sweep fits :math:`K` by least squares, :math:`\hat K = \sum_i e_i |\theta_i| / \sum_i
\theta_i^2`, and reports the rescaled estimates :math:`e_i / \hat K`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences.extending import is_integer
from divergences.families import parallel_lines_exact
from divergences.lab.critics._training import as_key, fit
from divergences.lab.style import COLORS
from divergences.lab.training.config import CriticConfig
from divergences.lab.training.games import named_game

__all__ = [
    "CriticSweep",
    "critic_sweep",
    "parallel_lines_sample",
    "plot_critic_sweep",
]

#: What the sweep trains: label -> the critic's game.
CRITICS: dict[str, str] = {
    "GAN discriminator": "nsgan",
    "WGAN, clipping": "wgan-clip",
    "WGAN, gradient penalty": "wgan-gp",
    "WGAN, spectral norm": "wgan-sn",
}


class CriticSweep(NamedTuple):
    r"""The parallel-lines sweep's results (NumPy arrays, float64 for the exact values).

    Attributes:
      thetas: the offsets :math:`\theta`.
      estimates: per critic label, the estimate at each ``theta`` (the GAN discriminator's is a
        JS estimate in nats, the WGAN critics' are W1 estimates).
      curves: per critic label, the training curves, shape ``(evaluations, len(thetas))``.
      js: the exact :math:`\mathrm{JS}(P_0, P_\theta)` in nats, with the 1/2.
      w1: the exact :math:`W_1(P_0, P_\theta) = |\theta|`.
      clip_scale: :math:`\hat K`, the least-squares factor of the clipped critic's estimates
        against ``w1``.
      gp_weight: the gradient penalty's :math:`\lambda`, for the trade-off curve
        :math:`|\theta| (1 + |\theta| / (2\lambda))` of a linear critic.
      config: the sizes used (sample size, hidden widths, steps, batch size, the seed: None for
        a key array).
    """

    thetas: np.ndarray
    estimates: dict[str, np.ndarray]
    curves: dict[str, np.ndarray]
    js: np.ndarray
    w1: np.ndarray
    clip_scale: float
    gp_weight: float
    config: dict[str, Any]


def parallel_lines_sample(key: jax.Array, theta: jax.Array, n: int) -> jax.Array:
    r"""``n`` points of :math:`P_\theta`: rows :math:`(\theta, Z_i)`, :math:`Z_i \sim U[0, 1]`."""
    z = jax.random.uniform(key, (n,))
    return jnp.stack([jnp.full((n,), theta, z.dtype), z], axis=-1)


def critic_sweep(
    thetas: Any = None,
    *,
    full: bool = False,
    key: int | jax.Array = 0,
    n: int | None = None,
    steps: int | None = None,
    progress: bool = True,
) -> CriticSweep:
    r"""The WGAN paper's Figure 1 redone with trained critics, one per kind and ``theta``.

    Every critic is trained on the parallel lines for each ``theta``.

    Defaults are small (512 points per measure, two hidden layers of 32, at most 2000 steps):
    a few minutes on two CPU cores. ``full=True`` uses 4096 points, three hidden layers of 128
    and at most 10000 steps.

    Args:
      thetas: the offsets; default 21 values from -1 to 1.
      full: the full-size experiment.
      key: an integer seed or a :func:`jax.random.key`.
      n: points per measure, overriding the size's default.
      steps: the most training steps, overriding the size's default.
      progress: show tqdm progress bars.

    Returns:
      A :class:`CriticSweep`.
    """
    thetas = _thetas(thetas)
    n = (4096 if full else 512) if n is None else n
    hidden = (128, 128, 128) if full else (32, 32)
    steps = (10_000 if full else 2000) if steps is None else steps
    config = CriticConfig(steps=steps, critic_hidden=hidden, progress=progress)
    base = as_key(key)
    k_data, k_train = jax.random.split(base)
    kx, ky = jax.random.split(k_data)
    b = thetas.size
    th = jnp.asarray(thetas, jnp.float32)
    # Common random numbers: every theta sees the same Z's and every critic of one kind starts
    # from the same weights, so the estimates differ across theta by theta alone.
    xs = jnp.broadcast_to(parallel_lines_sample(kx, jnp.float32(0.0), n), (b, n, 2))
    ys = jax.vmap(lambda t: parallel_lines_sample(ky, t, n))(th)
    estimates: dict[str, np.ndarray] = {}
    curves: dict[str, np.ndarray] = {}
    for i, (label, name) in enumerate(CRITICS.items()):
        game = named_game(name)
        keys = jnp.broadcast_to(jax.random.fold_in(k_train, i), (b,))
        out = fit(game, config, xs, ys, keys, desc=label)
        estimates[label] = np.asarray(out["value"], dtype=float)
        curves[label] = np.asarray(out["curve"], dtype=float)
    exact = parallel_lines_exact(thetas)
    js, w1 = exact["js"], exact["w1"]
    clip = estimates["WGAN, clipping"]
    k_hat = float(np.sum(clip * w1) / np.sum(w1**2)) if np.any(w1 > 0) else float("nan")
    sizes = {
        "n": n,
        "hidden": hidden,
        "steps": steps,
        "batch_size": config.batch_size,
        "full": full,
        "seed": _seed(key),
    }
    gp_weight = named_game("wgan-gp").constants["gp_weight"]
    return CriticSweep(thetas, estimates, curves, js, w1, k_hat, gp_weight, sizes)


def _thetas(thetas: Any) -> np.ndarray:
    thetas = np.linspace(-1.0, 1.0, 21) if thetas is None else np.asarray(thetas, dtype=float)
    if thetas.ndim != 1 or thetas.size == 0 or not np.all(np.isfinite(thetas)):
        raise ValueError(f"thetas must be a non-empty 1-D array of finite numbers, got {thetas!r}")
    return thetas


def _seed(key: Any) -> int | None:
    """The integer seed of ``key``, or None for a key array (which no number names)."""
    return int(key) if is_integer(key) else None


def plot_critic_sweep(sweep: CriticSweep, *, figsize: tuple[float, float] = (13.0, 3.8)) -> Any:
    r"""Draws the sweep and returns the Matplotlib figure.

    Its panels: JS and its estimate; W1 and its estimates; the clipped critic and
    :math:`\hat K |\theta|`.
    """
    import matplotlib.pyplot as plt

    t = sweep.thetas
    fig, axes = plt.subplots(1, 3, figsize=figsize, constrained_layout=True)
    ax = axes[0]
    # The exact JS is log 2 on both sides of 0 and jumps to 0 at theta = 0.
    lo, hi = float(min(t.min(), 0.0)), float(max(t.max(), 0.0))
    log2 = math.log(2.0)
    ax.plot([lo, 0.0], [log2, log2], "k-", lw=1.5, label=r"exact JS: $\log 2$ for $\theta\neq0$")
    ax.plot([0.0, hi], [log2, log2], "k-", lw=1.5)
    ax.plot([0.0], [log2], "o", color="k", mfc="white", ms=6, zorder=3)
    ax.plot([0.0], [0.0], "ko", ms=6, label=r"exact JS: $0$ at $\theta=0$", zorder=3)
    ax.plot(
        t,
        sweep.estimates["GAN discriminator"],
        "o",
        color=COLORS["gan"],
        mfc="none",
        ms=8,
        label="GAN discriminator",
        zorder=4,
    )
    ax.set(xlabel=r"$\theta$", ylabel="nats", title=r"JS$(P_0, P_\theta)$ and its estimate")
    ax.set_ylim(-0.05, 0.8)
    ax.legend(fontsize=8, loc="lower right")

    ax = axes[1]
    ax.plot(t, sweep.w1, "k-", lw=1.5, label=r"exact $W_1=|\theta|$")
    lam = sweep.gp_weight
    ax.plot(
        t,
        sweep.w1 * (1 + sweep.w1 / (2 * lam)),
        ":",
        color=COLORS["wgan-gp"],
        lw=1,
        label=rf"$|\theta|(1+|\theta|/2\lambda)$, $\lambda={lam:g}$",
    )
    ax.plot(
        t,
        sweep.estimates["WGAN, gradient penalty"],
        "s--",
        color=COLORS["wgan-gp"],
        ms=4,
        label="gradient penalty",
    )
    ax.plot(
        t,
        sweep.estimates["WGAN, spectral norm"],
        "^--",
        color=COLORS["sngan"],
        ms=4,
        label="spectral norm",
    )
    ax.plot(
        t,
        sweep.estimates["WGAN, clipping"] / sweep.clip_scale,
        "d--",
        color=COLORS["wgan-clip"],
        ms=4,
        label=r"clipping $\div\,\hat K$",
    )
    ax.set(xlabel=r"$\theta$", title=r"$W_1(P_0, P_\theta)$ and the critics' estimates")
    ax.legend(fontsize=8, loc="upper center")

    ax = axes[2]
    clip = sweep.estimates["WGAN, clipping"]
    ax.plot(
        t,
        sweep.clip_scale * sweep.w1,
        "k-",
        lw=1.5,
        label=rf"$\hat K|\theta|$, $\hat K={sweep.clip_scale:.3g}$",
    )
    ax.plot(t, clip, "d--", color=COLORS["wgan-clip"], ms=4, label="clipped critic (c = 0.01)")
    ax.set(xlabel=r"$\theta$", title=r"clipped critic: $\approx K\,W_1$, $K$ unknown")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    ax.legend(fontsize=8, loc="upper center")
    return fig
