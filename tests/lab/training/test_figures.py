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


def test_readouts_in_two_columns_keep_the_panels_in_reading_order(tiny_run):
    def titles(fig):
        return [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]

    wide, narrow = F.figure_readouts(tiny_run), F.figure_readouts(tiny_run, columns=2)
    assert titles(narrow) == titles(wide) and len(titles(wide)) == 6
    rows = {round(ax.get_position().y0, 3) for ax in narrow.axes if ax.get_title()}
    assert len(rows) == 3


def test_text_follows_the_font_size_in_force(tiny_run):
    import matplotlib

    def sizes(fig):
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        return [t.get_fontsize() for leg in legends for t in leg.get_texts()]

    small = sizes(F.figure_readouts(tiny_run))
    with matplotlib.rc_context({"font.size": 15}):
        large = sizes(F.figure_readouts(tiny_run))
    assert small and np.allclose(large, 1.5 * np.asarray(small), rtol=0.01)
