"""Memorisation: Alaa et al.'s authenticity against the pooled training and held-out draws, and its test.

The quick cases are single seeded draws with margins many standard errors wide; the measured
false-alarm rate and power (``benchmarks/bench_memorisation.py``) are held in the slow tier.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv


def draws(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """An equal mixture of four unit Gaussians 3 apart along the first axis."""
    return rng.standard_normal((n, d)) + 3.0 * rng.integers(0, 4, (n, 1)) * np.eye(d)[0]


def copier(rng: np.random.Generator, training: np.ndarray, fresh: np.ndarray, share: float):
    """``fresh`` with a fraction ``share`` of its rows replaced by training draws plus tiny noise."""
    out = fresh.copy()
    chosen = rng.random(len(out)) < share
    picks = training[rng.integers(0, len(training), int(chosen.sum()))]
    out[chosen] = picks + 1e-4 * rng.standard_normal(picks.shape)
    return out


def test_a_generator_that_returns_training_draws_is_caught_and_a_fresh_one_is_not():
    rng = np.random.default_rng(0)
    training, held_out, fresh = (draws(rng, 1000, 8) for _ in range(3))
    copied = dv.estimate.memorisation(
        training=training, generated=copier(rng, training, fresh, 0.3), held_out=held_out
    )
    assert copied.copying and copied.test.p_value == 1 / 1000  # no relabelling reaches it
    assert copied.training.lower_bound > copied.held_out.upper_bound
    assert abs(copied.copied.value - 0.3) < 0.05  # its sampling error is about 0.015
    assert copied.copied.contains(0.3) and copied.copied.lower_bound > 0.2
    honest = dv.estimate.memorisation(training=training, generated=fresh, held_out=held_out)
    assert honest.copied.value < 0.06 and honest.copied.lower_bound == 0.0
    assert honest.training.kind == "finite-sample"
    assert honest.training.quantity == "unauthentic near training"


def test_a_model_narrower_than_the_data_is_not_read_as_copying():
    # Half the data's spread: every generated draw is near the data's draws (Alaa et al.'s
    # fraction is far above the data's own), as near the held-out draws as the training ones.
    rng = np.random.default_rng(1)
    training, held_out = draws(rng, 1000, 8), draws(rng, 1000, 8)
    centre = 4.5 * np.eye(8)[0]
    narrow = centre + 0.5 * (draws(rng, 1000, 8) - centre)
    m = dv.estimate.memorisation(training=training, generated=narrow, held_out=held_out)
    assert m.training.value + m.held_out.value > 0.5 and m.copied.value < 0.06


def test_an_exact_duplicate_is_unauthentic_and_the_p_value_counts_the_relabellings():
    rng = np.random.default_rng(1)
    training, held_out = rng.standard_normal((300, 5)), rng.standard_normal((300, 5))
    m = dv.estimate.memorisation(
        training=training, generated=training[::-1], held_out=held_out, permutations=99, seed=3
    )
    assert m.training.value == 1.0 and m.held_out.value == 0.0 and m.copied.value == 1.0
    assert m.test.p_value == 0.01 and m.test.parameters["permutations"] == 99


def test_the_engines_agree():
    rng = np.random.default_rng(2)
    training, held_out = rng.standard_normal((400, 12)), rng.standard_normal((300, 12))
    generated = copier(rng, training, rng.standard_normal((300, 12)), 0.2)
    tree, xla = (
        dv.estimate.memorisation(
            training=training, generated=generated, held_out=held_out, engine=engine
        )
        for engine in ("tree", "xla")
    )
    assert tree == xla


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"training": np.zeros((0, 2))}, "training must hold at least one draw"),
        ({"permutations": 0}, "permutations must be"),
        ({"seed": -1}, "seed"),
        ({"generated": np.zeros((5, 3))}, "training and generated must be draws in one dimension"),
        ({"held_out": np.full((5, 2), np.nan)}, "held_out must be finite"),
        ({"level": 1.5}, "level"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"training": np.eye(2), "generated": np.eye(2), "held_out": np.eye(2), **kwargs}
    with pytest.raises(ValueError, match=match):
        dv.estimate.memorisation(**args)


def test_the_roles_are_named_never_positional():
    x = np.zeros((4, 2))
    with pytest.raises(TypeError):
        dv.estimate.memorisation(x, x, x)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 25),
    m=st.integers(1, 25),
    h=st.integers(1, 25),
    lattice=st.booleans(),
)
def test_shares_lie_in_their_intervals_and_the_p_value_in_0_1(seed, n, m, h, lattice):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (n, 2)).astype(float) if lattice else rng.standard_normal((n, 2))
    r = dv.estimate.memorisation(
        training=x,
        generated=rng.standard_normal((m, 2)),
        held_out=rng.standard_normal((h, 2)),
        permutations=19,
    )
    for e in (r.training, r.held_out):
        assert 0.0 <= e.lower_bound <= e.value <= e.upper_bound <= 1.0 and e.m == m
    assert r.training.value + r.held_out.value <= 1.0
    assert 0.05 <= r.test.p_value <= 1.0 and r.copying == (r.test.p_value <= 0.05)
    excess = r.training.value - n / h * r.held_out.value  # over the held-out baseline
    assert r.copied.value == pytest.approx(min(max(excess, 0.0), 1.0))
    assert 0.0 <= r.copied.lower_bound <= r.copied.value <= r.copied.upper_bound <= 1.0


@pytest.mark.slow
def test_the_false_alarm_rate_is_at_most_the_level_and_a_tenth_copied_is_found():
    # 100 repetitions in d = 8 at n = 1000 (the benchmark, 500 repetitions a cell, measured
    # the rates of benchmarks/memorisation.md): a false-alarm rate of 0.05 gives more than 12
    # alarms in 100 with probability 0.001; power 0.95 fewer than 80 detections with
    # probability below 1e-4.
    rng = np.random.default_rng(3)
    alarms = detections = 0
    for _ in range(100):
        training, held_out, fresh = (draws(rng, 1000, 8) for _ in range(3))
        alarms += dv.estimate.memorisation(
            training=training, generated=fresh, held_out=held_out, permutations=199
        ).copying
        detections += dv.estimate.memorisation(
            training=training,
            generated=copier(rng, training, fresh, 0.1),
            held_out=held_out,
            permutations=199,
        ).copying
    assert alarms <= 12 and detections >= 80


@pytest.mark.parametrize(
    "p_t, p_h, ratio, m", [(0.3, 0.1, 2.0, 1000), (0.2, 0.2, 1.0, 60), (0.05, 0.02, 2.5, 5)]
)
def test_the_copied_share_s_interval_holds_its_level_at_every_size(p_t, p_h, ratio, m):
    # The counts are multinomial given the pool: each end from the exact binomial intervals, so
    # max(0, p_T - r p_H) is held at least 95% of the time for every m, 5 draws included.
    from divergences.estimate._src.neighbours.memorisation import _copied

    rng = np.random.default_rng(7)
    truth = min(max(p_t - ratio * p_h, 0.0), 1.0)
    counts = rng.multinomial(m, [p_t, p_h, 1.0 - p_t - p_h], size=2000)
    held = [_copied(int(a), int(b), m, ratio, 0.95, 100).contains(truth) for a, b, _ in counts]
    assert np.mean(held) >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 2000)
    few = _copied(3, 0, 5, ratio, 0.95, 100)  # 3 of 5 near training draws, none near held-out
    assert few.value == 0.6 and few.upper_bound - few.lower_bound > 0.5  # says how little 5 tell
