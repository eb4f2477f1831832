"""The ``divergences`` command's subcommands: each module owns its options and its run function.

Each defines ``register(sub)``, which adds its subparser, options and run function (``func``);
:mod:`divergences.lab.cli` only assembles them, in :data:`SUBCOMMANDS`' order (``train``'s
lives with the training lab, :mod:`divergences.lab.training.command`).
"""

from __future__ import annotations

from divergences.lab.commands import (
    critics_subcommand,
    estimate_subcommand,
    plot_subcommand,
    sweep_subcommand,
    tour_subcommand,
    verify_subcommand,
)
from divergences.lab.training import command as train_subcommand

__all__ = ["SUBCOMMANDS"]

#: The subcommands in the order ``divergences --help`` lists them.
SUBCOMMANDS = (
    tour_subcommand,
    verify_subcommand,
    plot_subcommand,
    sweep_subcommand,
    estimate_subcommand,
    critics_subcommand,
    train_subcommand,
)
