"""One tiny run shared by the trainer's and the figures' tests (compiling is the cost)."""

import pytest

from divergences.lab.training import TrainingConfig, train

TINY = {
    "steps": 20,
    "eval_every": 10,
    "batch_size": 32,
    "critic_hidden": (8,),
    "generator_hidden": (8,),
    "eval_size": 64,
    "hist_size": 300,
    "heat_resolution": 8,
}


@pytest.fixture(scope="session")
def tiny_run():
    return train(TrainingConfig(data="ring8", game="sngan", seed=3, **TINY), progress=False)
