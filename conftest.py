"""Test-session set-up shared by tests/ and the doctests in divergences/.

* float64: x64 is switched on here, for the test process only (the library never touches JAX's
  configuration);
* the Hypothesis profile, ``HYPOTHESIS_PROFILE`` (``ci`` by default: see
  :mod:`divergences.testing.profiles`), for tests/ and the doctests alike;
* a persistent compilation cache, ``build/jax-cache``, shared by the pytest-xdist workers, the
  subprocesses of the tests and the next run (``JAX_COMPILATION_CACHE_DIR`` set by the caller
  wins; empty keeps nothing) of the programs that take 0.3 s or more to compile (writing every
  small program too cost more than it saved: benchmarks/history-to-2026-11-25.md, "Two tiers"). Compilation is
  most of the suite's time.

XLA compiles as it does for a user: the session sets no ``XLA_FLAGS`` of its own.

* ``--subnormals=keep`` runs every test with JAX's float arithmetic in NumPy, which keeps
  subnormal numbers as a GPU does, where XLA's CPU flushes them
  (:mod:`divergences.testing.gradual_underflow`): the float-range tests are run both ways;
* a worker's compiled programs are let go (``jax.clear_caches``) once its memory mappings pass a
  quarter of the kernel's limit (``vm.max_map_count``, 65,530 by default on Linux): every program
  XLA compiles for the CPU keeps mappings of its own, and a pytest-xdist worker of the slow tier
  compiles thousands; at the limit, XLA's next compilation aborts the process (seen in CI as
  crashed workers at 99 % of the slow tier).

* the session's measure, printed at its end: the test-seconds (every test's set-up, call and
  tear-down, summed over the workers: what ``--durations`` lists), the CPU-seconds of the
  processes that ran them and the wall time, beside the load average at the start and at the end
  (a loaded machine stretches the wall time and the test-seconds; the CPU-seconds much less).

* the cyclic garbage collector is off from this file's import to the end of collection, which
  then freezes the objects it made (:func:`gc.freeze`), so that no later collection scans them;

pytest-xdist's controller runs no test: it imports neither JAX nor the harness (1.5 to 2 s before
the workers start, on one core), and a worker ends at once when its last report has reached the
controller (``os._exit``): letting the interpreter free thousands of compiled programs took 4 to 5
s of the quick tier's wall time (benchmarks/README.md, "The test session").
"""

import gc
import os
import pathlib
import sys
import time
from collections.abc import Iterator

# Through the environment, before JAX starts, so that the workers and subprocesses inherit it.
_CACHE = pathlib.Path(__file__).resolve().parent / "build" / "jax-cache"
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(_CACHE))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
# One BLAS thread a worker: the workers already take every core, and OpenBLAS's threads on the
# host's small matrices made FD's 64 x 64 eigendecompositions 10 times slower (0.88 s a call in
# d = 64 at n = 1000 against 0.069 s with one thread, 2026-11-27; the slow tier 51 minutes).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Off until the tests are collected (pytest_collection below): the imports and the collection make
# millions of objects that live for the whole session, and each full collection scanned them all.
gc.disable()
import pytest  # noqa: E402
from _pytest.doctest import DoctestItem  # noqa: E402


def _runs_tests(config: pytest.Config) -> bool:
    """False for pytest-xdist's controller, which hands the tests to its workers."""
    if hasattr(config, "workerinput"):
        return True
    return getattr(config.option, "dist", "no") == "no" or bool(config.option.collectonly)


def pytest_configure(config: pytest.Config) -> None:
    """float64 and the Hypothesis profile, in the processes that collect and run the tests."""
    if not _runs_tests(config):
        return
    import jax  # after the environment above: JAX reads it when it starts

    from divergences.testing import load_profile

    jax.config.update("jax_enable_x64", True)
    load_profile()


#: The docstrings' examples that train networks (the critics and the training lab): a few
#: seconds to half a minute each, compiling the training steps; and the subnormal emulation's,
#: which evaluates every operation in NumPy (seconds). Run by the slow tier.
_SLOW_DOCTESTS = (
    "divergences.lab.critics.",
    "divergences.lab.training.",
    "divergences.testing.gradual_underflow",
)
#: The docstrings' examples whose programs took over the quick tier's second to compile from a
#: cold compile cache (1.0 to 2.7 s, 2026-11-28): run by the slow tier.
_SLOW_DOCTEST_NAMES = frozenset(
    {
        "divergences._src.f_divergence",
        "divergences.estimate._src.kernel.kid.kid",
        "divergences.estimate._src.comparison.frechet_difference.frechet_difference",
        "divergences.estimate._src.comparison.kid_difference.kid_difference",
        "divergences.estimate._src.kernel.mmd.mmd_squared",
        "divergences.lab.figures.divergence_curves.sweep",
    }
)


#: The slow tests that CI leaves to ``make test-long`` (``.ci/long_tests.py`` writes the list from
#: a measured run): marked ``long`` at collection.
_LONG = frozenset(
    line
    for line in (pathlib.Path(__file__).parent / "tests" / "long_tests.txt")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the doctests named above ``slow``, then the slow tests of ``_LONG`` ``long``."""
    for item in items:
        if isinstance(item, DoctestItem) and (
            item.name.startswith(_SLOW_DOCTESTS) or item.name in _SLOW_DOCTEST_NAMES
        ):
            item.add_marker(pytest.mark.slow)
        if item.nodeid in _LONG and item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.long)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """Collects with the cyclic garbage collector off, then freezes what exists and turns it on.

    Frozen objects (the modules, the test items, their parameters) are never scanned again; the
    tests' own garbage is collected as usual. One worker's collection of the quick tier took 6.2 s
    with the collector on (3.6 s of it rewriting the tests' assertions) and 3.4 s with it off,
    and the quick tier's wall time went from 55 to 47 s (benchmarks/README.md, "The test session").
    """
    gc.disable()  # again: another conftest or plugin may have turned it on
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--subnormals``: the float arithmetic the tests run under; ``--quick-limit``: the budget."""
    parser.addoption(
        "--quick-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fail the session when a test not marked slow spends more than SECONDS in its "
        "setup, call or teardown (pytest's own durations; make test sets it)",
    )
    parser.addoption(
        "--subnormals",
        choices=("flush", "keep"),
        default="flush",
        help="flush: XLA's CPU arithmetic (subnormals read and written as 0); keep: float "
        "arithmetic evaluated by NumPy with gradual underflow, as on a GPU (slow: float-range "
        "tests only)",
    )


@pytest.fixture(autouse=True)
def _subnormal_behaviour(request: pytest.FixtureRequest) -> Iterator[None]:
    """Runs the test under the behaviour that ``--subnormals`` names."""
    if request.config.getoption("--subnormals") == "keep":
        from divergences.testing.gradual_underflow import keep_subnormals

        with keep_subnormals():
            yield
    else:
        yield


def _map_limit() -> int | None:
    """The kernel's limit on a process's memory mappings, or ``None`` where it cannot be read."""
    try:
        with open("/proc/sys/vm/max_map_count", encoding="ascii") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def _mappings() -> int:
    with open("/proc/self/maps", "rb") as fh:
        return fh.read().count(b"\n")


_MAP_LIMIT = _map_limit()
#: Checked every this many tests: reading the maps costs about a millisecond per thousand.
_MAP_CHECK_EVERY = 25
_tests_run = 0


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Lets go of the compiled programs when the process nears its mappings' limit (see above)."""
    global _tests_run
    _tests_run += 1
    if _MAP_LIMIT is None or _tests_run % _MAP_CHECK_EVERY:
        return
    if _mappings() > _MAP_LIMIT // 4:
        import jax

        jax.clear_caches()
        gc.collect()


# ------------------------------------------------------------------------- the quick tier's budget
#: ``--quick-limit``, read when the session starts (None: no limit).
_quick_limit: float | None = None
#: The phases of quick tests (not marked slow) that took longer than ``--quick-limit``: (seconds,
#: phase, test id), kept by the process that receives the reports (pytest-xdist's controller).
_OVER_LIMIT: list[tuple[float, str, str]] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """Reads ``--quick-limit`` (the controller's and the workers' own copies)."""
    global _quick_limit
    _quick_limit = session.config.getoption("--quick-limit")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keeps each phase of a quick test that ran past ``--quick-limit`` (none where it is unset)."""
    if (
        _quick_limit is not None
        and report.duration > _quick_limit
        and "slow" not in report.keywords
    ):
        _OVER_LIMIT.append((report.duration, report.when, report.nodeid))


# ------------------------------------------------------------------------- the session's measure
def _load() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (AttributeError, OSError):  # not on every platform
        return None


_START_WALL, _START_LOAD = time.perf_counter(), _load()
_WORKER_CPU: list[float] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its CPU-seconds to the controller; a quick test past its limit fails the run.

    The CPU-seconds are the whole process's. The limit is ``--quick-limit``: a quick test that ran
    past it fails the session whatever its own verdict (the reports reach the controller).
    """
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["cpu_seconds"] = time.process_time()
    elif _OVER_LIMIT and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """The controller keeps each worker's CPU-seconds (a pytest-xdist hook)."""
    cpu = getattr(node, "workeroutput", {}).get("cpu_seconds")
    if cpu is not None:
        _WORKER_CPU.append(cpu)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: test-seconds, CPU-seconds and wall time of the session, beside the load."""
    reports = [r for rs in terminalreporter.stats.values() for r in rs if hasattr(r, "when")]
    tests = sum(1 for r in reports if r.when == "call" or (r.when == "setup" and r.skipped))
    if not tests:  # --collect-only, or nothing selected
        return
    test_seconds = sum(getattr(r, "duration", 0.0) for r in reports)  # a failed collection has none
    workers = len(_WORKER_CPU)
    # The controller's own time counts too (collection, and the whole run without workers).
    cpu = time.process_time() + sum(_WORKER_CPU)
    wall = time.perf_counter() - _START_WALL
    start, end = _START_LOAD, _load()
    load = (
        ""
        if start is None or end is None
        else f"; load average {start[0]:.1f} at the start, {end[0]:.1f} / {end[1]:.1f} / "
        f"{end[2]:.1f} (1 / 5 / 15 min) at the end, {os.cpu_count()} CPUs"
    )
    processes = f"{workers} workers" if workers else "1 process"
    terminalreporter.write_line(
        f"test session: {tests} tests, {test_seconds:.0f} test-s, {cpu:.0f} CPU-s "
        f"({processes}), {wall:.0f} s wall{load}"
    )
    if _OVER_LIMIT:
        terminalreporter.write_line(
            f"FAILED: quick tests past --quick-limit {_quick_limit:g} s in "
            f"{len(_OVER_LIMIT)} phase(s) (make the test cheaper, or mark it slow with the reason):",
            red=True,
        )
        for seconds, when, nodeid in sorted(_OVER_LIMIT, reverse=True):
            terminalreporter.write_line(f"  {seconds:.2f}s {when} {nodeid}")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A pytest-xdist worker ends here: its reports and its CPU-seconds are with the controller."""
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
