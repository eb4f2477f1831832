"""``method="sinkhorn"``: a certified W1 that never leaves XLA.

No host callback in the programs exported for a GPU and a TPU; ``grad`` the envelope
theorem's derivative; the interval holds the exact W1 (POT's network simplex here; the
exact-arithmetic enclosures of every mode and dtype, and the bounds of ``jit`` and ``vmap``
the same as the eager call's to a few ulps, are in test_certificates.py); a stop at the cap is a
SolverError eagerly and under ``dv.checked``; bad options raise a ValueError naming the argument
(``"auto"`` never takes it, on any backend: test_auto.py); the costs by blocks give the interval
of the matrix; the rounding primitives hold their bounds in exact arithmetic; a batch sharded
over eight devices matches one device.
"""

from __future__ import annotations

import functools
import os
import pathlib
import re
import subprocess
import sys
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import ot
import pytest
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.wasserstein._src import problem as _problem
from divergences.wasserstein._src.device import DevicePrimal, rounding, sinkhorn
from divergences.wasserstein._src.device.sinkhorn import extraction, geometry
from divergences.wasserstein._src.results import Status
from tests.wasserstein.exact_transport import exact_w1

ROOT = pathlib.Path(__file__).resolve().parents[2]
DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]

sinkhorn_w1 = functools.partial(dv.w1_primal, method="sinkhorn")
sinkhorn_dual = functools.partial(dv.w1_dual, method="sinkhorn")
_jit_w1 = jax.jit(sinkhorn_w1)


def _problem_of(seed: int = 0, n: int = 6, m: int = 8, dtype: type = np.float64):
    """Points in the unit square and positive weights of one shape (one compile per dtype)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(size=(n, 2)), rng.uniform(size=(m, 2)) + 0.25
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    return tuple(t.astype(dtype) for t in (x, y, a, b))


def _exact(x, y, a, b, metric: str = "euclidean") -> float:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cost = cdist(np.asarray(x, np.float64), np.asarray(y, np.float64), metric)
    return float(ot.emd2(a64, b64 * (a64.sum() / b64.sum()), cost, numItermax=10**7))


# ------------------------------------------------------------------ no callback, anywhere


def _custom_calls(text: str) -> set[str]:
    return set(re.findall(r"custom_call[^\n]*?@([\w.$-]+)", text)) | set(
        re.findall(r'call_target_name\s*=\s*"([^"]+)"', text)
    )


@pytest.mark.slow
@pytest.mark.parametrize("fn", [sinkhorn_w1, sinkhorn_dual], ids=["w1_primal", "w1_dual"])
def test_the_programs_for_a_gpu_and_a_tpu_call_no_host(fn):
    x, y, a, b = _problem_of(dtype=np.float32)
    exported = jax.export.export(jax.jit(fn), platforms=["cuda", "tpu"])(x, y, a, b)
    text = exported.mlir_module()
    assert "callback" not in text and "xla_python" not in text
    assert not _custom_calls(text), _custom_calls(text)
    # The check sees a callback where there is one: the host solver's program on this CPU.
    host = jax.jit(dv.w1_primal).lower(x, y, a, b).as_text()
    assert "callback" in host


def _assert_within_ulps(have: np.ndarray, want: np.ndarray, name: str) -> None:
    """``have`` equals ``want`` in dtype and to 64 ulps of the largest magnitude of ``want``."""
    assert have.dtype == want.dtype, name
    scale = max(float(np.max(np.abs(want))), float(np.finfo(want.dtype).tiny))
    ulps = 64 * float(np.finfo(want.dtype).eps) * scale
    assert np.all(np.abs(have.astype(np.float64) - want.astype(np.float64)) <= ulps), name


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_the_interval_holds_w1_and_the_plan_is_a_coupling(dtype):
    x, y, a, b = _problem_of(dtype=dtype)
    sol = sinkhorn_w1(x, y, a, b)
    exact = _exact(x, y, a, b)
    lo, value, hi = (float(t) for t in (sol.lower_bound, sol.value, sol.upper_bound))
    assert lo <= exact <= hi and lo <= value <= hi
    assert hi - lo <= 1e-3 * hi  # the default rtol, certified
    assert sol.plan.shape == (6, 8) and sol.plan.mass.shape == (48,)  # every arc
    plan = np.asarray(sol.plan.todense(), np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(plan.sum(1), a, atol=tol)
    np.testing.assert_allclose(plan.sum(0), b, atol=tol)
    # (u, v) is feasible up to rounding: u_i + v_j <= c_ij.
    cost = cdist(x.astype(np.float64), y.astype(np.float64))
    slack = cost - np.asarray(sol.u, np.float64)[:, None] - np.asarray(sol.v, np.float64)[None]
    assert slack.min() >= -10 * np.finfo(dtype).eps


@pytest.mark.slow  # compiles the program under several transformations (3-6 s)
def test_the_gradient_is_the_envelope_theorems():
    # A well separated matching: the entropic coupling is the optimal plan to 1e-3.
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = x + np.array([0.1, 0.05])
    grads = [jax.grad(lambda p, fn=fn: fn(p, y).value)(x) for fn in (sinkhorn_w1, dv.w1_primal)]
    np.testing.assert_allclose(grads[0], grads[1], atol=2e-3)
    # Under jit: the envelope theorem's derivative too (the program, compiled anew, may round
    # differently on another backend: not the eager bits, the same derivative).
    under_jit = jax.jit(jax.grad(lambda p: sinkhorn_w1(p, y).value))(x)
    np.testing.assert_allclose(under_jit, grads[1], atol=2e-3)
    ga = jax.grad(lambda w: sinkhorn_w1(x, y, w, None).value)(np.full(3, 1 / 3))
    assert np.all(np.isfinite(ga)) and abs(float(np.sum(ga))) < 1e-12  # tangent to the simplex


@pytest.mark.slow
def test_zero_masses_and_single_points():
    sol = sinkhorn_w1([[0.0, 0.0]], [[3.0, 4.0]])
    assert float(sol.lower_bound) <= 5.0 <= float(sol.upper_bound)
    x, y, a, b = _problem_of()
    a = np.where(np.arange(6) < 2, 0.0, a)
    a /= a.sum()
    sol = sinkhorn_w1(x, y, a, b)
    assert float(sol.lower_bound) <= _exact(x, y, a, b) <= float(sol.upper_bound)
    assert np.all(np.asarray(sol.plan.todense())[:2] == 0)
    grad = jax.grad(lambda p: sinkhorn_w1(p, y, a, b).value)(x)
    assert np.all(np.isfinite(grad))


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["cityblock", "chebyshev", "sqeuclidean"])
def test_the_other_named_metrics(metric):
    x, y, a, b = _problem_of()
    sol = dv.w1_primal(x, y, a, b, metric=metric, method="sinkhorn")
    assert float(sol.lower_bound) <= _exact(x, y, a, b, metric) <= float(sol.upper_bound)


@pytest.mark.slow  # compiles the program under several transformations (3-6 s)
def test_the_dual_is_a_certified_critic():
    x, y, a, b = _problem_of()
    dual, primal = sinkhorn_dual(x, y, a, b), sinkhorn_w1(x, y, a, b)
    value, violation = float(dual.value), float(dual.lipschitz_violation)
    assert 0 <= violation < 1e-12
    assert float(primal.lower_bound) - 1e-12 <= value <= float(primal.upper_bound)
    z = np.concatenate([x, y])
    gaps = np.asarray(dual.f)[:, None] - np.asarray(dual.f)[None] - cdist(z, z)
    assert gaps.max() <= violation
    np.testing.assert_allclose(dv.kr_potential(dual, z), dual.f, atol=1e-12)
    # Under jit: a certified critic too (its program may round differently on another backend).
    jitted = jax.jit(sinkhorn_dual)(x, y, a, b)
    assert 0 <= float(jitted.lipschitz_violation) < 1e-12
    assert float(primal.lower_bound) - 1e-12 <= float(jitted.value) <= float(primal.upper_bound)


# ------------------------------------------------------------------ honest stops


@pytest.mark.slow  # compiles the program under several transformations (3-6 s)
def test_the_cap_is_a_solver_error_eagerly_nan_under_jit_and_checked():
    x, y, a, b = _problem_of()
    capped = functools.partial(dv.w1_primal, method="sinkhorn", max_iter=10)
    with pytest.raises(dv.SolverError, match=r"PIVOT_CAP.*gap \d\.\d{3}e[+-]\d\d") as eager:
        capped(x, y, a, b)
    assert eager.value.status == Status.PIVOT_CAP
    sol = jax.jit(capped)(x, y, a, b)
    assert np.isnan(float(sol.value)) and np.isnan(float(sol.upper_bound))
    with pytest.raises(dv.SolverError) as checked:
        dv.checked(jax.jit(capped))(x, y, a, b)
    assert str(checked.value) == str(eager.value)
    assert checked.value.status == Status.PIVOT_CAP
    with pytest.raises(dv.SolverError, match="PIVOT_CAP"):
        dv.w1_dual(x, y, a, b, method="sinkhorn", max_iter=10)


@pytest.mark.slow  # compiles the batched program under checkify (3-6 s)
def test_checked_vmap_reports_each_stop_and_passes_a_good_batch():
    # checkify refuses a while loop whose predicate vmap batched: the solver's loop keeps it a
    # scalar (loops.lockstep_while), so dv.checked composes with vmap as with jit.
    x, y, a, b = _problem_of()
    xs, ys = np.stack([x, x[::-1] + 0.25]), np.stack([y, y + 0.5])
    ws, vs = np.stack([a, a]), np.stack([b, b])
    capped = dv.checked(jax.vmap(functools.partial(dv.w1_primal, method="sinkhorn", max_iter=10)))
    with pytest.raises(dv.SolverError, match="PIVOT_CAP") as stop:
        capped(xs, ys, ws, vs)
    assert stop.value.status == Status.PIVOT_CAP
    # One checked function for the good batch and the bad one: one program (a shape, a dtype).
    solve = dv.checked(jax.vmap(functools.partial(dv.w1_primal, method="sinkhorn")))
    batch = solve(xs, ys, ws, vs)
    for k in range(2):
        alone = _jit_w1(xs[k], ys[k], ws[k], vs[k])
        for field in ("value", "lower_bound"):
            want = np.asarray(getattr(alone, field))
            _assert_within_ulps(np.asarray(getattr(batch, field))[k], want, field)
    with pytest.raises(ValueError, match="b has negative mass"):
        solve(xs, ys, ws, -vs)


@pytest.mark.slow  # compiles the program under several transformations (3-6 s)
def test_bad_input_under_jit_is_skipped():
    x, y, a, b = _problem_of()
    sol = _jit_w1(x, y, a, -b)
    assert np.isnan(float(sol.value))
    with pytest.raises(ValueError, match="b has negative mass"):
        dv.checked(_jit_w1)(x, y, a, -b)


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"rtol": 0.0}, "rtol must be > 0 for method='sinkhorn'"),
        ({"rtol": 1.5}, r"rtol must be a finite number in \[0, 1\), got"),
        ({"rtol": "small"}, r"rtol must be a finite number in \[0, 1\), got"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"metric": lambda p, q: jnp.sum(jnp.abs(p - q))}, "method='sinkhorn' needs a named"),
        ({"method": "sinkhorns"}, "method must be one of"),
    ],
)
def test_bad_options_name_the_argument(options, pattern):
    x, y, _, _ = _problem_of()
    kwargs = {"method": "sinkhorn", **options}
    with pytest.raises(ValueError, match=pattern):
        dv.w1_primal(x, y, **kwargs)


def test_none_is_the_methods_default():
    x, y, _, _ = _problem_of()

    def options(method: str) -> Any:
        kw = dict(metric="euclidean", options=None, keywords={}, dual=False)
        return _problem.make_problem(x, y, None, None, method=method, **kw).options

    assert options("sinkhorn") == sinkhorn.SinkhornOptions(rtol=1e-3, max_iter=20_000)
    assert options("sparse").rtol == 1e-9 and options("sparse").max_iter is None
    # The dense method is exact, whatever rtol says: its record has none.
    assert options("dense") == (max(100_000, 50 * 6 * 8), None)


# ------------------------------------------------------------------ costs by blocks


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_costs_by_blocks_give_a_certified_interval_and_the_top_arcs(dtype):
    x, y, a, b = _problem_of(n=7, m=30, dtype=dtype)
    config = sinkhorn.CONFIG._replace(dense_pairs=20, min_block=4, arcs_per_row=5)
    options = sinkhorn.SinkhornOptions(rtol=1e-3)
    solve = jax.jit(lambda *t: sinkhorn.solve(DevicePrimal, *t, True, "euclidean", options, config))
    out = solve(x, y, a, b)
    assert int(out.status) == Status.WITHIN_TOLERANCE
    exact = _exact(x, y, a, b)
    assert float(out.lower_bound) <= exact <= float(out.upper_bound)
    assert out.mass.shape == (7 * 5,) and int(jnp.max(out.cols)) < 30
    dense = sinkhorn_w1(x, y, a, b)
    # The same coupling's largest arcs, and the same interval to the gap's precision.
    np.testing.assert_allclose(float(out.value), float(dense.value), rtol=2e-3)
    plan = np.asarray(dense.plan.todense())
    top = np.sort(plan, axis=1)[:, -5:].sum()
    np.testing.assert_allclose(float(jnp.sum(out.mass)), top, rtol=1e-2)
    assert out.grad_x.shape == (7, 2) and np.all(np.isfinite(out.grad_x))


# ------------------------------------------------------------------ rigorous rounding


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_the_rounding_primitives_bound_the_exact_sums(dtype):
    rng = np.random.default_rng(5)
    for count in (1, 7, 1000):
        w = rng.uniform(size=count).astype(dtype)
        t = (rng.normal(size=count) * 10.0 ** rng.uniform(-30, 30, size=count)).astype(dtype)
        exact = sum(
            (Fraction(float(p)) * Fraction(float(q)) for p, q in zip(w, t, strict=True)),
            Fraction(0),
        )
        assert Fraction(float(rounding.dot_lower(jnp.asarray(w), jnp.asarray(t)))) <= exact
        # Two-sum stays exact under XLA (nothing reassociated away).
        hi, lo = jax.jit(geometry.two_sum)(jnp.asarray(w), jnp.asarray(t))
        for h, l, p, q in zip(np.asarray(hi), np.asarray(lo), w, t, strict=True):
            assert Fraction(float(h)) + Fraction(float(l)) == Fraction(float(p)) + Fraction(
                float(q)
            )
        total = rounding.tree_sum(jnp.asarray(w))
        upper = rounding.nonneg_sum_upper(total, rounding.depth(count), count, products=False)
        assert Fraction(float(upper)) >= sum(map(Fraction, map(float, w)), Fraction(0))


# ------------------------------------------------------------------ devices

SHARDED = r"""
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import divergences as dv

assert jax.device_count() == 8, jax.devices()
rng = np.random.default_rng(0)
batch, n, m = 16, 5, 7
x, y = rng.uniform(size=(batch, n, 2)), rng.uniform(size=(batch, m, 2)) + 0.3
a, b = rng.dirichlet(np.ones(n), size=batch), rng.dirichlet(np.ones(m), size=batch)
solve = jax.jit(jax.vmap(lambda *t: dv.w1_primal(*t, method="sinkhorn")))
mesh = Mesh(np.array(jax.devices()), ("batch",))
spread = [jax.device_put(t, NamedSharding(mesh, PartitionSpec("batch"))) for t in (x, y, a, b)]
one = [jax.device_put(t, jax.devices()[0]) for t in (x, y, a, b)]
sharded, single = solve(*spread), solve(*one)
assert len(sharded.value.sharding.device_set) == 8, sharded.value.sharding
# Each device runs the batched program on its share: the same code, whose vectorised loops may
# round an element differently at another batch size (a few ulps; see the test above).
def close(s, o):
    ulps = 64 * np.finfo(o.dtype).eps * max(np.max(np.abs(o)), np.finfo(o.dtype).tiny)
    return s.dtype == o.dtype and np.all(np.abs(s - o) <= ulps)
for name in ("value", "lower_bound", "upper_bound", "u", "v"):
    s, o = np.asarray(getattr(sharded, name)), np.asarray(getattr(single, name))
    assert close(s, o), (name, s, o)
assert close(np.asarray(sharded.plan.mass), np.asarray(single.plan.mass))
assert np.all(np.isfinite(np.asarray(single.value)))
print("ok")
"""


@pytest.mark.slow  # a subprocess that starts JAX on eight host devices
def test_a_batch_sharded_over_eight_devices_matches_one_device():
    env = dict(os.environ)
    flags = "--xla_force_host_platform_device_count=8 " + env.get("XLA_FLAGS", "")
    env.update(XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", SHARDED], capture_output=True, text=True, check=False, env=env
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert out.stdout.split() == ["ok"]


# ------------------------------------------------------------------ the ends of floating point
# Against the exact W1 (tests.wasserstein.exact_transport: rationals and 6000-bit cost balls).


def _tiny_float32(seed: int) -> tuple[np.ndarray, ...]:
    """Points drawn uniformly in [-1e-36, 1e-36]^2 in float32, 7 against 9, dyadic weights."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(-1, 1, size=(7, 2)) * 1e-36).astype(np.float32)
    y = (rng.uniform(-1, 1, size=(9, 2)) * 1e-36).astype(np.float32)
    return x, y, np.full(7, 1 / 7, np.float32), np.full(9, 1 / 9, np.float32)


def _modes(fn, *args):
    """(lower, value, upper) eagerly, under jit and as the second problem of a vmap of two."""
    out = []
    for sol in (fn(*args), jax.jit(fn)(*args)):
        out.append(tuple(float(getattr(sol, f)) for f in ("lower_bound", "value", "upper_bound")))
    batch = jax.vmap(fn)(*(np.stack([t, t]) for t in args))
    out.append(tuple(float(getattr(batch, f)[1]) for f in ("lower_bound", "value", "upper_bound")))
    return out


@pytest.mark.slow  # compiles the program three ways (10-30 s)
@pytest.mark.parametrize("seed", [0, 1])
def test_points_of_scale_1e_minus_36_in_float32_are_certified_to_rtol(seed):
    # The scaling by 2^119 is exact (a subnormal coordinate from its bits), so the costs' error
    # is the formula's, not 2^-7 of the largest cost: the interval closes to rtol and holds W1.
    args = _tiny_float32(seed)
    exact = exact_w1(*args)
    for lo, value, hi in _modes(sinkhorn_w1, *args):
        assert exact.inside(lo, hi) and lo <= value <= hi
        assert hi - lo <= 1e-3 * hi


def _far_cases() -> list[tuple[np.ndarray, ...]]:
    """W1 far below the largest cost: 1/3 beside costs of 1e300, a far point of weight 1e-300."""
    mixed = (
        np.array([[1e300, 0.0], [0.0, 0.0], [1e-300, 1.0]]),
        np.array([[1e300, 1.0], [1e-300, 0.0], [0.0, 1.0]]),
        np.full(3, 1 / 3),
        np.full(3, 1 / 3),
    )
    rng = np.random.default_rng(0)
    far = (
        np.concatenate([rng.uniform(size=(5, 2)), [[1e300, 0.0]]]),
        rng.uniform(size=(8, 2)),
        np.concatenate([np.full(5, (1 - 1e-300) / 5), [1e-300]]),
        rng.dirichlet(np.ones(8)),
    )
    return [mixed, far]


@pytest.mark.slow  # 20,000 iterations, compiled three ways (10-30 s)
@pytest.mark.parametrize("case", [0, 1], ids=["mixed_1e300_1e-300", "far_point_tiny_mass"])
def test_a_w1_the_iteration_cannot_resolve_is_a_solver_error_never_success(case):
    # Entropic smoothing cannot go below ~1e-14 of the largest cost; W1 is 1e-300 of it. The
    # solver used to stop at [0, ~1e285] (its exit for W1 = 0); it must say it stopped short.
    args = _far_cases()[case]
    with pytest.raises(dv.SolverError, match="PIVOT_CAP") as err:
        sinkhorn_w1(*args)
    assert err.value.status == Status.PIVOT_CAP
    sol = _jit_w1(*args)
    assert all(np.isnan(float(t)) for t in (sol.value, sol.lower_bound, sol.upper_bound))
    batch = jax.vmap(sinkhorn_w1)(*(np.stack([t, t]) for t in args))
    assert np.all(np.isnan(np.asarray(batch.value)))


@pytest.mark.slow
def test_equal_measures_are_proved_zero():
    # W1 = 0 only by proof: every point of mass matched to the same point of the same mass, read
    # from the bits. The interval is [0, 0] and the plan the matching.
    rng = np.random.default_rng(3)
    x, a = rng.uniform(size=(5, 2)), rng.dirichlet(np.ones(5))
    order = np.array([3, 0, 4, 1, 2])
    sol = sinkhorn_w1(x, x[order], a, a[order])
    assert float(sol.lower_bound) == float(sol.value) == float(sol.upper_bound) == 0.0
    plan = np.asarray(sol.plan.todense())
    assert np.array_equal(plan[order, np.arange(5)], a[order])
    assert np.count_nonzero(plan) == 5
    jitted = _jit_w1(x, x[order], a, a[order])
    assert float(jitted.upper_bound) == 0.0
    # A weight one ulp off is not equal: W1 > 0 then, and whatever comes back must hold it.
    b = a[order].copy()
    b[0], b[1] = np.nextafter(b[0], 1.0), np.nextafter(b[1], 0.0)
    try:
        near = sinkhorn_w1(x, x[order], a, b)
    except dv.SolverError:
        return
    assert float(near.upper_bound) > 0.0


@pytest.mark.slow
def test_equal_measures_with_repeated_points_are_proved_zero():
    # Issue 50: a point repeated on both sides (every row matched to three columns at its point)
    # was not proved equal, and the solve ended in PIVOT_CAP at a gap of 1. The two sides are the
    # same multiset of (point, mass): the k-th of each, sorted, paired, in any order and in every
    # mode; the gradient finite.
    z = np.array([[0.3, 1.7], [-2.0, 0.5]])
    x = z[[0, 1, 0, 1, 0]]
    y = z[[1, 0, 0, 1, 0]]
    for sol in (sinkhorn_w1(x, x.copy()), sinkhorn_w1(x, y), _jit_w1(x, y)):
        assert float(sol.lower_bound) == float(sol.value) == float(sol.upper_bound) == 0.0
    plan = np.asarray(sinkhorn_w1(x, y).plan.todense())
    assert np.array_equal(plan.sum(axis=0), np.full(5, 0.2))
    assert np.array_equal(plan.sum(axis=1), np.full(5, 0.2))
    assert all(np.array_equal(x[i], y[j]) for i, j in zip(*np.nonzero(plan), strict=True))
    grad = jax.grad(lambda p: sinkhorn_w1(p, y).value)(x)
    assert np.all(np.isfinite(np.asarray(grad)))
    # One copy moved: not equal, W1 = 0.2 |z0 - z1| > 0, never [0, 0].
    try:
        moved = sinkhorn_w1(x, z[[1, 1, 0, 1, 0]])
    except dv.SolverError:
        return
    assert float(moved.upper_bound) > 0.0


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_a_value_near_overflow_is_finite(mode):
    # W1 = 1e308 exactly; the centring of the potentials for the derivative (1e308 and -1e308)
    # used to overflow into a NaN value beside finite bounds.
    x, y = np.array([0.0, 1e308]), np.array([-1e308, 0.0])
    exact = exact_w1(x, y)
    sol = sinkhorn_w1(x, y) if mode == "eager" else _jit_w1(x, y)
    lo, value, hi = (float(t) for t in (sol.lower_bound, sol.value, sol.upper_bound))
    assert exact.inside(lo, hi) and lo <= value <= hi and np.isfinite(value)
    grad = jax.grad(lambda p: sinkhorn_w1(p, y).value)(x)
    assert np.all(np.isfinite(grad))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_scaled_back_below_the_normal_range_are_rounded_as_asked(dtype):
    # The bounds and value are scaled back by 2^k; below the normal range XLA flushes a product
    # to 0, so they are built from their bits there: down <= t 2^k <= up, one subnormal step
    # apart at most, nearest as NumPy rounds the exact float64 product.
    fi = np.finfo(dtype)
    k = -(int(fi.maxexp) - 4)  # the deepest scaling down the device's exponent takes
    rng = np.random.default_rng(0)
    t = np.concatenate([rng.uniform(0, 4, 64), [0.0, 1.0, 0.75, 3.0, 1 / 64, 0.01, 1e-3]]).astype(
        dtype
    )
    step = float(fi.smallest_subnormal)
    out = {
        r: np.asarray(jax.jit(extraction.scaled_out, static_argnums=2)(t, k, r), np.float64)
        for r in ("down", "up", "nearest")
    }
    exact = [Fraction(float(s)) * Fraction(2) ** k for s in t]
    for i, e in enumerate(exact):
        assert Fraction(out["down"][i]) <= e <= Fraction(out["up"][i])
        assert out["up"][i] - out["down"][i] <= step
        assert out["nearest"][i] == float(np.float64(e).astype(dtype))
    assert np.any(out["up"] < float(fi.tiny))  # subnormal results among them
