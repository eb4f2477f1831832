"""``method="auto"`` is exact on every backend, and every W1 result names its method.

The choice is made from the problem alone: with ``jax.default_backend()`` made to answer
``"gpu"`` or ``"tpu"`` (every call of it in the package goes through the ``jax`` module), the
docstrings' examples give their exact numbers and plans, the line case of 10^4 draws takes the
sort, and the callers inside the package (the estimates, the lab's noise floor, ``w1_batch``,
``w1_grid``) get the exact answer. The method's name is on every result, eagerly and under
``jit`` and ``vmap``, and it passes into a jitted function that takes the result.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import divergences as dv
from divergences.wasserstein._src import problem as _problem
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.line import SOLVER as LINE

BACKENDS = ["cpu", "gpu", "tpu"]
ACCELERATORS = ["gpu", "tpu"]
needs_native = pytest.mark.skipif(not native.available(), reason="the compiled extension")

X = np.array([[0.0, 0.0], [0.0, 1.0]])
Y = np.array([[2.0, 0.0], [2.0, 1.0]])


@pytest.fixture
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend JAX reports to the package for the test (the arithmetic stays this CPU's)."""
    name = request.param
    monkeypatch.setattr(jax, "default_backend", lambda: name)
    return name


def _chosen(x, y, metric="euclidean", *, method="auto", dual=False) -> str:
    kw = dict(options=None, keywords={})
    return _problem.make_problem(
        x, y, None, None, metric=metric, method=method, dual=dual, **kw
    ).method


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_auto_chooses_by_the_problem_alone(backend):
    assert jax.default_backend() == backend  # the patch reaches the package's calls
    small = np.zeros((6, 2))
    for dual in (False, True):
        assert _chosen(small, small + 1.0, dual=dual) == "dense"
        assert _chosen(small, small + 1.0, "cityblock", dual=dual) == "dense"
        assert _chosen(small, small, lambda p, q: abs(p - q).sum(), dual=dual) == "dense"
    # Past 2000 x 2000 Euclidean pairs: the sort on the line, the sparse solver in the plane.
    line = np.zeros((10_000, 1))
    assert _chosen(line, line) == _chosen(line, line, dual=True) == LINE.name
    plane = np.zeros((2001, 2))
    assert _chosen(plane, plane) == ("sparse" if native.available() else "dense")
    # The device solver runs where it is asked for, on every backend.
    assert _chosen(small, small, method="sinkhorn") == "sinkhorn"
    assert "DEVICE_BACKENDS" not in vars(_problem)


# In the slow tier: the w1_primal, w1_dual and w1_batch doctests assert these values, and
# test_auto_chooses_by_the_problem_alone and the package callers' test stay quick on gpu and tpu.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ACCELERATORS, indirect=True)
def test_the_docstring_examples_are_exact_on_an_accelerator(backend):
    for solve in (dv.w1_primal, jax.jit(dv.w1_primal)):
        sol = solve(X, Y)
        assert sol.method == "dense" and float(sol.value) == 2.0
        assert np.asarray(sol.plan.todense()).tolist() == [[0.5, 0.0], [0.0, 0.5]]
        assert float(sol.lower_bound) <= 2.0 <= float(sol.upper_bound)
    dual = dv.w1_dual([0.0, 1.0], [3.0, 4.0])
    assert dual.method == "dense"
    assert [round(float(t), 12) for t in dual.f - dual.f[0]] == [0.0, -1.0, -3.0, -4.0]
    out = dv.w1_batch([(X, X + 1.0), (X, X)])
    assert out.value.round(6).tolist() == [1.414214, 0.0]
    assert out.method.tolist() == ["dense", "dense"]
    mu, nu = np.zeros((4, 4)), np.zeros((4, 4))
    mu[0, 0] = nu[3, 3] = 1.0
    grid = dv.w1_grid(mu, nu, spacing=0.5)
    assert float(grid.value) == pytest.approx(0.5 * np.sqrt(18.0), rel=1e-15)
    assert grid.method == "dense"


@pytest.mark.parametrize("backend", ACCELERATORS, indirect=True)
def test_the_line_takes_the_sort_on_an_accelerator(backend):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=10_000), rng.normal(size=10_000) + 0.25
    exact = float(np.mean(np.abs(np.sort(x) - np.sort(y))))  # the monotone coupling's cost
    sol = dv.w1_primal(x, y)
    assert sol.method == "line"
    lower, upper = float(sol.lower_bound), float(sol.upper_bound)
    slack = 1e-12 * exact  # the rounding of the mean of 10^4 gaps
    assert lower - slack <= exact <= upper + slack and upper - lower <= 1e-9 * upper


@pytest.mark.parametrize("backend", ACCELERATORS, indirect=True)
def test_the_package_callers_get_the_exact_answer_on_an_accelerator(backend):
    # Two samples of one law: W1 far below the largest cost, where Sinkhorn stopped at its cap.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(60, 2))
    est = dv.estimate.w1(x, y)
    assert est.value == float(dv.w1_primal(x, y, method="dense").value)
    assert "exact W1 between the samples (euclidean metric, method 'dense')" in est.method
    # The figure's check: the LP on the line against the monotone plan's cost 0.6.
    xs = np.arange(4.0)[:, None]
    plan = dv.w1_primal(xs, xs, np.array([4, 3, 2, 1]) / 10, np.array([1, 4, 3, 2]) / 10)
    assert plan.method == "dense" and abs(float(plan.value) - 0.6) <= 1e-15


@pytest.mark.slow  # compiles the floor's samplers and histograms (5-15 s)
@pytest.mark.parametrize("backend", ["gpu"], indirect=True)
def test_the_noise_floor_is_exact_on_an_accelerator(backend):
    from divergences.lab.training import TrainingConfig
    from divergences.lab.training import readouts as R

    config = TrainingConfig(data="ring8", seed=58, eval_size=32, floor_draws=2, hist_size=64)
    floor = R._noise_floor.__wrapped__(R._floor_key(config))  # not the cached one
    assert np.all(floor.w1 > 0) and np.all(np.isfinite(floor.w1))


# line, lp and sparse in the slow tier: the runner names every host method's result alike; the
# dense ones stay quick, and test_line.py, test_sparse.py and test_runner.py trace the others.
METHODS = [
    pytest.param("dense", lambda x, y: dv.w1_primal(x, y), id="w1_primal-dense"),
    pytest.param("dense", lambda x, y: dv.w1_dual(x, y), id="w1_dual-dense"),
    pytest.param(
        "line",
        lambda x, y: dv.w1_primal(x[:, :1], y[:, :1], method="line"),
        id="line",
        marks=pytest.mark.slow,
    ),
    pytest.param("lp", lambda x, y: dv.w1_dual(x, y, method="lp"), id="lp", marks=pytest.mark.slow),
    pytest.param(
        "sparse",
        lambda x, y: dv.w1_primal(x, y, method="sparse"),
        id="sparse",
        marks=[needs_native, pytest.mark.slow],
    ),
    pytest.param(
        "sinkhorn",
        lambda x, y: dv.w1_primal(x, y, method="sinkhorn"),
        id="sinkhorn",
        marks=pytest.mark.slow,  # compiles the device program three ways (5-15 s)
    ),
]


@pytest.mark.parametrize(("name", "solve"), METHODS)
def test_every_result_names_its_method_eagerly_and_under_jit_and_vmap(name, solve):
    x, y = X, Y + 0.5
    eager, jitted = solve(x, y), jax.jit(solve)(x, y)
    # vmap's result, traced only: the name is static, so the trace has it (no compile needed).
    batched = jax.eval_shape(jax.vmap(solve), np.stack([x, x]), np.stack([y, y]))
    for sol in (eager, jitted, batched):
        assert isinstance(sol.method, dv.MethodName) and sol.method == name
        assert str(sol.method) == name and repr(sol.method) == repr(name)
    # No leaf of its own: the result's arrays are its leaves, and the name passes into jit.
    assert len(jax.tree.leaves(eager)) == len(jax.tree.leaves(eager._replace(method=None)))
    assert jax.jit(lambda s: s.value * len(s.method))(eager) == eager.value * len(name)
    assert jax.tree.map(lambda t: t, eager).method == name


def test_the_grid_and_the_batch_name_their_method():
    mu, nu = np.zeros((3, 3)), np.zeros((3, 3))
    mu[0, 0] = nu[2, 1] = 1.0
    assert dv.w1_grid(mu, nu, method="dense").method == "dense"
    flow = "grid_flow" if native.available() else "dense"
    assert dv.w1_grid(mu, nu, metric="cityblock").method == flow
    assert jax.jit(lambda m, n: dv.w1_grid(m, n, metric="cityblock"))(mu, nu).method == flow
    out = dv.w1_pairwise([[0.0], [1.0], [3.0]])
    dense = "dense"
    assert out.method.tolist() == [["", dense, dense], [dense, "", dense], [dense, dense, ""]]
    kept = dv.w1_batch([(X, Y), (X, Y, [1.0, 0.0], [0.5, 0.0])], on_error="keep")
    assert kept.method.tolist() == ["dense", ""] and list(kept.errors) == [1]
