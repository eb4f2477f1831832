r"""Divergences between the laws behind two samples, each an interval with a stated guarantee.

The rest of the package computes divergences between the distributions it is given: masses,
laws of :mod:`divergences.continuous`, or two samples taken *as* the measures (what
:func:`divergences.w1_primal` certifies is the W1 between the two empirical measures). This
namespace answers the question a generative model's user has: from ``x_1 ... x_n ~ P`` and
``y_1 ... y_m ~ Q``, what is the divergence between ``P`` and ``Q``, and how sure is that?

Every entry takes the draws as arrays of shape ``(n, d)`` and ``(m, d)`` (or ``(n,)`` on the
line; FD and the kernel measures also an iterable of batches or a :class:`Reference`; the
Inception score a classifier's probabilities) and a ``level`` (default 0.95). Its result is an :class:`Estimate` or a record of
:class:`Estimate` s: an :class:`Estimate` holds the value, the interval ``[lower_bound,
upper_bound]``, the interval's kind, which ends it claims, the assumption it rests on, the
method, and ``plug_in``, the plug-in value papers print where it differs (FD's plug-in FID, the
Inception score without its bias correction). The records: a :class:`Comparison`
(:func:`frechet_difference`, :func:`kid_difference`: the difference, its p-value, and each
candidate's own :class:`Estimate`), :class:`FidelityDiversity` (four), :class:`InceptionScore`
(one, with the splits papers print) and :class:`DiscriminatorBounds` (three, with a
:class:`TwoSampleTest`). The tests of ``P == Q`` (:func:`mmd_test`, the discriminator's) return a
:class:`TwoSampleTest`, and :func:`reference` a :class:`Reference` the entries read as draws.
Code reads the claim off ``claims_coverage`` (and ``bound`` for a one-sided result); ``str``
prints it (``JS >= 0.044 at 95%, finite-sample``), and the plug-in beside a value it differs
from (``FD = 19.79 in [18.1, 21.5] at 95%, asymptotic; plug-in 55.17``). The kinds:

* ``"finite-sample"``: for every sample size, under an assumption the caller gives (a diameter
  as a number, a kernel fixed before the draws), or none;
* ``"asymptotic"``: as the sizes grow, claimed where the coverage benchmarks
  (``benchmarks/estimate_coverage.md``) measured it: :data:`ASYMPTOTIC_CLAIMS`, one
  :class:`Claim` an estimator, its :class:`Range` s (largest ``d``, smallest ``n``, the
  benchmark's cell) and the rule reading them (FD: d <= 256 from 1000 draws, d <= 768 from
  5000, d <= 2048 from 10^4);
* ``"plug-in-assumption"``: the finite-sample construction with its assumption read off the
  draws (``diameter="sample"``, the median heuristic's kernel): no coverage claimed;
* ``"no-coverage-claim"``: outside the measured range (the k-NN estimators above d = 2), or
  where the draws break what the range was measured on (FD's heavy radial tails): the point
  estimate, the quantity's range as the ends, and a :class:`NoCoverageWarning` naming what
  holds there.

The entries run on the host (neighbour searches and exact transport), with XLA kernels inside;
they are not traced by ``jit``.
"""

from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS, Claim, Range
from divergences.estimate._src.comparison.frechet_difference import (
    FrechetComparison,
    frechet_difference,
)
from divergences.estimate._src.comparison.kid_difference import KidDifference, kid_difference
from divergences.estimate._src.discriminator.trained import (
    DiscriminatorBounds,
    discriminator_bounds,
)
from divergences.estimate._src.discriminator.witness_bounds import (
    js_from_discriminator,
    kl_from_discriminator,
    tv_from_discriminator,
)
from divergences.estimate._src.frechet.distance import frechet
from divergences.estimate._src.inception.score import InceptionScore, inception_score
from divergences.estimate._src.kernel.kid import kid
from divergences.estimate._src.kernel.mmd import mmd_squared, mmd_test
from divergences.estimate._src.neighbours.fidelity import (
    FidelityDiversity,
    coverage,
    density,
    fidelity_diversity,
    precision,
    recall,
)
from divergences.estimate._src.neighbours.knn import entropy, js, kl
from divergences.estimate._src.neighbours.memorisation import Memorisation, memorisation
from divergences.estimate._src.reference_reading import reference
from divergences.estimate._src.reference_set import Reference, load_reference
from divergences.estimate._src.result import (
    INTERVAL_KINDS,
    Comparison,
    Estimate,
    NoCoverageWarning,
    TwoSampleTest,
)
from divergences.estimate._src.w1.dkw import w1_dkw
from divergences.estimate._src.w1.exact import w1
from divergences.estimate._src.w1.projected import w1_projected

__all__ = [
    "ASYMPTOTIC_CLAIMS",
    "INTERVAL_KINDS",
    "Claim",
    "Comparison",
    "DiscriminatorBounds",
    "Estimate",
    "FidelityDiversity",
    "FrechetComparison",
    "InceptionScore",
    "KidDifference",
    "Memorisation",
    "NoCoverageWarning",
    "Range",
    "Reference",
    "TwoSampleTest",
    "coverage",
    "density",
    "discriminator_bounds",
    "entropy",
    "fidelity_diversity",
    "frechet",
    "frechet_difference",
    "inception_score",
    "js",
    "js_from_discriminator",
    "kid",
    "kid_difference",
    "kl",
    "kl_from_discriminator",
    "load_reference",
    "memorisation",
    "mmd_squared",
    "mmd_test",
    "precision",
    "recall",
    "reference",
    "tv_from_discriminator",
    "w1",
    "w1_dkw",
    "w1_projected",
]
