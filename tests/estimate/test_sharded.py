"""FD of draws sharded over 8 devices: reduced where they live, equal to one device's.

Eight host devices are forced with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``, which
must be set before JAX starts: the comparison runs in a subprocess (as tests/test_sharding.py).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r"""
import warnings
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import divergences as dv
from divergences.estimate._src.frechet import sharded

assert jax.device_count() == 8, jax.devices()
warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
rng = np.random.default_rng(0)
x = (rng.standard_normal((2000, 6)) @ rng.standard_normal((6, 6))).astype(np.float32)
y = (rng.standard_normal((1600, 6)) + 0.3).astype(np.float32)
mesh = Mesh(np.array(jax.devices()).reshape(4, 2), ("a", "b"))
calls = []
reduce = sharded._reduce
sharded._reduce = lambda *args: calls.append(1) or reduce(*args)
for x64 in (True, False):
    with jax.enable_x64(x64):
        xs = jax.device_put(x, NamedSharding(mesh, PartitionSpec(("a", "b"), None)))
        ys = jax.device_put(y, NamedSharding(mesh, PartitionSpec("a", None)))
        assert len(xs.sharding.device_set) == 8
        got = dv.estimate.frechet(xs, ys, seed=2)
    want = dv.estimate.frechet(x, y, seed=2)
    for a, b in zip(got[:3] + (got.plug_in,), want[:3] + (want.plug_in,)):
        assert abs(a - b) <= 1e-9 * abs(b), (x64, a, b)
    assert got.kind == want.kind and (got.n, got.m) == (2000, 1600)
assert len(calls) == 2, calls  # with x64 on: shard_map and psum; off: the shards on the host
print("ok")
"""


@pytest.mark.slow
def test_draws_sharded_over_eight_devices_give_one_device_s_fd():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]
