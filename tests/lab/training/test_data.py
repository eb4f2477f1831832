"""The lab's data sets: the Swiss roll (WGAN-GP's Figure 1) against its definition."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from divergences.lab.training import DATASETS, TrainingConfig, dataset, swiss_roll, train, verdict
from divergences.lab.training.data import _ROLL_SCALE, _ROLL_TURNS

from .conftest import TINY


def _angle_and_radius(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.arctan2(points[:, 1], points[:, 0]), np.hypot(points[:, 0], points[:, 1])


def test_swiss_roll_is_a_named_data_set_without_modes():
    ds = dataset("swiss_roll")
    assert "swiss_roll" in DATASETS and ds.name == "swiss_roll" and ds.dim == 2
    assert ds.modes is None and ds.mode_std is None
    x0, x1, y0, y1 = ds.extent
    assert x0 < -1.2 and x1 > 1.6 and y0 < -1.4 and y1 > 1.8  # the spiral's reach, and a margin


@pytest.mark.slow  # 1.0 s from a cold compile cache: over the quick tier's 1 s
def test_noiseless_swiss_roll_lies_on_the_spiral_r_equals_t_over_scale():
    x = np.asarray(swiss_roll(noise=0.0).sample(jax.random.key(1), 4000), dtype=np.float64)
    angle, radius = _angle_and_radius(x)
    t = radius * _ROLL_SCALE  # on the spiral the radius is t / 7.5 ...
    assert t.min() >= _ROLL_TURNS[0] - 1e-4 and t.max() <= _ROLL_TURNS[1] + 1e-4
    # ... and the angle is t itself, modulo 2 pi.
    gap = np.angle(np.exp(1j * (angle - t)))
    assert np.abs(gap).max() < 1e-3
    # Uniform in t: each third of the range of t holds about a third of the points.
    thirds = np.histogram(t, bins=np.linspace(*_ROLL_TURNS, 4))[0] / t.size
    assert np.abs(thirds - 1 / 3).max() < 0.04


@pytest.mark.slow
def test_swiss_roll_noise_has_the_stated_standard_deviation():
    key = jax.random.key(2)
    clean = np.asarray(swiss_roll(noise=0.0).sample(key, 20000), dtype=np.float64)
    noisy = np.asarray(swiss_roll(noise=0.1).sample(key, 20000), dtype=np.float64)
    # The same key draws the same angles, so the difference is the noise alone.
    sd = (noisy - clean).std(axis=0)
    assert np.allclose(sd, 0.1, rtol=0.05)
    assert swiss_roll().sample(key, 8).dtype == jnp.result_type(float)


@pytest.mark.slow
def test_swiss_roll_sampler_is_jittable_and_keyed():
    ds = swiss_roll()
    a = jax.jit(ds.sample, static_argnums=1)(jax.random.key(3), 64)
    # The same draws under jit (XLA may round sin and cos in another last bit).
    assert np.allclose(np.asarray(a), np.asarray(ds.sample(jax.random.key(3), 64)), rtol=1e-5)
    assert not np.allclose(np.asarray(a), np.asarray(ds.sample(jax.random.key(4), 64)))


@pytest.mark.parametrize("noise", [-0.1, float("nan"), "0.1"])
def test_swiss_roll_refuses_a_bad_noise(noise):
    with pytest.raises(ValueError, match="noise"):
        swiss_roll(noise=noise)


@pytest.mark.slow
@pytest.mark.training
def test_a_run_on_the_swiss_roll_is_judged_by_w1_against_its_floor():
    run = train(TrainingConfig(data="swiss_roll", game="wgan-gp", seed=0, **TINY), progress=False)
    assert np.isnan(run.readouts.modes_covered).all()
    assert np.isfinite(run.readouts.w1).all() and (run.readouts.w1_floor > 0).all()
    v = verdict(run)
    assert v.modes is None and v.modes_total is None
    assert "noise floor" in v.criterion and "modes" not in v.criterion
