"""Test-session set-up shared by tests/, proofs/ and the doctests in divergences/.

Verification runs in float64: x64 is switched on here, for the test process only. The library
itself never touches JAX's global configuration.
"""

import os
import pathlib


def _compile_quickly() -> None:
    """Compiles the session's programs with LLVM's optimisation off, unless ``XLA_FLAGS`` says.

    Compilation is most of the suite's time: thousands of programs, each run a few times. XLA
    still optimises every program as a user's (its HLO passes and fusions are the same); only the
    machine code that LLVM makes of it is left unoptimised, which halves the compile time of a
    training step and costs little in running the test-sized problems (the suite: 525 s against
    631 s of pytest on two idle cores). The last bits of a result may differ from the default
    code's, as they do on another CPU; the tests hold on any (``make stress`` runs the random
    and training tests with the default level, ``--xla_backend_optimization_level=3``, under
    other instruction sets, and CI's ``make wheel-check`` runs ``divergences verify`` with
    XLA's defaults). The flag reaches the subprocesses the tests start (the command line)
    through the environment; the notebooks' kernels run with the flags as given (mostly training,
    which LLVM's optimisation makes 2.4 times faster: tests/test_notebooks.py). Set before JAX
    starts its CPU backend.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["DIVERGENCES_GIVEN_XLA_FLAGS"] = flags  # what the notebooks' kernels run with
    if "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_backend_optimization_level=0".strip()


_compile_quickly()

import jax  # noqa: E402  (after the flags above: XLA reads them when its backend starts)
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)


def _keep_compilations() -> None:
    """Keeps every XLA executable the session compiles in ``build/jax-cache``.

    Most of the suite's time is compilation (a kernel's first call at a new shape compiles for
    0.1 to 0.3 s), much of it of programs compiled before: the same kernel at the same shape in
    the other pytest-xdist worker, jitted again through a new closure, in the subprocesses a
    test starts (the notebooks' kernels, ``divergences verify``), and in the last run of the
    edit loop. JAX's persistent cache keys an executable by its program, the compile options,
    the JAX version and ``XLA_FLAGS``, so a kept one is reused exactly where a fresh compile
    would give the same executable. The workers share the folder; JAX writes an entry in place,
    so a worker may read one the other is still writing: JAX then warns and compiles afresh (the
    warning is let through in pyproject.toml's ``filterwarnings``). ``JAX_COMPILATION_CACHE_DIR``
    set by the caller wins; set to an empty string, nothing is kept.
    """
    folder = pathlib.Path(__file__).resolve().parent / "build" / "jax-cache"
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(folder))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    if not os.environ["JAX_COMPILATION_CACHE_DIR"]:
        return
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update(
        "jax_persistent_cache_min_compile_time_secs",
        float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]),
    )
    jax.config.update(
        "jax_persistent_cache_min_entry_size_bytes",
        int(os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"]),
    )


_keep_compilations()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the slow tests first and the docs build last.

    pytest-xdist (``-n 2``, ``--dist load``) hands the tests out in this order: a long test
    started last would leave the other worker idle until it ends, while the short ones balance
    the workers wherever they come. The docs build goes last because it shows what the session
    has already run (the proof steps, the notebooks and their training runs) instead of running
    it again. The order is otherwise the collection's (the sort is stable).
    """

    def rank(item: pytest.Item) -> int:
        if item.nodeid.startswith("tests/test_docs.py::"):
            return 2
        return 0 if item.get_closest_marker("slow") else 1

    items.sort(key=rank)
