"""One BLAS thread for the host's linear algebra on matrices of at most :data:`SMALL_D` columns.

OpenBLAS runs a product, a Cholesky or an eigendecomposition on every core it finds. On FD's
d x d matrices its threads cost more than they save, and on cores that other work keeps busy
they wait on each other. On a 2-core machine at load 3 to 4 (benchmarks/estimates.md, "The
host's BLAS threads"), ``frechet_difference`` of 2,000 draws in d = 64 took 3.5 to 5.6 s with
two BLAS threads and 0.12 s with one; ``frechet`` of 8,000 draws in d = 512 took 0.95 to 1.5 s
against 0.47 to 0.6 s. So the host's moments and cross terms run on one BLAS thread where d is at
most :data:`SMALL_D`, through threadpoolctl where it is importable (scikit-learn installs it;
``pip install threadpoolctl`` otherwise); past it, and without threadpoolctl, BLAS keeps the
threads it was given (``OPENBLAS_NUM_THREADS`` sets them).

The controller that finds the loaded BLAS libraries is built once, at the first call: building
it scans the process's mapped libraries, 2 ms each time, which a context per batch of draws
paid 64 times for a sample read through FD's 32 groups (0.13 s for 2,000 draws in d = 16,
against 3 ms for the reading itself).
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

__all__ = ["SMALL_D", "blas_threads_for"]

#: The largest number of columns whose host linear algebra runs on one BLAS thread.
SMALL_D = 512


@functools.cache
def _controller() -> Any:
    """Threadpoolctl's controller of the loaded BLAS libraries, built once; None without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # an optional dependency: BLAS keeps its threads
        return None
    return ThreadpoolController()


def blas_threads_for(d: int) -> contextlib.AbstractContextManager[Any]:
    """A context in which BLAS runs on one thread where ``d <= SMALL_D`` (else as it was)."""
    controller = _controller() if d <= SMALL_D else None
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")
