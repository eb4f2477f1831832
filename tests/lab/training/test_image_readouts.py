"""The readouts of a generator of digits: every score with its interval, the figures, the demos.

The quick tests read the toy run's readouts (no image columns) and lay out a mosaic; the tests
that score digits (the evaluator is trained once per session, about 20 s) are slow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from divergences.lab.training import COLUMNS, TrainingConfig, train
from divergences.lab.training.digits import digits, digits_split
from divergences.lab.training.image_figures import figure_digits, figure_image_readouts, mosaic
from divergences.lab.training.image_readouts import IMAGE_COLUMNS, IMAGE_DRAWS, data_row, image_row


@pytest.mark.slow  # 22.5 s from a cold compile cache: over the quick tier's 1 s
def test_data_that_is_not_images_reads_nan_in_the_image_columns(tiny_run):
    assert set(IMAGE_COLUMNS) <= set(COLUMNS)
    for name in IMAGE_COLUMNS:
        assert np.isnan(getattr(tiny_run.readouts, name)).all(), name
    assert np.isfinite(tiny_run.readouts.precision).all()  # the plane's own, in the data space


def test_a_mosaic_lays_images_out_in_rows_with_gaps():
    images = np.arange(6)[:, None] * np.ones((6, 4)) / 5.0
    out = mosaic(images, (2, 2), columns=4)
    assert out.shape == (2 * 3 - 1, 4 * 3 - 1)
    np.testing.assert_array_equal(out[3:5, 0:2], np.full((2, 2), 4 / 5))  # 5th image: row 2
    assert np.isnan(out[2]).all() and np.isnan(out[3:, 6:]).all()  # a gap, an empty place


def test_a_subset_of_classes_draws_only_those_digits():
    ds = digits(classes=(0, 7))
    split = digits_split()
    assert ds.name == "digits07" and ds.held_out is split.held_out
    assert len(ds.points) == np.isin(split.train_labels, (0, 7)).sum()
    with pytest.raises(ValueError, match="classes must be a tuple of digits"):
        digits(classes=(10,))


@pytest.fixture(scope="module")
def evaluator_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIVERGENCES_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.mark.slow
def test_a_copying_generator_is_caught_and_a_collapsed_one_loses_recall(evaluator_cache):
    split, rng = digits_split(), np.random.default_rng(0)
    ds = digits()
    # Copying: training digits with noise far below a pixel's grey level.
    picks = split.train[rng.integers(0, len(split.train), IMAGE_DRAWS)]
    copied = image_row(ds, picks + 0.01 * rng.standard_normal(picks.shape))
    assert copied["copying_p"] <= 0.05 and copied["copied"] > 0.5
    # Collapsed onto three classes (training digits of 0, 1 and 2, lightly blurred by noise).
    few = split.train[np.isin(split.train_labels, (0, 1, 2))]
    collapsed = image_row(ds, few[rng.integers(0, len(few), IMAGE_DRAWS)])
    assert collapsed["recall"] < 0.5 < collapsed["precision"]
    assert collapsed["classes_p"] <= 0.05
    assert sum(collapsed[f"class_{c}"] for c in (0, 1, 2)) > 0.9
    for row in (copied, collapsed):
        for name in ("inception", "fd", "kid", "precision", "recall", "density", "coverage"):
            assert row[f"{name}_lo"] <= row[name] <= row[f"{name}_hi"], name


@pytest.mark.slow
def test_a_short_run_on_digits_reads_out_every_score_and_draws_its_figures(evaluator_cache):
    config = TrainingConfig.for_data("digits", steps=20, eval_every=10)
    assert (config.game, config.eval_size, config.latent_dim) == ("nsgan", 1000, 16)
    run = train(config, progress=False)
    r = run.readouts
    for name in IMAGE_COLUMNS:
        assert np.isfinite(getattr(r, name)).all(), name
    assert math.isnan(r.js_grid[0]) and r.step.tolist() == [0.0, 10.0, 20.0]
    shares = sum(getattr(r, f"class_{c}") for c in range(10))
    np.testing.assert_allclose(shares, 1.0)
    assert len(figure_image_readouts(run).axes) == 6
    assert len([a for a in figure_digits(run).axes if a.get_visible()]) == 3


def test_image_readouts_are_the_digits_and_refuse_data_without_an_evaluator():
    with pytest.raises(ValueError, match=r"need an evaluator: the digits have one, 'ring8' none"):
        data_row("ring8")
