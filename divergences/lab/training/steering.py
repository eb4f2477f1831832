r"""Steering a run by hand, as GAN Lab does.

One critic step or one generator step at a time, chunks of training, and the step size or the
game's constant changed between them, with the exact :math:`W_1` read out after each action.

:class:`Steering` holds a run's weights and optimiser states between calls; each call runs the
compiled functions of :func:`~divergences.lab.training.train` (a generator step is
``critic_steps`` critic updates then one generator update, as there). Changing the step size or
the constant (:meth:`Steering.set`) keeps the weights and the optimisers' moments and compiles
nothing: both are arguments of the compiled functions, not constants in them.
:func:`controls` puts buttons and sliders on it in a notebook (ipywidgets); without a browser
the same controls are driven from code (``button.click()``, ``slider.value = x``).

The randomness is drawn as in :func:`~divergences.lab.training.train`, from the seed with the
number of the draw folded in, so a sequence of actions is reproducible on one machine; it is not
the same sequence of draws as a :func:`~divergences.lab.training.train` of the same steps.

References:
  Kahng, Thorat, Chau, Viégas & Wattenberg, *GAN Lab: Understanding Complex Deep Generative
  Models using Interactive Visual Experimentation*, IEEE VIS 2018.

Example:
  >>> from divergences.lab.training import TrainingConfig
  >>> from divergences.lab.training.steering import Steering
  >>> small = TrainingConfig(data="ring8", game="wgan-gp", critic_hidden=(8,),
  ...                        generator_hidden=(8,), eval_size=64, hist_size=256,
  ...                        heat_resolution=8)
  >>> s = Steering(small)
  >>> s.critic_step(); s.generator_step(); s.train(3)
  >>> run = s.read()
  >>> s.step, s.critic_updates, run.readouts.step.tolist()
  (4, 16, [0.0, 4.0])
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences.extending import integer_option
from divergences.lab.training import figures
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.games import ALL_GAMES
from divergences.lab.training.recorder import Recorder
from divergences.lab.training.run import TrainingRun

__all__ = ["Steering", "controls"]


class Steering:
    """A run trained action by action; see the module's docstring.

    Args:
      config: the starting configuration (its ``steps`` is not used: the actions say how many).
    """

    def __init__(self, config: TrainingConfig) -> None:
        """Builds the networks and optimisers of ``config`` and reads out step 0."""
        if not isinstance(config, TrainingConfig):
            raise ValueError(f"config must be a TrainingConfig, got {type(config).__name__}")
        self._rec = Recorder(config, None, None)
        self._draws = 0  # draws of randomness so far, folded into the training key
        #: ``(generator step, {option: value})`` for each call of :meth:`set`, in order.
        self.changes: list[tuple[int, dict[str, Any]]] = []
        self.critic_updates = 0
        self.read()

    @property
    def config(self) -> TrainingConfig:
        """The configuration in force (the starting one with :meth:`set`'s changes)."""
        return self._rec.config

    @property
    def step(self) -> int:
        """The generator updates so far."""
        return self._rec.step

    def _key(self) -> jax.Array:
        self._draws += 1
        return jax.random.fold_in(self._rec.s.keys[0], self._draws - 1)

    def critic_step(self, count: int = 1) -> None:
        """``count`` critic updates, each on a fresh batch (the generator stays)."""
        integer_option(count, "count")
        rec = self._rec
        for _ in range(count):
            rec.advance(rec.compiled.critic_only, rec.knobs, self._key())
            self.critic_updates += 1

    def generator_step(self, count: int = 1) -> None:
        """``count`` generator updates against the critic as it is (no critic update between)."""
        integer_option(count, "count")
        rec = self._rec
        for _ in range(count):
            rec.advance(rec.compiled.generator_only, rec.knobs, self._key())
            rec.step += 1

    def train(self, steps: int) -> None:
        """Trains ``steps`` generator steps.

        Each follows ``config.n_critic`` critic updates, as in
        :func:`~divergences.lab.training.train`.
        """
        integer_option(steps, "steps")
        rec = self._rec
        start = self._draws
        self._draws += steps
        key = jax.random.fold_in(rec.s.keys[0], -1 & 0x7FFFFFFF)  # apart from _key's
        rec.advance(rec.compiled.chunk, rec.knobs, jnp.asarray(start), key, steps)
        rec.step += steps
        self.critic_updates += steps * rec.config.n_critic

    def set(self, **changes: Any) -> None:
        """Changes ``learning_rate`` or the constant (``clip``, ``gp_weight``, ``r1_weight``).

        The change holds from the next action on, with the same compiled functions; the weights
        and the optimisers' states carry over. A constant the game does not have, or another
        option, is a ValueError.
        """
        allowed = {"learning_rate", *self.config.game_spec.constants}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(
                f"set: {self.config.game} can change {sorted(allowed)}, not {sorted(unknown)}"
            )
        self._rec.reconfigure(dataclasses.replace(self.config, **changes))  # checked there
        self.changes.append((self.step, dict(changes)))

    def read(self) -> TrainingRun:
        """Reads out now and returns the run so far.

        The readout (the exact W1 and the others of :func:`~divergences.lab.training.train`,
        through the same :class:`~divergences.lab.training.recorder.Recorder`) is appended to
        the run.
        """
        self._rec.read(self._rec.step)
        return self.run

    @property
    def run(self) -> TrainingRun:
        """The run so far, as :func:`~divergences.lab.training.train` returns one."""
        return self._rec.so_far()


def _status(steering: Steering) -> str:
    run, c = steering.run, steering.config
    r = run.readouts
    text = (
        f"{c.game} on {c.dataset.name}: generator step {steering.step}, "
        f"{steering.critic_updates} critic updates; learning rate {c.optimiser.learning_rate:g}"
    )
    for name, value in c.game_spec.constants.items():
        text += f", {name} {value:g}"
    text += f"\nexact W1 {r.w1[-1]:.3f} = {r.w1[-1] / r.w1_floor[-1]:.2f}x its noise floor"
    if c.dataset.modes is not None:
        text += f", modes {int(r.modes_covered[-1])} of {len(c.dataset.modes)}"
    return text


def controls(steering: Steering, *, chunk: int = 100, dpi: int = 60) -> Any:
    """Buttons and sliders that steer ``steering`` in a notebook.

    The samples (with GAN Lab's arrows) over the critic and the exact W1 are redrawn after each
    action. Returns an ``ipywidgets.VBox`` whose ``.children`` are, in order: a row of buttons
    (``critic step``, ``generator step``, ``train {chunk}``, and a ``play`` toggle that trains
    chunk after chunk until pressed again), a row of sliders (the learning rate and, where the
    game has one, its constant), the status line and the picture.

    Raises:
      ImportError: where ``ipywidgets`` is not installed, saying how to install it.
    """
    try:
        import ipywidgets as w
    except ImportError as err:
        raise ImportError(
            "controls needs ipywidgets: pip install ipywidgets (or divergences[docs])"
        ) from err

    return _Controls(w, steering, chunk=chunk, dpi=dpi).box


def _constant_slider(w: Any, game: str, name: str, value: float) -> Any:
    """A slider for the game's constant ``name``: logarithmic about ``value``.

    A penalty switched off (0) has no logarithm: a linear slider then, up to 10x the paper's.
    """
    if value > 0:
        lo = np.floor(np.log10(value)) - 2
        return w.FloatLogSlider(value=value, base=10, min=lo, max=lo + 4, description=name)
    top = 10 * ALL_GAMES[game].constants[name]
    return w.FloatSlider(value=0.0, min=0.0, max=top, description=name)


class _Controls:
    """The widgets of :func:`controls` and what each does to the steering."""

    def __init__(self, w: Any, steering: Steering, *, chunk: int, dpi: int) -> None:
        self.steering, self.chunk, self.dpi = steering, chunk, dpi
        c = steering.config
        names = ("critic step", "generator step", f"train {chunk}")
        buttons = [w.Button(description=d) for d in names]
        self.play = w.ToggleButton(description="play", value=False)
        lr = w.FloatLogSlider(
            value=c.optimiser.learning_rate, base=10, min=-5, max=-1.5, description="learning rate"
        )
        sliders: list[Any] = [lr]
        for name, value in c.game_spec.constants.items():
            sliders.append(_constant_slider(w, c.game_spec.name, name, value))
        self.status = w.Label()
        self.picture = w.Image(format="png")
        buttons[0].on_click(self._act(steering.critic_step))
        buttons[1].on_click(self._act(steering.generator_step))
        buttons[2].on_click(self._act(lambda: steering.train(chunk)))
        lr.observe(self._change("learning_rate"), names="value")
        for slider in sliders[1:]:
            slider.observe(self._change(slider.description), names="value")
        self.tasks: set[Any] = set()  # the running play loop, kept until it ends
        self.play.observe(self._toggled, names="value")
        self.redraw(read=False)  # the steering's last readout
        self.box = w.VBox(
            [w.HBox([*buttons, self.play]), w.HBox(sliders), self.status, self.picture]
        )

    def redraw(self, *, read: bool = True) -> None:
        """The status line and the picture, after a readout unless ``read`` is false."""
        run = self.steering.read() if read else self.steering.run
        self.status.value = _status(self.steering).replace("\n", "; ")
        frame = figures.gif_frame(run, len(run.snapshots) - 1)
        self.picture.value = figures.png_bytes(frame, dpi=self.dpi)

    def _act(self, action: Any) -> Any:
        def handler(_: Any) -> None:
            action()
            self.redraw()

        return handler

    def _change(self, option: str) -> Any:
        def handler(ch: Any) -> None:  # takes effect from the next action; the status says so
            self.steering.set(**{option: float(ch["new"])})
            self.status.value = _status(self.steering).replace("\n", "; ")

        return handler

    async def _playing(self) -> None:
        while self.play.value:
            self.steering.train(self.chunk)
            self.redraw()
            await asyncio.sleep(0.05)  # lets the kernel handle a click on "play" to stop

    def _toggled(self, change: Any) -> None:
        if change["new"]:
            task = asyncio.ensure_future(self._playing())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
