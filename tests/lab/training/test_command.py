"""``divergences train``: the options it turns into a configuration, the files it writes, and a
bad option reported in one line."""

import csv

import pytest

from divergences.lab.cli import build_parser, main
from divergences.lab.training import COLUMNS, TrainingConfig, command

pytestmark = pytest.mark.training


def test_options_become_the_configuration():
    args = build_parser().parse_args(
        [
            "train",
            "--data",
            "moons",
            "--game",
            "r1",
            "--steps",
            "6",
            "--eval-every",
            "3",
            "--seed",
            "1",
        ]
    )
    assert command._config(args, args.game) == TrainingConfig(
        data="moons", game="r1", steps=6, eval_every=3, seed=1
    )
    defaults = build_parser().parse_args(["train"])
    assert command._config(defaults, defaults.game) == TrainingConfig(data="ring8", game="wgan-gp")


@pytest.mark.slow
def test_train_writes_the_csv_the_figures_and_the_gif(tmp_path, capsys, monkeypatch, tiny_run):
    # The shared tiny configuration (compiled once for the session) instead of the full default.
    monkeypatch.setattr(command, "_config", lambda args, game: tiny_run.config)
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--quiet"]) == 0
    with (out / "readouts.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert [r["step"] for r in rows] == ["0", "10", "20"]
    assert [float(r["w1"]) for r in rows] == tiny_run.readouts.w1.tolist()  # reproducible
    for name in ("readouts.png", "snapshots.png", "training.gif"):
        assert (out / name).stat().st_size > 1000, name
    assert "W1" in capsys.readouterr().out


def test_moons_have_no_modes_an_empty_csv_cell(tmp_path, tiny_run):
    from divergences.lab.training import write_readouts_csv

    moons = tiny_run._replace(
        readouts=tiny_run.readouts._replace(
            modes_covered=tiny_run.readouts.modes_covered * float("nan")
        )
    )
    with write_readouts_csv(moons, tmp_path / "r.csv").open() as fh:
        assert next(csv.DictReader(fh))["modes_covered"] == ""


def test_a_bad_option_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["train", "--steps", "-5", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "steps must be a positive integer, got -5" in err
