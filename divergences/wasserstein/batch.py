r"""Many W1 problems at once, on any :class:`concurrent.futures.Executor`.

:func:`w1_batch` solves a list of pairs of measures and :func:`w1_pairwise` the matrix of W1
between every two measures of a list, each problem by :func:`~divergences.w1_primal` on the
host, eagerly, in float64 where its input is float64. The problems are independent, so they are
handed to an executor: local processes by default, or any object with ``submit`` that returns
futures - a Dask ``distributed.Client(...).get_executor()`` (or Ray's executor) to run them on a
cluster. The longest problems (most pairs of points) are submitted first, so that the last one
to start is a short one. A problem that fails (invalid input, a solver stopped short) is
reported with its index; the others are kept.

Without an executor, a small batch (``INLINE_SIZE``) is solved in the calling process, one
problem after the other: it ends before spawned workers would have started. A larger one goes to
a pool of spawned processes, which re-run the top level of the script that started them; a
script that calls :func:`w1_batch` there, outside ``if __name__ == "__main__":``, is refused
with a message saying so, before any process starts.

Each result carries the certified interval of its solve and the method that made it; the plans
and potentials are not sent back (a plan can be as large as its problem): call
:func:`~divergences.w1_primal` for those.
"""

from __future__ import annotations

import ast
import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

import jax
import numpy as np

from divergences._src.interval import interval_contains
from divergences.wasserstein._src.problem import (
    METHODS,
    SolverOptions,
    check_known,
    check_method,
    choose,
    method_options,
    takes,
)
from divergences.wasserstein.cost import Metric
from divergences.wasserstein.primal import w1_primal

__all__ = ["BatchError", "W1Batch", "w1_batch", "w1_pairwise"]

#: The largest batch, in total problem size (the sum over its problems of ``n m``: points times
#: points), that ``executor=None`` solves in the calling process rather than in spawned
#: workers. A worker's start (a new process importing JAX) costs about a second on an idle
#: machine, and a pool of two pays only where the loop takes more than two starts; below this
#: size it takes less (benchmarks/README.md, "Many problems at once").
INLINE_SIZE = 2_000_000

_GUARD = 'if __name__ == "__main__":'


class W1Batch(NamedTuple):
    """The results of :func:`w1_batch` or :func:`w1_pairwise`.

    Attributes:
      value: W1 of each problem, a float64 NumPy array (shape ``(k,)`` for :func:`w1_batch`,
        ``(k, k)`` for :func:`w1_pairwise`); NaN where the problem failed.
      lower_bound: the certified lower bound of each problem, true in real arithmetic; NaN
        where it failed.
      upper_bound: likewise the certified upper bound.
      errors: the exception each failed problem raised, by its index (an ``int`` for
        :func:`w1_batch`, a pair ``(i, j)`` with ``i < j`` for :func:`w1_pairwise`); empty
        when every problem was solved.
      method: the method that solved each problem (:attr:`W1Primal.method
        <divergences.W1Primal.method>`), a NumPy array of ``str`` of the shape of ``value``:
        ``"dense"``, ``"sparse"``, ``"line"`` (``method="auto"``: an exact one on every
        backend) or the method asked for; ``""`` where no solve made the number (a failed
        problem, the diagonal of :func:`w1_pairwise`).
    """

    value: np.ndarray
    lower_bound: np.ndarray
    upper_bound: np.ndarray
    errors: dict[Any, BaseException]
    method: np.ndarray

    def contains(self, x: Any) -> np.ndarray:
        """Whether ``x`` lies in each problem's ``[lower_bound, upper_bound]`` (False where NaN)."""
        return interval_contains(self.lower_bound, self.upper_bound, x)


class BatchError(ExceptionGroup):
    """Some problems of a batch failed: the exceptions, each noted with its problem's index.

    ``.result`` is the :class:`W1Batch` with the problems that were solved (NaN elsewhere),
    so that one failure costs nothing of the rest.
    """

    result: W1Batch

    def derive(self, excs: Sequence[Exception]) -> BatchError:  # type: ignore[override]
        """The group narrowed to ``excs`` (by ``except*`` or ``split``), keeping ``.result``."""
        derived = BatchError(self.message, excs)
        derived.result = self.result
        return derived


def _solve(problem: tuple[Any, ...], options: dict[str, Any]) -> tuple[float, float, float, str]:
    """One problem's value, bounds and method, in the worker: float64 where the input is."""
    x, y, a, b = problem
    wide = any(np.asarray(t).dtype == np.float64 for t in (x, y, a, b) if t is not None)
    with jax.enable_x64(wide):
        sol = w1_primal(x, y, a, b, **options)
        return float(sol.value), float(sol.lower_bound), float(sol.upper_bound), str(sol.method)


def _as_array(t: Any, name: str) -> np.ndarray:
    """A concrete array for pickling to a worker, or a ValueError naming ``name``."""
    if isinstance(t, jax.core.Tracer):
        raise ValueError(f"{name} must be concrete: a batch runs on the host, outside a trace")
    arr = np.asarray(t)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be an array of numbers; got dtype {arr.dtype}")
    return arr


def _as_measure(item: Any, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``points`` or ``(points, weights)`` as arrays; ValueError naming ``name`` otherwise."""
    if isinstance(item, tuple):
        if len(item) != 2:
            raise ValueError(
                f"{name} must be points or a pair (points, weights); got {len(item)} items"
            )
        points, weights = item
        return _as_array(points, f"{name}[0]"), (
            None if weights is None else _as_array(weights, f"{name}[1]")
        )
    return _as_array(item, name), None


def _as_pair(item: Any, name: str) -> tuple[Any, ...]:
    """``(x, y)`` or ``(x, y, a, b)`` as arrays; ValueError naming ``name`` otherwise."""
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 4):
        raise ValueError(
            f"{name} must be a tuple (x, y) or (x, y, a, b); got {type(item).__name__}"
        )
    x, y, *w = item
    a, b = w if w else (None, None)
    return (
        _as_array(x, f"{name}[0]"),
        _as_array(y, f"{name}[1]"),
        None if a is None else _as_array(a, f"{name}[2]"),
        None if b is None else _as_array(b, f"{name}[3]"),
    )


def _check_call(on_error: Any, progress: Any, executor: Any) -> None:
    if on_error not in ("raise", "keep"):
        raise ValueError(f"on_error must be 'raise' or 'keep'; got {on_error!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable or None; got {type(progress).__name__}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ValueError(
            "executor must be a concurrent.futures.Executor (an object with submit(), such as "
            f"a Dask client's get_executor()) or None; got {type(executor).__name__}"
        )


class _InProcess:
    """An executor that runs each task in the calling process as it is submitted."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as err:  # the problem's own failure, kept as the pool would keep it
            fut.set_exception(err)
        return fut

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to release."""


def _is_main_test(test: ast.expr) -> bool:
    """Whether ``test`` is ``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, *test.comparators]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    texts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return isinstance(test.ops[0], ast.Eq) and names == {"__name__"} and texts == {"__main__"}


def _unguarded_call() -> tuple[str, int] | None:
    """The script and line where the running script's top level calls in, outside the guard.

    ``None`` where there is no script (an interactive session, a notebook, ``python -c``), where
    the call comes from inside ``if __name__ == "__main__":``, or where the source cannot be read.
    """
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and not (
        frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
    ):
        frame = frame.f_back
    if frame is None or not isinstance(path, str):
        return None
    try:
        if not Path(frame.f_code.co_filename).samefile(path):
            return None  # code run by exec, not the script's own
        tree = ast.parse(Path(path).read_text(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    guarded = any(
        isinstance(node, ast.If)
        and _is_main_test(node.test)
        and node.lineno <= line <= (node.end_lineno or node.lineno)
        for node in tree.body
    )
    return None if guarded else (path, line)


def _spawned_pool(max_workers: int | None, name: str) -> ProcessPoolExecutor:
    """The default pool: spawned processes, refused where they would re-run the caller."""
    unguarded = _unguarded_call()
    if unguarded is not None:
        path, line = unguarded
        raise RuntimeError(
            f"{name} is called at the top level of the script {path} (line {line}), outside "
            f"`{_GUARD}`: its default executor spawns worker processes, and each re-runs the "
            f"script's top level, calling {name} again. Put the script's work under `{_GUARD}`, "
            "or pass an executor (executor=concurrent.futures.ThreadPoolExecutor() needs no "
            "guard)."
        )
    # Spawned, not forked: a forked child of a process running JAX's threads can hang.
    return ProcessPoolExecutor(
        max_workers=max_workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
    )


def _size(problem: tuple[Any, ...]) -> int:
    return int(problem[0].shape[0] * problem[1].shape[0])


def _run(
    problems: dict[Any, tuple[Any, ...]],
    options: dict[str, Any],
    executor: Executor | _InProcess | None,
    max_workers: int | None,
    progress: Callable[[int], Any] | None,
    name: str,
) -> dict[Any, tuple[float, float, float, str] | BaseException]:
    """Every problem solved on the executor, longest first; a failure kept as its exception."""
    order = sorted(problems, key=lambda k: -_size(problems[k]))
    own = executor is None
    if own:
        small = sum(map(_size, problems.values())) <= INLINE_SIZE
        executor = _InProcess() if small else _spawned_pool(max_workers, name)
    assert executor is not None
    try:
        futures: dict[Future[Any], Any] = {
            executor.submit(_solve, problems[k], options): k for k in order
        }
        out: dict[Any, tuple[float, float, float, str] | BaseException] = {}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when="FIRST_COMPLETED")
            for fut in done:
                key = futures[fut]
                try:
                    out[key] = fut.result()
                except BrokenProcessPool as err:  # the worker died, not the problem
                    err.add_note(
                        "a worker process of the pool ended abruptly: out of memory, a crash, or "
                        f"a script whose top level calls {name} outside `{_GUARD}`"
                    )
                    out[key] = err
                except Exception as err:  # the problem's own failure: kept with its index
                    out[key] = err
                if progress is not None:
                    progress(1)
        return out
    finally:
        if own:
            executor.shutdown(wait=True)


def _finish(result: W1Batch, errors: dict[Any, BaseException], on_error: str, what: str) -> W1Batch:
    if errors and on_error == "raise":
        excs = []
        for key, err in errors.items():
            if isinstance(err, Exception):
                err.add_note(f"in {what} {key}")
                excs.append(err)
        group = BatchError(
            f"{len(errors)} of the problems failed (on_error='keep' returns the rest)", excs
        )
        group.result = result
        raise group
    return result


def _options(
    metric: Metric,
    method: str,
    options: Any,
    keywords: dict[str, Any],
    problems: dict[Any, tuple[Any, ...]],
    name: str,
    what: str,
) -> dict[str, Any]:
    """The keywords of every problem's ``w1_primal``, checked for every problem before any runs.

    One thread per problem by default (the executor's workers are the parallelism), where the
    method takes ``threads``. A caller's option mistake (a keyword the method does not take,
    ``None`` included, or a value it refuses) is a ``ValueError`` raised here, noted with the
    first problem it hits: under ``"auto"``, whose method depends on each problem's size, by the
    method each problem would get. A problem whose points the method cannot take is left to
    fail on its own, as a failure of that problem.
    """
    check_known(keywords, name)
    given = dict(keywords)
    if options is not None:
        if "threads" in getattr(options, "_fields", ()) and options.threads is None:
            options = options._replace(threads=1)
    elif given.get("threads") is None and takes(method, "threads"):
        given["threads"] = 1
    check_method(method, dual=False)
    for key, (x, y, *_) in problems.items():
        n, m = (np.shape(t)[0] if np.ndim(t) else 0 for t in (x, y))
        d = np.shape(x)[1] if np.ndim(x) == 2 else 1
        try:
            chosen, why = choose(method, metric, n, m, d, dual=False)
        except ValueError:
            continue  # the method cannot take this problem's points: that problem's failure
        entry = METHODS[chosen]
        try:
            entry.options(n, m, method_options(entry, options, given, why))
        except ValueError as err:
            err.add_note(f"in {what} {key}")
            raise
    return {"metric": metric, "method": method, "options": options, **given}


def w1_batch(
    pairs: Sequence[Any],
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    options: SolverOptions | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
    on_error: str = "raise",
    **keywords: Any,
) -> W1Batch:
    r"""W1 of every pair in a list, on an executor: the values and their certified intervals.

    Runs on the host, not under ``jit`` (``jax.vmap`` over :func:`~divergences.w1_primal` is the
    compiled batch). Each pair is solved by :func:`~divergences.w1_primal`, in float64 where
    its arrays are, whatever the worker's JAX configuration; the largest pairs go first.

    Args:
      pairs: a sequence of ``(x, y)`` (uniform weights) or ``(x, y, a, b)``.
      metric: the ground cost of every pair.
      method: the W1 method of every pair (``"auto"``: an exact one per pair, on any backend).
      options: the method's record, as for :func:`~divergences.w1_primal` (``threads``: 1).
      executor: any :class:`concurrent.futures.Executor`, e.g. a Dask
        ``Client(cluster).get_executor()``; ``None``: a batch of total size (the sum of the
        pairs' ``n m``) at most ``batch.INLINE_SIZE`` (2e6) in this process, a larger one on
        ``max_workers`` spawned local processes (a script then needs the
        ``if __name__ == "__main__":`` guard), shut down on return.
      max_workers: the size of that local pool; ``None``: the CPUs.
      progress: called with ``1`` as each problem ends, e.g. ``tqdm(total=len(pairs)).update``.
      on_error: ``"raise"``: once all have run, raise :class:`BatchError` if any failed (its
        ``.result`` keeps the others); ``"keep"``: return them, failures in ``errors``.
      **keywords: its fields instead; ``"auto"``: each problem's method must take them.

    Returns:
      A :class:`W1Batch` of shape ``(len(pairs),)``.

    Raises:
      ValueError: for a malformed pair or option, naming it, before any problem runs.
      BatchError: with ``on_error="raise"``, each failure noted with its index.
      RuntimeError: where the local pool would start from the top level of a script outside
        ``if __name__ == "__main__":`` (its workers would re-run it), before any problem runs.

    Example:
      >>> import numpy as np
      >>> from concurrent.futures import ThreadPoolExecutor
      >>> x = np.array([[0.0, 0.0], [1.0, 0.0]])
      >>> with ThreadPoolExecutor(2) as pool:
      ...     out = w1_batch([(x, x + 1.0), (x, x)], executor=pool)
      >>> out.value.round(6).tolist(), out.method.tolist()
      ([1.414214, 0.0], ['dense', 'dense'])
    """
    _check_call(on_error, progress, executor)
    problems = {i: _as_pair(p, f"pairs[{i}]") for i, p in enumerate(pairs)}
    solve = _options(metric, method, options, keywords, problems, "w1_batch", "pairs")
    out = _run(problems, solve, executor, max_workers, progress, "w1_batch")
    k = len(problems)
    value, lower, upper = (np.full(k, np.nan) for _ in range(3))
    methods = np.full(k, "", dtype=object)
    errors: dict[Any, BaseException] = {}
    for i, got in out.items():
        if isinstance(got, BaseException):
            errors[i] = got
        else:
            value[i], lower[i], upper[i], methods[i] = got
    result = W1Batch(value, lower, upper, dict(sorted(errors.items())), methods.astype(str))
    return _finish(result, errors, on_error, "pairs")


def w1_pairwise(
    measures: Sequence[Any],
    *,
    metric: Metric = "euclidean",
    method: str = "auto",
    options: SolverOptions | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
    on_error: str = "raise",
    **keywords: Any,
) -> W1Batch:
    r"""The matrix of W1 between every two measures of a list, on an executor.

    Runs on the host, not under ``jit``. W1 is a metric, so only the ``k (k - 1) / 2`` pairs
    ``i < j`` are solved: the matrix is symmetric with an exact zero diagonal,
    :math:`W_1(\mu_i, \mu_i) = 0`. Each problem as in :func:`w1_batch`.

    Args:
      measures: a sequence of measures, each ``points`` (uniform weights) or
        ``(points, weights)``.
      metric: the ground cost.
      method: the W1 method of every pair.
      options: the method's options record, as in :func:`w1_batch`.
      executor: where the problems run (see :func:`w1_batch`); ``None``: this process for a
        small batch, local processes for a larger one.
      max_workers: the size of the local pool; ``None``: the CPUs.
      progress: called with ``1`` as each pair finishes.
      on_error: ``"raise"`` or ``"keep"``, as in :func:`w1_batch`; the index of a failed
        problem is the pair ``(i, j)``, ``i < j``.
      **keywords: the method's options by name instead, as in :func:`w1_batch`.

    Returns:
      A :class:`W1Batch` of shape ``(k, k)``.

    Raises:
      ValueError: for a malformed measure or option, naming it, before any problem runs.
      BatchError: with ``on_error="raise"``, for the pairs that failed.
      RuntimeError: as in :func:`w1_batch`, for a script without the main guard.

    Example:
      >>> from concurrent.futures import ThreadPoolExecutor
      >>> with ThreadPoolExecutor(2) as pool:
      ...     out = w1_pairwise([[0.0], [1.0], [3.0]], executor=pool)
      >>> out.value.tolist()
      [[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]]
    """
    _check_call(on_error, progress, executor)
    given = [_as_measure(m, f"measures[{i}]") for i, m in enumerate(measures)]
    k = len(given)
    problems = {
        (i, j): (given[i][0], given[j][0], given[i][1], given[j][1])
        for i in range(k)
        for j in range(i + 1, k)
    }
    solve = _options(metric, method, options, keywords, problems, "w1_pairwise", "pair")
    out = _run(problems, solve, executor, max_workers, progress, "w1_pairwise")
    value, lower, upper = (np.zeros((k, k)) for _ in range(3))
    methods = np.full((k, k), "", dtype=object)
    errors: dict[Any, BaseException] = {}
    for (i, j), got in out.items():
        if isinstance(got, BaseException):
            errors[i, j] = got
            got = (math.nan, math.nan, math.nan, "")
        for arr, v in zip((value, lower, upper, methods), got, strict=True):
            arr[i, j] = arr[j, i] = v
    result = W1Batch(value, lower, upper, dict(sorted(errors.items())), methods.astype(str))
    return _finish(result, errors, on_error, "pair")
