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
from divergences.lab.training.image_readouts import IMAGE_COLUMNS
from divergences.lab.training.networks import make_mlp
from divergences.lab.training.readouts import NoiseFloor


def synthetic_image_readouts(n: int, decay: np.ndarray, rng: np.random.Generator) -> dict:
    """Made-up image readouts (IMAGE_COLUMNS) shaped as a run on digits: scores that improve."""
    out: dict[str, np.ndarray] = {}
    curves = {
        "inception": (9.0 - 7.5 * decay, 0.1),
        "fd": (800.0 * decay + 10.0, 5.0),
        "kid": (5000.0 * decay + 40.0, 20.0),
        "precision": (0.6 + 0.3 * (1 - decay), 0.02),
        "recall": (0.7 * (1 - decay), 0.03),
        "density": (0.5 * (1 - decay), 0.03),
        "coverage": (0.7 * (1 - decay), 0.03),
    }
    data = {"inception": 9.7, "fd": 0.0, "kid": 0.0, "precision": 0.98, "recall": 0.93,
            "density": 1.0, "coverage": 0.99}  # fmt: skip
    for name, (v, half) in curves.items():
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = v, v - half, v + half
        out[f"{name}_data"] = np.full(n, data[name])
    out["fid"] = out["fd"] + 1.0
    shares = rng.dirichlet(np.full(10, 5.0), n)
    out.update({f"class_{c}": shares[:, c] for c in range(10)})
    out["classes_p"] = np.full(n, 0.005)
    out["copied"], out["copying_p"] = 0.01 * rng.random(n), rng.random(n)
    out["copied_lo"], out["copied_hi"] = np.zeros(n), out["copied"] + 0.05
    out["copied_claimed"] = np.ones(n)
    return out


def synthetic_run(config: TrainingConfig, *, seed: int = 0) -> TrainingRun:
    """A run of ``config`` (its steps, readout interval and sizes) with made-up readouts."""
    rng = np.random.default_rng(seed)
    last = config.n_steps
    steps = np.arange(0.0, last + 1.0, config.eval_every)
    n = len(steps)
    decay = np.exp(-steps / (last / 4))
    floor = np.full(n, 0.05)
    estimate = 0.5 * decay - 0.004 if not config.game_spec.wasserstein else 1.8 * decay + 0.03
    images = config.dataset.image_shape is not None
    readouts = Readouts(
        **{
            "step": steps,
            "w1": 1.9 * decay + 0.06 + 0.01 * rng.random(n),
            "w1_floor": floor,
            "js_grid": 0.6 * decay + 0.002,
            "kl_grid": 4.0 * decay + 0.01,
            "critic_estimate": estimate,
            "modes_covered": np.minimum(8.0, np.floor(9 * (1 - decay))),
            "high_quality": 0.98 * (1 - decay),
            "precision": 0.6 + 0.37 * (1 - decay),
            "recall": 0.95 * (1 - decay),
            "loss_d": 1.38 - 0.3 * decay,
            "loss_g": 0.7 + 0.5 * decay,
            "grad_norm_g": 0.2 * decay + 1e-3,
            "w1_floor_sd": np.full(n, 0.006),
            "js_floor": np.full(n, 0.001),
            "js_floor_sd": np.full(n, 0.0002),
            "kl_floor": np.full(n, 0.003),
            "kl_floor_sd": np.full(n, 0.0005),
            **{c: np.full(n, np.nan) for c in IMAGE_COLUMNS},
            **(synthetic_image_readouts(n, decay, rng) if images else {}),
        }
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
            None if images else heat,
            rng.normal(size=(32, config.dataset.dim)),
        )
        for s in steps
    ]
    generator, _ = make_mlp(
        jax.random.key(seed),
        (config.latent_dim, *config.generator_hidden, config.dataset.dim),
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
