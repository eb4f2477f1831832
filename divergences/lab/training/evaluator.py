r"""The digits' evaluator: a small classifier standing in for Inception-v3, trained by the package.

FID, KID, the Inception score, precision, recall, density and coverage are computed on images
through a network: the Inception score from its class probabilities (Salimans et al. 2016), the
others on its penultimate layer's features (Heusel et al. 2017). The published numbers use
Inception-v3 trained on ImageNet, downloaded. On the lab's 8 x 8 digits this module trains its
own: an MLP ``64 -> 128 -> 64 -> 10`` (ReLU; equinox, as the lab's networks) by full-batch
Adam with weight decay on the training digits only, each also moved by one pixel in the four
directions (:func:`shifted`: the classes do not change; without them the held-out accuracy of
seeds 0 to 2 was 0.952 to 0.974, with them 0.972 to 0.981 over seeds 0 to 4), from a fixed seed, and keeps it on disk keyed
by its configuration (:func:`digits_evaluator`). Its class probabilities give the Inception
score; its 64 penultimate activations give the features.

**What follows.** The numbers are in this network's units: they rank runs and steps of the lab
against each other, and against the held-out digits' own values (the floor), but are not
comparable with any published FID or Inception score, which are Inception-v3's on other images.
A network trained on other data, or with another seed, gives other numbers for the same images.

References:
  Salimans et al., *Improved techniques for training GANs*, NeurIPS 2016 (Inception score);
  Heusel et al., *GANs trained by a two time-scale update rule converge to a local Nash
  equilibrium*, NeurIPS 2017 (FID on Inception-v3's pool features).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy.special import softmax

from divergences.lab.training.digits import HELD_OUT_SHARE, SPLIT_SEED, digits_split
from divergences.lab.training.networks import ACTIVATIONS, MLP, make_mlp

__all__ = [
    "CLASSES",
    "SKLEARN_LEVELS",
    "Evaluator",
    "EvaluatorConfig",
    "cache_dir",
    "checked_images",
    "digits_evaluator",
    "shifted",
]

#: The digits' classes, 0 to 9.
CLASSES = 10

#: The version of the files :func:`digits_evaluator` keeps: a change of their layout changes it.
_FORMAT = 2


@dataclasses.dataclass(frozen=True)
class EvaluatorConfig:
    """How the evaluator is trained: each field is part of its cache key.

    Attributes:
      hidden: the hidden widths; the last is the features' dimension.
      steps: full-batch Adam steps.
      learning_rate: Adam's step size.
      weight_decay: AdamW's decoupled weight decay.
      seed: the initialisation's seed.
    """

    hidden: tuple[int, ...] = (128, 64)
    steps: int = 1000
    learning_rate: float = 3e-3
    weight_decay: float = 1e-3
    seed: int = 0

    def key(self) -> str:
        """The cache key: a hash of the fields, the split and the file format."""
        text = repr((dataclasses.astuple(self), HELD_OUT_SHARE, SPLIT_SEED, _FORMAT))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Evaluator(NamedTuple):
    """The trained classifier, and its accuracy on the held-out digits.

    Attributes:
      net: the :class:`~divergences.lab.training.networks.MLP`, float32.
      config: the :class:`EvaluatorConfig` it was trained with.
      accuracy: its share of held-out digits classified right.
    """

    net: MLP
    config: EvaluatorConfig
    accuracy: float

    def probabilities(self, images: Any) -> np.ndarray:
        """Class probabilities ``(n, 10)``, float64, of images checked by :func:`checked_images`."""
        pixels = jnp.asarray(checked_images(images), jnp.float32)
        return softmax(np.asarray(_logits(self.net, pixels), np.float64), axis=1)

    def features(self, images: Any) -> np.ndarray:
        """The penultimate layer's activations ``(n, hidden[-1])``, float64, of checked images."""
        pixels = jnp.asarray(checked_images(images), jnp.float32)
        return np.asarray(_features(self.net, pixels), np.float64)

    def predict(self, images: Any) -> np.ndarray:
        """The most probable digit of each image (checked by :func:`checked_images`)."""
        pixels = jnp.asarray(checked_images(images), jnp.float32)
        return np.asarray(jnp.argmax(_logits(self.net, pixels), axis=1))


#: The grey levels of scikit-learn's ``load_digits().data``: the integers 0 to 16.
SKLEARN_LEVELS = 16


def checked_images(images: Any, *, clip: bool = False, name: str = "images") -> np.ndarray:
    """Digits as the evaluator reads them: rows of 64 grey levels in ``[0, 1]``, float64.

    ``(n, 64)`` rows or ``(n, 8, 8)`` images (read as rows), ``n >= 1``. Refused with a
    ``ValueError`` naming ``name`` and the rule: another shape, an image holding NaN or inf
    (named by its index), and grey levels outside ``[0, 1]`` (scikit-learn's own scale, 0 to
    16, named with what to do). ``clip=True`` clips to ``[0, 1]`` instead, for a generator's
    outputs, which are not bounded: the images as the lab draws them.

    Example:
      >>> checked_images(np.zeros((2, 8, 8))).shape
      (2, 64)
    """
    a = np.asarray(images)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim == 3 and a.shape[1:] == (8, 8):
        a = a.reshape(a.shape[0], 64)
    if a.ndim != 2 or a.shape[1] != 64 or a.shape[0] < 1:
        raise ValueError(
            f"{name} must be 8 x 8 digits, shape (n, 64) or (n, 8, 8) with n >= 1; got shape "
            f"{np.shape(images)}"
        )
    a = a.astype(np.float64)
    bad = ~np.isfinite(a).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: image {first} holds NaN or inf ({int(bad.sum())} of {a.shape[0]} images do)"
        )
    if clip:
        return np.clip(a, 0.0, 1.0)
    low, high = float(a.min()), float(a.max())
    if low < 0.0 or high > 1.0:
        hint = ""
        if low >= 0.0 and high <= SKLEARN_LEVELS and np.all(a == np.round(a)):
            hint = (
                f": integers from 0 to {high:g} are scikit-learn's grey levels "
                f"(load_digits().data, 0 to {SKLEARN_LEVELS}); divide them by {SKLEARN_LEVELS}"
            )
        raise ValueError(
            f"{name} must be grey levels in [0, 1] (0 the background, 1 full ink); they run from {low:g} to "
            f"{high:g}{hint}"
        )
    return a


@jax.jit
def _features(net: MLP, x: jax.Array) -> jax.Array:
    act = ACTIVATIONS[net.activation]
    for layer in net.layers[:-1]:
        x = act(jax.vmap(layer)(x))
    return x


@jax.jit
def _logits(net: MLP, x: jax.Array) -> jax.Array:
    return jax.vmap(net.layers[-1])(_features(net, x))


def cache_dir() -> pathlib.Path:
    """Where evaluators are kept.

    ``$DIVERGENCES_CACHE``, else ``$XDG_CACHE_HOME/divergences``, else ``~/.cache/divergences``.
    """
    if os.environ.get("DIVERGENCES_CACHE"):
        return pathlib.Path(os.environ["DIVERGENCES_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "divergences"


def shifted(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The images and their copies moved one pixel up, down, left and right (zeros shifted in)."""
    side = digits_split().train.shape[1] ** 0.5
    grid = images.reshape(-1, int(side), int(side))
    out = [grid]
    for axis in (1, 2):
        for step in (-1, 1):
            moved = np.roll(grid, step, axis=axis)
            edge = 0 if step == 1 else -1
            if axis == 1:
                moved[:, edge, :] = 0.0
            else:
                moved[:, :, edge] = 0.0
            out.append(moved)
    return np.concatenate(out).reshape(-1, images.shape[1]), np.tile(labels, len(out))


def _train(config: EvaluatorConfig) -> MLP:
    split = digits_split()
    images, labels = shifted(split.train, split.train_labels)
    x = jnp.asarray(images, jnp.float32)
    y = jnp.asarray(labels)
    net, _ = make_mlp(
        jax.random.key(config.seed),
        (x.shape[1], *config.hidden, CLASSES),
        scalar_output=False,
        dtype=jnp.float32,
        activation="relu",
    )
    params, static = eqx.partition(net, eqx.is_inexact_array)
    opt = optax.adamw(config.learning_rate, weight_decay=config.weight_decay)

    def loss(p: Any) -> jax.Array:
        logits = _logits(eqx.combine(p, static), x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def step(carry: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], None]:
        p, state = carry
        updates, state = opt.update(jax.grad(loss)(p), state, p)
        return (optax.apply_updates(p, updates), state), None

    run = jax.jit(lambda p: jax.lax.scan(step, (p, opt.init(p)), None, config.steps)[0][0])
    return eqx.combine(run(params), static)


def digits_evaluator(
    config: EvaluatorConfig | None = None, *, cache: pathlib.Path | str | None = None
) -> Evaluator:
    """The evaluator of ``config``: read from the cache, or trained and kept there.

    Args:
      config: how it is trained (:class:`EvaluatorConfig`); ``None``: the defaults.
      cache: the folder of kept evaluators; ``None``: :func:`cache_dir`. The file is
        ``digits-evaluator-<key>.eqx``, ``<key>`` a hash of the configuration and the split.

    Returns:
      An :class:`Evaluator`, its accuracy measured on the held-out digits.

    Example::

      e = digits_evaluator()  # about 20 s the first time, then read from the cache
      e.accuracy                               # 0.981
      e.probabilities(digits_split().held_out).shape, e.features(images).shape  # (539, 10), (n, 64)
    """
    config = EvaluatorConfig() if config is None else config
    if not isinstance(config, EvaluatorConfig):
        raise ValueError(f"config must be an EvaluatorConfig, got {type(config).__name__}")
    folder = cache_dir() if cache is None else pathlib.Path(cache)
    path = folder / f"digits-evaluator-{config.key()}.eqx"
    like, _ = make_mlp(
        jax.random.key(config.seed),
        (64, *config.hidden, CLASSES),
        scalar_output=False,
        dtype=jnp.float32,
        activation="relu",
    )
    net = None
    if path.exists():
        try:
            net = eqx.tree_deserialise_leaves(path, like)
        except Exception:  # a truncated or foreign file: trained again and replaced
            net = None
    if net is None:
        net = _train(config)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        eqx.tree_serialise_leaves(partial, net)
        partial.replace(path)  # atomic: a reader sees the old file or the whole new one
    split = digits_split()
    predicted = Evaluator(net, config, 0.0).predict(split.held_out)
    accuracy = float(np.mean(predicted == split.held_out_labels))
    return Evaluator(net, config, accuracy)
