"""The figures draw what the run holds; the GIF has one frame per readout."""

import numpy as np
import pytest
from PIL import Image

from divergences.lab.training import figures as F

pytestmark = [pytest.mark.slow, pytest.mark.training]


def test_figures_and_gif(tiny_run, tmp_path):
    run = tiny_run
    runs = {
        "sngan": run,
        "another": run._replace(readouts=run.readouts._replace(w1=run.readouts.w1 / 2)),
    }
    fig = F.figure_readouts(run)
    w1_line = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(w1_line.get_ydata(), run.readouts.w1)
    assert len(F.figure_snapshots(run, count=3).axes) >= 3
    cmp = F.figure_comparison(runs)
    assert [l.get_label() for l in cmp.axes[0].get_lines()] == ["sngan", "another"]
    path = F.save_gif(run, tmp_path / "train.gif", dpi=30)
    with Image.open(path) as im:
        assert im.n_frames == len(run.snapshots) == 3
    assert len(F.figure_dirac(steps=20).axes) == 3
