"""The trainer's readout hook and the live view.

One call per readout with the run so far, a clean stop with the partial run on interrupt, and no
display outside a notebook.
"""

import io

import numpy as np
import pytest
from PIL import Image

from divergences.lab.training import TrainingConfig, train
from divergences.lab.training import live as L
from tests.lab.training.conftest import TINY

pytestmark = [pytest.mark.slow, pytest.mark.training]

CONFIG = TrainingConfig(data="ring8", game="sngan", seed=3, **TINY)  # the shared tiny run's


def test_hook_is_called_once_per_readout_with_the_run_so_far(tiny_run):
    seen = []
    run = train(CONFIG, progress=False, on_readout=seen.append)
    assert [r.readouts.step.tolist() for r in seen] == [[0.0], [0.0, 10.0], [0.0, 10.0, 20.0]]
    assert [len(r.snapshots) for r in seen] == [1, 2, 3]
    for a, b in zip(seen[-1].readouts, tiny_run.readouts, strict=True):  # the hook changes nothing
        np.testing.assert_array_equal(a, b)
    for a, b in zip(run.readouts, tiny_run.readouts, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(seen[0].data_sample, run.data_sample)


def _interrupting_train(at_step):
    """The trainer, with a readout hook that raises KeyboardInterrupt once ``at_step`` is read."""

    def fake(config, *, progress, on_readout):
        def hook(run):
            on_readout(run)
            if run.readouts.step[-1] >= at_step:
                raise KeyboardInterrupt

        return train(config, progress=progress, on_readout=hook)

    return fake


def test_interrupt_returns_the_run_so_far(monkeypatch, tiny_run, capsys):
    monkeypatch.setattr(L, "train", _interrupting_train(10))
    run = L.train_live(CONFIG)
    assert run.readouts.step.tolist() == [0.0, 10.0]
    np.testing.assert_array_equal(run.readouts.w1, tiny_run.readouts.w1[:2])
    assert "interrupted: the run up to step 10 is returned" in capsys.readouterr().err


def test_without_a_display_nothing_is_drawn(tiny_run):
    assert L.display_mode() == "none"  # pytest runs outside IPython
    run = L.train_live(CONFIG, live=True)
    np.testing.assert_array_equal(run.readouts.w1, tiny_run.readouts.w1)


class _Handle:
    def __init__(self, shown, obj):
        self.shown = shown
        shown.append(("display", obj))

    def update(self, obj):
        self.shown.append(("update", obj))


@pytest.mark.parametrize("mode", ["live", "static"])
def test_live_redraws_each_readout_and_static_draws_once(monkeypatch, mode):
    shown = []
    monkeypatch.setattr(L, "display_mode", lambda: mode)
    monkeypatch.setattr("IPython.display.display", lambda o, display_id: _Handle(shown, o))
    run = L.train_live(CONFIG, dpi=30)
    kinds = [k for k, _ in shown]
    # the status line, the samples panel and the readout figure, each drawn in place
    if mode == "static":
        assert kinds == ["display"] * 3
    else:  # a redraw may be skipped while the last one cost more than the training since
        assert kinds[:3] == ["display"] * 3 and set(kinds[3:]) <= {"update"}
        assert len(kinds) % 3 == 0 and 6 <= len(kinds) <= 3 * len(run.snapshots) + 3
    status, samples, readouts = (o for _, o in shown[-3:])
    assert "step 20 of 20" in status.data and "interrupted" not in status.data
    for im in (samples, readouts):
        with Image.open(io.BytesIO(im.data)) as png:
            assert png.format == "PNG" and min(png.size) > 50


def test_interrupt_in_a_notebook_draws_the_partial_run(monkeypatch):
    shown = []
    monkeypatch.setattr(L, "display_mode", lambda: "live")
    monkeypatch.setattr("IPython.display.display", lambda o, display_id: _Handle(shown, o))
    monkeypatch.setattr(L, "train", _interrupting_train(10))
    run = L.train_live(CONFIG, dpi=30)
    assert run.readouts.step[-1] == 10
    assert "interrupted: the run up to step 10 is returned" in shown[-3][1].data


def test_an_interrupt_before_the_first_readout_is_raised(monkeypatch):
    def fake(config, *, progress, on_readout):
        raise KeyboardInterrupt

    monkeypatch.setattr(L, "train", fake)
    with pytest.raises(KeyboardInterrupt, match="before the first readout"):
        L.train_live(CONFIG)
