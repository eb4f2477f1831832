"""The MMD rows of the estimates from samples: ``mmd_squared`` and ``mmd_test`` beside NumPy.

Run: ``python benchmarks/bench_estimate_mmd.py [--full] [--rounds 2]``.

The draws are ``x ~ N(0, I_d)`` and ``y ~ N(0.05, I_d)``, ``d = 64``, ``n = m``, the bandwidth
by the median heuristic, ``B = 200`` relabellings. Every function is called once first (XLA
compiles), then timed as the best of ``--rounds`` calls, the columns of one row in turn round by
round, so that a change of load hits them alike. The columns, per size and dtype:

* ``mmd^2``: :func:`divergences.estimate.mmd_squared` (the statistic and its interval).
* ``np mmd^2``: plain NumPy, the three kernel matrices ``K_xx``, ``K_yy``, ``K_xy`` held whole
  (the Gram form and ``np.exp``, BLAS's threads), at the sizes where they fit in a quarter of
  the free memory; ``ratio`` = NumPy's time over this package's.
* ``test``: :func:`divergences.estimate.mmd_test`: all ``B + 1`` statistics from one pass over
  the kernel matrix of the pooled sample, block by block, a matmul against the label vectors.
* ``np loop``: the pooled kernel matrix built once in NumPy (zero diagonal), then a loop over the
  relabellings, each a matrix-vector product ``K a`` with the labels' indicator ``a`` (the three
  block sums from ``a^T K a``, ``1^T K a`` and ``1^T K 1``; summing ``K[np.ix_(a, a)]`` and the
  other blocks instead is some 50 times slower still), at the sizes ``--loop-max`` allows.
* ``test+mmd^2``: the two calls together, the speed target's measure (5 s at ``n = 10^4`` on an
  idle 2-core machine).

The default run (``n = m`` in 500 and 2000, float64 and float32) takes about a minute on an idle
2-core machine; ``--full`` adds ``n = m = 10^4``.

``--matmul`` prints instead each kernel pass beside the blocked matrix products that do its
arithmetic, timed in the same process, and their ratios:

* ``kid`` (:func:`divergences.estimate.kid`, with its interval and the 200 relabellings that
  decide its lower end) at ``n = m``, ``d`` (``--kid-size 10000,2048``; ``;`` between sizes for
  several rows) on draws of ``--kid-dtype`` (float32 by default, as features come) beside the
  three products ``X X^T``, ``Y Y^T``, ``X Y^T`` (``3 n^2 d`` multiply-adds), taken in blocks of
  1024 rows and summed (nothing held whole), once in float32 and once of the draws raised to
  float64: the products KID takes to keep its promise where the draws are float32 and ``d >=
  1024`` (the float64 pass: ``divergences.estimate._src.kernel.sums.gram_products``), the
  float32 ones the least any pass over these draws takes; `--cold` leaves out the warm-up call;
* ``mmd_test`` with 200 relabellings at ``n = m``, ``d = 64`` (``--test-size 10000``) beside
  the products of the same pairs of 1024-row blocks of the pooled sample, a fixed block of
  kernel values, times the 208 columns of label vectors: the pass without its kernel values;
  and the median heuristic's bandwidth of the same draws
  (:func:`divergences.estimate._src.kernel.mmd.median_bandwidth`), which ``mmd_test`` and
  ``mmd_squared`` take where no bandwidth is given.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial.distance import pdist

from divergences.estimate import kid, mmd_squared, mmd_test
from divergences.estimate._src.kernel.mmd import median_bandwidth

jax.config.update("jax_enable_x64", True)

DIM = 64
PERMUTATIONS = 200


def numpy_mmd(x: np.ndarray, y: np.ndarray, s: float) -> float:
    """MMD^2_u with the full kernel matrices held in NumPy (the Gram form)."""

    def kernel_sum(a: np.ndarray, b: np.ndarray, diagonal: bool) -> float:
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        np.maximum(d2, 0.0, out=d2)
        np.exp(d2 * (-0.5 / (s * s)), out=d2)
        return float(d2.sum() - (np.trace(d2) if diagonal else 0.0))

    n, m = len(x), len(y)
    xx, yy, xy = kernel_sum(x, x, True), kernel_sum(y, y, True), kernel_sum(x, y, False)
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (n * m)


def numpy_loop(x: np.ndarray, y: np.ndarray, s: float, permutations: int, seed: int) -> float:
    """The permutation p-value: the pooled kernel matrix once, then a loop over relabellings."""
    z = np.concatenate([x, y])
    n, m = len(x), len(y)
    k = (z * z).sum(1)[:, None] + (z * z).sum(1)[None, :] - 2.0 * (z @ z.T)
    np.maximum(k, 0.0, out=k)
    np.exp(k * (-0.5 / (s * s)), out=k)
    np.fill_diagonal(k, 0.0)

    total = k.sum()

    def stat(labels: np.ndarray) -> float:
        a = np.zeros(n + m)
        a[labels] = 1.0
        ka = k @ a
        xx = a @ ka
        xy, yy = ka.sum() - xx, total - 2.0 * ka.sum() + xx
        return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (n * m)

    rng = np.random.default_rng(seed)
    observed = stat(np.arange(n))
    count = 0
    for _ in range(permutations):
        count += stat(rng.permutation(n + m)[:n]) >= observed
    return (1 + count) / (1 + permutations)


def _free_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def best_times(
    kernels: dict[str, Callable[[], object]], rounds: int, warm: bool = True
) -> dict[str, float]:
    """Best wall time per kernel in seconds, the kernels interleaved within each round.

    Each kernel is called once first where ``warm`` (XLA compiles); at sizes where a call takes
    minutes the compilation (about a second) is left in the one timed call instead.
    """
    for fn in kernels.values() if warm else ():
        fn()
    best = dict.fromkeys(kernels, float("inf"))
    for _ in range(rounds):
        for name, fn in kernels.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _row(n: int, wide: bool, rounds: int, loop_max: int) -> dict[str, float]:
    rng = np.random.default_rng(n)
    x, y = rng.normal(size=(n, DIM)), rng.normal(0.05, size=(n, DIM))
    s = float(np.median(pdist(np.concatenate([x, y])[:: max(1, n // 1000)])))  # NumPy's own
    kernels: dict[str, Callable[[], object]] = {
        "mmd^2": lambda: mmd_squared(x, y),
        "test": lambda: mmd_test(x, y, permutations=PERMUTATIONS),
    }
    if wide and 3 * 8 * n * n < _free_bytes() // 4:
        kernels["np mmd^2"] = lambda: numpy_mmd(x, y, s)
    if wide and n <= loop_max:
        kernels["np loop"] = lambda: numpy_loop(x, y, s, PERMUTATIONS, 0)
    with jax.enable_x64(wide):
        return best_times(kernels, rounds)


def bench_mmd(full: bool, rounds: int = 2, loop_max: int = 2000) -> list[str]:
    """The MMD table, printed and returned as lines."""
    sizes = (500, 2000, 10_000) if full else (500, 2000)
    cols = ["mmd^2", "np mmd^2", "ratio", "test", "np loop", "ratio", "test+mmd^2"]
    head = f"{'n = m':>7} {'dtype':>8} " + " ".join(f"{c:>10}" for c in cols)
    lines = [head, "-" * len(head)]
    print("\n".join(lines), flush=True)
    for n in sizes:
        for wide in (True, False):
            t = _row(n, wide, rounds, loop_max)
            nan = float("nan")
            cells = [
                t["mmd^2"],
                t.get("np mmd^2", nan),
                t.get("np mmd^2", nan) / t["mmd^2"],
                t["test"],
                t.get("np loop", nan),
                t.get("np loop", nan) / t["test"],
                t["test"] + t["mmd^2"],
            ]
            dtype = "float64" if wide else "float32"
            line = f"{n:>7} {dtype:>8} " + " ".join(f"{c:>10.3f}" for c in cells)
            lines.append(line)
            print(line, flush=True)
    lines.append(
        f"seconds (ratio columns: NumPy's time over this package's); d = {DIM}, "
        f"B = {PERMUTATIONS}; NumPy runs in float64 only"
    )
    print(lines[-1])
    return lines


def _blocks(a: np.ndarray, block: int) -> jax.Array:
    rows = -(-len(a) // block) * block
    return jnp.asarray(np.pad(a, ((0, rows - len(a)), (0, 0)))).reshape(-1, block, a.shape[1])


@jax.jit
def blocked_products(xb: jax.Array, yb: jax.Array) -> jax.Array:
    """The sum of the entries of ``X X^T``, ``Y Y^T`` and ``X Y^T``, block pair by block pair."""

    def product(a: jax.Array, b: jax.Array) -> jax.Array:
        pairs = a.shape[0] * b.shape[0]

        def body(p: jax.Array, acc: jax.Array) -> jax.Array:
            ai, bj = a[p // b.shape[0]], b[p % b.shape[0]]
            return acc + jnp.sum(ai @ bj.T)

        return jax.lax.fori_loop(0, pairs, body, jnp.zeros((), a.dtype))

    return product(xb, xb) + product(yb, yb) + product(xb, yb)


@partial(jax.jit, static_argnames=("blocks",))
def blocked_label_products(kernel: jax.Array, cols: jax.Array, blocks: int) -> jax.Array:
    """The pairs ``I <= J`` of blocks of the pass, each a fixed kernel block times ``cols_J``."""
    first, second = np.triu_indices(blocks)
    first_j, second_j = jnp.asarray(first), jnp.asarray(second)
    block = kernel.shape[0]

    def body(p: jax.Array, acc: jax.Array) -> jax.Array:
        ci = jax.lax.dynamic_slice_in_dim(cols, first_j[p] * block, block)
        cj = jax.lax.dynamic_slice_in_dim(cols, second_j[p] * block, block)
        return acc + jnp.sum(ci * (kernel @ cj), axis=0)

    return jax.lax.fori_loop(0, first.size, body, jnp.zeros(cols.shape[1], cols.dtype))


def bench_matmul(
    kid_sizes: list[tuple[int, int]],
    test_size: int,
    rounds: int,
    warm: bool = True,
    dtype: type = np.float32,
) -> list[str]:
    """KID and mmd_test beside the blocked products of their arithmetic: times and ratios."""
    lines: list[str] = []
    rng = np.random.default_rng(0)
    for n, d in kid_sizes:
        if n:
            lines.append(_kid_row(n, d, rng, rounds, warm, dtype))
    if test_size:
        lines.append(_test_row(test_size, rng, rounds))
    return lines


def _kid_row(n: int, d: int, rng: np.random.Generator, rounds: int, warm: bool, dtype: type) -> str:
    x = rng.normal(size=(n, d)).astype(dtype)
    y = (rng.normal(size=(n, d)) + 0.02).astype(dtype)
    blocks = {
        bits: (_blocks(x.astype(kind), 1024), _blocks(y.astype(kind), 1024))
        for bits, kind in ((32, np.float32), (64, np.float64))
    }
    t = best_times(
        {
            "kid": lambda: kid(x, y),
            "f32": lambda: blocked_products(*blocks[32]).block_until_ready(),
            "f64": lambda: blocked_products(*blocks[64]).block_until_ready(),
        },
        rounds,
        warm,
    )
    flops = 3 * 2 * n * n * d
    line = (
        f"kid n = m = {n}, d = {d}, {np.dtype(dtype).name} draws: {t['kid']:.3f} s; "
        f"X X^T, Y Y^T, X Y^T blocked, float32: {t['f32']:.3f} s "
        f"({flops / t['f32'] / 1e9:.1f} GFLOP/s), float64: {t['f64']:.3f} s "
        f"({flops / t['f64'] / 1e9:.1f} GFLOP/s); kid / float32 {t['kid'] / t['f32']:.2f}, "
        f"kid / float64 {t['kid'] / t['f64']:.2f}"
    )
    print(line, flush=True)
    return line


def _test_row(n: int, rng: np.random.Generator, rounds: int) -> str:
    x, y = rng.normal(size=(n, DIM)), rng.normal(0.05, size=(n, DIM))
    s = float(np.median(pdist(np.concatenate([x, y])[:: max(1, n // 1000)])))
    blocks = -(-2 * n // 1024)
    block = 64 * -(-2 * n // (64 * blocks))
    cols = np.zeros((block * blocks, 208))
    cols[: 2 * n] = rng.integers(0, 2, size=(2 * n, 208))
    kernel = jnp.asarray(rng.uniform(size=(block, block)))
    cols_j = jnp.asarray(cols)
    t = best_times(
        {
            "test": lambda: mmd_test(x, y, bandwidth=s, permutations=PERMUTATIONS),
            "products": lambda: blocked_label_products(kernel, cols_j, blocks).block_until_ready(),
            "median": lambda: median_bandwidth(x, y),
        },
        rounds,
    )
    line = (
        f"mmd_test n = m = {n}, d = {DIM}, B = {PERMUTATIONS}: {t['test']:.3f} s; the same "
        f"block pairs times 208 label columns: {t['products']:.3f} s; "
        f"ratio {t['test'] / t['products']:.2f}; the median heuristic {t['median']:.3f} s"
    )
    print(line, flush=True)
    return line


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add n = m = 10^4")
    parser.add_argument("--rounds", type=int, default=2, help="timed calls per kernel (best)")
    parser.add_argument(
        "--loop-max", type=int, default=2000, help="the largest n of the NumPy permutation loop"
    )
    parser.add_argument("--matmul", action="store_true", help="kid and mmd_test beside matmuls")
    parser.add_argument("--cold", action="store_true", help="--matmul's kid row: no warm-up call")
    parser.add_argument(
        "--kid-size", default="10000,2048", help="n,d of the kid row (0,0: none; ';' between rows)"
    )
    parser.add_argument("--kid-dtype", default="float32", help="the kid rows' draws' dtype")
    parser.add_argument(
        "--test-size", type=int, default=10_000, help="n of the mmd_test row (0: none)"
    )
    args = parser.parse_args()
    if args.matmul:
        sizes = [(int(a), int(b)) for a, b in (r.split(",") for r in args.kid_size.split(";"))]
        dtype = np.dtype(args.kid_dtype).type
        bench_matmul(sizes, args.test_size, args.rounds, not args.cold, dtype)
    else:
        bench_mmd(args.full, args.rounds, args.loop_max)
