r"""Memory the host solvers may use, and the refusal of work that would not fit.

A large allocation that fails deep inside compiled code does not always raise: SciPy's SuperLU
dereferences the null pointer ("Can't expand MemType"), OpenBLAS ends the process ("Memory
allocation still failed after 10 retries"), the kernel's OOM killer sends SIGKILL. So the host
solvers estimate what they need and refuse it up front with a :class:`MemoryError` that says
the size, what is available and what to do instead (:func:`check_memory`).

What is available (:func:`available_memory_bytes`) is the smaller of two bounds:

* physical memory available now: ``MemAvailable`` of ``/proc/meminfo`` on Linux,
  ``GlobalMemoryStatusEx`` on Windows, ``os.sysconf`` or the ``hw.memsize`` sysctl on macOS
  and other POSIX systems (all physical memory where what is free cannot be read);
* on POSIX, the address space left under the process's ``RLIMIT_AS`` (a ``ulimit -v``, a batch
  scheduler's cap): the limit less the current virtual size (``/proc/self/statm`` on Linux;
  the limit as is where the current size cannot be read).

Every probe is guarded: where none answers, no bound is assumed (``sys.maxsize``) rather than
an error raised before any work.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "UNKNOWN",
    "available_memory_bytes",
    "check_memory",
    "format_bytes",
    "thread_stack_bytes",
]

#: What :func:`available_memory_bytes` answers where no probe can read anything.
UNKNOWN = sys.maxsize

# The stack of a thread the native solver starts, where RLIMIT_STACK (glibc's default for a
# new thread's stack) is unlimited or cannot be read: glibc's and macOS's usual 8 MiB.
_DEFAULT_STACK = 8 << 20


def format_bytes(nbytes: float) -> str:
    """A size in GiB: to one decimal from 1 GiB, to two below (where one would read 0.0)."""
    return f"{nbytes / 2**30:.{1 if nbytes >= 2**30 else 2}f} GiB"


def _resource() -> Any:
    """The ``resource`` module, or None where the platform has none (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return resource


def _meminfo_available() -> int | None:
    """Linux: ``MemAvailable`` of ``/proc/meminfo`` (what can be allocated without swapping)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _sysconf_memory() -> int | None:
    """POSIX: physical memory available by ``os.sysconf``, in bytes.

    The free physical pages where the platform reports them (``SC_AVPHYS_PAGES``), else all
    physical pages, times the page size. None where ``os.sysconf`` is absent (Windows) or does
    not know the names.
    """
    sysconf = getattr(os, "sysconf", None)
    if sysconf is None:
        return None
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            count = int(sysconf(pages))
            size = int(sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, TypeError):
            continue
        if count > 0 and size > 0:
            return count * size
    return None


def _libc() -> Any:
    """The C library through ctypes (None where it cannot be loaded)."""
    try:
        import ctypes
        import ctypes.util

        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (ImportError, OSError, TypeError):
        return None


def _sysctl_memory() -> int | None:
    """On macOS and the BSDs, all physical memory, from the ``hw.memsize`` sysctl."""
    libc = _libc()
    if libc is None:
        return None
    try:
        import ctypes

        value = ctypes.c_uint64(0)
        size = ctypes.c_size_t(ctypes.sizeof(value))
        status = libc.sysctlbyname(
            b"hw.memsize", ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)
        )
    except (ImportError, AttributeError, OSError, TypeError, ValueError):
        return None
    return int(value.value) if status == 0 and value.value > 0 else None


def _windows_memory() -> int | None:
    """Windows: the memory available by ``GlobalMemoryStatusEx``, in bytes.

    Its available physical memory, or the process's available virtual address space where
    that is smaller (a 32-bit process).
    """
    try:
        import ctypes

        class MemoryStatusEx(ctypes.Structure):
            _fields_ = [
                ("dwLength", ctypes.c_uint32),
                ("dwMemoryLoad", ctypes.c_uint32),
                ("ullTotalPhys", ctypes.c_uint64),
                ("ullAvailPhys", ctypes.c_uint64),
                ("ullTotalPageFile", ctypes.c_uint64),
                ("ullAvailPageFile", ctypes.c_uint64),
                ("ullTotalVirtual", ctypes.c_uint64),
                ("ullAvailVirtual", ctypes.c_uint64),
                ("ullAvailExtendedVirtual", ctypes.c_uint64),
            ]

        status = MemoryStatusEx()
        status.dwLength = ctypes.sizeof(MemoryStatusEx)
        windll = ctypes.windll  # type: ignore[attr-defined,unused-ignore]
        if not windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return None
    except (ImportError, AttributeError, OSError, TypeError, ValueError):
        return None
    sizes = [s for s in (int(status.ullAvailPhys), int(status.ullAvailVirtual)) if s > 0]
    return min(sizes) if sizes else None


def _physical_memory(platform: str) -> int | None:
    """Physical memory available now, by the probes of ``platform`` (``sys.platform``) in order.

    None where none answers.
    """
    probes: tuple[Callable[[], int | None], ...]
    if platform == "win32":
        probes = (_windows_memory, _sysconf_memory)
    elif platform == "darwin":
        probes = (_sysconf_memory, _sysctl_memory)
    else:
        probes = (_meminfo_available, _sysconf_memory, _sysctl_memory)
    for probe in probes:
        found = probe()
        if found is not None:
            return found
    return None


def _virtual_size() -> int | None:
    """The process's current virtual size (Linux ``/proc/self/statm``), or None."""
    resource = _resource()
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[0])
        page = resource.getpagesize() if resource is not None else os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return pages * int(page)


def _address_space_left() -> int | None:
    """POSIX: the address space left under ``RLIMIT_AS``, in bytes.

    Its soft limit less the current virtual size, or the limit itself where that size cannot
    be read; None where there is no limit or no ``resource`` module.
    """
    resource = _resource()
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return None
    try:
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (OSError, ValueError):
        return None
    if limit == resource.RLIM_INFINITY or limit < 0:
        return None
    size = _virtual_size()
    return max(0, int(limit) - size) if size is not None else int(limit)


def available_memory_bytes() -> int:
    """Bytes this process can allocate now.

    The smaller of the physical memory available and the address space left under
    ``RLIMIT_AS``.

    It never raises: a probe that fails is skipped, and where none answers the result is
    :data:`UNKNOWN` (no bound).
    """
    bounds = [_physical_memory(sys.platform), _address_space_left()]
    known = [b for b in bounds if b is not None]
    return min(known) if known else UNKNOWN


def thread_stack_bytes() -> int:
    """Address space a new thread's stack takes, in bytes.

    ``RLIMIT_STACK``'s soft limit (what glibc gives a new thread), or 8 MiB where it is
    unlimited or cannot be read.
    """
    resource = _resource()
    if resource is None:
        return _DEFAULT_STACK
    try:
        limit = resource.getrlimit(resource.RLIMIT_STACK)[0]
    except (OSError, ValueError, AttributeError):
        return _DEFAULT_STACK
    if limit == resource.RLIM_INFINITY or limit <= 0:
        return _DEFAULT_STACK
    return int(limit)


def check_memory(
    need: int, *, what: str, scope: str = "", instead: str, available: int | None = None
) -> None:
    """Refuses, before anything is allocated, work that needs more memory than is available.

    Args:
      need: the bytes the work needs (an estimate with headroom).
      what: the work, the subject of the message ("the sparse W1 solver").
      scope: what it is needed for, after the size ("for 3 + 2 points").
      instead: what to do instead, a sentence without its full stop.
      available: the bytes available; :func:`available_memory_bytes` when None.

    Raises:
      MemoryError: saying the size needed, what is available and ``instead``.
    """
    have = available_memory_bytes() if available is None else available
    if need > have:
        raise MemoryError(
            f"{what} needs about {format_bytes(need)}{' ' + scope if scope else ''}; "
            f"{format_bytes(have)} are available (free physical memory, or the address space "
            f"left under the process's limit, whichever is smaller). {instead}"
        )
