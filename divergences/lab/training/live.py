r"""A live view of training in a notebook, redrawn after each chunk of training steps.

It shows the samples over the critic's heat map and the readout figure, and stops cleanly on
interrupt.

:func:`train_live` trains a configuration with :func:`~divergences.lab.training.trainer.train`,
and after each readout redraws, in place (IPython display handles), a status line,
:func:`~divergences.lab.training.figures.gif_frame` (the latest samples over the critic's heat
map beside the exact :math:`W_1` so far) and
:func:`~divergences.lab.training.figures.figure_readouts`. Interrupting the kernel (the stop
button, or ``KeyboardInterrupt`` from anywhere in training) ends training at the next readout
and returns the run so far, drawn; the kernel stays usable.

Three modes (``live``):

* live: in a Jupyter kernel, unless the environment variable ``DIVERGENCES_LIVE_VIEW`` is ``0``
  (the documentation build sets it, as it executes notebooks without anyone watching): the
  figures are redrawn while training runs, at most as often as keeps drawing under about half
  of the time (a redraw is skipped while the last one took longer than the training since);
* static: one final drawing of the same figures after training, no redraw, no cost during
  training;
* none: outside IPython (a script, the tests) nothing is displayed; the run is returned.

Example (in a notebook)::

    from divergences.lab.training import TrainingConfig
    from divergences.lab.training.live import train_live
    run = train_live(TrainingConfig(data="ring8", game="nsgan", steps=3000))
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from divergences.lab.training import figures
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.run import TrainingRun
from divergences.lab.training.trainer import train
from divergences.lab.training.verdict import verdict

__all__ = ["LiveView", "display_mode", "train_live"]

#: The environment variable that turns the live redraws off (``0``): figures are drawn once, at
#: the end. The documentation build sets it for the notebooks it executes.
ENV_VAR = "DIVERGENCES_LIVE_VIEW"


def display_mode() -> str:
    """The kind of view this session can show: ``"live"``, ``"static"`` or ``"none"``.

    ``"live"`` in a Jupyter kernel (``"static"`` there when ``DIVERGENCES_LIVE_VIEW=0``),
    ``"none"`` outside IPython or in a terminal IPython without rich display.
    """
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return "none"
    return "static" if os.environ.get(ENV_VAR, "1") == "0" else "live"


def _status(run: TrainingRun, *, interrupted: bool = False, done: bool = False) -> str:
    r, c = run.readouts, run.config
    step = int(r.step[-1])
    text = (
        f"{c.game} on {c.dataset.name}, seed {c.seed}: step {step} of {c.n_steps}, "
        f"exact W1 {r.w1[-1]:.3f} (noise floor {r.w1_floor[-1]:.3f})"
    )
    if c.dataset.modes is not None:
        text += f", modes {int(r.modes_covered[-1])} of {len(c.dataset.modes)}"
    if interrupted:
        return text + f"; interrupted: the run up to step {step} is returned"
    if done:
        return (
            text + f"; training {run.train_seconds:.1f} s, readouts {run.readout_seconds:.1f} s"
            f"\n{verdict(run).text()}"
        )
    return text + "; interrupt the kernel to stop and keep the run so far"


class LiveView:
    """Display handles for a status line, the samples panel and the readout figure.

    :meth:`update` redraws them in place.

    Args:
      dpi: the resolution of the drawn PNGs.
      readouts_figsize: the size of the readout figure.
    """

    def __init__(self, *, dpi: int = 72, readouts_figsize: tuple[float, float] = (14, 8.5)):
        self.dpi = dpi
        self.readouts_figsize = readouts_figsize
        self._handles: list[Any] | None = None

    def update(self, run: TrainingRun, status: str) -> None:
        """Draws ``run`` (creating the display handles on the first call)."""
        from IPython.display import Image, Pretty, display

        k = len(run.snapshots) - 1
        frame = figures.gif_frame(run, k)
        readouts = figures.figure_readouts(run, figsize=self.readouts_figsize)
        for fig in (frame, readouts):  # the step axes span the whole run: the curves grow
            for ax in fig.axes:
                if ax.get_xlabel() == "generator step":
                    ax.set_xlim(0, run.config.n_steps)
        objects = [
            Pretty(status),
            Image(data=figures.png_bytes(frame, dpi=self.dpi)),
            Image(data=figures.png_bytes(readouts, dpi=self.dpi)),
        ]
        if self._handles is None:
            self._handles = [display(o, display_id=True) for o in objects]
        else:
            for h, o in zip(self._handles, objects, strict=True):
                h.update(o)


def train_live(
    config: TrainingConfig,
    *,
    live: bool | None = None,
    dpi: int = 72,
    readouts_figsize: tuple[float, float] = (14, 8.5),
) -> TrainingRun:
    """Trains ``config`` and draws it while it trains; an interrupt returns the run so far.

    Args:
      config: the run's :class:`~divergences.lab.training.config.TrainingConfig`.
      live: redraw after each readout (``True``), draw once at the end (``False``), or decide
        from the environment (``None``: :func:`display_mode`). Outside IPython nothing is drawn.
      dpi: the resolution of the drawn figures.
      readouts_figsize: the size of the readout figure.

    Returns:
      The :class:`~divergences.lab.training.run.TrainingRun`: the whole run, or, after a
      ``KeyboardInterrupt`` during training, the run up to its last readout (its
      ``readouts.step[-1]`` is below ``config.steps``). An interrupt before the first readout
      (while the noise floor is computed) is raised: there is no run yet.
    """
    mode = display_mode()
    if mode != "none" and live is not None:
        mode = "live" if live else "static"
    view = LiveView(dpi=dpi, readouts_figsize=readouts_figsize) if mode != "none" else None
    latest: list[TrainingRun] = []
    timing = {"last": 0.0, "cost": 0.0}

    def on_readout(run: TrainingRun) -> None:
        latest[:] = [run]
        now = time.perf_counter()
        if mode != "live" or view is None or now - timing["last"] < timing["cost"]:
            return
        view.update(run, _status(run))
        timing["last"] = time.perf_counter()
        timing["cost"] = timing["last"] - now

    interrupted = False
    try:
        run = train(config, progress=False, on_readout=on_readout)
    except KeyboardInterrupt:
        if not latest:  # no run to return; a short message instead of the compiler's frames
            raise KeyboardInterrupt(
                "interrupted before the first readout (compiling or computing the noise floor): "
                "there is no run yet"
            ) from None
        run, interrupted = latest[0], True
    status = _status(run, interrupted=interrupted, done=not interrupted)
    if view is not None:
        view.update(run, status)
    elif interrupted:
        print(status, file=sys.stderr)
    return run
