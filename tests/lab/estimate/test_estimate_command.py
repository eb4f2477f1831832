"""``divergences estimate X Y``: the table, the JSON, and the files it refuses (exit status 2)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import divergences as dv
from divergences.estimate import INTERVAL_KINDS, NoCoverageWarning
from divergences.lab.cli import main
from divergences.lab.estimate.estimate_rows import FEATURE_UNITS, p_text

FIELDS = tuple(
    "value lower_bound upper_bound level kind sides assumption method n m quantity".split()
)


def _save(folder: Path, name: str, a: np.ndarray) -> str:
    path = folder / name
    np.save(path, a)
    return str(path)


def _pair(
    folder: Path, d: int, n: int = 300, m: int = 250
) -> tuple[str, str, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((n, d)), rng.standard_normal((m, d)) + 0.5
    return _save(folder, "x.npy", x), _save(folder, "y.npy", y), x, y


#: The options of ``divergences estimate`` that take no value.
_SWITCHES = ("--json", "--allow-wide", "--no-progress")


def _files_in(argv: tuple[str, ...]) -> int:
    """How many files ``argv`` names (``--reference R`` counted)."""
    named = argv.count("--reference")
    after_option = [i > 0 and argv[i - 1].startswith("--") and argv[i - 1] not in _SWITCHES
                    for i in range(len(argv))]  # fmt: skip
    return named + sum(
        not a.startswith("--") and not o for a, o in zip(argv, after_option, strict=True)
    )


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    # the test's relabellings cut to 19 where the test runs (an option no row reads is refused)
    rows = argv[argv.index("--rows") + 1] if "--rows" in argv else "test"
    tested = _files_in(argv) == 2 and ("test" in rows.split(",") or rows == "all")
    quick = ["--permutations", "19"] if tested else []
    assert main(["estimate", *argv, "--json", *quick, "--no-progress"]) == 0
    # Strict JSON, which every reader takes: no NaN, Infinity or -Infinity.
    return json.loads(capsys.readouterr().out, parse_constant=_not_strict)


def _unwrapped(out: str) -> str:
    """The command's text with each wrapped line joined back to the line it continues."""
    return out.replace("\n    ", " ")


def _not_strict(constant: str) -> None:
    raise AssertionError(f"{constant} is not strict JSON")


def _number(v: float | str) -> float:
    return float(v)  # "inf" and "-inf" are the JSON's infinite ends


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_the_table_prints_each_estimate_of_the_library_with_its_kind_and_assumption(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    xp, yp, x, y = _pair(tmp_path, 2)
    assert main(["estimate", xp, yp, "--seed", "3", "--permutations", "19", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "300 draws in 2 dimensions" in lines[0] and "250 draws in 2 dimensions" in lines[1]
    assert lines[2].split()[:3] == ["estimate", "value", "interval"]
    assert lines[2].split()[4:] == ["kind", "claimed", "seconds", "assumes"]
    assert max(len(line) for line in lines) <= 120  # a longer line wraps
    rows = {line.split("  ")[0]: line for line in lines[4:]}
    for name in ("KL(P || Q)", "KL(Q || P)", "JS(P, Q)", "W1(P, Q)", "KID(P, Q)", "FD(P, Q)", "H(P)",
                 "H(Q)"):  # fmt: skip
        assert name in rows, name
    # The rows are the library's estimates with the seed given, not another computation.
    kl = dv.estimate.kl(x, y, seed=3)
    assert f"{kl.value:.4g}" in rows["KL(P || Q)"]
    assert f"[{kl.lower_bound:.4g}, {kl.upper_bound:.4g}]" in rows["KL(P || Q)"]
    assert kl.kind in rows["KL(P || Q)"]
    number = rows["KL(P || Q)"].split()[-1]  # its assumption's number, the assumption below once
    assert [line for line in lines if line.startswith(number)] == [f"{number} {kl.assumption}"]
    # MMD^2's intervals claim nothing with the median heuristic: left out, saying how to claim.
    assert "MMD^2(P, Q)" not in rows
    out = _unwrapped(out)  # one reason, said once for the two rows it leaves out
    assert (
        "skipped: MMD^2(P, Q); MMD^2(P, Q), normal (--rows mmd,mmd-normal runs them): with the "
        "median heuristic" in out
    )
    assert out.count("with the median heuristic's bandwidth") == 1
    assert "--bandwidth S fixes the kernel" in out
    assert "MMD permutation test of P == Q: p = 0.05 (19 relabellings" in out
    # The DKW bands are for the line only: left out, and said so.
    assert "W1(P, Q), DKW" not in rows and "skipped: W1(P, Q), DKW (--rows w1-dkw" in out


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_the_json_holds_every_field_of_each_estimate_and_the_test(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp, yp, x, y = _pair(tmp_path, 1)
    doc = _json(capsys, xp, yp, "--level", "0.9", "--seed", "2")
    assert doc["level"] == 0.9 and doc["seed"] == 2
    assert doc["x"]["shape"] == [300, 1] and doc["y"]["shape"] == [250, 1]
    names = [e["name"] for e in doc["estimates"]]
    assert names == [
        "KL(P || Q)", "KL(Q || P)", "JS(P, Q)", "W1(P, Q)", "W1(P, Q), DKW", "KID(P, Q)",
        "FD(P, Q)", "precision(real P, generated Q)", "recall(real P, generated Q)",
        "density(real P, generated Q)", "coverage(real P, generated Q)", "H(P)", "H(Q)",
    ]  # fmt: skip
    for e in doc["estimates"]:
        assert all(f in e for f in FIELDS), e
        assert e["kind"] in INTERVAL_KINDS and e["level"] == 0.9
        lower, value, upper = (
            _number(e["lower_bound"]),
            _number(e["value"]),
            _number(e["upper_bound"]),
        )
        assert lower <= value <= upper
        assert e["claims_coverage"] == (e["kind"] in ("finite-sample", "asymptotic"))
    dkw = doc["estimates"][4]
    # A one-sided bound: the claimed end is the lower one, the upper one W1's range, unclaimed.
    assert (
        dkw["sides"] == "lower"
        and dkw["bound"] == dkw["lower_bound"]
        and dkw["upper_bound"] == "inf"
    )
    assert dkw["kind"] == "finite-sample" and dkw["claims_coverage"]
    assert dkw["value"] == dv.estimate.w1_dkw(x, y, level=0.9).value
    (test,) = doc["tests"]
    assert test["name"] == "MMD permutation test of P == Q"
    assert 0.0 < test["p_value"] <= 1.0 and test["parameters"]["permutations"] == 19
    assert test["test"] == "permutation"
    assert test["statistic"] == dv.estimate.mmd_test(x, y, permutations=19, seed=2).statistic


def test_a_warning_of_no_coverage_is_a_column_not_a_printed_warning(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp, yp, _, _ = _pair(tmp_path, 4, n=80, m=80)  # k-NN above d = 2: no coverage claimed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = _json(capsys, xp, yp, "--rows", "kl,fd")
    assert not [w for w in caught if issubclass(w.category, NoCoverageWarning)]
    kl = doc["estimates"][0]
    assert kl["kind"] == "no-coverage-claim" and not kl["claims_coverage"]
    assert kl["sides"] == "none" and kl["bound"] is None
    assert any("no coverage claimed" in w for w in kl["warnings"])
    assert main(["estimate", xp, yp, "--rows", "kl", "--no-progress"]) == 0
    out = _unwrapped(capsys.readouterr().out).splitlines()
    row = next(r for r in out if r.startswith("KL(P || Q)"))
    # The value as the API returns it, marked, and the reason below: never a bare number.
    assert row.split()[3:8] == [f"{kl['value']:.4g}", "(no", "claim)", "none", "no-coverage-claim"]
    # one reason, said once for the rows it concerns
    (note,) = [r for r in out if ": no coverage claimed: " in r and "KL(P || Q)" in r]
    assert note.startswith("KL(P || Q), KL(Q || P): no coverage claimed: ")
    assert "measured to hold in d <= 2" in note and "here d = 4" in note


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_kid_fd_and_the_normal_mmd_interval_are_the_library_s_on_the_same_draws(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    xp, yp, x, y = _pair(tmp_path, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = _json(capsys, xp, yp, "--level", "0.9", "--seed", "5", "--rows", "all")
    assert not [w for w in caught if issubclass(w.category, NoCoverageWarning)]
    rows = {e["name"]: e for e in doc["estimates"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        calls = {
            "MMD^2(P, Q), normal": dv.estimate.mmd_squared(x, y, level=0.9, interval="normal"),
            "KID(P, Q)": dv.estimate.kid(x, y, level=0.9),
            "FD(P, Q)": dv.estimate.frechet(x, y, level=0.9, seed=5),
        }
    for name, e in calls.items():
        row = rows[name]
        assert (row["quantity"], row["kind"], row["sides"]) == (e.quantity, e.kind, e.sides)
        assert (row["n"], row["m"]) == (300, 250)
        ends = [row["value"], _number(row["lower_bound"]), _number(row["upper_bound"])]
        assert ends == pytest.approx([e.value, e.lower_bound, e.upper_bound], rel=1e-9)
    # One statistic under two intervals (two passes over the kernel matrix: its rounding apart).
    normal, mcdiarmid = rows["MMD^2(P, Q), normal"], rows["MMD^2(P, Q)"]
    assert normal["value"] == pytest.approx(mcdiarmid["value"], rel=1e-9)
    assert normal["kind"] == mcdiarmid["kind"] == "plug-in-assumption"  # the median heuristic
    for name in ("KID(P, Q)", "FD(P, Q)"):  # claimed from 1000 draws: here the warning, recorded
        row = rows[name]
        assert row["kind"] == "no-coverage-claim" and row["upper_bound"] == "inf"
        assert any("no coverage claimed" in w for w in row["warnings"])


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_a_csv_file_gives_the_estimates_of_the_same_draws_as_npy(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp, yp, x, _ = _pair(tmp_path, 2, n=60, m=60)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",", fmt="%.17g", header="draws of P")
    from_npy = _json(capsys, xp, yp)
    from_csv = _json(capsys, str(tmp_path / "x.csv"), yp)
    untimed = [{k: v for k, v in e.items() if k != "seconds"} for e in from_npy["estimates"]]
    assert [
        {k: v for k, v in e.items() if k != "seconds"} for e in from_csv["estimates"]
    ] == untimed


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_a_one_dimensional_array_is_read_as_draws_on_the_line_and_said_so(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    rng = np.random.default_rng(1)
    xp = _save(tmp_path, "x.npy", rng.standard_normal(100))
    yp = _save(tmp_path, "y.npy", rng.standard_normal(90))
    assert main(["estimate", xp, yp, "--permutations", "19", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "100 draws on the line (a 1-D array" in out and "90 draws on the line" in out
    assert "W1(P, Q), DKW" in out and ">= " in out  # the one-sided bound, printed as one


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_w1_and_kid_run_on_seeded_subsamples_beyond_their_draws_and_say_so(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    xp, yp, _, _ = _pair(tmp_path, 2, n=120, m=90)
    doc = _json(capsys, xp, yp, "--w1-draws", "50", "--kid-draws", "100", "--rows", "all")
    rows = {e["name"]: e for e in doc["estimates"]}
    w1, kid = rows["W1(P, Q)"], rows["KID(P, Q)"]
    assert (w1["n"], w1["m"]) == (50, 50)
    assert "seeded subsample of 50 and 50 draws" in w1["estimator"]
    assert (kid["n"], kid["m"]) == (100, 90)  # y's 90 draws are all taken
    assert "seeded subsample of 100 and 90 draws" in kid["estimator"]
    assert rows["KL(P || Q)"]["n"] == rows["FD(P, Q)"]["n"] == 120  # the others take every draw
    assert (
        main(["estimate", xp, yp, "--permutations", "19", "--kid-draws", "100", "--no-progress"])
        == 0
    )
    out = capsys.readouterr().out
    assert "KID(P, Q): kid(x, y) on a seeded subsample of 100 and 90 draws (--kid-draws)" in out
    assert "W1(P, Q): " not in out  # 120 and 90 draws: under --w1-draws, no subsample


def test_an_estimator_that_refuses_the_draws_is_a_line_saying_why_not_a_failure(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    # Seven draws: too few for the nearest-neighbour estimators' two batches of k + 1, and for
    # FD's four batches of two.
    rng = np.random.default_rng(2)
    xp = _save(tmp_path, "x.npy", rng.standard_normal((7, 2)))
    yp = _save(tmp_path, "y.npy", rng.standard_normal((7, 2)))
    argv = ["estimate", xp, yp, "--permutations", "19", "--no-progress", "--rows", "all"]
    assert main(argv) == 0  # all: by default KL's row is left out below 250 draws
    out = capsys.readouterr().out
    assert "not estimated: KL(P || Q), kl(x, y): x must hold at least 12 draws" in out
    assert "not estimated: FD(P, Q), frechet(x, y): x must hold at least 8 draws" in out
    assert "KID(P, Q) " in out  # KID takes two
    assert "W1(P, Q) " in out  # exact transport takes two draws
    doc = _json(capsys, xp, yp, "--rows", "kl")
    assert "at least 12 draws" in doc["estimates"][0]["error"]


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["estimate", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("divergences estimate: error: ")
    assert len(captured.err.strip().splitlines()) == 1  # one message, no traceback
    return captured.err


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_an_array_with_more_columns_than_rows_is_refused_as_transposed(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    wide = _save(tmp_path, "wide.npy", rng.standard_normal((3, 40)))
    tall = _save(tmp_path, "tall.npy", rng.standard_normal((30, 40)))
    err = _refused(capsys, wide, tall)
    assert "wide.npy: shape (3, 40) has more coordinates (40) than draws (3)" in err
    assert "looks transposed" in err and "--allow-wide" in err
    assert (
        main(["estimate", wide, tall, "--allow-wide", "--permutations", "19", "--no-progress"]) == 0
    )
    assert "3 draws in 40 dimensions" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_file_is_refused_with_the_count(tmp_path, capsys, bad) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(4).standard_normal((40, 2))
    x[[5, 9], 1] = bad
    xp, yp = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", np.ones((40, 2)))
    err = _refused(capsys, xp, yp)
    assert "x.npy: draws must be finite: 2 of its 40 rows hold NaN or inf" in err


def test_files_of_two_dimensions_are_refused_naming_both(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp = _save(tmp_path, "x.npy", np.zeros((40, 2)))
    yp = _save(tmp_path, "y.npy", np.zeros((40, 3)))
    err = _refused(capsys, xp, yp)
    assert f"{xp} and {yp} must hold draws of one dimension" in err
    assert "has 2 coordinates a draw" in err and "has 3" in err


def test_unread_files_are_refused_naming_the_file_and_the_rule(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    yp = _save(tmp_path, "y.npy", np.zeros((40, 2)))
    np.savez(tmp_path / "x.npz", x=np.zeros((40, 2)))
    # a .npz is a reference in every mode, read by its rules; as a model, only draws are read
    assert "is not a reference's statistics" in _refused(capsys, str(tmp_path / "x.npz"), yp)
    assert "only .npy and .csv files" in _refused(capsys, yp, str(tmp_path / "x.npz"))
    assert "no such file" in _refused(capsys, str(tmp_path / "none.npy"), yp)
    cube = _save(tmp_path, "cube.npy", np.zeros((4, 4, 4)))
    assert "cube.npy: must hold an array of shape (n, d)" in _refused(capsys, cube, yp)
    words = _save(tmp_path, "words.npy", np.array(["a", "b"]))
    assert "words.npy: must hold real numbers" in _refused(capsys, words, yp)
    (tmp_path / "empty.npy").write_bytes(b"")
    assert "empty.npy: is empty (0 bytes)" in _refused(capsys, str(tmp_path / "empty.npy"), yp)
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "empty.csv: is empty (0 bytes)" in _refused(capsys, str(tmp_path / "empty.csv"), yp)
    (tmp_path / "cut.npy").write_bytes(Path(yp).read_bytes()[:100])  # the header, no data
    assert "cut.npy: cannot be read as an array of numbers" in _refused(
        capsys, str(tmp_path / "cut.npy"), yp
    )
    (tmp_path / "text.csv").write_text("a,b\n1,2\n")
    assert "text.csv: cannot be read as an array of numbers" in _refused(
        capsys, str(tmp_path / "text.csv"), yp
    )


@pytest.mark.parametrize("level", ["0", "1", "nan", "high"])
def test_a_level_outside_zero_one_is_a_usage_error(tmp_path, capsys, level) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stop:
        main(["estimate", "x.npy", "y.npy", "--level", level])
    assert stop.value.code == 2
    assert "argument --level: must be a number in (0, 1)" in capsys.readouterr().err


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_in_higher_dimension_the_rows_that_claim_nothing_are_skipped_and_said(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    # N(0, I) against N(e1, I) in d = 16: the nearest-neighbour rows are left out (their claim
    # holds in d <= 2); W1 reads its own claim (d <= 64): the exact W1's interval runs, beside
    # the finite-sample lower bound of w1_projected.
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((400, 16)), rng.standard_normal((400, 16))
    y[:, 0] += 1.0
    xp, yp = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", y)
    doc = _json(capsys, xp, yp, "--seed", "4")
    names = [e["name"] for e in doc["estimates"]]
    assert names == [
        "W1(P, Q)", "W1(P, Q), projected", "KID(P, Q)", "FD(P, Q)", "precision(real P, generated Q)",
        "recall(real P, generated Q)", "density(real P, generated Q)",
        "coverage(real P, generated Q)", "JS(P, Q), discriminator", "TV(P, Q), discriminator",
        "KL(P || Q), discriminator",
    ]  # fmt: skip
    w1 = doc["estimates"][1]
    expected = dv.estimate.w1_projected(x, y, seed=4)
    assert w1["sides"] == "lower" and w1["kind"] == "finite-sample"
    assert w1["lower_bound"] == pytest.approx(expected.lower_bound, rel=1e-12)
    assert 0.0 < w1["lower_bound"] <= 1.0  # W1 = 1 here: the bound holds and says something
    skipped = {s["rows"]: s["reason"] for s in doc["skipped"]}
    assert set(skipped) == {
        "kl",
        "js",
        "entropy",
        "w1-dkw",
        "mmd",
        "mmd-normal",
        "memorisation",
    }
    # The trained discriminator's bounds and test are the library's on the same draws.
    bounds = dv.estimate.discriminator_bounds(x, y, model="logistic", seed=4)
    rows = {e["name"]: e for e in doc["estimates"]}
    for name, e in (("JS", bounds.js), ("TV", bounds.tv)):
        row = rows[f"{name}(P, Q), discriminator"]
        assert row["sides"] == "lower" and row["kind"] == "finite-sample"
        assert row["lower_bound"] == pytest.approx(e.lower_bound, rel=1e-9)
    assert 0.0 < rows["JS(P, Q), discriminator"]["lower_bound"] < 0.1114  # JS of N(0,1), N(1,1)
    tests = {t["name"]: t for t in doc["tests"]}
    assert tests["classifier test of P == Q"]["p_value"] == pytest.approx(bounds.test.p_value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)  # density, coverage below 500 draws
        both = dv.estimate.fidelity_diversity(real=x, generated=y)
    assert rows["recall(real P, generated Q)"]["value"] == pytest.approx(both.recall.value)
    assert "here d = 16, n = 400" in skipped["kl"]
    assert all(e["seconds"] >= 0.0 for e in doc["estimates"]) and doc["tests"][0]["seconds"] > 0.0
    every = _json(capsys, xp, yp, "--rows", "all")
    assert {e["name"] for e in every["estimates"]} >= {"KL(P || Q)", "JS(P, Q)", "W1(P, Q)", "H(Q)"}
    assert [s["rows"] for s in every["skipped"]] == ["w1-dkw", "memorisation"]  # off the line;
    # and it needs --held-out


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_a_bandwidth_given_makes_the_mmd_intervals_finite_sample(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp, yp, x, y = _pair(tmp_path, 3, n=120, m=100)
    doc = _json(capsys, xp, yp, "--bandwidth", "1.5", "--rows", "mmd,test")
    mmd = doc["estimates"][0]
    expected = dv.estimate.mmd_squared(x, y, bandwidth=1.5)
    assert mmd["kind"] == expected.kind == "finite-sample" and mmd["claims_coverage"]
    assert mmd["value"] == pytest.approx(expected.value, rel=1e-9)
    assert "bandwidth=1.5" in mmd["estimator"]
    test = dv.estimate.mmd_test(x, y, bandwidth=1.5, permutations=19, seed=0)
    assert doc["tests"][0]["statistic"] == pytest.approx(test.statistic, rel=1e-9)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "kl,nothing"], "rows must be 'all' or a comma-separated list of kl, js"),
        (
            ["--rows", "w1-dkw"],
            "w1-dkw cannot run here: W1 from DKW's bands is for draws on the line, here d = 2",
        ),
    ],
)
def test_rows_that_do_not_exist_or_apply_are_refused(tmp_path, capsys, argv, message) -> None:  # type: ignore[no-untyped-def]
    xp, yp, _, _ = _pair(tmp_path, 2, n=40, m=40)
    assert message in _refused(capsys, xp, yp, *argv)


def test_the_memorisation_rows_read_the_held_out_file_and_are_the_library_s(
    tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    # X the training draws, Y a generator that copies a third of them, H held-out draws.
    rng = np.random.default_rng(12)
    x, h, y = (rng.standard_normal((300, 4)) for _ in range(3))
    y[:100] = x[:100] + 1e-6 * rng.standard_normal((100, 4))
    xp, yp, hp = (_save(tmp_path, f"{k}.npy", a) for k, a in (("x", x), ("y", y), ("h", h)))
    doc = _json(capsys, xp, yp, "--held-out", hp, "--rows", "memorisation")
    want = dv.estimate.memorisation(training=x, generated=y, held_out=h)
    rows = {e["name"]: e for e in doc["estimates"]}
    share = rows["share of Q copying P"]
    assert (share["value"], share["lower_bound"]) == (want.copied.value, want.copied.lower_bound)
    assert share["lower_bound"] > 0.1  # a third of Q's draws are copies
    baseline = next(n for n in doc["notes"] if n.startswith("Q's draws unauthentic"))
    assert f"near a training draw of P: {want.training.value:.4g}, against the baseline" in baseline
    (test,) = doc["tests"]
    assert test["p_value"] == want.test.p_value == 0.001  # no relabelling reaches it
    assert (
        main(["estimate", xp, yp, "--held-out", hp, "--rows", "memorisation", "--no-progress"]) == 0
    )
    assert "(999 relabellings; type-I error at most alpha" in capsys.readouterr().out
    assert "needs draws of P that Q's generator never saw" in _refused(
        capsys, xp, yp, "--rows", "memorisation"
    )
    wide = _save(tmp_path, "w.npy", rng.standard_normal((300, 5)))
    assert "must hold draws of" in _refused(capsys, xp, yp, "--held-out", wide)


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "wide"])
def test_a_bandwidth_not_a_positive_number_is_a_usage_error(tmp_path, capsys, bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stop:
        main(["estimate", "x.npy", "y.npy", "--bandwidth", bad])
    assert stop.value.code == 2
    assert "argument --bandwidth: must be a" in capsys.readouterr().err


def test_progress_goes_to_stderr_one_step_a_row(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    xp, yp, _, _ = _pair(tmp_path, 2, n=40, m=40)
    assert main(["estimate", xp, yp, "--rows", "fd,kid"]) == 0
    captured = capsys.readouterr()
    assert "KID(P, Q):   0%" in captured.err and "FD(P, Q):  50%" in captured.err  # by row
    assert "%|" not in captured.out


# In the slow tier: the command's other tests read the same estimates (the table, the refusals).
@pytest.mark.slow
def test_three_files_compare_two_models_against_one_reference(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # A is the reference's law, B a wider one: FD(A, R) - FD(B, R) and KID's below 0, A better.
    rng = np.random.default_rng(12)
    r, a, b = (rng.standard_normal((1000, 8)) * s for s in (1.0, 1.0, 1.4))
    rp, ap, bp = (_save(tmp_path, f"{n}.npy", v) for n, v in (("r", r), ("a", a), ("b", b)))
    doc = _json(capsys, rp, ap, bp, "--seed", "3")
    assert [doc[k]["shape"] for k in ("reference", "a", "b")] == [[1000, 8]] * 3
    rows = {e["name"]: e for e in doc["estimates"]}
    expected = dv.estimate.frechet_difference(r, a, b, seed=3)
    fd = rows["FD(A, R) - FD(B, R)"]
    assert fd["value"] == pytest.approx(expected.difference.value, rel=1e-9)
    assert _number(fd["upper_bound"]) < 0.0  # A is nearer, with the shared R accounted for
    kid = rows["KID(A, R) - KID(B, R)"]
    assert kid["value"] == pytest.approx(dv.estimate.kid_difference(r, a, b).difference.value)
    assert any(n.startswith("FD: A is no better than B") for n in doc["notes"])
    assert not any("B is no better than A" in n for n in doc["notes"])  # A looks the better
    assert FEATURE_UNITS in doc["notes"]  # their numbers are in the files' feature units
    assert main(["estimate", rp, ap, bp, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"R: {rp}, 1000 draws in 8 dimensions\nA: {ap}")
    assert "FD(A, R): the plug-in value papers print (FID: pytorch-fid's formula) is " in out


@pytest.mark.slow  # a comparison of 1000 draws a file: about 2 s
def test_where_b_looks_the_better_model_its_own_p_value_is_said(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(12)
    r, a, b = (rng.standard_normal((1000, 8)) * s for s in (1.0, 1.4, 1.0))
    rp, ap, bp = (_save(tmp_path, f"{n}.npy", v) for n, v in (("r", r), ("a", a), ("b", b)))
    doc = _json(capsys, rp, ap, bp, "--seed", "3")
    other = [n for n in doc["notes"] if "B is no better than A" in n]
    assert [n.split(":")[0] for n in other] == ["FD", "KID"] and all("p = " in n for n in other)
    expected = dv.estimate.frechet_difference(r, a, b, seed=3).p_value_b
    assert expected is not None and expected < 0.05 and other[0].endswith(p_text(expected))


@pytest.mark.slow  # 2.4 s from a cold compile cache: over the quick tier's 1 s
def test_a_reference_file_stands_for_the_reference_draws_in_fd_and_kid(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(13)
    r, a, b = (rng.standard_normal((400, 4)) + s for s in (0.0, 0.1, 0.6))
    saved = tmp_path / "r.npz"
    ref = dv.estimate.reference(r, seed=2, subsample=300)
    ref.save(saved)
    ap, bp = _save(tmp_path, "a.npy", a), _save(tmp_path, "b.npy", b)
    doc = _json(capsys, str(saved), ap, bp, "--seed", "2")
    rows = {e["name"]: e for e in doc["estimates"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)  # 400 draws: FD claims from 1000
        whole = dv.estimate.frechet_difference(r, a, b, seed=2).difference.value
    assert rows["FD(A, R) - FD(B, R)"]["value"] == pytest.approx(whole, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        kept = dv.estimate.kid_difference(ref.subsample, a, b).difference.value
    assert rows["KID(A, R) - KID(B, R)"]["value"] == pytest.approx(kept, rel=1e-12)
    # 400 draws: FD's difference claims no coverage, so it reports no p-value; KID's claims
    fd_test, kid_test = (n for n in doc["notes"] if "A is no better than B" in n)
    assert fd_test.endswith("no p-value: no coverage claimed") and "p =" not in fd_test
    assert kid_test.startswith("KID:") and "p = " in kid_test
    np.savez(tmp_path / "p.npz", mu=r.mean(0), sigma=np.cov(r, rowvar=False))
    doc = _json(capsys, str(tmp_path / "p.npz"), ap, bp)
    rows = {e["name"]: e for e in doc["estimates"]}
    assert "a Reference without draws" in rows["KID(A, R) - KID(B, R)"]["error"]


def test_the_plan_caps_the_fidelity_rows_by_size_and_keeps_kid_and_fd_on_every_draw() -> None:
    from divergences.lab.estimate.estimate_command import FIDELITY_DRAWS, planned_draws

    big = planned_draws(50_000, 40_000)
    assert big["fidelity"] == (FIDELITY_DRAWS, FIDELITY_DRAWS) and big["kid"] == (50_000, 40_000)
    assert big["w1"] == (2000, 2000) and big["mmd"] == (5000, 5000)
    assert planned_draws(8000, 300)["fidelity"] == (8000, 300)  # under the cap: every draw
    every = planned_draws(50_000, 40_000, fidelity_draws=None, kid_draws=100)
    assert every["fidelity"] == (50_000, 40_000) and every["kid"] == (100, 100)


def test_the_fidelity_rows_on_a_seeded_subsample_say_so_once_with_what_it_measures(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    xp, yp, x, y = _pair(tmp_path, 3, n=120, m=90)
    doc = _json(capsys, xp, yp, "--rows", "fidelity", "--fidelity-draws", "60", "--seed", "3")
    rng = np.random.default_rng(3)  # the only cut: W1, KID and MMD take every draw here
    xf = x[np.sort(rng.choice(120, 60, replace=False))]
    yf = y[np.sort(rng.choice(90, 60, replace=False))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        both = dv.estimate.fidelity_diversity(real=xf, generated=yf)
    rows = {e["name"]: e for e in doc["estimates"]}
    recall = rows["recall(real P, generated Q)"]
    assert (recall["n"], recall["m"]) == (60, 60) and recall["value"] == both.recall.value
    assert "seeded subsample of 60 and 60 draws" in recall["estimator"]
    assert any("samples of that size" in note for note in doc["notes"])
    main(["estimate", xp, yp, "--rows", "fidelity", "--fidelity-draws", "60", "--no-progress"])
    out = capsys.readouterr().out
    assert out.count("(--fidelity-draws)") == 1  # four rows, one call: one line


def test_the_progress_bar_is_redrawn_while_a_long_row_runs(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import time

    from divergences.lab.estimate import estimate_command as ec

    monkeypatch.setattr(ec, "TICK_SECONDS", 0.01)
    slow = ec.Planned("kid", "a slow row", "sleep", lambda: time.sleep(0.3) or 1.0)
    assert ec.run_rows([slow], progress=True)[0].result == 1.0
    assert capsys.readouterr().err.count("a slow row") >= 5  # redrawn (2 without), not frozen


def test_the_reference_is_named_by_an_option_in_every_mode_a_npz_included(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(21)
    r, a = rng.standard_normal((400, 3)), rng.standard_normal((300, 3)) + 0.3
    saved = tmp_path / "r.npz"
    ref = dv.estimate.reference(r, seed=1, subsample=200)
    ref.save(saved)
    ap = _save(tmp_path, "a.npy", a)
    doc = _json(capsys, "--reference", str(saved), ap, "--rows", "fd,kid", "--seed", "1")
    rows = {e["name"]: e for e in doc["estimates"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        fd = dv.estimate.frechet(ref, a, seed=1)
        kid = dv.estimate.kid(ref.subsample, a)
    assert rows["FD(P, Q)"]["value"] == fd.value  # FD reads the reference's statistics
    assert rows["KID(P, Q)"]["value"] == pytest.approx(kid.value, rel=1e-12)  # its subsample
    assert any("kept subsample of 200 draws" in n for n in doc["notes"])
    assert doc["x"]["read_as"].startswith("a reference's statistics of 400 draws")
    assert main(["estimate", "--reference", ap, "--no-progress"]) == 2  # a model is needed
    assert "a reference and one or two models" in capsys.readouterr().err


def test_a_file_of_fewer_draws_than_coordinates_is_read_and_fd_says_what_holds(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    rng = np.random.default_rng(22)
    xp = _save(tmp_path, "x.npy", rng.standard_normal((30, 40)))
    yp = _save(tmp_path, "y.npy", rng.standard_normal((30, 40)) + 0.2)
    doc = _json(capsys, xp, yp, "--rows", "fd")  # no --allow-wide needed
    assert "fewer draws than coordinates" in doc["x"]["read_as"]
    (fd,) = doc["estimates"]
    assert fd["kind"] == "no-coverage-claim" and "here d = 40, n = 30" in fd["assumption"]


def test_integer_features_are_converted_and_said(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(23)
    x = rng.integers(-100, 100, (60, 3)).astype(np.int8)
    xp, yp = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", x[::-1] // 2)
    doc = _json(capsys, xp, yp, "--rows", "fd")
    assert doc["x"]["read_as"].endswith("its int8 values converted to float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        want = dv.estimate.frechet(x.astype(np.float64), (x[::-1] // 2).astype(np.float64))
    assert doc["estimates"][0]["value"] == want.value


def test_a_p_value_below_the_float_range_prints_as_a_bound() -> None:
    from divergences.lab.estimate.estimate_command import p_text

    assert p_text(0.0) == "p < 1e-300" and p_text(5e-324) == "p < 1e-300"
    assert p_text(0.0123) == "p = 0.0123" and p_text(1e-300) == "p = 1e-300"


@pytest.mark.slow
def test_the_comparison_prints_each_model_then_the_differences_sharing_fd(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    rng = np.random.default_rng(24)
    r, a, b = (rng.standard_normal((300, 4)) * s for s in (1.0, 1.0, 1.3))
    rp, ap, bp = (_save(tmp_path, f"{n}.npy", v) for n, v in (("r", r), ("a", a), ("b", b)))
    doc = _json(capsys, "--reference", rp, ap, bp, "--seed", "5")
    names = [e["name"] for e in doc["estimates"]]
    assert names == [
        "FD(A, R)", "KID(A, R)", "precision(real R, generated A)", "recall(real R, generated A)",
        "FD(B, R)", "KID(B, R)", "precision(real R, generated B)", "recall(real R, generated B)",
        "FD(A, R) - FD(B, R)", "KID(A, R) - KID(B, R)",
    ]  # fmt: skip
    rows = {e["name"]: e for e in doc["estimates"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        kids = dv.estimate.kid_difference(r, a, b)
    assert rows["KID(B, R)"]["value"] == kids.b.value  # the difference's own, computed once
    assert _number(rows["KID(A, R)"]["upper_bound"]) == kids.a.upper_bound
    # the same pair gets the same FD in both modes: A's; B's is said why not
    alone = _json(capsys, "--reference", rp, ap, "--rows", "fd", "--seed", "5")
    # the same sums in another order: equal to rounding, the same printed digits
    assert rows["FD(A, R)"]["value"] == pytest.approx(alone["estimates"][0]["value"], rel=1e-9)
    assert any("FD(B, R) cuts B's draws into batches with seed + 2" in n for n in doc["notes"])
    legacy = _json(capsys, rp, ap, bp, "--seed", "5")  # the first of three declared the reference
    assert [e["value"] for e in legacy["estimates"]] == [e["value"] for e in doc["estimates"]]


def _copier_files(folder: Path) -> tuple[str, str, str, str]:
    """R the training draws, A a model of R's law, B one that returns R's draws, H held out."""
    rng = np.random.default_rng(31)
    r, h = rng.standard_normal((300, 16)), rng.standard_normal((150, 16))
    a = rng.standard_normal((300, 16)) * 1.1
    b = r[rng.integers(0, 300, 300)] + 1e-3 * rng.standard_normal((300, 16))
    return tuple(_save(folder, f"{k}.npy", v) for k, v in zip("rabh", (r, a, b, h), strict=True))  # type: ignore[return-value]


@pytest.mark.slow  # three comparisons with FD, KID and the k-NN rows: over the quick tier's 1 s
def test_a_copier_wins_no_comparison_and_is_named_before_the_verdict(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rp, ap, bp, hp = _copier_files(tmp_path)
    for extra in ((), ("--held-out", hp)):
        doc = _json(capsys, rp, ap, bp, *extra)
        rows = {e["name"]: e for e in doc["estimates"]}
        for name in ("FD(A, R) - FD(B, R)", "KID(A, R) - KID(B, R)", "FD(B, R)", "KID(B, R)",
                     "precision(real R, generated B)", "recall(real R, generated B)"):  # fmt: skip
            assert not rows[name]["claims_coverage"], name  # built on B's copies
        assert "B's draws look" in rows["FD(A, R) - FD(B, R)"]["assumption"]
        notes = doc["notes"]
        copying = [i for i, n in enumerate(notes) if n.startswith("copying: ")]
        verdicts = [i for i, n in enumerate(notes) if "A is no better than B" in n]
        assert notes[copying[1]].startswith("copying: B yes (")
        assert notes[copying[0]].startswith("copying: A no (")
        assert max(copying) < min(verdicts)  # who copies is said before who is better
        assert all(notes[i].endswith("no p-value: no coverage claimed") for i in verdicts)
    # with held-out draws: each model's memorisation rows and test, R its training draws
    names = [e["name"] for e in doc["estimates"]]
    assert "share of A copying R" in names and "share of B copying R" in names
    assert rows["share of B copying R"]["lower_bound"] > 0.5
    tests = {t["name"]: t for t in doc["tests"]}
    copied = tests["memorisation test: B's draws no nearer R's than held-out draws"]
    assert copied["p_value"] <= 0.05
    assert "memorisation test p = " in notes[copying[1]]


@pytest.mark.slow  # the memorisation test and every row of two files: over the quick tier's 1 s
def test_two_files_whose_memorisation_test_rejects_claim_nothing_but_the_test(  # type: ignore[no-untyped-def]
    tmp_path, capsys
) -> None:
    rp, _, bp, hp = _copier_files(tmp_path)
    doc = _json(capsys, rp, bp, "--held-out", hp, "--rows", "fd,fidelity,memorisation")
    rows = {e["name"]: e for e in doc["estimates"]}
    assert not rows["FD(P, Q)"]["claims_coverage"]
    assert "Q's draws look like copies" in rows["recall(real P, generated Q)"]["assumption"]
    assert rows["share of Q copying P"]["claims_coverage"]  # made for such draws
    assert doc["notes"][0].startswith("copying: Q yes (memorisation test p = ")


#: Each option of ``divergences estimate``: where it means something and how it shows.
_OPTION_WALK = {
    "rows": ("--rows", "fd"),
    "bandwidth": ("--bandwidth", "1.5"),
    "w1_draws": ("--w1-draws", "50"),
    "kid_draws": ("--kid-draws", "50"),
    "mmd_draws": ("--mmd-draws", "50"),
    "fidelity_draws": ("--fidelity-draws", "50"),
    "permutations": ("--permutations", "9"),
    "model": ("--model", "mlp"),
    "held_out": ("--held-out", None),
}
#: The options every mode reads (the files, the level, the seed and the output's form).
_EVERY_MODE = {"files", "reference", "level", "seed", "json", "allow_wide", "no_progress", "help"}


def test_every_option_is_read_or_refused_in_every_mode(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from divergences.lab.cli import build_parser
    from divergences.lab.estimate.estimate_command import OPTION_ROWS
    from divergences.lab.estimate.estimate_compare import COMPARE_OPTIONS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    dests = {a.dest for a in sub.choices["estimate"]._actions}  # type: ignore[union-attr]
    assert dests == _EVERY_MODE | set(_OPTION_WALK)  # a new option is walked here, or fails
    rng = np.random.default_rng(2)
    rp, ap, bp, hp = (_save(tmp_path, f"{k}.npy", rng.standard_normal((40, 3))) for k in "rabh")
    for dest, (flag, value) in _OPTION_WALK.items():
        option = [flag, hp if value is None else value]
        if dest not in COMPARE_OPTIONS:  # a comparison refuses it, in one line naming it
            message = _refused(capsys, rp, ap, bp, *option).split("error: ", 1)[1]
            assert message.startswith(flag) and "a comparison (R A B)" in message
        if dest in OPTION_ROWS:  # two files: refused where none of its rows runs
            other = "kid" if "kid" not in OPTION_ROWS[dest] else "fd"
            message = _refused(capsys, rp, ap, "--rows", other, *option).split("error: ", 1)[1]
            assert message.startswith(f"{flag} is read by --rows {','.join(OPTION_ROWS[dest])}")
    # what a comparison reads, it uses: the subsamples said in the rows, the held-out rows run
    doc = _json(capsys, rp, ap, bp, "--kid-draws", "20", "--fidelity-draws", "30", "--held-out", hp)
    what = {e["name"]: e["estimator"] for e in doc["estimates"]}
    assert what["KID(A, R)"] == "kid_difference(r, a, b, subsample=20, seed=0).a"
    assert what["recall(real R, generated B)"].endswith("on a seeded subsample of 30 and 30 draws")
    assert "share of B copying R" in what


@pytest.mark.slow  # 1.4 s: a comparison of three files, over the quick tier's 1 s
def test_small_samples_print_what_they_are(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # Two draws of one law: FD's estimate falls below 0 and is cut there, said with the value
    # before the cut; and KID's difference claims from 250 draws where neither KID does (from
    # 1000): the notes say why, from the claims table.
    rng = np.random.default_rng(1)
    r, a, b = (
        rng.standard_normal((300, 8)),
        rng.standard_normal((300, 8)),
        rng.standard_normal((300, 8)),
    )
    rp, ap, bp = (_save(tmp_path, f"{k}.npy", v) for k, v in (("r", r), ("a", a), ("b", b)))
    doc = _json(capsys, rp, ap, "--rows", "fd")
    (fd,) = doc["estimates"]
    before = float(fd["method"].split("the estimate before its cut at 0: ")[1].split()[0])
    assert fd["value"] == 0.0 and before < 0.0
    assert main(["estimate", rp, ap, "--rows", "fd", "--no-progress"]) == 0
    assert f"the value above (cut at 0, FD's least value, from {before:.4g})" in _unwrapped(
        capsys.readouterr().out
    )
    seen = set()
    for seed in range(4):  # KID: the same note wherever its unbiased estimate fell below 0
        x, y = np.random.default_rng(seed).standard_normal((2, 300, 8))
        xp, yp = _save(tmp_path, "x.npy", x), _save(tmp_path, "y.npy", y)
        (kid,) = _json(capsys, xp, yp, "--rows", "kid")["estimates"]
        cut = "the estimate before its cut at 0: " in kid["method"]
        assert cut == (kid["value"] == 0.0)
        assert main(["estimate", xp, yp, "--rows", "kid", "--no-progress"]) == 0
        said = _unwrapped(capsys.readouterr().out)
        assert ("is cut at 0, the quantity's least value" in said) == cut
        seen.add(cut)
    assert seen == {True, False}  # both cases met
    doc = _json(capsys, rp, ap, bp)
    rows = {e["name"]: e for e in doc["estimates"]}
    assert rows["KID(A, R) - KID(B, R)"]["claims_coverage"]
    assert not rows["KID(A, R)"]["claims_coverage"] and not rows["KID(B, R)"]["claims_coverage"]
    (why,) = [n for n in doc["notes"] if "claims its interval where" in n]
    assert why.startswith("KID(A, R) - KID(B, R) claims its interval where KID(A, R) and KID(B, R)")
    assert "d <= 64 from n = 250" in why
