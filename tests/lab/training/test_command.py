"""``divergences train``: the files it writes, and a bad option reported in one line."""

import csv

from divergences.lab.cli import main
from divergences.lab.training import COLUMNS


def test_train_writes_the_csv_the_figures_and_the_gif(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--data", "moons", "--game", "nsgan", "--steps", "6", "--eval-every", "3"]
    assert main([*argv, "--seed", "1", "--out", str(out), "--quiet"]) == 0
    with (out / "readouts.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert [r["step"] for r in rows] == ["0", "3", "6"]
    assert rows[0]["modes_covered"] == ""  # the moons have no modes: empty, not a number
    for name in ("readouts.png", "snapshots.png", "training.gif"):
        assert (out / name).stat().st_size > 1000, name
    assert "W1" in capsys.readouterr().out


def test_a_bad_option_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["train", "--steps", "-5", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "steps must be a positive integer, got -5" in err
