"""The games: losses, estimates, constraints and the projection.

Each loss against its formula, the estimates of two games that must agree, the constraints'
penalties on critics whose gradients are known, the projection.
"""

import dataclasses
import inspect
import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences.lab import critics
from divergences.lab.training import TrainingConfig
from divergences.lab.training import games as G
from divergences.testing import tolerance

pytestmark = pytest.mark.training

OUTPUTS = st.lists(st.floats(-30.0, 30.0), min_size=1, max_size=8).map(
    lambda v: jnp.asarray(v, jnp.float64)
)


def _mean_log_sigmoid(v):
    """E log sigmoid(v) in 50-digit arithmetic (mpmath), the reference of the softplus forms."""
    with mpmath.workdps(50):
        return float(
            mpmath.fsum(-mpmath.log1p(mpmath.exp(-mpmath.mpf(float(t)))) for t in v) / len(v)
        )


@pytest.mark.slow
@given(OUTPUTS, OUTPUTS)
def test_discriminator_losses_are_the_cross_entropies(fr, ff):
    game = G.GAMES["nsgan"]
    log_d_real, log_d_fake = _mean_log_sigmoid(fr), _mean_log_sigmoid(ff)
    log_1m_d_fake = _mean_log_sigmoid(-ff)  # log(1 - sigmoid(v)) = log sigmoid(-v)
    value = log_d_real + log_1m_d_fake
    loss = game.critic_loss(lambda x: x[0], fr[:, None], ff[:, None], jax.random.key(0))
    np.testing.assert_allclose(loss, -value, **tolerance("float64"))
    np.testing.assert_allclose(
        game.estimate(fr, ff), (value + math.log(4)) / 2, **tolerance("float64")
    )
    np.testing.assert_allclose(
        G.GAMES["gan"].generator_loss(ff), log_1m_d_fake, **tolerance("float64")
    )
    np.testing.assert_allclose(game.generator_loss(ff), -log_d_fake, **tolerance("float64"))


@pytest.mark.slow
@given(OUTPUTS, OUTPUTS)
def test_fgan_gan_generator_estimates_twice_the_discriminators_js_minus_log4(fr, ff):
    # Two games, one quantity: the f-GAN bound with the GAN generator is 2 JS-hat - log 4.
    fgan = G.FGAN_GAMES["fgan-gan"].estimate(fr, ff)
    js = G.GAMES["nsgan"].estimate(fr, ff)
    np.testing.assert_allclose(fgan, 2 * js - math.log(4), rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
@given(OUTPUTS, OUTPUTS)
def test_wasserstein_losses(fr, ff):
    game = G.GAMES["wgan-clip"]
    gap = jnp.mean(fr) - jnp.mean(ff)
    assert game.estimate(fr, ff) == gap
    assert game.objective.critic_loss(fr, ff) == -gap
    assert game.generator_loss(ff) == -jnp.mean(ff)


@pytest.mark.slow
@pytest.mark.parametrize("slope", [0.0, 0.5, 1.0, 3.0])
def test_penalties_of_a_linear_critic(slope):
    # f(x) = s . x has gradient s everywhere: GP = lambda (|s| - 1)^2, R1 = gamma / 2 |s|^2.
    s = jnp.asarray([slope, 0.0], jnp.float64)
    rng = np.random.default_rng(0)
    real, fake = jnp.asarray(rng.normal(size=(16, 2))), jnp.asarray(rng.normal(size=(16, 2)))

    def f(x):
        return x @ s

    gp = G.GradientPenalty(10.0).penalty(f, real, fake, jax.random.key(1))
    np.testing.assert_allclose(gp, 10.0 * (slope - 1.0) ** 2, **tolerance("float64"))
    r1 = G.R1Penalty(4.0).penalty(f, real, fake, jax.random.key(1))
    np.testing.assert_allclose(r1, 2.0 * slope**2, **tolerance("float64"))


@pytest.mark.slow
def test_gradient_penalty_gradient_is_finite_at_a_flat_critic():
    # A constant critic has a zero gradient, where the norm's derivative is taken as 0.
    real, fake = jnp.ones((4, 2)), jnp.zeros((4, 2))

    def penalty(w):
        return G.GradientPenalty(10.0).penalty(
            lambda x: w * jnp.sum(x * 0.0), real, fake, jax.random.key(0)
        )

    g = jax.grad(penalty)(jnp.float64(1.0))
    assert bool(jnp.isfinite(g))


@given(st.floats(1e-4, 1.0))
def test_weight_clip_projects_every_leaf_into_the_box(bound):
    tree = {"w": jnp.linspace(-2, 2, 9), "b": (jnp.asarray([5.0, -0.0]),)}
    out = G.WeightClip(bound).project(tree)
    for a, b in zip(jax.tree_util.tree_leaves(tree), jax.tree_util.tree_leaves(out), strict=True):
        np.testing.assert_array_equal(b, jnp.clip(a, -bound, bound))


def test_game_tables_and_the_configurations_constants():
    assert G.WGAN_SN.spectral_norm and G.WGAN_SN.wasserstein
    assert G.FGAN_GAMES["fgan-kl"].objective == G.FGan("KL")
    assert set(G.FGAN_GAMES) == {
        "fgan-kl",
        "fgan-reverse-kl",
        "fgan-pearson-chi2",
        "fgan-neyman-chi2",
        "fgan-squared-hellinger",
        "fgan-jensen-shannon",
        "fgan-gan",
        "fgan-total-variation",
    }
    with pytest.raises(ValueError, match="generator must be one of"):
        G.FGan("my KL")
    with pytest.raises(ValueError, match="clip must be a finite number > 0"):
        G.WeightClip(0.0)
    # The games' constants live in the game (R1's 0.1 is the lab's, not the paper's 10); a
    # configuration's value replaces them.
    assert TrainingConfig(game="wgan-clip").game_spec.constraint == G.WeightClip(0.01)
    assert TrainingConfig(game="wgan-clip", clip=0.05).game_spec.constraint == G.WeightClip(0.05)
    assert TrainingConfig(game="wgan-gp", gp_weight=1.0).game_spec.constraint == (
        G.GradientPenalty(1.0)
    )
    assert TrainingConfig(game="r1").game_spec.constraint == G.R1Penalty(0.1)
    assert TrainingConfig(game="r1", r1_weight=10.0).game_spec.constraint == G.R1Penalty(10.0)
    assert TrainingConfig(game="r1", gp_weight=1.0).game_spec == G.GAMES["r1"]


def _keywords(fn):
    return {p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY}


def test_a_constant_has_one_name_everywhere():
    # The constraint's field, the configuration's field, the keyword of with_constants, of
    # named_game and of the critics, and the name its error message gives: all one.
    constants = {c for g in G.ALL_GAMES.values() for c in g.constants}
    assert constants == {"clip", "gp_weight", "r1_weight"}
    for cls in G.Constraint.__subclasses__():
        assert {f.name for f in dataclasses.fields(cls)} <= constants
    assert constants <= {f.name for f in dataclasses.fields(TrainingConfig)}
    assert _keywords(G.Game.with_constants) == _keywords(G.named_game) == constants
    for name, game in G.ALL_GAMES.items():
        for constant in game.constants:
            assert G.named_game(name, **{constant: 0.25}).constants == {constant: 0.25}
            with pytest.raises(ValueError, match=f"^{constant} must be a finite number"):
                G.named_game(name, **{constant: -1.0})
            if name in G.GAMES:
                config = TrainingConfig(game=name, **{constant: 0.25})
                assert config.game_spec.constants == {constant: 0.25}
                with pytest.raises(ValueError, match=f"^{constant} must be a finite number"):
                    TrainingConfig(game=name, **{constant: -1.0})


def test_the_critics_take_the_games_names_and_constants():
    wgan = {name for name, game in G.ALL_GAMES.items() if game.wasserstein}
    assert set(critics.WGAN_GAMES) == wgan == {"wgan-clip", "wgan-gp", "wgan-sn"}
    assert inspect.signature(critics.train_wgan_critic).parameters["game"].default in wgan
    wgan_constants = {c for name in wgan for c in G.ALL_GAMES[name].constants}
    assert wgan_constants <= _keywords(critics.train_wgan_critic)
    x = np.zeros(8)
    with pytest.raises(ValueError, match="game must be one of"):
        critics.train_critic("lipschitz", x, x, config=critics.CriticConfig(), key=0)
    with pytest.raises(ValueError, match="game must be one of"):
        G.named_game("wgan")
    # The value surfaces are WGAN critics': another game is refused before any training.
    with pytest.raises(ValueError, match=r"^games must be WGAN games .*, got 'nsgan'"):
        critics.critic_value_surfaces(["ring8"], games=["wgan-gp", "nsgan"])


@pytest.mark.parametrize("constant", ["clip", "gp_weight", "r1_weight"])
@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), -float("inf"), True, "1"])
def test_a_bad_constant_is_refused_by_its_own_name(constant, bad):
    with pytest.raises(ValueError, match=f"^{constant} must be a finite number"):
        G.named_game("wgan-gp", **{constant: bad})  # checked whatever the game


@pytest.mark.parametrize("value", [2, np.int64(2), np.float32(2.0), 2.0])
def test_a_constant_is_stored_as_a_float(value):
    for name, game in G.ALL_GAMES.items():
        for constant in game.constants:
            stored = G.named_game(name, **{constant: value}).constants[constant]
            assert type(stored) is float and stored == 2.0
    assert G.WeightClip(np.float32(0.5)) == G.WeightClip(0.5)
    # None leaves the game's constant as it is.
    assert G.named_game("wgan-gp", clip=None, gp_weight=None) == G.ALL_GAMES["wgan-gp"]


def test_a_traced_constant_replaces_the_constant_and_nothing_else():
    for name, game in G.ALL_GAMES.items():
        if not game.constants:
            assert game.with_traced_constant(3.0) is game
            continue
        (constant,) = game.constants
        replaced = jax.jit(lambda c, game=game: game.with_traced_constant(c).constants)(3.0)
        assert float(replaced[constant]) == 3.0
        # The game itself is left as it was, and a concrete value gives the checked game's.
        assert game == G.ALL_GAMES[name]
        assert game.with_traced_constant(3.0) == G.named_game(name, **{constant: 3.0})
