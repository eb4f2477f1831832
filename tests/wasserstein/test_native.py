"""The compiled module's boundary: options, results, statuses, checks and exceptions.

Keyword options, named results, the status codes, input checks, C++ exceptions turned into Python
ones, and honest statuses on general problems.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import textwrap

import jax
import numpy as np
import ot
import pytest
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.wasserstein._src.host import native as native_module
from divergences.wasserstein._src.host import nearest
from divergences.wasserstein._src.results import Status

pytestmark = pytest.mark.native

SOLVE_KEYS = {
    "status", "value", "upper_bound", "lower_bound", "marginal_error", "rounds", "pivots",
    "arcs", "artificial_flow", "t_graph", "t_pricing", "degenerate", "priced", "climbed",
    "shifted", "forest_start", "rows", "cols", "mass", "u", "v", "f_x", "f_y",
}  # fmt: skip


def _problem(seed: int = 0, n: int = 50, m: int = 40, d: int = 2):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.5
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    return x, y, a, b * (a.sum() / b.sum())


def test_status_codes_are_the_python_ones():
    native = native_module.load()
    python = {status.name: int(status) for status in Status if 0 <= status <= 6}
    assert native.STATUS == python


def test_options_are_keyword_only_and_results_named():
    native = native_module.load()
    x, y, a, b = _problem()
    with pytest.raises(TypeError):
        native.solve(x, y, a, b, 1e-9)
    with pytest.raises(TypeError):
        native.solve(x, y, a, b, tolerance=1e-9)
    res = native.solve(x, y, a, b, threads=2)
    assert set(res) == SOLVE_KEYS
    assert res["status"] == native.STATUS["OPTIMAL"]
    # The network simplex's counters: every pivot prices at least its entering arc and climbs.
    assert 0 <= res["degenerate"] <= res["pivots"] <= res["priced"]
    assert res["pivots"] <= res["climbed"] and res["shifted"] >= 0
    rows, cols, mass = (np.asarray(res[k]) for k in ("rows", "cols", "mass"))
    assert rows.dtype == np.int32 and mass.dtype == np.float64
    plan = np.zeros((50, 40))
    np.add.at(plan, (rows, cols), mass)
    np.testing.assert_allclose(plan.sum(1), a, atol=1e-15)
    np.testing.assert_allclose(plan.sum(0), b, atol=1e-15)
    ref = ot.emd2(a, b, cdist(x, y))
    assert res["lower_bound"] - 1e-14 <= ref <= res["upper_bound"] + 1e-14
    np.testing.assert_allclose(res["value"], ref, rtol=1e-13)
    # The duals are feasible on every pair, up to rounding.
    u, v = np.asarray(res["u"]), np.asarray(res["v"])
    assert np.min(cdist(x, y) - u[:, None] - v[None, :]) >= -1e-12


def test_c_transform_and_k_nearest_results():
    native = native_module.load()
    rng = np.random.default_rng(1)
    pts, sites, w = rng.random((9000, 3)), rng.random((300, 3)), rng.normal(size=300)
    brute = cdist(pts, sites) + w[None, :]
    one = native.c_transform(pts, sites, w, threads=1)
    four = native.c_transform(pts, sites, w, threads=4)  # the queries split over threads
    np.testing.assert_array_equal(np.asarray(one["value"]), np.asarray(four["value"]))
    np.testing.assert_allclose(np.asarray(one["value"]), brute.min(1), rtol=1e-15, atol=1e-15)
    arg = np.asarray(one["argmin"])
    np.testing.assert_allclose(brute[np.arange(9000), arg], brute.min(1), rtol=1e-15, atol=1e-15)
    index = np.asarray(native.k_nearest(pts, sites, w, 3, threads=3)["index"])
    assert index.shape == (9000, 3) and index.dtype == np.int32
    np.testing.assert_allclose(
        np.take_along_axis(brute, index, 1), np.sort(brute, 1)[:, :3], rtol=1e-15, atol=1e-15
    )


@pytest.mark.parametrize(
    ("argument", "bad", "match"),
    [
        ("a", np.nan, "a must be finite"),
        ("b", np.inf, "b must be finite"),
        ("a", -0.01, "a must be >= 0"),
        ("x", np.nan, "x must be finite"),
        ("y", -np.inf, "y must be finite"),
    ],
)
def test_solve_refuses_nan_inf_and_negative_input(argument, bad, match):
    # A NaN weight once made the graph solver loop until memory ran out.
    native = native_module.load()
    args = dict(zip("xyab", _problem(), strict=True))
    args[argument] = args[argument].copy()
    args[argument].flat[3] = bad
    with pytest.raises(ValueError, match=match):
        native.solve(**args)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"a_scale": 2.0}, ValueError, "same positive total"),
        ({"threads": 0}, ValueError, "threads must be a positive integer"),
        ({"rtol": -1.0}, ValueError, "rtol"),
        ({"max_rounds": 0}, ValueError, "max_rounds"),
        ({"arc_rows": np.array([0, 70], np.int32)}, ValueError, "arc_rows must lie in"),
        ({"arc_rows": np.array([0, 1], np.int64)}, TypeError, "int32"),
        ({"assignment": True}, ValueError, "assignment=True needs"),
        ({"order_x": np.zeros(50, np.int32)}, ValueError, "permutation"),
        ({"u0": np.full(50, np.nan)}, ValueError, "u0 must be finite"),
        ({"x": np.zeros((50, 3))}, ValueError, "matching sizes"),
        ({"x": np.zeros(100)}, ValueError, "2 dimension"),
        ({"x": np.zeros((50, 2), np.float32)}, TypeError, "float64"),
        ({"x": np.zeros((2, 50)).T}, TypeError, "C-contiguous"),
        ({"layout_nodes": -1}, ValueError, "layout_nodes >= 0"),
        ({"arcs_per_point": 0}, ValueError, "1 <= arcs_per_point <= 64"),
        ({"arcs_per_point": 65}, ValueError, "1 <= arcs_per_point <= 64"),
    ],
)
def test_solve_checks_its_arguments(options, error, match):
    native = native_module.load()
    x, y, a, b = _problem()
    options = dict(options)
    a = a * options.pop("a_scale", 1.0)
    if "arc_rows" in options:
        options["arc_cols"] = np.array([0, 1], np.int32)
    args = {"x": x, "y": y, "a": a, "b": b}
    for key in "xyab":
        if key in options:
            args[key] = options.pop(key)
    with pytest.raises(error, match=match):
        native.solve(**args, **options)


def _cost_scaling_potentials(potentials):
    one = np.array([1], np.int64)
    native_module.load().cost_scaling(
        one, np.array([1, 0], np.int64), np.zeros(1, np.int32), np.zeros(1, np.int32), one,
        potentials=np.asarray(potentials),
    )  # fmt: skip


#: The three messages that carry a float64, built in C++ (PyErr_Format has no float conversion:
#: Python 3.11 printed the letters of "%.17g", 3.12 raised SystemError). 0.1 totals, read back
#: from 17 digits; a sum past the largest double, NaN with the sign bit set on x86.
_PLANE = np.array([[0.0], [1.0]])
_FLOAT_MESSAGES = [
    (
        lambda: native_module.load().solve(
            _PLANE[:1], _PLANE[1:], np.array([0.1]), np.array([0.2])
        ),
        "solve: a and b must have the same positive total; got 0.10000000000000001 and "
        "0.20000000000000001",
    ),
    (
        lambda: native_module.load().solve(_PLANE, _PLANE, np.zeros(2), np.zeros(2)),
        "solve: a and b must have the same positive total; got 0 and 0",
    ),
    (
        lambda: native_module.load().grid_flow(
            np.array([0.5, 0.5]), np.array([0.3, 0.3]), np.array([2], np.int32)
        ),
        "grid_flow: a and b must have the same positive total; got 1 and 0.59999999999999998",
    ),
    (
        lambda: native_module.load().grid_flow(
            np.full(2, 1e308), np.full(2, 1e308), np.array([2], np.int32)
        ),
        "grid_flow: a and b must have the same positive total; got nan and nan",
    ),
    (
        lambda: _cost_scaling_potentials([0.0, np.nan, 0.0]),
        "cost_scaling: potentials must be finite with |potential| * (n + m + 1) below 2^59; "
        "entry 1 is nan",
    ),
    (
        lambda: _cost_scaling_potentials([0.0, 0.0, -np.inf]),
        "cost_scaling: potentials must be finite with |potential| * (n + m + 1) below 2^59; "
        "entry 2 is -inf",
    ),
    (
        lambda: _cost_scaling_potentials([np.pi * 1e17, 0.0, 0.0]),
        "cost_scaling: potentials must be finite with |potential| * (n + m + 1) below 2^59; "
        "entry 0 is 3.1415926535897933e+17",
    ),
    (
        lambda: _cost_scaling_potentials(np.array([0, 2**59 // 4, 0])),
        "cost_scaling: potentials must be finite with |potential| * (n + m + 1) below 2^59; "
        "entry 1 is 1.4411518807585587e+17",
    ),
]


@pytest.mark.parametrize(("call", "message"), _FLOAT_MESSAGES)
def test_messages_print_floats_in_full(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


def test_every_pyerr_format_uses_a_conversion_python_knows():
    """PyUnicode_FromFormat knows no float conversion; a float message is built in C++."""
    source = pathlib.Path(native_module.__file__).parents[2] / "_native" / "ot_native.cpp"
    if not source.exists():
        pytest.skip("the C++ sources are not installed beside the package")
    calls = re.findall(r"PyErr_Format\((.*?)\);", source.read_text(), re.DOTALL)
    assert len(calls) == source.read_text().count("PyErr_Format(") > 40
    conversions = {
        spec
        for call in calls
        for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', call)
        for spec in re.findall(r"%[-+ #0-9.]*[a-zA-Z%]+?(?=[^a-zA-Z]|$)", literal)
    }
    assert conversions <= {"%s", "%d", "%zd", "%lld"}, conversions


@pytest.mark.parametrize("entry", ["c_transform", "k_nearest"])
@pytest.mark.parametrize("argument", ["points", "sites", "weights"])
def test_tree_queries_refuse_nan_and_inf(entry, argument):
    native = native_module.load()
    rng = np.random.default_rng(2)
    args = {"points": rng.random((20, 2)), "sites": rng.random((10, 2)), "weights": np.zeros(10)}
    args[argument].flat[1] = np.nan
    call = getattr(native, entry)
    extra = (2,) if entry == "k_nearest" else ()
    with pytest.raises(ValueError, match=f"{argument} must be finite"):
        call(args["points"], args["sites"], args["weights"], *extra)


@pytest.mark.parametrize("seed", range(40))
def test_stops_on_general_problems_are_never_reported_as_certified(seed):
    """N != m and unequal weights: a capped solve is certified only when it is a true coupling.

    A pivot or round cap leaves a plan that may not be a coupling. The status certifies only a
    coupling whose bounds hold POT's value.
    """
    rng = np.random.default_rng(seed)
    n, m = rng.integers(5, 60, size=2)
    x, y, a, b = _problem(seed, int(n), int(m), int(rng.integers(1, 4)))
    ref = ot.emd2(a, b, cdist(x, y))
    native = native_module.load()
    certified = (native.STATUS["OPTIMAL"], native.STATUS["WITHIN_TOLERANCE"])
    for cap in ({"max_pivots": int(rng.integers(0, 30))}, {"max_rounds": 1}):
        res = native.solve(x, y, a, b, rtol=1e-6, **cap)
        rows, cols, mass = (np.asarray(res[k]) for k in ("rows", "cols", "mass"))
        off = (
            np.abs(np.bincount(rows, mass, n) - a).sum()
            + np.abs(np.bincount(cols, mass, m) - b).sum()
        )
        assert res["marginal_error"] == pytest.approx(off, abs=1e-15)
        assert res["lower_bound"] <= ref * (1 + 1e-12) + 1e-15
        if off > 1e-9:
            assert res["status"] not in certified
            assert res["upper_bound"] == np.inf
        else:
            assert res["upper_bound"] >= ref * (1 - 1e-12)
        if res["status"] in certified:
            assert res["upper_bound"] - res["lower_bound"] <= 1e-6 * res["upper_bound"]


@pytest.mark.slow
def test_the_capped_general_problem_of_the_report_raises():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    y = rng.normal(size=(40, 2)) + 0.5
    with pytest.raises(dv.CertificateError, match="max_iter") as info:
        dv.w1_primal(x, y, method="sparse", max_iter=5)
    res = info.value.result
    assert res.lower_bound <= float(dv.w1_primal(x, y, method="dense").value) <= res.upper_bound
    with pytest.raises(dv.CertificateError):
        dv.w1_dual(x, y, method="sparse", max_iter=5)

    def fn(p, q):
        return dv.w1_primal(p, q, method="sparse", max_iter=5).value

    assert np.isnan(float(jax.jit(fn)(x, y)))
    with pytest.raises(dv.SolverError, match="max_iter"):
        jax.block_until_ready(dv.checked(jax.jit(fn))(x, y))


def test_threads_come_from_the_environment(monkeypatch):
    native = native_module.load()
    seen = []

    class Spy:
        def c_transform(self, *args, **options):
            seen.append(options["threads"])
            return native.c_transform(*args, **options)

    monkeypatch.setattr(native_module, "load", lambda: Spy())
    monkeypatch.setenv("DIVERGENCES_NUM_THREADS", "3")
    # Points in the plane: on the line the queries are exact running minima, with no threads.
    queries = np.ones((4096, 2))  # fewer run on one thread, whatever the variable says
    nearest.weighted_nearest(queries, np.zeros((2, 2)), np.zeros(2))
    monkeypatch.delenv("DIVERGENCES_NUM_THREADS")
    nearest.weighted_nearest(queries, np.zeros((2, 2)), np.zeros(2))
    assert seen[0] == 3 and seen[1] >= 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("DIVERGENCES_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="DIVERGENCES_NUM_THREADS must be a positive"):
            nearest.weighted_nearest(queries, np.zeros((2, 2)), np.zeros(2))


def _run_limited(body: str) -> subprocess.CompletedProcess:
    """Runs `body` in a fresh interpreter with the module loaded alone (no JAX) as `native`.

    The address space is capped first, at its current size plus MARGIN bytes.
    """
    script = textwrap.dedent(
        """
        import importlib.util, resource, sys
        import numpy as np
        spec = importlib.util.spec_from_file_location("_ot_native", sys.argv[1])
        native = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(native)
        def cap(margin):
            with open("/proc/self/statm") as fh:
                size = int(fh.read().split()[0]) * resource.getpagesize()
            resource.setrlimit(resource.RLIMIT_AS, (size + margin, size + margin))
        """
    ) + textwrap.dedent(body)
    path = native_module.load().__file__
    return subprocess.run(
        [sys.executable, "-c", script, path], capture_output=True, text=True, timeout=600
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS")
def test_address_space_out_of_memory_is_a_memory_error():
    proc = _run_limited(
        """
        rng = np.random.default_rng(0)
        n = 20000
        x, y = rng.random((n, 2)), rng.random((n, 2))
        w = np.full(n, 1 / n)
        cap(8 << 20)
        try:
            native.solve(x, y, w, w, threads=1)
        except MemoryError as err:
            print("MemoryError:", err)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "MemoryError: _ot_native.solve: out of memory" in proc.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS")
def test_address_space_failed_thread_start_is_a_runtime_error():
    proc = _run_limited(
        """
        rng = np.random.default_rng(0)
        pts, sites = rng.random((20000, 2)), rng.random((8, 2))
        cap(1 << 20)
        try:
            native.c_transform(pts, sites, np.zeros(8), threads=8)
        except RuntimeError as err:
            print("RuntimeError:", err)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeError: _ot_native.c_transform:" in proc.stdout


def test_an_optimal_plan_as_first_basis_needs_no_pivot():
    """The simplex started from an optimal plan's support (a spanning tree) stops at once.

    Its tree flows for (a, b) are the plan's and its potentials optimal duals; the result is
    POT's value, with the forest start reported.
    """
    native = native_module.load()
    x, y, a, b = _problem(3)
    plan = ot.emd(a, b, cdist(x, y))
    rows, cols = np.nonzero(plan > 0)
    assert rows.size == x.shape[0] + y.shape[0] - 1  # non-degenerate: a spanning tree
    basis = {"basis_rows": rows.astype(np.int32), "basis_cols": cols.astype(np.int32)}
    res = native.solve(x, y, a, b, **basis)
    assert res["forest_start"] and res["pivots"] == 0
    assert res["status"] == native.STATUS["OPTIMAL"]
    np.testing.assert_allclose(res["value"], ot.emd2(a, b, cdist(x, y)), rtol=1e-13)


def test_a_forest_that_is_no_plan_falls_back_to_the_monotone_start():
    """Arcs whose tree flows for (a, b) are not all positive: the monotone start, same answer.

    Every source joined to the first sink and every sink to the first source is a spanning
    tree (a double star) whose flow from the first source to the first sink is negative here.
    """
    native = native_module.load()
    x, y, a, b = _problem(4)
    n, m = x.shape[0], y.shape[0]
    rows = np.concatenate([np.arange(n), np.zeros(m - 1, int)]).astype(np.int32)
    cols = np.concatenate([np.zeros(n, int), np.arange(1, m)]).astype(np.int32)
    res = native.solve(x, y, a, b, basis_rows=rows, basis_cols=cols)
    assert not res["forest_start"]
    assert res["status"] == native.STATUS["OPTIMAL"]
    np.testing.assert_allclose(res["value"], ot.emd2(a, b, cdist(x, y)), rtol=1e-13)
    with pytest.raises(ValueError, match="basis_rows and basis_cols together"):
        native.solve(x, y, a, b, basis_rows=rows)
    with pytest.raises(ValueError, match="basis_cols"):
        native.solve(x, y, a, b, basis_rows=rows, basis_cols=cols + m)


_ANSWER_KEYS = ("status", "value", "lower_bound", "pivots", "rounds", "shifted", "priced",
                "rows", "cols", "mass", "u", "v")  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_layout_along_the_tree_changes_no_pivot(seed):
    """The simplex on nodes renumbered along its tree pivots as on the caller's numbering.

    ``layout_nodes=0`` lays every tree out (and again every quarter of its size in pivots,
    and back before each round's pricing); a size no graph reaches never does. The pivots,
    the plan, the duals and the bounds are the same bits, on general masses with a forest
    start and several rounds, and on the grid flow.
    """
    native = native_module.load()
    x, y, a, b = _problem(seed, n=300, m=260)
    plan = ot.emd(a, b, cdist(x, y))
    rows, cols = np.nonzero(plan > 0)
    keep = np.arange(rows.size) % 3 != 0  # part of the optimal support: a forest, some pivots
    options = {"basis_rows": rows[keep].astype(np.int32), "basis_cols": cols[keep].astype(np.int32),
               "arc_rows": np.arange(300, dtype=np.int32),
               "arc_cols": np.arange(300, dtype=np.int32) * 7 % 260}  # fmt: skip
    laid, given = (native.solve(x, y, a, b, layout_nodes=k, **options) for k in (0, 2**31 - 1))
    assert laid["pivots"] > 100 and laid["rounds"] > 1
    for key in _ANSWER_KEYS:
        np.testing.assert_array_equal(np.asarray(laid[key]), np.asarray(given[key]), err_msg=key)
    np.testing.assert_allclose(laid["value"], ot.emd2(a, b, cdist(x, y)), rtol=1e-13)
    rng = np.random.default_rng(seed)
    mu, nu = rng.dirichlet(np.ones(400)), rng.dirichlet(np.ones(400))
    shape = np.array([20, 20], np.int32)
    laid, given = (native.grid_flow(mu, nu, shape, layout_nodes=k) for k in (0, 2**31 - 1))
    assert laid["pivots"] > 100
    for key in ("status", "pivots", "pi", "rows", "cols", "mass"):
        np.testing.assert_array_equal(np.asarray(laid[key]), np.asarray(given[key]), err_msg=key)
    with pytest.raises(ValueError, match="layout_nodes >= 0"):
        native.grid_flow(mu, nu, shape, layout_nodes=-1)


@pytest.mark.parametrize("assignment", [False, True])
def test_more_arcs_a_round_take_fewer_rounds_to_the_same_optimum(assignment):
    """``arcs_per_point=k`` adds each point's k least negative arcs a round, not its least.

    From a first graph of one arc a point, far from the optimal support: the optimum is the
    same (POT's, certified by the bounds), reached in fewer rounds on a larger graph; a
    round that added only each point's least arc would take as many rounds as k = 1.
    """
    native = native_module.load()
    n = 400
    x, y, a, b = _problem(3, n=n, m=n)
    if assignment:
        a = b = np.full(n, 1.0 / n)
    first = {"arc_rows": np.arange(n, dtype=np.int32), "arc_cols": np.arange(n, dtype=np.int32)}
    want = ot.emd2(a, b, cdist(x, y))
    one, many = (
        native.solve(x, y, a, b, assignment=assignment, arcs_per_point=k, **first) for k in (1, 8)
    )
    for res in (one, many):
        assert res["status"] == native.STATUS["OPTIMAL"]
        np.testing.assert_allclose([res["value"], res["lower_bound"]], want, rtol=1e-13)
    assert many["rounds"] < one["rounds"] and many["arcs"] > one["arcs"]
