"""A run in progress, recorded readout by readout: the one recorder of both training paths.

:func:`~divergences.lab.training.train` moves a :class:`Recorder` from readout to readout,
and :class:`~divergences.lab.training.steering.Steering` action by action; both read out
through it, so a readout is keyed alike in both (by the generator step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.engine import (
    compile_key,
    compiled_functions,
    initial_carry,
    knobs_of,
    setup,
)
from divergences.lab.training.readouts import COLUMNS, Readouts, noise_floor, readout_row
from divergences.lab.training.run import Snapshot, TrainingRun

__all__ = ["Recorder"]


class Recorder:
    """A run in progress: the carry, the readouts, snapshots and frames so far, the timings.

    :func:`~divergences.lab.training.train` moves it from readout to readout
    (:meth:`train_to`); :class:`~divergences.lab.training.steering.Steering` action by action
    (:meth:`advance`, :meth:`reconfigure`, :meth:`read`).
    """

    def __init__(
        self,
        config: TrainingConfig,
        frame_every: int | None,
        on_readout: Callable[[TrainingRun], None] | None,
    ) -> None:
        self.config, self.frame_every, self.on_readout = config, frame_every, on_readout
        self.s = setup(config)
        self.compiled = compiled_functions(compile_key(config))
        self.knobs = knobs_of(config)
        self.carry = initial_carry(self.s)
        self.step = 0
        self.rows: list[dict[str, float]] = []
        self.snapshots: list[Snapshot] = []
        self.frames: list[Snapshot] = []
        self.t_train = 0.0
        t0 = time.perf_counter()
        self.floor = noise_floor(config)
        self.floor_row = self.floor.summary()
        self.t_read = time.perf_counter() - t0
        self.data = np.asarray(self.s.sample(self.s.keys[2], config.eval_size))

    def so_far(self) -> TrainingRun:
        """The run up to the current step."""
        rows, carry, s = self.rows, self.carry, self.s
        readouts = Readouts(*(np.array([r[c] for r in rows], dtype=np.float64) for c in COLUMNS))
        return TrainingRun(
            self.config,
            readouts,
            list(self.snapshots),
            eqx.combine(carry.averaged_generator, s.static_g),
            eqx.combine(carry.critic, s.static_d),
            carry.critic_state,
            self.data,
            self.t_train,
            self.t_read,
            self.floor,
            eqx.combine(carry.generator, s.static_g),
            tuple(self.frames),
        )

    def snapshot(self) -> tuple[Snapshot, dict[str, Any]]:
        """The probe at the current step, and its snapshot (kept as a frame if frames are)."""
        carry = self.carry
        p = self.compiled.probe(
            self.knobs,
            carry.averaged_generator,
            carry.generator,
            carry.critic,
            carry.critic_state,
            jnp.asarray(self.step),
            self.s.keys[1],
        )
        heat = np.asarray(p["heat"]) if "heat" in p else None
        snap = Snapshot(self.step, np.asarray(p["fake"]), heat, np.asarray(p["push"]))
        if self.frame_every is not None:
            self.frames.append(snap)
        return snap, p

    def frame(self) -> None:
        """A frame of the animation: the samples and the heat map only, no exact readout."""
        t0 = time.perf_counter()
        self.snapshot()
        self.t_read += time.perf_counter() - t0

    def read(self, step: int) -> None:
        """A readout at ``step`` (the current step), then ``on_readout`` with the run so far."""
        t0 = time.perf_counter()
        snap, p = self.snapshot()
        self.rows.append(readout_row(self.config, step, p, self.floor_row))
        self.snapshots.append(snap)
        self.t_read += time.perf_counter() - t0
        if self.on_readout is not None:
            self.on_readout(self.so_far())

    def train_to(self, target: int) -> None:
        """Trains up to step ``target`` in chunks (with frames between them), then reads out."""
        while self.step < target:
            part = target - self.step
            if self.frame_every is not None:
                part = min(self.frame_every, part)
            self.advance(
                self.compiled.chunk, self.knobs, jnp.asarray(self.step), self.s.keys[0], part
            )
            self.step += part
            if self.step < target:
                self.frame()
        self.read(self.step)

    def advance(self, fn: Callable[..., Any], *args: Any) -> None:
        """``carry = fn(carry, *args)``, one of :attr:`compiled`'s steps, timed as training."""
        t0 = time.perf_counter()
        self.carry = jax.block_until_ready(fn(self.carry, *args))
        self.t_train += time.perf_counter() - t0

    def reconfigure(self, config: TrainingConfig) -> None:
        """Another step size or constant from the next step on: the same compiled steps.

        The weights and the optimisers' states carry over; the knobs are ``config``'s.
        """
        self.config = config
        self.compiled = compiled_functions(compile_key(config))
        self.knobs = knobs_of(config)
