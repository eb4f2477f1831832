r"""The coverage family: each estimator of :mod:`divergences.estimate` on laws with a known truth.

A :class:`CoverageCase` names an estimator, a pair of laws it draws from (seeded by a
``jax.random`` key), the estimator's options, and the truth: a certified enclosure of
:mod:`divergences.continuous.certified` for laws on the line, a closed form elsewhere.
:func:`run_case` measures its coverage with :func:`~divergences.testing.measure_coverage` and
judges it with :func:`~divergences.testing.coverage_verdict`; the tests
(``tests/estimate/test_coverage.py``), the coverage table
(``benchmarks/bench_estimate_coverage.py``) and the proof of the estimates
(``proofs/proof_28_estimates_cover.py``) all run these cases.

The closed forms, for :math:`P = N(0, I_d)`, :math:`Q = N(\mu, I_d)`, :math:`\delta = |\mu|`:
:math:`\mathrm{KL} = \delta^2/2`, :math:`\mathrm{TV} = 2\Phi(\delta/2) - 1`,
:math:`W_1 = \delta` (a translate: the shift's length, by the coupling :math:`x \mapsto x + \mu`
and the 1-Lipschitz witness :math:`x \mapsto \langle x, \mu\rangle/\delta`), JS is the JS of
:math:`N(0, 1)` and :math:`N(\delta, 1)` (the likelihood ratio depends on
:math:`\langle x, \mu\rangle` alone; certified), the entropy of :math:`P` is
:math:`\tfrac d2 \log(2\pi e)`, and under the kernel :math:`e^{-|a-b|^2/(2s^2)}`,
:math:`\mathrm{MMD}^2 = 2 (s^2/(s^2+2))^{d/2} (1 - e^{-\delta^2/(2(s^2+2))})` (Gaussian integrals:
:math:`a - b \sim N(\cdot, 2 I_d)`). The optimal discriminator is
:math:`D^*(x) = 1/(1 + e^{\langle x, \mu\rangle - \delta^2/2})` (Goodfellow et al., 2014,
Proposition 1). For the uniform law on :math:`[0, 1]^d` and its translate by :math:`t`,
:math:`W_1 = |t|`, both inside a set of diameter :math:`|\mathbf 1 + |t||`. Between
:math:`N(0, I_d)` and :math:`N(0, \mathrm{diag}(4, 1, \dots, 1))`,
:math:`W_1 = \sqrt{2/\pi}`: the coupling :math:`x \mapsto x + x_1 e_1` costs
:math:`\mathbb E|X_1|`, and the projection on :math:`e_1` (1-Lipschitz) leaves
:math:`W_1(N(0, 1), N(0, 4)) = \mathbb E|2Z - Z| = \sqrt{2/\pi}` (the quantile coupling).
On the line,
:math:`W_1(\mathrm{Beta}(2, 2), U(0, 1)) = \int_0^1 |x(1 - x)(2x - 1)|\,dx = 1/16`.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from scipy.special import ndtr

from divergences import continuous as dvc
from divergences import estimate as dve
from divergences.testing.coverage import Coverage, coverage_verdict, measure_coverage
from divergences.testing.coverage_laws import (
    Draw,
    cached,
    constant,
    cubes,
    drawn,
    gaussian_discriminator,
    gaussian_fits,
    gaussian_mmd_squared,
    gaussians,
    kid_of_gaussians,
    line,
    line_discriminator,
    mean,
    product,
    scaled,
    spread,
    student_t_entropy,
    times,
)

__all__ = [
    "CASES",
    "ONE_PER_ESTIMATOR",
    "CaseResult",
    "CoverageCase",
    "run_case",
]


class CoverageCase(NamedTuple):
    """One estimator on one pair of laws with a known truth.

    Attributes:
      name: ``"estimator | laws"``, unique: the tests' and the table's id.
      estimator: the name of the entry of :mod:`divergences.estimate`.
      d: the dimension of the draws.
      draw: ``(key, n) -> samples``: ``n`` draws of each law (one sample for the entropy).
      truth: ``() -> truth``, a number or a certified enclosure, computed once on demand.
      options: keyword options of the estimator (a diameter, a bandwidth).
      discriminator: the optimal discriminator, for the held-out bounds; else ``None``.
    """

    name: str
    estimator: str
    d: int
    draw: Draw
    truth: Callable[[], Any]
    options: Mapping[str, Any] = MappingProxyType({})
    discriminator: Callable[[Any], Any] | None = None


class CaseResult(NamedTuple):
    """A case's measured coverage, the estimates' kind and level, and the verdict.

    ``claimed`` counts the repetitions whose estimate claimed its level: all or none but where a
    rule that reads the draws refuses the claim in some (the k-NN KL's tails); ``kind`` is then
    the claiming one, and the coverage counts a refused repetition as holding the truth, which
    its ends (the quantity's range) do.
    """

    case: str
    n: int
    d: int
    kind: str
    level: float
    coverage: Coverage
    verdict: str
    claimed: int = 0


def run_case(
    case: CoverageCase, *, n: int, repetitions: int, seed: int = 0, level: float = 0.95
) -> CaseResult:
    """Measures ``case`` at ``n`` draws a law over seeded repetitions, and judges it.

    Each repetition draws with its own key (:func:`~divergences.testing.measure_coverage`); the
    estimator's own seed, where it has one (the split of ``w1``), keeps its default.

    Args:
      case: a case of :data:`CASES`, or one built the same way.
      n: the number of draws of each law a repetition.
      repetitions: the number of repetitions.
      seed: the seed of the draws' keys.
      level: the intervals' level.

    Returns:
      The :class:`CaseResult`: the coverage, the kind of interval and the verdict.

    Example:
      >>> from divergences.testing.coverage_cases import CASES, run_case
      >>> case = next(c for c in CASES if c.estimator == "w1_dkw" and "translate" in c.name)
      >>> r = run_case(case, n=100, repetitions=4)
      >>> r.kind, r.coverage.covered, r.verdict
      ('finite-sample', 4, 'pass')
    """
    function = getattr(dve, case.estimator)
    kinds: list[str] = []
    claims: list[str] = []

    def estimator(*samples: Any) -> dve.Estimate:
        extra = () if case.discriminator is None else (case.discriminator,)
        estimate = function(*samples, *extra, level=level, **case.options)
        kinds.append(estimate.kind)
        if estimate.claims_coverage:
            claims.append(estimate.kind)
        return estimate

    with warnings.catch_warnings():  # an unclaimed estimate says so in its kind, once a case
        warnings.simplefilter("ignore", dve.NoCoverageWarning)
        coverage = measure_coverage(
            lambda key: case.draw(key, n),
            estimator,
            case.truth(),
            repetitions=repetitions,
            seed=seed,
        )
    claiming = claims
    # one estimator, one kind of interval, or a claim refused in some repetitions by the draws
    if len(set(kinds)) > 1 and set(kinds) != {claiming[0], "no-coverage-claim"}:
        raise ValueError(f"{case.name}: the estimates' kinds must agree, got {sorted(set(kinds))}")
    kind = claiming[0] if claiming else kinds[0]
    verdict = coverage_verdict(coverage, level=level, kind=kind)
    return CaseResult(case.name, n, case.d, kind, level, coverage, verdict, len(claiming))


# --- the family -------------------------------------------------------------------------------

DELTA = 1.0  #: the Gaussians' distance |mu|
SHIFT = 0.5  #: the cubes' translate |t|
DIMENSIONS = (2, 8, 64)


def _laws_on_the_line() -> list[CoverageCase]:
    normal = dvc.Normal(0.0, 1.0)
    pairs = {
        "Normal(0,1) vs Laplace(0.5,1)": (normal, dvc.Laplace(0.5, 1.0)),
        "Normal(0,1) vs StudentT(3)": (normal, dvc.StudentT(3.0)),
    }
    cases = []
    for laws, (p, q) in pairs.items():
        cases += [
            CoverageCase(f"kl | {laws}", "kl", 1, line(p, q), cached("kl", p, q)),
            CoverageCase(f"js | {laws}", "js", 1, line(p, q), cached("js_divergence", p, q)),
        ]
    p, q = pairs["Normal(0,1) vs Laplace(0.5,1)"]
    held = {"js": "js_divergence", "tv": "total_variation", "kl": "kl"}
    cases += [
        CoverageCase(
            f"{short}_from_discriminator | Normal(0,1) vs Laplace(0.5,1), D*",
            f"{short}_from_discriminator",
            1,
            line(p, q),
            cached(quantity, p, q),
            discriminator=line_discriminator(p, q),
        )
        for short, quantity in held.items()
    ]
    beta, uniform = dvc.Beta(2.0, 2.0), dvc.Uniform(0.0, 1.0)
    cases += [
        CoverageCase(
            f"{name} | Beta(2,2) vs Uniform(0,1), diameter 1",
            name,
            1,
            line(beta, uniform),
            lambda: 1.0 / 16.0,
            {"diameter": 1.0},
        )
        for name in ("w1", "w1_dkw")
    ]
    cases.append(
        CoverageCase("w1 | Normal(0,1) vs Laplace(0.5,1)", "w1", 1, line(p, q), cached("w1", p, q))
    )
    entropy = 0.5 * math.log(2.0 * math.pi * math.e)
    cases.append(
        CoverageCase("entropy | Normal(0,1)", "entropy", 1, line(normal, None), lambda: entropy)
    )
    return cases


def _gaussian_family(d: int) -> list[CoverageCase]:
    laws = f"N(0,I) vs N(mu,I), |mu|={DELTA:g}, d={d}"
    draw = gaussians(d, DELTA)
    js = cached("js_divergence", dvc.Normal(0.0, 1.0), dvc.Normal(DELTA, 1.0))
    kl, tv = 0.5 * DELTA**2, 2.0 * float(ndtr(DELTA / 2.0)) - 1.0
    witness = gaussian_discriminator(d, DELTA)
    bandwidth = math.sqrt(d)
    mmd = gaussian_mmd_squared(DELTA, d, bandwidth)
    entropy = 0.5 * d * math.log(2.0 * math.pi * math.e)
    return [
        CoverageCase(f"kl | {laws}", "kl", d, draw, lambda: kl),
        CoverageCase(f"js | {laws}", "js", d, draw, js),
        CoverageCase(f"w1 | {laws}", "w1", d, draw, lambda: DELTA),
        CoverageCase(f"w1_projected | {laws}", "w1_projected", d, draw, lambda: DELTA),
        CoverageCase(
            f"mmd_squared | {laws}, bandwidth sqrt(d)",
            "mmd_squared",
            d,
            draw,
            lambda: mmd,
            {"bandwidth": bandwidth},
        ),
        CoverageCase(
            f"js_from_discriminator | {laws}, D*",
            "js_from_discriminator",
            d,
            draw,
            js,
            discriminator=witness,
        ),
        CoverageCase(
            f"tv_from_discriminator | {laws}, D*",
            "tv_from_discriminator",
            d,
            draw,
            lambda: tv,
            discriminator=witness,
        ),
        CoverageCase(
            f"kl_from_discriminator | {laws}, D*",
            "kl_from_discriminator",
            d,
            draw,
            lambda: kl,
            discriminator=witness,
        ),
        CoverageCase(
            f"entropy | N(0,I), d={d}",
            "entropy",
            d,
            gaussians(d, DELTA, one=True),
            lambda: entropy,
        ),
    ]


def _cube_family(d: int) -> list[CoverageCase]:
    diameter = math.sqrt(d) * (1.0 + SHIFT / math.sqrt(d))
    names = ("w1", "w1_dkw") if d == 1 else ("w1",)
    return [
        CoverageCase(
            f"{name} | U[0,1]^{d} vs its translate, |t|={SHIFT:g}, diameter given",
            name,
            d,
            cubes(d, SHIFT),
            lambda: SHIFT,
            {"diameter": diameter},
        )
        for name in names
    ]


def _projected_family(d: int) -> list[CoverageCase]:
    """The projected W1 bound where the truth is 0 and where the laws differ by covariance."""
    return [
        CoverageCase(
            f"w1_projected | N(0,I) vs N(0,I), d={d}", "w1_projected", d, gaussians(d, 0.0),
            lambda: 0.0,
        ),
        CoverageCase(
            f"w1_projected | N(0,I) vs N(0,diag(4,1,...,1)), d={d}", "w1_projected", d,
            scaled(d, 2.0), lambda: math.sqrt(2.0 / math.pi),
        ),
    ]  # fmt: skip


def _heavy_tails() -> list[CoverageCase]:
    r"""The k-NN estimates where one law's tails are heavier than the other's, both ways.

    Heavier in shape (Laplace, Logistic, Student-t(3), Cauchy against a Gaussian) and in scale
    (N(0, 4) against N(0, 1): a Gaussian's tails, twice as far).

    On the line the truths are certified (KL(Cauchy || Normal) is infinite: left out), but
    KL(StudentT(3) || Normal(0,1)), the closed form :math:`\frac12\log 2\pi + \frac12 E X^2 - H`
    with :math:`E X^2 = \nu/(\nu - 2) = 3` (the certified path's tails do not finish in its
    budget). In the plane, products of laws on the line: the KL of products is the sum of the
    coordinates' KLs; where only the first coordinate differs (the second standard normal in
    both), every f-divergence, JS among them, is the first coordinate's (the likelihood ratio
    reads the first coordinate alone). The entropy of a product is the sum of its coordinates'.
    """
    normal, laplace = dvc.Normal(0.0, 1.0), dvc.Laplace(0.0, 1.0)
    t3, cauchy = dvc.StudentT(3.0), dvc.Cauchy(0.0, 1.0)
    logistic, wide = dvc.Logistic(0.0, 1.0), dvc.Normal(0.0, 2.0)
    t3_kl = 0.5 * math.log(2.0 * math.pi) + 1.5 - student_t_entropy(3.0)
    named = {"Laplace(0,1)": laplace, "StudentT(3)": t3, "Cauchy(0,1)": cauchy}
    certified = {  # KL on the line, the names as the cases read them
        "Laplace(0,1) vs Normal(0,1)": (laplace, normal),
        "Normal(0,1) vs Laplace(0,1)": (normal, laplace),
        "Normal(0,1) vs Cauchy(0,1)": (normal, cauchy),
        "Logistic(0,1) vs Normal(0,1)": (logistic, normal),
        "Normal(0,2) vs Normal(0,1)": (wide, normal),
    }
    cases = [
        CoverageCase(f"kl | {laws}", "kl", 1, line(p, q), cached("kl", p, q))
        for laws, (p, q) in certified.items()
    ]
    cases.insert(
        2,
        CoverageCase("kl | StudentT(3) vs Normal(0,1)", "kl", 1, line(t3, normal), constant(t3_kl)),
    )
    cases += [
        CoverageCase(
            f"js | {name} vs Normal(0,1)",
            "js",
            1,
            line(law, normal),
            cached("js_divergence", law, normal),
        )
        for name, law in named.items()
    ]
    entropies = {
        "Laplace(0,1)": 1.0 + math.log(2.0),
        "StudentT(3)": student_t_entropy(3.0),
        "Cauchy(0,1)": math.log(4.0 * math.pi),
    }
    cases += [
        CoverageCase(f"entropy | {name}", "entropy", 1, line(named[name], None), constant(h))
        for name, h in entropies.items()
    ]
    # the plane
    pairs = {
        "Laplace(0,1)^2 vs N(0,I)": (laplace, normal, times(2.0, cached("kl", laplace, normal))),
        "N(0,I) vs Laplace(0,1)^2": (normal, laplace, times(2.0, cached("kl", normal, laplace))),
        "StudentT(3)^2 vs N(0,I)": (t3, normal, constant(2.0 * t3_kl)),
        "N(0,I) vs Cauchy(0,1)^2": (normal, cauchy, times(2.0, cached("kl", normal, cauchy))),
    }
    cases += [
        CoverageCase(f"kl | {laws}", "kl", 2, drawn(product(p, p), product(q, q)), truth)
        for laws, (p, q, truth) in pairs.items()
    ]
    cases += [
        CoverageCase(
            f"js | {name} x Normal(0,1) vs N(0,I)",
            "js",
            2,
            drawn(product(law, normal), product(normal, normal)),
            cached("js_divergence", law, normal),
        )
        for name, law in named.items()
    ]
    cases += [
        CoverageCase(
            f"entropy | {name}^2",
            "entropy",
            2,
            drawn(product(law, law), None),
            constant(2.0 * entropies[name]),
        )
        for name, law in (("Laplace(0,1)", laplace), ("Cauchy(0,1)", cauchy))
    ]
    return cases  # fmt: skip


FAR = 2.0  #: the Gaussians' distance where KL = 2 is large: the k-NN KL's bias at its largest


def _far_gaussians() -> list[CoverageCase]:
    """The k-NN KL and JS between N(0, I) and N(mu, I), ``|mu| = FAR``, on the line and in the plane.

    KL = ``FAR^2 / 2`` = 2; JS is certified on the line (as in :func:`_gaussian_family`).
    """
    js = cached("js_divergence", dvc.Normal(0.0, 1.0), dvc.Normal(FAR, 1.0))
    cases = []
    for d in (1, 2):
        laws = f"N(0,I) vs N(mu,I), |mu|={FAR:g}, d={d}"
        draw = gaussians(d, FAR)
        cases += [
            CoverageCase(f"kl | {laws}", "kl", d, draw, lambda: 0.5 * FAR**2),
            CoverageCase(f"js | {laws}", "js", d, draw, js),
        ]
    return cases


def _normal_interval_family() -> list[CoverageCase]:
    """The asymptotic normal intervals: mmd_squared's (Gaussian kernel) and KID's (cubic)."""
    cases = [
        CoverageCase(
            f"mmd_squared | N(0,I) vs N(mu,I), |mu|={delta:g}, d={d}, bandwidth sqrt(d), normal",
            "mmd_squared",
            d,
            gaussians(d, delta),
            functools.partial(gaussian_mmd_squared, delta, d, math.sqrt(d)),
            {"bandwidth": math.sqrt(d), "interval": "normal"},
        )
        for d, delta in ((2, DELTA), (8, DELTA), (64, DELTA), (2, 0.0))
    ]
    kid = [(2, DELTA, 1.0), (2, 0.0, 1.5), (8, DELTA, 1.0)]
    kid += [(64, DELTA, 1.0), (64, 0.0, 1.5), (64, 0.0, 1.0), (2048, 4.0, 1.0)]
    return cases + [
        CoverageCase(
            f"kid | N(0,I) vs N(mu,{scale:g}^2 I), |mu|={delta:g}, d={d}", "kid", d,
            spread(d, delta, scale), functools.partial(kid_of_gaussians, delta, scale, d),
        )
        for d, delta, scale in kid
    ]  # fmt: skip


def _frechet_family() -> list[CoverageCase]:
    """FD of the Gaussian fits: a translate (FD = |mu|^2 = 1) and a covariance pair (FD = 1)."""
    cases = []
    for d in (1, 2, 8, 64, 256, 2048):
        stretched = np.ones(d)
        stretched[0] = 4.0
        cases += [
            CoverageCase(
                f"frechet | N(0,I) vs N(mu,I), |mu|={DELTA:g}, d={d}", "frechet", d,
                gaussians(d, DELTA), gaussian_fits(mean(d, DELTA), np.ones(d)),
            ),
            CoverageCase(
                f"frechet | N(0,I) vs N(0,diag(4,1,...,1)), d={d}", "frechet", d,
                scaled(d, 2.0), gaussian_fits(np.zeros(d), stretched),
            ),
        ]  # fmt: skip
    return cases


#: Every case of the family, the laws on the line first.
CASES: tuple[CoverageCase, ...] = tuple(
    _laws_on_the_line()
    + [c for d in DIMENSIONS for c in _gaussian_family(d)]
    + [c for d in (1, *DIMENSIONS) for c in _cube_family(d)]
    + _projected_family(64)
    + _heavy_tails()
    + _far_gaussians()
    + _normal_interval_family()
    + _frechet_family()
)

#: One case of each estimator, the cheapest to draw and to know the truth of: the short runs of
#: the coverage tests and of the coverage benchmark.
ONE_PER_ESTIMATOR: tuple[str, ...] = (
    "kl | N(0,I) vs N(mu,I), |mu|=1, d=2",
    "js | N(0,I) vs N(mu,I), |mu|=1, d=2",
    "entropy | N(0,I), d=2",
    "w1 | U[0,1]^2 vs its translate, |t|=0.5, diameter given",
    "w1_dkw | U[0,1]^1 vs its translate, |t|=0.5, diameter given",
    "w1_projected | N(0,I) vs N(mu,I), |mu|=1, d=2",
    "mmd_squared | N(0,I) vs N(mu,I), |mu|=1, d=2, bandwidth sqrt(d)",
    "kid | N(0,I) vs N(mu,1^2 I), |mu|=1, d=64",
    "js_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "tv_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "kl_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "frechet | N(0,I) vs N(mu,I), |mu|=1, d=64",
)
