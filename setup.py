"""Build of the compiled part of the package: the sparse W1 solver's C++ extension.

Everything else (metadata, dependencies, package discovery) lives in pyproject.toml; setuptools
reads both. The extension uses only the CPython C API and the buffer protocol, so building it
needs a C++17 compiler and nothing from PyPI beyond setuptools.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "divergences.wasserstein._ot_native",
            sources=["divergences/wasserstein/_native/ot_native.cpp"],
            language="c++",
            extra_compile_args=["-std=c++17", "-O3", "-pthread"],
            extra_link_args=["-pthread"],
        )
    ]
)
