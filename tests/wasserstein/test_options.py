"""Options a method takes, and no other: each W1 method's record, its keywords, and the refusals.

The table below is the contract, written out here rather than read from the registry: every
method refuses every keyword it does not take (naming the method and the options it takes),
eagerly and under ``dv.checked(jax.jit(...))`` alike, and honours every one it takes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np
import pytest

import divergences as dv

#: The options of each method, by name.
TAKES = {
    "dense": {"max_iter", "threads"},
    "sparse": {"rtol", "max_rounds", "max_iter", "threads"},
    "line": {"rtol", "threads"},
    "sinkhorn": {"rtol", "max_iter"},
    "lp": {"threads"},
    "grid_flow": {"max_iter"},
}
#: A valid value of each keyword.
VALUES = {"max_iter": 10_000, "rtol": 0.5, "max_rounds": 3, "threads": 1}
#: Each method's record, as exported.
RECORDS = {
    "dense": dv.DenseOptions,
    "sparse": dv.SparseOptions,
    "line": dv.LineOptions,
    "sinkhorn": dv.SinkhornOptions,
    "lp": dv.LPOptions,
    "grid_flow": dv.GridFlowOptions,
}
NEEDS_NATIVE = {"sparse", "grid_flow"}


def _call(method: str, **kw):
    """A small problem of ``method``'s kind, solved by the entry point that offers it."""
    if method == "grid_flow":
        mu, nu = np.zeros((3, 3)), np.zeros((3, 3))
        mu[0, 0], nu[2, 2] = 1.0, 1.0
        return lambda: dv.w1_grid(mu, nu, metric="cityblock", method=method, **kw).value
    if method == "line":
        x, y = np.array([0.0, 1.0, 2.0]), np.array([0.5, 3.0])
    else:
        x, y = np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([[2.0, 0.0], [2.0, 1.0]])
    entry = dv.w1_dual if method == "lp" else dv.w1_primal
    return lambda: entry(x, y, method=method, **kw).value


def _jitted(method: str, **kw):
    """The same call traced: its options are Python values, static under ``jit``."""
    if method == "grid_flow":
        mu, nu = np.zeros((3, 3)), np.zeros((3, 3))
        mu[0, 0], nu[2, 2] = 1.0, 1.0
        fn = jax.jit(lambda m, n: dv.w1_grid(m, n, metric="cityblock", method=method, **kw).value)
        return lambda: dv.checked(fn)(mu, nu)
    x = np.array([[0.0], [1.0]]) if method == "line" else np.array([[0.0, 0.0], [0.0, 1.0]])
    entry = dv.w1_dual if method == "lp" else dv.w1_primal
    fn = jax.jit(lambda p, q: entry(p, q, method=method, **kw).value)
    return lambda: dv.checked(fn)(x, x + 2.0)


def _skip_without_native(method: str) -> None:
    from divergences.wasserstein._src.host import native

    if method in NEEDS_NATIVE and not native.available():
        pytest.skip("needs the compiled extension")


REFUSED = [(m, k) for m in TAKES for k in VALUES if k not in TAKES[m]]
TAKEN = [(m, k) for m in TAKES for k in sorted(TAKES[m])]


@pytest.mark.parametrize(("method", "keyword"), REFUSED)
def test_a_keyword_the_method_does_not_take_is_refused_naming_both(method, keyword):
    with pytest.raises(ValueError) as eager:
        _call(method, **{keyword: VALUES[keyword]})()
    message = str(eager.value)
    assert f"method={method!r} does not take {keyword}" in message
    for option in TAKES[method]:
        assert option in message.split("its options are ")[1]
    with pytest.raises(ValueError) as traced:
        _jitted(method, **{keyword: VALUES[keyword]})()
    assert str(traced.value) == message


@pytest.mark.parametrize(
    ("method", "keyword"),
    # Sinkhorn's keywords, alone and in its record, are test_rtol_is_the_gap_the_interval_keeps's.
    [pytest.param(*c, marks=pytest.mark.slow) if c[0] == "sinkhorn" else c for c in TAKEN],
)
def test_a_keyword_the_method_takes_is_accepted_alone_and_in_its_record(method, keyword):
    _skip_without_native(method)
    by_keyword = _call(method, **{keyword: VALUES[keyword]})()
    record = RECORDS[method](**{keyword: VALUES[keyword]})
    by_record = _call(method, options=record)()
    assert np.isfinite(float(by_keyword))
    np.testing.assert_array_equal(np.asarray(by_record), np.asarray(by_keyword))


def test_the_records_fields_are_the_methods_options():
    for method, record in RECORDS.items():
        fields = set(record._fields) - ({"shape"} if method == "grid_flow" else set())
        assert fields == TAKES[method], method
        assert record.__name__ in dv.__all__


# In the slow tier (Sinkhorn's program); the pivot caps' errors stay quick in test_runner.py.
@pytest.mark.slow
def test_a_tiny_cap_is_honoured_as_the_caps_error():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
    with pytest.raises(dv.SolverError, match="max_iter"):
        dv.w1_primal(x, y, method="dense", max_iter=1)
    with pytest.raises(dv.SolverError, match="max_iter"):
        dv.w1_primal(x, y, options=dv.DenseOptions(max_iter=1))  # auto chose dense: it takes it
    with pytest.raises(dv.SolverError, match="max_iter=1"):
        dv.w1_primal(x, y, method="sinkhorn", options=dv.SinkhornOptions(max_iter=1))
    mu, nu = np.zeros((4, 4)), np.zeros((4, 4))
    mu[0, :], nu[3, :] = 0.25, 0.25
    _skip_without_native("grid_flow")
    with pytest.raises(dv.SolverError, match="max_iter=1"):
        dv.w1_grid(mu, nu, metric="cityblock", max_iter=1)
    with pytest.raises(ValueError, match=r"options.shape must be the masses' shape \(4, 4\)"):
        dv.w1_grid(mu, nu, metric="cityblock", options=dv.GridFlowOptions(shape=(16,)))
    with pytest.raises(dv.SolverError, match="max_rounds"):
        dv.w1_primal(x, y, method="sparse", options=dv.SparseOptions(rtol=0.0, max_rounds=1))
    with pytest.raises(dv.SolverError, match="max_rounds"):
        dv.w1_primal(x, y, method="sparse", rtol=0.0, max_rounds=1)  # the keywords of old


# In the slow tier with Sinkhorn's other programs (seconds to compile).
@pytest.mark.slow
def test_rtol_is_the_gap_the_interval_keeps():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 1.0
    loose = dv.w1_primal(x, y, method="sinkhorn", rtol=0.3)
    tight = dv.w1_primal(x, y, method="sinkhorn", options=dv.SinkhornOptions(rtol=1e-4))
    for sol, rtol in ((loose, 0.3), (tight, 1e-4)):
        lo, hi = float(sol.lower_bound), float(sol.upper_bound)
        assert 0 < lo <= hi <= lo + rtol * hi
    assert float(tight.upper_bound - tight.lower_bound) < float(
        loose.upper_bound - loose.lower_bound
    )


@pytest.mark.parametrize(
    ("keyword", "value"), [("max_rounds", 0), ("rtol", 1.0), ("threads", True)]
)
def test_a_value_is_checked_by_the_method_that_takes_it(keyword, value):
    _skip_without_native("sparse")
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=f"^{keyword} must be"):
        dv.w1_primal(x, x + 1.0, method="sparse", **{keyword: value})
    with pytest.raises(ValueError, match=f"^{keyword} must be"):
        dv.w1_primal(x, x + 1.0, method="sparse", options=dv.SparseOptions(**{keyword: value}))


def test_none_is_the_default_of_a_keyword_the_method_takes():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    sol = dv.w1_primal(x, x + np.array([2.0, 0.0]), method="dense", max_iter=None, threads=None)
    assert float(sol.value) == 2.0


#: One keyword each method does not take, and a misspelling no method takes.
NOT_TAKEN = [(m, min(set(VALUES) - TAKES[m])) for m in TAKES if set(VALUES) - TAKES[m]] + [
    (m, "tolerence") for m in TAKES
]


@pytest.mark.parametrize(("method", "keyword"), NOT_TAKEN)
def test_a_keyword_the_method_does_not_take_is_refused_even_as_none(method, keyword):
    # One rule whatever the value: None is no pass for a keyword the method does not take.
    with pytest.raises(ValueError) as eager:
        _call(method, **{keyword: None})()
    message = str(eager.value)
    assert f"does not take {keyword}" in message or f"keyword {keyword}, which is no" in message
    with pytest.raises(ValueError) as traced:
        _jitted(method, **{keyword: None})()
    assert str(traced.value) == message


def test_a_record_and_a_keyword_set_to_none_are_both_given():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="either as options= or as keywords, not both"):
        dv.w1_primal(x, x, method="dense", options=dv.DenseOptions(), max_iter=None)


def test_the_batches_refuse_a_keyword_as_none_before_any_problem_runs():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    for batch, items in ((dv.w1_batch, [(x, x + 1.0)]), (dv.w1_pairwise, [x, x + 1.0])):
        with pytest.raises(ValueError, match="keyword tolerence, which is no method's option"):
            batch(items, method="dense", tolerence=None)
        with pytest.raises(ValueError, match="method='dense' does not take max_rounds") as e:
            batch(items, method="dense", max_rounds=None)
        assert not isinstance(e.value, dv.BatchError)


def test_a_record_and_keywords_together_or_another_methods_record_are_refused():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="either as options= or as keywords, not both"):
        dv.w1_primal(x, x, method="dense", options=dv.DenseOptions(), max_iter=5)
    with pytest.raises(ValueError, match="options must be a DenseOptions: method='dense'") as e:
        dv.w1_primal(x, x, method="dense", options=dv.SparseOptions(max_rounds=3))
    assert str(e.value).endswith("got SparseOptions")


def test_under_auto_the_chosen_method_must_take_the_keyword_and_the_error_says_why():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError) as small:
        dv.w1_primal(x, x, max_rounds=3)
    assert str(small.value).startswith(
        "method='auto' chose 'dense' (2 x 2 points, at most 4000000 pairs), which does not "
        "take max_rounds; its options are max_iter, threads (max_rounds is an option of "
        "method='sparse')"
    )
    with pytest.raises(ValueError, match=r"chose 'dense' \(metric='cityblock' is not the Eucl"):
        dv.w1_primal(x, x, metric="cityblock", rtol=0.1)
    line = np.linspace(0.0, 1.0, 2001)
    with pytest.raises(ValueError, match=r"chose 'line' \(2001 x 2001 points on the line"):
        dv.w1_primal(line, line, max_iter=10)
    with pytest.raises(ValueError, match=r"^method='auto' chose 'dense'") as traced:
        dv.checked(jax.jit(lambda p, q: dv.w1_primal(p, q, max_rounds=3).value))(x, x)
    assert str(traced.value) == str(small.value)
    assert float(dv.w1_primal(x, x + np.array([1.0, 0.0]), max_iter=100, threads=1).value) == 1.0


def test_a_keyword_no_method_takes_is_named():
    mu = np.ones((2, 2)) / 4
    with pytest.raises(ValueError, match="w1_grid got the keyword max_iters, which is no method"):
        dv.w1_grid(mu, mu, max_iters=3)
    with pytest.raises(ValueError, match="w1_batch got the keyword a, which is no method"):
        dv.w1_batch([(mu, mu)], a=np.ones(2))
    with pytest.raises(ValueError, match=r"'dense' .* does not take max_iters; its options are"):
        dv.w1_primal(mu, mu, max_iters=3)


# In the slow tier: each method's batch compiles its own programs (seconds).
@pytest.mark.slow
def test_w1_batch_takes_the_same_options_as_w1_primal():
    _skip_without_native("sparse")
    rng = np.random.default_rng(2)
    pairs = [(rng.normal(size=(20, 2)), rng.normal(size=(15, 2))) for _ in range(3)]
    one = [float(dv.w1_primal(x, y, method="sparse", max_rounds=50).value) for x, y in pairs]
    with ThreadPoolExecutor(2) as pool:
        by_keyword = dv.w1_batch(pairs, method="sparse", max_rounds=50, executor=pool)
        by_record = dv.w1_batch(
            pairs, method="sparse", options=dv.SparseOptions(max_rounds=50), executor=pool
        )
        np.testing.assert_array_equal(by_keyword.value, one)
        np.testing.assert_array_equal(by_record.value, one)
        # A named method's options are checked before any problem runs.
        with pytest.raises(ValueError, match="method='dense' does not take max_rounds"):
            dv.w1_batch(pairs, method="dense", max_rounds=3, executor=pool)
        with pytest.raises(ValueError, match=r"^max_iter must be"):
            dv.w1_batch(pairs, method="dense", max_iter=0, executor=pool)
        # Honoured: a tiny cap is each problem's error.
        with pytest.raises(dv.BatchError) as capped:
            dv.w1_batch(
                pairs, method="sparse", options=dv.SparseOptions(rtol=0.0, max_rounds=1),
                executor=pool,
            )  # fmt: skip
        assert all("max_rounds" in str(e) for e in capped.value.exceptions)
        # The device method takes no threads: the batch's one thread per problem is not forced.
        sk = dv.w1_batch(pairs, method="sinkhorn", max_iter=20_000, executor=pool)
        assert np.all(sk.lower_bound <= sk.upper_bound)
        # Under auto, each problem's chosen method must take it (dense for these sizes): a
        # caller's mistake, a ValueError before any problem runs, not a BatchError.
        ran = []
        with pytest.raises(ValueError, match="chose 'dense'") as auto:
            dv.w1_batch(pairs, max_rounds=3, executor=pool, progress=ran.append)
        assert not isinstance(auto.value, dv.BatchError) and ran == []
        assert "in pairs 0" in auto.value.__notes__
        # A method that cannot take a problem's points stays that problem's failure.
        line = [(np.array([0.0, 1.0]), np.array([2.0])), pairs[0]]
        kept = dv.w1_batch(line, method="line", rtol=0.5, executor=pool, on_error="keep")
        assert list(kept.errors) == [1] and "needs points on the line" in str(kept.errors[1])
        square = dv.w1_pairwise([p[0] for p in pairs], max_iter=10_000, executor=pool)
        assert square.value[0, 1] == float(dv.w1_primal(pairs[0][0], pairs[1][0]).value)
