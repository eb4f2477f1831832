"""Build of the compiled part of the package: the sparse W1 solver's C++ extension.

Everything else but the package list (metadata, dependencies, the proofs' folder) lives in
pyproject.toml; setuptools reads both. The packages are found here (``find_packages``).

The binding is written by hand against CPython's *limited* C API (``Py_LIMITED_API`` 3.11,
where the buffer protocol joined it), so one ``abi3`` wheel per platform serves CPython 3.11
and every later version, and building needs a C++17 compiler and nothing from PyPI beyond
setuptools. The alternatives were weighed: nanobind with scikit-build-core gives a nicer
binding, but brings CMake and a second build backend, builds one wheel per Python version
(its stable-ABI mode needs Python 3.12), and the module has three functions whose arguments
are plain arrays; pybind11 has the same costs without the stable ABI.

The extension is optional: ``DIVERGENCES_BUILD_NATIVE=0`` leaves it out, and a failed compile
(no compiler, an unsupported one) warns and lets the install finish; the package then runs
without the sparse solver (see ``divergences.wasserstein``). Compiler flags are chosen per
compiler family (GCC/Clang or MSVC); ``DIVERGENCES_NATIVE_CFLAGS`` / ``DIVERGENCES_NATIVE_LDFLAGS``
append flags (``make sanitize`` and ``make clang-test`` use them).
"""

from __future__ import annotations

import os
import shlex
import sysconfig
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError

NATIVE = "divergences/wasserstein/_native"
HEADERS = [
    "common.h",
    "kdtree.h",
    "network_simplex.h",
    "simplex_graph.h",
    "assignment.h",
    "column_generation.h",
    "grid_flow.h",
    "cost_scaling.h",
]
# The stable ABI of CPython 3.11: one build for every later version. A free-threaded
# interpreter has no stable ABI; there the extension is built for that interpreter alone.
LIMITED_API = not sysconfig.get_config_var("Py_GIL_DISABLED")

FLAGS = {
    "msvc": (["/std:c++17", "/O2", "/EHsc", "/permissive-"], []),
    "unix": (["-std=c++17", "-O3", "-pthread"], ["-pthread"]),
}


class BuildNative(build_ext):
    """``build_ext`` with flags per compiler family, and no stale in-place builds."""

    def build_extensions(self) -> None:
        family = "msvc" if self.compiler.compiler_type == "msvc" else "unix"
        compile_args, link_args = FLAGS[family]
        extra_compile = shlex.split(os.environ.get("DIVERGENCES_NATIVE_CFLAGS", ""))
        extra_link = shlex.split(os.environ.get("DIVERGENCES_NATIVE_LDFLAGS", ""))
        for ext in self.extensions:
            ext.extra_compile_args = [*compile_args, *extra_compile]
            ext.extra_link_args = [*link_args, *extra_link]
        super().build_extensions()

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except (CCompilerError, BaseError) as err:
            if not ext.optional:
                raise
            self.warn(
                f"the C++ extension {ext.name} was not built ({err}). The package works without "
                "it, except the sparse W1 solver (method='sparse'); to have it, install a C++17 "
                "compiler and reinstall"
            )

    def copy_extensions_to_source(self) -> None:
        # An in-place build of another flavour (say _ot_native.cpython-311-*.so beside a new
        # _ot_native.abi3.so) would be imported first: remove it.
        for ext in self.extensions:
            target = Path(self.get_ext_filename(ext.name))
            folder = Path(*ext.name.split(".")[:-1])
            stem = ext.name.split(".")[-1]
            for old in folder.glob(stem + ".*"):
                if old.suffix in (".so", ".pyd") and old.name != target.name:
                    old.unlink()
        super().copy_extensions_to_source()


def extensions() -> list[Extension]:
    if os.environ.get("DIVERGENCES_BUILD_NATIVE", "1").strip() == "0":
        return []
    return [
        Extension(
            "divergences.wasserstein._ot_native",
            sources=[f"{NATIVE}/ot_native.cpp"],
            depends=[f"{NATIVE}/{name}" for name in HEADERS],
            include_dirs=[NATIVE],
            language="c++",
            define_macros=[("Py_LIMITED_API", "0x030B0000")] if LIMITED_API else [],
            py_limited_api=LIMITED_API,
            # A failed compile warns and the install goes on without the extension.
            optional=True,
        )
    ]


setup(
    # Every package under divergences/, found; and the proofs of the lectures, the top-level
    # proofs/ folder shipped as divergences.lab.proofs (pyproject.toml's package-dir).
    packages=[*find_packages(include=["divergences", "divergences.*"]), "divergences.lab.proofs"],
    ext_modules=extensions(),
    cmdclass={"build_ext": BuildNative},
    options={"bdist_wheel": {"py_limited_api": "cp311"}} if LIMITED_API else {},
)
