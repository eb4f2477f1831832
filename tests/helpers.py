"""Small helpers shared by the test modules.

Fixed cases, an inequality up to rounding, mpmath references, and a count of the programs JAX
builds. Finite differences live in the harness (:mod:`divergences.testing.reference`).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest

from divergences.testing import tolerance

#: A fixed batch of pairs of length 4 that covers the hard cases row by row: interior, shared
#: zeros, p zero where q is positive, disjoint supports, identical, a point mass.
P_BATCH = np.array(
    [
        [0.1, 0.2, 0.3, 0.4],
        [0.5, 0.5, 0.0, 0.0],
        [0.0, 0.25, 0.25, 0.5],
        [0.5, 0.5, 0.0, 0.0],
        [0.2, 0.3, 0.0, 0.5],
        [1.0, 0.0, 0.0, 0.0],
    ]
)
Q_BATCH = np.array(
    [
        [0.25, 0.25, 0.25, 0.25],
        [0.3, 0.7, 0.0, 0.0],
        [0.1, 0.2, 0.3, 0.4],
        [0.0, 0.0, 0.4, 0.6],
        [0.2, 0.3, 0.0, 0.5],
        [0.7, 0.1, 0.1, 0.1],
    ]
)

#: Pairs where every divergence of the package is finite, with zero mass present: p has a zero
#: where q is positive, and both share a zero.
P_ZERO = np.array([0.5, 0.3, 0.0, 0.2, 0.0])
Q_ZERO = np.array([0.25, 0.25, 0.3, 0.2, 0.0])

#: An interior pair (all masses well inside (0, 1)), for finite differences.
P_IN = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
Q_IN = np.array([0.35, 0.15, 0.2, 0.2, 0.1])


def quick_only(values: Iterable[Any], quick: Callable[[Any], bool]) -> list[Any]:
    """``values`` for ``parametrize``, those ``quick`` rejects in the slow tier.

    A sweep over the generators (or metrics, laws, dtypes) whose members run one code path keeps
    its representatives in the quick tier and the rest in the slow tier, which CI also runs. Each
    value is one argument's.
    """
    return [v if quick(v) else pytest.param(v, marks=SLOW) for v in values]


SLOW = pytest.mark.slow

#: The estimates' coverage table, which the claims' tests read (``benchmarks/estimate_coverage.md``).
COVERAGE_TABLE = Path(__file__).resolve().parents[1] / "benchmarks" / "estimate_coverage.md"


def assert_leq(a: float, b: float, kind: str = "float64") -> None:
    """Asserts ``a <= b`` up to the tolerance of ``kind`` (an inequality in floating point)."""
    tol = tolerance(kind)
    assert a <= b or a <= b + tol["atol"] + tol["rtol"] * abs(b), f"{a!r} > {b!r}"


# mpmath references for relative accuracy: every mass is converted exactly (a float is a dyadic
# rational) and the sums are carried with 200 bits, so the reference is exact to far below an ulp.
_MP_BITS = 200
# The references built on marginals, which are sums of masses spanning up to 2^2098 (1e-308 beside
# 1, as pmf strategies draw): 200 bits round 0.5 + 5e-49 at its 60th digit, and a conditional
# entropy or a mutual information that such a mass carries was then the reference's rounding.
# With 2400 bits every sum of doubles is exact and the differences after it keep hundreds of digits.
_MP_EXACT_BITS = 2400


def _mp(x: float) -> object:
    import mpmath

    return mpmath.mpf(float(x))


def mp_kl(p: np.ndarray, q: np.ndarray) -> float:
    """Sum p log(p/q) - p + q (KL for masses with equal totals), to 200 bits; inf where q = 0 < p."""
    import mpmath

    with mpmath.workprec(_MP_BITS):
        total = mpmath.mpf(0)
        for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist(), strict=True):
            if a > 0 and b == 0:
                return math.inf
            if a > 0:
                total += _mp(a) * mpmath.log(_mp(a) / _mp(b)) - _mp(a) + _mp(b)
            else:
                total += _mp(b)
        return float(total)


def mp_js(p: np.ndarray, q: np.ndarray) -> float:
    """JS(p || q) = 1/2 sum p log(2p/(p+q)) + q log(2q/(p+q)), to 200 bits."""
    import mpmath

    with mpmath.workprec(_MP_BITS):
        total = mpmath.mpf(0)
        for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist(), strict=True):
            s = _mp(a) + _mp(b)
            for x in (a, b):
                if x > 0:
                    total += _mp(x) * mpmath.log(2 * _mp(x) / s)
        return float(total / 2)


def mp_gan_value(p: np.ndarray, q: np.ndarray, *, centred: bool = False) -> float:
    """V(G, D*) = sum p log(p/s) + q log(q/s), s = p + q, of the masses as given, to 2400 bits.

    With ``centred``, ``-log 4 + sum p log(2p/s) + q log(2q/s)`` instead (``-log 4 + 2 JS``): the
    same number where each pmf sums to 1 exactly, and off it by ``log 2 (sum p + sum q - 2)``.
    2400 bits: near disjoint supports a mass of 1e-300 beside 1 decides the value.
    """
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        total = -mpmath.log(4) if centred else mpmath.mpf(0)
        for a, b in _mp_pairs(p, q):
            total += sum(
                x * mpmath.log((2 if centred else 1) * x / (a + b)) for x in (a, b) if x > 0
            )
        return float(total)


def mp_cross_entropy(p: np.ndarray, q: np.ndarray) -> float:
    """-sum p log q, to 200 bits; inf where q = 0 < p."""
    import mpmath

    with mpmath.workprec(_MP_BITS):
        total = mpmath.mpf(0)
        for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist(), strict=True):
            if a > 0 and b == 0:
                return math.inf
            if a > 0:
                total -= _mp(a) * mpmath.log(_mp(b))
        return float(total)


def mp_entropy(p: np.ndarray) -> float:
    """-sum p log p, to 200 bits."""
    return mp_cross_entropy(p, p)


def mp_mutual_information(joint: np.ndarray) -> float:
    """Sum P(i,j) log(P(i,j) / (P(i) P(j))) - P(i,j) + P(i) P(j), with the marginals exact."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        j = [[_mp(x) for x in row] for row in np.asarray(joint).tolist()]
        rows = [mpmath.fsum(r) for r in j]
        cols = [mpmath.fsum(c) for c in zip(*j, strict=True)]
        total = mpmath.mpf(0)
        for r, row in zip(rows, j, strict=True):
            for c, x in zip(cols, row, strict=True):
                total += r * c if x == 0 else x * mpmath.log(x / (r * c)) - x + r * c
        return float(total)


def mp_conditional_entropy(joint: np.ndarray) -> float:
    """Sum P(i,j) log(P(j) / P(i,j)) over the entries with mass, with the marginals exact."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        j = [[_mp(x) for x in row] for row in np.asarray(joint).tolist()]
        cols = [mpmath.fsum(c) for c in zip(*j, strict=True)]
        terms = [x * mpmath.log(c / x) for row in j for c, x in zip(cols, row, strict=True) if x]
        return float(mpmath.fsum(terms))


def _mp_pairs(p: np.ndarray, q: np.ndarray) -> list[tuple[Any, Any]]:
    return [
        (_mp(a), _mp(b)) for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist(), strict=True)
    ]


def mp_total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Sum |p - q| / 2, exactly (the differences of doubles at 2400 bits)."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        return float(mpmath.fsum(abs(a - b) for a, b in _mp_pairs(p, q)) / 2)


def mp_hellinger(p: np.ndarray, q: np.ndarray, *, squared: bool = False) -> float:
    """H = sqrt(sum (sqrt p - sqrt q)^2 / 2) (or H^2), to 2400 bits, the root taken exactly."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        terms = [(mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 for a, b in _mp_pairs(p, q)]
        h2 = mpmath.fsum(terms) / 2
        return float(h2 if squared else mpmath.sqrt(h2))


def mp_js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """sqrt(JS(p || q)), to 2400 bits, the root taken exactly (JS may be below the doubles' range)."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        total = mpmath.mpf(0)
        for a, b in _mp_pairs(p, q):
            total += sum(x * mpmath.log(2 * x / (a + b)) for x in (a, b) if x > 0)
        return float(mpmath.sqrt(total / 2))


def mp_chi_square(p: np.ndarray, q: np.ndarray) -> float:
    """Sum (p - q)^2 / q over q > 0, to 2400 bits; inf where q = 0 < p."""
    import mpmath

    with mpmath.workprec(_MP_EXACT_BITS):
        pairs = _mp_pairs(p, q)
        if any(b == 0 < a for a, b in pairs):
            return math.inf
        return float(mpmath.fsum((a - b) ** 2 / b for a, b in pairs if b > 0))


def relative_error(value: float, reference: float) -> float:
    """|value - reference| / |reference|; 0 where both are equal (inf included)."""
    if value == reference:
        return 0.0
    return abs(value - reference) / abs(reference)


#: The event JAX records each time it lowers a program for XLA: once per program it builds,
#: whether XLA then compiles it or the persistent cache has it (one per operation run on its own).
_LOWERED = "/jax/core/compile/jaxpr_to_mlir_module_duration"


def programs_built(fn: Callable[..., Any], *args: Any) -> int:
    """How many programs JAX lowers while ``fn(*args)`` runs: 0 when all it needs is in memory.

    Lowering is to compile, or to fetch from the persistent cache.
    """
    lowered: list[str] = []

    def listener(event: str, duration: float, **kwargs: Any) -> None:
        if event == _LOWERED:
            lowered.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        jax.block_until_ready(fn(*args))
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return len(lowered)


def run_without_f16c(code: str) -> subprocess.CompletedProcess:
    """``code`` run by this Python in a fresh process whose XLA may not use F16C (SSE4_2 at most).

    On the CPU only, with the repository root importable (for ``tests.*``): how a machine without
    the float16 conversion instructions runs the library.
    """
    env = dict(os.environ)
    env["XLA_FLAGS"] = ("--xla_cpu_max_isa=SSE4_2 " + env.get("XLA_FLAGS", "")).strip()
    env["JAX_PLATFORMS"] = "cpu"
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
