r"""IEEE gradual underflow for host code that XLA calls back.

XLA's CPU runtime executes a program with the processor's flush-to-zero and
denormals-are-zero modes on (x86's MXCSR bits FTZ and DAZ, AArch64's FPCR.FZ), and a
``jax.pure_callback`` runs on the thread that executes the program, inside that mode. The
arrays reach the callback bit for bit, but every NumPy operation there (a cast to float64, a
sum, even a comparison in a sort) reads a subnormal number as 0 and writes 0 for a subnormal
result: a float32 coordinate of 1e-40 becomes 0 before a solver has looked at it, where the
same call made eagerly sees 1e-40.

:func:`ieee_arithmetic` puts the thread's floating-point environment back to the C default
(gradual underflow, round to nearest, exceptions masked) for the duration of a block and
restores XLA's on the way out, with ``fegetenv``/``fesetenv`` from the C library (C99,
``<fenv.h>``). Threads the block starts inherit the default environment. Where the C library
cannot be found the block runs as it is (the results under a trace are then those of a flushing
processor; :func:`flushes_subnormals` tells which).

References: IEEE 754-2019, Sec. 7.5 (underflow); ISO C99, Sec. 7.6 (``<fenv.h>``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

__all__ = ["flushes_subnormals", "ieee_arithmetic", "with_ieee_arithmetic"]

R = TypeVar("R")

#: Room for a ``fenv_t`` on every platform (32 bytes on x86-64 glibc, 8 on AArch64).
_FENV_BYTES = 512


@functools.cache
def _libc_fenv() -> tuple[Any, Any] | None:
    """``(library, FE_DFL_ENV)`` of the C library, or None where it cannot be had."""
    try:
        if sys.platform == "win32":
            return None  # the MSVC runtime has no fenv.h symbols: see _windows_default
        name = ctypes.util.find_library("m") or ctypes.util.find_library("c")
        lib = ctypes.CDLL(name) if name else ctypes.CDLL(None)
        lib.fegetenv.argtypes = [ctypes.c_void_p]
        lib.fesetenv.argtypes = [ctypes.c_void_p]
        if sys.platform == "darwin":
            default = ctypes.cast(ctypes.addressof(ctypes.c_char.in_dll(lib, "_FE_DFL_ENV")),
                                  ctypes.c_void_p)  # fmt: skip
        else:
            default = ctypes.c_void_p(-1)  # glibc and musl: FE_DFL_ENV is (const fenv_t *) -1
        return lib, default
    except (OSError, AttributeError, ValueError):
        return None


@contextlib.contextmanager
def _windows_default() -> Iterator[None]:
    """The MSVC runtime's ``_controlfp``: denormals kept (``_DN_SAVE``), then restored."""
    try:
        crt = ctypes.CDLL("ucrtbase")
        mask, save = 0x03000000, 0x00000000  # _MCW_DN, _DN_SAVE
        old = crt._controlfp(0, 0)
        crt._controlfp(save, mask)
    except (OSError, AttributeError):
        yield
        return
    try:
        yield
    finally:
        crt._controlfp(old, mask)


@contextlib.contextmanager
def ieee_arithmetic() -> Iterator[None]:
    """Runs the block in the C default floating-point environment (gradual underflow).

    The thread's environment is saved first and restored at the end, however the block ends.
    Cheap (two C calls, about a microsecond).
    """
    if sys.platform == "win32":
        with _windows_default():
            yield
        return
    fenv = _libc_fenv()
    if fenv is None:
        yield
        return
    lib, default = fenv
    saved = ctypes.create_string_buffer(_FENV_BYTES)
    if lib.fegetenv(saved) != 0:
        yield
        return
    lib.fesetenv(default)
    try:
        yield
    finally:
        lib.fesetenv(saved)


def with_ieee_arithmetic(fn: Callable[..., R]) -> Callable[..., R]:
    """``fn`` run inside :func:`ieee_arithmetic`: the form a callback from XLA takes."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> R:
        with ieee_arithmetic():
            return fn(*args, **kwargs)

    return run


def flushes_subnormals() -> bool:
    """Whether NumPy arithmetic on this thread, now, reads or writes subnormals as 0."""
    tiny = np.array([np.finfo(np.float64).smallest_subnormal], np.float64)
    return bool((tiny * 2.0)[0] == 0.0)
