r"""The figure of estimates from samples: each estimate and its interval against n, closing on the truth.

:func:`estimate_panels` draws ``n`` points of each of two laws of :mod:`divergences.continuous`
(the first ``n`` of one long sample, so that the curve follows one stream of data as it grows)
and computes, at each ``n``, the estimates of :mod:`divergences.estimate` with their intervals;
the true value beside them is certified by :mod:`divergences.continuous.certified` (an
enclosure far narrower than the line that draws it). :func:`figure_estimates` draws one panel a
quantity: the estimate, its interval as a band (the band's label says its level and kind), and
the certified value as a dashed line. KL and JS are between :math:`N(0, 1)` and
:math:`N(1, 1)` (k-nearest neighbours); W1 between :math:`U(0, 1)` and :math:`U(0.3, 1)`, whose
support has diameter 1 (the finite-sample intervals of the exact empirical W1 and of the
empirical distribution functions' band); MMD² between the two Gaussians with the Gaussian kernel
of bandwidth 1, whose true value is a closed form.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np
from matplotlib.figure import Figure

from divergences import continuous as dvc
from divergences import estimate as dve
from divergences.lab.style import COLORS, OKABE_ITO, new_figure, style_axes, styled

__all__ = ["SIZES", "EstimateCurve", "EstimatePanel", "estimate_panels", "figure_estimates"]

#: The sample sizes of the published figure (``n = m``), on a log scale from 100 to 10^4.
SIZES: tuple[int, ...] = (100, 300, 1000, 3000, 10000)


class EstimateCurve(NamedTuple):
    """One estimator's results against the sample size.

    Attributes:
      name: the estimator, as the legend says it.
      estimates: one :class:`~divergences.estimate.Estimate` per size of the panel.
      color: its colour.
      interval: how the interval is built, said after its level and kind in the legend ("" for
        nothing more).
      draws_value: whether its value is drawn (False for a second interval around the same
        plug-in value, drawn as an outlined band).
    """

    name: str
    estimates: tuple[dve.Estimate, ...]
    color: str
    interval: str = ""
    draws_value: bool = True


class EstimatePanel(NamedTuple):
    """One quantity between two laws: its estimates against n, and its certified value.

    Attributes:
      title: the quantity and the two laws, as the panel's title says them.
      ylabel: the quantity and its unit.
      sizes: the sample sizes ``n`` (``m = n``).
      truth: the true value: the midpoint of a certified enclosure, or a closed form.
      truth_width: the enclosure's width (0 for a closed form).
      curves: the estimators drawn.
      ceiling: the top of the quantity's range where it has one (``log 2`` for JS), else None.
      truth_label: where the true value comes from, as the legend says it.
    """

    title: str
    ylabel: str
    sizes: tuple[int, ...]
    truth: float
    truth_width: float
    curves: tuple[EstimateCurve, ...]
    ceiling: float | None = None
    truth_label: str = "certified value"


def _draws(law: dvc.Law, key: jax.Array, n: int) -> np.ndarray:
    """``n`` draws of ``law`` as a float64 array of shape ``(n,)``."""
    return np.asarray(law.sample(key, (n,)), dtype=np.float64)


def _curve(
    name: str,
    color: str,
    x: np.ndarray,
    y: np.ndarray,
    sizes: Sequence[int],
    estimator: Callable[[np.ndarray, np.ndarray], dve.Estimate],
    **options: Any,
) -> EstimateCurve:
    with warnings.catch_warnings():  # the band says it: the range itself where nothing is claimed
        warnings.simplefilter("ignore", dve.NoCoverageWarning)
        estimates = tuple(estimator(x[:n], y[:n]) for n in sizes)
    return EstimateCurve(name, estimates, color, **options)


def _mmd_squared_gaussians(mean_gap: float, std: float, bandwidth: float) -> float:
    r"""MMD² between :math:`N(a, s^2)` and :math:`N(a + \delta, s^2)`, kernel :math:`e^{-r^2/2h^2}`.

    :math:`E\,k(X, X') = h / \sqrt{h^2 + 2 s^2}\, \exp(-\delta^2 / (2 (h^2 + 2 s^2)))` for
    :math:`X - X' \sim N(\delta, 2 s^2)`; MMD² is the within-law terms minus twice the cross term.
    """
    v = bandwidth**2 + 2 * std**2
    return 2 * bandwidth / math.sqrt(v) * -math.expm1(-(mean_gap**2) / (2 * v))


def _interval(e: Any) -> tuple[float, float]:
    return float(e.lower_bound), float(e.upper_bound)


def estimate_panels(
    sizes: Sequence[int] = SIZES, *, level: float = 0.95, seed: int = 0
) -> list[EstimatePanel]:
    """The panels :func:`figure_estimates` draws: KL, JS, W1 and MMD² against the sample size.

    Args:
      sizes: the sample sizes ``n = m``, increasing; each panel uses the first ``n`` points of
        one sample of ``max(sizes)`` points of each law.
      level: the intervals' nominal coverage.
      seed: the seed of the draws (and of the estimators that draw subsamples).
    """
    sizes = tuple(int(n) for n in sizes)
    if not sizes or any(b <= a for a, b in itertools.pairwise(sizes)) or sizes[0] < 10:
        raise ValueError(f"sizes must be increasing sample sizes of at least 10, got {sizes}")
    big = sizes[-1]
    keys = jax.random.split(jax.random.key(seed), 4)
    p, q = dvc.Normal(0.0, 1.0), dvc.Normal(1.0, 1.0)
    xg, yg = _draws(p, keys[0], big), _draws(q, keys[1], big)
    u, v = dvc.Uniform(0.0, 1.0), dvc.Uniform(0.3, 1.0)
    xu, yu = _draws(u, keys[2], big), _draws(v, keys[3], big)
    kl_true = _interval(dvc.certified.kl(p, q))
    js_true = _interval(dvc.certified.js_divergence(p, q))
    w1_true = _interval(dvc.certified.w1(u, v))
    normals = r"$P = N(0, 1)$, $Q = N(1, 1)$"

    def panel(
        title: str,
        ylabel: str,
        bounds: tuple[float, float],
        *curves: EstimateCurve,
        ceiling: float | None = None,
        truth_label: str = "certified value",
    ) -> EstimatePanel:
        mid, width = 0.5 * (bounds[0] + bounds[1]), bounds[1] - bounds[0]
        return EstimatePanel(title, ylabel, sizes, mid, width, curves, ceiling, truth_label)

    mmd = _mmd_squared_gaussians(1.0, 1.0, 1.0)
    return [
        panel(
            r"$\mathrm{KL}(P\,\|\,Q)$, " + normals,
            "KL [nats]",
            kl_true,
            _curve(
                "k-NN estimate",
                COLORS["kl"],
                xg,
                yg,
                sizes,
                lambda x, y: dve.kl(x, y, seed=seed, level=level),
            ),
        ),
        panel(
            r"$\mathrm{JS}(P\,\|\,Q)$, " + normals,
            "JS [nats]",
            js_true,
            _curve(
                "k-NN estimate",
                COLORS["js"],
                xg,
                yg,
                sizes,
                lambda x, y: dve.js(x, y, seed=seed, level=level),
            ),
            ceiling=math.log(2),
        ),
        panel(
            r"$W_1(P, Q)$, $P = U(0, 1)$, $Q = U(0.3, 1)$",
            r"$W_1$ [units of $x$]",
            w1_true,
            _curve(
                r"plug-in $W_1(P_n, Q_m)$",
                COLORS["w1"],
                xu,
                yu,
                sizes,
                lambda x, y: dve.w1(x, y, diameter=1.0, seed=seed, level=level),
                interval="McDiarmid",
            ),
            _curve(
                "",
                OKABE_ITO["orange"],
                xu,
                yu,
                sizes,
                lambda x, y: dve.w1_dkw(x, y, diameter=1.0, level=level),
                interval="DKW bands",
                draws_value=False,
            ),
        ),
        panel(
            r"$\mathrm{MMD}^2(P, Q)$, " + normals,
            r"MMD$^2$ (Gaussian kernel, $h = 1$)",
            (mmd, mmd),
            _curve(
                "unbiased estimate",
                COLORS["tv"],
                xg,
                yg,
                sizes,
                lambda x, y: dve.mmd_squared(x, y, bandwidth=1.0, level=level),
            ),
            truth_label="closed form",
        ),
    ]


def _band_label(estimates: tuple[dve.Estimate, ...]) -> str:
    """The band's level, kind (at the largest size), claimed end, and sizes that claim nothing."""
    e = estimates[-1]
    side = f", {e.sides} bound" if e.sides in ("lower", "upper") else ""
    bare = [x.n for x in estimates if not x.claims_coverage]
    none = (
        f"; no claim at n = {', '.join(map(str, bare))}"
        if bare and bare != [x.n for x in estimates]
        else ""
    )
    return f"{e.level:.0%} interval, {e.kind}{side}{none}"


def _top(panel: EstimatePanel) -> float:
    """The top of the panel's y axis: the curves and the truth, and the bands after the first size."""
    values = [e.value for c in panel.curves for e in c.estimates]
    uppers = [
        e.upper_bound for c in panel.curves for e in c.estimates[1:] if math.isfinite(e.upper_bound)
    ]
    top = max([panel.truth * 1.6, *values, *uppers]) * 1.08
    if panel.ceiling is not None:
        top = min(top, panel.ceiling * 1.12)
    return top


def _draw_panel(ax: Any, panel: EstimatePanel) -> None:
    n = np.asarray(panel.sizes, dtype=float)
    top = _top(panel)
    for c in panel.curves:
        lo = np.array([e.lower_bound for e in c.estimates])
        hi = np.minimum(
            [e.upper_bound for e in c.estimates], top * 2
        )  # inf: the band leaves the top
        val = np.array([e.value for e in c.estimates])
        label = _band_label(c.estimates) + (f" ({c.interval})" if c.interval else "")
        if c.draws_value:
            ax.fill_between(n, lo, hi, color=c.color, alpha=0.22, lw=0, label=label)
            edge: dict[str, Any] = {"lw": 0.8, "alpha": 0.8}
        else:  # a second interval around the same value: outlined, the first shows through
            ax.fill_between(
                n,
                lo,
                hi,
                facecolor="none",
                edgecolor=c.color,
                hatch="///",
                lw=0,
                alpha=0.6,
                label=label,
            )
            edge = {"lw": 1.6, "ls": (0, (4, 2))}
        ax.plot(n, lo, color=c.color, **edge)
        ax.plot(n, hi, color=c.color, **edge)
        if c.draws_value:
            ax.plot(n, val, "o-", color=c.color, lw=2.0, ms=5, label=c.name)
    ax.axhline(
        panel.truth,
        color="black",
        lw=1.4,
        ls=(0, (5, 3)),
        label=f"{panel.truth_label} {panel.truth:.4g}",
    )
    if panel.ceiling is not None and panel.ceiling < top:
        ax.axhline(panel.ceiling, color=COLORS["grey"], lw=1.0, ls=":")
        ax.text(
            n[0],
            panel.ceiling,
            r" $\log 2$",
            va="bottom",
            ha="left",
            fontsize=10.5,
            color=COLORS["grey"],
        )
    ax.set_xscale("log")
    ax.set_xlim(n[0] / 1.15, n[-1] * 1.15)
    ax.set_ylim(0.0, top)
    ax.set_title(panel.title, fontsize=12)
    ax.set_xlabel("draws of each law, $n = m$")
    ax.set_ylabel(panel.ylabel)
    style_axes(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize=10.5)


@styled
def figure_estimates(
    panels: Sequence[EstimatePanel] | None = None, *, columns: int | None = None
) -> Figure:
    r"""Estimates from samples against the sample size, each with its interval, and the truth.

    One panel a quantity (by default those of :func:`estimate_panels`: KL and JS by k-nearest
    neighbours, W1 by the exact empirical transport and by the distribution functions' band,
    MMD² by its unbiased statistic): the estimate against ``n`` on a log axis, its interval as a
    band labelled with its level and kind (a one-sided interval's open end leaves the top), and
    the certified value as a black dashed line.

    Args:
      panels: the output of :func:`estimate_panels` (computed when None).
      columns: panels a row (all in one row by default).
    """
    drawn = list(estimate_panels() if panels is None else panels)
    cols = len(drawn) if columns is None else columns
    rows = -(-len(drawn) // cols)
    fig, axes = new_figure((4.6 * cols, 4.9 * rows), rows, cols, squeeze=False)
    for ax, panel in zip(axes.flat, drawn, strict=False):
        _draw_panel(ax, panel)
    for ax in list(axes.flat)[len(drawn) :]:
        ax.set_visible(False)
    fig.suptitle("Estimates from n draws of each law close on the certified value", fontsize=14)
    return fig
