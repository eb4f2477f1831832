"""The digits' evaluator: trained once by its configuration, kept on disk, over 95% held out."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from divergences.lab.training import evaluator as ev
from divergences.lab.training.digits import digits_split
from divergences.lab.training.networks import make_mlp

SMALL = ev.EvaluatorConfig(hidden=(16,), steps=30)


@pytest.fixture
def untrained(monkeypatch):
    """Training replaced by the initial network (the cache's tests need no trained weights)."""
    calls = []

    def initial(config):
        calls.append(config)
        net, _ = make_mlp(
            jax.random.key(config.seed), (64, *config.hidden, 10), scalar_output=False,
            dtype=jnp.float32, activation="relu",
        )  # fmt: skip
        return net

    monkeypatch.setattr(ev, "_train", initial)
    return calls


@pytest.mark.slow  # 2.4 s from a cold compile cache: over the quick tier's 1 s
def test_it_is_trained_once_and_read_back_from_the_cache(tmp_path, untrained):
    first = ev.digits_evaluator(SMALL, cache=tmp_path)
    (kept,) = tmp_path.iterdir()
    assert kept.name == f"digits-evaluator-{SMALL.key()}.eqx"

    again = ev.digits_evaluator(SMALL, cache=tmp_path)
    assert len(untrained) == 1  # read back, not trained again
    x = digits_split().held_out[:20]
    np.testing.assert_array_equal(first.probabilities(x), again.probabilities(x))
    assert again.accuracy == first.accuracy
    p = first.probabilities(x)
    assert p.shape == (20, 10) and np.allclose(p.sum(axis=1), 1.0) and p.dtype == np.float64
    assert first.features(x).shape == (20, 16)


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_a_damaged_file_is_trained_again_and_the_key_follows_the_configuration(tmp_path, untrained):
    path = tmp_path / f"digits-evaluator-{SMALL.key()}.eqx"
    path.write_bytes(b"not an evaluator")
    assert ev.digits_evaluator(SMALL, cache=tmp_path).net is not None
    assert path.stat().st_size > 100 and len(untrained) == 1
    assert len({SMALL.key(), ev.EvaluatorConfig().key(), ev.EvaluatorConfig(seed=1).key()}) == 3


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIVERGENCES_CACHE", str(tmp_path / "a"))
    assert ev.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("DIVERGENCES_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert ev.cache_dir() == tmp_path / "b" / "divergences"


def test_shifted_copies_keep_their_labels_and_lose_one_edge():
    s = digits_split()
    images, labels = ev.shifted(s.train[:3], s.train_labels[:3])
    assert images.shape == (15, 64) and list(labels[3:6]) == list(s.train_labels[:3])
    down = images[6].reshape(8, 8)  # the second copy: moved one row down, zeros on top
    np.testing.assert_array_equal(down[1:], s.train[0].reshape(8, 8)[:-1])
    assert not down[0].any()


def test_a_bad_configuration_is_named():
    with pytest.raises(ValueError, match="config must be an EvaluatorConfig"):
        ev.digits_evaluator({"steps": 3})  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_default_evaluator_classifies_over_95_percent_of_the_held_out_digits(tmp_path):
    # 0.981 here (seed 0), 0.972 to 0.981 over seeds 0 to 4
    assert ev.digits_evaluator(cache=tmp_path).accuracy > 0.95


def test_images_are_checked_as_images_each_refusal_one_line_naming_the_rule():
    digits = digits_split().train[:5]
    assert np.array_equal(ev.checked_images(digits.reshape(5, 8, 8)), digits)  # (n, 8, 8) read
    levels = np.round(digits * ev.SKLEARN_LEVELS)  # scikit-learn's own scale
    with pytest.raises(ValueError, match=r"run from 0 to 16: integers .* divide them by 16$"):
        ev.checked_images(levels)
    with pytest.raises(ValueError, match=r"^images must be grey levels in \[0, 1\]"):
        ev.checked_images(digits - 0.5)
    nan = digits.copy()
    nan[3, 7] = np.nan
    with pytest.raises(
        ValueError, match=r"^images: image 3 holds NaN or inf \(1 of 5 images do\)$"
    ):
        ev.checked_images(nan)
    for shape in [(5, 63), (5, 4, 16), (0, 64), (64,)]:
        with pytest.raises(
            ValueError, match=r"must be 8 x 8 digits, shape \(n, 64\) or \(n, 8, 8\)"
        ):
            ev.checked_images(np.zeros(shape))
    with pytest.raises(ValueError, match="must hold numbers"):
        ev.checked_images(np.array([["a"] * 64]))
    outside = digits + 0.2  # a generator's outputs: clipped to the grey levels, as drawn
    assert np.array_equal(ev.checked_images(outside, clip=True), np.clip(outside, 0.0, 1.0))


@pytest.mark.slow  # builds and runs a network: over the quick tier's 1 s from a cold cache
def test_the_evaluator_refuses_what_is_not_an_image_by_name(tmp_path, untrained):
    e = ev.digits_evaluator(SMALL, cache=tmp_path)
    levels = np.round(digits_split().held_out[:4] * ev.SKLEARN_LEVELS)
    for read in (e.probabilities, e.features, e.predict):
        with pytest.raises(ValueError, match="scikit-learn's grey levels"):
            read(levels)
    assert e.features(levels.reshape(4, 8, 8) / ev.SKLEARN_LEVELS).shape == (4, 16)
