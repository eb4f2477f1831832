"""The requirements the Makefile installs, read from pyproject.toml, one a line.

``python .ci/requirements.py test lint`` prints the core dependencies and those of the extras
named, the extras of the project itself that they name (``divergences[cluster]``) expanded in
place: what ``pip install -e ".[test,lint]"`` installs besides the project. The Makefile installs
them beside the project's own build (its C++ extension, a compiler busy on one core while pip
mostly writes files), not after it. ``--build`` prints the build system's requirements instead.
"""

from __future__ import annotations

import pathlib
import re
import sys
import tomllib

PYPROJECT = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(extras: list[str], project: dict) -> list[str]:
    """The core dependencies and those of ``extras``, the project's own extras expanded."""
    name = project["name"]
    optional = project["optional-dependencies"]
    out: list[str] = list(project["dependencies"])
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop(0)
        if extra in seen:
            continue
        if extra not in optional:
            raise SystemExit(f"no extra {extra!r} in pyproject.toml: {sorted(optional)}")
        seen.add(extra)
        for req in optional[extra]:
            own = re.fullmatch(rf"{re.escape(name)}\[([^\]]+)\]", req.replace(" ", ""))
            if own:
                todo.extend(own.group(1).split(","))
            elif req not in out:
                out.append(req)
    return out


def main(argv: list[str]) -> None:
    config = tomllib.loads(PYPROJECT.read_text())
    if argv == ["--build"]:
        lines = config["build-system"]["requires"]
    elif argv and not any(a.startswith("-") for a in argv):
        lines = requirements(argv, config["project"])
    else:
        raise SystemExit("usage: requirements.py EXTRA [EXTRA ...] | --build")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
