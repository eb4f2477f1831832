"""``divergences estimate`` at the working point: each row's wall and CPU seconds, by size.

Writes two float32 ``.npy`` files of ``n`` draws in ``d`` dimensions (N(0, I) and
N(0.02, 1.05^2 I), seeded) to ``--folder``, runs :func:`~divergences.lab.estimate.estimate_command.
estimate_files` on them with its default plan (the rows that claim something in ``d``, KID and
FD on every draw, the fidelity rows on at most ``--fidelity-draws`` draws a file), and prints
one line a row: its wall seconds (what the command prints) and the process's CPU seconds in it
(on a loaded machine the wall time is the CPU time over the share of the cores it got), then
the whole run's, with the load before and after. The files are deleted after.

Run (nice'd, one size a process): ``nice -n 5 python benchmarks/bench_estimate_command.py
--n 10000`` (minutes), ``--n 20000``, ``--n 50000`` (about 400 MB a file; ``--rows kid`` and
``--rows w1-projected,fd,fidelity,discriminator,test`` split it in two processes of under 10
minutes on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from divergences.lab.estimate import estimate_command as ec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=2048)
    parser.add_argument("--fidelity-draws", type=int, default=ec.FIDELITY_DRAWS)
    parser.add_argument("--rows", default=None, help="the command's --rows (default: its plan)")
    parser.add_argument("--folder", default=tempfile.gettempdir())
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    folder = Path(args.folder)
    paths = (folder / f"bench_x_{args.n}.npy", folder / f"bench_y_{args.n}.npy")
    for path, shift, scale in zip(paths, (0.0, 0.02), (1.0, 1.05), strict=True):
        draws = rng.standard_normal((args.n, args.d), dtype=np.float32)
        np.save(path, (draws * scale + shift).astype(np.float32))
        del draws
    cpu: dict[str, float] = {}
    call = ec._call

    def timed(planned: Any) -> ec.Row:
        start = time.process_time()
        row = call(planned)
        cpu[planned.name] = time.process_time() - start
        return row

    ec._call = timed  # type: ignore[assignment]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, n = m = {args.n}, "
          f"d = {args.d}, rows {args.rows or 'the default'}, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    wall, process = time.perf_counter(), time.process_time()
    try:
        report = ec.estimate_files(
            *paths, rows=args.rows, fidelity_draws=args.fidelity_draws, progress=True
        )
    finally:
        for path in paths:
            path.unlink()
    wall, process = time.perf_counter() - wall, time.process_time() - process
    print("| row | draws a file | wall s | CPU s |")
    print("|---|---|---|---|")
    for r in (*report.rows, *report.tests):
        n = getattr(r.result, "n", None) or "-"
        print(f"| {r.name} | {n} | {r.seconds:.1f} | {cpu[r.name]:.1f} |")
    print(f"| the whole run (reading the files included) | | {wall:.1f} | {process:.1f} |")
    print(f"# load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
