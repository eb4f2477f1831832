"""KL and JS on large pmfs: divergences against SciPy and against the one-log-per-element limit.

Run: ``python benchmarks/bench_divergences.py [--quick] [--sizes 1e3 1e5 1e7]``.

Every JAX kernel is jitted and timed after compilation as the best of several calls
(``block_until_ready``). The columns, per size and dtype:

* ``log limit``: ``jnp.log(p).sum()``, one logarithm per element over one array. No divergence can
  beat it by much: KL needs a logarithm per element and reads two arrays.
* ``naive``: ``(p * jnp.log(p / q)).sum()``, the fastest KL formula; NaN as soon as ``p`` has a zero.
* ``rel_entr``: ``jax.scipy.special.rel_entr(p, q).sum()``, zero-safe through selects.
* ``where``: ``jnp.where(p > 0, p * jnp.log(p / q), 0).sum()``, a single select (wrong gradient too).
* ``dv.kl`` and ``dv.js_divergence``: this package, zero-safe and gradient-safe.
* ``scipy KL``: ``scipy.stats.entropy(p, q)``; ``scipy JS``: ``scipy.spatial.distance.jensenshannon``.

Each is reported in milliseconds and as a ratio to the log limit; the zero-mass rows repeat the
package's kernels on pmfs where 10% of ``p`` and 5% of ``q`` (half of them shared) are exact zeros.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import scipy.spatial.distance
import scipy.stats

import divergences as dv

jax.config.update("jax_enable_x64", True)


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in milliseconds (after one warm-up call)."""
    out = fn()
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def make_pmfs(n: int, dtype: type, zeros: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    q = rng.random(n)
    if zeros:
        p[::10] = 0.0
        q[::20] = 0.0  # every other zero of q is also a zero of p
    return (p / p.sum()).astype(dtype), (q / q.sum()).astype(dtype)


JAX_KERNELS: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    "log limit": lambda p, q: jnp.log(p).sum(),
    "naive": lambda p, q: (p * jnp.log(p / q)).sum(),
    "rel_entr": lambda p, q: jax.scipy.special.rel_entr(p, q).sum(),
    "where": lambda p, q: jnp.where(p > 0, p * jnp.log(p / q), 0).sum(),
    "dv.kl": dv.kl,
    "dv.js_divergence": dv.js_divergence,
}


def run(sizes: list[int], repeats: int) -> None:
    header = f"{'n':>9s} {'dtype':>7s} {'p,q':>6s} " + "".join(
        f"{name:>18s}" for name in [*JAX_KERNELS, "scipy KL", "scipy JS"]
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        for dtype in (np.float32, np.float64):
            for zeros in (False, True):
                p, q = make_pmfs(n, dtype, zeros)
                pj, qj = jnp.asarray(p), jnp.asarray(q)
                times = {}
                for name, kernel in JAX_KERNELS.items():
                    jitted = jax.jit(kernel)
                    times[name] = best_time(lambda k=jitted, a=pj, b=qj: k(a, b), repeats)
                scipy_repeats = max(1, repeats // 3) if n >= 10**6 else repeats
                times["scipy KL"] = best_time(
                    lambda a=p, b=q: scipy.stats.entropy(a, b), scipy_repeats
                )
                times["scipy JS"] = best_time(
                    lambda a=p, b=q: scipy.spatial.distance.jensenshannon(a, b), scipy_repeats
                )
                limit = times["log limit"]
                cells = "".join(f"{times[k]:9.3f} ({times[k] / limit:5.2f}x)" for k in times)
                label = "zeros" if zeros else ">0"
                print(f"{n:>9d} {np.dtype(dtype).name:>7s} {label:>6s} {cells}")
        # Correctness beside the speed: the package against SciPy at this size.
        p, q = make_pmfs(n, np.float64, zeros=True)
        ours, theirs = float(dv.kl(p, q)), float(scipy.stats.entropy(p, q))
        if not np.isclose(ours, theirs, rtol=1e-9):
            raise SystemExit(f"dv.kl disagrees with scipy at n={n}: {ours} vs {theirs}")
    print(
        "\nratios are to the log limit of the same row; 'naive' is NaN on the zero rows; "
        "scipy's JS is the distance (a square root) and renormalises its input."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 and 1e5, 3 repeats")
    parser.add_argument("--sizes", type=float, nargs="*", default=[1e3, 1e4, 1e5, 1e6, 1e7])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sizes = [1000, 100000] if args.quick else [int(s) for s in args.sizes]
    run(sizes, 3 if args.quick else args.repeats)


if __name__ == "__main__":
    main()
