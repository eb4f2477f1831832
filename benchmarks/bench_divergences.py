"""KL and JS against their physical limits and against SciPy, in one run.

Run: ``python benchmarks/bench_divergences.py [--quick] [--sizes 1e3 1e5 1e7] [--rounds 5]``, or
``python benchmarks/bench_divergences.py --limits [--sizes 1e7] [--rounds 7]`` for the table of
each call beside the fused read of its two arrays (below).

Every JAX kernel is jitted and timed after compilation; the kernels of one row are called in
turn, round after round, and each keeps its best time, so that a machine whose load changes
during the run slows every column alike. The columns, per size and dtype:

* ``read``: ``(p + q).sum()``, reading both arrays once: no divergence of p and q can beat it.
* ``log``: ``jnp.log(p).sum()``, one logarithm per element. KL's limit is ``max(read, log)``.
* ``2 log``: ``jnp.log(p).sum() + jnp.log(q).sum()``, two logarithms per element: JS's limit
  is ``max(read, 2 log)``.
* ``dv.kl``, ``dv.js_divergence``: this package, on two kinds of input: ``random`` (independent
  uniform masses: KL about 0.5, where the fast sums are certified and returned) and
  ``near`` (q = p with one relative perturbation of 1e-6 per element: KL about 1e-13, where the
  short series run after the fast sum, certified in the same pass; see ``divergences._src.log_sums``).
* ``scipy KL`` (``scipy.stats.entropy(p, q)``) and ``scipy JS``
  (``scipy.spatial.distance.jensenshannon``, a square root of JS).
* ``trivial``: ``p[0] + q[0]`` jitted, the fixed cost of any jitted call (the 1e3 rows).

Both kinds of input of one size and dtype are timed in one interleaved loop. Printed:
milliseconds, then each kernel as a ratio to its limit (KL and JS columns), the near row's time
over the random row's (``kl/rand``, ``js/rand``), and the ratio to the trivial kernel (the
fixed-cost column at 1e3).

``--limits``: each call beside the bound of its arrays on the machine, in one process, float32
and float64, on the device check's inputs (``device_check.mass_pair``: independent
``U(0.5, 1.5)`` masses, normalised, KL about 0.088, twice JS about 0.043, both above their fast
sums' thresholds) and on ``near`` ones. The bound is the fused read ``jnp.sum(p * q)`` jitted: the
least any reduction over both arrays costs. Beside it the naive fused KL and JS (``sum p
log(p/q)``, the defining JS with ``m = (p + q)/2``: no zero-mass convention, no accuracy near
``p = q``), the sums alone (``kl_sum``, ``js_sum``), and the device check's entries
(``device_check.MASS_ENTRIES``: ``dv.kl``, ``dv.js_divergence``, ``dv.total_variation``), each
jitted (``jit``) and called plainly (``eager``: what a user runs, the masses checked). Each round
calls every kernel once in turn; printed is each kernel's median over the rounds of its time
divided by the read's time in the same round (on a loaded machine the ratios hold where the
times do not), and the jitted KL and JS over their limits in the same round (``kl/limit``:
over ``max(read, log)``; ``js/limit``: over ``max(read, 2 log)``, the ``log`` and ``2 log``
columns). Default size 10^7 on a CPU, 10^8 on an accelerator.
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
from device_check import MASS_ENTRIES, mass_pair  # beside this script

import divergences as dv
from divergences._src import log_sums

jax.config.update("jax_enable_x64", True)

Kernel = Callable[[], object]


def _block(out: object) -> None:
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()


def best_times(kernels: dict[str, Kernel], rounds: int, calls: int) -> dict[str, float]:
    """Best wall time per kernel in milliseconds, kernels interleaved within each round."""
    for fn in kernels.values():
        _block(fn())
    best = dict.fromkeys(kernels, float("inf"))
    for _ in range(rounds):
        for name, fn in kernels.items():
            for _ in range(calls):
                start = time.perf_counter()
                _block(fn())
                best[name] = min(best[name], time.perf_counter() - start)
    return {name: 1e3 * t for name, t in best.items()}


def make_pmfs(n: int, dtype: type, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs of ``n`` masses: independent (``random``) or ``q`` a perturbed ``p`` (``near``)."""
    rng = np.random.default_rng(seed)
    p = rng.random(n) + 1e-3
    q = rng.random(n) + 1e-3 if kind == "random" else p * (1 + 1e-6 * rng.standard_normal(n))
    return (p / p.sum()).astype(dtype), (q / q.sum()).astype(dtype)


LIMITS: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    "read": lambda p, q: (p + q).sum(),
    "log": lambda p, q: jnp.log(p).sum(),
    "2 log": lambda p, q: jnp.log(p).sum() + jnp.log(q).sum(),
    "trivial": lambda p, q: p[0] + q[0],
}


def run(sizes: list[int], rounds: int) -> None:
    """Times every column at each size and dtype and prints the table."""
    cols = ["read", "log", "2 log", "dv.kl", "dv.js", "scipy KL", "scipy JS", "trivial"]
    header = (
        f"{'n':>9s} {'dtype':>7s} {'input':>6s} "
        + "".join(f"{c:>9s}" for c in cols)
        + f" {'kl/limit':>9s} {'js/limit':>9s} {'kl/rand':>8s} {'js/rand':>8s} {'kl/triv':>8s}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        calls = 20 if n <= 10**4 else 3 if n <= 10**6 else 1
        for dtype in (np.float64, np.float32):
            # Both kinds of input in one interleaved loop, so that the near/random ratios and
            # the ratios to the limits are taken under the same load.
            kernels: dict[str, Kernel] = {}
            inputs = {kind: make_pmfs(n, dtype, kind) for kind in ("random", "near")}
            limits = {name: jax.jit(f) for name, f in LIMITS.items()}
            kl_jit, js_jit = jax.jit(dv.kl), jax.jit(dv.js_divergence)
            pj, qj = (jnp.asarray(a) for a in inputs["random"])
            for name, f in limits.items():
                kernels[name] = lambda f=f, a=pj, b=qj: f(a, b)
            for kind, (p, q) in inputs.items():
                a, b = jnp.asarray(p), jnp.asarray(q)
                kernels[f"dv.kl {kind}"] = lambda a=a, b=b, f=kl_jit: f(a, b)
                kernels[f"dv.js {kind}"] = lambda a=a, b=b, f=js_jit: f(a, b)
                kernels[f"scipy KL {kind}"] = lambda a=p, b=q: scipy.stats.entropy(a, b)
                kernels[f"scipy JS {kind}"] = lambda a=p, b=q: scipy.spatial.distance.jensenshannon(
                    a, b
                )
            t = best_times(kernels, rounds, calls)
            kl_limit = max(t["read"], t["log"])
            js_limit = max(t["read"], t["2 log"])
            for kind in ("random", "near"):
                row = {c: t.get(f"{c} {kind}", t.get(c)) for c in cols}
                cells = "".join(f"{row[c]:9.3f}" for c in cols)
                kl_rand = t[f"dv.kl {kind}"] / t["dv.kl random"]
                js_rand = t[f"dv.js {kind}"] / t["dv.js random"]
                print(
                    f"{n:>9d} {np.dtype(dtype).name:>7s} {kind:>6s} {cells}"
                    f" {row['dv.kl'] / kl_limit:8.2f}x {row['dv.js'] / js_limit:8.2f}x"
                    f" {kl_rand:7.2f}x {js_rand:7.2f}x {row['dv.kl'] / t['trivial']:7.1f}x"
                )
        # Correctness beside the speed: the package against SciPy at this size.
        p, q = make_pmfs(n, np.float64, "random")
        ours, theirs = float(dv.kl(p, q)), float(scipy.stats.entropy(p, q))
        if not np.isclose(ours, theirs, rtol=1e-9):
            raise SystemExit(f"dv.kl disagrees with scipy at n={n}: {ours} vs {theirs}")
    print(
        "\nkl/limit = dv.kl / max(read, log); js/limit = dv.js / max(read, 2 log); kl/rand and "
        "js/rand = the row's time over the random row's (the same run, interleaved); kl/triv = "
        "dv.kl / trivial (fixed cost, meaningful at small n). scipy JS is the distance and "
        "renormalises its input."
    )


def limit_pmfs(n: int, dtype: type, kind: str) -> tuple[jax.Array, jax.Array]:
    """The device check's inputs (``random``: :func:`device_check.mass_pair`), or ``near`` ones.

    ``near``: the device check's ``p`` and ``q = p (1 + 1e-6 z)``, normalised.
    """
    p, q = mass_pair(n, dtype)
    if kind == "near":
        z = jax.random.normal(jax.random.PRNGKey(1), (n,), dtype)
        q = p * (1 + 1e-6 * z)
        q = q / q.sum()
    return p, q


def _naive_js(p: jax.Array, q: jax.Array) -> jax.Array:
    m = (p + q) / 2
    return 0.5 * jnp.sum(p * jnp.log(p / m) + q * jnp.log(q / m))


LIMIT_KERNELS: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    "read": lambda p, q: jnp.sum(p * q),
    "log": LIMITS["log"],
    "2 log": LIMITS["2 log"],
    "naive KL": lambda p, q: jnp.sum(p * jnp.log(p / q)),
    "naive JS": _naive_js,
    "kl_sum": lambda p, q: log_sums.kl_sum(p, q, -1),
    "js_sum": lambda p, q: 0.5 * log_sums.js_sum(p, q, -1),
}

#: The short names of the device check's entries (:data:`device_check.MASS_ENTRIES`).
_SHORT = {"kl": "kl", "js_divergence": "js", "total_variation": "tv"}


def limit_kernels() -> dict[str, Callable[[jax.Array, jax.Array], object]]:
    """Every kernel of the ``--limits`` table, the read first: each entry jitted and eager."""
    kernels: dict[str, Callable[[jax.Array, jax.Array], object]] = {
        name: jax.jit(f) for name, f in LIMIT_KERNELS.items()
    }
    for label, entry in MASS_ENTRIES:
        kernels[f"{_SHORT[label]} jit"] = jax.jit(entry)
        kernels[f"{_SHORT[label]} eager"] = entry
    return kernels


def run_limits(n: int, rounds: int) -> None:
    """Prints each kernel's median ratio to the fused read, per dtype and kind of input."""
    names = [k for k in limit_kernels() if k != "read"]
    columns = [*names, "kl/limit", "js/limit"]
    header = f"{'n':>10s} {'dtype':>7s} {'input':>6s} {'read ms':>8s}" + "".join(
        f"{k:>9s}" for k in columns
    )
    print(f"backend: {jax.default_backend()} ({jax.devices()[0].device_kind}), {rounds} rounds")
    print(header)
    print("-" * len(header))
    for dtype in (jnp.float32, jnp.float64):
        for kind in ("random", "near"):
            p, q = limit_pmfs(n, dtype, kind)
            kernels = limit_kernels()
            for f in kernels.values():
                _block(f(p, q))
            times: dict[str, list[float]] = {name: [] for name in kernels}
            for _ in range(rounds):
                for name, f in kernels.items():
                    start = time.perf_counter()
                    _block(f(p, q))
                    times[name].append(time.perf_counter() - start)
            read = times["read"]
            ratios = {
                name: float(np.median([t / r for t, r in zip(times[name], read, strict=True)]))
                for name in names
            }
            # Each entry over its limit in the same round: KL's max(read, log), JS's max(read,
            # 2 log).
            for entry, limit in (("kl", "log"), ("js", "2 log")):
                ratios[f"{entry}/limit"] = float(
                    np.median(
                        [
                            t / max(r, b)
                            for t, r, b in zip(
                                times[f"{entry} jit"], read, times[limit], strict=True
                            )
                        ]
                    )
                )
            print(
                f"{n:>10d} {np.dtype(dtype).name:>7s} {kind:>6s} {1e3 * np.median(read):8.3f}"
                + "".join(f"{ratios[k]:8.2f}x" for k in columns)
            )
    print(
        "\nEach column: the median over the rounds of the kernel's time over the read's "
        "(jnp.sum(p * q), jitted) in the same round; jit: the entry under jax.jit, eager: the "
        "plain call, which checks the masses; kl/limit, js/limit: the jitted entry over its "
        "limit in the same round, max(read, log) for KL, max(read, 2 log) for JS."
    )


def main() -> None:
    """The command line: parses the sizes and rounds and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 and 1e5, 3 rounds")
    parser.add_argument("--sizes", type=float, nargs="*", default=[1e3, 1e5, 1e7])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--limits", action="store_true", help="each call beside the fused read of its arrays"
    )
    args = parser.parse_args()
    if args.limits:
        default = 10**7 if jax.default_backend() == "cpu" else 10**8
        sizes = [int(s) for s in args.sizes] if args.sizes != parser.get_default("sizes") else []
        for n in sizes or [default]:
            run_limits(n, max(args.rounds, 7))
        return
    sizes = [1000, 100000] if args.quick else [int(s) for s in args.sizes]
    run(sizes, 3 if args.quick else args.rounds)


if __name__ == "__main__":
    main()
