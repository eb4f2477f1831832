"""The training verdict on images: read from the image readouts the readouts figure draws."""

from __future__ import annotations

import numpy as np
import pytest

from divergences.lab.training import TrainingConfig, train, verdict
from divergences.lab.training.verdict import COPYING_LEVEL, IMAGE_CRITERIA
from tests.lab.training.synthetic import synthetic_run

DIGITS = TrainingConfig.for_data("digits", steps=600, eval_every=100)


def _digits_run(**last: float):
    """A synthetic run on the digits whose last readout has the scores ``last`` (claimed)."""
    run = synthetic_run(DIGITS)
    r = run.readouts
    for name, _, _ in IMAGE_CRITERIA:
        getattr(r, f"{name}_claimed")[:] = 1.0
    for key, value in last.items():
        getattr(r, key)[-1] = value
    return run


def _meets(run, index: int = -1) -> bool:
    """The image criteria, read from the readouts here, apart from the verdict's code."""
    r = run.readouts
    fd = r.fd_claimed[index] == 1.0 and r.fd_lo[index] <= r.fd_data[index]
    inception = (
        r.inception_claimed[index] == 1.0 and r.inception_hi[index] >= r.inception_data[index]
    )
    recall = r.recall_claimed[index] == 1.0 and r.recall_hi[index] >= r.recall_data[index]
    return bool(fd and inception and recall and r.copying_p[index] > COPYING_LEVEL)


@pytest.mark.slow  # 1.8 s: four synthetic runs on the digits, over the quick tier's 1 s
def test_on_images_the_verdict_reads_fd_is_recall_and_copying_not_w1() -> None:
    short = _digits_run(w1=0.01, copying_p=0.6)  # W1 at its floor: not what decides on images
    v = verdict(short)
    assert not v.converged and v.converged == _meets(short)
    text = v.text()
    assert "W1" not in text and "FD " in text and "IS " in text and "recall " in text
    assert "short of the real digits'" in text and "no copying (p = 0.6)" in text
    assert "try more steps" in v.advice or "sngan" in v.advice
    reached = _digits_run(fd_lo=0.0, inception_hi=9.8, recall_hi=0.95, copying_p=0.6)
    v = verdict(reached)
    assert v.converged and _meets(reached) and v.advice == ""
    assert v.text().startswith("converged: at step 600, FD ")
    copier = _digits_run(fd_lo=0.0, inception_hi=9.8, recall_hi=0.95, copying_p=0.005)
    v = verdict(copier)
    assert not v.converged and "copies its training digits" in v.advice
    unclaimed = _digits_run(fd_lo=0.0, inception_hi=9.8, recall_hi=0.95, copying_p=0.6)
    unclaimed.readouts.inception_claimed[-1] = 0.0  # IS under collapse claims nothing
    assert not verdict(unclaimed).converged
    assert "(no interval claimed) short of the real digits'" in verdict(unclaimed).text()


@pytest.mark.slow  # two short trainings on the digits with their image readouts
def test_following_the_verdict_s_advice_once_gives_a_verdict_its_numbers_agree_with() -> None:
    small = TrainingConfig.for_data("digits", steps=200, eval_every=100, game="nsgan")
    first = verdict(train(small, progress=False))
    assert not first.converged and "--game sngan" in first.advice
    followed = TrainingConfig.for_data("digits", steps=200, eval_every=100, game="sngan")
    run = train(followed, progress=False)
    for index in range(len(run.readouts.step)):  # each readout's verdict, as the CSV writes it
        v = verdict(run, index)
        assert v.converged == _meets(run, index)
        assert len(v.checks) == len(IMAGE_CRITERIA) + 1 and "W1" not in v.text()
    last = verdict(run)
    assert last.converged or "--game sngan" not in last.advice  # no advice to do what was done
    r = run.readouts
    assert f"recall {r.recall[-1]:.3g}" in last.text() and np.isfinite(r.fd[-1])
