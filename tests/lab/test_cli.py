"""The command line: ``tour`` reproduces the built-in examples; ``verify``, ``plot``, ``sweep``."""

from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import divergences as dv
from divergences._launcher import main as launcher_main
from divergences.lab import cli
from divergences.lab.cli import main
from divergences.lab.commands import tour_subcommand
from divergences.lab.verify.examples import EXAMPLES
from divergences.lab.verify.tour import TourRow, format_tour, tour
from divergences.testing import tolerance


@pytest.mark.slow
def test_tour_succeeds_and_prints_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    assert "all known values reproduced" in out
    for ex in EXAMPLES:
        assert ex.name[:30] in out


@pytest.mark.slow
def test_tour_prints_every_column_name_in_full() -> None:
    rows = tour()
    head, rule, *body = format_tour(rows).splitlines()
    names = head.split()
    for key in rows[0].values:
        assert key in names, key
    # Every row lines up under the header: the same width, and each value ends where its name does.
    assert all(len(line) == len(head) for line in body)
    assert len(rule) == len(head)


def test_tour_fails_when_the_tolerance_cannot_be_met(  # type: ignore[no-untyped-def]
    capsys, monkeypatch
) -> None:
    # An example off its known value by 0.5: the command must say so and return 1.
    rows = [TourRow("off by a half", {"kl": 1.0}, 0.5)]
    monkeypatch.setattr(tour_subcommand, "tour", lambda: rows)
    assert main(["tour"]) == 1
    assert "FAILED: largest error 5.000e-01 exceeds 1.0e-12" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "tiny"])
def test_tour_refuses_a_tolerance_that_is_not_a_finite_number_at_least_zero(  # type: ignore[no-untyped-def]
    value, capsys
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["tour", "--tolerance", value])
    assert stop.value.code == 2
    assert "argument --tolerance: must be a" in capsys.readouterr().err


@pytest.mark.slow
def test_tour_values_match_the_functions() -> None:
    rows = tour()
    assert [r.name for r in rows] == [ex.name for ex in EXAMPLES]
    for row, ex in zip(rows, EXAMPLES, strict=True):
        assert row.worst_error <= tolerance("float64")["rtol"]  # values are of order 1
        assert row.values["kl"] == float(dv.kl(ex.p, ex.q))
        for key, known in ex.known.items():
            if math.isinf(known):
                assert row.values[key] == known
            else:
                assert abs(row.values[key] - known) <= row.worst_error


def test_unknown_command_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["no-such-command"])


@pytest.mark.slow
def test_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "divergences", "tour"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "all known values reproduced" in out.stdout


# verify, plot and sweep

ROOT = Path(__file__).resolve().parent.parent

FAILING_PROOF = '''
"""A proof with one step that holds and one that misses by 0.5 (for the exit-code test)."""
from divergences.lab.proof import Check, Proof

PROOF = Proof("injected")


@PROOF.step("two equals two", method="numeric")
def _holds() -> Check:
    return Check.equal(2.0, 2.0, rtol=0.0, atol=0.0)


@PROOF.step("two equals two and a half", method="numeric")
def _misses() -> Check:
    return Check.equal(2.0, 2.5, rtol=0.0, atol=1e-12)
'''


@pytest.mark.slow
def test_verify_exits_zero_prints_the_table_and_writes_figures(  # type: ignore[no-untyped-def]
    tmp_path, capsys, monkeypatch
) -> None:
    # A subset of the proofs and of the figures keeps this test short: pytest runs every proof
    # step itself, tests/lab/figures/test_divergence_figures.py writes every figure, and CI's wheel-check
    # runs the whole of `divergences verify`. Here verify writes the two cheapest figures, for real.
    from divergences.lab.figures import figure_catalogue

    cheap = ["transport_plan", "kr_potential"]
    make_figures = figure_catalogue.make_figures
    monkeypatch.setattr(
        figure_catalogue, "make_figures", lambda out_dir: make_figures(out_dir, cheap)
    )
    code = main(["verify", "--out", str(tmp_path), "--only", "proof_03", "proof_12"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "claim" in out and "method" in out and "verdict" in out
    assert "V(G, D*) = -log 4 + 2 JS" in out
    assert "3/10 + 2/10 + 1/10" in out
    assert "built-in examples" in out  # the tour is part of verify
    assert " FAIL" not in out and "steps hold" in out
    assert "4 figure files written" in out
    assert (tmp_path / "transport_plan.png").exists() and (tmp_path / "kr_potential.svg").exists()


def test_verify_exits_nonzero_on_a_failing_step_and_names_it(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    proofs = tmp_path / "injected_proofs"
    proofs.mkdir()
    (proofs / "proof_99_injected.py").write_text(FAILING_PROOF)
    code = main(["verify", str(proofs)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED [injected] step 'misses': two equals two and a half" in out
    assert "error 5.000e-01 exceeds the tolerance 1.0e-12" in out
    assert "1 of 2 steps FAILED" in out
    assert not list(tmp_path.glob("*.png"))


def test_verify_missing_path_is_one_line_not_a_traceback(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("divergences verify: error: no proof file or folder at")
    assert len(err.strip().splitlines()) == 1
    assert main(["verify", str(tmp_path)]) == 2
    assert "no proof_*.py files in the folder" in capsys.readouterr().err


def test_a_command_leaves_the_garbage_collector_as_it_found_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The command runs with fewer collections (lab/cli.py); the caller's settings come back.

    Frozen objects stay frozen where the caller froze them (as this session does), and nothing
    is left frozen where it froze none.
    """
    import gc

    threshold = gc.get_threshold()
    assert gc.get_freeze_count() > 0  # the session's own (conftest.py)
    assert main(["verify", str(tmp_path / "nowhere")]) == 2  # cheap: the error raised inside
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    try:
        assert main(["verify", str(tmp_path / "nowhere")]) == 2
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() == 0
    finally:
        gc.freeze()


def test_verify_only_matching_no_proof_is_an_error_naming_the_proofs(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # A filter that matches nothing is a typo: exit 2 with the choices, no run, no figures.
    assert main(["verify", "--out", str(tmp_path), "--only", "proof_03", "nonexistent"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("divergences verify: error: no proof file's name contains 'nonexistent'")
    assert "proof_01_max_likelihood" in err and "proof_27_continuous_gan" in err
    assert not list(tmp_path.iterdir())
    (tmp_path / "proof_99_injected.py").write_text(FAILING_PROOF)
    assert main(["verify", str(tmp_path), "--only", "proof_98"]) == 2
    assert "the proof files are: proof_99_injected" in capsys.readouterr().err


def test_every_command_and_option_says_what_it_does_and_its_default() -> None:
    parser = cli.build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert command.description, f"divergences {name} --help has no description"
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            where = f"divergences {name} {action.dest}"
            assert action.help, f"{where} has no help text"
            if action.option_strings and action.default not in (None, False):
                assert "default" in action.help, f"{where} does not show its default"


@pytest.mark.slow
def test_plot_writes_one_figure(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["plot", "optimal_discriminator", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "optimal_discriminator.png").exists()
    assert "optimal_discriminator.svg" in capsys.readouterr().out


@pytest.mark.slow
def test_sweep_writes_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lines.csv"
    code = main(
        [
            "sweep",
            "parallel_lines",
            "--start",
            "-1",
            "--stop",
            "1",
            "--num",
            "5",
            "--quantities",
            "js",
            "w1",
            "--gradients",
            "--csv",
            str(path),
        ]
    )
    assert code == 0
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["theta"]) for r in rows] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    np.testing.assert_allclose(
        [float(r["w1"]) for r in rows], [1.0, 0.5, 0.0, 0.5, 1.0], **tolerance("lp")
    )
    np.testing.assert_allclose(
        [float(r["d_w1"]) for r in rows[:2]], [-1.0, -1.0], **tolerance("gradient")
    )


def test_version_prints_the_packages_version(capsys: pytest.CaptureFixture[str]) -> None:
    # The package's version, which is the one pyproject.toml builds.
    with pytest.raises(SystemExit) as stop:
        launcher_main(["--version"])
    assert stop.value.code == 0
    project = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["project"]
    assert dv.__version__ == project["version"]
    assert capsys.readouterr().out == f"divergences {dv.__version__}\n"


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--num", "0", ">= 1"),
        ("--num", "-3", ">= 1"),
        ("--num", "two", ">= 1"),
        ("--certify", "-1", ">= 0"),
    ],
)
def test_sweep_refuses_a_count_out_of_range_naming_the_option_and_the_rule(  # type: ignore[no-untyped-def]
    option, value, rule, capsys
) -> None:
    # Before: --num 0 ran and failed with "thetas must be a non-empty 1-D array", naming no option.
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "parallel_lines", option, value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: must be a whole number {rule}, got" in err
    assert value in err


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    # The command's launcher, in this process (test_python_dash_m starts it as `python -m`).
    with pytest.raises(SystemExit) as stop:
        launcher_main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for sub in ("verify", "plot", "sweep", "tour", "train", "estimate"):
        assert sub in out


USER_PROOF = '''
"""A user's own derivation: a true property and a false one, over drawn pmfs."""
import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples
from divergences.testing import pmf_pairs, tolerance

PROOF = Proof("my claims about TV")
F64 = tolerance("float64")


@PROOF.step("TV(p, q) <= 1", method="hypothesis")
def _bounded() -> Check:
    return over_examples(
        pmf_pairs(n=3),
        lambda pq: Check.at_most(float(dv.total_variation(*pq)), 1.0, atol=F64["atol"]),
    )


@PROOF.step("TV(p, q) <= 1/2 (false: disjoint supports give 1)", method="hypothesis")
def _too_strong() -> Check:
    return over_examples(
        pmf_pairs(n=3),
        lambda pq: Check.at_most(float(dv.total_variation(*pq)), 0.5, atol=F64["atol"]),
    )
'''


@pytest.mark.slow
def test_a_users_proof_from_an_empty_folder_shows_the_counterexample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # As a user runs it: their own file, `python -m divergences verify FILE`, from a folder that
    # holds nothing of the source tree, with no Hypothesis settings of their own.
    proof = tmp_path / "proof_mine.py"
    proof.write_text(USER_PROOF)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    out = subprocess.run(
        [sys.executable, "-m", "divergences", "verify", str(proof)],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
        env=env,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line[:4].strip().isdigit()]
    verdicts = [row[-1] for row in rows]
    assert verdicts == ["ok", "FAIL"], out.stdout
    assert "FAILED [my claims about TV] step 'too_strong'" in out.stdout
    assert "counterexample (the drawn input that breaks it):" in out.stdout
    assert "array([" in out.stdout  # the drawn pmfs, written out as arrays
    assert "1 of 2 steps FAILED" in out.stdout
    # Nothing is written in the folder it runs from: no figures unless asked, no .hypothesis/.
    assert not list(work.iterdir())


@pytest.mark.slow
def test_in_process_verify_leaves_hypothesis_storage_as_it_found_it(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from hypothesis.configuration import storage_directory

    proof = tmp_path / "proof_mine.py"
    proof.write_text(USER_PROOF)
    before = storage_directory().path
    assert main(["verify", str(proof)]) == 1
    capsys.readouterr()
    assert storage_directory().path == before


TYPO_PROOF = '''
"""A proof that imports the framework from a module that does not exist."""
import math

from divergences.proof import Check, Proof

PROOF = Proof("typo")
'''


def _verify_from_an_empty_folder(
    tmp_path: Path, source: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    proof = tmp_path / "proof_mine.py"
    proof.write_text(source)
    work = tmp_path / "empty"
    work.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "divergences", "verify", str(proof)],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
    )
    return proof, out


@pytest.mark.slow
def test_a_typod_import_exits_2_with_one_message_naming_the_file_the_line_and_a_close_name(
    tmp_path: Path,
) -> None:
    proof, out = _verify_from_an_empty_folder(tmp_path, TYPO_PROOF)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        f"divergences verify: error in a proof file: {proof}, line 5: "
        "ModuleNotFoundError: No module named 'divergences.proof'",
        "    from divergences.proof import Check, Proof",
        "hint: did you mean divergences.lab.proof?",
    ]


@pytest.mark.parametrize(
    ("source", "line", "error", "hint"),
    [
        ("x = 1\ndef f(:\n    pass\n", 2, "SyntaxError: invalid syntax", None),
        (
            "from divergences.lab.proof import Chek, Proof\n",
            1,
            "ImportError: cannot import name 'Chek' from 'divergences.lab.proof'",
            "hint: did you mean Check?",
        ),
        (
            "import divergences.lab.prof\n",
            1,
            "ModuleNotFoundError: No module named 'divergences.lab.prof'",
            "hint: did you mean divergences.lab.proof?",
        ),
        (
            "from divergences.kl import kl\n",
            1,
            "ModuleNotFoundError: No module named 'divergences.kl'",
            "hint: the library's modules are private: import their functions from the package "
            "itself (from divergences import kl, or import divergences as dv)",
        ),
        ("PROOF = 1 / 0\n", 1, "ZeroDivisionError: division by zero", None),
    ],
    ids=[
        "syntax",
        "close-name",
        "close-module",
        "private-module",
        "top-level",
    ],
)
def test_a_proof_file_that_does_not_load_is_one_message_and_exit_2(  # type: ignore[no-untyped-def]
    tmp_path, capsys, source, line, error, hint
) -> None:
    proof = tmp_path / "proof_broken.py"
    proof.write_text(source)
    assert main(["verify", str(proof)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith(
        f"divergences verify: error in a proof file: {proof}, line {line}: {error}"
    ), lines
    assert lines[1] == "    " + source.splitlines()[line - 1].strip()
    assert lines[2:] == ([hint] if hint else [])


def test_each_subcommand_registers_itself_with_its_own_run_function():
    """``cli`` only assembles: each module of SUBCOMMANDS adds one subparser, run by its own code."""
    import argparse

    from divergences.lab.commands import SUBCOMMANDS

    names = []
    for module in SUBCOMMANDS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        module.register(sub)
        (name,) = sub.choices
        func = sub.choices[name].get_default("func")
        assert func.__module__ == module.__name__, (name, func)
        names.append(name)
    assert names == list(cli.build_parser()._subparsers._group_actions[0].choices)
