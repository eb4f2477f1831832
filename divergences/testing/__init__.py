"""The harness: what tests, the proofs of the lectures and a user's own proofs share.

* :mod:`~divergences.testing.strategies`: Hypothesis strategies for pmfs, pairs, triples and
  batches, with exact zeros, disjoint supports and tiny masses;
  :mod:`~divergences.testing.critic_values`: discriminators' outputs and critics' values.
* :mod:`~divergences.testing.measures`: strategies for discrete measures with points (for W1).
* :mod:`~divergences.testing.tolerances`: the tolerance of every kind of comparison, per dtype,
  stated once with its reason (:func:`tolerance`).
* :mod:`~divergences.testing.profiles`: Hypothesis profiles with no deadline (a first JAX compile
  takes longer than any deadline) and a derandomised default.
* :mod:`~divergences.testing.reference`: independent reference solvers for Wasserstein-1 (HiGHS,
  POT), finite differences and :func:`~divergences.testing.reference.check_gradient`; imported on
  its own, since it loads POT and SciPy's LP solver.
* :mod:`~divergences.testing.exact_w1`: the exact W1 of small measures, enclosed in rational
  arithmetic (no float solver): the judge of the W1 solvers across the whole float range.
* :mod:`~divergences.testing.float_range`: strategies for W1 problems across the whole float
  range (subnormals, near overflow, mixed binades, tiny masses on far points, low precision).
* :mod:`~divergences.testing.gradual_underflow`: JAX's float arithmetic evaluated with subnormal
  numbers kept, as a GPU keeps them (XLA's CPU flushes them), for ``--subnormals=keep``.
* :mod:`~divergences.testing.coverage`: the coverage of an interval estimate of
  :mod:`divergences.estimate`, measured over seeded repetitions against a known truth, and the
  pass/fail rule it is judged by.
* :mod:`~divergences.testing.dotmark`: seeded images of the ten classes of the DOTmark benchmark
  (generated analogues), for the W1 tests and ``benchmarks/bench_dotmark.py``.

``import divergences`` does not import this package; ``import divergences.testing`` imports
Hypothesis.

Example:
  >>> from divergences.testing import pmf_pairs, tolerance
  >>> tolerance("float32")
  {'rtol': 1e-05, 'atol': 1e-06}
"""

from __future__ import annotations

from divergences.testing.coverage import (
    Coverage,
    coverage_verdict,
    measure_coverage,
    truth_interval,
)
from divergences.testing.critic_values import critics, discriminators
from divergences.testing.profiles import load_profile, register_profiles
from divergences.testing.strategies import (
    RELATIONS,
    SHAPES,
    edge_of_normal_pairs,
    near_identical_pairs,
    pmf_batches,
    pmf_pair_batches,
    pmf_pairs,
    pmf_triples,
    pmfs,
    sizes,
)
from divergences.testing.tolerances import TOLERANCES, Tolerance, tolerance

__all__ = [
    "RELATIONS",
    "SHAPES",
    "TOLERANCES",
    "Coverage",
    "Tolerance",
    "coverage_verdict",
    "critics",
    "discriminators",
    "edge_of_normal_pairs",
    "load_profile",
    "measure_coverage",
    "near_identical_pairs",
    "pmf_batches",
    "pmf_pair_batches",
    "pmf_pairs",
    "pmf_triples",
    "pmfs",
    "register_profiles",
    "sizes",
    "tolerance",
    "truth_interval",
]
