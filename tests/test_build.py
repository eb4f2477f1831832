"""The build: the wheel matrix, the sdist and the optional extension.

The sdist carries the C++ and installs where a compiler exists; the extension is left out on
request, or when the compile fails, without failing the install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "divergences" / "wasserstein" / "_native"


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "DIVERGENCES_"))}
    return subprocess.run(
        args, cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize(
    ("platform", "identifiers"),
    [
        ("linux", ["cp311-manylinux_x86_64", "cp311-manylinux_aarch64"]),
        ("macos", ["cp311-macosx_x86_64", "cp311-macosx_arm64"]),
        ("windows", ["cp311-win_amd64"]),
    ],
)
def test_cibuildwheel_builds_one_abi3_wheel_per_platform(platform, identifiers):
    # One CPython (3.11: the extension uses its limited API, so the wheel is abi3) per
    # operating system and architecture; no musllinux, no 32-bit.
    proc = _run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform],
        ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == sorted(identifiers)


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    # Built from a copy of the sources: a build writes into its tree (egg-info), and test
    # workers running side by side must not share one.
    tree = tmp_path_factory.mktemp("tree")
    skip = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.egg-info")
    for name in ("divergences", "proofs", "tests"):
        shutil.copytree(ROOT / name, tree / name, ignore=skip)
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    out = tmp_path_factory.mktemp("sdist")
    proc = _run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out)], tree
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("divergences-*.tar.gz")
    return path


def _install(sdist: Path, target: Path, **env: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "pip", "install", "-v", "--no-deps", "--no-build-isolation"]
    return _run([*args, "--target", str(target), str(sdist)], target.parent, **env)


def _extensions(target: Path) -> list[Path]:
    return sorted((target / "divergences" / "wasserstein").glob("_ot_native.*"))


@pytest.mark.slow  # builds the sdist and pip-installs it (one a C++ compile)
def test_sdist_carries_the_cpp_and_installs_with_a_compiler(sdist, tmp_path):
    with tarfile.open(sdist) as tar:
        names = {Path(name).name for name in tar.getnames() if "/_native/" in name}
    assert names == {p.name for p in NATIVE.iterdir() if p.suffix in (".h", ".cpp")}
    proc = _install(sdist, tmp_path / "site")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (ext,) = _extensions(tmp_path / "site")
    assert ext.name.endswith((".abi3.so", ".pyd"))
    # The installed copy's extension, loaded alone, solves problems with known optima.
    smoke = _run(
        [sys.executable, str(ROOT / ".ci" / "wheel_smoke.py")],
        tmp_path,
        PYTHONPATH=str(tmp_path / "site"),
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert f"loaded {ext}" in smoke.stdout


@pytest.mark.slow
def test_build_native_0_installs_without_the_extension(sdist, tmp_path):
    proc = _install(sdist, tmp_path / "site", DIVERGENCES_BUILD_NATIVE="0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _extensions(tmp_path / "site") == []
    assert (tmp_path / "site" / "divergences" / "wasserstein" / "primal.py").exists()


@pytest.mark.slow
def test_a_failed_compile_warns_and_installs_without_the_extension(sdist, tmp_path):
    proc = _install(sdist, tmp_path / "site", CC="false", CXX="false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _extensions(tmp_path / "site") == []
    assert "was not built" in proc.stdout + proc.stderr
    assert "install a C++17 compiler and reinstall" in proc.stdout + proc.stderr
