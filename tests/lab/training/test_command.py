"""``divergences train``: its options, the files it writes, its errors.

The options it turns into a configuration, the files it writes, and a bad option reported in one
line.
"""

import csv
import dataclasses

import numpy as np
import pytest

from divergences.lab.cli import build_parser, main
from divergences.lab.training import COLUMNS, VERDICT_COLUMNS, TrainingConfig, command, verdict
from tests.lab.training.conftest import TINY
from tests.lab.training.synthetic import synthetic_run

pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def run():
    """A run of the tiny configuration with made-up readouts.

    The summary, the verdict and the CSV read a run's shape, not its training (``tiny_run``
    trains, for the tests that need it).
    """
    return synthetic_run(TrainingConfig(data="ring8", game="sngan", seed=3, **TINY), seed=3)


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
    assert tuple(rows[0]) == COLUMNS + VERDICT_COLUMNS
    assert {r["modes_total"] for r in rows} == {"8"}
    assert {r["converged"] for r in rows} <= {"0", "1"}
    assert [r["step"] for r in rows] == ["0", "10", "20"]
    assert [float(r["w1"]) for r in rows] == tiny_run.readouts.w1.tolist()  # reproducible
    for name in ("readouts.png", "snapshots.png", "training.gif"):
        assert (out / name).stat().st_size > 1000, name
    out_text = capsys.readouterr().out
    assert "W1" in out_text and "verdict: " in out_text


@pytest.mark.slow
def test_moons_have_no_modes_an_empty_csv_cell(tmp_path, run):
    from divergences.lab.training import write_readouts_csv

    moons = run._replace(
        readouts=run.readouts._replace(modes_covered=run.readouts.modes_covered * float("nan"))
    )
    with write_readouts_csv(moons, tmp_path / "r.csv").open() as fh:
        assert next(csv.DictReader(fh))["modes_covered"] == ""


def test_a_bad_option_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["train", "--steps", "-5", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "steps must be a positive integer, got -5" in err
    assert main(["train", "--frame-every", "0", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--frame-every must be a positive integer, got 0" in err


def _ending(run, *, modes, w1_ratio, data=None, game=None):
    """``run`` with its last readout replaced: ``modes`` covered, W1 at ``w1_ratio`` floors."""
    r = run.readouts
    config = run.config
    if data is not None or game is not None:
        config = dataclasses.replace(config, data=data or config.data, game=game or config.game)
    covered = r.modes_covered.copy()
    covered[-1] = modes
    w1 = r.w1.copy()
    w1[-1] = w1_ratio * r.w1_floor[-1]
    return run._replace(config=config, readouts=r._replace(modes_covered=covered, w1=w1))


@pytest.mark.slow
def test_the_summary_says_modes_k_of_k_w1_in_floors_and_the_spread(run):
    text = command._summary("sngan", _ending(run, modes=8, w1_ratio=1.2))
    first, second = text.splitlines()
    r = run.readouts
    spread = 2 * r.w1_floor_sd[-1] / r.w1_floor[-1]
    assert "modes 8 of 8" in first and "W1" in first and "= 1.20x its noise floor" in first
    assert "+-2 sd" in first and f"{1 + spread:.2f}x" in first  # the figures' band, 2 sd
    # The measurements as facts, the criterion as the requirement.
    assert second == (
        f"  verdict: converged: 8 of 8 modes covered, W1 1.20x its noise floor at step "
        f"{int(r.step[-1])} (converging requires all 8 modes covered and W1 within 1.5x its noise "
        "floor at the last readout)"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("modes", "ratio", "data", "game", "advice"),
    [
        (4, 2.7, "grid25", "sngan", "try more steps: --steps 40"),
        (25, 1.7, "grid25", "sngan", "another seed"),  # all 25 modes, one readout's noise
        (4, 2.7, "grid25", "wgan-gp", "try more steps: --steps "),  # a measured game
        (4, 2.7, "grid25", "r1", "try --game sngan or --game wgan-gp (40000 steps by default"),
        (0, 24.0, "ring8", "nsgan", "--game sngan or --game r1"),  # a regularised game
        (0, 11.0, "ring8", "wgan-clip", "--game wgan-gp"),
        (8, 1.6, "ring8", "sngan", "another seed"),  # all modes, W1 just above: noise
        (6, 1.2, "ring8", "wgan-gp", "--steps 40"),  # a mode missing: more steps
    ],
)
def test_a_run_that_did_not_converge_says_so_and_what_to_try(run, modes, ratio, data, game, advice):
    run = _ending(run, modes=modes, w1_ratio=ratio, data=data, game=game)
    v = verdict(run)
    assert not v.converged and advice in v.advice
    text = command._summary(game, run)
    total = 25 if data == "grid25" else 8
    assert f"verdict: not converged: {modes} of {total} modes covered, W1 {ratio:.2f}x" in text
    assert f"; converging requires all {total} modes covered and W1 within 1.5x" in text
    assert advice in text
    assert f"modes {modes} of {25 if data == 'grid25' else 8}" in text


@pytest.mark.slow  # the command writes the run's figures
@pytest.mark.parametrize("converged", [True, False])
def test_require_converged_turns_the_verdict_into_the_exit_status(
    tmp_path, capsys, monkeypatch, run, converged
):
    # The summary and the files as without the option; exit 1 only for a run not converged.
    ending = _ending(run, modes=8 if converged else 3, w1_ratio=1.0)
    monkeypatch.setattr(command, "_config", lambda args, game: run.config)
    monkeypatch.setattr(command, "_train", lambda config, args: ending)
    out = tmp_path / "run"
    plain = ["train", "--out", str(out), "--quiet", "--no-gif"]
    assert main(plain) == 0
    assert main([*plain, "--require-converged"]) == (0 if converged else 1)
    text = capsys.readouterr().out
    assert ("verdict: converged" in text) == converged


def test_the_default_step_count_is_the_games_times_the_datas_scale():
    assert TrainingConfig(data="ring8", game="sngan").n_steps == 12000
    assert TrainingConfig(data="ring8", game="r1").n_steps == 30000
    assert TrainingConfig(data="grid25", game="sngan").n_steps == 40000
    assert TrainingConfig(data="grid25", game="wgan-gp").game_spec.constants == {"gp_weight": 0.1}
    assert TrainingConfig(data="grid25", game="sngan", steps=7).n_steps == 7


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf"), "2"])
def test_a_datasets_steps_scale_must_be_a_positive_number(scale):
    ds = dataclasses.replace(TrainingConfig().dataset, steps_scale=scale)
    with pytest.raises(ValueError, match="steps_scale of 'ring8' must be a finite number > 0"):
        TrainingConfig(data=ds)


# In the slow tier: it trains (the command's options and refusals stay quick).
@pytest.mark.slow
def test_data_without_modes_is_judged_on_w1_alone(run):
    r = run.readouts
    run = run._replace(
        config=dataclasses.replace(run.config, data="moons"),
        readouts=r._replace(modes_covered=r.modes_covered * np.nan, w1=r.w1_floor * 1.4),
    )
    v = verdict(run)
    assert v.converged and v.modes is None and v.criterion.startswith("W1 within 1.5x")
    assert "modes" not in command._summary("sngan", run)


# In the slow tier: it trains (the command's options and refusals stay quick).
@pytest.mark.slow
def test_the_csv_states_each_readout_against_the_criterion(tmp_path, run):
    from divergences.lab.training import write_readouts_csv

    run = _ending(run, modes=8, w1_ratio=1.0)
    with write_readouts_csv(run, tmp_path / "r.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    r = run.readouts
    for i, row in enumerate(rows):
        assert row["modes_total"] == "8"
        assert float(row["w1_over_floor"]) == r.w1[i] / r.w1_floor[i]
        assert float(row["w1_floor_2sd_over_floor"]) == 2 * r.w1_floor_sd[i] / r.w1_floor[i]
        ok = r.modes_covered[i] == 8 and r.w1[i] <= 1.5 * r.w1_floor[i]
        assert row["converged"] == str(int(ok))
    assert rows[-1]["converged"] == "1"
