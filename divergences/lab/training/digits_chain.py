r"""The chain from images to scores with error bars, on the digits: one run, two warnings.

:func:`digits_chain` trains the lab's GAN on the digits (its defaults, fewer steps) and scores,
beside it, two generators made from it and from the data: the *collapsed* one (the trained
GAN's draws kept only where the evaluator reads 0, 1 or 7: a generator restricted to three
classes) and the *copier* (training digits plus noise of standard deviation 0.01, far below a
grey level's 1/16). :func:`figure_digits_chain` draws the chain: the data, the evaluator's
features, the Inception score and FD over training with their intervals, precision and recall of
the three generators, and the memorisation test. The collapsed generator keeps its precision
and loses recall and its class histogram; the copier scores as well as the data on every score
but the memorisation test.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np
from matplotlib.figure import Figure

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.digits import IMAGE_SIDE, digits_split
from divergences.lab.training.evaluator import CLASSES, checked_images, digits_evaluator
from divergences.lab.training.figure_parts import legend_below, title_pad
from divergences.lab.training.image_figures import grey, mosaic, with_interval
from divergences.lab.training.image_readouts import IMAGE_DRAWS, data_row, image_row
from divergences.lab.training.run import TrainingRun
from divergences.lab.training.trainer import sample_generator, train

__all__ = ["COLLAPSED_CLASSES", "DigitsChain", "digits_chain", "figure_digits_chain"]

#: The classes the collapsed generator keeps.
COLLAPSED_CLASSES = (0, 1, 7)

#: The copier's noise: a standard deviation of 0.01 on pixels in [0, 1].
COPY_NOISE = 0.01


class DigitsChain(NamedTuple):
    """A run on the digits and the scores of three generators at its end.

    Attributes:
      run: the :class:`~divergences.lab.training.run.TrainingRun`.
      scores: ``{"GAN": ..., "collapsed": ..., "copier": ...}``, each the image readouts
        (:func:`~divergences.lab.training.image_readouts.image_row`) of its
        :data:`~divergences.lab.training.image_readouts.IMAGE_DRAWS` images.
      images: the same generators' first images.
      data: the scores of real digits (:func:`~divergences.lab.training.image_readouts.data_row`).
    """

    run: TrainingRun
    scores: dict[str, dict[str, float]]
    images: dict[str, np.ndarray]
    data: dict[str, float]


def digits_chain(*, steps: int = 4000, eval_every: int = 1000, seed: int = 0) -> DigitsChain:
    """Trains the lab's GAN on the digits and scores it, its collapsed version and a copier.

    Args:
      steps: generator steps (the lab's default on digits is 6000).
      eval_every: generator steps between readouts.
      seed: the run's seed, and the copier's and the collapsed draws'.
    """
    config = TrainingConfig.for_data("digits", steps=steps, eval_every=eval_every, seed=seed)
    run = train(config, progress=False)
    ds = config.dataset
    evaluator = digits_evaluator()
    # the generator's outputs are not bounded: clipped to the grey levels, as the lab draws them
    drawn = sample_generator(run, jax.random.key(seed + 1), 6 * IMAGE_DRAWS)
    many = checked_images(drawn, clip=True, name="generated")
    kept = many[np.isin(evaluator.predict(many), COLLAPSED_CLASSES)]
    split, rng = digits_split(), np.random.default_rng(seed)
    picks = split.train[rng.integers(0, len(split.train), IMAGE_DRAWS)]
    images = {
        "GAN": many[:IMAGE_DRAWS],
        "collapsed": kept[:IMAGE_DRAWS],
        "copier": picks + COPY_NOISE * rng.standard_normal(picks.shape),
    }
    scores = {name: image_row(ds, x) for name, x in images.items()}
    return DigitsChain(run, scores, images, data_row(ds.name))


def _features_panel(ax: Any) -> None:
    """The held-out digits' features on their first two principal axes, by class."""
    split, e = digits_split(), digits_evaluator()
    f = e.features(split.held_out)
    centred = f - f.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    for c in range(CLASSES):
        at = split.held_out_labels == c
        ax.scatter(*xy[at].T, s=6, color=f"C{c}", label=str(c))
    ax.set_title(
        f"features: the evaluator's last hidden layer\n(held-out accuracy {e.accuracy:.3f})",
        pad=title_pad(),
    )
    ax.set_xlabel("first principal axis")
    ax.set_ylabel("second principal axis")


def figure_digits_chain(chain: DigitsChain | None = None) -> Figure:
    """Six panels: data, features, IS and FD over training, three generators, memorisation.

    Args:
      chain: a :class:`DigitsChain`; None: :func:`digits_chain`'s (a run of about a minute).
    """
    chain = digits_chain() if chain is None else chain
    fig = Figure(figsize=(15, 10), layout="constrained")
    axs = fig.subplots(2, 3)
    pad = title_pad()
    side = (IMAGE_SIDE, IMAGE_SIDE)
    split = digits_split()
    ax = axs[0, 0]
    ax.imshow(mosaic(split.train[:48], side), cmap=grey(), vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(
        f"data: {len(split.train)} training digits (48 shown),\n{len(split.held_out)} held out",
        pad=pad,
    )
    ax.set_axis_off()
    _features_panel(axs[0, 1])
    # an interval that claims nothing (IS under collapse) is not drawn as one: with_interval's rule
    with_interval(axs[0, 2], chain.run, "inception", "Inception score, 95% interval", "k")
    axs[0, 2].set_title("Inception score over training", pad=pad)
    axs[0, 2].set_xlabel("generator step")
    ax = axs[1, 0]
    with_interval(ax, chain.run, "fd", "FD, bias-corrected, 95% interval", "k")
    ax.set_xlabel("generator step")
    ax.plot(chain.run.readouts.step, chain.run.readouts.fid, "r--", label="plug-in FID")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_title("FD to the training digits over training", pad=pad)
    ax = axs[1, 1]
    names = list(chain.scores)
    width = 0.2
    for i, (measure, color) in enumerate(
        (("precision", "tab:purple"), ("recall", "tab:orange"), ("coverage", "tab:cyan"))
    ):
        at = np.arange(len(names)) + (i - 1) * width
        v = np.array([chain.scores[n][measure] for n in names])
        lo = np.array([chain.scores[n][f"{measure}_lo"] for n in names])
        hi = np.array([chain.scores[n][f"{measure}_hi"] for n in names])
        ax.bar(at, v, width, color=color, label=f"{measure}, 95% interval")
        ax.errorbar(at, v, yerr=np.vstack([v - lo, hi - v]), fmt="none", ecolor="k", capsize=3)
    for j, n in enumerate(names):
        ax.text(j, 1.03, f"classes p = {chain.scores[n]['classes_p']:.2g}", ha="center",
                fontsize="small")  # fmt: skip
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.12)
    ax.set_title("against the held-out digits, at the end", pad=pad)
    ax = axs[1, 2]
    copied = np.array([chain.scores[n]["copied"] for n in names])
    ends = np.array([[chain.scores[n]["copied_lo"], chain.scores[n]["copied_hi"]] for n in names])
    err = np.vstack([copied - ends[:, 0], ends[:, 1] - copied])
    ax.bar(range(len(names)), copied, 0.5, yerr=err, capsize=4, color="0.4",
           label="share copied, 95% interval")  # fmt: skip
    for j, n in enumerate(names):
        p = chain.scores[n]["copying_p"]
        ax.text(j, ends[j, 1] + 0.03, f"p = {p:.2g}", ha="center", fontsize="small")
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0.0, 1.15)
    ax.set_title("memorisation test (copying at p <= 0.05)", pad=pad)
    for ax in (axs[0, 1], axs[0, 2], axs[1, 0], axs[1, 1], axs[1, 2]):
        ax.grid(alpha=0.3)
        legend_below(ax, ncols=5 if ax is axs[0, 1] else None)
    fig.suptitle(
        f"From digits to scores with error bars: {chain.run.config.game}, "
        f"{chain.run.config.n_steps} steps; the GAN restricted to classes "
        f"{', '.join(map(str, COLLAPSED_CLASSES))}; a copier of training digits"
    )
    return fig
