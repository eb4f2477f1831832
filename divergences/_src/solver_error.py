"""A computation that stopped short of what it promises: one error type for the whole package.

A W1 solve short of its certified optimum and a certified enclosure short of its width raise
the same :class:`SolverError` (``except dv.SolverError`` catches both), whose ``status`` says
why, as a member of the raising subpackage's own enum: W1's ``Status``
(:mod:`divergences.wasserstein`, mirrored in its compiled code) and the certified path's
``Stop`` (:mod:`divergences.continuous.certified`). A subpackage never borrows another's
statuses.

NumPy-free and JAX-free: the host solvers raise it too.
"""

from __future__ import annotations

import enum

__all__ = ["SolverError"]


class SolverError(RuntimeError):
    """A computation stopped short of what it promises (a cap, infeasibility, a failed check).

    Attributes:
      status: why it stopped, a member of the raising subpackage's enum (W1's ``Status``,
        the certified path's ``Stop``).
    """

    def __init__(self, message: str, status: enum.IntEnum) -> None:
        super().__init__(message)
        self.status = status
