"""Test-session set-up shared by tests/, proofs/ and the doctests in divergences/.

Verification runs in float64: x64 is switched on here, for the test process only (the library
never touches JAX's configuration). Compilation is most of the suite's time, so before JAX starts
this sets, through the environment (the pytest-xdist workers, the notebooks' kernels and the
subprocesses of the tests inherit it):

* quick machine code: LLVM's optimisation off and XLA's older loop emitters, each module compiled
  as one piece. XLA optimises the programs as it does for a user; only the machine code is less
  optimised, and its last bits may differ as they would on another CPU. The notebooks' kernels,
  which train, get LLVM's level 1 (``DIVERGENCES_KERNEL_XLA_FLAGS``, tests/test_notebooks.py).
  ``XLA_FLAGS`` that set an optimisation level are used as given, for both.
* a persistent compilation cache, ``build/jax-cache``, shared by the workers, the kernels and the
  next run (``JAX_COMPILATION_CACHE_DIR`` set by the caller wins; empty keeps nothing).

The measurements behind these choices are in benchmarks/README.md ("The test session").
"""

import hashlib
import importlib.metadata
import os
import pathlib
import subprocess
import sys

BUILD = pathlib.Path(__file__).resolve().parent / "build"
_QUICK_CODEGEN = "--xla_cpu_use_fusion_emitters=false --xla_cpu_parallel_codegen_split_count=1"


def _xla_accepts(flags: str) -> bool:
    """Whether this jaxlib's XLA starts with ``flags``, asked once per jaxlib version.

    XLA aborts on a flag it does not know, so a child process tries; the answer is kept in
    ``build/xla-flags``.
    """
    version = importlib.metadata.version("jaxlib")
    kept = BUILD / "xla-flags" / hashlib.sha256(f"{version} {flags}".encode()).hexdigest()[:16]
    if not kept.exists():
        env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
        probe = subprocess.run(
            [sys.executable, "-c", "import jax; jax.devices()"], env=env, capture_output=True
        )
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text("yes" if probe.returncode == 0 else "no")
    return kept.read_text() == "yes"


if "DIVERGENCES_KERNEL_XLA_FLAGS" not in os.environ:  # else set by the process that started us
    given = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" in given:
        os.environ["DIVERGENCES_KERNEL_XLA_FLAGS"] = given
    else:
        codegen = _QUICK_CODEGEN if _xla_accepts(_QUICK_CODEGEN) else ""
        for name, level in (("XLA_FLAGS", 0), ("DIVERGENCES_KERNEL_XLA_FLAGS", 1)):
            os.environ[name] = f"{given} --xla_backend_optimization_level={level} {codegen}".strip()
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(BUILD / "jax-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import jax  # noqa: E402  (after the environment above: JAX reads it when it starts)
import pytest  # noqa: E402

from divergences.testing import load_profile  # noqa: E402

jax.config.update("jax_enable_x64", True)
# The Hypothesis profile (``HYPOTHESIS_PROFILE``, ``ci`` by default: no deadline) for tests/ and
# the doctests of divergences/ alike, whichever of them a run collects.
load_profile()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs the slow tests first, those marked ``slow(first=True)`` before them.

    pytest-xdist hands tests out in this order, and a long test started last would leave the other
    worker idle until it ends (the sort is stable). ``first`` marks the tests of a minute or more
    (the notebooks), which must start at once to end before the rest of the session.
    """

    def rank(item: pytest.Item) -> int:
        slow = item.get_closest_marker("slow")
        return 2 if slow is None else 0 if slow.kwargs.get("first") else 1

    items.sort(key=rank)
