"""The Makefile declares what it has: every phony target exists and ``make help`` lists it.

A CI step (``make build-check``), not a test of the library.
"""

from __future__ import annotations

import pathlib
import re
import sys

from checks import run

MAKEFILE = (pathlib.Path(__file__).resolve().parent.parent / "Makefile").read_text()


def _phony() -> set[str]:
    declared = re.findall(r"^\.PHONY:((?:[^\n]*\\\n)*[^\n]*)", MAKEFILE, re.MULTILINE)
    return {name for names in declared for name in names.replace("\\\n", " ").split()}


def every_phony_target_has_a_rule_and_a_line_in_help() -> None:
    rules = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))
    helped = set(re.findall(r"^([a-z][a-z-]*):[^\n]*## \S", MAKEFILE, re.MULTILINE))
    phony = _phony()
    assert {"help", "verify", "test", "check", "docs", "build-check"} <= phony, sorted(phony)
    assert not phony - rules, f"declared but missing: {sorted(phony - rules)}"
    assert helped == phony, (
        f"not in make help: {sorted(phony - helped)}; not phony: {sorted(helped - phony)}"
    )


if __name__ == "__main__":
    sys.exit(run([every_phony_target_has_a_rule_and_a_line_in_help]))
