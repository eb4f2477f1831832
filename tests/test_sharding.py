"""Sharded batches: a batch of pmfs split over 8 devices gives what one device gives.

The kernels reduce along the mass axis only, so sharding the batch axis must not change a single
bit. Eight host devices are forced with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``,
which must be set before JAX starts: the comparison runs in a subprocess.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = r"""
import math
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import divergences as dv

assert jax.device_count() == 8, jax.devices()
G = dv.generators
rng = np.random.default_rng(0)
rows, n = 64, 6
tiny = np.finfo(np.float64).tiny

def pmfs():
    x = rng.dirichlet(np.full(n, 0.1), size=rows)
    x = np.where(rng.uniform(size=x.shape) < 0.2, 0.0, x)
    x[:, 0] += 1e-3
    x[::7, 1] = tiny  # the smallest normal mass
    return x / x.sum(axis=1, keepdims=True)

p, q = pmfs(), pmfs()
q[::5] = p[::5]  # identical rows
d = rng.uniform(size=(rows, n))
kernels = {
    "kl": dv.kl,
    "cross_entropy": dv.cross_entropy,
    "entropy": lambda p, q: dv.entropy(p),
    "js_divergence": dv.js_divergence,
    "js_distance": dv.js_distance,
    "total_variation": dv.total_variation,
    "hellinger": dv.hellinger,
    "chi_square": dv.chi_square,
    "optimal_discriminator": dv.optimal_discriminator,
    "gan_value": lambda p, q: dv.gan_value(p, q, jnp.asarray(d)),
    **{f"f_divergence[{g.name}]": (lambda p, q, g=g: dv.f_divergence(p, q, g))
       for g in G.GENERATORS.values()},
    **{f"bound_at_T*[{g.name}]":
       (lambda p, q, g=g: dv.variational_bound(p, q, dv.optimal_critic(p, q, g), g))
       for g in G.GENERATORS.values()},
}
mesh = Mesh(np.array(jax.devices()), ("batch",))
sharding = NamedSharding(mesh, PartitionSpec("batch", None))
ps, qs = jax.device_put(p, sharding), jax.device_put(q, sharding)
one = jax.devices()[0]
p1, q1 = jax.device_put(p, one), jax.device_put(q, one)
for name, fn in kernels.items():
    f = jax.jit(fn)
    sharded = f(ps, qs)
    assert len(sharded.sharding.device_set) == 8, (name, sharded.sharding)
    single = f(p1, q1)
    a, b = np.asarray(sharded), np.asarray(single)
    assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), (name, a, b)
    if name.startswith("bound"):
        continue
    grads = jax.jit(jax.grad(lambda p, q: jnp.sum(fn(p, q)), argnums=(0, 1)))
    for ga, gb in zip(grads(ps, qs), grads(p1, q1)):
        assert np.array_equal(np.asarray(ga), np.asarray(gb), equal_nan=True), name
# A row alone gives the bits it has in the sharded batch, chi^2 near 1e308 (the tiny masses) too.
for name in ("chi_square", "kl", "js_divergence"):
    f = jax.jit(kernels[name])
    sharded = np.asarray(f(ps, qs))
    alone = np.array([float(f(p1[i], q1[i])) for i in range(rows)])
    assert np.array_equal(sharded, alone, equal_nan=True), (name, sharded - alone)
print("ok", len(kernels))
"""


@pytest.mark.slow
def test_a_batch_sharded_over_eight_devices_equals_one_device() -> None:
    """A batch sharded over eight devices equals one device."""
    env = dict(os.environ)
    # First: XLA stops reading its flags at a word it does not parse (intra_op_parallelism_threads=1
    # of .ci/stress), and a device count after it would be lost.
    env["XLA_FLAGS"] = (
        "--xla_force_host_platform_device_count=8 " + env.get("XLA_FLAGS", "")
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, env=env
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert out.stdout.split() == ["ok", "26"]
