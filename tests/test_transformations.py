"""Every public function plain, under jit and vmap, along other axes, in float32, differentiated.

The same answers each way, broadcasting included, and finite gradients with zero mass present.

The module-specific tests (closed forms, references, properties) live in the mirrored modules;
this one holds what every function must satisfy, as one table.
"""

from __future__ import annotations

import inspect
import pathlib
import subprocess
import sys
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import divergences as dv
from divergences.testing import strategies as dvt
from divergences.testing import tolerance
from divergences.testing.reference import check_gradient
from tests.helpers import (
    P_BATCH,
    P_IN,
    P_ZERO,
    Q_BATCH,
    Q_IN,
    Q_ZERO,
    quick_only,
)

G = dv.generators

# A fixed critic inside every conjugate domain used below (KL's is the whole line).
_T = np.array([0.3, -0.2, 0.1, 0.0, -0.4])


def _along(values: np.ndarray, axis: int, ndim: int, dtype) -> jax.Array:
    """``values`` laid along ``axis`` of an ``ndim``-dimensional shape (ones elsewhere)."""
    shape = [1] * ndim
    shape[axis] = values.size
    return jnp.asarray(values, dtype=dtype).reshape(shape)


def _vb_kl(p, q, axis=-1):
    big = p if jnp.ndim(p) >= jnp.ndim(q) else q
    n = jnp.shape(big)[axis]
    t = _along(_T[:n], axis, jnp.ndim(big), jnp.result_type(p))
    return dv.variational_bound(p, q, t, G.KL, axis=axis)


def _reduce(elementwise: Callable) -> Callable:
    """Turns an elementwise result into a scalar per pmf: a fixed weighted sum along ``axis``."""

    def fn(p, q, axis=-1):
        out = elementwise(p, q, axis=axis)
        w = _along(np.linspace(1.0, 2.0, out.shape[axis]), axis, out.ndim, out.dtype)
        return jnp.sum(out * w, axis=axis)

    return fn


#: name -> f(p, q, axis) returning one value per pmf along ``axis``.
FUNCTIONS: dict[str, Callable] = {
    "entropy": lambda p, q, axis=-1: dv.entropy(p, axis=axis),
    "entropy_bits": lambda p, q, axis=-1: dv.entropy(q, base=2, axis=axis),
    "cross_entropy": lambda p, q, axis=-1: dv.cross_entropy(p, q, axis=axis),
    "kl": lambda p, q, axis=-1: dv.kl(p, q, axis=axis),
    "kl_base10": lambda p, q, axis=-1: dv.kl(p, q, base=10, axis=axis),
    "js_divergence": lambda p, q, axis=-1: dv.js_divergence(p, q, axis=axis),
    "js_distance": lambda p, q, axis=-1: dv.js_distance(p, q, base=2, axis=axis),
    "total_variation": lambda p, q, axis=-1: dv.total_variation(p, q, axis=axis),
    "hellinger": lambda p, q, axis=-1: dv.hellinger(p, q, axis=axis),
    "chi_square": lambda p, q, axis=-1: dv.chi_square(p, q, axis=axis),
    # Reverse KL and Neyman are infinite where p = 0 < q: they get (q, p), so that the zero-mass
    # pair of the gradient tests has a finite value.
    **{
        f"f_divergence[{g.name}]": (
            lambda p, q, axis=-1, g=g: (
                dv.f_divergence(q, p, g, axis=axis)
                if g in (G.REVERSE_KL, G.NEYMAN)
                else dv.f_divergence(p, q, g, axis=axis)
            )
        )
        for g in G.GENERATORS.values()
    },
    "gan_value": lambda p, q, axis=-1: dv.gan_value(
        p, q, dv.optimal_discriminator(p, q, axis=axis), axis=axis
    ),
    "variational_bound": _vb_kl,
    "optimal_discriminator": _reduce(dv.optimal_discriminator),
    "optimal_critic": _reduce(lambda p, q, axis=-1: dv.optimal_critic(p, q, G.PEARSON, axis=axis)),
}


def _takes_a_pmf_pair(fn: object) -> bool:
    """Whether ``fn`` has the signature of a divergence, ``fn(p, q, *, axis=-1, ...)``."""
    if not callable(fn) or isinstance(fn, type):
        return False
    params = inspect.signature(fn).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p.name for p in params if p.kind in positional and p.default is p.empty]
    return required == ["p", "q"] and any(p.name == "axis" for p in params)


def _per_pmf(fn: Callable) -> Callable:
    return lambda p, q, axis=-1: fn(p, q, axis=axis)


# A public function with that signature joins the table as it is, one value per pmf: a new
# divergence needs no line here (an elementwise one, as optimal_discriminator, needs its own).
FUNCTIONS.update(
    {
        name: _per_pmf(getattr(dv, name))
        for name in dv.__all__
        if name not in FUNCTIONS and _takes_a_pmf_pair(getattr(dv, name))
    }
)
NAMES = list(FUNCTIONS)
_QUICK_BATCHED = {n for n in NAMES if not n.startswith("f_divergence[")} - {
    "chi_square",
    "variational_bound",
} | {"f_divergence[KL]"}


def test_the_signature_of_a_divergence_is_recognised() -> None:
    assert all(_takes_a_pmf_pair(fn) for fn in (dv.kl, dv.js_divergence, dv.chi_square))
    assert not any(_takes_a_pmf_pair(fn) for fn in (dv.entropy, dv.f_divergence, dv.w1_1d))


def _f64(name: str, p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(FUNCTIONS[name](p, q, axis=axis))


# Quick: each public function but chi_square and variational_bound (their batched sums compile
# for half a second each), and f_divergence by KL: its other generators batch through the same
# sum (every one of them in the slow tier).
@pytest.mark.parametrize("name", quick_only(NAMES, lambda n: n in _QUICK_BATCHED))
def test_batched_call_equals_row_by_row(name: str) -> None:
    rows = [_f64(name, p, q) for p, q in zip(P_BATCH, Q_BATCH, strict=True)]
    np.testing.assert_allclose(_f64(name, P_BATCH, Q_BATCH), rows, **tolerance("float64"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_jit_and_vmap_agree_with_plain(name: str) -> None:
    fn = FUNCTIONS[name]
    plain = _f64(name, P_BATCH, Q_BATCH)
    np.testing.assert_allclose(jax.jit(fn)(P_BATCH, Q_BATCH), plain, **tolerance("float64"))
    np.testing.assert_allclose(jax.vmap(fn)(P_BATCH, Q_BATCH), plain, **tolerance("float64"))
    # vmap over a jitted function and jit over vmap: the lax.cond of the kernel becomes a select.
    both = jax.jit(jax.vmap(fn))(P_BATCH, Q_BATCH)
    np.testing.assert_allclose(both, plain, **tolerance("float64"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_other_axes_and_broadcasting(name: str) -> None:
    plain = _f64(name, P_BATCH, Q_BATCH)
    # Masses along axis 0 (and the same axis counted from the end).
    np.testing.assert_allclose(
        _f64(name, P_BATCH.T, Q_BATCH.T, axis=0), plain, **tolerance("float64")
    )
    np.testing.assert_allclose(
        _f64(name, P_BATCH.T, Q_BATCH.T, axis=-2), plain, **tolerance("float64")
    )
    # Two leading axes, masses in the middle.
    p3 = P_BATCH.reshape(2, 3, 4).transpose(0, 2, 1)
    q3 = Q_BATCH.reshape(2, 3, 4).transpose(0, 2, 1)
    np.testing.assert_allclose(
        _f64(name, p3, q3, axis=1), plain.reshape(2, 3), **tolerance("float64")
    )
    if name == "entropy":  # a function of p alone: nothing to broadcast against
        return
    # One pmf against a batch: p broadcasts over the leading axis of q.
    rows = [_f64(name, P_BATCH[0], q) for q in Q_BATCH]
    np.testing.assert_allclose(_f64(name, P_BATCH[0], Q_BATCH), rows, **tolerance("float64"))
    np.testing.assert_allclose(_f64(name, P_BATCH[:1], Q_BATCH), rows, **tolerance("float64"))
    # Different ranks with a non-negative axis: the mass axis is aligned from the right.
    np.testing.assert_allclose(
        _f64(name, P_BATCH[0], Q_BATCH, axis=1), rows, **tolerance("float64")
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_float32_agrees_with_float64(name: str) -> None:
    fn = jax.jit(FUNCTIONS[name])
    exact = np.asarray(fn(P_BATCH, Q_BATCH))
    out = fn(P_BATCH.astype(np.float32), Q_BATCH.astype(np.float32))
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), exact, **tolerance("float32"))
    # Plain (validated on the host) too, on one row.
    one = FUNCTIONS[name](P_BATCH[1].astype(np.float32), Q_BATCH[1].astype(np.float32))
    assert one.dtype == jnp.float32
    np.testing.assert_allclose(float(one), exact[1], **tolerance("float32"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gradient_is_finite_with_zero_mass(name: str) -> None:
    fn = FUNCTIONS[name]
    assert np.isfinite(_f64(name, P_ZERO, Q_ZERO))
    gp, gq = jax.grad(fn, argnums=(0, 1))(P_ZERO, Q_ZERO)
    assert np.isfinite(gp).all() and np.isfinite(gq).all()
    # Identical pmfs with zeros: the minimum of every divergence, a kink for the distances.
    gp, gq = jax.grad(fn, argnums=(0, 1))(P_ZERO, P_ZERO)
    assert np.isfinite(gp).all() and np.isfinite(gq).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name: str) -> None:
    check_gradient(FUNCTIONS[name], (P_IN, Q_IN))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gradient_under_jit_and_vmap(name: str) -> None:
    fn = FUNCTIONS[name]
    grad = jax.grad(fn, argnums=(0, 1))
    ps, qs = np.stack([P_ZERO, P_IN]), np.stack([Q_ZERO, Q_IN])
    rows = [grad(p, q) for p, q in zip(ps, qs, strict=True)]
    expected_p = np.stack([r[0] for r in rows])
    expected_q = np.stack([r[1] for r in rows])
    for gp, gq in (jax.jit(jax.vmap(grad))(ps, qs), jax.vmap(jax.jit(grad))(ps, qs)):
        np.testing.assert_allclose(gp, expected_p, **tolerance("float64"))
        np.testing.assert_allclose(gq, expected_q, **tolerance("float64"))


# Public callables outside this table's (p, q) signature, with the folder whose tests run them
# plain, under jit and under vmap.
TESTED_ELSEWHERE: dict[str, str] = {
    **{
        name: "tests/wasserstein"
        for name in dv.wasserstein.__all__
        if callable(getattr(dv.wasserstein, name))
        and not isinstance(getattr(dv.wasserstein, name), type)
    },
    # Closed forms and the histogram take other arguments than (p, q): their jit/vmap tests live
    # in tests/test_gaussian.py, tests/test_information.py and tests/test_histogram.py.
    **{
        name: "tests"
        for name in (
            "conditional_entropy",
            "frechet_distance",
            "inception_score",
            "kl_mvn",
            "kl_normal",
            "mutual_information",
            "grid_pmf",
        )
    },
}


def test_every_public_function_is_in_the_table() -> None:
    covered = {name.split("[")[0].removesuffix("_bits").removesuffix("_base10") for name in NAMES}
    functions = {
        n
        for n in dv.__all__
        if callable(getattr(dv, n))
        and not isinstance(getattr(dv, n), type)
        and n not in ("checked", *TESTED_ELSEWHERE)
    }
    assert functions <= covered, functions - covered
    root = pathlib.Path(__file__).parent.parent
    for name, folder in TESTED_ELSEWHERE.items():
        sources = "".join(f.read_text() for f in (root / folder).rglob("test_*.py"))
        assert name in sources, f"{name} is not exercised in {folder}"


@pytest.mark.slow
def test_import_leaves_x64_unchanged() -> None:
    code = (
        "import jax\n"
        "before = jax.config.jax_enable_x64\n"
        "import divergences as dv\n"
        "dv.kl([0.5, 0.5], [0.9, 0.1]); import divergences.testing, divergences.lab.verify\n"
        "assert jax.config.jax_enable_x64 == before, 'x64 flipped'\n"
        "assert dv.kl([0.5, 0.5], [0.9, 0.1]).dtype == jax.numpy.float32\n"
        "print('ok', before)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "False"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_float32_on_drawn_pairs(name: str) -> None:
    # Masses drawn in float32 (exact zeros, disjoint supports, near-degenerate), compared with the
    # float64 answer on the same masses.
    fn = jax.jit(FUNCTIONS[name])
    # Documented limit: optimal_discriminator rounds to 1 where q < eps p (eps = 1.2e-7 in
    # float32), so gan_value at D* is -inf there. Those rows draw without tiny masses or
    # near-degenerate pmfs.
    limited = name == "gan_value"
    strategy = dvt.pmf_pairs(4, dtype=np.float32, tiny=not limited, degenerate=not limited)

    @given(strategy)
    def check(pq) -> None:
        p, q = pq
        out = fn(p, q)
        assert out.dtype == jnp.float32
        exact = np.asarray(fn(p.astype(np.float64), q.astype(np.float64)))
        got = np.asarray(out, dtype=np.float64)
        tol = tolerance("float32")
        if name.startswith(("js_distance", "hellinger")):
            # A square root of a divergence D known to |err| <= atol + rtol D: since
            # |sqrt(a) - sqrt(b)| <= sqrt(|a - b|), the root is known to sqrt(atol + rtol D),
            # which is the best that can be asked of it near D = 0.
            bound = np.sqrt(tol["atol"] + tol["rtol"] * exact**2)
            assert np.all(np.abs(got - exact) <= bound), (got, exact, bound)
        else:
            np.testing.assert_allclose(got, exact, **tol)

    check()
