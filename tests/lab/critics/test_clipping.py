"""WGAN-GP's Figure 1 at a toy size: value surfaces, gradient norms per layer, weights."""

import numpy as np
import pytest

from divergences.lab import critics
from divergences.lab.critics.clipping import PAPER_UNIT, _weight_gradient_norms
from divergences.lab.training.networks import make_mlp

pytestmark = [pytest.mark.slow, pytest.mark.training]


def test_the_fixed_generator_is_the_data_plus_noise_of_one_paper_unit():
    data, generated = critics.noisy_data_generator("grid25", 4000, key=2)
    assert data.shape == generated.shape == (4000, 2)
    # The grid's points spread by 2 sqrt(2) (its standard deviation on each axis adds the
    # noise's variance to the grid's own).
    extra = generated.var(axis=0) - data.var(axis=0)
    np.testing.assert_allclose(extra, PAPER_UNIT["grid25"] ** 2, rtol=0.15)


@pytest.fixture(scope="module")
def surfaces():
    return critics.critic_value_surfaces(
        ["ring8", "swiss_roll"], n=256, steps=150, critic_hidden=(16, 16), resolution=12
    )


def test_surfaces_one_per_game_and_data_set_on_the_data_sets_box(surfaces):
    assert [(s.game, s.data_name) for s in surfaces] == [
        ("wgan-clip", "ring8"),
        ("wgan-clip", "swiss_roll"),
        ("wgan-gp", "ring8"),
        ("wgan-gp", "swiss_roll"),
    ]
    for s in surfaces:
        assert s.values.shape == (12, 12) and np.isfinite(s.values).all()
        assert s.xs[0] < s.data[:, 0].min() and s.xs[-1] > s.data[:, 0].max()


def test_a_clipped_critic_has_a_far_smaller_range_than_a_penalised_one(surfaces):
    # Weights within [-0.01, 0.01] bound the slope far below the penalty's 1.
    clip = [np.ptp(s.values) for s in surfaces if s.game == "wgan-clip"]
    gp = [np.ptp(s.values) for s in surfaces if s.game == "wgan-gp"]
    assert max(clip) < 0.1 * min(gp)


def test_value_surfaces_figure_has_a_panel_per_surface(surfaces):
    fig = critics.figure_value_surfaces(surfaces)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "8 Gaussians"
    assert fig.axes[0].get_ylabel() == "weight clipping"


@pytest.fixture(scope="module")
def gradients():
    return critics.layer_gradient_norms(
        clips=(0.1, 0.001), depth=4, width=16, n=128, steps=60, probe_points=32
    )


def test_gradient_norms_one_row_per_critic_one_column_per_layer(gradients):
    g = gradients
    assert g.labels == ("clip c = 0.1", "clip c = 0.001", "gradient penalty")
    assert g.norms.shape == (3, 5) and (g.norms > 0).all()
    # Clipping keeps every weight within [-c, c].
    assert np.abs(g.weights["clip c = 0.001"]).max() <= 0.001 + 1e-9
    assert g.weights["gradient penalty"].size == 2 * 16 + 3 * 16 * 16 + 16


def test_a_small_clip_makes_the_gradient_vanish_toward_the_input(gradients):
    # Each layer of weights within +-0.001 and width 16 multiplies the back-propagated signal by
    # at most 0.016: from the output layer to the input one it falls by orders of magnitude.
    small = gradients.norms[1]
    assert small[0] < 1e-3 * small[-1]


def test_weight_gradient_norms_of_a_linear_network_are_the_input_norm():
    # For one linear layer f(x) = w.x + b, df/dw = x: the norm is the mean of |x|.
    import jax

    net, state = make_mlp(jax.random.key(0), (2, 1), scalar_output=True, dtype=np.float32)
    points = np.array([[3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(_weight_gradient_norms(net, state, points), [3.0], rtol=1e-6)


def test_layer_gradients_figure(gradients):
    fig = critics.figure_layer_gradients(gradients)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 3
    titles = [a.get_title() for a in fig.axes[1:]]
    assert any("clipping at" in t and "0.001" in t for t in titles)
    assert any("gradient penalty" in t for t in titles)
