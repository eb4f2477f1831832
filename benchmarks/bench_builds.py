"""Two builds of the compiled W1 solver on the same finest-level solve, in one process.

A change to the C++ of ``divergences/wasserstein/_native`` that keeps the pivots (a data layout,
a loop) is measured best with both builds side by side: the same recorded call, solved by each
build in turn, in one process, so that a load from elsewhere falls on both alike. For one
problem (a DOTmark-like pair of ``N x N`` images through ``dv.w1_grid``, or the Dirichlet-weighted
samples of :mod:`divergences.testing.geometries` through ``dv.w1_primal(method="sparse")``), the
call of the finest level (the largest ``_ot_native.solve``) is recorded with the installed build,
then each build given (a path to an ``_ot_native`` shared library, e.g. a copy of the one built
before the change) solves it ``--repeat`` times, alternating. Printed per solve: CPU and wall
seconds, the solver's graph seconds (``t_graph``), its pivots and potentials shifted per pivot,
and the value (the same bits are expected where the change keeps the pivots).

Run: ``python benchmarks/bench_builds.py before.so after.so --case dirichlet 30000``, or
``--case "GRF smooth" 256``. A setting of the solve can be compared the same way on one build:
``--arcs-per-point 1 8`` solves with each value in turn (the pricing's arcs a point a round),
and the rounds and arcs are printed too. The numbers of 2026-11-26 are in benchmarks/history-to-2026-11-25.md
("The simplex's nodes laid out along the thread").
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import sys
import time
import types
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from anywhere

from divergences.testing.dotmark import DOTMARK_CLASSES, dotmark_pair
from divergences.testing.geometries import geometry_problem
from divergences.wasserstein._src.host import native


def load_build(path: str, tag: str) -> Any:
    """The extension at ``path`` as module ``tag._ot_native`` (its init symbol keeps the name)."""
    package = types.ModuleType(tag)
    package.__path__ = []
    sys.modules[tag] = package
    spec = importlib.util.spec_from_file_location(f"{tag}._ot_native", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"not a loadable extension: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finest_call(case: str, n: int) -> tuple[tuple, dict]:
    """The arguments of the largest ``solve`` that the whole call makes (the finest level)."""
    import divergences as dv

    module = native.load()
    calls: list[tuple[tuple, dict]] = []

    class Recording:
        def __getattr__(self, attr: str) -> Any:
            return getattr(module, attr)

        def solve(self, *args: Any, **kwargs: Any) -> Any:
            calls.append((args, kwargs))
            return module.solve(*args, **kwargs)

    load = native.load
    native.load = Recording  # type: ignore[assignment]
    try:
        if case == "dirichlet":
            x, y, a, b = geometry_problem("dirichlet", n)
            dv.w1_primal(x, y, a, b, method="sparse")
        else:
            mu, nu = dotmark_pair(case, n)
            dv.w1_grid(mu, nu, method="sparse")
    finally:
        native.load = load  # type: ignore[assignment]
    return max(calls, key=lambda c: c[0][0].shape[0] + c[0][1].shape[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", nargs="+", help="paths of _ot_native shared libraries")
    parser.add_argument(
        "--case", nargs=2, metavar=("CASE", "N"), default=["dirichlet", "10000"],
        help=f"'dirichlet' and its n, or a class ({', '.join(DOTMARK_CLASSES)}) and its side N",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=2, help="solves per build, alternated")
    parser.add_argument(
        "--arcs-per-point", type=int, nargs="+", default=None,
        help="solve with each of these arcs_per_point in turn (default: as the call recorded)",
    )  # fmt: skip
    args = parser.parse_args()
    case, n = args.case[0], int(args.case[1])
    if case != "dirichlet" and case not in DOTMARK_CLASSES:
        parser.error(f"--case: unknown class {case!r}")
    call_args, call_kwargs = finest_call(case, n)
    builds = [load_build(path, f"build{k}") for k, path in enumerate(args.builds)]
    settings = [{}] if args.arcs_per_point is None else [
        {"arcs_per_point": k} for k in args.arcs_per_point
    ]  # fmt: skip
    print(
        f"{'build':>28} {'k':>2} {'CPU':>8} {'wall':>8} {'graph':>8} {'rounds':>6} {'arcs':>9} "
        f"{'pivots':>9} {'shift/piv':>9}  value"
    )
    for _ in range(args.repeat):
        for path, build in zip(args.builds, builds, strict=True):
            for setting in settings:
                cpu, wall = time.process_time(), time.perf_counter()
                res = build.solve(*call_args, **{**call_kwargs, **setting})
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                shift = res["shifted"] / max(res["pivots"], 1)
                k = {**call_kwargs, **setting}.get("arcs_per_point", 1)
                print(
                    f"{path[-28:]:>28} {k:>2} {cpu:8.2f} {wall:8.2f} {res['t_graph']:8.2f} "
                    f"{res['rounds']:>6} {res['arcs']:>9} {res['pivots']:>9} {shift:9.0f}  "
                    f"{res['value']!r}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
