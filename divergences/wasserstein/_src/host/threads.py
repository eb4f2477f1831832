"""The threads of the compiled solver: the option's check and the count a call runs on.

A call's ``threads`` where given, else the environment variable :data:`THREADS_VARIABLE`
where it is set, else the CPUs this process may use.
"""

from __future__ import annotations

import os

from divergences._src.options import integer_option

__all__ = ["THREADS_VARIABLE", "check_threads", "resolve_threads"]

#: The environment variable that sets the native solver's threads.
THREADS_VARIABLE = "DIVERGENCES_NUM_THREADS"


def check_threads(threads: int | None) -> int | None:
    """``threads`` as an ``int``, or None.

    For the public functions to check their option before any work (and at trace time under
    ``jit``).

    Raises:
      ValueError: unless ``threads`` is None or a positive integer (a bool is not one).
    """
    note = f"for ${THREADS_VARIABLE} where it is set, else the CPUs this process may use"
    return integer_option(threads, "threads", none=True, note=note)


def resolve_threads(threads: int | None = None) -> int:
    """Threads for the native solver's queries.

    ``threads`` where given, else ``$DIVERGENCES_NUM_THREADS`` where it is set, else the CPUs
    this process may use.

    Raises:
      ValueError: for ``threads`` neither None nor a positive integer, or a
        ``$DIVERGENCES_NUM_THREADS`` set to anything but a positive integer.
    """
    chosen = check_threads(threads)
    if chosen is not None:
        return chosen
    setting = os.environ.get(THREADS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(
                f"the environment variable {THREADS_VARIABLE} must be a positive integer; "
                f"got {setting!r}"
            )
        return int(setting)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
