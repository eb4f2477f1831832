"""One host call, two modes: an eager call and ``dv.checked(jax.jit(...))`` fail alike.

Every way a host function can stop (each failing status of a solver, the KR LP's statuses,
a ``MemoryError``, the compiled code's ``RuntimeError``, a failed query of ``kr_potential``)
raises the same exception type, status and message eagerly and under a trace: both run the
host function through the runner's ``on_host`` (the eager error is the solver's own; a trace
carries its text back from the callback). The eager error may be a ``CertificateError``,
whose ``.result`` a trace cannot carry: under a trace it is its base, a ``SolverError``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np
import pytest

import divergences as dv
from divergences._src.errors import CarriedRule, decode_text, encode_text, require
from divergences.wasserstein._src.host import dense as dense_host
from divergences.wasserstein._src.host import kr_lp, nearest
from divergences.wasserstein._src.host_call import MESSAGE_BYTES, host_error, on_host
from divergences.wasserstein._src.results import CertificateError, SolverError, Status

_RNG = np.random.default_rng(7)
_X, _Y, _Z = _RNG.normal(size=(6, 2)), _RNG.normal(size=(5, 2)) + 0.5, _RNG.normal(size=(3, 2))

#: The statuses short of a certified optimum (SKIPPED is input that broke a rule: its own check).
_FAILING = [code for code in Status if not code.ok and code != Status.SKIPPED]


def _raised(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises (the test fails where it returns)."""
    with pytest.raises((SolverError, MemoryError, ValueError)) as info:
        jax.block_until_ready(call())
    return info.value


def _assert_alike(eager: BaseException, traced: BaseException) -> None:
    """The same type (a CertificateError's base under a trace), status and message."""
    expected = SolverError if isinstance(eager, CertificateError) else type(eager)
    assert type(traced) is expected
    assert getattr(traced, "status", None) == getattr(eager, "status", None)
    assert str(traced) == str(eager)


def _both(fn: Callable[..., object], *args: object) -> tuple[BaseException, BaseException]:
    """The exceptions of ``fn(*args)`` eagerly and under ``dv.checked(jax.jit(fn))``."""
    return _raised(lambda: fn(*args)), _raised(lambda: dv.checked(jax.jit(fn))(*args))


# One function per method (module level: each is compiled once for the whole file).
def _primal_dense(x, y):
    return dv.w1_primal(x, y, method="dense").value


def _dual_dense(x, y):
    return dv.w1_dual(x, y, method="dense").f


def _dual_lp(x, y):
    return dv.w1_dual(x, y, method="lp").f


def _potential(f, points, z):
    return dv.kr_potential(dv.W1Dual(f.sum(), f, points, f.sum()), z)


def _failing_solve(error: BaseException) -> Callable[..., object]:
    def solve(*args, **kwargs):
        raise error

    return solve


def _name(error: BaseException) -> str:
    return error.status.name if isinstance(error, SolverError) else type(error).__name__


_HOST_FAILURES = [
    *(SolverError(f"the solver stopped ({code.name}): {{not a field}}", code) for code in _FAILING),
    MemoryError("the solver ran out of memory: about 3 GiB"),
    RuntimeError("_ot_native.solve: an exception of the compiled code"),
]


@pytest.mark.slow
@pytest.mark.parametrize("fn", [_primal_dense, _dual_dense], ids=["w1_primal", "w1_dual"])
@pytest.mark.parametrize("error", _HOST_FAILURES, ids=lambda e: _name(e))
def test_every_failure_of_a_transport_solver_raises_alike(monkeypatch, fn, error):
    """The solver's own error; out of memory a MemoryError; the compiled code's a SolverError."""
    monkeypatch.setattr(dense_host.SOLVER, "solve", _failing_solve(error))
    eager, traced = _both(fn, _X, _Y)
    _assert_alike(eager, traced)
    assert str(eager) == str(error)
    if isinstance(error, MemoryError) or getattr(error, "status", None) == Status.OUT_OF_MEMORY:
        assert type(eager) is MemoryError
    elif isinstance(error, SolverError):
        assert eager is error
    else:
        assert type(eager) is SolverError and eager.status == Status.FAILED
        assert eager.__cause__ is error


def test_a_pivot_cap_too_small_raises_alike():
    eager, traced = _both(lambda x, y: dv.w1_primal(x, y, method="dense", max_iter=2).value, _X, _Y)
    _assert_alike(eager, traced)
    assert eager.status == Status.PIVOT_CAP and "max_iter" in str(eager)


def _sparse_one_round(x, y):
    return dv.w1_dual(x, y, method="sparse", rtol=0.0, max_rounds=1).f


def _capped_problem() -> tuple[np.ndarray, np.ndarray]:
    """A problem of _X's shapes that one pricing round does not solve (_X, _Y it does)."""
    rng = np.random.default_rng(17)
    return rng.normal(size=(6, 2)), rng.normal(size=(5, 2)) + 0.5


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.native
def test_a_sparse_round_cap_raises_alike_with_the_bounds_reached():
    eager, traced = _both(_sparse_one_round, *_capped_problem())
    _assert_alike(eager, traced)
    assert isinstance(eager, CertificateError) and eager.status == Status.ROUND_CAP
    assert "It stopped after 1 rounds" in str(traced)


@pytest.mark.slow
@pytest.mark.native
def test_under_vmap_the_failing_element_speaks_as_its_eager_call():
    """Element 1 fails with its own bounds in its message; element 0 is solved."""
    x, y = _capped_problem()
    eager = _raised(lambda: _sparse_one_round(x, y))
    batched = dv.checked(jax.jit(jax.vmap(_sparse_one_round)))
    traced = _raised(lambda: batched(np.stack([_X, x]), np.stack([_Y, y])))
    _assert_alike(eager, traced)
    assert np.all(np.isfinite(np.asarray(jax.jit(jax.vmap(_sparse_one_round))(_X[None], _Y[None]))))


@pytest.mark.parametrize(
    "status",
    [Status.PIVOT_CAP, Status.INFEASIBLE, Status.UNBOUNDED, Status.NUMERICAL, Status.FAILED],
    ids=lambda s: s.name,
)
def test_every_status_of_the_kr_lp_raises_alike(monkeypatch, status):
    """HiGHS's statuses, each with its message (FAILED included, which has no entry of its own)."""
    monkeypatch.setattr(kr_lp, "_kr_dual", lambda *args: (None, status))
    eager, traced = _both(_dual_lp, _X, _Y)
    _assert_alike(eager, traced)
    assert eager.status == status and "HiGHS" in str(eager)


def test_the_kr_lp_has_one_message_for_every_status_it_fails_with():
    failing = {code for code in kr_lp._LINPROG_STATUS.values() if code != Status.OPTIMAL}
    assert set(kr_lp.kr_dual_failures(3)) == failing | {Status.FAILED}


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("error", _HOST_FAILURES[-3:], ids=lambda e: _name(e))
def test_a_failed_query_of_kr_potential_raises_alike(monkeypatch, error):
    monkeypatch.setattr(nearest, "weighted_nearest", _failing_solve(error))
    f, points = np.linspace(-1.0, 1.0, 11), np.concatenate([_X, _Y])
    _assert_alike(*_both(_potential, f, points, _Z))


def test_kr_potential_on_a_non_finite_potential_raises_alike():
    f, points = np.linspace(-1.0, 1.0, 11), np.concatenate([_X, _Y])
    f[3] = np.nan
    eager, traced = _both(_potential, f, points, _Z)
    _assert_alike(eager, traced)
    assert isinstance(eager, ValueError) and str(eager).startswith("dual.f contains NaN")


def test_a_message_past_the_bytes_a_trace_carries_is_cut_alike():
    error = SolverError("é" * MESSAGE_BYTES, Status.NUMERICAL)
    eager = host_error(error)
    assert eager is not error and len(str(eager).encode()) <= MESSAGE_BYTES
    assert str(eager).endswith("...") and eager.status == Status.NUMERICAL
    traced = decode_text(encode_text(str(error), MESSAGE_BYTES))
    assert traced == str(eager)
    fitting = SolverError("fits", Status.PIVOT_CAP)
    assert host_error(fitting) is fitting


def test_on_host_returns_the_host_bits_in_both_modes():
    def solve(t):
        return np.ldexp(t, -1074)  # subnormal: the callback keeps them as an eager call does

    t = np.array([3.0, 5.0])
    shape = jax.ShapeDtypeStruct((2,), np.float64)
    eager = on_host(solve, None, t)
    traced = jax.jit(lambda u: on_host(solve, shape, u))(t)
    assert np.asarray(eager).tobytes() == np.asarray(traced).tobytes() == solve(t).tobytes()


def test_a_carried_rule_formats_its_text_as_it_is():
    """The text travels as bytes; braces in it are no fields."""
    rule = CarriedRule("text")
    text = encode_text("x {broke} a rule", 32)
    with pytest.raises(ValueError, match=r"^x \{broke\} a rule$"):
        require(np.array(False), rule, text=text)
    checked = dv.checked(jax.jit(lambda ok: require(ok, rule, text=text)))
    with pytest.raises(ValueError, match=r"^x \{broke\} a rule$"):
        checked(np.array(False))
