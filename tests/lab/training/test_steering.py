"""Steering a run by hand, action by action.

Each action counts its updates, a readout follows when asked, the step size and the game's
constant change between actions, and the notebook's controls work without a browser.
"""

import asyncio
import dataclasses
import logging
import sys

import equinox as eqx
import jax
import numpy as np
import pytest

from divergences.lab.training import TrainingConfig, figures
from divergences.lab.training.steering import Steering, controls
from tests.lab.training.conftest import TINY

pytestmark = [pytest.mark.slow, pytest.mark.training]


@pytest.fixture(scope="module")
def tiny_gp():
    # A 2-dimensional latent input, as GAN Lab's and notebook 09's.
    return TrainingConfig(data="ring8", game="wgan-gp", seed=1, latent_dim=2, **TINY)


def test_actions_count_their_updates_and_readouts_follow(tiny_gp):
    s = Steering(tiny_gp)
    critic_before = s.run.critic
    s.critic_step()
    assert (s.step, s.critic_updates) == (0, 1)
    assert s.run.generator is not None and s.run.critic is not critic_before
    s.critic_step(2)
    s.generator_step()
    s.generator_step(2)
    s.train(2)
    assert (s.step, s.critic_updates) == (5, 3 + 2 * 5)  # wgan-gp: 5 critic steps a step
    run = s.read()
    assert run.readouts.step.tolist() == [0.0, 5.0]
    assert np.all(np.isfinite(run.readouts.w1)) and run.readouts.w1[-1] > 0
    assert run.snapshots[-1].push.shape == (32, 2)
    for bad in (0, -1, True, 1.0):
        with pytest.raises(ValueError, match=f"steps must be a positive integer, got {bad!r}"):
            s.train(bad)
        with pytest.raises(ValueError, match=f"count must be a positive integer, got {bad!r}"):
            s.critic_step(bad)
        with pytest.raises(ValueError, match=f"count must be a positive integer, got {bad!r}"):
            s.generator_step(bad)
    assert (s.step, s.critic_updates) == (5, 13)  # a refused action changes nothing


def test_set_changes_the_step_size_and_the_constant_and_keeps_the_weights(tiny_gp):
    s = Steering(tiny_gp)
    s.train(1)
    weights = s.run.generator
    s.set(learning_rate=1e-3, gp_weight=1.0)
    assert s.config == dataclasses.replace(tiny_gp, learning_rate=1e-3, gp_weight=1.0)
    assert s.changes == [(1, {"learning_rate": 1e-3, "gp_weight": 1.0})]
    for a, b in zip(
        jax.tree.leaves(eqx.filter(s.run.generator, eqx.is_array)),
        jax.tree.leaves(eqx.filter(weights, eqx.is_array)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    s.train(1)
    assert s.step == 2
    with pytest.raises(ValueError, match=r"wgan-gp can change \['gp_weight', 'learning_rate'\]"):
        s.set(clip=0.1)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        s.set(learning_rate=-1.0)
    assert len(s.changes) == 1  # a refused change is not recorded


def test_a_penalty_switched_off_gets_a_linear_slider_from_zero(tiny_gp):
    """gp_weight = 0 has no logarithm: its slider is linear, from 0 to 10x the paper's 10."""
    ui = controls(Steering(dataclasses.replace(tiny_gp, gp_weight=0.0)), chunk=2, dpi=20)
    gp = ui.children[1].children[1]
    assert (gp.description, gp.value, gp.min, gp.max) == ("gp_weight", 0.0, 0.0, 100.0)
    gp.value = 5.0


def test_the_controls_drive_the_run_without_a_browser(tiny_gp):
    s = Steering(tiny_gp)
    ui = controls(s, chunk=2, dpi=20)
    buttons, sliders, status, picture = ui.children
    critic, generator, chunk, play = buttons.children
    assert [b.description for b in buttons.children] == [
        "critic step",
        "generator step",
        "train 2",
        "play",
    ]
    assert play.value is False
    critic.click()
    generator.click()
    chunk.click()
    assert (s.step, s.critic_updates) == (3, 1 + 2 * 5)
    assert len(s.run.readouts.step) == 4  # the first readout, then one per action
    sliders.children[1].value = 2.0
    assert s.config.gp_weight == 2.0
    sliders.children[0].value = 1e-3
    assert s.config.learning_rate == pytest.approx(1e-3)
    assert "exact W1" in status.value and "gp_weight 2" in status.value
    assert picture.value[:4] == b"\x89PNG"
    # Play trains chunk after chunk, yielding to the event loop between chunks, until pressed
    # again: a press seen while it waits ends the loop after the chunk that ran.
    start = s.step

    async def press_play_then_pause() -> bool:
        play.value = True
        for _ in range(10_000):  # the loop runs a chunk between two of these sleeps
            if s.step >= start + 2 * 2:
                break
            await asyncio.sleep(0.001)
        play.value = False
        for _ in range(1000):  # until the loop's task has seen the press and ended
            if len(asyncio.all_tasks()) == 1:
                return True
            await asyncio.sleep(0.01)
        return False

    assert asyncio.run(press_play_then_pause()), "play did not stop when pressed again"
    assert s.step == start + 2 * 2
    assert len(s.run.readouts.step) == 4 + 2  # a readout after each chunk
    # The steered run draws as a trained one; its whole latent plane is the grid's.
    fig = figures.figure_latent_grid(s.run, lines=3, points=5)
    assert fig.axes[0].get_title() == "the generator's input: its whole plane $(z_1, z_2)$"


def _compiles(caplog, action) -> list[str]:
    """The programs that XLA compiles while ``action()`` runs (the library's readouts too)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jax"), jax.log_compiles():
        action()
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Compiling ")]


def _actions(s: Steering) -> None:
    s.critic_step()
    s.generator_step()
    s.train(2)
    s.read()


def _leaves(model) -> list[np.ndarray]:
    return [np.asarray(a) for a in jax.tree.leaves(eqx.filter(model, eqx.is_array))]


def test_changing_the_step_size_and_the_constant_compiles_nothing(tiny_gp, caplog):
    s = Steering(tiny_gp)
    _actions(s)  # compiles what the actions need, if an earlier test has not
    s.set(learning_rate=1e-3, gp_weight=1.0)
    assert _compiles(caplog, lambda: _actions(s)) == []
    s.set(learning_rate=3e-4)
    s.set(gp_weight=30.0)
    assert _compiles(caplog, lambda: _actions(s)) == []
    # A chunk of a new length is a new program, and the count sees it.
    assert any("chunk" in m for m in _compiles(caplog, lambda: s.train(3)))
    # The new values are used: a run started with them takes the same steps bit for bit, and
    # one that kept the old values does not.
    changed = dataclasses.replace(tiny_gp, learning_rate=1e-3, gp_weight=1.0)
    a, b, kept = Steering(tiny_gp), Steering(changed), Steering(tiny_gp)
    a.set(learning_rate=1e-3, gp_weight=1.0)
    for run in (a, b, kept):
        run.train(2)
    for x, y in zip(_leaves(a.run.critic), _leaves(b.run.critic), strict=True):
        np.testing.assert_array_equal(x, y)
    same = map(np.array_equal, _leaves(a.run.critic), _leaves(kept.run.critic))
    assert not all(same)  # (the critic's output bias has no gradient under WGAN's loss)


def test_a_changed_clipping_bound_clips_the_next_update(caplog):
    s = Steering(TrainingConfig(data="ring8", game="wgan-clip", seed=2, **TINY))
    s.critic_step()
    bound = max(np.abs(w).max() for w in _leaves(s.run.critic))
    assert bound == np.float32(0.01)  # the paper's c: the initial weights are larger

    def widen_then_narrow() -> None:
        s.set(clip=0.25)
        s.critic_step()
        assert 0.01 < max(np.abs(w).max() for w in _leaves(s.run.critic)) < 0.25
        s.set(clip=0.001)
        s.critic_step()
        assert max(np.abs(w).max() for w in _leaves(s.run.critic)) == np.float32(0.001)

    assert _compiles(caplog, widen_then_narrow) == []


def test_the_controls_without_ipywidgets_say_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # an import of it raises ImportError
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        controls(None)  # type: ignore[arg-type]
