"""The figure of estimates from samples: each estimator's interval against n, the certified truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from divergences.estimate import Estimate
from divergences.lab.figures import estimate_figures
from divergences.lab.figures.estimate_figures import (
    EstimateCurve,
    EstimatePanel,
    estimate_panels,
    figure_estimates,
)
from divergences.lab.figures.figure_catalogue import FIGURES
from tests.lab.figures.test_figure_layout import assert_legible

pytest.importorskip("flint")


def _synthetic_panels() -> list[EstimatePanel]:
    """Two panels of made-up estimates: a two-sided band, and a one-sided one open at the top."""
    sizes = (100, 1000, 10000)

    def est(n: int, sides: str = "two-sided") -> Estimate:
        half = 1 / math.sqrt(n)
        upper = 0.5 + half if sides == "two-sided" else math.inf
        return Estimate(0.5, 0.5 - half, upper, 0.95, "finite-sample", sides, "", "", n, n, "W1")  # type: ignore[arg-type]

    two = EstimateCurve("estimate A", tuple(est(n) for n in sizes), "#0072B2")
    one = EstimateCurve("estimate B", tuple(est(n, "lower") for n in sizes), "#D55E00")
    return [
        EstimatePanel("two-sided", "Q [nats]", sizes, 0.5, 0.0, (two,)),
        EstimatePanel("one-sided", "JS [nats]", sizes, 0.5, 0.0, (one,), math.log(2)),
    ]


def test_the_bands_say_their_level_and_kind_and_the_truth_is_the_dashed_line() -> None:
    fig = figure_estimates(_synthetic_panels())
    axes = fig.get_axes()
    assert len(axes) == 2
    labels = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in axes]  # type: ignore[union-attr]
    assert labels[0] == ["95% interval, finite-sample", "estimate A", "certified value 0.5"]
    assert labels[1][0] == "95% interval, finite-sample, lower bound"
    for ax in axes:
        assert ax.get_xscale() == "log"
        assert ax.get_ylim()[0] == 0.0
        truth = [ln for ln in ax.get_lines() if str(ln.get_label()).startswith("certified")]
        assert len(truth) == 1 and np.allclose(truth[0].get_ydata(), 0.5)
    # a one-sided interval's band leaves the top of the axes; log 2 is marked where it shows
    band = np.asarray(axes[1].collections[0].get_paths()[0].vertices)
    assert band[:, 1].max() > axes[1].get_ylim()[1]
    assert axes[1].get_ylim()[1] <= math.log(2) * 1.12 + 1e-12
    assert "$\\log 2$" in [t.get_text().strip() for t in axes[1].texts]
    assert_legible(fig)


def test_the_panels_wrap_into_rows() -> None:
    fig = figure_estimates(_synthetic_panels() * 2, columns=3)
    visible = [ax for ax in fig.get_axes() if ax.get_visible()]
    assert len(fig.get_axes()) == 6 and len(visible) == 4


def test_a_second_interval_around_the_same_value_is_outlined_and_named() -> None:
    (panel, _) = _synthetic_panels()
    first = panel.curves[0]
    second = first._replace(name="", color="#E69F00", interval="DKW bands", draws_value=False)
    both = panel._replace(curves=(first._replace(interval="McDiarmid"), second))
    fig = figure_estimates([both, both._replace(truth_label="closed form")], columns=2)
    ax, other = fig.get_axes()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert labels == [
        "95% interval, finite-sample (McDiarmid)",
        "estimate A",
        "95% interval, finite-sample (DKW bands)",
        "certified value 0.5",
    ]
    assert other.get_legend().get_texts()[-1].get_text() == "closed form 0.5"  # type: ignore[union-attr]
    outlined = ax.collections[1]
    assert outlined.get_hatch() == "///" and len(outlined.get_facecolor()) == 0  # no fill
    assert_legible(fig)


@pytest.mark.parametrize("sizes", [(), (100, 100), (1000, 100), (5, 100)])
def test_the_sizes_must_increase_from_ten(sizes) -> None:
    with pytest.raises(ValueError, match="sizes must be increasing"):
        estimate_panels(sizes)


def test_mmd_squared_between_gaussians_is_the_integral_of_the_kernel() -> None:
    # E k(X, X') for X - X' ~ N(delta, 2 s^2), by quadrature, against the closed form.
    h, s, delta = 0.7, 1.3, 0.9

    def mean_kernel(gap: float) -> float:
        d = stats.norm(gap, math.sqrt(2) * s)
        return integrate.quad(lambda r: math.exp(-(r**2) / (2 * h**2)) * d.pdf(r), -40, 40)[0]

    expected = 2 * mean_kernel(0.0) - 2 * mean_kernel(delta)
    assert estimate_figures._mmd_squared_gaussians(delta, s, h) == pytest.approx(expected, 1e-10)
    assert estimate_figures._mmd_squared_gaussians(0.0, s, h) == 0.0


@pytest.mark.slow  # a few seconds: the estimators' first calls compile their XLA programs
def test_one_size_of_each_estimate_against_its_certified_truth() -> None:
    # The figure's computation at one small size (the published sizes are the test below).
    panels = estimate_panels((100,), seed=0)
    assert [len(c.estimates) for p in panels for c in p.curves] == [1] * 5
    for p in panels:
        assert p.truth_width < 1e-9
        for c in p.curves:
            (e,) = c.estimates
            assert (e.n, e.m, e.level) == (100, 100, 0.95)
            assert 0.0 <= e.lower_bound <= e.value <= e.upper_bound
    assert panels[0].truth == 0.5  # KL between N(0, 1) and N(1, 1): a closed form
    assert panels[1].truth == pytest.approx(0.1114214821847, abs=1e-12)  # JS, certified
    assert panels[2].truth == pytest.approx(0.15, abs=1e-12)  # W1: the gap of the means
    assert panels[3].truth == pytest.approx(2 / math.sqrt(3) * -math.expm1(-1 / 6), rel=1e-15)
    w1, dkw = panels[2].curves
    assert w1.estimates[0].kind == dkw.estimates[0].kind == "finite-sample"
    assert w1.estimates[0].value == pytest.approx(dkw.estimates[0].value, rel=1e-12)  # one plug-in


def test_the_figure_is_one_of_the_lab_figures() -> None:
    assert FIGURES["estimates_from_samples"] is figure_estimates


@pytest.mark.slow
def test_the_published_figure_covers_the_truth_at_most_sizes() -> None:
    panels = estimate_panels()
    assert_legible(figure_estimates(panels))  # divergences verify's
    assert_legible(figure_estimates(panels, columns=2))  # the docs'
    for p in panels:
        for c in p.curves:
            covered = [e.lower_bound <= p.truth <= e.upper_bound for e in c.estimates]
            # 95% intervals on one stream of data: most sizes cover (seeded, not a coverage test)
            assert sum(covered) >= len(covered) - 2, (p.title, c.name, covered)
