"""The build: the wheel matrix, the sdist and the optional extension.

The sdist carries the C++ and installs where a compiler exists; the extension is left out on
request, or when the compile fails, without failing the install. A CI step (``make build-check``),
not a test of the library: it builds an sdist from a copy of the sources and pip-installs it three
times (one with a C++ compile), each into a folder of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from checks import run

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "divergences" / "wasserstein" / "_native"
WORK = Path(tempfile.mkdtemp(prefix="divergences-build-check-"))


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "DIVERGENCES_"))}
    return subprocess.run(
        args, cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=900
    )


def cibuildwheel_builds_one_abi3_wheel_per_platform() -> None:
    # One CPython (3.11: the extension uses its limited API, so the wheel is abi3) per
    # operating system and architecture; no musllinux, no 32-bit.
    for platform, identifiers in (
        ("linux", ["cp311-manylinux_x86_64", "cp311-manylinux_aarch64"]),
        ("macos", ["cp311-macosx_x86_64", "cp311-macosx_arm64"]),
        ("windows", ["cp311-win_amd64"]),
    ):
        args = ["--print-build-identifiers", "--platform", platform]
        proc = _run([sys.executable, "-m", "cibuildwheel", *args], ROOT)
        assert proc.returncode == 0, proc.stderr
        assert sorted(proc.stdout.split()) == sorted(identifiers), (platform, proc.stdout)


def _sdist() -> Path:
    """The sdist, built once from a copy of the sources (a build writes egg-info into its tree)."""
    out = WORK / "sdist"
    found = sorted(out.glob("divergences-*.tar.gz"))
    if found:
        return found[0]
    tree = WORK / "tree"
    skip = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.egg-info")
    for name in ("divergences", "proofs", "tests"):
        shutil.copytree(ROOT / name, tree / name, ignore=skip)
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    proc = _run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out)], tree
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("divergences-*.tar.gz")
    return path


def _install(target: Path, **env: str) -> subprocess.CompletedProcess:
    target.parent.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "pip", "install", "-v", "--no-deps", "--no-build-isolation"]
    return _run([*args, "--target", str(target), str(_sdist())], target.parent, **env)


def _extensions(target: Path) -> list[Path]:
    return sorted((target / "divergences" / "wasserstein").glob("_ot_native.*"))


def the_sdist_carries_the_cpp_and_installs_with_a_compiler() -> None:
    with tarfile.open(_sdist()) as tar:
        names = {Path(name).name for name in tar.getnames() if "/_native/" in name}
    assert names == {p.name for p in NATIVE.iterdir() if p.suffix in (".h", ".cpp")}, names
    site = WORK / "with-compiler" / "site"
    proc = _install(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (ext,) = _extensions(site)
    assert ext.name.endswith((".abi3.so", ".pyd")), ext
    # The installed copy's extension, loaded alone, solves problems with known optima.
    smoke = _run(
        [sys.executable, str(ROOT / ".ci" / "wheel_smoke.py")], site.parent, PYTHONPATH=str(site)
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert f"loaded {ext}" in smoke.stdout, smoke.stdout


def build_native_0_installs_without_the_extension() -> None:
    site = WORK / "native-0" / "site"
    proc = _install(site, DIVERGENCES_BUILD_NATIVE="0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _extensions(site) == []
    assert (site / "divergences" / "wasserstein" / "primal.py").exists()


def a_failed_compile_warns_and_installs_without_the_extension() -> None:
    site = WORK / "failed-compile" / "site"
    proc = _install(site, CC="false", CXX="false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _extensions(site) == []
    assert "was not built" in proc.stdout + proc.stderr
    assert "install a C++17 compiler and reinstall" in proc.stdout + proc.stderr


if __name__ == "__main__":
    try:
        status = run(
            [
                cibuildwheel_builds_one_abi3_wheel_per_platform,
                the_sdist_carries_the_cpp_and_installs_with_a_compiler,
                build_native_0_installs_without_the_extension,
                a_failed_compile_warns_and_installs_without_the_extension,
            ]
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)
