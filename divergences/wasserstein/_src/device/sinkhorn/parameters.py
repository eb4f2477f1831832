"""The device Sinkhorn solver's fixed parameters (:class:`SinkhornConfig`) and options (:class:`SinkhornOptions`)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CONFIG",
    "SinkhornConfig",
    "SinkhornOptions",
]


class SinkhornOptions(NamedTuple):
    """The options of ``method="sinkhorn"``: ``options=dv.SinkhornOptions(...)`` or keywords.

    ``rtol`` and ``max_iter`` (None: these defaults). It runs no compiled code: no ``threads``.
    """

    #: The certified relative gap ``(upper - lower) / upper`` it stops at, in (0, 1).
    rtol: float = 1e-3
    #: The cap on iterations (each an ``f`` and a ``g`` update).
    max_iter: int = 20_000


class SinkhornConfig(NamedTuple):
    """The fixed parameters of the device Sinkhorn solver.

    The options a call can set, ``rtol`` and ``max_iter``, are a :class:`SinkhornOptions`.
    """

    #: Iterations between two certificates (and two choices of epsilon).
    check_every: int = 10
    #: Epsilon is multiplied by this at a check where the stage has converged and the plan's
    #: suboptimality is above ``bias_fraction`` of the gap sought.
    decay: float = 0.5
    #: The least epsilon, in units of the dtype's machine epsilon times the largest cost.
    eps_floor: float = 64.0
    #: Each update moves the potential by this times the Sinkhorn step (1: plain Sinkhorn;
    #: over-relaxation, Thibault, Chizat, Dossal & Papadakis, *Overrelaxed Sinkhorn-Knopp
    #: algorithm for regularized optimal transport*, Algorithms 14, 2021), halved towards 1 at
    #: each check where the marginals' repair grew at the same epsilon.
    overrelaxation: float = 1.7
    #: Epsilon shrinks while the plan's suboptimality is above this fraction of ``rtol``.
    bias_fraction: float = 0.1
    #: A stage has converged once the marginals' repair costs at most this times epsilon.
    stage_tolerance: float = 1.0
    #: Above this many pairs ``n m``, the costs are recomputed by blocks of columns.
    dense_pairs: int = 2**22
    #: The least number of columns of a block (blocks hold ``n x block <= dense_pairs`` costs).
    min_block: int = 128
    #: Arcs kept per row in the plan of a problem whose costs go by blocks.
    arcs_per_row: int = 16


#: The configuration in use.
CONFIG = SinkhornConfig()
