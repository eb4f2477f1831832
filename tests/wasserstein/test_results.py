"""The result types of the W1 solvers: a plan that knows its shape, eagerly and under jit/vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import sparse

import divergences as dv

X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
Y = np.array([[3.0, 0.0], [0.0, 5.0]])
B = np.array([0.25, 0.75])


def _dense(plan) -> np.ndarray:
    p = np.zeros(plan.shape)
    np.add.at(p, (np.asarray(plan.rows), np.asarray(plan.cols)), np.asarray(plan.mass))
    return p


def test_the_plan_knows_its_shape_and_turns_dense_with_no_arguments():
    sol = dv.w1_primal(X, Y, b=B)
    plan = sol.plan
    assert plan.shape == (3, 2)
    assert plan.batch_shape == ()
    np.testing.assert_array_equal(np.asarray(plan.todense()), _dense(plan))
    np.testing.assert_allclose(np.asarray(plan.todense()).sum(axis=1), np.full(3, 1 / 3))
    np.testing.assert_allclose(np.asarray(plan.todense()).sum(axis=0), B)
    assert "shape=(3, 2)" in repr(plan)


def test_np_asarray_is_the_coupling_never_a_stacked_array():
    plan = dv.w1_primal(X, Y, b=B).plan
    matrix = np.asarray(plan)
    assert matrix.shape == (3, 2)  # not (3, k): rows, cols and mass stacked
    np.testing.assert_allclose(matrix.sum(axis=0), B)
    assert np.asarray(plan, dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError):
        iter(plan)  # no tuple unpacking that could be read as the matrix


def test_under_jit_todense_works_and_asarray_names_the_method():
    @jax.jit
    def dense(x, y, b):
        return dv.w1_primal(x, y, b=b).plan.todense()

    np.testing.assert_allclose(np.asarray(dense(X, Y, B)), np.asarray(dv.w1_primal(X, Y, b=B).plan))

    @jax.jit
    def as_numpy(x, y, b):
        return np.asarray(dv.w1_primal(x, y, b=b).plan)

    with pytest.raises(TypeError, match=r"plan\.todense\(\)"):
        as_numpy(X, Y, B)


@pytest.mark.slow
def test_vmap_keeps_the_shape_and_adds_the_batch_in_front():
    xs = np.stack([X, X + 1.0])
    ys = np.stack([Y, 2.0 * Y])
    plan = jax.vmap(lambda x, y: dv.w1_primal(x, y, b=B).plan)(xs, ys)
    assert plan.shape == (3, 2) and plan.batch_shape == (2,)
    dense = np.asarray(plan.todense())
    assert dense.shape == (2, 3, 2)
    for i in range(2):
        np.testing.assert_allclose(dense[i], np.asarray(dv.w1_primal(xs[i], ys[i], b=B).plan))
    np.testing.assert_allclose(np.asarray(plan), dense)


@pytest.mark.slow
def test_bcoo_is_the_same_matrix_batched_or_not():
    plan = dv.w1_primal(X, Y, b=B).plan
    bcoo = plan.to_bcoo()
    assert isinstance(bcoo, sparse.BCOO) and bcoo.shape == (3, 2)
    np.testing.assert_allclose(np.asarray(bcoo.todense()), np.asarray(plan))
    batched = jax.vmap(lambda s: dv.w1_primal(X * s, Y * s, b=B).plan)(jnp.array([1.0, 3.0]))
    as_bcoo = batched.to_bcoo()
    assert as_bcoo.shape == (2, 3, 2) and as_bcoo.n_batch == 1
    np.testing.assert_allclose(np.asarray(as_bcoo.todense()), np.asarray(batched.todense()))


def test_the_plan_is_a_pytree_with_a_static_shape():
    plan = dv.w1_primal(X, Y, b=B).plan
    leaves, tree = jax.tree_util.tree_flatten(plan)
    assert len(leaves) == 3
    doubled = jax.tree_util.tree_map(lambda t: t, plan)
    assert doubled.shape == plan.shape
    rebuilt = jax.tree_util.tree_unflatten(tree, leaves)
    np.testing.assert_array_equal(np.asarray(rebuilt), np.asarray(plan))


@pytest.mark.parametrize(
    "primal_method, dual_method",
    [
        ("dense", "dense"),
        ("dense", "lp"),
        pytest.param("sparse", "sparse", marks=pytest.mark.native),
    ],
)
def test_primal_and_dual_speak_one_sign_convention(primal_method, dual_method):
    """``u, v`` a Kantorovich pair, ``f`` a KR potential, joined by ``kantorovich_pair``.

    The primal's pair is feasible and attains the value; the dual's potential, turned into a pair,
    is feasible and attains the dual's value.
    """
    import math

    from divergences.wasserstein._src.results import kantorovich_pair

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(7, 2)), rng.normal(size=(5, 2)) + 1.0
    a, b = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(5))
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    exact = {} if primal_method == "dense" else {"rtol": 0.0}  # the dense LP takes no rtol
    primal = dv.w1_primal(x, y, a, b, method=primal_method, **exact)
    u, v = np.asarray(primal.u), np.asarray(primal.v)
    assert np.max(u[:, None] + v[None, :] - cost) <= 1e-12
    np.testing.assert_allclose(a @ u + b @ v, float(primal.value), rtol=1e-12)
    dual = dv.w1_dual(x, y, a, b, method=dual_method)
    f = np.asarray(dual.f)
    u, v = kantorovich_pair(f[:7], f[7:])
    np.testing.assert_array_equal(v, -f[7:])
    assert np.max(u[:, None] + v[None, :] - cost) <= float(dual.lipschitz_violation)
    # Exact but for b taken at a's total by the solver (the totals differ by rounding).
    np.testing.assert_allclose(math.fsum(a * u) + math.fsum(b * v), float(dual.value), rtol=1e-14)
    np.testing.assert_allclose(float(dual.value), float(primal.value), rtol=1e-9)
