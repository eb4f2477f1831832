"""divergences: divergences and distances between probability distributions, in JAX.

Compute them exactly, check them numerically, and draw them::

    import divergences as dv
    dv.kl([0.5, 0.5], [0.9, 0.1])          # KL(p || q) in nats
    dv.js_divergence(p, q, base=2)         # in bits, with the 1/2: 0 <= JS <= 1

Every function takes probability masses along ``axis`` (default -1), broadcasts over the other
axes, returns a :class:`jax.Array`, and composes with ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
The package never changes JAX's global configuration: enable float64 yourself with
``jax.config.update("jax_enable_x64", True)`` when you need it.
"""

from __future__ import annotations

from typing import Any

from divergences import f_divergence as f_generators
from divergences import families
from divergences._validation import checked
from divergences.chi_square import chi_square
from divergences.critics import (
    CriticFit,
    CriticSweep,
    critic_sweep,
    plot_critic_sweep,
    train_fgan_critic,
    train_gan_discriminator,
    train_wgan_critic,
)
from divergences.entropy import cross_entropy, entropy
from divergences.f_divergence import (
    FGenerator,
    f_divergence,
    optimal_critic,
    variational_bound,
)
from divergences.families import Family, Measures
from divergences.gan import gan_value, optimal_discriminator
from divergences.gaussian import frechet_distance, kl_mvn, kl_normal
from divergences.hellinger import hellinger
from divergences.information import conditional_entropy, inception_score, mutual_information
from divergences.js import js_distance, js_divergence
from divergences.kl import kl
from divergences.sweep import Sweep, sweep
from divergences.total_variation import total_variation
from divergences.wasserstein import (
    CertificateError,
    CouplingReport,
    SolverError,
    SparsePlan,
    W1Dual,
    W1Primal,
    check_coupling,
    cost_matrix,
    lipschitz_violation,
    w1_1d,
    w1_dual,
    w1_primal,
)

__version__ = "0.1.0"

__all__ = [
    "CertificateError",
    "CouplingReport",
    "CriticFit",
    "CriticSweep",
    "FGenerator",
    "Family",
    "Measures",
    "SolverError",
    "SparsePlan",
    "Sweep",
    "W1Dual",
    "W1Primal",
    "check_coupling",
    "checked",
    "chi_square",
    "conditional_entropy",
    "cost_matrix",
    "critic_sweep",
    "cross_entropy",
    "entropy",
    "f_divergence",
    "f_generators",
    "families",
    "frechet_distance",
    "gan_value",
    "hellinger",
    "inception_score",
    "js_distance",
    "js_divergence",
    "kl",
    "kl_mvn",
    "kl_normal",
    "lipschitz_violation",
    "mutual_information",
    "optimal_critic",
    "optimal_discriminator",
    "plot_critic_sweep",
    "sweep",
    "testing",
    "total_variation",
    "train_fgan_critic",
    "train_gan_discriminator",
    "train_wgan_critic",
    "variational_bound",
    "w1_1d",
    "w1_dual",
    "w1_primal",
]


def __getattr__(name: str) -> Any:
    # ``dv.testing`` needs hypothesis, a test dependency: import it only when asked for.
    if name == "testing":
        import importlib

        return importlib.import_module("divergences.testing")
    raise AttributeError(f"module 'divergences' has no attribute {name!r}")
