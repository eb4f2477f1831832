"""Figures are built without pyplot, carry the expected artists and labels, and are written."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from divergences.lab import plotting


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


def test_wgan_figure_has_every_quantity_and_the_derivatives() -> None:
    import numpy as np

    fig = plotting.figure_wgan(np.linspace(-1, 1, 21))
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


@pytest.mark.parametrize("name", sorted(plotting.FIGURES))
def test_every_figure_is_written_as_png_and_svg(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = plotting.make_figures(tmp_path, [name])
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    for p in paths:
        assert p.stat().st_size > 1000
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_have_labelled_axes() -> None:
    for name in ("optimal_discriminator", "transport_plan", "kr_potential"):
        fig = plotting.FIGURES[name]()
        labelled = [ax for ax in fig.axes if ax.get_xlabel() or ax.get_ylabel()]
        assert labelled, name
    assert "D^*" in _texts(plotting.figure_optimal_discriminator())
    assert "0.6" in _texts(plotting.figure_transport_plan())
    assert "W_1" in _texts(plotting.figure_kr_potential())


def test_unknown_figure_name_raises(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown figure"):
        plotting.make_figures(tmp_path, ["nope"])
