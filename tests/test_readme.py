"""The README's example runs, and the numbers in its comments are the ones it computes."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

from divergences.testing import tolerance

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
NUMBERS = re.compile(r"^\s*(-?\d+(?:\.\d+)?(?:,\s*-?\d+(?:\.\d+)?)*)")


def python_block(after: str = "") -> list[str]:
    """The lines of the README's first Python block after the line ``after`` (the first of all)."""
    text = README.read_text()
    if after:
        text = text.split(f"\n{after}\n", 1)[1]
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def test_example_is_at_most_ten_lines() -> None:
    assert 0 < len([line for line in python_block() if line.strip()]) <= 10


def test_example_runs_and_its_comments_state_what_it_computes() -> None:
    assert _run_checking_the_comments(python_block()) >= 4


def test_the_example_from_samples_is_short_runs_and_states_what_it_computes() -> None:
    lines = python_block("### From samples")
    assert 0 < len([line for line in lines if line.strip()]) <= 10
    assert _run_checking_the_comments(lines) >= 1


def _run_checking_the_comments(lines: list[str]) -> int:
    """Runs ``lines``; a line whose comment starts with numbers must compute them (rounded).

    A stated number is the value to its last digit: within half a unit of that digit, widened by
    the backend's rounding, so that a value on the edge of a digit reads the same on any backend.
    """
    namespace: dict[str, object] = {}
    checked = 0
    for line in lines:
        code, _, comment = line.partition("#")
        stated = NUMBERS.match(comment)
        if stated is None or not code.strip() or "=" in code.split("(")[0]:
            exec(line, namespace)
            continue
        value = np.atleast_1d(np.asarray(eval(code, namespace), dtype=float))
        expected = [float(x) for x in stated.group(1).split(",")]
        decimals = max(len(x.split(".")[1]) if "." in x else 0 for x in stated.group(1).split(","))
        digit = 0.5 * 10.0**-decimals
        np.testing.assert_allclose(
            value, expected, rtol=tolerance("backend_float64")["rtol"], atol=digit, err_msg=line
        )
        checked += 1
    return checked


@pytest.mark.slow  # 1.7 s from a cold compile cache: over the quick tier's 1 s
def test_the_users_proof_in_the_readme_verifies(tmp_path: pathlib.Path) -> None:
    import io
    import textwrap

    from divergences.lab.verify import verify

    blocks = README.read_text().split("```python\n")
    proof_block = next(b.split("```", 1)[0] for b in blocks[1:] if "PROOF = Proof(" in b)
    path = tmp_path / "proof_readme.py"
    path.write_text(textwrap.dedent(proof_block))
    out = io.StringIO()
    report = verify(paths=[path], tour=False, stream=out)
    assert report.ok, out.getvalue()
    assert len(report.outcomes) == 1
    assert "drawn examples" in report.outcomes[0].check.detail  # type: ignore[union-attr]
    # One proof of one step, said in the singular.
    assert "Verifying 1 derivation, 1 step (float64)" in out.getvalue()
    assert "the 1 step holds" in out.getvalue() and "1 steps" not in out.getvalue()


ROOT = README.parent
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]


def test_no_page_tells_a_user_to_install_from_an_index_that_does_not_serve_it() -> None:
    # Only the lab extra brings the command line, and no index serves the package yet: every
    # install line names the extra, and the index's one says "once it is published".
    for page in PAGES:
        text = " ".join(page.read_text().split())
        assert not re.search(r"pip install\s+divergences(?!\[)", text), page
        for match in re.finditer(r"pip install \"divergences\[lab\]\"", text):
            said = text[match.end() : match.end() + 40]
            assert "published" in said, f"{page}: {match.group()}{said}"


def test_the_quoted_time_of_the_large_w1_solve_is_the_benchmarks_latest() -> None:
    # The current table of large samples at 10^5 (benchmarks/README.md keeps the latest only).
    text = (ROOT / "benchmarks" / "README.md").read_text()
    table = text.split("## Wasserstein-1 between large samples", 1)[1].split("\n## ", 1)[0]
    table = table.split("--sizes 100000", 1)[1]
    (seconds,) = re.findall(r"^\| same law \| ([\d.]+) s \|", table, flags=re.M)
    quoted = f"about {round(float(seconds))} s"
    for page in (README, ROOT / "docs" / "concepts" / "wasserstein.md"):
        text = " ".join(page.read_text().split())
        times = re.findall(r"about \d+ s\b", text)
        assert times and set(times) == {quoted}, (page, times, quoted)


def test_the_benchmarks_readme_is_current_and_links_its_histories() -> None:
    # The current tables only (docs/contributing.md: at most 400 lines); what they replace goes
    # into a dated history file beside it, each linked from it.
    folder = ROOT / "benchmarks"
    text = (folder / "README.md").read_text()
    assert len(text.splitlines()) <= 400
    histories = sorted(folder.glob("history-*.md"))
    assert histories
    for path in histories:
        assert f"]({path.name})" in text, path.name


def _sentences(text: str) -> list[str]:
    """The README's prose cut into sentences: code blocks, tables, headings and images left out."""
    paragraphs, para, code = [], [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            code = not code
            continue
        if code or stripped.startswith(("|", "#", "![")):
            stripped = ""
        if stripped:
            para.append(stripped)
        elif para:
            paragraphs.append(" ".join(para))
            para = []
    if para:
        paragraphs.append(" ".join(para))
    # A sentence ends at . ? or ! before a space and anything but a lowercase letter.
    return [s for p in paragraphs for s in re.split(r"(?<=[.?!])\s+(?=[^a-z])", p)]


def test_no_readme_sentence_runs_past_45_words() -> None:
    sentences = _sentences(README.read_text())
    assert len(sentences) > 50  # the cut finds the prose
    long = [f"{len(s.split())} words: {s[:80]}..." for s in sentences if len(s.split()) > 45]
    assert not long, long


def test_the_sentence_cut_ends_at_a_full_stop_and_skips_code_and_tables() -> None:
    text = "One two. Three four?\n\n```\nnot. counted.\n```\n| a. | b. |\nFive e.g. six."
    assert _sentences(text) == ["One two.", "Three four?", "Five e.g. six."]
