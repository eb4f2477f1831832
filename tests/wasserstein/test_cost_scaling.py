"""The compiled cost-scaling engine for the integer transportation problem (``cost_scaling``).

Every answer is checked by its own certificate in exact integer arithmetic: the flow meets the
supplies and demands, the potentials make every arc's reduced cost >= 0 and the arcs with flow
tight (complementary slackness: the flow is optimal); and against HiGHS on small problems.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from divergences.testing.profiles import at_most
from divergences.wasserstein._src.host import native as native_module

pytestmark = pytest.mark.native

#: |cost| * (n + m + 1) and |potential| * (n + m + 1) must stay below this (the engine's guard).
GUARD = 2**59


def _solve(supply, demand, rows, cols, cost, **kw):
    return native_module.load().cost_scaling(
        np.asarray(supply, np.int64), np.asarray(demand, np.int64), np.asarray(rows, np.int32),
        np.asarray(cols, np.int32), np.asarray(cost, np.int64), **kw,
    )  # fmt: skip


def _certify(supply, demand, rows, cols, cost, res) -> None:
    """The flow is a coupling and the potentials prove it optimal, in Python integers."""
    n, m = len(supply), len(demand)
    flow = [int(f) for f in np.asarray(res["flow"])]
    pi = [int(p) for p in np.asarray(res["potentials"])]
    assert len(flow) == len(cost) and len(pi) == n + m
    out, into = [0] * n, [0] * m
    for i, j, f in zip(rows, cols, flow, strict=True):
        assert f >= 0
        out[int(i)] += f
        into[int(j)] += f
    assert out == [int(s) for s in supply] and into == [int(d) for d in demand]
    for i, j, c, f in zip(rows, cols, cost, flow, strict=True):
        reduced = int(c) + pi[int(i)] - pi[n + int(j)]
        assert reduced >= 0 and (f == 0 or reduced == 0)
    assert res["objective"] == sum(int(c) * f for c, f in zip(cost, flow, strict=True))


def _northwest(supply, demand) -> list[tuple[int, int]]:
    """The support of the northwest-corner coupling: arcs on which a flow always exists."""
    s, d = [int(v) for v in supply], [int(v) for v in demand]
    i = j = 0
    arcs = []
    while i < len(s) and j < len(d):
        arcs.append((i, j))
        move = min(s[i], d[j])
        s[i] -= move
        d[j] -= move
        if s[i] == 0 and i < len(s) - 1:
            i += 1
        elif d[j] == 0 and j < len(d) - 1:
            j += 1
        else:
            break
    return arcs


def _random_problem(rng: np.random.Generator):
    n, m = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    mask = rng.random((n, m)) < rng.random()
    mask[rng.integers(n), rng.integers(m)] = True
    rows, cols = np.nonzero(mask)
    total = int(rng.integers(0, 40))
    supply = rng.multinomial(total, np.ones(n) / n)
    demand = rng.multinomial(total, np.ones(m) / m)
    cost = rng.integers(-60, 100, rows.size)
    return supply, demand, rows, cols, cost


def _highs(supply, demand, rows, cols, cost):
    n, m, k = len(supply), len(demand), len(rows)
    a = np.zeros((n + m, k))
    a[rows, np.arange(k)] = 1.0
    a[n + cols, np.arange(k)] = 1.0
    b = np.concatenate([supply, demand]).astype(float)
    return linprog(cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")


def test_optimum_against_highs_and_infeasible_reported():
    rng = np.random.default_rng(7)
    feasible = infeasible = 0
    for _ in range(100):
        problem = _random_problem(rng)
        lp = _highs(*problem)
        if lp.status == 2:
            with pytest.raises(ValueError, match="infeasible"):
                _solve(*problem)
            infeasible += 1
            continue
        assert lp.status == 0
        res = _solve(*problem)
        _certify(*problem, res)
        assert res["objective"] == round(lp.fun)
        feasible += 1
    assert feasible > 25 and infeasible > 10


def test_result_keys_and_types():
    res = _solve([3, 1], [2, 2], [0, 0, 1], [0, 1, 1], [5, 1, 4])
    assert set(res) == {
        "objective", "flow", "potentials", "phases", "pushes", "relabels", "updates", "escalations",
        "corrections", "first_eps", "seconds",
    }  # fmt: skip
    assert np.asarray(res["flow"]).dtype == np.int64
    assert np.asarray(res["potentials"]).dtype == np.int64
    assert res["objective"] == 5 * 2 + 1 * 1 + 4 * 1
    assert res["corrections"] == 0  # the shortest-path labels are exact as they come


def _complete(seed: int, n: int, total: int):
    """Every pair of ``n`` sources and ``n`` sinks, random integer masses of ``total`` and costs."""
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(np.ones((n, n)))
    supply = rng.multinomial(total, np.ones(n) / n)
    demand = rng.multinomial(total, np.ones(n) / n)
    return supply, demand, rows, cols, rng.integers(0, 1_000_000, rows.size)


def test_warm_start_from_the_optimum_does_no_work():
    n = m = 30
    supply, demand, rows, cols, cost = _complete(3, n, 10_000)
    cold = _solve(supply, demand, rows, cols, cost)
    assert cold["relabels"] > 0 and cold["phases"] > 3 and cold["escalations"] == 0
    pi, flow = np.asarray(cold["potentials"]), np.asarray(cold["flow"])
    both = _solve(supply, demand, rows, cols, cost, potentials=pi, flow=flow)
    assert both["objective"] == cold["objective"]
    assert both["phases"] == 1 and both["pushes"] == 0 and both["relabels"] == 0
    # From the potentials alone (float64 here) every unit of mass is placed again, along tight
    # arcs: a single phase, a few relabels a node.
    alone = _solve(supply, demand, rows, cols, cost, potentials=pi.astype(np.float64))
    _certify(supply, demand, rows, cols, cost, alone)
    assert alone["phases"] == 1 and alone["relabels"] <= 10 * (n + m)


def test_tight_but_wrong_potentials_grow_eps_instead_of_crawling():
    # Every arc's reduced cost >= 0 and every node on a tight arc: no violation, so the first
    # eps is tiny, but the prices are far from the optimal ones; the phase's eps grows.
    n = m = 60
    supply, demand, rows, cols, cost = _complete(5, n, 100_000)
    u = cost.reshape(n, m).min(axis=1)
    v = (cost.reshape(n, m) - u[:, None]).min(axis=0)
    cold = _solve(supply, demand, rows, cols, cost)
    warm = _solve(supply, demand, rows, cols, cost, potentials=np.concatenate([-u, v]))
    _certify(supply, demand, rows, cols, cost, warm)
    assert warm["objective"] == cold["objective"]
    assert warm["first_eps"] < 1.0 and warm["escalations"] >= 1
    assert warm["relabels"] <= 5 * cold["relabels"]


def test_warm_start_from_any_flow_and_potentials():
    rng = np.random.default_rng(11)
    n, m = 12, 9
    rows, cols = np.nonzero(rng.random((n, m)) < 0.6)
    extra = _northwest(np.full(n, 3), np.full(m, 4))
    keys = np.union1d(rows * m + cols, [i * m + j for i, j in extra])
    rows, cols = keys // m, keys % m
    supply, demand = np.full(n, 3), np.full(m, 4)
    cost = rng.integers(0, 500, rows.size)
    ref = _solve(supply, demand, rows, cols, cost)
    for _ in range(10):
        flow = np.minimum(rng.integers(0, 4, rows.size), np.minimum(supply[rows], demand[cols]))
        pi = rng.normal(scale=300.0, size=n + m)
        res = _solve(supply, demand, rows, cols, cost, potentials=pi, flow=flow)
        _certify(supply, demand, rows, cols, cost, res)
        assert res["objective"] == ref["objective"]


def test_a_source_without_arcs_is_infeasible_not_a_hang():
    with pytest.raises(ValueError, match="infeasible"):
        _solve([2, 3], [5], [1], [0], [1])
    # Every node has arcs, but the two sinks of one source cannot take its supply.
    with pytest.raises(ValueError, match="infeasible"):
        _solve([5, 1], [2, 2, 2], [0, 0, 1], [0, 1, 2], [1, 1, 1])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"supply": [3, 2]}, "equal totals"),
        ({"supply": [-1, 5]}, "supply must be >= 0"),
        ({"demand": [5, -1]}, "demand must be >= 0"),
        ({"rows": [0, 2, 1]}, "arc_rows must lie in"),
        ({"cols": [0, 1, -1]}, "arc_cols must lie in"),
        ({"cost": [1, 2]}, "one entry per arc"),
        ({"cost": [1, GUARD // 5, 3]}, "cost must satisfy"),
        ({"potentials": np.zeros(3)}, "potentials must have"),
        ({"potentials": np.array([0.0, np.nan, 0.0, 0.0])}, "potentials must be finite"),
        ({"potentials": np.array([0, GUARD // 5, 0, 0])}, "potentials must be finite"),
        ({"flow": np.array([1, 0, 3])}, "flow must satisfy"),
        ({"flow": np.array([0, -1, 0])}, "flow must satisfy"),
        ({"flow": np.array([0, 0])}, "flow must have"),
    ],
)
def test_bad_input_names_the_argument(change, match):
    args = {"supply": [3, 1], "demand": [2, 2], "rows": [0, 0, 1], "cols": [0, 1, 1],
            "cost": [5, 1, 4]}  # fmt: skip
    kw = {k: change.pop(k) for k in ("potentials", "flow") if k in change}
    args |= change
    with pytest.raises(ValueError, match=match):
        _solve(args["supply"], args["demand"], args["rows"], args["cols"], args["cost"], **kw)


def test_wrong_dtypes_are_type_errors():
    native = native_module.load()
    s, d = np.array([1], np.int64), np.array([1], np.int64)
    r, c = np.array([0], np.int32), np.array([0], np.int32)
    with pytest.raises(TypeError, match="supply must be a C-contiguous int64"):
        native.cost_scaling(s.astype(np.float64), d, r, c, np.array([1], np.int64))
    with pytest.raises(TypeError, match="cost must be a C-contiguous int64"):
        native.cost_scaling(s, d, r, c, np.array([1], np.int32))
    with pytest.raises(TypeError, match="potentials must be a C-contiguous float64 or int64"):
        native.cost_scaling(s, d, r, c, np.array([1], np.int64), potentials=np.zeros(2, np.int32))
    with pytest.raises(TypeError):
        native.cost_scaling(s, d, r, c, np.array([1], np.int64), None)  # options keyword-only


@st.composite
def transport_problems(draw, *, cost_bits: int):
    """A feasible integer problem: zeros, one-node sides, huge masses; costs of cost_bits bits."""
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    big = draw(st.sampled_from([10, 2**20, 2**58]))
    supply = draw(st.lists(st.sampled_from([0, 1, big, big - 1, 7]), min_size=n, max_size=n))
    total = sum(supply)
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=m - 1, max_size=m - 1)))
    demand = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    keys = {i * m + j for i, j in _northwest(supply, demand)}
    keys |= set(draw(st.lists(st.integers(0, n * m - 1), max_size=n * m)))
    keys_sorted = sorted(keys)
    rows, cols = [k // m for k in keys_sorted], [k % m for k in keys_sorted]
    top = min(2**cost_bits, GUARD // (n + m + 1) - 1)
    cost = draw(st.lists(st.sampled_from([0, 1, -1, top, -top, top // 3]), min_size=len(rows),
                         max_size=len(rows)))  # fmt: skip
    return supply, demand, rows, cols, cost


@at_most(30)
@given(transport_problems(cost_bits=30), st.booleans())
def test_property_optimal_and_certified(problem, warm):
    kw = {}
    if warm:  # the northwest-corner flow is feasible on these arcs; any potentials
        supply, demand, rows, cols, _ = problem
        nw = {(i, j) for i, j in _northwest(supply, demand)}
        s, d = list(supply), list(demand)
        flow = []
        for i, j in zip(rows, cols, strict=True):
            f = min(s[i], d[j]) if (i, j) in nw else 0
            s[i] -= f
            d[j] -= f
            flow.append(f)
        kw = {"flow": np.array(flow, np.int64),
              "potentials": np.linspace(-5.0, 5.0, len(supply) + len(demand))}  # fmt: skip
    _certify(*problem, _solve(*problem, **kw))


@at_most(30)
@given(transport_problems(cost_bits=62))
def test_property_costs_at_the_guard(problem):
    # Costs at the guard's edge: certified, or the int64 guard reported (never a wrong flow).
    try:
        res = _solve(*problem)
    except ValueError as err:
        assert "int64" in str(err)
        return
    _certify(*problem, res)
