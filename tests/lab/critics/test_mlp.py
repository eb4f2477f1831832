"""The MLP and spectral normalisation: power iteration against the SVD."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences.lab.critics._mlp import (
    init_mlp,
    mlp,
    normalize,
    power_iteration,
    spectral_normalized,
)
from divergences.testing import tolerance

pytestmark = pytest.mark.training


def _top_singular_value(w: np.ndarray, steps: int) -> float:
    u = normalize(jnp.ones(w.shape[1]))
    sigma = jnp.asarray(0.0)
    for _ in range(steps):
        sigma, u, _ = power_iteration(jnp.asarray(w), u)
    return float(sigma)


@given(st.integers(0, 2**31 - 1), st.sampled_from([(3, 2), (5, 8), (16, 16)]))
def test_power_iteration_matches_svd(seed, shape):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    s = np.linalg.svd(w, compute_uv=False)
    # Separate the top singular value so convergence within 300 steps is guaranteed:
    # (s2/s1)^(2 * 300) is negligible once s1 >= 1.5 s2.
    u, _, vt = np.linalg.svd(w, full_matrices=False)
    s[0] = 1.5 * s[1] + 0.1 if s.size > 1 else s[0]
    w = (u * s) @ vt
    np.testing.assert_allclose(_top_singular_value(w, 300), s[0], **tolerance("power_iteration"))


def test_spectral_normalized_layers_have_unit_norm_after_convergence():
    params = init_mlp(jax.random.key(0), 3, (7, 5), jnp.float64)
    us = tuple(normalize(jnp.ones(w.shape[1])) for w, _ in params)
    for _ in range(300):
        normed, us = spectral_normalized(params, us)
    for w, _ in normed:
        np.testing.assert_allclose(
            np.linalg.norm(np.asarray(w), 2), 1.0, **tolerance("power_iteration")
        )


def test_spectral_normalized_network_is_1_lipschitz():
    params = init_mlp(jax.random.key(1), 2, (16, 16), jnp.float64)
    us = tuple(normalize(jnp.ones(w.shape[1])) for w, _ in params)
    for _ in range(300):
        normed, us = spectral_normalized(params, us)
    x = jax.random.normal(jax.random.key(2), (256, 2), jnp.float64)
    grads = jax.grad(lambda z: jnp.sum(mlp(normed, z, jax.nn.relu)))(x)
    assert float(jnp.max(jnp.linalg.norm(grads, axis=-1))) <= 1 + 1e-8


def test_mlp_output_shape():
    params = init_mlp(jax.random.key(0), 4, (3,), jnp.float32)
    assert mlp(params, jnp.ones((10, 4), jnp.float32), jax.nn.relu).shape == (10,)
