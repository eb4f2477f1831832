"""KID, MMD^2 and the KID difference with the block pairs spread over 8 devices equal one device's.

The pass splits its block pairs over the local devices, each holding the pooled draws; each adds
its pairs' row sums, and the host adds what the devices send back. Draws held by a device (the
CPU named an accelerator) give what the host's read gives, on one device and on 8, and so does
the k-NN KL of draws held by the last device (searched there, in d = 16). Eight host devices are forced with
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` before JAX starts: a subprocess.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys, warnings
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
from divergences.estimate import kid, kid_difference, kl, mmd_squared
from divergences.estimate._src import samples
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
x, y, r = rng.normal(size=(1500, 6)), rng.normal(0.1, size=(1400, 6)), rng.normal(size=(300, 6))
a, b = rng.normal(size=(500, 16)), rng.normal(0.2, size=(600, 16))
def measures(x, y, r, a, b):
    return [list(kid(x, y)[:3]), list(mmd_squared(x, y, bandwidth=2.0, interval="normal")[:3]),
            list(kid_difference(r, x[:300], y[:300]).difference[:3]), list(kl(a, b)[:2])]
out = measures(x, y, r, a, b)
samples.DEVICE_PLATFORMS = frozenset({"cpu"})  # the draws' own device path
out += measures(*(jax.device_put(v, jax.devices()[-1]) for v in (x, y, r, a, b)))
print(json.dumps(out + [jax.device_count()]))
"""


def _run(devices: int) -> list:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_eight_devices_give_what_one_gives() -> None:
    one, eight = _run(1), _run(8)
    assert (one[-1], eight[-1]) == (1, 8)
    for a, b in zip(one[:-1], eight[:-1], strict=True):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-15)
    for run in (one, eight):  # the host's read against the draws' device path
        for a, b in zip(run[:4], run[4:8], strict=True):
            assert b == pytest.approx(a, rel=1e-12, abs=1e-15)
