"""A training run built from its configuration, without training.

Its readouts are shaped like a real run's (W1 decaying to its noise floor, modes being covered),
with snapshots and a generator.

For the tests that need a run's shape (its figures, its CSV, the command's summary and verdict)
and not its training, which costs a compilation per test process.
"""

from __future__ import annotations

import jax
import numpy as np

from divergences.lab.training import Readouts, Snapshot, TrainingConfig, TrainingRun
from divergences.lab.training.networks import make_mlp
from divergences.lab.training.readouts import NoiseFloor


def synthetic_run(config: TrainingConfig, *, seed: int = 0) -> TrainingRun:
    """A run of ``config`` (its steps, readout interval and sizes) with made-up readouts."""
    rng = np.random.default_rng(seed)
    last = config.n_steps
    steps = np.arange(0.0, last + 1.0, config.eval_every)
    n = len(steps)
    decay = np.exp(-steps / (last / 4))
    floor = np.full(n, 0.05)
    estimate = 0.5 * decay - 0.004 if not config.game_spec.wasserstein else 1.8 * decay + 0.03
    readouts = Readouts(
        step=steps,
        w1=1.9 * decay + 0.06 + 0.01 * rng.random(n),
        w1_floor=floor,
        js_grid=0.6 * decay + 0.002,
        kl_grid=4.0 * decay + 0.01,
        critic_estimate=estimate,
        modes_covered=np.minimum(8.0, np.floor(9 * (1 - decay))),
        high_quality=0.98 * (1 - decay),
        precision=0.6 + 0.37 * (1 - decay),
        recall=0.95 * (1 - decay),
        loss_d=1.38 - 0.3 * decay,
        loss_g=0.7 + 0.5 * decay,
        grad_norm_g=0.2 * decay + 1e-3,
        w1_floor_sd=np.full(n, 0.006),
        js_floor=np.full(n, 0.001),
        js_floor_sd=np.full(n, 0.0002),
        kl_floor=np.full(n, 0.003),
        kl_floor_sd=np.full(n, 0.0005),
    )
    data = np.asarray(
        config.dataset.sample(jax.random.key(seed), config.eval_size), dtype=np.float64
    )
    r = config.heat_resolution
    g = np.linspace(-1, 1, r)
    heat = 1 / (1 + np.exp(-3 * (g[None, :] ** 2 + g[:, None] ** 2 - 0.5)))
    if config.game_spec.wasserstein:
        heat = 4 * (heat - 0.5)
    snapshots = [
        Snapshot(
            int(s),
            data + (1 - s / last) * rng.normal(size=data.shape),
            heat,
            rng.normal(size=(32, 2)),
        )
        for s in steps
    ]
    generator, _ = make_mlp(
        jax.random.key(seed),
        (config.latent_dim, *config.generator_hidden, 2),
        scalar_output=False,
        dtype=np.float32,
        activation="relu",
    )
    return TrainingRun(
        config=config,
        readouts=readouts,
        snapshots=snapshots,
        generator=generator,
        critic=None,
        critic_state=None,
        data_sample=data,
        train_seconds=1.0,
        readout_seconds=1.0,
        floor=NoiseFloor(np.full(8, 0.05), np.full(8, 0.001), np.full(8, 0.003)),
    )
