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

__all__ = ["HELD_OUT_SHARE", "IMAGE_SIDE", "SPLIT_SEED", "DigitsSplit", "digits", "digits_split"]

#: The share of each class kept out of training.
HELD_OUT_SHARE = 0.3

#: The seed of the split (NumPy's generator), fixed: every run and the evaluator share it.
SPLIT_SEED = 0

#: The images are ``IMAGE_SIDE x IMAGE_SIDE`` pixels.
IMAGE_SIDE = 8


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
def digits() -> Dataset:
    """The training digits as a lab data set: a draw is a training image chosen uniformly.

    ``dim`` 64, ``image_shape`` (8, 8), ``held_out`` the held-out images. The figures of the
    plane draw the first two pixels; the digits' own figures draw images.
    """
    split = digits_split()
    train = split.train

    def sample(key: jax.Array, n: int) -> jax.Array:
        rows = jax.random.randint(key, (n,), 0, train.shape[0])
        return jnp.asarray(train, jnp.result_type(float))[rows]

    return Dataset(
        "digits",
        train.shape[1],
        sample,
        (0.0, 1.0, 0.0, 1.0),
        image_shape=(IMAGE_SIDE, IMAGE_SIDE),
        points=train,
        held_out=split.held_out,
    )
