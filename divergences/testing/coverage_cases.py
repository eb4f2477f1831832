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

import jax
import numpy as np
from scipy.special import expit, ndtr

from divergences import continuous as dvc
from divergences import estimate as dve
from divergences.testing.coverage import Coverage, coverage_verdict, measure_coverage

__all__ = [
    "CASES",
    "ONE_PER_ESTIMATOR",
    "CaseResult",
    "CoverageCase",
    "gaussian_mmd_squared",
    "run_case",
]

Draw = Callable[[jax.Array, int], tuple[np.ndarray, ...]]


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
    """A case's measured coverage, the estimates' kind and level, and the verdict."""

    case: str
    n: int
    d: int
    kind: str
    level: float
    coverage: Coverage
    verdict: str


def gaussian_mmd_squared(delta: float, d: int, bandwidth: float) -> float:
    """MMD^2 of N(0, I_d) and N(mu, I_d), ``|mu| = delta``, Gaussian kernel of ``bandwidth``."""
    s2 = bandwidth * bandwidth
    return -2.0 * (s2 / (s2 + 2.0)) ** (d / 2.0) * math.expm1(-(delta**2) / (2.0 * (s2 + 2.0)))


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
    kinds: set[str] = set()

    def estimator(*samples: Any) -> dve.Estimate:
        extra = () if case.discriminator is None else (case.discriminator,)
        estimate = function(*samples, *extra, level=level, **case.options)
        kinds.add(estimate.kind)
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
    (kind,) = kinds  # one estimator, one kind of interval
    verdict = coverage_verdict(coverage, level=level, kind=kind)
    return CaseResult(case.name, n, case.d, kind, level, coverage, verdict)


# --- draws ------------------------------------------------------------------------------------


def _line(p: dvc.Law, q: dvc.Law | None) -> Draw:
    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(p.sample(kx, (n,)))
        return (x,) if q is None else (x, np.asarray(q.sample(ky, (n,))))

    return draw


def _mean(d: int, delta: float) -> np.ndarray:
    return np.full(d, delta / math.sqrt(d))


def _gaussians(d: int, delta: float, one: bool = False) -> Draw:
    mu = _mean(d, delta)

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(jax.random.normal(kx, (n, d)))
        return (x,) if one else (x, np.asarray(jax.random.normal(ky, (n, d))) + mu)

    return draw


def _scaled(d: int, scale: float) -> Draw:
    """``N(0, I_d)`` against the law of ``(scale Z_1, Z_2, ..., Z_d)``: a covariance apart."""

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        y = np.array(jax.random.normal(ky, (n, d)))
        y[:, 0] *= scale
        return np.asarray(jax.random.normal(kx, (n, d))), y

    return draw


def _cubes(d: int, shift: float) -> Draw:
    t = _mean(d, shift)

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(jax.random.uniform(kx, (n, d)))
        return x, np.asarray(jax.random.uniform(ky, (n, d))) + t

    return draw


# --- discriminators and truths ----------------------------------------------------------------


def _line_discriminator(p: dvc.Law, q: dvc.Law) -> Callable[[Any], np.ndarray]:
    return lambda z: expit(np.asarray(p.log_prob(z)) - np.asarray(q.log_prob(z)))


def _gaussian_discriminator(d: int, delta: float) -> Callable[[Any], np.ndarray]:
    mu = _mean(d, delta)
    return lambda z: expit(0.5 * delta * delta - np.asarray(z) @ mu)


def _cached(quantity: str, p: dvc.Law, q: dvc.Law) -> Callable[[], Any]:
    """The certified enclosure of ``quantity`` between ``p`` and ``q``, computed on first use."""
    return functools.cache(lambda: getattr(dvc.certified, quantity)(p, q))


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
            CoverageCase(f"kl | {laws}", "kl", 1, _line(p, q), _cached("kl", p, q)),
            CoverageCase(f"js | {laws}", "js", 1, _line(p, q), _cached("js_divergence", p, q)),
        ]
    p, q = pairs["Normal(0,1) vs Laplace(0.5,1)"]
    held = {"js": "js_divergence", "tv": "total_variation", "kl": "kl"}
    cases += [
        CoverageCase(
            f"{short}_from_discriminator | Normal(0,1) vs Laplace(0.5,1), D*",
            f"{short}_from_discriminator",
            1,
            _line(p, q),
            _cached(quantity, p, q),
            discriminator=_line_discriminator(p, q),
        )
        for short, quantity in held.items()
    ]
    beta, uniform = dvc.Beta(2.0, 2.0), dvc.Uniform(0.0, 1.0)
    cases += [
        CoverageCase(
            f"{name} | Beta(2,2) vs Uniform(0,1), diameter 1",
            name,
            1,
            _line(beta, uniform),
            lambda: 1.0 / 16.0,
            {"diameter": 1.0},
        )
        for name in ("w1", "w1_dkw")
    ]
    cases.append(
        CoverageCase(
            "w1 | Normal(0,1) vs Laplace(0.5,1)", "w1", 1, _line(p, q), _cached("w1", p, q)
        )
    )
    entropy = 0.5 * math.log(2.0 * math.pi * math.e)
    cases.append(
        CoverageCase("entropy | Normal(0,1)", "entropy", 1, _line(normal, None), lambda: entropy)
    )
    return cases


def _gaussian_family(d: int) -> list[CoverageCase]:
    laws = f"N(0,I) vs N(mu,I), |mu|={DELTA:g}, d={d}"
    draw = _gaussians(d, DELTA)
    js = _cached("js_divergence", dvc.Normal(0.0, 1.0), dvc.Normal(DELTA, 1.0))
    kl, tv = 0.5 * DELTA**2, 2.0 * float(ndtr(DELTA / 2.0)) - 1.0
    witness = _gaussian_discriminator(d, DELTA)
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
            _gaussians(d, DELTA, one=True),
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
            _cubes(d, SHIFT),
            lambda: SHIFT,
            {"diameter": diameter},
        )
        for name in names
    ]


def _projected_family(d: int) -> list[CoverageCase]:
    """The projected W1 bound where the truth is 0 and where the laws differ by covariance."""
    return [
        CoverageCase(
            f"w1_projected | N(0,I) vs N(0,I), d={d}", "w1_projected", d, _gaussians(d, 0.0),
            lambda: 0.0,
        ),
        CoverageCase(
            f"w1_projected | N(0,I) vs N(0,diag(4,1,...,1)), d={d}", "w1_projected", d,
            _scaled(d, 2.0), lambda: math.sqrt(2.0 / math.pi),
        ),
    ]  # fmt: skip


def _gaussian_fits(mean: np.ndarray, cov_diag: np.ndarray) -> Callable[[], Any]:
    """FD between N(0, I) and N(mean, diag(cov_diag)), by :func:`divergences.frechet_distance`.

    Both laws are products over the coordinates, and FD (W2 squared) of products is the sum of
    the coordinates': ``d`` Gaussians on the line in one batched call, no d x d square root.
    """

    def truth() -> float:
        from divergences import frechet_distance

        d = mean.shape[0]
        ones = np.ones((d, 1, 1))
        each = frechet_distance(np.zeros((d, 1)), ones, mean[:, None], cov_diag[:, None, None])
        return math.fsum(np.asarray(each, dtype=np.float64).tolist())

    return functools.cache(truth)


def _frechet_family() -> list[CoverageCase]:
    """FD of the Gaussian fits: a translate (FD = |mu|^2 = 1) and a covariance pair (FD = 1)."""
    cases = []
    for d in (64, 256, 2048):
        stretched = np.ones(d)
        stretched[0] = 4.0
        cases += [
            CoverageCase(
                f"frechet | N(0,I) vs N(mu,I), |mu|={DELTA:g}, d={d}", "frechet", d,
                _gaussians(d, DELTA), _gaussian_fits(_mean(d, DELTA), np.ones(d)),
            ),
            CoverageCase(
                f"frechet | N(0,I) vs N(0,diag(4,1,...,1)), d={d}", "frechet", d,
                _scaled(d, 2.0), _gaussian_fits(np.zeros(d), stretched),
            ),
        ]  # fmt: skip
    return cases


#: Every case of the family, the laws on the line first.
CASES: tuple[CoverageCase, ...] = tuple(
    _laws_on_the_line()
    + [c for d in DIMENSIONS for c in _gaussian_family(d)]
    + [c for d in (1, *DIMENSIONS) for c in _cube_family(d)]
    + _projected_family(64)
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
    "js_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "tv_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "kl_from_discriminator | N(0,I) vs N(mu,I), |mu|=1, d=2, D*",
    "frechet | N(0,I) vs N(mu,I), |mu|=1, d=64",
)
