"""What a user gets from ``pip install divergences``: every subpackage shipped, a light library.

A CI step (``make build-check``), not a test of the library: it reads pyproject.toml and the source
tree, and starts one interpreter to see which modules the library loads. Each check is a function;
every failure is printed and the script exits with status 1.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib
from collections.abc import Callable

from checks import run

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def every_subpackage_is_found_for_the_wheel() -> None:
    # setup.py finds the packages (find_packages); no list is kept by hand in pyproject.toml.
    config = PYPROJECT["tool"]["setuptools"]
    assert "packages" not in config, "pyproject.toml lists packages: setup.py finds them"
    # The proofs of the lectures are the top-level proofs/ folder, shipped inside the lab.
    assert config["package-dir"] == {"divergences.lab.proofs": "proofs"}, config["package-dir"]
    assert (ROOT / "proofs" / "__init__.py").exists()
    setup_py = (ROOT / "setup.py").read_text()
    assert 'find_packages(include=["divergences", "divergences.*"])' in setup_py
    assert '"divergences.lab.proofs"' in setup_py


def the_library_needs_only_jax_numpy_scipy_and_pot() -> None:
    project = PYPROJECT["project"]
    names = {
        dep.split(">")[0].split("=")[0].split("[")[0].strip() for dep in project["dependencies"]
    }
    assert names == {"jax", "numpy", "scipy", "pot"}, names
    extras = project["optional-dependencies"]
    assert "divergences[testing]" in extras["lab"]
    assert "divergences[lab]" in extras["test"]
    # The test session needs neither the docs' stack nor the build tools (make docs and
    # make build-check do); the development install has both.
    assert not any(dep.startswith("divergences[docs]") for dep in extras["test"]), extras["test"]
    assert {"divergences[test]", "divergences[docs]"} <= set(extras["dev"]), extras["dev"]
    assert project["scripts"]["divergences"] == "divergences._launcher:main"


_LAB_MODULES = [
    "matplotlib",
    "sympy",
    "optax",
    "tqdm",
    "hypothesis",
    "equinox",
    "pytest",
    "divergences.lab",
    "divergences.testing",
]


def _loaded_after_each(steps: list[str], modules: list[str]) -> list[list[str]]:
    """Which of ``modules`` a fresh interpreter has loaded after each of ``steps`` in turn."""
    report = f"print(' '.join(m for m in {modules!r} if m in sys.modules) + ' |')"
    code = "import sys, divergences as dv\n" + "".join(f"{step}\n{report}\n" for step in steps)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    return [line.split() for line in out.stdout.split("|")[: len(steps)]]


def the_library_and_its_w1_solvers_load_none_of_the_lab_dependencies() -> None:
    # One interpreter: the divergences first (nor POT), then the W1 solvers too.
    after_kl, after_w1 = _loaded_after_each(
        [
            "dv.kl([0.5, 0.5], [0.9, 0.1])",
            "dv.w1_primal([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]])\n"
            "dv.w1_dual([0.0, 1.0], [2.0], method='lp')",
        ],
        [*_LAB_MODULES, "ot"],
    )
    assert after_kl == [], after_kl
    assert [m for m in after_w1 if m != "ot"] == [], after_w1


def _contract(prefix: str) -> dict:
    contracts = PYPROJECT["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(prefix))


def every_library_module_is_under_the_library_contract() -> None:
    # The import-linter contract names the library's modules one by one: a module added to the
    # library and forgotten there would escape the check that it imports only jax, numpy, scipy
    # and POT.
    listed = set(_contract("The library")["source_modules"])
    package = ROOT / "divergences"
    top = {
        "divergences." + (p.stem if p.is_file() else p.name)
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    # The command's launcher checks for the lab's packages, then runs the lab.
    expected = top - {"divergences.lab", "divergences.testing", "divergences._launcher"}
    assert expected == listed, sorted(expected ^ listed)


def every_private_library_module_is_forbidden_to_harness_lab_and_proofs() -> None:
    # The contract lists the library's private modules and packages one by one (import-linter
    # matches whole names only): a private module added or moved must be listed where it is.
    listed = set(_contract("Harness, lab")["forbidden_modules"])
    found = {
        f"{parent}.{p.stem if p.is_file() else p.name}"
        for parent, folder in (
            ("divergences", "divergences"),
            ("divergences.continuous", "divergences/continuous"),
            ("divergences.estimate", "divergences/estimate"),
            ("divergences.wasserstein", "divergences/wasserstein"),
        )
        for p in (ROOT / folder).iterdir()
        if p.name.startswith("_")
        and not p.name.startswith("__")
        and (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    }
    assert found == listed, sorted(found ^ listed)


def the_pythons_claimed_are_the_pythons_tested() -> None:
    # requires-python's floor is the project's own venv (the whole suite runs there: make test);
    # every later version a classifier names is one .ci/pythons installs the sdist on and tests.
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11", project["requires-python"]
    prefix = "Programming Language :: Python :: 3."
    claimed = {
        c.removeprefix("Programming Language :: Python :: ")
        for c in project["classifiers"]
        if c.startswith(prefix) and c[len(prefix) :].isdigit()
    }
    script = (ROOT / ".ci" / "pythons").read_text()
    tested = set(script.split("${PYTHONS:-", 1)[1].split("}", 1)[0].split())
    assert claimed == {"3.11"} | tested, (sorted(claimed), sorted(tested))
    assert PYPROJECT["tool"]["mypy"]["python_version"] == "3.11"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"


CHECKS: tuple[Callable[[], None], ...] = (
    every_subpackage_is_found_for_the_wheel,
    the_library_needs_only_jax_numpy_scipy_and_pot,
    the_library_and_its_w1_solvers_load_none_of_the_lab_dependencies,
    every_library_module_is_under_the_library_contract,
    every_private_library_module_is_forbidden_to_harness_lab_and_proofs,
    the_pythons_claimed_are_the_pythons_tested,
)


if __name__ == "__main__":
    sys.exit(run(CHECKS))
