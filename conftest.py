"""Test-session set-up shared by tests/, proofs/ and the doctests in divergences/.

Verification runs in float64: x64 is switched on here, for the test process only. The library
itself never touches JAX's global configuration.
"""

import hashlib
import importlib.metadata
import os
import pathlib
import subprocess
import sys

#: How XLA's CPU backend makes machine code of a program, for quick compiles: its older loop
#: emitters (the same HLO, emitted as LLVM IR directly, not through its MLIR pipeline: about
#: half the compile time of a small kernel), and the module compiled as one piece (by default
#: XLA splits it to compile the parts on parallel threads, which only adds work where the
#: pytest-xdist workers keep every core busy: 15% less).
_QUICK_CODEGEN = "--xla_cpu_use_fusion_emitters=false --xla_cpu_parallel_codegen_split_count=1"


def _xla_accepts(flags: str) -> bool:
    """Whether this jaxlib's XLA starts with ``flags`` (it aborts the process on a flag it does
    not know, so a child process tries; the answer is kept in ``build/`` per jaxlib version)."""
    version = importlib.metadata.version("jaxlib")
    key = hashlib.sha256(f"{version} {flags}".encode()).hexdigest()[:16]
    kept = pathlib.Path(__file__).resolve().parent / "build" / "xla-flags" / key
    if kept.exists():
        return kept.read_text() == "yes"
    env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
    probe = subprocess.run(
        [sys.executable, "-c", "import jax; jax.devices()"], env=env, capture_output=True
    )
    accepted = probe.returncode == 0
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text("yes" if accepted else "no")
    return accepted


def _compile_quickly() -> None:
    """Compiles the session's programs quickly, unless ``XLA_FLAGS`` sets the optimisation level.

    Compilation is most of the suite's time: thousands of small programs, each run a few times.
    XLA still optimises every program as a user's (its HLO passes and fusions are the same);
    what changes is how the fused loops become machine code: LLVM's optimisation is off
    (``--xla_backend_optimization_level=0``), and :data:`_QUICK_CODEGEN`. Together they make
    the compile of a small kernel about a third of the default's (a set of the library's
    kernels: 13.8 s to 4.9 s; the suite: 577 s to 379 s of pytest on two idle cores, 463 s with
    the emitters alone) and cost little in running the test-sized problems. The last bits of a
    result may differ from the default code's, as they do on another CPU; the tests hold on any
    (``make stress`` runs the random and training tests with the default code under other
    instruction sets, and CI's ``make wheel-check`` runs ``divergences verify`` with XLA's
    defaults).

    The flags reach the pytest-xdist workers and the subprocesses the tests start (the command
    line) through the environment. The notebooks' kernels get LLVM's level 1 instead, kept in
    ``DIVERGENCES_KERNEL_XLA_FLAGS`` (tests/test_notebooks.py): they train networks for
    thousands of steps, which unoptimised code runs 2.4 times slower, and compile less (notebook
    06 alone: 134 s at level 0, 102 s at XLA's default, 93 s at level 1; notebook 05: 22, 45
    and 27 s). A jaxlib whose XLA does not know those flags gets the levels alone. Set
    before JAX starts its CPU backend, once per session: a worker finds them set by the process
    that started it.
    """
    if "DIVERGENCES_KERNEL_XLA_FLAGS" in os.environ:
        return
    given = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" in given:  # as given, for the session and the kernels
        os.environ["DIVERGENCES_KERNEL_XLA_FLAGS"] = given
        return
    codegen = _QUICK_CODEGEN if _xla_accepts(_QUICK_CODEGEN) else ""
    for name, level in (("XLA_FLAGS", 0), ("DIVERGENCES_KERNEL_XLA_FLAGS", 1)):
        flags = f"{given} --xla_backend_optimization_level={level} {codegen}"
        os.environ[name] = " ".join(flags.split())


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
    """Runs the slow tests first.

    pytest-xdist (``-n 2``, ``--dist load``) hands the tests out in this order: a long test
    started last would leave the other worker idle until it ends, while the short ones balance
    the workers wherever they come. The order is otherwise the collection's (the sort is
    stable).
    """
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
