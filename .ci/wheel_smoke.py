"""A built wheel's extension, checked on its own against problems whose optimum is known.

cibuildwheel runs this after installing the wheel (no JAX needed). The extension is loaded from the
installed package without importing the package, and solves an assignment problem checked against
every permutation, and a general one whose certified bounds must meet.
"""

from __future__ import annotations

import importlib.util
import itertools
import pathlib
import sys

import numpy as np


def load_extension():
    spec = importlib.util.find_spec("divergences")  # finds, does not import, the package
    assert spec is not None and spec.submodule_search_locations, "divergences is not installed"
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "wasserstein"
    found = sorted(folder.glob("_ot_native.*"))
    assert found, f"no compiled _ot_native in {folder}"
    ext = importlib.util.spec_from_file_location("_ot_native", found[0])
    module = importlib.util.module_from_spec(ext)
    ext.loader.exec_module(module)
    return module, found[0]


def main() -> None:
    native, path = load_extension()
    print("loaded", path)
    certified = (native.STATUS["OPTIMAL"], native.STATUS["WITHIN_TOLERANCE"])
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 2)), rng.random((7, 2))
    w = np.full(7, 1 / 7)
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    best = min(cost[range(7), p].sum() / 7 for p in itertools.permutations(range(7)))
    for assignment in (False, True):
        res = native.solve(x, y, w, w, assignment=assignment, threads=2)
        assert res["status"] in certified, res["status"]
        assert abs(res["value"] - best) <= 1e-12, (res["value"], best)
    x, y = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) + 1.0
    a, b = rng.random(300), rng.random(200)
    a, b = a / a.sum(), b / b.sum()
    res = native.solve(x, y, a, b, threads=2)
    assert res["status"] in certified, res["status"]
    assert res["upper_bound"] - res["lower_bound"] <= 1e-12 * res["upper_bound"]
    rows, cols, mass = (np.asarray(res[k]) for k in ("rows", "cols", "mass"))
    assert np.abs(np.bincount(rows, mass, 300) - a).sum() <= 1e-12
    assert np.abs(np.bincount(cols, mass, 200) - b).sum() <= 1e-12
    try:
        native.solve(x, y, np.full(300, np.nan), b)
    except ValueError:
        pass
    else:
        sys.exit("a NaN weight was not refused")
    print("ok: W1 =", res["value"])


if __name__ == "__main__":
    main()
