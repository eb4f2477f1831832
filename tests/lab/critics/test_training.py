"""The shared training loop: determinism, the plateau rule, input checks."""

import dataclasses

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences.lab import critics
from divergences.lab.critics._training import plateaued
from divergences.lab.training.games import named_game

pytestmark = pytest.mark.training

RNG = np.random.default_rng(0)
X, Y = RNG.normal(0, 1, 256), RNG.normal(3, 1, 256)
SMALL = critics.CriticConfig(
    steps=200, progress=False, critic_hidden=(8,), batch_size=64, eval_every=50
)


@pytest.mark.slow
def test_same_key_same_result_and_other_key_differs():
    a = critics.train_wgan_critic(X, Y, key=3, config=SMALL)
    b = critics.train_wgan_critic(X, Y, key=3, config=SMALL)
    c = critics.train_wgan_critic(X, Y, key=4, config=SMALL)
    np.testing.assert_array_equal(np.asarray(a.curve), np.asarray(b.curve))
    leaves_a, leaves_b = (jax.tree_util.tree_leaves(f.network) for f in (a, b))
    assert len(leaves_a) == 4  # two layers, each a weight and a bias
    for wa, wb in zip(leaves_a, leaves_b, strict=True):
        np.testing.assert_array_equal(np.asarray(wa), np.asarray(wb))
    assert not np.array_equal(np.asarray(a.curve), np.asarray(c.curve))


@pytest.mark.slow  # trains a critic
def test_result_fields():
    fit = critics.train_gan_discriminator(X, Y, config=SMALL)
    assert fit.curve.shape == fit.steps.shape
    assert float(fit.value) == float(fit.curve[-1])
    assert int(fit.steps[-1]) <= SMALL.steps
    d = np.asarray(fit.critic(np.linspace(-2, 5, 11)))
    assert d.shape == (11,)
    assert np.all((d > 0) & (d < 1))


def test_plateau_rule():
    flat = np.array([[0.0], [1.0], [1.0], [1.0], [1.0]])
    rising = np.array([[0.0], [0.2], [0.4], [0.6], [0.8]])
    assert plateaued(flat, patience=3, tol=0.01).all()
    assert not plateaued(rising, patience=3, tol=0.01).any()
    assert not plateaued(flat[:3], patience=3, tol=0.01).any()  # too short to judge


@given(
    st.lists(st.floats(-1.0, 1.0), min_size=8, max_size=8),
    st.floats(1e-6, 1e6),
    st.integers(1, 6),
)
def test_plateau_rule_is_scale_free(values, scale, patience):
    h = np.asarray(values)[:, None]
    assert plateaued(h, patience, 0.01) == plateaued(h * scale, patience, 0.01)


@pytest.mark.slow  # trains a critic
def test_early_stop_on_an_easy_problem():
    fit = critics.train_gan_discriminator(
        X - 10, Y + 10, config=dataclasses.replace(SMALL, steps=5000)
    )
    assert fit.stopped_early
    assert int(fit.steps[-1]) < 5000


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": np.ones((2, 2, 2))}, "x must have shape"),
        ({"y": np.array([])}, "y is empty"),
        ({"x": np.array([0.0, np.nan])}, "x contains NaN"),
        ({"y": np.ones((5, 3))}, "same dimension"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"holdout": 1.0}, "holdout must be a fraction"),
        ({"critic_hidden": (0,)}, "critic_hidden must be a tuple of positive integers"),
        ({"learning_rate": 0.0}, "learning_rate must be a finite number > 0"),
        ({"dtype": "float16"}, "dtype must be"),
        ({"game": "lipschitz"}, "game must be one of"),
        ({"game": "nsgan"}, r"game must be one of \('wgan-clip', 'wgan-gp', 'wgan-sn'\)"),
        ({"clip": 0.0}, "clip must be a finite number > 0"),
        ({"gp_weight": -1.0}, "gp_weight must be a finite number >= 0"),
        ({"game": "wgan-sn", "clip": float("nan")}, "clip must be a finite number > 0"),
        ({"x": np.ones(1)}, "too few to hold out"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    names = ("steps", "holdout", "critic_hidden", "learning_rate", "dtype")
    config_fields = {k: v for k, v in kwargs.items() if k in names}
    others = {k: v for k, v in kwargs.items() if k not in config_fields}
    args = {"x": X, "y": Y, **others}
    with pytest.raises(ValueError, match=match):
        config = dataclasses.replace(SMALL, **config_fields)
        critics.train_wgan_critic(args.pop("x"), args.pop("y"), config=config, **args)


@pytest.mark.slow  # trains a critic
def test_equal_configurations_reuse_the_compiled_steps():
    # The game and the configuration are frozen and compared by value: a second trainer call
    # with equal ones (built anew) finds the steps compiled for the first.
    from divergences.lab.critics._training import _compile_key, _compiled

    critics.train_wgan_critic(X, Y, key=1, config=SMALL)
    built = _compiled.cache_info().currsize
    again = critics.CriticConfig(
        steps=200, progress=False, critic_hidden=(8,), batch_size=64, eval_every=50
    )
    critics.train_wgan_critic(X, Y, key=2, config=again)
    assert again == SMALL and again is not SMALL
    assert _compiled.cache_info().currsize == built
    _, chunk = _compiled(*_compile_key(named_game("wgan-gp"), SMALL), 1)
    assert chunk._cache_size() == 1  # one compilation served both calls


@pytest.mark.slow  # trains a critic
def test_another_constant_or_step_size_compiles_nothing():
    # The game's constant and the step size are arguments of the compiled steps: a critic with
    # another clipping bound and step size runs the programs compiled for the first.
    from divergences.lab.critics._training import _compile_key, _compiled

    config = dataclasses.replace(SMALL, critic_hidden=(7,), steps=100)
    first = critics.train_wgan_critic(X, Y, game="wgan-clip", clip=0.01, key=1, config=config)
    init, chunk = _compiled(*_compile_key(named_game("wgan-clip"), config), 1)
    assert (init._cache_size(), chunk._cache_size()) == (1, 1)
    other = dataclasses.replace(config, learning_rate=3e-4)
    second = critics.train_wgan_critic(X, Y, game="wgan-clip", clip=0.05, key=1, config=other)
    assert (init._cache_size(), chunk._cache_size()) == (1, 1)
    # Each critic keeps its own constant: its weights lie in [-c, c], and the clipped
    # initialisation (first-layer weights of order 1) reaches the bound.
    leaves = [jax.tree_util.tree_leaves(f.network) for f in (first, second)]
    bound = [max(float(np.max(np.abs(w))) for w in ws) for ws in leaves]
    assert bound == [float(np.float32(0.01)), float(np.float32(0.05))]


def test_fgan_refuses_a_generator_outside_the_table():
    g = dv.generators.KL._replace(name="my KL")
    with pytest.raises(ValueError, match="generator must be one of"):
        critics.train_fgan_critic(X, Y, g, config=SMALL)
