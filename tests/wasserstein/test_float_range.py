r"""Every W1 method keeps its promises across the whole floating-point range, in every mode.

The problems (:func:`divergences.testing.float_range.w1_problems`) reach the ends of floating
point: subnormal coordinates, costs near overflow, binades 1e-300 and 1e300 in one problem, a far
point of tiny weight, duplicated points and exact zeros, float16 and bfloat16 input, in float32
and float64. The judge is :class:`divergences.testing.exact_w1.ExactW1`: the exact W1 of the
numbers as given, from an integer transport solve certified by its own duals and integer square
roots, no float solver. The promises checked (the table in ``docs/concepts/wasserstein.md``):

* **an answer or an honest stop**: eagerly a result or :class:`divergences.SolverError` (never
  a ``ValueError`` on valid input, never NaN); under ``jit`` and ``vmap`` a result, or NaN in
  ``value``, ``lower_bound`` and ``upper_bound`` together, which ``dv.checked`` raises as the
  ``SolverError`` (never a NaN beside finite bounds);
* **the interval holds W1**: ``lower_bound <= W1 <= upper_bound`` in real arithmetic, decided
  exactly (:meth:`ExactW1.compare` refines its enclosure until the float is outside it; the
  enclosure is ``2^-128`` wide relative, so one comparison almost always decides), and
  ``lower_bound <= value <= upper_bound``;
* **accuracy**: the interval is as narrow as the method says (:func:`_width_allowed`):
  ``"sinkhorn"`` and ``"sparse"`` within ``rtol`` of ``upper_bound``, the dense LP within a few
  ulps of the weighted cost scale ``S`` (:meth:`ExactW1.cost_scale`, at least W1: a far point
  of tiny weight adds its mass times its distance), each plus the rounding into the dtype;
* **the same answer in every mode**: ``jit`` and each element of a ``vmap`` batch of two (the
  problem and its mirror image ``(-x, -y)``, which has the same costs) give the eager bits (the
  host methods) or bounds within 64 ulps (``"sinkhorn"``'s batched program);
* **gradients finite wherever the value is** (``jax.grad`` of the value in the points and the
  given weights);
* for ``w1_dual``: its value within the method's accuracy of W1, and ``lipschitz_violation`` an
  upper bound on the exact violation of ``f`` as returned; ``kr_potential`` at the samples
  returns ``f`` within that violation, and ``dv.lipschitz_violation`` does not understate it,
  in every mode;
* for ``w1_1d`` (points on the line): relative accuracy for uniform weights, absolute for
  others (its CDF gaps are float sums), finite gradients.

Sizes are small (2 and 3 points, dimensions 1 and 2) so that each mode compiles a few programs.
``DIVERGENCES_FLOAT_RANGE_SCALE=20`` multiplies every example count by 20 (and draws every
size and dimension of the strategy): the long run of the family.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings

import divergences as dv
from divergences.testing.exact_w1 import ExactW1, exact_numbers, lipschitz_violation
from divergences.testing.float_range import W1Problem, w1_problems

SCALE = int(os.environ.get("DIVERGENCES_FLOAT_RANGE_SCALE", "1"))
SIZES, DIMS = ((2, 3), (1, 2)) if SCALE == 1 else ((1, 2, 3, 4), (1, 2, 3))
_EPS64 = float(np.finfo(np.float64).eps)


def examples(n: int) -> settings:
    """``n`` examples (times ``DIVERGENCES_FLOAT_RANGE_SCALE``), fewer under a smaller profile."""
    if SCALE == 1:
        return settings(max_examples=min(n, settings().max_examples))
    return settings(max_examples=n * SCALE)


# ------------------------------------------------------------------ the issue's examples


def _p(x, y, a=None, b=None, dtype=np.float64, kind="example") -> W1Problem:
    cast = (lambda t: None if t is None else np.asarray(t, dtype)) if dtype else np.asarray
    return W1Problem(cast(x), cast(y), cast(a), cast(b), kind)


def _uniform_cloud(seed: int, n: int, d: int, scale: float, dtype) -> np.ndarray:
    return (np.random.default_rng(seed).uniform(-1, 1, (n, d)) * scale).astype(dtype)


def _far_tiny(dtype, far: float, tiny: float) -> W1Problem:
    """Five points in the unit square (weights about 0.2), one far away with a tiny weight."""
    rng = np.random.default_rng(4)
    x = np.vstack([rng.uniform(size=(5, 2)), [[far, 0.0]]])
    a = np.append(np.full(5, (1 - tiny) / 5), tiny)
    b = rng.dirichlet(np.ones(8))
    return _p(x, rng.uniform(size=(8, 2)), a, b, dtype, "far_tiny")


def _repeated() -> np.ndarray:
    """Two points of the plane repeated, ``[z0, z1, z0, z1, z0]``."""
    z = np.array([[0.3, 1.7], [-2.0, 0.5]])
    return z[[0, 1, 0, 1, 0]]


#: One example of each class of broken promise the float-range family was built on.
ISSUE_EXAMPLES = {
    # 1. subnormal float32 coordinates, flushed to zero under jit
    "subnormal_f32": _p(
        [[1e-40, 0], [3e-40, 1e-39]], [[0, 1e-40], [7e-40, 7e-40]], dtype=np.float32
    ),
    # 2. Sinkhorn's exit for W1 = 0 taken at a relative gap of 1
    "tiny_scale_f32": _p(
        _uniform_cloud(0, 7, 2, 1e-36, np.float32), _uniform_cloud(1, 9, 2, 1e-36, np.float32)
    ),
    "mixed_binades": _p(
        [[1e300, 1e-300], [1e-300, 0.0], [0.0, 1e300]],
        [[1e300, 0.0], [0.0, 1.0], [1e-300, 1e300]],
    ),
    # 2 and 4: a far point (1e300, 0) of weight 1e-300; its float32 analogue
    "far_tiny_f64": _far_tiny(np.float64, 1e300, 1e-300),
    "far_tiny_f32": _far_tiny(np.float32, 1e30, 1e-38),
    # 3. NaN near overflow: 1-D in float64; float32 near 1e38 in 64 dimensions
    "overflow_1d": _p([0.0, 1e308], [-1e308, 0.0]),
    "overflow_f32_64d": _p(
        _uniform_cloud(2, 3, 64, 3e37, np.float32),
        _uniform_cloud(3, 2, 64, 3e37, np.float32),
        dtype=np.float32,
    ),
    # 5. float32 with a=None: the exact uniform measure, not float32(1/n)
    "uniform_f32": _p(
        _uniform_cloud(5, 3, 2, 1.0, np.float32),
        _uniform_cloud(6, 7, 2, 1.0, np.float32),
        dtype=np.float32,
    ),
    # 6. lipschitz_violation under jit at coordinate scale 1e-300
    "scale_1e-300": _p(
        _uniform_cloud(7, 3, 2, 1e-300, float), _uniform_cloud(8, 2, 2, 1e-300, float)
    ),
    # 7. w1_1d: 1e300 beside 1e-300, float32 subnormals
    "line_mixed": _p([1e300, 1e-300], [1e300, 0.0]),
    "line_subnormal_f32": _p([1e-40, 3e-39], [0.0, 2e-39], dtype=np.float32),
    # Past the largest float: inf, with a finite lower bound, in every mode
    "beyond_largest_float": _p([-1e308, 0.0], [1e308, 1.5e308]),
    # 8. issue 50: far points on both sides matched to each other, uniform weights: the dense
    # interval was [1/3, 4.4e284] (the weights' rounding charged at the largest cost)
    "far_matched": _p(
        [[1e300, 0], [1e-300, 0], [0, 2e-300]], [[1e-300, 1e-300], [1e300, 1.0], [3e-300, 0]]
    ),
    # 9. issue 50: equal measures with repeated points, not proved equal by Sinkhorn (PIVOT_CAP)
    "repeated_equal": _p(_repeated(), _repeated()),
    # 11. float16 on the line: XLA's conversion of float16 needs F16C, which a CPU may lack
    # (XLA_FLAGS=--xla_cpu_max_isa=SSE4_2): a compile error in every traced mode
    "float16_line": _p(
        [[0.5], [-1.25], [3.0]], [[2.0], [0.125]], [0.25, 0.25, 0.5], [0.75, 0.25], np.float16
    ),
}


#: 10. A subnormal potential (W1 = 1.2e-316): dv.lipschitz_violation read its numbers as 0 and
#: gave 0 under the true violation 2^-1074; w1_1d read the points as 0 and gave 0.
SUBNORMAL_POTENTIAL = _p(
    [[-1e-315], [-1e-315]], [[-8.82424306e-316], [-1e-316]], [1.0, 0.0], [1.0, 0.0], kind="scale"
)


def with_issue_examples(test: Callable) -> Callable:
    """Adds each issue example as an ``@example`` of a property over ``problem``."""
    for problem in ISSUE_EXAMPLES.values():
        test = example(problem=problem)(test)
    return test


# ------------------------------------------------------------------ the promises


def _dtype_of(p: W1Problem) -> np.dtype:
    """The dtype of the results: the input's (bfloat16 and float16 are computed in float32)."""
    return np.dtype(p.x.dtype)


def _eps(dtype: np.dtype) -> float:
    return float(jnp.finfo(dtype).eps)


def _smallest(dtype: np.dtype) -> float:
    return float(jnp.finfo(dtype).smallest_subnormal)


#: How wide each method's interval may be: ``rtol * upper_bound`` plus the dense LP's
#: ``K eps S``, with ``K = 64 (d + 8)`` (the certificate's cost rounding ``(d + 6) eps`` and a
#: dozen roundings of the dual sums; measured: at most 260 eps of W1 for d <= 3), 4 ulps of the
#: dtype (the outward rounding of each end), 2 subnormal steps, and the costs' absolute error
#: ``d 2^-530`` of the coordinates' power-of-two scale (1 where every point is 0), twice.
def _width_allowed(method: str, p: W1Problem, exact: ExactW1, hi: float) -> float:
    dtype = _dtype_of(p)
    d = p.x.shape[1] if p.x.ndim == 2 else 1
    scale = _float(exact.cost_scale())
    top = max(float(np.max(np.abs(t.astype(np.float64)))) for t in (p.x, p.y))
    floor = (64 * (d + 8) * _EPS64 + 4 * _eps(dtype)) * scale + 2 * _smallest(dtype)
    floor += math.ldexp(2 * d, (math.frexp(top)[1] if top > 0 else 0) - 530)
    rtol = {"sinkhorn": 1e-3, "sparse": 1e-9, "line": 1e-9}.get(method, 0.0)
    return rtol * abs(hi) + floor


def _float(t: Fraction) -> float:
    """A rational as a float, inf past the largest one."""
    try:
        return float(t)
    except OverflowError:
        return math.inf


def _exact_for(p: W1Problem, metric: str = "euclidean") -> ExactW1:
    return ExactW1(p.x, p.y, p.a, p.b, metric=metric)


def interval_faults(
    method: str, p: W1Problem, exact: ExactW1, value: Any, lo: Any, hi: Any
) -> list[str]:
    """What is wrong with one returned ``(value, lower_bound, upper_bound)``."""
    value, lo, hi = float(value), float(lo), float(hi)
    nans = [math.isnan(t) for t in (value, lo, hi)]
    if any(nans):
        return [] if all(nans) else ["NaN beside a finite bound"]  # all NaN: a stop (checked)
    faults = []
    if exact.compare(float(jnp.finfo(_dtype_of(p)).max)) < 0:  # W1 beyond the largest float
        if not (value == hi == math.inf and math.isfinite(lo) and exact.compare(lo) <= 0):
            faults.append("W1 beyond the largest float: not value = upper_bound = inf")
        return faults
    if exact.compare(lo) > 0:
        faults.append("lower_bound above W1")
    if exact.compare(hi) < 0:
        faults.append("upper_bound below W1")
    if not lo <= value <= hi:
        faults.append("value outside the interval")
    if math.isfinite(hi) and math.isfinite(lo) and hi - lo > _width_allowed(method, p, exact, hi):
        faults.append(f"interval wider than promised ({hi - lo:.3g})")
    if not math.isfinite(hi) or not math.isfinite(lo):
        faults.append("an infinite bound on a finite W1")
    return faults


def _describe(p: W1Problem, exact: ExactW1, got: Any) -> str:
    w = _float(exact.value())
    return f"{p.kind} {p.x.dtype} n={len(p.x)} m={len(p.y)}: W1 = {w!r}; got {got}"


_BOUNDS = ("value", "lower_bound", "upper_bound")


@functools.cache
def _primal(method: str) -> dict[str, Callable]:
    fn = functools.partial(dv.w1_primal, method=method)
    jitted = jax.jit(fn)
    return {"eager": fn, "jit": jitted, "vmap": jax.vmap(jitted), "checked": dv.checked(jitted)}


def _args(p: W1Problem) -> tuple:
    return (p.x, p.y, p.a, p.b)


def _batch(p: W1Problem) -> tuple:
    q = p.negated()
    return tuple(
        None if s is None else np.stack([s, t]) for s, t in zip(_args(p), _args(q), strict=True)
    )


def _triple(sol: Any, k: int | None = None) -> tuple[float, float, float]:
    vals = [np.asarray(getattr(sol, f)) for f in _BOUNDS]
    return tuple(float(v if k is None else v[k]) for v in vals)  # type: ignore[return-value]


def _stop_is_honest(run: dict[str, Callable], p: W1Problem) -> bool:
    """A NaN result under ``jit`` is a stop that ``dv.checked`` raises as a ``SolverError``."""
    try:
        run["checked"](*_args(p))
    except dv.SolverError:
        return True
    return False


def _finite_gradient_faults(f: Callable, p: W1Problem) -> list[str]:
    """``jax.grad`` of ``f(x, y, a, b)`` in the points and the given weights: finite."""
    argnums = tuple(k for k, t in enumerate(_args(p)) if t is not None)
    grads = jax.grad(f, argnums=argnums)(*_args(p))
    bad = [
        k
        for k, g in zip(argnums, grads, strict=True)
        if not np.all(np.isfinite(np.asarray(g, np.float64)))
    ]
    return [f"gradient not finite in argument {k}" for k in bad]


def _mirrored_eager(run: dict[str, Callable], p: W1Problem) -> tuple[float, float, float]:
    try:
        return _triple(run["eager"](*_args(p.negated())))
    except dv.SolverError:
        return (math.nan,) * 3


def _atoms(points: np.ndarray, weights: np.ndarray | None) -> list[tuple]:
    """The points of positive mass with their exact masses, sorted: equal lists, equal measures."""
    n = len(points)
    masses = [Fraction(1, n)] * n if weights is None else [Fraction(float(w)) for w in weights]
    rows = points.astype(np.float64).reshape(n, -1).tolist()
    return sorted((tuple(r), w) for r, w in zip(rows, masses, strict=True) if w > 0)


def _proved_equal(p: W1Problem) -> bool:
    """Whether the two measures are equal point for point, repeated points included."""
    return _atoms(p.x, p.a) == _atoms(p.y, p.b)


def _zero_faults(method: str, p: W1Problem, triples: dict[str, tuple]) -> list[str]:
    """Sinkhorn on measures equal from their bits: ``[0, 0]`` in every mode, never a stop."""
    if method != "sinkhorn" or not _proved_equal(p):
        return []
    return [
        f"{mode}: {t} on equal measures, not [0, 0]"
        for mode, t in triples.items()
        if t != (0.0,) * 3
    ]


def check_primal(method: str, p: W1Problem, *, modes=("eager", "jit", "vmap", "grad")) -> None:
    """Every promise of ``w1_primal(method=...)`` on ``p`` in ``modes``; one message for all faults."""
    exact = _exact_for(p)
    run = _primal(method)
    faults: list[str] = []
    try:
        eager = run["eager"](*_args(p))
    except dv.SolverError as stop:
        eager = None
        faults += _zero_faults(method, p, {"eager": (math.nan,) * 3})
        if "jit" in modes:
            jitted = _triple(run["jit"](*_args(p)))
            if not all(math.isnan(t) for t in jitted):
                faults.append(f"eager stops ({stop.status.name}) but jit returns {jitted}")
    except ValueError as exc:
        raise AssertionError(f"{_describe(p, exact, 'ValueError')}: {exc}") from None
    if eager is not None:
        want = eager_triple = _triple(eager)
        faults += [f"eager: {f}" for f in interval_faults(method, p, exact, *want)]
        if any(math.isnan(t) for t in want):
            faults.append("eager: NaN (eagerly a stop raises)")
        got = {}
        if "jit" in modes:
            got["jit"] = _triple(run["jit"](*_args(p)))
        if "vmap" in modes:
            sol = run["vmap"](*_batch(p))
            got |= {f"vmap[{k}]": _triple(sol, k) for k in range(2)}
        faults += _zero_faults(method, p, {"eager": eager_triple, **got})
        # The batch's second element is the mirror image, whose own eager call it must match.
        mirrored = _mirrored_eager(run, p)
        for mode, triple in got.items():
            want = mirrored if mode == "vmap[1]" else eager_triple
            faults += [f"{mode}: {f}" for f in interval_faults(method, p, exact, *triple)]
            if all(math.isnan(t) for t in triple):
                if not _stop_is_honest(run, p):
                    faults.append(f"{mode}: NaN that dv.checked does not raise")
                continue
            if method == "sinkhorn" and mode.startswith("vmap"):
                ulps = 64 * _eps(_dtype_of(p)) * max(abs(t) for t in want)
                same = all(abs(s - t) <= ulps for s, t in zip(triple[1:], want[1:], strict=True))
            else:
                same = all(
                    s == t or (math.isnan(s) and math.isnan(t))
                    for s, t in zip(triple, want, strict=True)
                )
            if not same:
                faults.append(f"{mode}: {triple} differs from eager {want}")
        if "grad" in modes and all(math.isfinite(t) for t in eager_triple):
            fn = functools.partial(dv.w1_primal, method=method)
            faults += _finite_gradient_faults(lambda *t: fn(*t).value, p)
    assert not faults, f"{method}: {_describe(p, exact, faults)}"


# ------------------------------------------------------------------ w1_primal


# Not "auto": it takes "dense" at these sizes on every backend (test_auto.py), the same problems.
PRIMAL_METHODS = [
    "dense",
    pytest.param("sparse", marks=pytest.mark.native),
    pytest.param("sinkhorn", marks=pytest.mark.slow),  # compiles a program per shape and mode
]


@pytest.mark.slow
@pytest.mark.parametrize("method", PRIMAL_METHODS)
@examples(4)
@given(problem=w1_problems(sizes=SIZES, dims=DIMS))
@example(problem=SUBNORMAL_POTENTIAL)
@with_issue_examples
def test_w1_primal_keeps_its_promises(method, problem):
    # Sinkhorn compiles a program per shape and mode (seconds each): here eagerly and under jit;
    # vmap's bits and finite gradients are test_certificates' and test_sinkhorn's.
    modes = ("eager", "jit") if method == "sinkhorn" else ("eager", "jit", "vmap", "grad")
    check_primal(method, problem, modes=modes)


@pytest.mark.slow
@examples(4)
@given(problem=w1_problems(sizes=SIZES, dims=(1,)))
def test_w1_primal_on_the_line_keeps_its_promises(problem):
    check_primal("line", problem)


# ------------------------------------------------------------------ w1_dual, kr_potential


@functools.cache
def _dual(method: str) -> dict[str, Callable]:
    fn = functools.partial(dv.w1_dual, method=method)
    jitted = jax.jit(fn)
    return {"eager": fn, "jit": jitted, "checked": dv.checked(jitted)}


def _dual_value_allowed(method: str, p: W1Problem, exact: ExactW1, violation: float) -> float:
    """How far ``w1_dual``'s value may be from W1 (the table in the docs)."""
    dtype = _dtype_of(p)
    mass = float(sum(exact.a))
    w = _float(exact.value())
    if method == "lp":  # HiGHS's feasibility tolerance, 1e-10 of the largest cost
        return (
            1e-10 * _float(exact.largest_cost()) * mass + 4 * _eps(dtype) * w + 2 * _smallest(dtype)
        )
    allowed = _width_allowed(method, p, exact, w)
    if method == "sinkhorn":  # the KR objective of its potential: above by the violation
        allowed += violation * 2 * mass
    return allowed


def dual_faults(method: str, p: W1Problem, exact: ExactW1, dual: Any, mode: str) -> list[str]:
    """What is wrong with one ``w1_dual`` result and its potential."""
    value = float(dual.value)
    f, z = np.asarray(dual.f), np.asarray(dual.points)
    reported = float(dual.lipschitz_violation)
    if math.isnan(value):
        if not (np.all(np.isnan(f)) or math.isnan(reported)):
            return ["NaN value beside a finite potential"]
        return [] if _stop_is_honest(_dual(method), p) else ["NaN that dv.checked does not raise"]
    faults = []
    if exact.compare(float(jnp.finfo(_dtype_of(p)).max)) < 0:  # W1 beyond the largest float
        return [] if value == math.inf else [f"value {value!r} where W1 exceeds the largest float"]
    if not (np.all(np.isfinite(f)) and math.isfinite(reported)):
        return ["a finite value with a potential or violation that is not finite"]
    true = lipschitz_violation(f, z)
    if Fraction(reported) < true.lower_bound:
        faults.append(
            f"lipschitz_violation {reported!r} below the true {float(true.lower_bound)!r}"
        )
    lower, upper = exact.enclosure()
    allowed = _dual_value_allowed(method, p, exact, reported)
    if not math.isfinite(value) or (
        math.isfinite(allowed)
        and not lower - Fraction(allowed) <= Fraction(value) <= upper + Fraction(allowed)
    ):
        faults.append(f"value {value!r} farther than {float(allowed):.3g} from W1")
    # The potential anywhere: at its samples it is f within the violation (and rounding).
    kp = np.asarray(dv.kr_potential(dual, z) if mode == "eager" else _kr_jit(dual, z), np.float64)
    slack = reported + 8 * _eps(_dtype_of(p)) * float(np.max(np.abs(f))) + 2 * _smallest(f.dtype)
    if not np.all(np.abs(kp - f.astype(np.float64)) <= slack):
        faults.append(f"kr_potential at the samples {kp} is not f {f} within {slack:.3g}")
    # The public check, a float computation, is the violation to a few ulps of the largest
    # value and cost, at every scale.
    checked = float(dv.lipschitz_violation(f, z) if mode == "eager" else _lv_jit(f, z))
    d = z.shape[1]
    with np.errstate(over="ignore"):
        span = float(np.max(np.abs(z.astype(np.float64)))) * 2 * d
    ulps = 8 * _eps(_dtype_of(p)) * max(float(np.max(np.abs(f))), span)
    if math.isfinite(ulps) and Fraction(checked) < true.lower_bound - Fraction(ulps):
        faults.append(
            f"dv.lipschitz_violation {checked!r} below the true {float(true.lower_bound)!r}"
        )
    return faults


_kr_jit = jax.jit(dv.kr_potential)
_lv_jit = jax.jit(dv.lipschitz_violation)


DUAL_METHODS = [
    "dense",
    pytest.param("sparse", marks=pytest.mark.native),
    "lp",
    pytest.param("sinkhorn", marks=pytest.mark.slow),
]


@pytest.mark.slow
@pytest.mark.parametrize("method", DUAL_METHODS)
@examples(3)
@given(problem=w1_problems(sizes=SIZES, dims=DIMS))
@example(problem=SUBNORMAL_POTENTIAL)
@with_issue_examples
def test_w1_dual_and_its_potential_keep_their_promises(method, problem):
    check_dual(method, problem)


@pytest.mark.slow
@examples(3)
@given(problem=w1_problems(sizes=SIZES, dims=(1,)))
def test_w1_dual_on_the_line_and_its_potential_keep_their_promises(problem):
    check_dual("line", problem)


def check_dual(method: str, problem: W1Problem) -> None:
    """Every promise of ``w1_dual(method=...)`` on ``problem``, eagerly and under jit."""
    exact = _exact_for(problem)
    faults = []
    run = _dual(method)
    try:
        eager = run["eager"](*_args(problem))
    except dv.SolverError:
        eager = None
    except ValueError as exc:
        raise AssertionError(f"{_describe(problem, exact, 'ValueError')}: {exc}") from None
    if eager is not None:
        faults += [f"eager: {t}" for t in dual_faults(method, problem, exact, eager, "eager")]
        if math.isnan(float(eager.value)):
            faults.append("eager: NaN (eagerly a stop raises)")
    jitted = run["jit"](*_args(problem))
    faults += [f"jit: {t}" for t in dual_faults(method, problem, exact, jitted, "jit")]
    assert not faults, f"{method}: {_describe(problem, exact, faults)}"


# ------------------------------------------------------------------ w1_1d


_w1_1d_jit = jax.jit(dv.w1_1d)


def line_faults(p: W1Problem, exact: ExactW1, got: float) -> list[str]:
    """``w1_1d``: relative accuracy for uniform weights, absolute (CDF sums) for others."""
    if math.isnan(got):
        return ["NaN"]
    dtype = _dtype_of(p)
    if exact.compare(float(jnp.finfo(dtype).max)) < 0:  # W1 beyond the largest float
        return [] if got == math.inf else [f"{got!r} where W1 exceeds the largest float"]
    n, m = len(p.x), len(p.y)
    rtol = 4 * (n + m + 2) * _eps(dtype)
    atol = 2 * _smallest(dtype)
    if p.a is not None or p.b is not None:
        pooled = exact_numbers(np.concatenate([p.x.astype(np.float64), p.y.astype(np.float64)]))
        atol += rtol * float(sum(exact.a)) * _float(max(pooled) - min(pooled))
    if not math.isfinite(got):
        return [f"{got!r} on a finite W1"]
    if not math.isfinite(atol):
        return []
    lower, upper = exact.enclosure()
    slack = Fraction(rtol) * upper + Fraction(atol)
    if not lower - slack <= Fraction(got) <= upper + slack:
        return [f"{got!r} farther than {float(slack):.3g} from W1"]
    return []


@pytest.mark.slow
@examples(6)
@given(problem=w1_problems(sizes=SIZES, dims=(1,)))
@with_issue_examples
@example(problem=SUBNORMAL_POTENTIAL)
def test_w1_1d_keeps_its_promises(problem):
    p = problem._replace(
        x=problem.x.reshape(len(problem.x), -1), y=problem.y.reshape(len(problem.y), -1)
    )
    if p.x.shape[1] != 1:
        return  # an issue example in the plane
    p = problem._replace(x=p.x[:, 0], y=p.y[:, 0])
    exact = _exact_for(p)
    faults = []
    eager = float(dv.w1_1d(*_args(p)))
    faults += [f"eager: {t}" for t in line_faults(p, exact, eager)]
    faults += [f"jit: {t}" for t in line_faults(p, exact, float(_w1_1d_jit(*_args(p))))]
    batched = jax.vmap(_w1_1d_jit)(*_batch(p))
    faults += [
        f"vmap[{k}]: {t}" for k in range(2) for t in line_faults(p, exact, float(batched[k]))
    ]
    if math.isfinite(eager):
        faults += _finite_gradient_faults(dv.w1_1d, p)
    assert not faults, _describe(p, exact, faults)
