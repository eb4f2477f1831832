"""What a user gets from ``pip install divergences``: every subpackage shipped, a light library."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "divergences").rglob("__init__.py")
    }
    # The proofs of the lectures are the top-level proofs/ folder, shipped inside the lab.
    assert config["package-dir"] == {"divergences.lab.proofs": "proofs"}
    assert (ROOT / "proofs" / "__init__.py").exists()
    assert listed == on_disk | {"divergences.lab.proofs"}


def test_importing_the_library_loads_none_of_the_lab_dependencies() -> None:
    code = (
        "import sys, divergences as dv\n"
        "dv.kl([0.5, 0.5], [0.9, 0.1])\n"
        "heavy = ['matplotlib', 'sympy', 'optax', 'tqdm', 'hypothesis', 'equinox', 'pytest',\n"
        "         'divergences.lab', 'divergences.testing', 'ot']\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []


def test_every_library_module_is_under_the_library_contract() -> None:
    # The import-linter contract names the library's modules one by one: a module added to the
    # library and forgotten there would escape the check that it imports only jax, numpy, scipy
    # and POT.
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    library = next(c for c in contracts["contracts"] if c["name"].startswith("The library"))
    listed = set(library["source_modules"])
    package = ROOT / "divergences"
    top = {
        "divergences." + (p.stem if p.is_file() else p.name)
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert top - {"divergences.lab", "divergences.testing"} == listed
