"""The widths of KID's and MMD^2's normal intervals in float32 against float64, on the same draws.

Run from the repository root:
python benchmarks/bench_kernel_precision.py [--cases 64:1000,64:10000,...] [--draws 4]
    [--seeds 0,1] [--only kid|mmd]
python benchmarks/bench_kernel_precision.py --time 2048:10000
python benchmarks/bench_kernel_precision.py --cases 2048:5000 --laws halfnormal --shift 0.5
    [--products partials|float64]

For each case ``d:n`` the draws are float32 features, ``x ~ N(0, I_d)`` and ``y ~ N(mu, I_d)``
(``mu`` along the first axis, ``|mu| = 0.5`` in d = 64 and 4 in d = 2048, or ``--shift``),
``n = m``; ``--laws halfnormal`` takes their absolute values first (all-positive features, as
ReLU outputs). ``--products`` forces the float32 pass's Gram products (``kernel_sums.
gram_products``: float32 partials added in float64, or float64 products) where the backend's
choice is not the one to measure. Each draw
is estimated twice, in one child process with JAX's x64 off (the kernel pass in float32, the
library's default) and in one with it on (float64), by ``kid`` and by ``mmd_squared(...,
bandwidth=sqrt(d), interval="normal")``; a row prints the half-widths' parts (the normal
term ``z sqrt(V)`` and the rounding allowance) and the ratio of the float32 width to the
float64 one, the median over ``--draws`` seeds. The widths are the intervals' before the
coverage claim decides what is returned (``normal_interval``), so that sizes outside the claim
are compared too.

``--time d:n`` times, in one process with x64 off, KID's float32 pass over the pooled draws
(the observed labels and 200 relabellings) as the library runs it (on a CPU, float32 products
of ``WIDE_CHUNK`` coordinates added in float64 below 1024 coordinates, float64 products from
there on; the kernel values in float64) beside the floor: the same block pairs' Gram products,
one float32 matmul each. Best of ``--repeat`` after a warm-up; ratios to the floor (the pass
with float32 row sums and parts added in float32, which this replaced: the history files).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, math, sys, time
import jax
jax.config.update("jax_enable_x64", sys.argv[1] == "64")
import numpy as np
from divergences.estimate._src.kernel import sums as S
from divergences.estimate._src.samples import relabellings
from divergences.estimate._src.kernel.normal_interval import first_order_variance, normal_interval
from divergences.estimate._src.kernel.kid import _cubic_sums
from divergences.estimate._src.kernel.mmd import gaussian_sums
d, n, seed, shift = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
names, laws, products = sys.argv[6].split(","), sys.argv[7], sys.argv[8]
if products != "chosen":
    S._CHOSEN[jax.default_backend()] = products
rng = np.random.default_rng(seed)
x = rng.normal(size=(n, d)).astype(np.float32)
y = rng.normal(size=(n, d)).astype(np.float32)
if laws == "halfnormal":  # all-positive features, as ReLU outputs: |N(0, I)| beside a copy moved
    x, y = np.abs(x), np.abs(y)
y[:, 0] += np.float32(shift)
x, y = x.astype(np.float64), y.astype(np.float64)
labels = relabellings(n, n, S.PERMUTATIONS, S.SEED)
out = {}
for name in names:
    start = time.perf_counter()
    if name == "kid":
        sums, unit = _cubic_sums(x, y, labels)
    else:
        sums, unit = gaussian_sums(x, y, labels, math.sqrt(d)), 1.0
    value, lower, upper = normal_interval(sums, n, n, 0.05, unit, math.inf)
    spread = 1.959963984540054 * math.sqrt(first_order_variance(sums.rows, n, n)) * unit
    out[name] = {
        "value": value, "width": upper - lower, "normal": spread, "rounding": sums.error * unit,
        "dtype": sums.dtype, "seconds": time.perf_counter() - start,
    }
print(json.dumps(out))
"""


def child(
    x64: bool, d: int, n: int, seed: int, shift: float, names: list[str], laws: str, products: str
) -> dict:
    """One draw's estimates in a fresh process with x64 on or off."""
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    args = [sys.executable, "-c", CHILD, "64" if x64 else "32", str(d), str(n), str(seed)]
    args += [str(shift), ",".join(names), laws, products]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


TIMED = r"""
import json, sys, time
import jax
import jax.numpy as jnp
import numpy as np
from divergences.estimate._src.kernel import sums as S
from divergences.estimate._src.kernel.kid import cubic_pool
from divergences.estimate._src.samples import relabellings
d, n, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
x = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
y = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
pool = cubic_pool((x, y), ("x", "y"))
z, block = pool.z, pool.block
cols = S.columns(n, n, relabellings(n, n, S.PERMUTATIONS, S.SEED), z.shape[0])
blocks = z.shape[0] // block
pairs = jnp.asarray(np.stack(np.triu_indices(blocks)).astype(np.int32))

@jax.jit
def floor(z, pairs):
    def body(carry, pair):
        zi = jax.lax.dynamic_slice_in_dim(z, pair[0] * block, block)
        zj = jax.lax.dynamic_slice_in_dim(z, pair[1] * block, block)
        return carry + jnp.sum(jnp.matmul(zi, zj.T, precision=jax.lax.Precision.HIGHEST)), None
    return jax.lax.scan(body, jnp.zeros((), z.dtype), pairs.T)[0]

def library():
    return S.blocked_pass(z, cols, pool.coeffs, block, "cubic", pool.cap, 2)

def best(f):
    jax.block_until_ready(f())
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - start)
    return min(times)

out = {}
for name, f in (("floor", lambda: floor(z, pairs)), ("library", library)):
    out[name] = best(f)
out["floor again"] = best(lambda: floor(z, pairs))
out["products"] = S.gram_products(z.dtype, z.shape[1])
print(json.dumps(out))
"""


#: What the library's pass takes, by :func:`~divergences.estimate._src.kernel.sums.gram_products`.
NOW = {
    "partials": "float32 parts added in float64",
    "float64": "the draws raised to float64, one float64 product a block",
    "native": "the draws' own dtype",
}


def timed(case: str, repeat: int) -> None:
    """KID's float32 pass beside its block products (``--time``)."""
    d, n = (int(v) for v in case.split(":"))
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    args = [sys.executable, "-c", TIMED, str(d), str(n), str(repeat)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    t = json.loads(done.stdout.strip().splitlines()[-1])
    base = min(t["floor"], t["floor again"])
    print(
        f"# KID's float32 pass, n = m = {n}, d = {d}, best of {repeat}, load {os.getloadavg()[0]:.1f}"
    )
    print("| pass | seconds | / the block products |")
    print("|---|---|---|")
    print(f"| the block products, one float32 matmul each | {base:.2f} | 1 |")
    print(
        f"| the library ({NOW[t['products']]}) | {t['library']:.2f} | {t['library'] / base:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="64:1000,64:10000,2048:1000,2048:10000")
    parser.add_argument("--draws", type=int, default=4)
    parser.add_argument("--seeds", help="comma-separated seeds instead of 0 .. draws - 1")
    parser.add_argument("--only", default="kid,mmd", help="the estimators: kid, mmd or both")
    parser.add_argument("--time", help="d:n: time KID's float32 pass instead (see above)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--laws", default="normal", choices=["normal", "halfnormal"], help="the features' laws"
    )
    parser.add_argument(
        "--shift", type=float, help="the move of y's first coordinate (0.5 in d <= 64, else 4)"
    )
    parser.add_argument(
        "--products",
        default="chosen",
        choices=["chosen", "partials", "float64"],
        help="the float32 pass's Gram products: as the backend chose, or forced",
    )
    args = parser.parse_args()
    if args.time:
        timed(args.time, args.repeat)
        return
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    print(
        "| estimator | d | n | draws | half-width z sqrt(V) | rounding float32 | rounding float64 "
        "| width float32 / float64 (median, max) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        d, n = (int(v) for v in case.split(":"))
        shift = args.shift if args.shift is not None else (0.5 if d <= 64 else 4.0)
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else range(args.draws)
        names = args.only.split(",")
        draws = [
            (
                child(False, d, n, s, shift, names, args.laws, args.products),
                child(True, d, n, s, shift, names, args.laws, args.products),
            )
            for s in seeds
        ]
        for name in names:
            ratios = sorted(lo[name]["width"] / hi[name]["width"] for lo, hi in draws)
            median = (
                ratios[len(ratios) // 2]
                if len(ratios) % 2
                else sum(ratios[len(ratios) // 2 - 1 : len(ratios) // 2 + 1]) / 2
            )
            normal = sorted(hi[name]["normal"] for _, hi in draws)[len(draws) // 2]
            r32 = sorted(lo[name]["rounding"] for lo, _ in draws)[len(draws) // 2]
            r64 = sorted(hi[name]["rounding"] for _, hi in draws)[len(draws) // 2]
            label = "KID" if name == "kid" else "MMD^2 normal, bandwidth sqrt(d)"
            print(
                f"| {label} | {d} | {n} | {len(draws)} | {normal:.3g} | {r32:.3g} | {r64:.2g} "
                f"| {median:.3f}, {ratios[-1]:.3f} |",
                flush=True,
            )
            print(
                f"#   {label}, d {d}, n {n}: ratios {', '.join(f'{r:.4f}' for r in ratios)}; "
                f"seconds float32 {max(lo[name]['seconds'] for lo, _ in draws):.1f}, "
                f"float64 {max(hi[name]['seconds'] for _, hi in draws):.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
