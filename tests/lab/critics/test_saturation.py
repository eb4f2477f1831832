"""WGAN's Figure 2 at a toy size.

The saturated discriminator's vanishing gradient beside the clipped critic's slope.
"""

import math

import numpy as np
import pytest

from divergences.lab import critics

pytestmark = [pytest.mark.slow, pytest.mark.training]


@pytest.fixture(scope="module")
def two_gaussians():
    return critics.critics_on_two_gaussians(n=256, steps=400, critic_hidden=(16,), key=1)


def test_the_densities_and_the_exact_w1(two_gaussians):
    r = two_gaussians
    assert r.x[0] < -2 - 2.5 * 0.5 and r.x[-1] > 2 + 2.5 * 0.5
    dx = r.x[1] - r.x[0]
    for density in (r.data_density, r.generator_density):
        assert math.isclose(float(np.sum(density) * dx), 1.0, rel_tol=1e-3)
    assert r.x[np.argmax(r.data_density)] == pytest.approx(-2.0, abs=dx)
    assert r.w1 == 4.0


def test_the_discriminator_saturates_and_its_minimax_gradient_vanishes_at_the_generator(
    two_gaussians,
):
    r = two_gaussians
    at_p, at_q = np.argmin(np.abs(r.x + 2)), np.argmin(np.abs(r.x - 2))
    assert r.discriminator[at_p] > 0.9 and r.discriminator[at_q] < 0.1
    assert 0.5 < r.js_estimate <= math.log(2) + 0.01
    # The minimax loss's gradient at the generator is a small fraction of its largest value,
    # the critic's is not: the slope of a clipped critic is about the same everywhere.
    assert r.minimax_gradient[at_q] < 0.1 * r.minimax_gradient.max()
    assert r.critic_gradient[at_q] > 0.05 * r.critic_gradient.max()
    assert r.nonsaturating_gradient[at_q] > 0.05 * r.nonsaturating_gradient.max()


def test_the_critic_is_larger_on_the_data_and_its_estimate_positive(two_gaussians):
    r = two_gaussians
    assert r.critic[0] > r.critic[-1]
    assert r.critic_estimate > 0


def test_the_gradients_are_the_chain_rule_of_d_and_v(two_gaussians):
    # |d/dx log(1 - D)| / |d/dx log D| = D / (1 - D) wherever both are finite and nonzero.
    r = two_gaussians
    ok = (r.nonsaturating_gradient > 1e-30) & (r.discriminator < 1 - 1e-6)
    ratio = r.minimax_gradient[ok] / r.nonsaturating_gradient[ok]
    d = r.discriminator[ok]
    np.testing.assert_allclose(ratio, d / (1 - d), rtol=1e-6)


def test_figure_has_two_panels_and_the_generators_mean_marked(two_gaussians):
    fig = critics.figure_two_gaussians(two_gaussians)
    top, bottom = fig.axes
    assert bottom.get_yscale() == "log"
    labels = [t.get_text() for t in bottom.get_legend().get_texts()]
    assert any("minimax" in s for s in labels) and any("WGAN" in s for s in labels)
    assert "D(x)" in " ".join(t.get_text() for t in top.get_legend().get_texts())


def test_a_bad_std_is_refused():
    with pytest.raises(ValueError, match="std"):
        critics.critics_on_two_gaussians(std=0.0)
