"""A GAN discriminator's held-out bounds: the split, the bounds below the truth, the input rules."""

import math

import numpy as np
import pytest
from scipy.stats import norm

import divergences.continuous as dc
from divergences.lab import critics
from divergences.lab.critics import held_out

RNG = np.random.default_rng(0)
X, Y = RNG.normal(0.0, 1.0, 3001), RNG.normal(2.0, 1.0, 2000)
SMALL = critics.CriticConfig(
    steps=600, progress=False, critic_hidden=(16,), batch_size=128, eval_every=100
)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_the_bounds_half_is_never_trained_on(monkeypatch):
    seen = {}

    def spy(x, y, *, config, key):
        seen["x"], seen["y"] = np.asarray(x), np.asarray(y)
        d = lambda z: 1.0 / (1.0 + np.exp(2.0 * np.asarray(z)[:, 0] - 2.0))  # noqa: E731
        return critics.CriticFit(0.0, None, None, None, None, d, False)

    monkeypatch.setattr(held_out, "train_gan_discriminator", spy)
    b = critics.held_out_bounds(X, Y, key=5)
    assert seen["x"].shape == (1500, 1) and seen["y"].shape == (1000, 1)
    assert (b.js.n, b.js.m) == (b.kl.n, b.kl.m) == (1501, 1000)
    trained = set(seen["x"][:, 0]) | set(seen["y"][:, 0])
    assert trained.isdisjoint(set(X) - set(seen["x"][:, 0]))  # the rest of x is held out
    assert set(seen["x"][:, 0]) <= set(X) and set(seen["y"][:, 0]) <= set(Y)
    other = critics.held_out_bounds(X, Y, key=6)
    assert other.js.lower_bound != b.js.lower_bound  # another key, another split


@pytest.mark.parametrize("level", [0.0, 1.0, True, "0.9"])
def test_bad_level_before_training(level):
    with pytest.raises(ValueError, match=r"level must be a finite number in \(0, 1\)"):
        critics.held_out_bounds(X, Y, level=level)


def test_too_few_draws():
    with pytest.raises(ValueError, match="y must hold at least 8 draws"):
        critics.held_out_bounds(X, Y[:7])


@pytest.mark.slow
@pytest.mark.training
def test_a_trained_discriminator_bounds_below_the_truth():
    b = critics.held_out_bounds(X, Y, config=SMALL, key=1)
    js = float(dc.js_divergence(dc.Normal(0.0, 1.0), dc.Normal(2.0, 1.0)).value)
    tv, kl = 2.0 * norm.cdf(1.0) - 1.0, 2.0
    assert (
        0.0 < b.js.lower_bound <= js
        and 0.0 < b.tv.lower_bound <= tv
        and 0.0 < b.kl.lower_bound <= kl
    )
    assert (
        b.js.upper_bound == math.log(2.0)
        and b.tv.upper_bound == 1.0
        and b.kl.upper_bound == math.inf
    )
    assert b.fit.critic(np.zeros(3)).shape == (3,)
