"""FD of draws on a device, one or several: reduced where they live, equal to the host's read.

The single-device path is taken for an accelerator's arrays; here the CPU is named an
accelerator (``cpu_as_accelerator``, tests/estimate/conftest.py), so that the same program runs. Eight host devices are forced
with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``, which must be set before JAX
starts: the sharded comparison runs in a subprocess (as tests/test_sharding.py).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r"""
import warnings
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
import divergences as dv
from divergences.estimate._src.frechet import device_moments as sharded

assert jax.device_count() == 8, jax.devices()
warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
rng = np.random.default_rng(0)
x = (rng.standard_normal((2000, 6)) @ rng.standard_normal((6, 6))).astype(np.float32)
y = (rng.standard_normal((1600, 6)) + 0.3).astype(np.float32)
mesh = Mesh(np.array(jax.devices()).reshape(4, 2), ("a", "b"))
calls = []
reduce = sharded._reduce
sharded._reduce = lambda *args: calls.append(1) or reduce(*args)
want = dv.estimate.frechet(x, y, seed=2)
for x64 in (True, False):  # float64 on the devices either way, under a local enable_x64
    with jax.enable_x64(x64):
        xs = jax.device_put(x, NamedSharding(mesh, PartitionSpec(("a", "b"), None)))
        ys = jax.device_put(y, NamedSharding(mesh, PartitionSpec("a", None)))
        assert len(xs.sharding.device_set) == 8
        got = dv.estimate.frechet(xs, ys, seed=2)
    for a, b in zip(got[:3] + (got.plug_in,), want[:3] + (want.plug_in,)):
        assert abs(a - b) <= 1e-12 * abs(b), (x64, a, b)
    assert got.kind == want.kind and (got.n, got.m) == (2000, 1600)
    assert got.method.endswith("moments reduced on 8 cpu devices"), got.method
assert len(calls) == 4, calls  # x and y, with x64 on and off: shard_map and psum each time
# groups of at most d draws (about 11 in d = 100) keep their centred rows: read on the host
x, y = rng.standard_normal((360, 100)), 1.1 * rng.standard_normal((360, 100)) + 0.05
mesh = Mesh(np.array(jax.devices()), ("r",))
with jax.enable_x64(True):
    xs, ys = (jax.device_put(a, NamedSharding(mesh, PartitionSpec("r", None))) for a in (x, y))
    got, want = dv.estimate.frechet(xs, ys), dv.estimate.frechet(x, y)
assert len(calls) == 4 and "reduced" not in got.method, got.method
# the host's read in 8 pieces against one: the rank-deficient batches' cross terms (square roots
# of eigenvalues near 0) move by far less than their rounding allowance (5.6e-7 here)
for a, b in ((got.value, want.value), (got.plug_in, want.plug_in)):  # no claim: ends [0, inf]
    assert abs(a - b) <= 1e-8 * abs(b), (a, b)
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


def _draws(seed: int, n: int, d: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((d, d))
    return ((rng.standard_normal((n, d)) @ mix) + shift).astype(np.float32)


@pytest.mark.slow  # 5.1 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize(("d", "n"), [(6, 2000), (16, 3000), (64, 1500), (100, 1500), (300, 5000)])
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_one_device_s_moments_give_the_host_s_fd(d: int, n: int) -> None:
    # 16, 64 and 100: the 32 variance groups of the jackknife (in 64 and 100, each of at most d
    # draws: its centred rows kept, as the host keeps them); 6 and 300: the 4 batches (Student's)
    x, y = _draws(0, n, d), _draws(1, n + 7, d, shift=0.3) * 1e3
    want = dv.estimate.frechet(x, y, seed=2)
    got = dv.estimate.frechet(jnp.asarray(x), jnp.asarray(y), seed=2)
    for a, b in zip((*got[:3], got.plug_in), (*want[:3], want.plug_in), strict=True):
        assert a == pytest.approx(b, rel=1e-12, abs=0.0)
    assert got.kind == want.kind and (got.n, got.m) == (n, n + 7)
    assert got.method.endswith("; moments reduced on cpu:0") and "reduced" not in want.method


@pytest.mark.slow  # 6.6 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_one_device_s_moments_give_the_host_s_difference() -> None:
    r, a, b = (_draws(s, 1200, 8, shift=0.1 * s) for s in range(3))
    want = dv.estimate.frechet_difference(r, a, b)
    got = dv.estimate.frechet_difference(jnp.asarray(r), jnp.asarray(a), b)
    for g, w in ((got.difference, want.difference), (got.a, want.a), (got.b, want.b)):
        for u, v in zip(g[:3], w[:3], strict=True):
            assert u == pytest.approx(v, rel=1e-12, abs=1e-12 * abs(w.value))
    assert got.p_value == pytest.approx(want.p_value, rel=1e-9)
    assert got.difference.method.endswith("; moments reduced on cpu:0")


@pytest.mark.slow  # 2.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_one_device_s_moments_of_a_line_and_their_refusals_are_the_host_s() -> None:
    x, y = _draws(3, 1000, 1)[:, 0], _draws(4, 1100, 1)[:, 0]
    want = dv.estimate.frechet(x, y)
    got = dv.estimate.frechet(jnp.asarray(x), jnp.asarray(y))
    assert got.value == pytest.approx(want.value, rel=1e-12)
    bad = x.copy()
    bad[[3, 70]] = (np.nan, np.inf)
    with pytest.raises(ValueError, match="x must be finite: 2 of its 1000 draws hold NaN or inf"):
        dv.estimate.frechet(jnp.asarray(bad), y)
    with pytest.raises(ValueError, match="x must hold at least 8 draws"):
        dv.estimate.frechet(jnp.asarray(x[:5]), y)


def test_a_cpu_s_arrays_are_read_by_the_host() -> None:
    x, y = _draws(5, 1000, 4), _draws(6, 1000, 4)
    got = dv.estimate.frechet(jnp.asarray(x), jnp.asarray(y))
    assert "reduced" not in got.method
    assert got.value == dv.estimate.frechet(x, y).value
