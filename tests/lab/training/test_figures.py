"""The training lab's figures draw what the run holds.

The GIF has one frame per snapshot, is wide enough for a projector and keeps the samples' yellow;
colour bars, the critic's estimate below 0, legends off the data, the floor band up to the frame's
step, and JS and KL on log axes.
"""

import dataclasses

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from PIL import Image

from divergences.lab.style import COLORS, GAME_MARKERS
from divergences.lab.training import animation as A
from divergences.lab.training import figures as F
from divergences.lab.training.snapshot_figures import heat_limits
from divergences.lab.training.trainer import generate

pytestmark = [pytest.mark.slow, pytest.mark.training]


def test_figures_and_gif(tiny_run, tmp_path):
    run = tiny_run
    runs = {
        "sngan": run,
        "another": run._replace(readouts=run.readouts._replace(w1=run.readouts.w1 / 2)),
    }
    fig = F.figure_readouts(run)
    (w1_line,) = [l for l in fig.axes[0].get_lines() if l.get_label().startswith("exact")]
    np.testing.assert_array_equal(w1_line.get_ydata(), run.readouts.w1)
    assert len(F.figure_snapshots(run, count=3).axes) >= 3
    cmp = F.figure_comparison(runs)
    ax_w, _, grad = cmp.axes[:3]
    games = [l for l in ax_w.get_lines() if l.get_label() in runs]
    assert [l.get_label() for l in games] == ["sngan", "another"]
    # Each game against the fraction of its own run; W1 in multiples of its floor.
    np.testing.assert_array_equal(games[0].get_xdata(), run.readouts.step / 20)
    np.testing.assert_array_equal(games[1].get_ydata(), run.readouts.w1 / 2 / run.readouts.w1_floor)
    assert ax_w.get_yscale() == "log" and ax_w.get_xlim() == (0.0, 1.0)
    # The third panel: each game's generator gradient norm, on a log scale.
    assert grad.get_yscale() == "log"
    np.testing.assert_array_equal(grad.get_lines()[0].get_ydata(), run.readouts.grad_norm_g)
    path = F.save_gif(run, tmp_path / "train.gif", dpi=30)
    with Image.open(path) as im:
        assert im.n_frames == len(run.snapshots) == 3
    assert len(F.figure_dirac(steps=20).axes) == 3


def _colour_bars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_heat_maps_have_a_colour_bar(tiny_run):
    snaps = F.figure_snapshots(tiny_run, count=3)
    (bar,) = _colour_bars(snaps)
    assert "D(x)" in bar.get_ylabel()
    assert bar.get_ylim() == (0.0, 1.0)
    (bar,) = _colour_bars(F.gif_frame(tiny_run, 1))
    assert "D(x)" in bar.get_ylabel()


def test_critic_estimate_is_drawn_below_zero(tiny_run):
    r = tiny_run.readouts
    negative = -np.linspace(0.1, 0.5, len(r.step))
    run = tiny_run._replace(
        config=dataclasses.replace(tiny_run.config, game="wgan-gp"),
        readouts=r._replace(critic_estimate=negative),
    )
    ax = F.figure_readouts(run).axes[0]
    (line,) = [l for l in ax.get_lines() if "estimate" in l.get_label()]
    np.testing.assert_array_equal(line.get_ydata(), negative)
    assert ax.get_ylim()[0] < negative.min()


def test_legends_do_not_cover_the_panels(tiny_run):
    fig = F.figure_readouts(tiny_run)
    FigureCanvasAgg(fig).draw()
    legends = [(ax, ax.get_legend()) for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) >= 4
    for ax, leg in legends:
        assert not leg.get_window_extent().overlaps(ax.get_window_extent())


def test_mode_coverage_legend_names_every_curve(tiny_run):
    fig = F.figure_readouts(tiny_run)
    (ax,) = [a for a in fig.axes if a.get_title() == "Modes, precision and recall"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("modes covered" in s for s in labels)
    for curve in ("high quality", "precision", "recall"):
        assert any(curve in s and "right axis" in s for s in labels), curve


def test_floor_band_in_frame_k_ends_at_step_k(tiny_run):
    r = tiny_run.readouts
    for k in range(len(r.step)):
        ax_w = F.gif_frame(tiny_run, k).axes[1]
        (band,) = [c for c in ax_w.collections if isinstance(c, PolyCollection)]
        xs = np.concatenate([p.vertices[:, 0] for p in band.get_paths()])
        assert xs.min() == r.step[0] and xs.max() == r.step[k]
        (floor_line,) = [l for l in ax_w.get_lines() if l.get_linestyle() == "--"]
        np.testing.assert_array_equal(floor_line.get_xdata(), r.step[: k + 1])


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


def test_js_and_kl_are_log_axes_of_their_positive_values(tiny_run):
    # The discriminator's estimate of JS is a lower bound: slightly negative readouts are left
    # off the log axis, marked on its bottom edge and counted in the legend.
    r = tiny_run.readouts
    estimate = np.array([0.2, -0.003, 0.01])
    run = tiny_run._replace(readouts=r._replace(critic_estimate=estimate))
    fig = F.figure_readouts(run)
    ax_js, ax_kl = fig.axes[1], fig.axes[2]
    assert ax_js.get_yscale() == ax_kl.get_yscale() == "log"
    (line,) = [l for l in ax_js.get_lines() if "estimate" in l.get_label()]
    np.testing.assert_array_equal(line.get_ydata(), [0.2, np.nan, 0.01])
    assert "\u2264 0 at 1 readouts, lowest -0.003" in line.get_label()
    (marks,) = [l for l in ax_js.get_lines() if l.get_marker() == "v"]
    assert marks.get_xdata().tolist() == [r.step[1]]
    low, high = ax_js.get_ylim()
    assert 0 < low < r.js_floor[0] and high >= 1.0  # from below the floor to above log 2
    low, _ = ax_kl.get_ylim()
    assert 0 < low < r.kl_floor[0]
    for ax in (ax_js, ax_kl):
        assert ax.get_legend() is not None and any(
            "noise floor" in t.get_text() for t in ax.get_legend().get_texts()
        )


@pytest.fixture(scope="module")
def framed_run(tiny_run):
    from divergences.lab.training import train

    return train(tiny_run.config, progress=False, frame_every=5)


def test_frames_between_readouts_leave_the_readouts_unchanged(tiny_run, framed_run):
    assert [f.step for f in framed_run.frames] == [0, 5, 10, 15, 20]
    assert tiny_run.frames == ()
    for name in tiny_run.readouts._fields:  # the same bits: each step's key is its own number
        np.testing.assert_array_equal(
            getattr(framed_run.readouts, name), getattr(tiny_run.readouts, name)
        )
    readout_frames = [f for f in framed_run.frames if f.step in (0, 10, 20)]
    for frame, snap in zip(readout_frames, framed_run.snapshots, strict=True):
        np.testing.assert_array_equal(frame.samples, snap.samples)


def _yellow(rgb):
    a = np.asarray(rgb.convert("RGB"), dtype=int)
    return int(((a[..., 0] == 255) & (a[..., 1] == 255) & (a[..., 2] == 0)).sum())


def test_the_gif_is_wide_smooth_and_keeps_the_samples_yellow(framed_run, tmp_path):
    path = F.save_gif(framed_run, tmp_path / "t.gif")
    with Image.open(path) as im:
        assert im.size[0] >= 1200
        assert im.n_frames == len(framed_run.frames) == 5  # a frame every 5 steps, not every 10
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
            if k == 1:  # a frame between readouts: its samples in pure yellow, as drawn
                gif_yellow = _yellow(im)
        assert durations[:-1] == [150] * 4 and durations[-1] > 150
    # The same frame drawn to RGB: every pure yellow pixel stays pure yellow in the GIF (and a
    # few of the points' antialiased edges join them).
    fr = A._Frames(framed_run, framed_run.frames, 4, heat_limits(framed_run, framed_run.frames))
    fr.fig.set_dpi(144)
    canvas = FigureCanvasAgg(fr.fig)
    canvas.draw()
    fr.fig.set_layout_engine("none")
    fr.move_to(1)
    canvas.draw()
    drawn = _yellow(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()))
    assert drawn > 100 and drawn <= gif_yellow <= 1.25 * drawn


def test_a_frame_between_readouts_shows_the_last_readout(framed_run):
    fr = A._Frames(framed_run, framed_run.frames, 3, heat_limits(framed_run, framed_run.frames))
    assert "step 15" in fr.ax.get_title() and "last at step 10" in fr.ax_w.get_title()
    assert fr.w1.get_xdata().tolist() == [0.0, 10.0]
    assert list(fr.now.get_xdata()) == [15, 15]


def test_the_comparison_names_its_palette_and_shows_each_games_last_samples(tiny_run):
    runs = {g: tiny_run for g in ("gan", "nsgan", "wgan-clip", "wgan-gp", "sngan", "r1")}
    fig = F.figure_comparison(runs)
    # Okabe & Ito's palette, one colour and one marker per game.
    assert len({COLORS[g] for g in runs}) == len({GAME_MARKERS[g] for g in runs}) == 6
    lines = [l for l in fig.axes[0].get_lines() if l.get_label() in runs]
    assert [l.get_color() for l in lines] == [COLORS[g] for g in runs]
    assert [l.get_marker() for l in lines] == [GAME_MARKERS[g] for g in runs]
    # A row of samples, one panel per game, titled with its verdict.
    titles = [ax.get_title() for ax in fig.axes if ax.get_title().endswith("converged")]
    assert len(titles) == 6 and titles[0].startswith("gan, step 20:")
    # The panel of the critics' estimates against the exact W1.
    assert "estimate" in fig.axes[3].get_title()


def test_snapshots_draw_the_generators_gradient_on_some_points(tiny_run):
    from matplotlib.quiver import Quiver

    snap = tiny_run.snapshots[-1]
    assert snap.push.shape == (32, 2) and np.all(np.isfinite(snap.push))
    fig = F.figure_snapshots(tiny_run, count=2)
    arrows = [c for ax in fig.axes for c in ax.collections if isinstance(c, Quiver)]
    assert len(arrows) == 2
    np.testing.assert_array_equal(arrows[-1].get_offsets(), snap.samples[:32])
    # The arrows point along the push, the longest at a fixed fraction of the box.
    u, v = arrows[-1].U, arrows[-1].V
    np.testing.assert_allclose(
        np.c_[u, v] * np.linalg.norm(snap.push, axis=1).max(),
        snap.push * np.hypot(u, v).max(),
        rtol=1e-6,
        atol=1e-12,
    )


def test_the_latent_grid_is_the_generators_image_of_a_grid(tiny_run):
    fig = F.figure_latent_grid(tiny_run, lines=3, points=5, span=1.0)
    ax_z, ax_x = fig.axes[:2]
    z_line, x_line = ax_z.get_lines()[0], ax_x.get_lines()[0]
    z = np.zeros((5, tiny_run.config.latent_dim))
    z[:, 0], z[:, 1] = z_line.get_xdata(), z_line.get_ydata()
    image = generate(tiny_run, z)
    np.testing.assert_allclose(x_line.get_xdata(), image[:, 0], rtol=1e-6)
    np.testing.assert_allclose(x_line.get_ydata(), image[:, 1], rtol=1e-6)
    with pytest.raises(ValueError, match="z must have shape"):
        generate(tiny_run, np.zeros((3, 2)))
