"""Writes tests/long_tests.txt: the slow tests that took LONG seconds or more, from a durations log.

The log is the output of ``pytest -n 2 -m "slow and not proof" --durations=0`` run from a fresh
compile cache (``rm -rf build/jax-cache`` first): every slow test, long or not; or of CI's
``make test-slow`` after ``make test`` (``PYTEST_ARGS=--durations=0``), which adds the slow tests
that now take LONG seconds to the list and keeps the rest of it. A
test's seconds are its setup, call and teardown added. A listed test missing from the log is
kept, and named. The tests listed are marked ``long`` by
the root conftest.py: ``make test-long`` runs them, CI's ``make test-slow`` runs the rest.

Usage: python .ci/long_tests.py LOG [--seconds 3]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIST = ROOT / "tests" / "long_tests.txt"
HEADER = """\
# The slow tests that CI leaves to `make test-long`: each took {seconds:g} s or more (setup, call
# and teardown) in a slow-tier run on a 2-core machine, from a fresh compile cache or from the one
# the quick tier leaves, as in CI (the last run: {date}).
# conftest.py marks them `long`. Written by `python .ci/long_tests.py LOG`; a test not
# listed runs in CI's `make test-slow`.
"""
# A test's id may hold spaces (a parameter's id): the rest of the line is the id.
LINE = re.compile(r"([\d.]+)s (?:setup|call|teardown)\s+(\S.*?)\s*$")


def main() -> None:
    """Reads the log, writes the list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=pathlib.Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    seconds: collections.Counter[str] = collections.Counter()
    for line in args.log.read_text().splitlines():
        if m := LINE.match(line):
            seconds[m.group(2)] += float(m.group(1))
    listed = {t for t in LIST.read_text().splitlines() if t and not t.startswith("#")}
    missing = sorted(listed - set(seconds))
    for nodeid in missing:
        print(f"not in the log, kept: {nodeid}")
    long = sorted({*missing, *(nodeid for nodeid, s in seconds.items() if s >= args.seconds)})
    LIST.write_text(HEADER.format(seconds=args.seconds, date=args.date) + "\n".join(long) + "\n")
    kept = sum(s for s in seconds.values() if s < args.seconds)
    print(f"{len(long)} tests listed ({sum(seconds.values()) - kept:.0f} s); {kept:.0f} s left")


if __name__ == "__main__":
    main()
