"""The documentation site builds with warnings as errors, executing every notebook on the way.

One build serves every test here: the API reference must document each name in
``divergences.__all__``, and building (notebooks included) must leave the repository unchanged.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

import divergences as dv

ROOT = pathlib.Path(__file__).resolve().parent.parent
_IGNORED = {
    ".git",
    ".venv",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".mypy_cache",
    "__pycache__",
}


def _snapshot() -> dict[str, float]:
    """Every file of the repository outside caches and build folders, with its mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in _IGNORED and not d.endswith(".egg-info")]
        rel = pathlib.Path(dirpath).relative_to(ROOT)
        if rel.parts[:2] == ("docs", "_build") or rel.parts[:1] == ("figures",):
            continue
        for f in filenames:
            out[str(rel / f)] = os.stat(os.path.join(dirpath, f)).st_mtime
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, dict, dict]:
    out = tmp_path_factory.mktemp("html")
    before = _snapshot()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(ROOT / "docs"),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=out,
        timeout=600,
        check=False,
    )
    after = _snapshot()
    warnings = [line for line in result.stderr.splitlines() if "IPKernelApp" not in line]
    assert result.returncode == 0, "\n".join(warnings[-60:])
    return out, before, after


def test_docs_build_without_warnings(built) -> None:
    out, _, _ = built
    for page in ("index", "getting_started", "conventions", "proofs", "api", "concepts/critics"):
        assert (out / f"{page}.html").is_file(), page
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = (out / "notebooks" / f"{nb.stem}.html").read_text()
        assert "cell_output" in html, f"{nb.name} rendered without outputs"
        assert "<img" in html, f"{nb.name} rendered without its figures"


def test_every_public_name_is_in_the_api_reference(built) -> None:
    from sphinx.util.inventory import InventoryFile

    out, _, _ = built
    with open(out / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    documented = {name for entries in inventory.values() for name in entries}
    missing = [n for n in dv.__all__ if f"divergences.{n}" not in documented]
    assert not missing, f"not in docs/api.md: {missing}"


def test_building_writes_nothing_into_the_repository(built) -> None:
    _, before, after = built
    assert set(after) == set(before), sorted(set(after) ^ set(before))
    changed = [f for f in before if after[f] != before[f]]
    assert not changed, changed
