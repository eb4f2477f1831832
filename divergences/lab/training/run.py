r"""A training run as the trainer returns it: its readouts, snapshots and models.

The figures (:mod:`divergences.lab.training.figures`), the verdict
(:mod:`divergences.lab.training.verdict`) and ``readouts.csv``
(:mod:`divergences.lab.training.readouts_csv`) read a :class:`TrainingRun`; the trainer
(:mod:`divergences.lab.training.trainer`) builds one. This module sits under all of them, so
that none needs the trainer to name the run it reads.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.readouts import NoiseFloor, Readouts

__all__ = ["ARROWS", "Snapshot", "TrainingRun"]

#: The generated points of a snapshot that carry the generator's gradient (``Snapshot.push``).
ARROWS = 32


class Snapshot(NamedTuple):
    r"""What the snapshots and the animation draw at one evaluation.

    Attributes:
      step: the generator step.
      samples: the generated points of the W1 readout, ``(eval_size, dim)``.
      heat: the critic on a ``heat_resolution`` square grid over the data's extent (row ``i``
        at the ``i``-th y value): the discriminator's probability :math:`D` for the GAN games,
        the critic's value :math:`f` for the WGANs; ``None`` for data that is not 2-D.
      push: GAN Lab's arrows, ``(ARROWS, dim)``: at each of the first :data:`ARROWS` points of
        ``samples``, minus the gradient of the generator's loss on that point with respect to
        the point, :math:`-\nabla_x \ell_G(x)` (for WGAN :math:`\nabla_x f(x)`, for the
        non-saturating GAN :math:`\nabla_x \log D(x)`): the direction in which the generator's
        step pulls the point, by back-propagation through the generator. ``None`` where not
        computed.
    """

    step: int
    samples: np.ndarray
    heat: np.ndarray | None
    push: np.ndarray | None = None


class TrainingRun(NamedTuple):
    """A finished run.

    Attributes:
      config: the configuration.
      readouts: the readouts against step.
      snapshots: one per evaluation.
      generator, critic, critic_state: the equinox models: the generator that the readouts
        use (the average of the trained weights where ``config.generator_ema`` is set), the
        critic and its state (the power iterations of spectral normalisation).
      data_sample: ``eval_size`` data points, drawn once, for figures.
      train_seconds: wall time of the jitted chunks (compilation included).
      readout_seconds: wall time of the readouts on the host (the noise floor and the
        animation's frames included).
      floor: the noise floor's draws (:class:`NoiseFloor`).
      trained_generator: the generator with the trained weights, before averaging (the same
        as ``generator`` without ``generator_ema``).
      frames: with ``train(..., frame_every=n)``, a snapshot every ``n`` generator steps (and at
        every readout), for the animation; empty otherwise.
    """

    config: TrainingConfig
    readouts: Readouts
    snapshots: list[Snapshot]
    generator: Any
    critic: Any
    critic_state: Any
    data_sample: np.ndarray
    train_seconds: float
    readout_seconds: float
    floor: NoiseFloor | None = None
    trained_generator: Any = None
    frames: tuple[Snapshot, ...] = ()
