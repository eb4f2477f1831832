r"""The GAN training lab: generators trained on 2-D data with the exact answer beside them.

A run is one frozen :class:`TrainingConfig` (data, game, steps, seed and the paper's defaults);
:func:`train` trains it with jitted ``lax.scan`` chunks and reads out, between chunks, the exact
Wasserstein-1 to the data (and its sampling noise floor), JS and KL on a stated grid, the critic's
own estimate, mode coverage and the losses. :mod:`~divergences.lab.training.dirac` holds the
Dirac-GAN's dynamics; :mod:`~divergences.lab.training.figures` draws runs.

Example::

    from divergences.lab.training import TrainingConfig, train
    run = train(TrainingConfig(data="ring8", game="wgan-gp", steps=2000, seed=0))
    run.readouts.w1[-1], run.readouts.w1_floor[-1]
"""

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.data import (
    DATASETS,
    Dataset,
    dataset,
    from_array,
    from_sampler,
    gaussian_grid,
    gaussian_ring,
    moons,
    parallel_lines,
    swiss_roll,
)
from divergences.lab.training.digits import digits
from divergences.lab.training.games import GAMES, Game, OptimiserSettings
from divergences.lab.training.readouts import COLUMNS, Readouts, grid_edges, mode_coverage
from divergences.lab.training.readouts_csv import VERDICT_COLUMNS, write_readouts_csv
from divergences.lab.training.run import Snapshot, TrainingRun
from divergences.lab.training.trainer import compare, sample_generator, train
from divergences.lab.training.verdict import Verdict, verdict

DATASETS["digits"] = digits  # scikit-learn's images, read when first drawn

__all__ = [
    "COLUMNS",
    "DATASETS",
    "GAMES",
    "VERDICT_COLUMNS",
    "Dataset",
    "Game",
    "OptimiserSettings",
    "Readouts",
    "Snapshot",
    "TrainingConfig",
    "TrainingRun",
    "Verdict",
    "compare",
    "dataset",
    "digits",
    "from_array",
    "from_sampler",
    "gaussian_grid",
    "gaussian_ring",
    "grid_edges",
    "mode_coverage",
    "moons",
    "parallel_lines",
    "sample_generator",
    "swiss_roll",
    "train",
    "verdict",
    "write_readouts_csv",
]
