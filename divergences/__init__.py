"""divergences: divergences and distances between probability distributions, in JAX.

Compute them exactly, check them numerically, and draw them::

    import divergences as dv
    dv.kl([0.5, 0.5], [0.9, 0.1])          # KL(p || q) in nats
    dv.js_divergence(p, q, base=2)         # in bits, with the 1/2: 0 <= JS <= 1

Every function takes probability masses along ``axis`` (default -1), broadcasts over the other
axes, returns a :class:`jax.Array`, and composes with ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
The package never changes JAX's global configuration: enable float64 yourself with
``jax.config.update("jax_enable_x64", True)`` when you need it.

This namespace is the library: kernels, Wasserstein-1, closed forms and families, importing only
JAX, NumPy, SciPy and POT. Two sibling packages build on it: :mod:`divergences.testing`, the
harness (Hypothesis strategies, tolerances, reference solvers), and :mod:`divergences.lab`, the
application (proofs and ``verify``, sweeps and figures, critics, the command line).
"""

from __future__ import annotations

from divergences import continuous, estimate, families, generators
from divergences._src.chi_square import chi_square
from divergences._src.entropy import cross_entropy, entropy
from divergences._src.errors import checked
from divergences._src.f_divergence import f_divergence, optimal_critic, variational_bound
from divergences._src.gan import gan_value, optimal_discriminator
from divergences._src.gaussian import frechet_distance, kl_mvn, kl_normal
from divergences._src.hellinger import hellinger
from divergences._src.histogram import GridPmf, grid_pmf
from divergences._src.information import conditional_entropy, inception_score, mutual_information
from divergences._src.js import js_distance, js_divergence
from divergences._src.kl import kl
from divergences._src.total_variation import total_variation
from divergences.families import Family, MeasurePair
from divergences.generators import FGenerator
from divergences.wasserstein import (
    BatchError,
    CertificateError,
    CouplingReport,
    DenseOptions,
    GridFlowOptions,
    LineOptions,
    LPOptions,
    MethodName,
    Minkowski,
    SinkhornOptions,
    SolverError,
    SparseOptions,
    SparsePlan,
    W1Batch,
    W1Dual,
    W1Grid,
    W1Primal,
    check_coupling,
    cost_matrix,
    kr_potential,
    lipschitz_violation,
    w1_1d,
    w1_batch,
    w1_dual,
    w1_grid,
    w1_pairwise,
    w1_primal,
)

__version__ = "0.1.0"

__all__ = [
    "BatchError",
    "CertificateError",
    "CouplingReport",
    "DenseOptions",
    "FGenerator",
    "Family",
    "GridFlowOptions",
    "GridPmf",
    "LPOptions",
    "LineOptions",
    "MeasurePair",
    "MethodName",
    "Minkowski",
    "SinkhornOptions",
    "SolverError",
    "SparseOptions",
    "SparsePlan",
    "W1Batch",
    "W1Dual",
    "W1Grid",
    "W1Primal",
    "check_coupling",
    "checked",
    "chi_square",
    "conditional_entropy",
    "continuous",
    "cost_matrix",
    "cross_entropy",
    "entropy",
    "estimate",
    "f_divergence",
    "families",
    "frechet_distance",
    "gan_value",
    "generators",
    "grid_pmf",
    "hellinger",
    "inception_score",
    "js_distance",
    "js_divergence",
    "kl",
    "kl_mvn",
    "kl_normal",
    "kr_potential",
    "lipschitz_violation",
    "mutual_information",
    "optimal_critic",
    "optimal_discriminator",
    "total_variation",
    "variational_bound",
    "w1_1d",
    "w1_batch",
    "w1_dual",
    "w1_grid",
    "w1_pairwise",
    "w1_primal",
]
