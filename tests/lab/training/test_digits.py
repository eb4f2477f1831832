"""The lab's digits: the fixed split of scikit-learn's images, and the data set drawn from it."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from divergences.lab.training import TrainingConfig, dataset
from divergences.lab.training.digits import HELD_OUT_SHARE, digits_split


def test_the_split_holds_out_a_share_of_each_class_and_no_image_twice():
    s = digits_split()
    assert s.train.shape[1] == s.held_out.shape[1] == 64
    assert len(s.train) + len(s.held_out) == 1797
    for c in range(10):
        kept, held = np.sum(s.train_labels == c), np.sum(s.held_out_labels == c)
        assert abs(held / (kept + held) - HELD_OUT_SHARE) < 0.01
    assert 0.0 <= s.train.min() and s.train.max() == 1.0  # grey levels over 16
    # no held-out image is a training row (the images are distinct but for a few duplicates)
    train_rows = {r.tobytes() for r in s.train}
    assert sum(r.tobytes() in train_rows for r in s.held_out) <= 5
    assert digits_split() is digits_split()  # read once


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
def test_the_data_set_draws_training_images_and_carries_the_held_out_ones():
    ds = dataset("digits")
    assert (ds.name, ds.dim, ds.image_shape) == ("digits", 64, (8, 8))
    draws = np.asarray(ds.sample(jax.random.key(0), 50))
    train = digits_split().train
    assert np.all((draws[:, None, :] == train[None, :, :]).all(axis=2).any(axis=1))
    assert ds.held_out is digits_split().held_out and ds.points is train
    assert TrainingConfig(data="digits").dataset is ds
