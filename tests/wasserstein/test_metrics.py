r"""The metric specs: the Minkowski cost like the other named ones, and the rounding bound.

The certificates widen their bounds by :math:`|\tilde c - c| \le \rho \tilde c + \tau`
(each spec's ``steps``); here the computed costs of the host, the device and the public cost
are held against the exact cost of the same floats, in rational arithmetic for an integer
exponent (:math:`c \le t \iff \sum_l |\delta_l|^p \le t^p`) and with 60 digits (mpmath)
otherwise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import divergences as dv
from divergences._src.metrics import NAMED, Minkowski, cost_error
from divergences._src.scaling import scale_exponent
from divergences.testing import tolerance
from divergences.testing.measures import measure_pairs
from divergences.testing.reference import central_difference, highs_primal
from divergences.wasserstein._src.device import scaled_costs, sinkhorn
from divergences.wasserstein._src.device.scaled_costs import cost_tau
from divergences.wasserstein._src.host.costs import arc_costs, host_costs

F64 = tolerance("float64")
LP = tolerance("lp")
HIGHS = tolerance("highs")
EXPONENTS = (1, 1.5, 3, 7.5)


def _pair(seed: int, n: int = 9, m: int = 7, d: int = 3):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(0.5, 1.5, size=(m, d))
    return x, y, rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))


# ------------------------------------------------------------------ the spec


@pytest.mark.parametrize("p", [0.5, 0, -1, math.inf, math.nan, True, "3", None, 1 - 1e-12])
def test_bad_exponent_names_p(p):
    with pytest.raises(ValueError, match=r"^p must be a finite number >= 1"):
        Minkowski(p=p)


def test_exponent_is_keyword_only_and_specs_compare_by_value():
    with pytest.raises(TypeError):
        Minkowski(3)
    assert Minkowski(p=3) == Minkowski(p=3.0) == dv.Minkowski(p=np.int64(3))
    assert hash(Minkowski(p=3)) == hash(Minkowski(p=3.0))
    assert Minkowski(p=3) != Minkowski(p=4)


def test_the_name_alone_asks_for_the_exponent():
    with pytest.raises(ValueError, match=r"metric='minkowski' needs its parameter.*Minkowski"):
        dv.cost_matrix([[0.0]], [[1.0]], metric="minkowski")
    with pytest.raises(ValueError, match=r"needs its parameter"):
        dv.w1_primal([0.0], [1.0], metric="minkowski")


# ------------------------------------------------------------------ the public cost


@pytest.mark.slow
@pytest.mark.parametrize("p", EXPONENTS)
@given(pair=measure_pairs())
def test_matches_scipy_cdist(p, pair):
    x, y, _, _ = pair
    got = dv.cost_matrix(x, y, metric=Minkowski(p=p))
    np.testing.assert_allclose(got, cdist(x, y, "minkowski", p=p), **F64)


# In the slow tier: the cost_matrix doctest (p=3: 4.497941) keeps it quick; test_matches_scipy_cdist
# and test_public_costs_are_within_the_rounding (p = 1, 2, 3) prove it.
@pytest.mark.slow
def test_hand_value_and_the_named_special_cases():
    c = dv.cost_matrix([[1.0, 1.0], [4.0, 5.0]], [[1.0, 1.0]], metric=Minkowski(p=3))
    np.testing.assert_allclose(c, [[0.0], [(27.0 + 64.0) ** (1 / 3)]], **F64)
    x, y, _, _ = _pair(0)
    for p, name in ((1, "cityblock"), (2, "euclidean")):
        np.testing.assert_allclose(
            dv.cost_matrix(x, y, metric=Minkowski(p=p)), dv.cost_matrix(x, y, metric=name), **F64
        )


def test_no_overflow_or_underflow_at_any_scale_or_exponent():
    # Powers of differences of 1e-200 or 1e200 leave the float range for any p > 1.6; the
    # scaled formula does not form them.
    for scale in (1e-200, 1.0, 1e200):
        x, y = np.array([[3.0, 4.0]]) * scale, np.zeros((1, 2))
        for p in (3, 250.0):
            want = np.linalg.norm([3.0, 4.0], ord=p) * scale
            np.testing.assert_allclose(dv.cost_matrix(x, y, metric=Minkowski(p=p)), [[want]])


@pytest.mark.slow
def test_gradient_finite_and_zero_at_coincident_points():
    x = np.array([[0.0, 1.0], [2.0, -1.0]])
    for p in EXPONENTS:
        g = jax.grad(lambda t, p=p: jnp.sum(dv.cost_matrix(t, x, metric=Minkowski(p=p))[0, 0]))(x)
        assert np.isfinite(np.asarray(g)).all()
        np.testing.assert_allclose(g, 0.0, **F64)


@pytest.mark.slow
@pytest.mark.parametrize("p", [1.5, 3])
def test_gradient_matches_finite_differences(p):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    w = rng.normal(size=(3, 4))

    def total(t):
        return jnp.sum(w * dv.cost_matrix(t, y, metric=Minkowski(p=p)))

    for fn in (total, jax.jit(total)):
        fd = central_difference(lambda t, fn=fn: float(fn(t)), x)
        np.testing.assert_allclose(jax.grad(fn)(x), fd, **tolerance("gradient"))


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_jit_and_vmap():
    rng = np.random.default_rng(2)
    xs, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(5, 2))
    metric = Minkowski(p=3)
    batched = jax.vmap(lambda t: dv.cost_matrix(t, y, metric=metric))(xs)
    jitted = jax.jit(dv.cost_matrix, static_argnames="metric")
    for i in range(3):
        want = cdist(xs[i], y, "minkowski", p=3)
        np.testing.assert_allclose(batched[i], want, **F64)
        np.testing.assert_allclose(jitted(xs[i], y, metric=metric), want, **F64)


# ------------------------------------------------------------------ W1: the methods agree


@pytest.mark.parametrize("p", [1.5, 3])
@given(pair=measure_pairs())
@settings(max_examples=15)
def test_dense_matches_highs_and_pot(p, pair):
    x, y, a, b = pair
    metric = Minkowski(p=p)
    sol = dv.w1_primal(x, y, a, b, metric=metric)
    cost = cdist(np.reshape(x, (len(x), -1)), np.reshape(y, (len(y), -1)), "minkowski", p=p)
    np.testing.assert_allclose(sol.value, ot.emd2(a, b, cost, numItermax=10**7), **LP)
    np.testing.assert_allclose(
        sol.value, highs_primal(x, y, a, b, metric=_MinkowskiCdist(p)), **HIGHS
    )
    assert float(sol.lower_bound) <= float(sol.value) <= float(sol.upper_bound)


class _MinkowskiCdist:
    """``cdist``'s metric argument for a Minkowski cost: a callable (scipy takes no ``p`` here)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def __call__(self, u: np.ndarray, v: np.ndarray) -> float:
        return float(np.sum(np.abs(u - v) ** self.p) ** (1 / self.p))


@pytest.mark.slow
@pytest.mark.parametrize("p", [1.5, 3])
def test_every_method_agrees_and_is_certified(p):
    x, y, a, b = _pair(3, d=2)
    metric = Minkowski(p=p)
    exact = ot.emd2(a, b, cdist(x, y, "minkowski", p=p), numItermax=10**7)
    dense = dv.w1_primal(x, y, a, b, metric=metric, method="dense")
    np.testing.assert_allclose(dense.value, exact, **LP)
    for sol in (
        dense,
        dv.w1_primal(x, y, a, b, metric=metric, method="sinkhorn"),
        jax.jit(lambda *t: dv.w1_primal(*t, metric=metric))(x, y, a, b),
    ):
        assert float(sol.lower_bound) <= exact <= float(sol.upper_bound)
    for method in ("dense", "lp", "sinkhorn"):
        dual = dv.w1_dual(x, y, a, b, metric=metric, method=method)
        if method == "sinkhorn":  # certified to its rtol: a feasible potential, below W1
            assert (
                exact * (1 - 2 * sinkhorn.SinkhornOptions().rtol)
                <= float(dual.value)
                <= exact + 1e-12
            )
        else:
            np.testing.assert_allclose(dual.value, exact, **(LP if method == "dense" else HIGHS))
        z = np.concatenate([x, y])
        f = np.asarray(dual.f)
        gaps = f[:, None] - f[None, :] - cdist(z, z, "minkowski", p=p)
        assert gaps.max() <= float(dual.lipschitz_violation) + 1e-12
        np.testing.assert_allclose(
            dv.lipschitz_violation(dual.f, dual.points, metric=metric), gaps.max(), **LP
        )
        np.testing.assert_allclose(dv.kr_potential(dual, z, metric=metric), dual.f, **LP)


def test_the_sparse_solver_refuses_it():
    x, y, _, _ = _pair(4)
    for fn in (dv.w1_primal, dv.w1_dual):
        with pytest.raises(ValueError, match=r"method='sparse' needs metric='euclidean'"):
            fn(x, y, metric=Minkowski(p=3), method="sparse")


def test_auto_takes_the_dense_solver():
    x, y, a, b = _pair(5)
    auto = dv.w1_primal(x, y, a, b, metric=Minkowski(p=3))
    dense = dv.w1_primal(x, y, a, b, metric=Minkowski(p=3), method="dense")
    assert float(auto.value) == float(dense.value)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_gradient_of_w1_is_finite_and_matches_finite_differences():
    x, y, a, b = _pair(6, n=4, m=3, d=2)
    metric = Minkowski(p=3)

    def value(t):
        return dv.w1_primal(t, y, a, b, metric=metric).value

    grad = jax.grad(value)(x)
    assert np.isfinite(np.asarray(grad)).all()
    fd = central_difference(lambda t: float(value(t)), x)
    np.testing.assert_allclose(grad, fd, **tolerance("gradient"))


# ------------------------------------------------------------------ the rounding bound


def _exact_cost_within(diff: np.ndarray, p: float, lo: float, hi: float) -> bool:
    r"""Whether the exact :math:`\|\delta\|_p` of the float differences lies in ``[lo, hi]``."""
    if float(p).is_integer():
        k = int(p)
        total = sum(abs(Fraction(float(t))) ** k for t in diff)
        return max(Fraction(lo), Fraction(0)) ** k <= total <= Fraction(hi) ** k
    import mpmath

    with mpmath.workdps(60):
        exact = mpmath.fsum(abs(mpmath.mpf(float(t))) ** p for t in diff) ** (1 / mpmath.mpf(p))
        return mpmath.mpf(lo) <= exact <= mpmath.mpf(hi)


def _hard_points(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with near ties, tiny differences beside large ones, and exact zeros."""
    x = rng.uniform(-1, 1, size=(24, d))
    y = x.copy()
    y[:6] += rng.normal(size=(6, d)) * 1e-9  # tiny differences
    y[6:12, 0] += 0.5  # one large difference, the others 0
    y[12:18] += rng.normal(size=(6, d)) * np.logspace(-300, 0, d)  # every scale at once
    y[18:] = rng.uniform(-1, 1, size=(6, d))
    return x, y


@pytest.mark.parametrize("p", [1, 1.5, 2, 3, 7.5, 40, 113])
@pytest.mark.parametrize("d", [1, 2, 5])
def test_host_costs_are_within_the_certified_rounding(p, d):
    rng = np.random.default_rng(d * 1000 + int(p * 10))
    x, y = _hard_points(rng, d)
    metric = Minkowski(p=p)
    e = scale_exponent(x, y)
    xs, ys = np.ldexp(x, -e), np.ldexp(y, -e)
    rho, tau, _ = cost_error(metric, d)  # the host scales exactly: no flushed coordinate
    rows = np.arange(len(xs))
    for costs in (np.diag(host_costs(xs, ys, metric)), arc_costs(xs, ys, rows, rows, metric)):
        for k, c in enumerate(costs):
            slack = rho * c + tau
            assert _exact_cost_within(xs[k] - ys[k], p, c - slack, c + slack), (k, c)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
# The ends of the range of p quick; 3 and 7.5 in the slow tier (the same bound, their programs).
@pytest.mark.parametrize(
    "p", [1.5, *(pytest.param(p, marks=pytest.mark.slow) for p in (3, 7.5)), 40]
)
# d = 1 in the slow tier: the same function for every d, exact at d = 1 (d = 3 stays quick).
@pytest.mark.parametrize("d", [pytest.param(1, marks=pytest.mark.slow), 3])
def test_device_costs_are_within_the_certified_rounding(dtype, p, d):
    rng = np.random.default_rng(d * 100 + int(p * 10))
    x, y = (t.astype(dtype) for t in _hard_points(rng, d))
    metric = Minkowski(p=p)
    e = scale_exponent(x, y)
    xs, ys = np.ldexp(x, -e).astype(dtype), np.ldexp(y, -e).astype(dtype)
    err = cost_error(metric, d, dtype)
    tau = float(cost_tau(err, jnp.int32(e), dtype))
    costs = np.diag(
        np.asarray(jax.jit(scaled_costs.device_costs, static_argnums=2)(xs, ys, metric))
    )
    for k, c in enumerate(costs.astype(np.float64)):
        slack = err.rho * c + tau
        diff = xs[k].astype(np.float64) - ys[k].astype(np.float64)  # exact in float64
        assert _exact_cost_within(diff, p, c - slack, c + slack), (k, c)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("degree", [1, 2])
def test_one_scale_exponent_on_the_host_and_in_xla(dtype, degree):
    """The host's exponent is the exact one; XLA's the same from the bits, clipped to the dtype.

    Points that are all subnormal (0 to XLA's flushing arithmetic) get their own exponent in
    both; non-finite points give 0.
    """
    fi = np.finfo(dtype)
    limit = min(1000, int(fi.maxexp) - 4) // degree
    in_xla = jax.jit(lambda t: scale_exponent(t, degree=degree, xp=jnp))
    cases = [[[0.0, 0.0]], [[3.0, -0.5]], [[1e-30, -2e-30]], [[float(fi.max), 1.0]],
             [[float(fi.smallest_subnormal) * 5, 0.0]], [[float(fi.tiny) / 2, 0.0]]]  # fmt: skip
    for points in cases:
        x = np.asarray(points, dtype)
        top = float(np.max(np.abs(x)))
        exact = int(np.frexp(top)[1]) if top else 0
        host = scale_exponent(x, degree=degree)
        assert type(host) is int and host == max(-1000 // degree, min(exact, 1000 // degree))
        assert int(in_xla(x)) == max(-limit, min(exact, limit)), points
    for bad in (np.inf, np.nan):
        x = np.asarray([[bad, 1.0]], dtype)
        assert scale_exponent(x, degree=degree) == int(in_xla(x)) == 0


@pytest.mark.parametrize("top", [1.0, 0.75, 3.0, 1e300, 1.7e308, 1e-300, 2.0**-1060, 5e-324, 0.0])
def test_the_unclipped_exponent_is_frexps_on_the_largest_magnitude(top):
    """``clip=False``: ``max |z| 2^-e`` in ``[1/2, 1)`` at every magnitude, subnormals included."""
    x = np.array([[-top, top / 3], [0.0, top / 2]])
    want = math.frexp(top)[1] if top else 0
    assert scale_exponent(x, clip=False) == want == scale_exponent(np.float64(-top), clip=False)
    if top:
        assert 0.5 <= np.max(np.abs(np.ldexp(x, -want))) < 1.0


@pytest.mark.slow
@given(
    st.lists(st.floats(-1, 1, allow_subnormal=False), min_size=1, max_size=6),
    st.sampled_from([1, 2, 3, 4, 9]),
)
def test_public_costs_are_within_the_rounding(coords, p):
    # The public cost takes the points as given; points in (-1, 1) are the scaled ones.
    x = np.asarray(coords)[None]
    y = np.zeros_like(x)
    c = float(dv.cost_matrix(x, y, metric=Minkowski(p=p))[0, 0])
    rho, tau, _ = cost_error(Minkowski(p=p), x.shape[1])
    assert _exact_cost_within(x[0], p, c - rho * c - tau, c + rho * c + tau)


def test_every_named_metric_has_a_spec_used_by_the_public_cost():
    x, y, _, _ = _pair(7)
    for name, spec in NAMED.items():
        np.testing.assert_allclose(
            dv.cost_matrix(x, y, metric=spec), dv.cost_matrix(x, y, metric=name), **F64
        )
        np.testing.assert_allclose(host_costs(x, y, spec), cdist(x, y, name), **F64)
