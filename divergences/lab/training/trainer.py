r"""The training loop.

K critic steps per generator step in a jitted ``lax.scan``, readouts with the library's exact
functions on the host between chunks.

A run is deterministic on one machine: every random draw (initialisation, minibatches, readout
samples) comes from ``jax.random.key(config.seed)`` through ``fold_in`` with the step number
(``jax.random`` draws the same bits on every machine), and a compiled step gives the same bits
every time it runs. So two runs of one configuration in one process, or on one machine with the
same XLA thread setting, instruction set and JAX version, give bit-identical readouts.

Across machines they do not. XLA compiles a reduction or a matrix product differently for
another instruction set (AVX-512, AVX2, SSE4.2) or another number of threads, the last digits of
a step differ, and training amplifies them: the readouts of one configuration on two machines
agree in distribution, not in bits. Measured: WGAN-GP on the parallel lines, seed 0, ends step 300
at ``theta = -0.100`` with XLA's default code on an AVX-512 CPU, at ``-0.067`` with the
instruction set capped at SSE4.2 and at ``-0.011`` on one thread; other seeds spread as widely.
Compare runs from different machines by statistics over seeds, never bit for bit.

The readouts between chunks are :mod:`divergences.lab.training.readouts`'s.

The generated points of every other readout, of the snapshots and of ``run.generator`` come
from the generator that is read out: with ``config.generator_ema`` set, an exponential moving
average of the trained weights (Yazici et al., ICLR 2019), updated after every generator step
inside the jitted chunk (``optax.ema``, debiased); without it, the trained weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from divergences.extending import integer_option
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.engine import setup
from divergences.lab.training.games import GAMES
from divergences.lab.training.networks import batched
from divergences.lab.training.recorder import Recorder
from divergences.lab.training.run import TrainingRun

__all__ = [
    "compare",
    "generate",
    "sample_generator",
    "train",
]


def train(
    config: TrainingConfig,
    *,
    progress: bool = True,
    on_readout: Callable[[TrainingRun], None] | None = None,
    frame_every: int | None = None,
) -> TrainingRun:
    """Trains one configuration and returns its readouts, snapshots and models.

    Args:
      config: the run's :class:`TrainingConfig`.
      progress: show a tqdm progress bar (with the latest exact W1) on stderr.
      on_readout: called after each readout (at step 0 and after every chunk) with the run so
        far, a :class:`TrainingRun` whose readouts end at the current step; what it raises ends
        training (:mod:`divergences.lab.training.live` draws the run with it).
      frame_every: take a snapshot for the animation (``run.frames``: the generated points
        and the critic's heat map, without the readouts' exact W1 and grid divergences) every
        this many generator steps between readouts, as well as at every readout; ``None``: no
        frames. Training runs in chunks of at most this many steps then: every step draws its
        randomness from its own number, so the readouts are the same bits either way.

    Returns:
      A :class:`TrainingRun`.

    Example:
      >>> from divergences.lab.training import TrainingConfig, train
      >>> small = TrainingConfig(data="ring8", game="nsgan", steps=20, eval_every=10,
      ...                        critic_hidden=(8,), generator_hidden=(8,), eval_size=64,
      ...                        hist_size=256, heat_resolution=8)
      >>> run = train(small, progress=False)
      >>> run.readouts.step.tolist()
      [0.0, 10.0, 20.0]
    """
    if not isinstance(config, TrainingConfig):
        raise ValueError(f"config must be a TrainingConfig, got {type(config).__name__}")
    integer_option(frame_every, "frame_every", none=True)
    rec = Recorder(config, frame_every, on_readout)
    rec.read(0)
    bar = tqdm(
        total=config.n_steps,
        disable=not progress,
        desc=f"{config.game} on {config.dataset.name}",
        unit="step",
        leave=False,
    )
    floor_w1 = rec.floor_row["w1_floor"]
    with bar:
        while rec.step < config.n_steps:
            length = min(config.eval_every, config.n_steps - rec.step)
            rec.train_to(rec.step + length)
            bar.update(length)
            bar.set_postfix(w1=f"{rec.rows[-1]['w1']:.3f}", floor=f"{floor_w1:.3f}")
    return rec.so_far()


def sample_generator(run: TrainingRun, key: jax.Array, n: int) -> np.ndarray:
    """``n`` points of the trained generator of ``run``, shape ``(n, dim)``."""
    s = setup(run.config)
    z = s.latent(key, n)
    return np.asarray(batched(run.generator, z, s.state_g)[0])


def generate(run: TrainingRun, z: Any) -> np.ndarray:
    """The read-out generator of ``run`` at the latent points ``z``.

    ``z`` has shape ``(n, latent_dim)`` (the generator's input, standard normal in training).

    Returns ``(n, dim)``.
    """
    s = setup(run.config)
    z = jnp.asarray(z, jnp.dtype(run.config.dtype))
    if z.ndim != 2 or z.shape[1] != run.config.latent_dim or run.config.generator_kind != "mlp":
        raise ValueError(
            f"z must have shape (n, latent_dim) = (n, {run.config.latent_dim}) for an MLP "
            f"generator, got {tuple(z.shape)} for a {run.config.generator_kind} generator"
        )
    return np.asarray(batched(run.generator, z, s.state_g)[0])


def compare(
    config: TrainingConfig, games: Sequence[str] | None = None, *, progress: bool = True
) -> dict[str, TrainingRun]:
    """Every game (or ``games``) on the configuration's data with its seed.

    Each game with its default optimiser, critic steps and, unless ``config.steps`` is set, step
    count (see :mod:`divergences.lab.training.games`).
    """
    names = list(GAMES) if games is None else list(games)
    return {g: train(dataclasses.replace(config, game=g), progress=progress) for g in names}
