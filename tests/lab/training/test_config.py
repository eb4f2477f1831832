"""A bad configuration is refused when it is made, with a ValueError naming the option."""

import dataclasses

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
        ({"generator_ema": 1.0}, r"generator_ema must be None or a number in \[0, 1\)"),
        ({"generator_ema": -0.1}, "generator_ema must be None or a number"),
        ({"generator_ema": float("nan")}, "generator_ema must be None or a number"),
        ({"generator_ema": True}, "generator_ema must be None or a number"),
        ({"learning_rate_decay": 1.5}, r"learning_rate_decay must be None or a number in \[0, 1\]"),
        ({"learning_rate_decay": -0.5}, "learning_rate_decay must be None or a number"),
        ({"learning_rate_decay": "linear"}, "learning_rate_decay must be None or a number"),
        ({"generator_activation": "tanh"}, "generator_activation must be one of"),
        ({"generator_activation": None}, "generator_activation must be one of"),
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
    r1 = TrainingConfig(game="r1").optimiser
    # the paper's betas and one critic step; the step size 2e-4, not the paper's 1e-4
    assert (r1.name, r1.learning_rate, r1.b1, r1.b2) == ("adam", 2e-4, 0.0, 0.99)
    assert TrainingConfig(game="r1", learning_rate=1e-3).optimiser.learning_rate == 1e-3
    # One step count per game, in the game table: 30000 for r1 (one critic step of a slow
    # optimiser), 12000 for the others; a set count serves every game.
    others = ("wgan-gp", "sngan", "gan", "nsgan", "wgan-clip")
    assert [TrainingConfig(game=g).n_steps for g in others] == [12_000] * 5
    assert TrainingConfig(game="r1").n_steps == 30_000
    assert TrainingConfig(game="r1", steps=5).n_steps == 5
    assert dataclasses.replace(TrainingConfig(game="r1"), game="sngan").n_steps == 12_000
    # A ReLU generator of an 8-dimensional Gaussian input (the critics keep leaky ReLU).
    assert (TrainingConfig().generator_activation, TrainingConfig().latent_dim) == ("relu", 8)
    # The readouts use the generator's weights averaged over about the last 1000 steps.
    assert TrainingConfig().generator_ema == 0.999
    assert TrainingConfig().learning_rate_decay is None
    with pytest.raises(AttributeError):
        TrainingConfig().steps = 3  # type: ignore[misc]


@pytest.mark.slow
def test_the_step_size_decays_linearly_over_the_run():
    # Adam's update on a constant gradient is -lr(t) after its first few steps (m_hat / sqrt(v_hat)
    # is 1 exactly for a constant gradient), so the updates trace the schedule: from the game's
    # step size at the first update to the given fraction of it at update steps * k.
    config = TrainingConfig(game="wgan-gp", steps=10, learning_rate_decay=0.25)
    lr = config.optimiser.learning_rate
    for k in (1, 5):
        opt = config.build_optimiser(k)
        params = jnp.zeros(3)
        state = opt.init(params)
        steps = []
        for _ in range(10 * k + 1):
            u, state = opt.update(jnp.ones(3), state, params)
            steps.append(-float(u[0]))
        expected = lr * (1 - 0.75 * np.minimum(np.arange(10 * k + 1), 10 * k) / (10 * k))
        np.testing.assert_allclose(steps, expected, rtol=1e-5)
    constant = TrainingConfig(game="wgan-gp", steps=10).build_optimiser(1)
    state = constant.init(jnp.zeros(1))
    for _ in range(3):
        u, state = constant.update(jnp.ones(1), state)
    assert -float(u[0]) == pytest.approx(lr, rel=1e-6)
