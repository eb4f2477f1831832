r"""Handwritten digits for the training lab: scikit-learn's 1,797 images of 8 x 8 pixels.

``sklearn.datasets.load_digits`` ships inside scikit-learn's wheel (nothing is downloaded): the
UCI optical recognition of handwritten digits test set, 1,797 images of 8 x 8 pixels with grey
levels 0 to 16, ten classes of about 180 images each. Here each image is a point of
:math:`[0, 1]^{64}` (the grey levels over 16), and the images are split once, by a fixed seed and
class by class, into a training part the generator draws from and a held-out part it never sees
(:data:`HELD_OUT_SHARE` of each class): the held-out digits are the real draws the readouts
compare the generator with, and the reference of the memorisation test.

Reference:
  Alpaydin & Kaynak, *Optical Recognition of Handwritten Digits*, UCI Machine Learning
  Repository, 1998 (the images scikit-learn ships).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences.lab.training.data import Dataset

__all__ = [
    "HELD_OUT_SHARE",
    "IMAGE_SIDE",
    "SPLIT_SEED",
    "TRAINING_DEFAULTS",
    "DigitsSplit",
    "digits",
    "digits_split",
]

#: The share of each class kept out of training.
HELD_OUT_SHARE = 0.3

#: The seed of the split (NumPy's generator), fixed: every run and the evaluator share it.
SPLIT_SEED = 0

#: The images are ``IMAGE_SIDE x IMAGE_SIDE`` pixels.
IMAGE_SIDE = 8

#: The lab's options on the digits: the non-saturating GAN (one critic step a generator step,
#: the fastest game to recognisable digits here), networks twice the toys' width with a
#: 16-dimensional input, 6000 steps with a readout every 1000, and readouts of 1000 images (the
#: Inception score claims its interval from 100 a class; the exact W1 between 64-D samples is
#: an LP of that size).
TRAINING_DEFAULTS: tuple[tuple[str, object], ...] = (
    ("game", "nsgan"),
    ("steps", 6000),
    ("latent_dim", 16),
    ("generator_hidden", (128, 128)),
    ("critic_hidden", (128, 128)),
    ("eval_every", 1000),
    ("eval_size", 1000),
    ("hist_size", 1000),
)


class DigitsSplit(NamedTuple):
    """The digits as points of ``[0, 1]^64`` and their classes, split into training and held-out.

    Attributes:
      train: float64 ``(n, 64)``, the generator's and the evaluator's training images.
      train_labels: int ``(n,)``, their digits.
      held_out: float64 ``(l, 64)``, the images neither network sees.
      held_out_labels: int ``(l,)``.
    """

    train: np.ndarray
    train_labels: np.ndarray
    held_out: np.ndarray
    held_out_labels: np.ndarray


def _load() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # the lab extra holds it
        raise ImportError(
            "data='digits' needs scikit-learn, which ships the images: pip install "
            "'divergences[lab]'"
        ) from e
    bunch = load_digits()
    return np.asarray(bunch.data, np.float64) / 16.0, np.asarray(bunch.target, np.int64)


@functools.cache
def digits_split() -> DigitsSplit:
    """The fixed split: :data:`HELD_OUT_SHARE` of each class held out, by :data:`SPLIT_SEED`.

    Example:
      >>> s = digits_split()
      >>> s.train.shape, s.held_out.shape, float(s.train.max())
      ((1258, 64), (539, 64), 1.0)
    """
    x, y = _load()
    rng = np.random.default_rng(SPLIT_SEED)
    held = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        held[rng.choice(rows, round(HELD_OUT_SHARE * len(rows)), replace=False)] = True
    out = DigitsSplit(x[~held], y[~held], x[held], y[held])
    for a in out:
        a.setflags(write=False)  # shared by every caller
    return out


@functools.cache
def digits(classes: tuple[int, ...] | None = None) -> Dataset:
    """The training digits as a lab data set: a draw is a training image chosen uniformly.

    ``dim`` 64, ``image_shape`` (8, 8), ``held_out`` the held-out images (of every class). With
    ``classes``, only the training images of those digits: a generator trained on them stands
    for one collapsed onto a few classes, its readouts against every held-out digit.

    Args:
      classes: the digits kept, a tuple of distinct integers in 0 to 9; None: all.
    """
    split = digits_split()
    train, name = split.train, "digits"
    if classes is not None:
        kept = tuple(sorted(set(classes))) if isinstance(classes, tuple) else ()
        if not kept or not all(isinstance(c, int) and 0 <= c <= 9 for c in kept):
            raise ValueError(f"classes must be a tuple of digits 0 to 9, got {classes!r}")
        train = train[np.isin(split.train_labels, kept)]
        train.setflags(write=False)
        name = f"digits{''.join(map(str, kept))}"

    def sample(key: jax.Array, n: int) -> jax.Array:
        rows = jax.random.randint(key, (n,), 0, train.shape[0])
        return jnp.asarray(train, jnp.result_type(float))[rows]

    return Dataset(
        name,
        train.shape[1],
        sample,
        (0.0, 1.0, 0.0, 1.0),
        image_shape=(IMAGE_SIDE, IMAGE_SIDE),
        points=train,
        held_out=split.held_out,
        defaults=TRAINING_DEFAULTS,
    )
