r"""W1's certificates hold in real arithmetic, in every dtype and mode.

``lower_bound <= W1 <= upper_bound`` for the exact W1 of the points and weights as given, in every
dtype and mode (plain, ``jit``, ``vmap``), never crossed, with the same bits in every mode where
they are computed on the host (the device solver's: to a few ulps); and the
dual's ``lipschitz_violation`` bounds the true violation of the potential it returns.

The exact W1 is enclosed independently of the package's solvers. POT's network simplex solves
the float64 cost matrix (scaled by a power of two into [0.5, 1), exactly); with dyadic weights
(``k / 1024``) the plan's masses are dyadic, so that it is checked to be an exact coupling with
rational arithmetic. Then, in ball arithmetic (python-flint's ``arb`` at 256 bits, every
distance a rigorous enclosure of the real one):

* ``U = sum_ij P_ij ||x_i - y_j||`` (upper end) bounds W1 above: P is feasible;
* ``L = sum_i a_i u'_i + sum_j b_j v_j`` (lower end) bounds it below for any ``v``, where
  ``u'_i = min_j ||x_i - y_j|| - v_j`` is its exact c-transform (lower ends): the pair is
  feasible. ``v`` is POT's column dual made exact on a basis tree of the plan (``u_i + v_j`` equal
  to the real distance on its arcs, to 256 bits), so that ``L = U`` where the plan is optimal.

``U - L`` is checked to be below 1e-18 relative, so the enclosure decides. A returned interval
``[lo, hi]`` *misses* when ``hi < L`` or ``lo > U`` (it then excludes W1), and is *crossed* when
``lo > hi``. float32 problems are generated in float32 and solved as the same numbers in float64,
so one enclosure serves both dtypes.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import NamedTuple

import jax
import numpy as np
import ot
import pytest
from flint import arb, ctx
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.extending import Interval
from divergences.wasserstein._src.results import Status

#: Working precision of the enclosures, in bits (77 digits): the coordinates' differences and
#: their squares are exact at the scales drawn here; the square roots are rounded outward.
PRECISION = 256
#: How wide an enclosure may be, relative to W1: far below float64's half ulp (1.1e-16), so that
#: it decides whether any float64 interval holds W1 (measured: 1e-75, the plans proved optimal).
ENCLOSURE_RTOL = 1e-18
#: Weights are ``k / DENOMINATOR`` with integers ``k`` summing to it: exact in both dtypes.
DENOMINATOR = 1024
DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]

_w1_jit = jax.jit(dv.w1_primal)
_w1_vmap = jax.vmap(dv.w1_primal)


# ------------------------------------------------------------------ exact arithmetic


def _exact(t: float) -> arb:
    """A float32 or float64 number as an exact ball (a point)."""
    ball = arb(float(t))  # float32 -> Python float is exact
    assert ball.is_exact()
    return ball


def _distance(p: Sequence[arb], q: Sequence[arb]) -> arb:
    """A ball holding the real Euclidean distance between two points of exact coordinates."""
    return sum(((pi - qi) ** 2 for pi, qi in zip(p, q, strict=True)), arb(0)).sqrt()


def _exact_points(z: np.ndarray) -> list[list[arb]]:
    return [[_exact(c) for c in point] for point in np.asarray(z).reshape(len(z), -1)]


def _pot_solve(a: np.ndarray, b: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, ...]:
    """POT's plan and duals, solved on the costs scaled by a power of two into [0.5, 1).

    The scaling makes the simplex's absolute tolerances act at the problem's scale; ``u, v`` are
    scaled back.
    """
    k = int(np.frexp(cost.max())[1]) if cost.max() > 0 else 0
    plan, log = ot.emd(a, b, np.ldexp(cost, -k), numItermax=10**7, log=True)
    assert log["result_code"] == 1, log["warning"]
    return plan, np.ldexp(log["u"], k), np.ldexp(log["v"], k)


def _assert_exact_coupling(plan: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    assert plan.min() >= 0.0
    rows, cols = np.nonzero(plan)
    row_sums = [Fraction(0)] * len(a)
    col_sums = [Fraction(0)] * len(b)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        mass = Fraction(float(plan[i, j]))
        row_sums[i] += mass
        col_sums[j] += mass
    assert row_sums == [Fraction(float(t)) for t in a]
    assert col_sums == [Fraction(float(t)) for t in b]


def _spanning_tree(plan: np.ndarray, slack: np.ndarray) -> list[tuple[int, int]]:
    """A spanning tree of the bipartite graph holding the plan's support.

    Rows are nodes 0..n-1, columns n..n+m-1. The support (a forest, as a basic solution's) is
    completed by the arcs of least ``|slack|``: the zero-mass arcs of the simplex's basis, where the
    plan is degenerate (Kruskal's order).
    """
    n, m = plan.shape
    parent = list(range(n + m))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    key = np.where(plan > 0, -1.0, np.abs(slack)).ravel()
    tree = []
    for flat in np.argsort(key, kind="stable").tolist():
        i, j = divmod(flat, m)
        ri, rj = root(i), root(n + j)
        if ri != rj:
            parent[ri] = rj
            tree.append((i, j))
            if len(tree) == n + m - 1:
                break
    return tree


def _basis_duals(
    plan: np.ndarray, dist: list[list[arb]], u: np.ndarray, v: np.ndarray
) -> list[arb]:
    """Column duals with ``u_i + v_j = ||x_i - y_j||`` to 256 bits on a basis tree of the plan.

    They are anchored at POT's ``v_0`` and rounded to exact points.

    POT's own ``v`` carries float64 rounding summed along its tree, which its c-transform turns
    into a gap of ~1e-14 relative; duals exact on the basis give ``L = U`` to 256 bits where the
    plan is optimal for the real costs, so that a float64 result an ulp outside is caught. Any
    ``v`` gives a rigorous ``L``: this only makes it tighter.
    """
    n, m = plan.shape
    slack = np.array([[float(d.mid()) for d in row] for row in dist]) - u[:, None] - v[None, :]
    arcs: list[list[tuple[int, int]]] = [[] for _ in range(n + m)]
    for i, j in _spanning_tree(plan, slack):
        arcs[i].append((i, j))
        arcs[n + j].append((i, j))
    duals: list[arb | None] = [None] * (n + m)  # u_0..u_{n-1}, v_0..v_{m-1}
    duals[n] = _exact(v[0])
    stack = [n]
    while stack:
        k = stack.pop()
        for i, j in arcs[k]:
            other = n + j if k == i else i
            if duals[other] is None:
                duals[other] = (dist[i][j] - duals[k]).mid()
                stack.append(other)
    return duals[n:]


def enclose_w1(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> Interval:
    """Encloses the exact Euclidean W1 of the measures as given (float32 or float64 numbers).

    For dyadic weights that sum to exactly 1.
    """
    x, y = (np.asarray(t, np.float64).reshape(len(t), -1) for t in (x, y))  # exact casts
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert math.fsum(a) == 1.0 and math.fsum(b) == 1.0
    plan, u, v = _pot_solve(a, b, cdist(x, y))
    _assert_exact_coupling(plan, a, b)
    with ctx.workprec(PRECISION):
        xs, ys = _exact_points(x), _exact_points(y)
        dist = [[_distance(p, q) for q in ys] for p in xs]
        vs = _basis_duals(plan, dist, u, v)
        upper = sum(
            (_exact(plan[i, j]) * dist[i][j] for i, j in zip(*np.nonzero(plan), strict=True)),
            arb(0),
        ).upper()
        # The c-transform's lower ends: u'_i >= them, and (them, v) is still feasible.
        us = [min((d - vj).lower() for d, vj in zip(row, vs, strict=True)) for row in dist]
        lower = sum(
            (_exact(w) * t for w, t in zip([*a, *b], [*us, *vs], strict=True)), arb(0)
        ).lower()
        assert upper >= lower
        assert upper - lower <= ENCLOSURE_RTOL * upper, (lower, upper)
    return Interval(lower, upper)


def _faults(lo: float, value: float, hi: float, exact: Interval) -> list[str]:
    """What is wrong with a returned value and interval ``[lo, hi]``, against the enclosure."""
    lo, value, hi = float(lo), float(value), float(hi)
    if not all(math.isfinite(t) for t in (lo, value, hi)):
        return ["not finite"]
    faults = []
    if _exact(hi) < exact.lower_bound or _exact(lo) > exact.upper_bound:
        faults.append("misses")
    if lo > hi:
        faults.append("crossed")
    if not lo <= value <= hi:
        faults.append("value outside")
    return faults


def _assert_certified(results, exact: Sequence[Interval], labels: Sequence[str]) -> None:
    """Counts the faults of ``results`` over the problems.

    ``results``: (value, lower_bound, upper_bound) arrays, one entry per problem. The message shows
    the counts and the first failing case.
    """
    values, los, his = (np.asarray(t).reshape(-1) for t in results)
    counts: Counter[str] = Counter()
    first = None
    for k, enclosure in enumerate(exact):
        faults = _faults(los[k], values[k], his[k], enclosure)
        counts.update(faults)
        if faults and first is None:
            first = (
                f"{labels[k]}: {faults}: lo={los[k]!r} value={values[k]!r} hi={his[k]!r}, "
                f"exact W1 in [{enclosure.lower_bound.str(20)}, {enclosure.upper_bound.str(20)}]"
            )
    assert not counts, f"{dict(counts)} of {len(exact)} problems; first: {first}"


# ------------------------------------------------------------------ problems


def _dyadic_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Positive weights ``k_i / 1024``, integers ``k_i`` summing to 1024."""
    k = 1 + rng.multinomial(DENOMINATOR - n, rng.dirichlet(np.ones(n)))
    return (k / DENOMINATOR).astype(np.float32)


class Problems(NamedTuple):
    """A batch of problems of one shape, in float32 (exactly the same numbers in float64)."""

    x: np.ndarray
    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    labels: list[str]
    exact: list[Interval]

    def cast(self, dtype: type) -> tuple[np.ndarray, ...]:
        return tuple(t.astype(dtype) for t in (self.x, self.y, self.a, self.b))


def _problems(seed: int, n: int, m: int, d: int, scales: Sequence[float]) -> Problems:
    rng = np.random.default_rng(seed)
    xs, ys, as_, bs = [], [], [], []
    for s in scales:
        xs.append((rng.uniform(size=(n, d)) * s).astype(np.float32))
        ys.append((rng.uniform(size=(m, d)) * s).astype(np.float32))
        as_.append(_dyadic_weights(rng, n))
        bs.append(_dyadic_weights(rng, m))
    exact = [enclose_w1(*p) for p in zip(xs, ys, as_, bs, strict=True)]
    labels = [f"problem {k} (scale {s:.3g})" for k, s in enumerate(scales)]
    return Problems(np.stack(xs), np.stack(ys), np.stack(as_), np.stack(bs), labels, exact)


@functools.cache
def _scenario(name: str) -> Problems:
    """The reported scenario and a sweep of the scales 1e-12 ... 1e12.

    The reported scenario: 40 problems of 9 and 13 points in 2-D, each at a coordinate scale drawn
    log-uniformly in [1e-4, 1e4].
    """
    if name == "reported":
        scales = 10.0 ** np.random.default_rng(2024).uniform(-4.0, 4.0, size=40)
    else:
        scales = 10.0 ** np.arange(-12, 13, dtype=np.float64)
    return _problems(seed=7 if name == "reported" else 8, n=9, m=13, d=2, scales=scales)


_BOUNDS = ("value", "lower_bound", "upper_bound")


def _each(fn: Callable, problems: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """(value, lower_bound, upper_bound) of ``fn`` called on each problem in turn."""
    sols = [fn(*p) for p in zip(*problems, strict=True)]
    return tuple(np.stack([np.asarray(getattr(s, f)) for s in sols]) for f in _BOUNDS)


def _solve(mode: str, problems: tuple[np.ndarray, ...], **options) -> tuple[np.ndarray, ...]:
    """(value, lower_bound, upper_bound) for each problem of the batch, in ``mode``."""
    fn = functools.partial(dv.w1_primal, **options) if options else dv.w1_primal
    if mode == "eager":
        return _each(fn, problems)
    if mode == "jit":
        return _each(jax.jit(fn) if options else _w1_jit, problems)
    sol = (jax.vmap(fn) if options else _w1_vmap)(*problems)
    return tuple(np.asarray(getattr(sol, f)) for f in _BOUNDS)


# ------------------------------------------------------------------ the bounds hold


#: The methods of every dtype and mode: the default (the dense LP on a CPU) and the device
#: solver (certified to its default rtol, 1e-3: a wide interval that must still hold W1).
METHODS = [{}, pytest.param({"method": "sinkhorn"}, marks=pytest.mark.slow)]  # 1-12 s each
METHOD_IDS = ["auto", "sinkhorn"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("scenario", ["reported", "scale_sweep"])
@pytest.mark.parametrize("options", METHODS, ids=METHOD_IDS)
def test_bounds_enclose_the_exact_w1(options, scenario, dtype, mode):
    problems = _scenario(scenario)
    results = _solve(mode, problems.cast(dtype), **options)
    assert all(t.dtype == dtype for t in results)
    _assert_certified(results, problems.exact, problems.labels)


@functools.cache
def _sparse_problems() -> list[Problems]:
    """Two shapes of 30 to 200 points a side, three coordinate scales each."""
    scales = (1e-4, 1.0, 1e4)
    return [_problems(9, 30, 45, 2, scales), _problems(10, 200, 150, 2, scales)]


@pytest.mark.slow
@pytest.mark.native
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_sparse_bounds_enclose_the_exact_w1(dtype, mode):
    for problems in _sparse_problems():
        results = _solve(mode, problems.cast(dtype), method="sparse")
        _assert_certified(results, problems.exact, problems.labels)


# ------------------------------------------------------------------ the same bits in every mode

#: (n, m, d) of the drawn problems: a few shapes, so that jit and vmap compile a few times.
SHAPES = ((1, 1, 1), (1, 4, 2), (3, 8, 2), (8, 5, 3), (6, 6, 1))
#: The device solver's programs take a second or two each to compile, three modes a shape: it
#: draws from the single point, a wide and a tall problem in 1-D, 2-D and 3-D.
SINKHORN_SHAPES = ((1, 1, 1), (3, 8, 2), (8, 5, 3))
_coordinate = st.one_of(
    st.sampled_from([-1.0, 0.0, 0.5, 3.0]),
    st.floats(-1e3, 1e3, width=32, allow_subnormal=False).map(lambda t: t if abs(t) > 1e-6 else 0),
)


@st.composite
def _dyadic_problems(
    draw: st.DrawFn, shapes: Sequence[tuple[int, int, int]] = SHAPES
) -> tuple[np.ndarray, ...]:
    """Points exact in float32, weights ``k / 1024`` (zeros included) summing to exactly 1."""
    n, m, d = draw(st.sampled_from(shapes))

    def cloud(k):
        return np.asarray(draw(st.lists(_coordinate, min_size=k * d, max_size=k * d))).reshape(k, d)

    def weights(k):
        cuts = sorted(draw(st.lists(st.integers(0, DENOMINATOR), min_size=k - 1, max_size=k - 1)))
        return np.diff([0, *cuts, DENOMINATOR]) / DENOMINATOR

    return cloud(n), cloud(m), weights(n), weights(m)


# A cap well below the default: a hard case stops honestly after 500 iterations rather than
# 20000, which is what this property checks of it (the caps' own tests are test_sinkhorn.py's).
_SINKHORN = functools.partial(dv.w1_primal, method="sinkhorn", max_iter=500)
_SINKHORN_JIT = jax.jit(_SINKHORN)
# The vmap mode batches the jitted solver: the batching rules of every operation are those of a
# plain vmap, and a call dispatches one program (a plain vmap dispatches the input checks an
# operation at a time, 0.04-0.1 s a call here; the plain vmap's bounds are certified above).
_RUNS = {
    "auto": (dv.w1_primal, _w1_jit, jax.vmap(_w1_jit)),
    "sinkhorn": (_SINKHORN, _SINKHORN_JIT, jax.vmap(_SINKHORN_JIT)),
}


_STRATEGIES = {"auto": _dyadic_problems(), "sinkhorn": _dyadic_problems(SINKHORN_SHAPES)}


def _fields(sol, method: str) -> dict[str, np.ndarray]:
    """The bounds, and for the device solver its potentials and plan too (every arc)."""
    fields = {f: np.asarray(getattr(sol, f)) for f in _BOUNDS}
    if method == "sinkhorn":
        fields |= {"u": np.asarray(sol.u), "v": np.asarray(sol.v), "plan": sol.plan.mass}
    return {k: np.asarray(v) for k, v in fields.items()}


@pytest.mark.slow  # about 6 s a dtype (sinkhorn: its hard cases run to a cap of 500)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("method", list(_RUNS))
@given(data=st.data())
def test_eager_jit_and_vmap_give_the_same_bits(method, dtype, data):
    """The same bits in every mode.

    The exact methods compute on the host: the same bits in every mode, on every backend. The
    device solver's ``jit`` and ``vmap`` programs are XLA's compilations of the same code, whose
    machine code may round an element differently (on the CPU ``jit`` gives the eager bits,
    which another backend need not): each mode's interval is certified (the property tests
    above), and the bounds are the same to 64 ulps of their largest magnitude; its potentials
    and plan, iterates rather than certified values, may differ more (a rounding can move the
    stop by an iteration). A hard case that reaches the iteration cap stops honestly in every
    mode (SolverError eagerly and from ``dv.checked``, NaN under ``jit``).
    """
    x, y, a, b = (t.astype(dtype) for t in data.draw(_STRATEGIES[method], label="problem"))
    eager_fn, jit_fn, vmap_fn = _RUNS[method]
    try:
        eager = eager_fn(x, y, a, b)
    except dv.SolverError as stop:
        assert method == "sinkhorn" and stop.status == Status.PIVOT_CAP
        assert np.isnan(float(jit_fn(x, y, a, b).value))
        return
    batched = _fields(vmap_fn(*(np.stack([t, t]) for t in (x, y, a, b))), method)
    got = {"jit": _fields(jit_fn(x, y, a, b), method)}
    got |= {f"vmap[{k}]": {f: t[k] for f, t in batched.items()} for k in range(2)}
    for field, want in _fields(eager, method).items():
        assert want.dtype == dtype
        for mode, fields in got.items():
            have = fields[field]
            same = have.dtype == want.dtype and np.array_equal(have, want)
            if method == "sinkhorn":
                if field not in _BOUNDS:
                    # The potentials and the plan are the loop's iterates, not certified: a
                    # rounding difference in another program may move an element's stop by an
                    # iteration, and its iterates with it.
                    continue
                scale = max(float(np.max(np.abs(want))), float(np.finfo(dtype).tiny))
                ulps = 64 * float(np.finfo(dtype).eps) * scale
                diff = np.abs(have.astype(np.float64) - want.astype(np.float64))
                same = have.dtype == want.dtype and bool(np.all(diff <= ulps))
            assert same, f"{field} {mode}: {have.dtype} {have!r} != eager {want!r}"


# ------------------------------------------------------------------ the dual's violation


def _true_violation_upper(f: np.ndarray, z: np.ndarray) -> arb:
    """An exact number above ``max(0, max_kl f_k - f_l - ||z_k - z_l||)`` of ``f`` as given."""
    with ctx.workprec(PRECISION):
        fs, zs = [_exact(t) for t in f], _exact_points(z)
        worst = arb(0)
        for k in range(len(zs)):
            for j in range(len(zs)):
                if k != j:
                    worst = max(worst, (fs[k] - fs[j] - _distance(zs[k], zs[j])).upper())
        return worst


@functools.cache
def _dual_problems() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Six problems of 7 and 11 points in 2-D (18 in all) at scales 1e-6 ... 1e6."""
    rng = np.random.default_rng(11)
    scales = (1e-6, 1e-2, 1.0, 3.0, 1e2, 1e6)
    x = np.stack([(rng.uniform(size=(7, 2)) * s).astype(np.float32) for s in scales])
    y = np.stack([(rng.uniform(size=(11, 2)) * s - 0.3 * s).astype(np.float32) for s in scales])
    return x, y, [f"problem {k} (scale {s:.3g})" for k, s in enumerate(scales)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "method",
    [
        "dense",
        pytest.param("sparse", marks=pytest.mark.native),
        pytest.param("sinkhorn", marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("mode", ["eager", "jit", "vmap"])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_dual_violation_bounds_the_true_violation(dtype, mode, method):
    # The violation of f as returned (rounded to its dtype) on the points as returned.
    x, y, labels = _dual_problems()
    x, y = x.astype(dtype), y.astype(dtype)
    fn = functools.partial(dv.w1_dual, method=method)
    if mode == "vmap":
        sol = jax.vmap(fn)(x, y)
        duals = [(sol.f[k], sol.points[k], sol.lipschitz_violation[k]) for k in range(len(x))]
    else:
        run = jax.jit(fn) if mode == "jit" else fn
        duals = [(s.f, s.points, s.lipschitz_violation) for s in map(run, x, y)]
    failures = []
    for label, (f, z, reported) in zip(labels, duals, strict=True):
        f, z, reported = np.asarray(f), np.asarray(z), np.asarray(reported)
        assert f.dtype == z.dtype == reported.dtype == dtype
        if not (np.all(np.isfinite(f)) and np.isfinite(reported)):
            failures.append(f"{label}: not finite: violation {reported!r}, f {f!r}")
            continue
        true = _true_violation_upper(f, z)
        if _exact(reported) < true:
            failures.append(f"{label}: reported {reported!r} < true {true.str(10)}")
    assert not failures, f"{len(failures)} of {len(labels)}: {failures[0]}"
