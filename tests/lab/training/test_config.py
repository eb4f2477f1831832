"""A bad configuration is refused when it is made, with a ValueError naming the option."""

import jax.numpy as jnp
import numpy as np
import pytest

from divergences.lab.training import Dataset, TrainingConfig, from_array, from_sampler

pytestmark = pytest.mark.training


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"steps": -5}, "steps must be a positive integer"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"steps": 2.5}, "steps must be a positive integer"),
        ({"game": "lsgan"}, "game must be one of"),
        ({"data": "spiral"}, "data must be one of"),
        ({"data": 3}, "data must be a data set name or a Dataset"),
        ({"critic_steps": 0}, "critic_steps must be a positive integer"),
        ({"learning_rate": -1e-3}, "learning_rate must be a finite number > 0"),
        ({"batch_size": -1}, "batch_size must be a positive integer"),
        ({"eval_every": 0}, "eval_every must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"critic_hidden": [8]}, "critic_hidden must be a tuple of positive integers"),
        ({"kl_pseudo_count": -0.5}, "kl_pseudo_count must be a finite number >= 0"),
        ({"clip": 0.0}, "clip must be a finite number > 0"),
        ({"dtype": "float16"}, "dtype must be"),
        ({"floor_draws": 0}, "floor_draws must be a positive integer"),
        ({"floor_draws": 1}, "floor_draws must be at least 2"),
    ],
)
def test_bad_option_raises_naming_it(options, match):
    with pytest.raises(ValueError, match=match):
        TrainingConfig(**options)


def test_mismatched_dimensions_raise_naming_data():
    # A data set declaring 3-D points whose sampler makes 2-D points.
    lying = Dataset("lying", 3, lambda key, n: jnp.zeros((n, 2)), (-1, 1, -1, 1))
    with pytest.raises(ValueError, match=r"data: 'lying' declares points of dimension 3"):
        TrainingConfig(data=lying)
    with pytest.raises(ValueError, match=r"data: the sampler must return shape \(n, dim\)"):
        from_sampler(lambda key, n: jnp.zeros((n, 2)), dim=3)
    with pytest.raises(ValueError, match=r"data: an array of points must have shape \(n, d\)"):
        from_array(np.zeros(5))


def test_defaults_are_the_papers():
    assert TrainingConfig(game="wgan-clip").n_critic == 5
    assert TrainingConfig(game="wgan-clip").optimiser.name == "rmsprop"
    assert TrainingConfig(game="wgan-clip").optimiser.learning_rate == 5e-5
    gp = TrainingConfig(game="wgan-gp").optimiser
    # the paper's optimiser, betas and critic steps; the step size 5e-4, not the paper's 1e-4
    assert (gp.name, gp.learning_rate, gp.b1, gp.b2) == ("adam", 5e-4, 0.0, 0.9)
    assert TrainingConfig(game="wgan-gp").n_critic == 5
    assert TrainingConfig(game="nsgan").n_critic == 1
    assert TrainingConfig(game="r1", learning_rate=1e-3).optimiser.learning_rate == 1e-3
    with pytest.raises(AttributeError):
        TrainingConfig().steps = 3  # type: ignore[misc]
