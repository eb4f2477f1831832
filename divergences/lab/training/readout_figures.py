r"""The readouts of runs against step: one run's six panels, and every game side by side.

:func:`figure_readouts` draws one run's readouts with their noise floors;
:func:`figure_comparison` draws every game on the same data, each against the fraction of its own
run, with each game's last samples and verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from divergences.lab.style import COLORS, game_style
from divergences.lab.training.figure_parts import (
    floor_band,
    legend_below,
    log_above_floor,
    plot_positive,
    run_title,
    title_pad,
)
from divergences.lab.training.run import TrainingRun
from divergences.lab.training.snapshot_figures import draw_snapshot, heat_limits
from divergences.lab.training.verdict import FLOOR_SDS, W1_FACTOR, criterion, verdict

__all__ = ["figure_comparison", "figure_readouts"]


def figure_readouts(
    run: TrainingRun, *, figsize: tuple[float, float] = (14, 8.5), columns: int = 3
) -> Figure:
    """Six panels against generator step.

    Exact W1 with its noise floor (and the WGAN critic's estimate), JS on the grid with its floor
    (and the GAN discriminator's estimate), KL on the grid with its floor, mode coverage, the
    losses, and the generator's gradient norm. The floors are bands, mean +- 2 standard deviations
    over the run's independent draws. JS and KL are on log axes of their positive values: a readout
    at or below 0 (the discriminator's estimate, a lower bound) is marked on the bottom edge and
    counted in its legend entry. Legends sit under their panels. In ``columns`` columns (3: two rows
    for a slide, 2: three rows for a page's column).
    """
    r, c = run.readouts, run.config
    game = c.game_spec
    draws = c.floor_draws
    fig = Figure(figsize=figsize, layout="constrained")
    panels = fig.subplots(math.ceil(6 / columns), columns).ravel()
    axs = np.array(panels[:6]).reshape(2, 3)  # in reading order, whatever the grid
    for extra in panels[6:]:
        extra.set_visible(False)
    s = r.step
    pad = title_pad()  # clear of the top tick label of a log axis
    ax = axs[0, 0]
    floor_band(ax, s, r.w1_floor, r.w1_floor_sd, f"$W_1$(data, data), {draws} draws")
    ax.plot(s, r.w1, "k-", lw=2, label=f"exact $W_1$ ({c.eval_size} vs {c.eval_size} points)")
    bottom = 0.0
    if game.wasserstein:
        ax.plot(
            s,
            r.critic_estimate,
            color=COLORS[c.game],
            label=f"the critic's own estimate of {game.estimate_name.removesuffix(' (critic)')}",
        )
        bottom = min(0.0, float(np.nanmin(r.critic_estimate)))
        if bottom < 0:
            ax.axhline(0, color="k", lw=0.6)
    ax.set_title("Wasserstein-1 (exact LP)", pad=pad)
    top = float(np.nanmax(np.r_[r.w1, r.w1_floor + FLOOR_SDS * r.w1_floor_sd, bottom]))
    if game.wasserstein:
        top = max(top, float(np.nanmax(r.critic_estimate)))
    ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.05 * (top - bottom))
    ax = axs[0, 1]
    floor_band(ax, s, r.js_floor, r.js_floor_sd, "JS(data, data)")
    js_label = f"JS on a {c.grid_bins}x{c.grid_bins} grid, {c.hist_size} points each"
    plot_positive(ax, s, r.js_grid, js_label, c="k", lw=2)
    if not game.wasserstein:
        plot_positive(
            ax,
            s,
            r.critic_estimate,
            "the discriminator's own estimate of JS",
            color=COLORS[c.game],
        )
    ax.axhline(math.log(2), color="0.6", ls=":", label="log 2, the largest JS")
    ax.set_title("Jensen-Shannon on the grid (nats, log axis)", pad=pad)
    log_above_floor(ax, r.js_floor, 1.0)  # JS <= log 2
    ax = axs[0, 2]
    floor_band(ax, s, r.kl_floor, r.kl_floor_sd, "KL(data || data)")
    plot_positive(
        ax, s, r.kl_grid, f"KL(data || generator), pseudo-count {c.kl_pseudo_count:g}", c="k", lw=2
    )
    ax.set_title("KL on the grid (nats, log axis)", pad=pad)
    log_above_floor(ax, r.kl_floor, 0.0)
    ax = axs[1, 0]
    if c.dataset.modes is not None:
        k = len(c.dataset.modes)
        ax.plot(
            s, r.modes_covered, "k-", lw=2, drawstyle="steps-post", label=f"modes covered (of {k})"
        )
        ax.set_ylim(-0.3, k + 0.3)
        ax2 = ax.twinx()
        ax2.plot(s, r.high_quality, color="tab:cyan")
        # The legend is drawn from the left axes' handles: the right axes' curve gets a proxy.
        ax.plot([], [], color="tab:cyan", label="share of high quality (within 3 sd), right axis")
        ax2.set_ylim(0, 1.02)
        ax2.set_ylabel("share: high quality, precision, recall")
        ax.set_title("Modes, precision and recall", pad=pad)
    else:
        ax2 = ax
        ax.set_ylim(0, 1.02)
        ax.set_title("Precision and recall (no modes for this data set)", pad=pad)
    # Fidelity and diversity on any data: a collapsed generator keeps precision, loses recall.
    for curve, name, style in ((r.precision, "precision", "-"), (r.recall, "recall", "--")):
        ax2.plot(s, curve, color="tab:purple", ls=style)
        if ax2 is not ax:
            ax.plot([], [], color="tab:purple", ls=style, label=f"{name}, right axis")
        else:
            ax.lines[-1].set_label(name)
    ax = axs[1, 1]
    ax.plot(s, r.loss_d, color="tab:gray", label="critic loss $L_D$")
    ax.plot(s, r.loss_g, color=COLORS[c.game], label="generator loss $L_G$")
    ax.set_title("Losses on the readout samples", pad=pad)
    ax = axs[1, 2]
    ax.semilogy(s, np.maximum(r.grad_norm_g, 1e-30), color=COLORS[c.game])
    ax.set_title(r"generator gradient norm $\|\nabla L_G\|$", pad=pad)
    for ax in axs.ravel():
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
        legend_below(ax)
    fig.suptitle(run_title(run))
    return fig


def _fraction(run: TrainingRun) -> np.ndarray:
    """The readouts' steps as a fraction of the run's step count."""
    return run.readouts.step / run.config.n_steps


def _verdict_title(name: str, run: TrainingRun) -> str:
    v = verdict(run)
    modes = "" if v.modes is None else f"{v.modes} of {v.modes_total} modes, "
    state = "converged" if v.converged else "not converged"
    if v.checks:  # images: the verdict reads FD, IS, recall and copying, not W1
        return f"{name}, step {v.step}:\n{state}"
    return f"{name}, step {v.step}:\n{modes}$W_1$ {v.w1_ratio:.2g}x floor\n{state}"


def figure_comparison(
    runs: Mapping[str, TrainingRun], *, figsize: tuple[float, float] | None = None
) -> Figure:
    r"""Every game on the same data and seed, each against the fraction of its own run.

    The games have different step counts. Okabe & Ito's colour-blind-safe palette, with a marker
    per game.

    Top row: the exact :math:`W_1` as a multiple of its noise floor (log axis; the floor's band,
    mean :math:`\pm` 2 sd, and the criterion's 1.5), the modes covered (the games' lines offset
    by a few hundredths of a mode, so that games with equal counts stay apart), and the
    generator's gradient norm (the saturating GAN's vanishing gradient, weight clipping's starved
    critic). Middle row: each WGAN critic's own estimate (dashed) against the exact :math:`W_1`
    (solid), which shows how far a clipped critic is from the distance it should estimate; JS
    on the grid (solid) and each discriminator's own estimate of JS (dashed), on a log axis of
    their positive values. Bottom row: each game's last samples (yellow) over its critic, with
    the verdict (:func:`~divergences.lab.training.verdict.verdict`) in the title.
    """
    cols = max(3, len(runs))
    if figsize is None:
        figsize = (max(16.0, 2.9 * cols), 13.0)
    fig = Figure(figsize=figsize, layout="constrained")
    top, middle, bottom = np.asarray(fig.subfigures(3, 1, height_ratios=[1.15, 1.15, 1.0]))
    ax_w, ax_m, ax_g = top.subplots(1, 3)
    ax_e, ax_j, ax_legend = middle.subplots(1, 3)
    first = next(iter(runs.values()))
    c = first.config
    _floor_and_criterion(ax_w, first)
    _compared_curves(runs, ax_w, ax_m, ax_g, ax_e, ax_j)
    _comparison_titles(runs, ax_w, ax_m, ax_g, ax_e, ax_j)
    for ax in (ax_w, ax_m, ax_g, ax_e, ax_j):
        ax.set_xlabel("fraction of the game's own run")
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
    _games_legend(ax_legend, ax_w, runs)
    _last_samples(bottom, runs, cols)
    modes = c.dataset.modes
    fig.suptitle(
        f"Every game on {c.dataset.name}, seed {c.seed}, each with its default optimiser, critic "
        f"steps and step count;\nverdict: {criterion(None if modes is None else len(modes))}"
    )
    # The constrained layout of square panels in a subfigure settles in its second pass: one
    # pass here, so that a single draw (savefig) lays the bottom row's titles out clear.
    fig.draw_without_rendering()
    return fig


def _floor_and_criterion(ax_w: Any, first: TrainingRun) -> None:
    """The W1 panel's noise-floor band (in multiples of the floor) and the criterion's line."""
    c, fr = first.config, first.readouts
    spread = FLOOR_SDS * float(fr.w1_floor_sd[0]) / float(fr.w1_floor[0])
    if math.isfinite(spread):
        ax_w.fill_between(
            [0.0, 1.0],
            max(1 - spread, 1e-3),
            1 + spread,
            color="0.8",
            lw=0,
            label=f"noise floor, mean $\\pm$ {FLOOR_SDS:g} sd of {c.floor_draws} draws",
        )
    ax_w.axhline(1.0, color="0.5", ls="--", lw=1)
    ax_w.axhline(W1_FACTOR, color="k", ls=":", lw=1, label=f"criterion: {W1_FACTOR:g}x the floor")


def _compared_curves(
    runs: Mapping[str, TrainingRun], ax_w: Any, ax_m: Any, ax_g: Any, ax_e: Any, ax_j: Any
) -> None:
    """Each game's curves in its colour and marker, against the fraction of its own run."""
    n = len(runs)
    offsets = 0.06 * (np.arange(n) - (n - 1) / 2)  # games with equal mode counts stay apart
    for i, (name, run) in enumerate(runs.items()):
        r = run.readouts
        x = _fraction(run)
        style = {**game_style(name, i), "lw": 1.8, "ms": 5, "label": name}
        ax_w.semilogy(x, r.w1 / r.w1_floor, **style)
        if run.config.dataset.modes is not None:
            ax_m.plot(x, r.modes_covered + offsets[i], drawstyle="steps-post", **style)
        ax_g.semilogy(x, np.maximum(r.grad_norm_g, 1e-30), **style)
        sty = {k: v for k, v in style.items() if k != "label"}
        dashed = {**sty, "ls": "--", "mfc": "none"}
        if run.config.game_spec.wasserstein:
            ax_e.plot(x, r.w1, **sty)
            ax_e.plot(x, r.critic_estimate, **dashed)
        plot_positive(ax_j, x, r.js_grid, name, **sty)
        if not run.config.game_spec.wasserstein:
            plot_positive(ax_j, x, r.critic_estimate, "", **dashed)


def _centred_note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def _comparison_titles(
    runs: Mapping[str, TrainingRun], ax_w: Any, ax_m: Any, ax_g: Any, ax_e: Any, ax_j: Any
) -> None:
    """The panels' titles and axes: what each shows, and a note where a panel is empty."""
    first = next(iter(runs.values()))
    c, fr = first.config, first.readouts
    ax_w.set_title(f"exact $W_1$ / its noise floor ({c.eval_size} points a side)")
    ax_w.set_ylabel("multiples of the noise floor")
    if c.dataset.modes is not None:
        ax_m.set_ylim(-0.5, len(c.dataset.modes) + 0.5)
        ax_m.set_title(f"modes covered (of {len(c.dataset.modes)}; lines offset a little)")
    else:
        _centred_note(ax_m, "no modes for this data set")
        ax_m.set_title("modes covered")
    ax_g.set_title(r"generator gradient norm $\|\nabla_\theta L_G\|$")
    ax_e.set_title("WGAN critics: own estimate (dashed)\nagainst the exact $W_1$ (solid)")
    if not ax_e.get_lines():
        _centred_note(ax_e, "no WGAN in this comparison")
    ax_e.axhline(0, color="k", lw=0.6)
    ones = np.array([0.0, 1.0])
    floor_band(ax_j, ones, np.full(2, fr.js_floor[0]), np.full(2, fr.js_floor_sd[0]), None)
    ax_j.axhline(math.log(2), color="0.6", ls=":")
    below = any(  # plot_positive marks a readout at or below 0 on the bottom edge
        np.any(np.asarray(run.readouts.critic_estimate) <= 0)
        for run in runs.values()
        if not run.config.game_spec.wasserstein
    )
    ax_j.set_title(
        "JS on the grid (solid) and the discriminators'\nown estimates (dashed), nats"
        + ("; \u25bc: \u2264 0" if below else "")
    )
    log_above_floor(ax_j, fr.js_floor, 1.0)


def _games_legend(ax_legend: Any, ax_w: Any, runs: Mapping[str, TrainingRun]) -> None:
    """One legend for every panel, in its own place: the games' colours and markers are shared."""
    ax_legend.axis("off")
    handles, labels = ax_w.get_legend_handles_labels()
    counts = ", ".join(f"{name} {run.config.n_steps}" for name, run in runs.items())
    ax_legend.legend(
        handles,
        labels,
        loc="center",
        fontsize="medium",
        frameon=False,
        title="steps: " + counts if len(counts) < 60 else None,
    )
    if len(counts) >= 60:
        ax_legend.set_title("steps: " + counts, fontsize="small", wrap=True)


def _last_samples(bottom: Any, runs: Mapping[str, TrainingRun], cols: int) -> None:
    """Each game's last samples over its own critic, framed in its colour, its verdict above."""
    axs = np.atleast_1d(bottom.subplots(1, cols)).ravel()
    for i, (ax, (name, run)) in enumerate(zip(axs, runs.items(), strict=False)):
        snap = run.snapshots[-1]
        if run.config.game_spec.wasserstein and snap.heat is not None:
            # A WGAN critic is defined up to a constant: drawn about its mean over the box.
            snap = snap._replace(heat=snap.heat - float(np.mean(snap.heat)))
        draw_snapshot(ax, run, snap, vlim=heat_limits(run, [snap]), max_points=512)
        colour = game_style(name, i)["color"]
        ax.set_title(_verdict_title(name, run), fontsize="medium", color=colour)
        for side in ax.spines.values():
            side.set_edgecolor(colour)
            side.set_linewidth(3)
    for ax in axs[len(runs) :]:
        ax.set_visible(False)
    bottom.suptitle(
        "last samples (yellow) over each game's own critic: the discriminator's D "
        "(green: real, pink: fake)\nor the WGAN critic's f about its mean (blue: high, red: low)",
        fontsize="medium",
    )
