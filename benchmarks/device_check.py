"""The package on the accelerator JAX sees: the quick tier, and the entries beside the device's limits.

The limits are measured in the same process as the entries; one JSON holds the whole.

Run: ``make device-check`` or ``python benchmarks/device_check.py [--small] [--out DIR]
[--budget SECONDS] [--workers N] [--no-tests]``, from the repository root with the package
importable (installed, or on ``PYTHONPATH`` with its compiled extension). ``--small`` shrinks every
size so that the whole runs in seconds on a CPU (the quick tier runs it so:
``tests/test_device_check.py``); without it the sizes are a GPU's and the run fits in about
six minutes on one.

What it writes into ``--out`` (default ``build/device-check``): ``device_check.json`` (rewritten
after every case, so a run stopped by its time limit keeps what it measured), and for the tests
``pytest.log`` and ``junit.xml``. Each case records its ``status`` (``ok``, ``fail`` with the
exception, or ``skipped`` with why); the JSON's ``tests`` entry has the quick tier's counts and
the names of the tests that failed.

The cases, each beside its limit:

* ``masses``: :func:`divergences.kl`, :func:`~divergences.js_divergence` and
  :func:`~divergences.total_variation` on two mass vectors (``10^8`` entries; float32 and float64),
  jitted and called plainly (which checks the masses), against a fused read of the same two
  arrays (``sum(p * q)``): no divergence of ``p`` and ``q`` can beat it. The ratios are the
  columns that count. ``benchmarks/bench_divergences.py --limits`` times the same on a CPU.
* ``subnormals``: whether the backend keeps or flushes results below the normal range (a
  float64 ``5e-320 * 2``), and :func:`~divergences.mutual_information` of joints with entries of
  a few ``1e-163`` against its value in exact arithmetic (``mpmath``, where installed).
* ``w1``: the docstring example of :func:`~divergences.w1_primal` by ``method="auto"``
  (exactly 2.0, a permutation, the method named); the dense host solver under ``jit`` at
  ``n = 1000``; the certified Sinkhorn at ``n = m = 10^4`` in the plane to a gap of ``1e-3``.
* ``estimates``: :func:`divergences.estimate.kl` at ``10^5 x 64`` beside one blocked
  matrix-product pass that finds every point's nearest neighbour, and
  :func:`divergences.estimate.mmd_test` with 200 permutations at ``10^4 x 64`` beside the kernel
  blocks times 201 label vectors (float32, the dtype of features).
* ``evaluation``: :func:`divergences.estimate.frechet` at ``5 x 10^4 x 2048`` float32 features
  beside the device's own floor (both samples' float64 ``X^T X`` and two ``d x d`` eigh, jitted
  where JAX computes; the host's products recorded beside it), the peer practitioners use on the
  same features where it is installed (torchmetrics' FID and KID, else the case is skipped), and
  :func:`~divergences.estimate.kid`, :func:`~divergences.estimate.kid_difference`,
  :func:`~divergences.estimate.frechet_difference` and
  :func:`~divergences.estimate.fidelity_diversity` (precision, recall, density, coverage) at
  ``10^4 x 2048`` beside the kernel blocks or distances they sum, each one full-precision
  float32 matrix product, jitted.
* ``lines``: the parallel lines of the WGAN paper over ``10^4`` thetas under ``vmap``: JS
  against ``log 2`` and TV against 1 where the lines are apart.

Judged: a case with a truth fails beyond its stated accuracy (``within``: the mutual
information to ``ulp_float64`` of its exact value, the W1 example exactly 2, the lines' JS and
TV); at a device's sizes (not ``--small``) a timed case fails off its target (:data:`TARGETS`:
FD and the kernel measures within 1.5x of their limits, the k-NN family and the MMD test within
3x, KL, JS and TV within 1.3x of the fused read, the certified Sinkhorn within 1 s, FD faster
than the peer's FID). The run exits 1 where a case failed.

Timings are medians of a few calls after a warm-up call (which includes the compile), with
``block_until_ready``; the numbers that count are the ratios, which are measured in one process.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import traceback
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)  # float32 arrays stay float32; float64 is then available

import divergences as dv  # noqa: E402
from divergences.testing import tolerance  # noqa: E402

#: The relative accuracy a float64 value with a truth is judged by (the harness's ulp_float64).
ULP64 = tolerance("ulp_float64")["rtol"]

ROOT = Path(__file__).resolve().parent.parent


class Sizes(NamedTuple):
    """The sizes of the cases: a device's, or a CPU try-out's (``--small``)."""

    masses: int  # entries of each mass vector
    dense: int  # points a side for the dense host solver
    sinkhorn: int  # points a side for the certified Sinkhorn
    knn: int  # points a side for the k-NN KL (in 64 dimensions)
    knn_block: int  # rows of one block of the nearest-neighbour pass
    mmd: int  # points a side for the MMD test (in 64 dimensions)
    mmd_block: int  # rows of one block of the kernel sums
    thetas: int  # thetas of the parallel lines
    fd: int  # draws a sample for FD (float32 features)
    kid: int  # draws a sample for KID, the comparisons and precision/recall
    features: int  # coordinates of a feature vector


DEVICE = Sizes(10**8, 1000, 10**4, 10**5, 4096, 10**4, 1000, 10**4, 5 * 10**4, 10**4, 2048)
SMALL = Sizes(10**4, 50, 100, 500, 250, 250, 250, 100, 400, 200, 16)


class Target(NamedTuple):
    """A case's target on a device: ``field`` (a ratio to its limit, or seconds) at most ``most``."""

    field: str
    most: float
    why: str


#: Each timed case's target at the device's sizes, by the start of its name (issue "On the card
#: where models are evaluated"). Judged where the sizes are a device's, not ``--small``'s, whose
#: timings are a CPU's try-out.
TARGETS: dict[str, Target] = {
    "estimate.frechet,": Target("x_limit", 1.5, "the device's float64 X^T X of both and 2 eigh"),
    "estimate.kid,": Target("x_limit", 1.5, "its kernel blocks"),
    "estimate.kid_difference,": Target("x_limit", 1.5, "its kernel blocks"),
    "estimate.fidelity_diversity,": Target("x_limit", 3.0, "one distance pass with its top-k"),
    "estimate.kl,": Target("x_limit", 3.0, "one blocked distance pass with its top-k"),
    "estimate.mmd_test": Target("x_limit", 3.0, "its kernel blocks times the labels"),
    "kl ": Target("x_read", 1.3, "the fused read"),
    "js_divergence ": Target("x_read", 1.3, "the fused read"),
    "total_variation ": Target("x_read", 1.3, "the fused read"),
    "certified ": Target("s", 1.0, "seconds"),
    "FD reduced on the device": Target("relative", 1e-12, "the value and ends of the host's read"),
    "KID pooled on the device": Target("relative", 1e-12, "the value and ends of the host's read"),
    "k-NN KL searched on the device": Target(
        "relative", 1e-12, "the value and lower end of the host's"
    ),
    "torchmetrics FID": Target("ours_over_peer", 1.0, "estimate.frechet's time over the peer's"),
}


class Skipped(Exception):
    """Raised by a case that cannot run here (a peer not installed): recorded with why."""


def target_of(name: str) -> Target | None:
    """The target of the case called ``name``, if it has one."""
    return next((t for start, t in TARGETS.items() if name.startswith(start)), None)


class Check:
    """The report being written: its cases, saved to ``path`` after each."""

    def __init__(self, path: Path, small: bool) -> None:
        self.path = path
        self.sizes = SMALL if small else DEVICE
        self.small = small
        self.started = time.perf_counter()
        self.report: dict[str, Any] = {"small": small, "env": environment(), "cases": []}
        self.save()

    def save(self) -> None:
        self.report["elapsed_s"] = round(time.perf_counter() - self.started, 2)
        self.path.write_text(json.dumps(self.report, indent=1, default=str) + "\n")

    def case(self, group: str, name: str, run: Callable[[], dict[str, Any]]) -> None:
        """Runs one case; records what it returns, or the exception it raised."""
        record: dict[str, Any] = {"group": group, "case": name}
        t0 = time.perf_counter()
        try:
            record.update(run())
            record["status"] = "ok"
            target = None if self.small else target_of(name)
            if target is not None and target.field in record:
                record["target"] = f"{target.field} <= {target.most} ({target.why})"
                record["on_target"] = bool(record[target.field] <= target.most)
            if "within" in record and not record["within"]:  # beside its truth, beyond its accuracy
                record["status"] = "fail"
                record["error"] = f"beyond its stated accuracy: {record.get('accuracy')}"
            elif not record.get("on_target", True):
                record["status"] = "fail"
                record["error"] = f"off its target: {record['target']}"
        except Skipped as why:
            record["status"] = "skipped"
            record["why"] = str(why)
        except Exception as error:  # a failing case is recorded, and the check goes on
            first = (str(error).strip().splitlines() or [""])[0][:300]
            record["status"] = "fail"
            record["error"] = f"{type(error).__name__}: {first}"
            record["where"] = traceback.format_exc().strip().splitlines()[-3:-1]
        record["wall_s"] = round(time.perf_counter() - t0, 3)
        self.report["cases"].append(record)
        self.save()
        shown = " ".join(
            f"{k}={'FAIL' if v == 'fail' else _short(v)}"
            for k, v in record.items()
            if k not in ("group", "case", "where")
        )
        print(f"[{group}] {name}: {shown}", flush=True)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def environment() -> dict[str, Any]:
    """The interpreter, the libraries and the device the check ran on."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "jax": jax.__version__,
        "numpy": np.__version__,
        "backend": jax.default_backend(),
        "devices": [f"{d.platform}:{getattr(d, 'device_kind', '')}" for d in jax.devices()],
    }
    for module in ("jaxlib", "scipy", "ot", "flint", "divergences.wasserstein._ot_native"):
        try:
            env[module] = getattr(importlib.import_module(module), "__version__", "present")
        except ImportError as error:
            env[module] = f"absent ({error})"
    return env


def median_time(fn: Callable[[], Any], reps: int = 5) -> tuple[float, float]:
    """(the first call's seconds, compile included; the median of ``reps`` calls after it)."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - t0
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


#: The entries timed beside the fused read, by the names their cases carry.
MASS_ENTRIES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("kl", dv.kl),
    ("js_divergence", dv.js_divergence),
    ("total_variation", dv.total_variation),
)


def mass_pair(n: int, dtype: Any) -> tuple[Any, Any]:
    """Two pmfs of ``n`` independent ``U(0.5, 1.5)`` masses, normalised, drawn where JAX computes.

    KL about 0.088 and twice JS about 0.043, each above its fast sum's threshold (0.06 and 0.042,
    ``divergences._src.log_sums``): one pass each.
    """
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))

    @jax.jit
    def make(k1: Any, k2: Any) -> tuple[Any, Any]:
        p = jax.random.uniform(k1, (n,), dtype, 0.5, 1.5)
        q = jax.random.uniform(k2, (n,), dtype, 0.5, 1.5)
        return p / jnp.sum(p), q / jnp.sum(q)

    return jax.block_until_ready(make(k1, k2))


def masses(check: Check) -> None:
    """KL, JS and TV beside a fused read of the same two arrays, float32 then float64."""
    for dtype in (jnp.float32, jnp.float64):
        _masses_in(check, jnp.dtype(dtype))


def _masses_in(check: Check, dtype: Any) -> None:
    n = check.sizes.masses
    p, q = mass_pair(n, dtype)
    read = jax.jit(lambda p, q: jnp.sum(p * q))
    _, t_read = median_time(lambda: read(p, q))
    gigabytes = 2 * n * dtype.itemsize / 1e9
    check.case(
        "masses",
        f"fused read {dtype.name}",
        lambda: {"n": n, "s": t_read, "GB_per_s": gigabytes / t_read},
    )
    for label, entry in MASS_ENTRIES:
        jitted = jax.jit(entry)

        def run(entry: Any = entry, jitted: Any = jitted) -> dict[str, Any]:
            # The jitted call (x_read) and the plain one, which checks the masses (eager_x_read).
            _, t = median_time(lambda: jitted(p, q))
            _, t_eager = median_time(lambda: entry(p, q))
            # the read again beside them: a change of load between the two shows
            _, t_again = median_time(lambda: read(p, q))
            limit = min(t_read, t_again)
            return {
                "n": n,
                "s": t,
                "eager_s": t_eager,
                "read_s": limit,
                "x_read": t / limit,
                "eager_x_read": t_eager / limit,
                "value": float(jitted(p, q)),
            }

        check.case("masses", f"{label} {dtype.name}", run)


def subnormals(check: Check) -> None:
    """Whether the backend keeps results below the normal range, and a float-range entry."""

    def behaviour() -> dict[str, Any]:
        x = jnp.array([5e-320, 1e-160], jnp.float64)
        f = jnp.array([1e-40], jnp.float32)
        return {
            "float64_5e-320_times_2": float(jax.jit(lambda x: x[0] * 2)(x)),
            "float64_1e-160_squared": float(jax.jit(lambda x: x[1] * x[1])(x)),
            "float32_1e-40_times_2": float(jax.jit(lambda f: f[0] * 2)(f)),
        }

    check.case("subnormals", "backend behaviour", behaviour)

    def information(joint: list[list[float]]) -> dict[str, Any]:
        value = float(dv.mutual_information(jnp.asarray(joint, jnp.float64)))
        out: dict[str, Any] = {"value": value}
        try:
            import mpmath
        except ImportError:
            return out
        mpmath.mp.prec = 2200  # every float64 (down to 2^-1074) exactly beside 1, with room
        exact = exact_mutual_information(joint, mpmath)
        out["exact"] = float(exact)
        out["error"] = abs(value - float(exact))
        if exact != 0:
            out["relative_error"] = out["error"] / float(exact)
            out["accuracy"] = f"relative error at most {ULP64:.2g} (the harness's ulp_float64)"
            out["within"] = out["relative_error"] <= ULP64
        else:
            out["accuracy"] = "exactly 0"
            out["within"] = value == 0
        return out

    # independent rows (the value 0), a dependence carried by masses of 1e-163 alone, and the
    # joint whose value in bits an H100 gave as 1.2e-14 (2026-11-26; the truth is 2.7e-160)
    for joint in (
        [[0.5, 5e-163, 5e-163], [0.5, 5e-163, 5e-163]],
        [[0.5, 2e-163], [0.5, 8e-163]],
        [[0.5, 0.5, 5e-163], [5e-163, 5e-163, 5e-163]],
    ):
        check.case(
            "subnormals", f"mutual_information {joint}", lambda joint=joint: information(joint)
        )

    def gradient() -> dict[str, Any]:
        # the joint whose gradient that H100 gave as NaN in three entries
        joint = jnp.array([[1e-200, 0.0], [0.0, 1.0]])
        g = np.asarray(jax.grad(dv.mutual_information)(joint))
        slope = -math.log(1e-200)  # d/dJ_00 of sum J log(J / (R C)) - J + R C: log(J_00 / R_0 C_0)
        finite = bool(np.isfinite(g).all())
        return {
            "gradient": g.tolist(),
            "finite": finite,
            "accuracy": f"finite, the first entry log(1e200) within {ULP64:.2g} relative",
            "within": bool(finite and abs(g[0, 0] - slope) <= ULP64 * slope),
        }

    check.case("subnormals", "mutual_information gradient at a 1e-200 entry", gradient)


def exact_mutual_information(joint: list[list[float]], mpmath: Any) -> Any:
    """The mutual information of the joint, normalised in exact arithmetic, by ``mpmath``."""
    entries = [[mpmath.mpf(v) for v in row] for row in joint]
    total = mpmath.fsum(v for row in entries for v in row)
    entries = [[v / total for v in row] for row in entries]
    rows = [mpmath.fsum(row) for row in entries]
    cols = [mpmath.fsum(column) for column in zip(*entries, strict=True)]
    return mpmath.fsum(
        v * mpmath.log(v / (rows[i] * cols[j]))
        for i, row in enumerate(entries)
        for j, v in enumerate(row)
        if v > 0
    )


def _solve(n: int, method: str, dtype: Any, reps: int, **options: Any) -> dict[str, Any]:
    """``w1_primal`` under ``jit`` between two Gaussian clouds of ``n`` points in the plane."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(n, 2)).astype(dtype))
    y = jnp.asarray((rng.normal(size=(n, 2)) + 0.5).astype(dtype))
    f = jax.jit(lambda x, y: dv.w1_primal(x, y, method=method, **options))
    first, t = median_time(lambda: f(x, y), reps=reps)
    r = f(x, y)
    lo, hi = float(r.lower_bound), float(r.upper_bound)
    return {
        "n": n,
        "first_s": first,
        "s": t,
        "value": float(r.value),
        "relative_gap": (hi - lo) / float(r.value),
        "accuracy": "a certified gap below 1e-9 relative",
        "within": bool(0 <= (hi - lo) / float(r.value) < 1e-9),
    }


def wasserstein(check: Check) -> None:
    """W1: auto's exact answer, and the dense host solver under jit."""

    def example() -> dict[str, Any]:
        r = dv.w1_primal(jnp.array([[0.0, 0.0], [0.0, 1.0]]), jnp.array([[2.0, 0.0], [2.0, 1.0]]))
        plan = np.asarray(r.plan.todense())
        exactly_2 = float(r.value) == 2.0
        out = {"value": float(r.value), "exactly_2": exactly_2, "plan": plan.tolist()}
        out.update(accuracy="exactly 2", within=exactly_2)
        method = getattr(r, "method_name", None) or getattr(r, "method", None)
        if method is not None:
            out["method"] = str(method)
        return out

    check.case("w1", "w1_primal docstring example, auto", example)

    n_dense = check.sizes.dense
    check.case(
        "w1", f"dense under jit, n={n_dense}", lambda: _solve(n_dense, "dense", np.float64, 3)
    )
    check.case("w1", f"auto under jit, n={n_dense}", lambda: _solve(n_dense, "auto", np.float64, 3))


def sinkhorn(check: Check) -> None:
    """The certified Sinkhorn in the plane to a relative gap of 1e-3, float32 and float64."""
    n = check.sizes.sinkhorn
    for dtype in (np.float32, np.float64):
        check.case(
            "sinkhorn",
            f"certified {np.dtype(dtype).name}, n=m={n}, rtol=1e-3",
            lambda dtype=dtype: _solve(n, "sinkhorn", dtype, 2, rtol=1e-3),
        )


def timed_estimate(run: Callable[[], Any], limit: float) -> tuple[dict[str, Any], Any]:
    """``run``'s first call, its median time after it and that over ``limit``; and its result.

    Its :class:`~divergences.estimate.NoCoverageWarning` is let pass: an estimate is timed
    wherever its interval claims nothing (the ``--small`` sizes, a dimension past its rows).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
        first, t = median_time(run, reps=2)
        out = run()
    return {"first_s": first, "s": t, "x_limit": t / limit}, out


def estimates(check: Check) -> None:
    """The k-NN KL and the MMD test beside the blocked matrix products they need."""
    n, d, block = check.sizes.knn, 64, check.sizes.knn_block
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (rng.normal(size=(n, d)) + 0.1).astype(np.float32)
    X, Y = jnp.asarray(x), jnp.asarray(y)

    @jax.jit
    def nearest(X: Any, Y: Any) -> Any:
        """Every x's squared distance to its nearest y, by one blocked matrix product."""
        yy = jnp.sum(Y * Y, 1)

        def rows(xb: Any) -> Any:
            return jnp.min(jnp.sum(xb * xb, 1)[:, None] - 2 * xb @ Y.T + yy[None, :], 1)

        return jax.lax.map(rows, X[: (X.shape[0] // block) * block].reshape(-1, block, d))

    _, t_limit = median_time(lambda: nearest(X, Y), reps=3)
    check.case("estimates", f"blocked matmul nearest neighbour, {n} x {d}", lambda: {"s": t_limit})

    def knn() -> dict[str, Any]:
        # d = 64 is past where its interval is measured: timed all the same
        record, e = timed_estimate(lambda: dv.estimate.kl(X, Y), t_limit)
        return {
            **record,
            "value": float(e.value),
            "true": 0.5 * d * 0.01,
            "kind": e.kind,
            "searched_on": where_in(e.method, "searched on "),
        }

    check.case("estimates", f"estimate.kl, {n} x {d}", knn)

    def knn_agreement() -> dict[str, Any]:
        """The k-NN KL of the draws held by the device against the host's read of the same."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
            on, off = dv.estimate.kl(X, Y), dv.estimate.kl(x, y)
        worst = max(abs(u - v) / abs(v) for u, v in zip(on[:2], off[:2], strict=True) if v)
        return {"relative": worst, "searched_on": where_in(on.method, "searched on ")}

    check.case(
        "estimates", f"k-NN KL searched on the device against the host's, {n} x {d}", knn_agreement
    )

    m, rows = check.sizes.mmd, check.sizes.mmd_block
    Z = jnp.concatenate([X[:m], Y[:m]])
    labels = jnp.asarray(
        np.stack([rng.permutation(2 * m) < m for _ in range(201)], 1).astype(np.float32)
    )

    @jax.jit
    def kernel_sums(Z: Any, L: Any) -> Any:
        """The Gaussian kernel matrix times 201 label vectors, blocked over rows."""
        zz = jnp.sum(Z * Z, 1)

        def block_rows(zb: Any) -> Any:
            k = jnp.exp(-(jnp.sum(zb * zb, 1)[:, None] - 2 * zb @ Z.T + zz[None, :]) / (2.0 * d))
            return k @ L

        return jax.lax.map(block_rows, Z.reshape(-1, rows, d))

    _, t_sums = median_time(lambda: kernel_sums(Z, labels), reps=3)
    check.case("estimates", f"kernel blocks x 201 labels, {2 * m} x {d}", lambda: {"s": t_sums})

    def mmd() -> dict[str, Any]:
        first, t = median_time(
            lambda: dv.estimate.mmd_test(X[:m], Y[:m], permutations=200).p_value, reps=2
        )
        return {"first_s": first, "s": t, "x_limit": t / t_sums}

    check.case("estimates", f"estimate.mmd_test 200 permutations, {m} x {d}", mmd)


def where_in(method: str, words: str) -> str:
    """The device a result's ``method`` names after ``words`` (``"cuda:0"``), else ``"host"``."""
    found = re.search(re.escape(words) + r"([^,;(]+)", method)
    return found.group(1).strip() if found else "host"


def _covariance_products(*samples: np.ndarray) -> float:
    """The median seconds of every sample's ``X^T X`` in float64 (the conversion not timed)."""
    wide = [x.astype(np.float64) for x in samples]
    return median_time(lambda: [x.T @ x for x in wide], reps=3)[1]


def evaluation(check: Check) -> None:
    """FD, KID, the two comparisons and precision/recall on float32 features, beside their products.

    The features are N(0, I) against N(0.05, 1.21 I) (FD = 0.0125 d). FD's limit is the device's:
    both float64 products ``X^T X`` and ``Y^T Y`` and two eigh (:func:`_device_floor`); the
    host's products are recorded too. FD is given the draws on the device, where it reduces
    them (``reduced_on``, from its ``method``). The kernel measures and the k-NN balls run where JAX
    computes: their limit is the kernel blocks they sum (``(x.y/d + 1)^3``) or the distances they
    compare, each one matrix product at full float32 precision, jitted.
    """
    n, m, d = check.sizes.fd, check.sizes.kid, check.sizes.features
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, d), dtype=np.float32)
    y = rng.standard_normal((n, d), dtype=np.float32) * np.float32(1.1) + np.float32(0.05)
    t_products = _covariance_products(x, y)
    check.case(
        "evaluation", f"float64 X^T X and Y^T Y on the host, {n} x {d}", lambda: {"s": t_products}
    )
    t_floor = _device_floor(x, y)
    check.case(
        "evaluation",
        f"the device's float64 X^T X and Y^T Y and two eigh, {n} x {d}",
        lambda: {"s": t_floor, "device": str(jax.devices()[0])},
    )

    on_device = jax.device_put(x), jax.device_put(y)

    def fd() -> dict[str, Any]:
        record, e = timed_estimate(lambda: dv.estimate.frechet(*on_device), t_floor)
        return {
            **record,
            "reduced_on": where_in(e.method, "moments reduced on "),
            "x_host_products": record["s"] / t_products,
            "value": e.value,
            "plug_in": e.plug_in,
            "true": 0.0125 * d,
            "kind": e.kind,
        }

    check.case("evaluation", f"estimate.frechet, {n} x {d}", fd)

    def agreement() -> dict[str, Any]:
        """FD of the draws reduced on the device against the host's read of the same draws."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
            on, off = dv.estimate.frechet(*on_device), dv.estimate.frechet(x, y)
        scale = max(abs(v) for v in off[:3])  # the value and both ends; some may be 0
        worst = max(abs(u - v) for u, v in zip(on[:3], off[:3], strict=True)) / (scale or 1.0)
        return {"relative": worst, "reduced_on": where_in(on.method, "reduced on ")}

    check.case("evaluation", f"FD reduced on the device against the host's, {n} x {d}", agreement)
    r, a, b = x[:m], y[:m], y[m : 2 * m] * np.float32(0.9)  # b: N(0.045, 0.98 I)
    full = jax.lax.Precision.HIGHEST

    @jax.jit
    def blocks(*samples: Any) -> Any:
        """The sums of the cubic kernel's blocks of every pair of the samples, full float32."""
        total = 0.0
        for i, u in enumerate(samples):
            for v in samples[i:]:
                total += jnp.sum((jnp.matmul(u, v.T, precision=full) / d + 1.0) ** 3)
        return total

    R, A, B = jnp.asarray(r), jnp.asarray(a), jnp.asarray(b)
    _, t_two = median_time(lambda: blocks(R, A), reps=3)
    _, t_three = median_time(lambda: blocks(R, A, B), reps=3)
    check.case("evaluation", f"cubic kernel blocks of 2 samples, {m} x {d}", lambda: {"s": t_two})
    check.case("evaluation", f"cubic kernel blocks of 3 samples, {m} x {d}", lambda: {"s": t_three})

    def estimate(name: str, run: Callable[[], Any], limit: float) -> None:
        check.case("evaluation", f"{name}, {m} x {d}", lambda: timed_estimate(run, limit)[0])

    # the draws on the device, as features a model computed there: pooled and summed there
    estimate("estimate.kid", lambda: dv.estimate.kid(A, R).value, t_two)
    estimate(
        "estimate.kid_difference", lambda: dv.estimate.kid_difference(R, A, B).p_value, t_three
    )

    def kernel_agreement() -> dict[str, Any]:
        """KID of the draws held by the device against KID of the same draws read on the host."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
            on, off = dv.estimate.kid(A, R), dv.estimate.kid(a, r)
        scale = max(abs(v) for v in off[:3])
        worst = max(abs(u - v) for u, v in zip(on[:3], off[:3], strict=True)) / (scale or 1.0)
        return {"relative": worst, "summed_on": where_in(on.method, "summed on ")}

    check.case(
        "evaluation", f"KID pooled on the device against the host's, {m} x {d}", kernel_agreement
    )
    estimate(
        "estimate.frechet_difference",
        lambda: dv.estimate.frechet_difference(R, A, B).p_value,
        _covariance_products(r, a, b),
    )

    @jax.jit
    def distances(u: Any, v: Any) -> Any:
        """The squared distances the k-NN balls compare: real to real, generated to real."""
        uu, vv = jnp.sum(u * u, 1), jnp.sum(v * v, 1)
        within = uu[:, None] - 2 * jnp.matmul(u, u.T, precision=full) + uu[None, :]
        across = vv[:, None] - 2 * jnp.matmul(v, u.T, precision=full) + uu[None, :]
        others = jnp.where(jnp.eye(u.shape[0], dtype=bool), jnp.inf, within)
        return jnp.sum(jnp.min(others, 1)) + jnp.sum(jnp.min(across, 1))

    peers(check, x, y, r, a)
    _, t_distances = median_time(lambda: distances(R, A), reps=3)
    check.case("evaluation", f"k-NN distances, {m} x {d}", lambda: {"s": t_distances})
    estimate(
        "estimate.fidelity_diversity",
        lambda: dv.estimate.fidelity_diversity(real=r, generated=a).precision.value,
        t_distances,
    )


def _device_floor(x: np.ndarray, y: np.ndarray) -> float:
    """FD's floor where JAX computes: both samples' float64 ``X^T X`` and two ``d x d`` eigh.

    The trace of FD's square root needs one covariance's eigenvectors and the eigenvalues of
    the symmetric sandwich ``S_x^{1/2} S_y S_x^{1/2}``; the products are one pass over the draws.
    """
    X, Y = jax.device_put(x), jax.device_put(y)

    @jax.jit
    def floor(X: Any, Y: Any) -> Any:
        gx = jnp.matmul(X.T.astype(jnp.float64), X.astype(jnp.float64))
        gy = jnp.matmul(Y.T.astype(jnp.float64), Y.astype(jnp.float64))
        values, vectors = jnp.linalg.eigh(gx)
        return jnp.sum(values) + jnp.sum(vectors[0]) + jnp.sum(jnp.linalg.eigvalsh(gy))

    return median_time(lambda: floor(X, Y), reps=3)[1]


def peers(check: Check, x: np.ndarray, y: np.ndarray, r: np.ndarray, a: np.ndarray) -> None:
    """The peer's FID and KID (torchmetrics) on the same features, where it is installed.

    The features go in as they are (an identity feature extractor), in batches of 5000 rows, on
    the card torch sees. FID is the plug-in value, compared with ``estimate.frechet``'s plug-in;
    KID is torchmetrics' mean over 100 subsets of 1000 draws a side (its default), not the
    U-statistic over all pairs that ``estimate.kid`` computes.
    """

    def fid() -> dict[str, Any]:
        _, fid_metric, _ = _torchmetrics()
        value, first, t = _peer_time(lambda e, device: fid_metric(feature=e).to(device), x, y)
        ours = next(c for c in check.report["cases"] if c["case"].startswith("estimate.frechet,"))
        return {
            "torchmetrics": __import__("torchmetrics").__version__,
            "first_s": first,
            "s": t,
            "value": float(value),
            "ours_plug_in": ours.get("plug_in"),
            "ours_over_peer": ours["s"] / t if "s" in ours else math.inf,
        }

    check.case("evaluation", f"torchmetrics FID, {x.shape[0]} x {x.shape[1]} (peer)", fid)

    def kid() -> dict[str, Any]:
        _, _, kid_metric = _torchmetrics()
        size = min(1000, r.shape[0], a.shape[0])
        (mean, spread), first, t = _peer_time(
            lambda e, device: kid_metric(feature=e, subsets=100, subset_size=size).to(device), r, a
        )
        return {"first_s": first, "s": t, "value": float(mean), "spread": float(spread)}

    check.case("evaluation", f"torchmetrics KID, {r.shape[0]} x {r.shape[1]} (peer)", kid)


def _torchmetrics() -> tuple[Any, Any, Any]:
    """The module torch and the peer's FID and KID classes; :class:`Skipped` where not installed."""
    try:
        import torch
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance
    except ImportError as error:
        raise Skipped(f"torchmetrics not importable ({error})") from None
    return torch, FrechetInceptionDistance, KernelInceptionDistance


def _peer_time(make: Callable[[Any, str], Any], real: np.ndarray, fake: np.ndarray) -> Any:
    """A torchmetrics metric fed both samples in 5000-row batches: (its value, first s, median s)."""
    torch = _torchmetrics()[0]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    width = real.shape[1]

    class Identity(torch.nn.Module):
        num_features = width

        def forward(self, features: Any) -> Any:
            return features

    tr, tf = (torch.from_numpy(v).to(device) for v in (real, fake))

    def run() -> Any:
        metric = make(Identity(), device)
        for i in range(0, tr.shape[0], 5000):
            metric.update(tr[i : i + 5000], real=True)
        for i in range(0, tf.shape[0], 5000):
            metric.update(tf[i : i + 5000], real=False)
        out = metric.compute()
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    first, t = median_time(run, reps=2)
    return run(), first, t


def lines(check: Check) -> None:
    """The parallel lines over many thetas under vmap: JS = log 2 and TV = 1 apart."""
    count = check.sizes.thetas
    family = dv.families.parallel_lines()

    def run() -> dict[str, Any]:
        theta = jnp.linspace(-1.0, 1.0, count, dtype=jnp.float64)

        @jax.jit
        def curves(theta: Any) -> Any:
            def one(t: Any) -> Any:
                m = family.measures(t)
                return dv.js_divergence(m.p, m.q), dv.total_variation(m.p, m.q)

            return jax.vmap(one)(theta)

        first, t = median_time(lambda: curves(theta))
        js, tv = (np.asarray(a) for a in curves(theta))
        apart = np.asarray(theta) != 0
        return {
            "thetas": count,
            "first_s": first,
            "s": t,
            "max_js_error_ulps": float(
                np.max(np.abs(js[apart] - math.log(2))) / np.spacing(math.log(2))
            ),
            "js_above_log2": int(np.sum(js > math.log(2))),
            "max_tv_error": float(np.max(np.abs(tv[apart] - 1.0))),
            "accuracy": "JS within 4 ulp of log 2 and never above, TV within 2^-52 of 1",
            "within": bool(
                np.all(js <= math.log(2))
                and np.max(np.abs(js[apart] - math.log(2))) <= 4 * np.spacing(math.log(2))
                and np.max(np.abs(tv[apart] - 1.0)) <= 2**-52
            ),
        }

    check.case("lines", f"parallel lines under vmap, {count} thetas", run)


def quick_tier(out: Path, workers: int, limit: float) -> dict[str, Any]:
    """The tests not marked slow, on the device, within ``limit`` seconds; their counts."""
    junit = out / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "not slow",
        "-v",  # one line a test as it ends, so that a run cut short still says what ran
        "-p",
        "no:cacheprovider",
        "-p",
        "no:benchmark",  # a plugin some images carry, which warns under xdist
        f"--junitxml={junit}",
        "--durations=15",
    ]
    if workers > 1:
        command += ["-n", str(workers)]
    env = dict(
        os.environ,
        XLA_PYTHON_CLIENT_PREALLOCATE="false",
        MPLBACKEND="Agg",
        DIVERGENCES_LIVE_VIEW="0",
    )
    t0 = time.perf_counter()
    with open(out / "pytest.log", "w") as log:
        tests = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            rc: Any = tests.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            # an interrupt, as Ctrl-C: pytest stops, then writes its summary and the JUnit report
            tests.send_signal(signal.SIGINT)
            try:
                tests.wait(timeout=30)
            except subprocess.TimeoutExpired:
                tests.kill()
                tests.wait()
            rc = "timed out"
    result: dict[str, Any] = {"returncode": rc, "wall_s": round(time.perf_counter() - t0, 1)}
    if junit.exists():
        result.update(junit_counts(junit))
    return result


def junit_counts(path: Path) -> dict[str, Any]:
    """The counts of a JUnit XML report and the names of the tests that failed or erred."""
    root = ET.parse(path).getroot()
    counts: dict[str, Any] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.iter("testsuite"):
        for key in ("tests", "failures", "errors", "skipped"):
            counts[key] += int(suite.get(key, 0))
    counts["failed"] = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in root.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return counts


GROUPS = {
    "masses": masses,
    "subnormals": subnormals,
    "w1": wasserstein,
    "sinkhorn": sinkhorn,
    "estimates": estimates,
    "evaluation": evaluation,
    "lines": lines,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="sizes for a CPU try-out (seconds)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "device-check")
    parser.add_argument("--budget", type=float, default=330.0, help="seconds for the whole check")
    parser.add_argument(
        "--workers", type=int, default=8, help="pytest-xdist workers for the quick tier"
    )
    parser.add_argument("--no-tests", action="store_true", help="the benchmark alone")
    parser.add_argument("--groups", nargs="*", choices=list(GROUPS), default=list(GROUPS))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    check = Check(args.out / "device_check.json", args.small)
    print(json.dumps(check.report["env"]), flush=True)
    for group in args.groups:
        GROUPS[group](check)
    if not args.no_tests:
        left = args.budget - (time.perf_counter() - check.started)
        if left < 30:
            check.report["tests"] = {"status": "skipped", "why": f"{left:.0f} s of the budget left"}
        else:
            check.report["tests"] = quick_tier(args.out, args.workers, left)
        check.save()
        print(
            "tests:",
            json.dumps({k: v for k, v in check.report["tests"].items() if k != "failed"}),
            flush=True,
        )
    failed = [c["case"] for c in check.report["cases"] if c["status"] == "fail"]
    print(
        f"done in {check.report['elapsed_s']} s; cases failed: {failed or 'none'} -> {check.path}",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
