"""Many W1 problems at once: ``dv.w1_batch`` on one worker, on two, and on a Dask cluster.

The problems are pairs of DOTmark-like images (:func:`divergences.testing.dotmark.dotmark_pair`,
``--classes``, ``--side`` N), each given as weighted points (the cell centres with mass, their
masses as weights), so that every pair is a general-mass problem of the sparse solver; ``--pairs``
pairs are drawn with different seeds, in a cycle over the classes. Timed, each in one run:

* ``loop``: ``dv.w1_primal`` of each pair in this process, one after the other (the baseline: no
  pool, no pickling);
* ``local 1`` and ``local 2``: ``dv.w1_batch`` with its own local process pool of 1 and of 2
  workers (spawned processes: their start, JAX's import in each, is part of the time);
* ``pool 1`` and ``pool 2``: the same on a ``ProcessPoolExecutor`` started and warmed up before
  the clock starts (``executor=``): the scaling of the solves alone;
* ``dask 2`` (with ``--dask``, the ``dask`` extra): the same on a Dask ``LocalCluster`` of two
  single-threaded worker processes, through ``Client.get_executor()``; the cluster's start is not
  in the time, the executor's work is.

Every run must return the same values and intervals as the loop, bit for bit (the same solver
on the same float64 input); the script stops with an error where one differs. The speedups are
``local 1 / local 2`` and ``pool 1 / pool 2``: the issue's target is 1.8 on two cores.

With ``--small``, instead: where a batch is small enough to solve in the calling process
(``w1_batch``'s ``INLINE_SIZE``). For 6 pairs of ``n`` uniform points in the unit square, each
``n`` of ``--sizes``: a loop of ``dv.w1_primal`` in this process (what ``w1_batch`` does below
the threshold) against a fresh spawned pool of 2 (what it does above it, the pool's start and
shutdown included), with the total size ``6 n^2``.

Run: ``python benchmarks/bench_batch.py [--pairs 16] [--side 64] [--dask]``, or
``python benchmarks/bench_batch.py --small [--sizes 10 100 300 600 1000 1500]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import jax
import numpy as np

import divergences as dv
from divergences.testing.dotmark import DOTMARK_CLASSES, dotmark_pair


def _weighted_points(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres of the cells with mass and their masses."""
    cells = np.flatnonzero(image.ravel())
    points = np.stack(np.unravel_index(cells, image.shape), axis=-1).astype(np.float64)
    return points, image.ravel()[cells]


def pairs_of(classes: list[str], side: int, count: int) -> list[tuple[np.ndarray, ...]]:
    """``count`` pairs ``(x, y, a, b)``, the classes in a cycle, seed ``k`` for the ``k``-th."""
    out = []
    for k in range(count):
        mu, nu = dotmark_pair(classes[k % len(classes)], side, seed=k)
        (x, a), (y, b) = _weighted_points(mu), _weighted_points(nu)
        out.append((x, y, a, b))
    return out


def _loop(pairs: list[tuple[np.ndarray, ...]]) -> np.ndarray:
    rows = []
    for x, y, a, b in pairs:
        sol = dv.w1_primal(x, y, a, b, method="sparse", threads=1)
        rows.append((float(sol.value), float(sol.lower_bound), float(sol.upper_bound)))
    return np.array(rows)


def _batch(pairs: list[tuple[np.ndarray, ...]], **kwargs: object) -> np.ndarray:
    out = dv.w1_batch(pairs, method="sparse", **kwargs)
    return np.stack([out.value, out.lower_bound, out.upper_bound], axis=-1)


def _timed(label: str, run, reference: np.ndarray | None) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    got = run()
    seconds = time.perf_counter() - start
    if reference is not None and not np.array_equal(got, reference):
        raise SystemExit(f"{label}: the values or intervals differ from the loop's")
    print(f"{label:10s} {seconds:8.2f} s", flush=True)
    return seconds, got


def small_batches(sizes: list[int]) -> None:
    """The table of ``--small``: a loop in this process against a fresh pool of 2, by size."""
    rng = np.random.default_rng(0)
    print(f"6 pairs of n points; {os.cpu_count()} CPUs", flush=True)
    print(f"{'n':>6s} {'total n m':>11s} {'loop s':>8s} {'pool of 2 s':>12s}", flush=True)
    for n in sizes:
        pairs = [(rng.random((n, 2)), rng.random((n, 2))) for _ in range(6)]
        _loop_points(pairs[:1])  # the solver's first call at this size out of the time
        start = time.perf_counter()
        reference = _loop_points(pairs)
        loop = time.perf_counter() - start
        start = time.perf_counter()
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            out = dv.w1_batch(pairs, executor=pool)
        pooled = time.perf_counter() - start
        if not np.array_equal(out.value, reference):
            raise SystemExit(f"n={n}: the pool's values differ from the loop's")
        print(f"{n:6d} {6 * n * n:11.2e} {loop:8.3f} {pooled:12.3f}", flush=True)


def _loop_points(pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    return np.array([float(dv.w1_primal(x, y, threads=1).value) for x, y in pairs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=16, help="how many pairs")
    parser.add_argument("--side", type=int, default=64, help="the images' side N")
    parser.add_argument("--classes", nargs="+", choices=DOTMARK_CLASSES, default=DOTMARK_CLASSES)
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster of 2")
    parser.add_argument(
        "--small", action="store_true", help="the table of small batches: loop or pool"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10, 100, 300, 600, 1000, 1500], help="--small: n"
    )
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)  # the loop in float64, as w1_batch's workers solve
    if args.small:
        small_batches(args.sizes)
        return
    pairs = pairs_of(list(args.classes), args.side, args.pairs)
    print(
        f"{args.pairs} pairs of {args.side} x {args.side} images, {os.cpu_count()} CPUs",
        flush=True,
    )
    _loop(pairs[:1])  # the solver's first call (its imports) out of the loop's time
    _, reference = _timed("loop", lambda: _loop(pairs), None)
    one, _ = _timed("local 1", lambda: _batch(pairs, max_workers=1), reference)
    two, _ = _timed("local 2", lambda: _batch(pairs, max_workers=2), reference)
    print(f"speedup local 1 / local 2: {one / two:.2f}", flush=True)
    pooled = []
    for workers in (1, 2):
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            _batch(pairs[:workers], executor=pool)  # each worker's first call out of the time
            seconds, _ = _timed(f"pool {workers}", lambda: _batch(pairs, executor=pool), reference)
        pooled.append(seconds)
    print(f"speedup pool 1 / pool 2: {pooled[0] / pooled[1]:.2f}", flush=True)
    if args.dask:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            executor = client.get_executor()
            _batch(pairs[:2], executor=executor)  # the workers' first call out of the time
            dask, _ = _timed("dask 2", lambda: _batch(pairs, executor=executor), reference)
        print(f"speedup local 1 / dask 2: {one / dask:.2f}", flush=True)


if __name__ == "__main__":
    main()
