"""The rules of the solver options that several W1 methods share, one function each.

A method's options live in its own record (a frozen NamedTuple: ``DenseOptions``,
``SparseOptions``, ...), filled by its registry entry's ``options`` from a record the caller
gave or from the call's keywords; the entry checks each field by the rule here that bears its
name (``threads``: :func:`.threads.check_threads`; ``rtol``: the package's one rule of a
tolerance, :func:`divergences._src.options.rtol_option`, 0 allowed; an option of one method
alone is checked in that method's module). NumPy only, and no system calls: it is on the floor
that both engines stand on, so that the host solvers, which know nothing of JAX, and the device
ones, which never call the host, use it alike (pyproject.toml's import contracts).
"""

from __future__ import annotations

from typing import Any

from divergences._src.options import integer_option

__all__ = ["check_max_iter"]


def check_max_iter(max_iter: Any) -> int | None:
    """``max_iter`` as an ``int``, or None (the method's own cap); else a ValueError naming it."""
    return integer_option(max_iter, "max_iter", none=True)
