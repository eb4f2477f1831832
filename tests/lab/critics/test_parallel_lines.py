"""The parallel-lines sweep, at a toy size."""

import math

import numpy as np
import pytest

from divergences.lab import critics
from divergences.lab.cli import build_parser

pytestmark = [pytest.mark.slow, pytest.mark.training]


def test_small_sweep_structure_and_fitted_scale():
    s = critics.critic_sweep([-0.5, 0.0, 1.0], n=64, steps=100, progress=False)
    np.testing.assert_array_equal(s.w1, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(s.js, [math.log(2), 0.0, math.log(2)])
    clip = s.estimates["WGAN, clipping"]
    assert math.isclose(s.clip_scale, float(np.sum(clip * s.w1) / np.sum(s.w1**2)))
    assert set(s.estimates) == set(s.curves)
    assert all(c.shape[1] == 3 for c in s.curves.values())
    fig = critics.plot_critic_sweep(s)
    assert len(fig.axes) == 3


def test_cli_has_the_critics_subcommand():
    args = build_parser().parse_args(["critics", "--out", "somewhere", "--full"])
    assert args.out == "somewhere" and args.full
