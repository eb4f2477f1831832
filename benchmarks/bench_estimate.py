"""Estimates from samples (``divergences.estimate``) against their peers, one area at a time.

Run: ``python benchmarks/bench_estimate.py [AREA ...] [--full]``; the areas named (default: all)
run in turn and print their tables. The default run is short; ``--full`` takes more rounds.

Areas:

* ``knn``: the k-NN KL of Wang, Kulkarni & Verdu with its interval (``dv.estimate.kl``, which
  computes the estimate and its ten batches' estimates) beside peers that compute the point
  estimate only, with ``k = 5``: scikit-learn's ``NearestNeighbors`` (``n_jobs=-1``, its
  ``algorithm="auto"``: a k-d tree in low dimension, brute force above 15) and
  ``universal-divergence`` (``universal_divergence.estimate``: a Python loop over the draws on
  SciPy's pure-Python ``KDTree``, with a linear scan per draw for repeated points, so it runs
  at ``n = m <= 3000`` only, where it is timed beside this package). Sizes: ``n = m = 10^5`` in
  ``d = 2`` and ``n = m = 10^4`` in ``d = 64``. Printed: seconds (best of the rounds), the
  estimates, and each peer's time over this package's.

* ``engines``: the two engines of the k-th neighbour search behind the k-NN estimates (SciPy's
  k-d tree and the blocked float32 search in XLA, certified and redone in float64 where it is
  not), at ``n = m = 10^4``, ``k = 5``, in ``d = 4, 6, 8, 10`` and (XLA alone) 64: one search of
  a sample in itself and one in another sample. Printed: seconds for each engine (best of the
  rounds) and the largest difference of their distances. ``"auto"`` takes the tree up to
  ``TREE_MAX_DIMENSION`` and XLA above it: this is the measurement that chooses it.
* ``knn-floor``: the k-NN KL (``dv.estimate.kl``, k = 5) in ``d = 64`` at ``n = m = 10^4`` and
  ``3 x 10^4`` (``--full``: also ``10^5``) beside the floor of its arithmetic, in one process:
  the k-th neighbour searches it makes (recorded from one call, then replayed: the two of the
  full samples and those of its interval's batches), and for each search a blocked float32
  pass over the same blocks of queries (every query's scores against all points, one matrix
  product a block) that keeps each query's nearest point, its score and index (two plain
  reductions: XLA's CPU arg-reduction is a slower variadic one). Printed: seconds (best of the
  rounds) and the ratios ``kl / floor`` and ``searches / floor``; then where a search's time
  goes (the candidates in XLA, the float64 distances and certificate on the host, the rows
  redone).
* ``w1``: ``dv.estimate.w1``'s intervals at ``n = m = 10^4`` in ``d = 2`` and ``w1_dkw`` beside
  scipy's 1-D ``wasserstein_distance`` and ``energy_distance`` (``bench_estimate_w1.py``).
* ``mmd``: ``dv.estimate.mmd_squared`` and ``mmd_test`` beside NumPy's full kernel matrices and
  a NumPy permutation loop (``bench_estimate_mmd.py``).
* ``frechet``: ``dv.estimate.frechet`` (FD with its interval: the covariances, five cross terms
  of the extrapolation and the batches) at ``n = m = 2 x 10^4``, ``d = 2048``, beside its floor
  in the same process, the two covariance products ``X_c^T X_c`` and ``Y_c^T Y_c``. NumPy
  alone (nothing compiles): each is timed once a round, best of the rounds.

Each call is timed after one warm-up call (JAX compiles there); the rows' kernels are called in
turn, round after round, and each keeps its best time.
"""

from __future__ import annotations

import argparse
import functools
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from bench_estimate_mmd import bench_mmd
from bench_estimate_w1 import bench_w1

import divergences as dv
from divergences.estimate._src.neighbours import knn as knn_module
from divergences.estimate._src.neighbours import search as neighbours
from divergences.estimate._src.neighbours.search import TREE_MAX_DIMENSION, kth_neighbour_distances

jax.config.update("jax_enable_x64", True)

try:
    import universal_divergence
except ImportError:  # pip install universal-divergence (the bench extra)
    universal_divergence = None


def best_times(kernels: dict[str, Callable[[], Any]], rounds: int) -> dict[str, tuple[float, Any]]:
    """Best wall time in seconds and the value, per kernel, the kernels interleaved per round."""
    values = {name: fn() for name, fn in kernels.items()}
    best = dict.fromkeys(kernels, math.inf)
    for _ in range(rounds):
        for name, fn in kernels.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: (best[name], values[name]) for name in kernels}


def sklearn_kl(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """Wang-Kulkarni-Verdu's KL with scikit-learn's neighbour search (the point estimate)."""
    from sklearn.neighbors import NearestNeighbors  # the knn area's peer alone (the bench extra)

    n, d = x.shape
    rho = NearestNeighbors(n_neighbors=k + 1, n_jobs=-1).fit(x).kneighbors(x)[0][:, k]
    nu = NearestNeighbors(n_neighbors=k, n_jobs=-1).fit(y).kneighbors(x)[0][:, k - 1]
    return float(d * np.mean(np.log(nu / rho)) + math.log(y.shape[0] / (n - 1)))


def knn(full: bool) -> None:
    """The k-NN KL with its interval beside scikit-learn's and universal-divergence's."""
    k, rounds = 5, (3 if full else 1)
    rng = np.random.default_rng(0)
    rows = [(100_000, 2), (10_000, 64), (1_000, 2), (3_000, 2)]
    print(f"k-NN KL(N(0, I) || N(e_1, I)) = 0.5, k = 5; seconds (best of {rounds})")
    print(
        f"{'n = m':>8} {'d':>3} {'ours':>8} {'sklearn':>8} {'univ-div':>9} "
        f"{'sk/ours':>8} {'ud/ours':>8}  estimates (ours [interval], sklearn, univ-div)"
    )
    for n, d in rows:
        x = rng.standard_normal((n, d))
        y = rng.standard_normal((n, d))
        y[:, 0] += 1.0
        kernels: dict[str, Callable[[], Any]] = {
            "ours": functools.partial(dv.estimate.kl, x, y, k=k),
            "sklearn": functools.partial(sklearn_kl, x, y, k),
        }
        if universal_divergence is not None and n <= 3_000:
            kernels["univ"] = functools.partial(universal_divergence.estimate, x, y, k=k)
        got = best_times(kernels, rounds)
        ours, est = got["ours"]
        sk = got["sklearn"][0]
        ud = got.get("univ", (math.nan, math.nan))
        print(
            f"{n:>8} {d:>3} {ours:>8.3f} {sk:>8.3f} {ud[0]:>9.3f} {sk / ours:>8.1f} "
            f"{ud[0] / ours:>8.1f}  {est.value:.4f} [{est.lower_bound:.4f}, {est.upper_bound:.4f}], "
            f"{got['sklearn'][1]:.4f}, {ud[1]:.4f}"
        )


def engines(full: bool) -> None:
    """The k-d tree and the XLA search of the k-th neighbour, dimension by dimension."""
    k, n, rounds = 5, 10_000, (3 if full else 1)
    rng = np.random.default_rng(0)
    print(f"k-th neighbour search, n = m = {n}, k = {k}, itself and another sample; seconds")
    print(f"{'d':>3} {'tree':>8} {'xla':>8} {'tree/xla':>9} {'max |diff|':>11}")
    for d in (4, 6, 8, 10, 64):
        x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))

        def search(engine: str, x: np.ndarray = x, y: np.ndarray = y) -> np.ndarray:
            return np.concatenate(
                [
                    kth_neighbour_distances(x, k, engine=engine),  # type: ignore[arg-type]
                    kth_neighbour_distances(y, k, x, engine=engine),  # type: ignore[arg-type]
                ]
            )

        kernels: dict[str, Callable[[], Any]] = {"xla": functools.partial(search, "xla")}
        if d <= 10:  # above, the tree is a slower brute force
            kernels["tree"] = functools.partial(search, "tree")
        got = best_times(kernels, rounds)
        xla = got["xla"][0]
        tree, diff = (math.nan, math.nan)
        if "tree" in got:
            tree = got["tree"][0]
            diff = float(np.max(np.abs(got["tree"][1] - got["xla"][1])))
        print(f"{d:>3} {tree:>8.2f} {xla:>8.2f} {tree / xla:>9.2f} {diff:>11.1e}")
    print(f"TREE_MAX_DIMENSION = {TREE_MAX_DIMENSION}")


@jax.jit
def nearest_pass(points: jax.Array, query_blocks: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Each query's nearest point (its score ``2 a.b - |b|^2`` and index), a block at a time."""
    sq = jnp.sum(points * points, axis=1)
    rows = jnp.arange(points.shape[0], dtype=jnp.int32)

    def one(qb: jax.Array) -> tuple[jax.Array, jax.Array]:
        score = 2.0 * (points @ qb.T) - sq[:, None]
        best = jnp.max(score, axis=0)
        return best, jnp.min(jnp.where(score == best[None, :], rows[:, None], rows.size), axis=0)

    return jax.lax.map(one, query_blocks)


def floor_of(points: np.ndarray, queries: np.ndarray) -> Callable[[], Any]:
    """The nearest-point pass over the blocks of queries the XLA engine takes, ready to call."""
    n, d = queries.shape
    block = neighbours.block_rows(n, points.shape[0])
    padded = np.zeros((-(-n // block) * block, d), dtype=np.float32)
    padded[:n] = queries
    p, q = jnp.asarray(points, jnp.float32), jnp.asarray(padded.reshape(-1, block, d))
    return lambda: jax.block_until_ready(nearest_pass(p, q))


def knn_floor(full: bool) -> None:
    """The k-NN KL and its neighbour searches beside a blocked nearest-point pass."""
    k, rounds = 5, (3 if full else 2)
    rng = np.random.default_rng(0)
    sizes = (10_000, 30_000, 100_000) if full else (10_000, 30_000)
    print(f"k-NN KL, d = 64, k = {k}, beside the blocked float32 nearest-point pass; seconds")
    print(
        f"{'n = m':>8} {'kl':>8} {'searches':>9} {'floor':>8} {'kl/floor':>9} "
        f"{'search/floor':>13} {'calls':>6}"
    )
    for n in sizes:
        x = rng.standard_normal((n, 64))
        y = rng.standard_normal((n, 64))
        y[:, 0] += 1.0
        calls: list[tuple[Any, ...]] = []

        def record(
            points: np.ndarray,
            kk: int,
            queries: Any = None,
            calls: list[tuple[Any, ...]] = calls,
            **kw: Any,
        ) -> np.ndarray:
            calls.append((points, kk, queries))
            return kth_neighbour_distances(points, kk, queries, **kw)

        knn_module.kth_neighbour_distances = record  # type: ignore[assignment]
        try:
            with warnings.catch_warnings():  # d = 64: no coverage claimed, timed all the same
                warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
                dv.estimate.kl(x, y, k=k)
        finally:
            knn_module.kth_neighbour_distances = kth_neighbour_distances
        floors = [floor_of(p, p if q is None else q) for p, _, q in calls]

        def searches(calls: list[tuple[Any, ...]] = calls) -> None:
            for p, kk, q in calls:
                kth_neighbour_distances(p, kk, q)

        def floor(floors: list[Callable[[], Any]] = floors) -> None:
            for f in floors:
                f()

        def estimate(x: np.ndarray = x, y: np.ndarray = y) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
                dv.estimate.kl(x, y, k=k)

        got = best_times({"kl": estimate, "searches": searches, "floor": floor}, rounds)
        t_kl, t_s, t_f = (got[name][0] for name in ("kl", "searches", "floor"))
        print(
            f"{n:>8} {t_kl:>8.3f} {t_s:>9.3f} {t_f:>8.3f} {t_kl / t_f:>9.2f} "
            f"{t_s / t_f:>13.2f} {len(calls):>6}"
        )
        print(f"{'':>8} one search of the sample in itself: {search_stages(x, k)}")


def search_stages(x: np.ndarray, k: int) -> str:
    """Seconds of each stage of one XLA search of ``x`` in itself (the stages wrapped in timers)."""
    spent = {"candidates (XLA)": 0.0, "float64 distances": 0.0, "rows redone": 0.0}
    inner = (neighbours.candidate_indices, neighbours._exact_kth, neighbours.cdist)
    redone = [0]

    def timed(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def run(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            out = jax.block_until_ready(fn(*args, **kw))
            spent[name] += time.perf_counter() - start
            if fn is inner[2]:
                redone[0] += args[0].shape[0]
            return out

        return run

    kth_neighbour_distances(x, k)  # compiled before the timers start
    neighbours.candidate_indices, neighbours._exact_kth, neighbours.cdist = (
        timed(fn, name) for fn, name in zip(inner, spent, strict=True)
    )
    try:
        start = time.perf_counter()
        kth_neighbour_distances(x, k)
        total = time.perf_counter() - start
    finally:
        neighbours.candidate_indices, neighbours._exact_kth, neighbours.cdist = inner
    return (
        f"{total:.3f} s: "
        + ", ".join(f"{name} {t:.3f}" for name, t in spent.items())
        + f" ({redone[0]} rows), the rest {total - sum(spent.values()):.3f}"
    )


def mmd(full: bool) -> None:
    """MMD^2 and the permutation test beside NumPy (``bench_estimate_mmd.py``)."""
    bench_mmd(full)


def frechet(full: bool) -> None:
    """FD with its interval at n = m = 2e4, d = 2048 beside the two covariance products."""
    n, d, rounds = 20_000, 2048, (3 if full else 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d)) + 1.0 / math.sqrt(d)  # FD = 1

    def floor() -> float:
        xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
        return float(np.trace(xc.T @ xc) + np.trace(yc.T @ yc))

    kernels: dict[str, Callable[[], Any]] = {
        "ours": functools.partial(dv.estimate.frechet, x, y),
        "floor": floor,
    }
    best, values = dict.fromkeys(kernels, math.inf), {}
    for _ in range(rounds):
        for name, fn in kernels.items():
            start = time.perf_counter()
            values[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    est = values["ours"]
    print(f"FD(N(0, I), N(mu, I)) = 1, n = m = {n}, d = {d}; seconds (best of {rounds})")
    print(f"{'ours':>8} {'floor':>8} {'ratio':>6}  estimate")
    print(f"{best['ours']:>8.2f} {best['floor']:>8.2f} {best['ours'] / best['floor']:>6.2f}  {est}")


AREAS: dict[str, Callable[[bool], None]] = {
    "knn": knn,
    "engines": engines,
    "knn-floor": knn_floor,
    "w1": bench_w1,
    "mmd": mmd,
    "frechet": frechet,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help=f"areas to run, of {sorted(AREAS)} (default all)")
    parser.add_argument("--full", action="store_true", help="more rounds")
    args = parser.parse_args()
    unknown = sorted(set(args.areas) - set(AREAS))
    if unknown:
        parser.error(f"unknown areas {unknown}: choose among {sorted(AREAS)}")
    for area in args.areas or list(AREAS):
        AREAS[area](args.full)


if __name__ == "__main__":
    main()
