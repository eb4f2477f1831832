"""Many W1 problems on an executor: the same results as one by one, failures kept by index.

Threads in-process for most tests (no start-up cost); one test runs the default pool of spawned
processes and one a Dask cluster (the `cluster` extra), since pickling and a foreign executor are
what can break there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv
from divergences.testing.measures import measure, measure_pairs
from divergences.wasserstein import batch


@pytest.fixture(scope="module")
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


class Recording:
    """An executor that runs each task at once and records the order of submission."""

    def __init__(self):
        self.sizes = []

    def submit(self, fn, *args):
        from concurrent.futures import Future

        x, y, _, _ = args[0]
        self.sizes.append(x.shape[0] * y.shape[0])
        fut = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as err:
            fut.set_exception(err)
        return fut


def _one_by_one(pair):
    sol = dv.w1_primal(pair.x, pair.y, pair.a, pair.b)
    return float(sol.value), float(sol.lower_bound), float(sol.upper_bound)


@settings(max_examples=10)
@given(st.lists(measure_pairs(), min_size=1, max_size=4))
def test_batch_is_each_problem_alone(pool, pairs):
    got = dv.w1_batch([(p.x, p.y, p.a, p.b) for p in pairs], executor=pool)
    want = np.array([_one_by_one(p) for p in pairs])
    np.testing.assert_array_equal(got.value, want[:, 0])
    np.testing.assert_array_equal(got.lower_bound, want[:, 1])
    np.testing.assert_array_equal(got.upper_bound, want[:, 2])
    assert got.errors == {}
    assert np.all(got.lower_bound <= got.value) and np.all(got.value <= got.upper_bound)


@settings(max_examples=10)
@given(st.lists(measure(2), min_size=2, max_size=4))
def test_pairwise_is_a_metric_matrix(pool, measures):
    out = dv.w1_pairwise(measures, executor=pool)
    k = len(measures)
    assert out.value.shape == out.lower_bound.shape == (k, k)
    np.testing.assert_array_equal(out.value, out.value.T)
    np.testing.assert_array_equal(np.diag(out.value), np.zeros(k))
    for i in range(k):
        for j in range(i + 1, k):
            (x, a), (y, b) = measures[i], measures[j]
            assert float(dv.w1_primal(x, y, a, b).value) == out.value[i, j]
            for m in range(k):  # the triangle inequality, between certified bounds
                assert out.lower_bound[i, j] <= out.upper_bound[i, m] + out.upper_bound[m, j]


def test_longest_problems_go_first():
    rng = np.random.default_rng(0)
    sizes = [2, 9, 4, 7]
    pairs = [(rng.random((n, 2)), rng.random((n + 1, 2))) for n in sizes]
    executor = Recording()
    progress = []
    dv.w1_batch(pairs, executor=executor, progress=progress.append)
    assert executor.sizes == sorted(executor.sizes, reverse=True)
    assert progress == [1] * len(pairs)


def test_a_failed_problem_is_reported_with_its_index(pool):
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    bad = (x, x, np.array([0.5, 0.6]), np.array([0.5, 0.5]))
    pairs = [(x, x + 1.0), bad, (x, x + 2.0)]
    kept = dv.w1_batch(pairs, executor=pool, on_error="keep")
    assert list(kept.errors) == [1]
    assert isinstance(kept.errors[1], ValueError) and "sum to 1" in str(kept.errors[1])
    assert np.isnan(kept.value[1]) and np.isnan(kept.upper_bound[1])
    np.testing.assert_allclose(kept.value[[0, 2]], [np.sqrt(2.0), 2.0 * np.sqrt(2.0)])
    with pytest.raises(dv.BatchError) as info:
        dv.w1_batch(pairs, executor=pool)
    (err,) = info.value.exceptions
    assert isinstance(err, ValueError) and "in pairs 1" in err.__notes__
    np.testing.assert_array_equal(info.value.result.value, kept.value)


def test_pairwise_failure_names_the_pair(pool):
    good = (np.array([[0.0]]), None)
    bad = (np.array([[1.0], [2.0]]), np.array([0.7, 0.7]))
    out = dv.w1_pairwise([good, good, bad], executor=pool, on_error="keep")
    assert sorted(out.errors) == [(0, 2), (1, 2)]
    assert out.value[0, 1] == 0.0 and np.isnan(out.value[2, 0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: dv.w1_batch([(np.zeros((2, 1)),)]), r"pairs\[0\] must be a tuple"),
        (lambda: dv.w1_batch([(np.zeros(2), ["a", "b"])]), r"pairs\[0\]\[1\] must be an array"),
        (lambda: dv.w1_batch([], on_error="ignore"), "on_error must be"),
        (lambda: dv.w1_batch([], executor=object()), "executor must be"),
        (lambda: dv.w1_batch([], progress=3), "progress must be"),
        (lambda: dv.w1_pairwise([(np.zeros(2), None, None)]), r"measures\[0\] must be"),
    ],
)
def test_bad_calls_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_empty_batch():
    out = dv.w1_batch([], executor=ThreadPoolExecutor(1))
    assert out.value.shape == (0,) and out.errors == {}


@pytest.mark.slow
def test_default_pool_of_processes(monkeypatch):
    """Spawned workers, whose JAX starts without x64: float64 input is still solved in float64."""
    monkeypatch.setattr(batch, "INLINE_SIZE", 0)  # a batch this small is solved in this process
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    pairs = [(x, x + 1e-9), (x, x[::-1] * 2.0)]  # a shift float32 would round away
    out = dv.w1_batch(pairs, max_workers=2)
    want = [float(dv.w1_primal(*p).value) for p in pairs]
    np.testing.assert_array_equal(out.value, want)
    assert out.value[0] == pytest.approx(np.sqrt(2.0) * 1e-9, rel=1e-6)  # 1 + 1e-9 is inexact


@pytest.mark.slow
def test_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(1)
    measures = [rng.random((5, 2)) for _ in range(4)]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        out = dv.w1_pairwise(measures, executor=client.get_executor())
    for i in range(4):
        for j in range(i + 1, 4):
            assert out.value[i, j] == float(dv.w1_primal(measures[i], measures[j]).value)


def _no_pool(*args):
    raise AssertionError("a process pool was started")


def test_a_small_batch_is_solved_in_this_process(monkeypatch):
    # Below INLINE_SIZE no worker starts: the batch is the loop, with its progress and errors.
    monkeypatch.setattr(batch, "_spawned_pool", _no_pool)
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    bad = (x, x, np.array([0.5, 0.6]), np.array([0.5, 0.5]))
    progress = []
    out = dv.w1_batch([(x, x + 1.0), bad], progress=progress.append, on_error="keep")
    assert out.value[0] == float(dv.w1_primal(x, x + 1.0).value) and np.isnan(out.value[1])
    assert isinstance(out.errors[1], ValueError) and progress == [1, 1]
    pairwise = dv.w1_pairwise([x, x + 1.0, x + 2.0])
    assert pairwise.value[0, 2] == float(dv.w1_primal(x, x + 2.0).value)


def test_a_batch_above_the_threshold_goes_to_the_pool(monkeypatch):
    started = []

    def threads(max_workers, name):
        started.append((max_workers, name))
        return ThreadPoolExecutor(2)

    monkeypatch.setattr(batch, "_spawned_pool", threads)
    x = np.zeros((3, 1))
    monkeypatch.setattr(batch, "INLINE_SIZE", 3 * 3 * 2 - 1)  # two pairs of 3 x 3: one over
    assert dv.w1_batch([(x, x), (x, x + 1.0)], max_workers=5).value.tolist() == [0.0, 1.0]
    assert started == [(5, "w1_batch")]


SCRIPT = """import numpy as np
import divergences as dv
x = np.zeros((2, 1))
{call}
"""


@pytest.mark.parametrize(
    ("call", "line"),
    [
        ("out = dv.w1_batch([(x, x + 1.0)])", 4),
        ("def main():\n    return dv.w1_batch([(x, x + 1.0)])\nout = main()", 6),
        ('if __name__ == "__main__":\n    out = dv.w1_batch([(x, x + 1.0)])', None),
        ("if '__main__' == __name__:\n    out = dv.w1_batch([(x, x + 1.0)])", None),
    ],
)
def test_a_script_without_the_main_guard_is_refused_naming_the_guard(
    tmp_path, monkeypatch, call, line
):
    # The script run as the main module, in this process; a pool of threads stands in for the
    # spawned processes where the guard is there.
    path = tmp_path / "script.py"
    path.write_text(SCRIPT.format(call=call))
    main = types.ModuleType("__main__")
    main.__file__ = str(path)
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(batch, "INLINE_SIZE", 0)
    monkeypatch.setattr(batch, "ProcessPoolExecutor", lambda **kw: ThreadPoolExecutor(2))
    code = compile(path.read_text(), str(path), "exec")
    if line is not None:
        with pytest.raises(RuntimeError) as info:
            exec(code, {"__name__": "__main__"})
        assert f"w1_batch is called at the top level of the script {path} (line {line})" in str(
            info.value
        )
        assert 'outside `if __name__ == "__main__":`' in str(info.value)
        assert "executor=concurrent.futures.ThreadPoolExecutor()" in str(info.value)
    else:
        scope = {"__name__": "__main__"}
        exec(code, scope)
        assert scope["out"].value.tolist() == [1.0]


@pytest.mark.slow
def test_a_script_without_the_main_guard_is_one_message_in_a_real_run(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(
        SCRIPT.format(
            call="from divergences.wasserstein import batch\nbatch.INLINE_SIZE = 0\n"
            "dv.w1_batch([(x, x + 1.0), (x, x)])"
        )
    )
    root = Path(dv.__file__).resolve().parent.parent  # this checkout's package, not another's
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, check=False, env=env
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: w1_batch is called at the top level of the script")
    assert 'if __name__ == "__main__":' in last
    assert len(run.stderr.splitlines()) < 30  # no worker started, so no worker's traceback
