"""Figures are built without pyplot, carry the expected artists and labels, and are written."""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from divergences.lab.figures import divergence_figures, figure_catalogue, transport_figures
from divergences.testing import tolerance


def _texts(fig: Figure) -> str:
    parts = []
    for ax in fig.axes:
        parts += [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
        parts += [ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            parts += [t.get_text() for t in leg.get_texts()]
    return " | ".join(parts)


@pytest.mark.slow
def test_wgan_figure_has_every_quantity_and_the_derivatives() -> None:
    import numpy as np

    fig = divergence_figures.figure_wgan(np.linspace(-1, 1, 21))
    assert isinstance(fig, Figure)
    ax, axg = fig.axes
    text = _texts(fig)
    for needle in ("W_1", "JS", "TV", "KL", r"+\infty", "closed form", r"\theta", "nats"):
        assert needle in text, needle
    assert "d/d\\theta" in " ".join(t.get_text() for t in axg.get_legend().get_texts())
    # The W1 derivative line sits at -1 and +1 away from theta = 0.
    w1_grad = next(ln for ln in axg.get_lines() if "W_1" in ln.get_label())
    y = np.asarray(w1_grad.get_ydata(), dtype=float)
    assert set(np.unique(np.round(y[np.isfinite(y) & (y != 0)], 9))) == {-1.0, 1.0}
    # KL is drawn as markers pinned at the top edge of the axes.
    kl = next(ln for ln in ax.get_lines() if "KL" in ln.get_label())
    assert np.allclose(kl.get_ydata(), ax.get_ylim()[1])


@pytest.mark.slow
def test_a_figure_is_written_as_png_and_svg(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Every figure goes through the same writer; that each one draws, legibly, is
    # test_figure_layout's (which draws them all).
    paths = figure_catalogue.make_figures(tmp_path, ["transport_plan"])
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    for p in paths:
        assert p.stat().st_size > 1000
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_have_labelled_axes() -> None:
    for name in ("optimal_discriminator", "transport_plan", "kr_potential"):
        fig = figure_catalogue.FIGURES[name]()
        labelled = [ax for ax in fig.axes if ax.get_xlabel() or ax.get_ylabel()]
        assert labelled, name
    assert "D^*" in _texts(divergence_figures.figure_optimal_discriminator())
    assert "0.6" in _texts(transport_figures.figure_transport_plan())
    assert "W_1" in _texts(transport_figures.figure_kr_potential())


def test_unknown_figure_name_raises(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown figure"):
        figure_catalogue.make_figures(tmp_path, ["nope"])


def _overlaps_curve(fig: Figure, text, line) -> bool:  # type: ignore[no-untyped-def]
    """Whether any point of ``line`` (densely sampled, display coordinates) falls in ``text``'s box."""
    import numpy as np

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = text.get_window_extent(renderer)
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    fine = np.linspace(0, x.size - 1, 20 * x.size)
    pts = np.column_stack(
        [np.interp(fine, np.arange(x.size), x), np.interp(fine, np.arange(y.size), y)]
    )
    disp = line.axes.transData.transform(pts)
    inside = (
        (disp[:, 0] >= box.x0)
        & (disp[:, 0] <= box.x1)
        & (disp[:, 1] >= box.y0)
        & (disp[:, 1] <= box.y1)
    )
    return bool(inside.any())


def test_optimal_discriminator_label_stays_clear_of_the_curve() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = divergence_figures.figure_optimal_discriminator()
    FigureCanvasAgg(fig)
    axd = fig.axes[1]
    curve = next(ln for ln in axd.get_lines() if ln.get_label() == "$D^*(x)$")
    (label,) = [t for t in axd.texts if "1/2" in t.get_text()]
    assert not _overlaps_curve(fig, label, curve)


@pytest.mark.slow
def test_wgan_title_sits_above_the_kl_markers() -> None:
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = divergence_figures.figure_wgan(np.linspace(-1, 1, 21))
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    kl = next(ln for ln in ax.get_lines() if "KL" in ln.get_label())
    markers_top = kl.get_window_extent(renderer).y1
    assert ax.title.get_window_extent(renderer).y0 > markers_top + 2


@pytest.mark.slow
def test_discretisation_js_curves_at_log2_are_told_apart() -> None:
    """The three JS curves coincide at log 2: each needs its own line style or marker."""
    import math

    import numpy as np

    fig = divergence_figures.figure_discretisation(np.linspace(-0.5, 0.5, 41))
    axj = fig.axes[1]
    handles = axj.get_legend().legend_handles
    looks = {
        (h.get_linestyle(), h.get_marker(), round(float(h.get_linewidth()), 1), h.get_alpha())
        for h in handles
    }
    assert len(looks) == len(handles) == 3
    drawn_markers = {
        ln.get_marker()
        for ln in axj.get_lines()
        if ln.get_linestyle() == "None" and np.isclose(ln.get_ydata(), math.log(2)).sum() >= 3
    }
    assert {"s", "^"} <= drawn_markers


def _is_drawn(line) -> bool:  # type: ignore[no-untyped-def]
    import numpy as np

    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    return bool(line.get_visible() and (np.isfinite(x) & np.isfinite(y)).any())


def paired_parts(line) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """What a reader sees of a line: its stroke (colour, dash, width) and its marker (colour, shape)."""
    from matplotlib.colors import to_hex

    parts = set()
    if line.get_linestyle() not in ("None", "none", "", " ") and line.get_linewidth() > 0:
        stroke = f"{line.get_linestyle()} {float(line.get_linewidth()):.1f} {line.get_alpha()}"
        parts.add((to_hex(line.get_color()), stroke))
    if line.get_marker() not in (None, "None", "none", "", " "):
        parts.add((to_hex(line.get_markerfacecolor()), f"marker {line.get_marker()}"))
    return parts


def _not_in_the_legend(ax) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines drawn in ``ax`` that show a stroke or a marker no legend entry shows."""
    from matplotlib.lines import Line2D

    shown: set[tuple[str, str]] = set()
    for handle in ax.get_legend().findobj(Line2D):
        shown |= paired_parts(handle)
    missing = []
    for line in ax.get_lines():
        if not _is_drawn(line):
            continue
        if line.get_marker() not in (None, "None", "none", "", " ") and (
            line.get_markevery() == []  # the marker only shows in the legend
        ):
            continue
        extra = paired_parts(line) - shown
        if extra:
            missing.append(f"{line.get_label()!r}: {sorted(extra)}")
    return missing


@functools.cache
def _sweep_figure(name: str) -> Figure:
    """The three figures in theta, each built once for the tests below (41 thetas, 21 for pixels)."""
    thetas = {
        "wgan_figure1": np.linspace(-1, 1, 41),
        "discretisation": np.linspace(-0.5, 0.5, 21),
        "shifted_families": np.linspace(-2.5, 2.5, 41),
    }[name]
    return figure_catalogue.FIGURES[name](thetas)  # type: ignore[call-arg]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["wgan_figure1", "discretisation", "shifted_families"])
def test_every_line_drawn_is_shown_in_a_legend_entry(name: str) -> None:
    for ax in _sweep_figure(name).axes:
        assert _not_in_the_legend(ax) == [], ax.get_title()


@pytest.mark.slow  # draws the published figure (its curves computed)
@pytest.mark.parametrize("name", ["wgan_figure1", "shifted_families"])
def test_no_infinity_arrow_beside_a_finite_value(name: str) -> None:
    """An up-arrow (KL = +inf) next to the dot of a finite KL would read as that dot's value."""
    fig = _sweep_figure(name)
    ax = next(a for a in fig.axes if any("infty" in ln.get_label() for ln in a.get_lines()))
    arrows = next(ln for ln in ax.get_lines() if "infty" in ln.get_label())
    finite = next(  # KL's finite values: dots of the arrows' colour
        ln
        for ln in ax.get_lines()
        if ln.get_marker() == "o" and ln.get_color() == arrows.get_color() and _is_drawn(ln)
    )
    xa = np.asarray(arrows.get_xdata(), dtype=float)
    xf = np.asarray(finite.get_xdata(), dtype=float)
    assert xa.size >= 10 and xf.size >= 1
    width = np.ptp(ax.get_xlim())
    assert np.abs(xa[:, None] - xf[None, :]).min() >= 0.04 * width


@pytest.mark.slow  # draws the published figure (its curves computed)
@pytest.mark.parametrize("name", ["wgan_figure1", "shifted_families"])
def test_titles_sit_above_the_kl_arrows(name: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _sweep_figure(name)
    renderer = FigureCanvasAgg(fig).get_renderer()
    arrows = [ln for ax in fig.axes for ln in ax.get_lines() if "infty" in ln.get_label()]
    assert arrows
    for kl in arrows:
        assert kl.axes.title.get_window_extent(renderer).y0 > kl.get_window_extent(renderer).y1 + 2


@pytest.mark.slow  # draws the published figure (its curves computed)
def test_shifted_families_keep_every_finite_value_inside_the_axes() -> None:
    fig = _sweep_figure("shifted_families")
    for ax in fig.axes:
        low, high = ax.get_ylim()
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            assert ((y >= low) & (y <= high)).all(), line.get_label()


@pytest.mark.slow  # draws the published figure (its curves computed)
def test_shifted_families_dash_only_the_closed_forms_they_have() -> None:
    # Shifted Gaussians have no closed-form JS, shifted uniforms have one: the legend's entry for
    # the dashes names the curves that have them.
    gauss, unif = _sweep_figure("shifted_families").axes
    (dashes,) = [t.get_text() for t in gauss.get_legend().get_texts() if "closed" in t.get_text()]
    assert dashes == r"closed form ($W_1$, TV, KL)"
    (dashes,) = [t.get_text() for t in unif.get_legend().get_texts() if "closed" in t.get_text()]
    assert dashes == r"closed form ($W_1$, TV, JS)"


@pytest.mark.slow  # draws the published figure (its curves computed)
def test_wgan_figure1_marks_the_jump_at_zero_and_draws_no_derivative_there() -> None:
    ax, axg = _sweep_figure("wgan_figure1").axes[:2]

    def open_circles(a):  # type: ignore[no-untyped-def]
        return [
            ln
            for ln in a.get_lines()
            if ln.get_marker() == "o" and ln.get_markerfacecolor() == "white" and _is_drawn(ln)
        ]

    # Values: TV and JS are 0 at 0 (a closed dot) and 1, log 2 beside it (open circles).
    limits = sorted(float(y) for ln in open_circles(ax) for y in ln.get_ydata())
    assert [float(x) for ln in open_circles(ax) for x in ln.get_xdata()] == [0.0, 0.0]
    np.testing.assert_allclose(limits, [np.log(2), 1.0])
    # Derivatives: none at theta = 0, so no curve passes there (not the 0 jax.grad returns).
    for ln in axg.get_lines():
        if str(ln.get_label()).startswith("$d/d"):
            x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
            assert not np.isfinite(y[x == 0]).any(), ln.get_label()
    circles = sorted(float(y) for ln in open_circles(axg) for y in ln.get_ydata())
    # W1's one-sided limits, TV's and JS's: a sum of n weights 1/n need not round to exactly 1.
    np.testing.assert_allclose(circles, [-1.0, 0.0, 0.0, 1.0], **tolerance("float64"))
    texts = [t.get_text() for t in axg.get_legend().get_texts()]
    assert any("none at $\\theta = 0$" in t for t in texts)


@pytest.mark.slow  # draws the published figure (its curves computed)
def test_wgan_figure1_legend_shows_a_whole_dash_period_and_the_label_clears_w1() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    fig = _sweep_figure("wgan_figure1")
    ax, axg = fig.axes[:2]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # the constrained layout, as saved
    renderer = canvas.get_renderer()
    # The d/dtheta JS handle holds two whole dashes and the gap between them: dashes (5, 3)
    # scaled by the line's width.
    legend = axg.get_legend()
    (js,) = [
        h
        for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
        if "JS" in t.get_text()
    ]
    width = js.get_linewidth()
    assert legend.handlelength * legend.prop.get_size_in_points() >= (5 + 3 + 5) * width
    # The "all four are 0" label touches no W1 line.
    (note,) = [t for t in ax.texts if "all four" in t.get_text()]
    box = Text.get_window_extent(note, renderer)  # the text's box, without the arrow
    (w1,) = [ln for ln in ax.get_lines() if ln.get_label() == divergence_figures.LABELS["w1"]]
    pts = w1.get_transform().transform(np.c_[w1.get_xdata(), w1.get_ydata()])
    pts = pts[np.isfinite(pts).all(1)]
    inside = (pts[:, 0] >= box.x0 - 3) & (pts[:, 0] <= box.x1 + 3)
    # W1 = |theta| over the label's width: its lowest point there is above the label's top.
    assert pts[inside, 1].min() > box.y1 + 3


def test_trained_figures_have_captions_and_are_left_out_of_verify() -> None:
    assert set(figure_catalogue.CAPTIONS) == set(figure_catalogue.TRAINED_FIGURES)
    assert not set(figure_catalogue.TRAINED_FIGURES) & set(figure_catalogue.FIGURES)
    from divergences.lab.cli import build_parser

    for name in figure_catalogue.TRAINED_FIGURES:
        assert build_parser().parse_args(["plot", name]).name == name


@pytest.mark.slow
@pytest.mark.training
def test_plot_draws_a_trained_figure_and_prints_its_caption(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from divergences.lab import critics
    from divergences.lab.cli import main

    def small() -> Figure:
        r = critics.critics_on_two_gaussians(n=64, steps=20, critic_hidden=(4,))
        return critics.figure_two_gaussians(r)  # type: ignore[no-any-return]

    monkeypatch.setitem(figure_catalogue.TRAINED_FIGURES, "wgan_figure2", small)
    assert main(["plot", "wgan_figure2", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "wgan_figure2.png").stat().st_size > 1000
    assert figure_catalogue.CAPTIONS["wgan_figure2"] in capsys.readouterr().out
