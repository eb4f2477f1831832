"""The runner of the CI steps' checks (``.ci/check_*.py``): each check a function that asserts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def run(checks: Sequence[Callable[[], None]]) -> int:
    """Runs ``checks`` in turn, printing each outcome; the exit status: 1 if one failed, else 0."""
    failed = []
    for check in checks:
        start = time.perf_counter()
        try:
            check()
        except AssertionError as exc:
            failed.append(check.__name__)
            print(f"FAIL {check.__name__}: {exc}", flush=True)
        else:
            print(f"ok   {check.__name__} ({time.perf_counter() - start:.1f} s)", flush=True)
    if failed:
        print(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0
