"""The lab's one network module: spectral normalisation by power iteration against the SVD."""

import pickle

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from divergences.lab.training import games as G
from divergences.lab.training.networks import make_critic, make_mlp, power_iterate
from divergences.testing import tolerance

pytestmark = pytest.mark.training


def _converged(key, dim, hidden, steps=300):
    net, state = make_critic(key, G.WGAN_SN, dim, hidden, jnp.float64)
    step = jax.jit(power_iterate)
    for _ in range(steps):
        state = step(net, state)
    return net, state


@pytest.mark.slow
def test_spectral_norm_layers_have_unit_norm_after_power_iteration():
    net, state = _converged(jax.random.key(0), 3, (7, 5))
    for layer in net.layers:
        w = np.asarray(layer.layer.weight)
        # The normalised weight W / sigma-hat: sigma-hat against the SVD's largest value.
        sigma = np.linalg.svd(w, compute_uv=False)[0]
        u, v = state.get(layer.uv_index)
        sigma_hat = float(u @ w @ v)
        np.testing.assert_allclose(sigma_hat, sigma, **tolerance("power_iteration"))


@pytest.mark.slow
def test_spectral_norm_critic_is_1_lipschitz():
    net, state = _converged(jax.random.key(1), 2, (16, 16))
    x = jax.random.normal(jax.random.key(2), (256, 2), jnp.float64)
    grads = jax.vmap(jax.grad(lambda z: net(z, state, inference=True)[0]))(x)
    assert float(jnp.max(jnp.linalg.norm(grads, axis=-1))) <= 1 + 1e-8


@pytest.mark.slow
def test_weight_clip_game_clips_the_initial_critic():
    net, _ = make_critic(jax.random.key(0), G.GAMES["wgan-clip"], 2, (8,), jnp.float32)
    leaves = jax.tree_util.tree_leaves(eqx.filter(net, eqx.is_inexact_array))
    assert max(float(jnp.max(jnp.abs(a))) for a in leaves) <= 0.01


@pytest.mark.slow
def test_zero_output_critic_is_zero_and_its_penalty_gradient_vanishes():
    game = G.GAMES["wgan-gp"]
    net, _ = make_critic(jax.random.key(0), game, 1, (8, 8), jnp.float64, zero_output=True)
    params, static = eqx.partition(net, eqx.is_inexact_array)
    x = jax.random.normal(jax.random.key(1), (32, 1), jnp.float64)
    y = x + 2.0

    def penalty(p):
        n = eqx.combine(p, static)
        return game.constraint.penalty(lambda z: n(z, None)[0], x, y, jax.random.key(2))

    def gap(p):
        f = jax.vmap(lambda z: eqx.combine(p, static)(z, None)[0])
        return jnp.mean(f(x)) - jnp.mean(f(y))

    assert float(jnp.max(jnp.abs(jax.vmap(lambda z: net(z, None)[0])(x)))) == 0.0
    # f == 0: the penalty is lambda and its gradient 0; the hidden layers are random, so the
    # objective's gradient is not, and the first update follows it alone.
    assert float(penalty(params)) == pytest.approx(10.0)
    for leaf in jax.tree_util.tree_leaves(jax.grad(penalty)(params)):
        assert float(jnp.max(jnp.abs(leaf))) == 0.0
    assert float(jnp.max(jnp.abs(jax.grad(gap)(params).layers[-1].weight))) > 0


def test_zero_output_is_refused_under_spectral_normalisation():
    with pytest.raises(ValueError, match="zero_output"):
        make_critic(jax.random.key(0), G.WGAN_SN, 2, (8,), jnp.float32, zero_output=True)


@pytest.mark.slow
@pytest.mark.parametrize(("activation", "flat"), [("relu", True), ("leaky_relu", False)])
def test_a_relu_generator_is_flat_where_its_units_are_off(activation, flat):
    # One hidden unit w.x + b with w = (1, 1), b = 0, and an output of 3 times it: off (flat)
    # for x1 + x2 < 0 under ReLU, slope 0.2 there under leaky ReLU.
    net, state = make_mlp(
        jax.random.key(0), (2, 1, 1), scalar_output=True, dtype=jnp.float64, activation=activation
    )
    net = eqx.tree_at(
        lambda n: (n.layers[0].weight, n.layers[0].bias, n.layers[1].weight, n.layers[1].bias),
        net,
        (jnp.ones((1, 2)), jnp.zeros(1), jnp.full((1, 1), 3.0), jnp.zeros(1)),
    )
    slope = jax.grad(lambda x: net(x, state)[0])(jnp.array([-1.0, -0.5]))
    expected = 0.0 if flat else 3.0 * 0.2
    np.testing.assert_array_equal(np.asarray(slope), [expected, expected])
    # On the other side every activation is the identity.
    np.testing.assert_array_equal(
        np.asarray(jax.grad(lambda x: net(x, state)[0])(jnp.array([1.0, 0.5]))), [3.0, 3.0]
    )


@pytest.mark.slow  # it reads a trained run (tiny_run compiles a training step)
def test_the_training_lab_gives_the_generator_the_configured_activation(tiny_run):
    assert tiny_run.config.generator_activation == "relu"
    assert tiny_run.generator.activation == "relu"
    assert tiny_run.critic.activation == "leaky_relu"  # the critics keep leaky ReLU
    # A trained run pickles.
    again = pickle.loads(pickle.dumps(tiny_run.generator))
    assert again.activation == "relu"


def test_an_unknown_activation_is_refused_naming_it():
    with pytest.raises(ValueError, match="activation must be one of"):
        make_mlp(
            jax.random.key(0), (2, 4, 2), scalar_output=False, dtype=jnp.float32, activation="tanh"
        )
