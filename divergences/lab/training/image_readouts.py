r"""The readouts of a generator of images: the scores papers print, each with its interval.

For a data set of images with an evaluator (the digits, :mod:`~.evaluator`), each readout
takes :data:`IMAGE_DRAWS` generated images and computes, with :mod:`divergences.estimate`:

* ``inception``: the Inception score of the evaluator's class probabilities (``inception_score``);
* ``fd``: the Fréchet distance between the Gaussian fits of the evaluator's features of the
  training digits and of the generated ones, bias-corrected (``frechet``), and ``fid`` its
  plug-in value (the formula papers print, biased upward);
* ``kid``: the kernel inception distance on the same features (``kid``);
* ``precision``, ``recall``, ``density``, ``coverage``: against the *held-out* digits' features
  (``fidelity_diversity``);
* ``classes_p``: the permutation test that the evaluator's predicted classes of the generated
  digits and of the held-out digits have one law (``mmd_test`` on the classes as one-hot
  vectors, a kernel fixed before the draws: its statistic is a multiple of the squared distance
  between the two class histograms), and ``class_0`` ... ``class_9`` the generated digits'
  shares of each class;
* ``copied``, ``copying_p``: ``memorisation`` in pixel space (not the evaluator's features,
  which were fit on the training digits: there a generator of a few classes reads as copying),
  the training digits against the held-out ones: the share of generated digits that copy a
  training digit (the excess over the held-out baseline, in ``[0, 1]``, with its interval), and
  the test's p-value.

Each estimate's ends are ``<name>_lo`` and ``<name>_hi`` (at level 0.95; where an estimate
claims no coverage, the quantity's range). :func:`data_row` gives the same scores of real
digits, repeated on every row as ``<name>_data``: the level a generator as good as the data
reaches at these sizes. The numbers are in the
evaluator's units (:mod:`~.evaluator`: it stands in for Inception-v3 on ImageNet): they compare
steps and runs with each other, not with published scores.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, NamedTuple

import numpy as np

import divergences as dv
from divergences.lab.training.data import Dataset
from divergences.lab.training.evaluator import (
    CLASSES,
    Evaluator,
    checked_images,
    digits_evaluator,
)

__all__ = ["IMAGE_COLUMNS", "IMAGE_DRAWS", "data_row", "image_row", "nan_row"]

#: Generated images each readout scores: the Inception score claims its interval from 100 rows
#: a class, and FD and KID from 1000 draws.
IMAGE_DRAWS = 1000

#: The permutations of the class test and of the memorisation test.
PERMUTATIONS = 199

_INTERVALS = ("inception", "fd", "kid", "precision", "recall", "density", "coverage", "copied")
_DATA = ("inception", "fd", "kid", "precision", "recall", "density", "coverage")

#: The columns the readouts of image data add (NaN for the other data).
IMAGE_COLUMNS: tuple[str, ...] = (
    "inception",
    "fd",
    "fid",
    "kid",
    "density",
    "coverage",
    *(f"{name}_{end}" for name in _INTERVALS for end in ("lo", "hi")),
    *(f"{name}_claimed" for name in _INTERVALS),
    "classes_p",
    *(f"class_{c}" for c in range(CLASSES)),
    "copied",
    "copying_p",
    *(f"{name}_data" for name in _DATA),
)


class _Reference(NamedTuple):
    evaluator: Evaluator
    train: np.ndarray
    held_out: np.ndarray
    train_features: np.ndarray
    held_features: np.ndarray
    held_classes: np.ndarray


def _reference(name: str) -> _Reference:
    """The evaluator and the real images' features of the data set ``name``: the digits'.

    The digits of some classes (``digits017``) are scored against every real digit, as the
    digits are: a generator of a few classes is one that collapsed.
    """
    if not name.startswith("digits"):  # the one image data set with an evaluator
        raise ValueError(f"image readouts need an evaluator: the digits have one, {name!r} none")
    return _digits_reference()


@functools.cache
def _digits_reference() -> _Reference:
    """The digits' evaluator and their features, once per process."""
    from divergences.lab.training.digits import digits_split

    split, e = digits_split(), digits_evaluator()
    return _Reference(
        e,
        split.train,
        split.held_out,
        e.features(split.train),
        e.features(split.held_out),
        e.predict(split.held_out),
    )


def _ends(row: dict[str, float], name: str, e: dv.estimate.Estimate) -> None:
    """The value, its ends, and 1 where the interval claims its coverage (0: the range's ends)."""
    row[name], row[f"{name}_lo"], row[f"{name}_hi"] = e.value, e.lower_bound, e.upper_bound
    row[f"{name}_claimed"] = float(e.claims_coverage)


def _scores(ref: _Reference, images: np.ndarray, *, memorisation: bool) -> dict[str, float]:
    """Every score of ``images`` (rows of pixels in ``[0, 1]``) against the reference digits."""
    row: dict[str, float] = {}
    feats = ref.evaluator.features(images)
    with warnings.catch_warnings():  # an estimate that claims nothing keeps its range as ends
        warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
        _ends(
            row,
            "inception",
            dv.estimate.inception_score(ref.evaluator.probabilities(images)).estimate,
        )
        fd = dv.estimate.frechet(ref.train_features, feats)
        _ends(row, "fd", fd)
        row["fid"] = math.nan if fd.plug_in is None else fd.plug_in
        _ends(row, "kid", dv.estimate.kid(ref.train_features, feats))
        both = dv.estimate.fidelity_diversity(real=ref.held_features, generated=feats)
    for name in ("precision", "recall", "density", "coverage"):
        _ends(row, name, getattr(both, name))
    if memorisation:
        classes = ref.evaluator.predict(images)
        onehot = np.eye(CLASSES)
        test = dv.estimate.mmd_test(
            onehot[classes], onehot[ref.held_classes], bandwidth=1.0, permutations=PERMUTATIONS
        )
        row["classes_p"] = test.p_value
        shares = np.bincount(classes, minlength=CLASSES) / len(classes)
        row.update({f"class_{c}": float(shares[c]) for c in range(CLASSES)})
        m = dv.estimate.memorisation(
            training=ref.train,
            generated=images,
            held_out=ref.held_out,
            permutations=PERMUTATIONS,
        )
        _ends(row, "copied", m.copied)
        row["copying_p"] = m.test.p_value
    return row


def image_row(dataset: Dataset, generated: Any) -> dict[str, float]:
    """The image readouts of the first :data:`IMAGE_DRAWS` of ``generated``, but the data's.

    The generator's outputs are not bounded: they are clipped to the grey levels ``[0, 1]``, the
    images as the lab draws them (:func:`~.evaluator.checked_images`), and scored as such.

    Args:
      dataset: an image data set with an evaluator (the digits).
      generated: generated images ``(n, 64)`` or ``(n, 8, 8)``, ``n >= IMAGE_DRAWS``.

    Raises:
      ValueError: for another shape, or an image holding NaN or inf (named by its index).
    """
    images = checked_images(generated, clip=True, name="generated")[:IMAGE_DRAWS]
    return _scores(_reference(dataset.name), images, memorisation=True)


@functools.cache
def data_row(name: str) -> dict[str, float]:
    """The scores of real digits as if generated: ``<score>_data`` for each score.

    What a generator drawing digits of the data's law reads out: the held-out digits' Inception
    score and their FD and KID to the training digits; precision, recall, density and coverage
    of :data:`IMAGE_DRAWS` training digits against the held-out ones.
    """
    ref = _reference(name)
    held = _scores(ref, ref.held_out, memorisation=False)
    train = _scores(ref, ref.train[:IMAGE_DRAWS], memorisation=False)
    out = {f"{k}_data": held[k] for k in ("inception", "fd", "kid")}
    out.update({f"{k}_data": train[k] for k in ("precision", "recall", "density", "coverage")})
    return out


def nan_row() -> dict[str, float]:
    """The image columns of data that is not images: NaN."""
    return dict.fromkeys(IMAGE_COLUMNS, math.nan)
