r"""How a run went: its last readout against the lab's criterion, and what to try when it failed.

The criterion is the one the training page measures the defaults against (*Defaults that
converge in class*): at the last readout, **every mode covered** (for data with modes) and the
exact :math:`W_1` **within 1.5 times its noise floor** (the floor's mean over its draws). A run
that meets it is *converged*; one that does not is *not converged*, and :func:`verdict` says what
the page advises: ``sngan`` and more steps on the grid of 25 Gaussians, a
regularised game for the unregularised GANs and for weight clipping (``sngan`` or ``r1``,
``wgan-gp``), more steps otherwise.

**On images** (the digits) the verdict reads the image readouts the readouts figure draws, not
the exact :math:`W_1` in pixel space: at the last readout, the 95% intervals of FD, the
Inception score and recall each **reach the real digits' value** (FD's lower end at or below
the held-out digits' FD, IS's and recall's upper ends at or above theirs; an interval that claims
nothing reaches nothing), and the memorisation test finds **no copying** (p above 0.05).

One readout's :math:`W_1` is itself noisy (its floor's standard deviation is a fifth to two fifths
of its mean at 2048 points a side), so a generator equal to the data reads out above 1.5 times
the floor now and then: the verdict is of one readout, and its text gives the floor's spread.
The spread is stated as the figures draw it, **two standard deviations** of the floor's draws.

Example:
  >>> from divergences.lab.training import TrainingConfig, train
  >>> from divergences.lab.training.verdict import verdict
  >>> small = TrainingConfig(data="ring8", game="nsgan", steps=20, eval_every=10,
  ...                        critic_hidden=(8,), generator_hidden=(8,), eval_size=64,
  ...                        hist_size=256, heat_resolution=8)
  >>> v = verdict(train(small, progress=False))
  >>> v.converged, v.modes_total
  (False, 8)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from divergences.lab.training.run import TrainingRun

__all__ = [
    "COPYING_LEVEL",
    "FLOOR_SDS",
    "IMAGE_CRITERIA",
    "W1_FACTOR",
    "Verdict",
    "advice",
    "criterion",
    "verdict",
]

#: The criterion's bound on the exact W1, in multiples of its noise floor's mean.
W1_FACTOR = 1.5

#: The image readouts the verdict reads on images: each score, its name in words, and whether
#: its lower end must reach down to the real digits' value (a distance) or its upper end up.
IMAGE_CRITERIA = (
    ("fd", "FD", "lower"),
    ("inception", "IS", "upper"),
    ("recall", "recall", "upper"),
)

#: The memorisation test's level: at or below it, the generator copies its training digits.
COPYING_LEVEL = 0.05

#: The spread of the noise floor that the terminal, the CSV's names and the figures' band state:
#: mean +- this many standard deviations of the floor's draws.
FLOOR_SDS = 2.0


class Verdict(NamedTuple):
    """The last readout of a run against the criterion.

    Attributes:
      converged: every mode covered (where the data has modes) and ``w1_ratio <= W1_FACTOR``.
      step: the generator step of the last readout.
      modes: modes covered at the last readout; ``None`` for data without modes.
      modes_total: the data's modes; ``None`` for data without modes.
      w1_ratio: the exact W1 over its noise floor's mean.
      floor_spread: ``FLOOR_SDS`` standard deviations of the floor's draws over its mean: the
        floor band of the figures is ``1 +- floor_spread`` in multiples of the floor (NaN with
        a single draw).
      criterion: the criterion, in words.
      advice: what to try when not converged (empty when converged).
      checks: on images, each image criterion as measured, in words (empty otherwise).
    """

    converged: bool
    step: int
    modes: int | None
    modes_total: int | None
    w1_ratio: float
    floor_spread: float
    criterion: str
    advice: str
    checks: tuple[str, ...] = ()

    def text(self) -> str:
        """One line: the verdict, what was measured, the criterion, and the advice when not converged.

        The measurements are stated as facts and the criterion as the requirement:
        ``not converged: 8 of 8 modes covered, W1 2.31x its noise floor at step 6000; converging
        requires all 8 modes covered and W1 within 1.5x its noise floor at the last readout; try ...``.
        """
        measured = f"W1 {self.w1_ratio:.2f}x its noise floor at step {self.step}"
        if self.checks:  # images: the image readouts, as the readouts figure draws them
            measured = f"at step {self.step}, " + "; ".join(self.checks)
        if self.modes_total is not None:
            measured = f"{self.modes} of {self.modes_total} modes covered, {measured}"
        requirement = f"converging requires {self.criterion}"
        if self.converged:
            return f"converged: {measured} ({requirement})"
        return f"not converged: {measured}; {requirement}; {self.advice}"


def criterion(modes_total: int | None, *, images: bool = False) -> str:
    """The criterion in words, for data with ``modes_total`` modes (``None``: no modes)."""
    if images:
        names = ", ".join(words for _, words, _ in IMAGE_CRITERIA)
        return (
            f"the 95% intervals of {names} reaching the real digits' values and no copying "
            f"(p > {COPYING_LEVEL:g}) at the last readout"
        )
    w1 = f"W1 within {W1_FACTOR:g}x its noise floor"
    if modes_total is None:
        return f"{w1} at the last readout"
    return f"all {modes_total} modes covered and {w1} at the last readout"


def advice(run: TrainingRun, *, modes_ok: bool, copying: bool = False, images: bool = False) -> str:
    """What the training page advises for a run that did not converge."""
    c = run.config
    n = c.n_steps
    if copying:
        return (
            "the generator copies its training digits (the memorisation test): a longer run "
            "memorises more; keep an earlier readout, or a smaller generator"
        )
    if c.game in ("gan", "nsgan"):
        return (
            "the unregularised GAN circles instead of converging: try a regularised game, "
            "--game sngan or --game r1"
        )
    if c.game == "wgan-clip":
        return "a clipped critic is too weak: try the gradient penalty, --game wgan-gp"
    if images:
        return (
            f"try more steps (--steps {2 * n}): FD, IS and recall against the real digits are "
            "in readouts.png"
        )
    if modes_ok:
        return (
            f"try more steps (--steps {2 * n}) or another seed: one readout's W1 is noisy, "
            "see the last readouts in readouts.csv"
        )
    if c.dataset.name == "grid25" and c.game not in ("sngan", "wgan-gp"):
        return (
            "on grid25 the lab's measured games are sngan and wgan-gp: try --game sngan or "
            "--game wgan-gp (40000 steps by default there)"
        )
    return f"try more steps: --steps {2 * n}"


def verdict(run: TrainingRun, index: int = -1) -> Verdict:
    """The run's last readout (or readout ``index``) against the criterion.

    The criterion is the module docstring's.
    """
    r, c = run.readouts, run.config
    w1_ratio = float(r.w1[index] / r.w1_floor[index])
    sd = float(r.w1_floor_sd[index])
    spread = FLOOR_SDS * sd / float(r.w1_floor[index]) if math.isfinite(sd) else math.nan
    if c.dataset.modes is not None and np.isfinite(r.modes_covered[index]):
        modes: int | None = int(r.modes_covered[index])
        total: int | None = len(c.dataset.modes)
    else:
        modes = total = None
    modes_ok = modes is None or modes == total
    converged = bool(modes_ok and w1_ratio <= W1_FACTOR)
    checks: tuple[str, ...] = ()
    copying = False
    images = c.dataset.image_shape is not None and np.isfinite(r.fd[index])
    if images:
        converged, checks, copying = _image_checks(run, index)
    return Verdict(
        converged=converged,
        step=int(r.step[index]),
        modes=modes,
        modes_total=total,
        w1_ratio=w1_ratio,
        floor_spread=spread,
        criterion=criterion(total, images=images),
        advice=""
        if converged
        else advice(run, modes_ok=modes_ok, copying=copying, images=bool(images)),
        checks=checks,
    )


def _image_checks(run: TrainingRun, index: int) -> tuple[bool, tuple[str, ...], bool]:
    """Whether readout ``index`` meets the image criteria, each in words, and whether it copies."""
    r = run.readouts
    met, words = True, []
    for name, label, end in IMAGE_CRITERIA:
        value, data = float(getattr(r, name)[index]), float(getattr(r, f"{name}_data")[index])
        lo, hi = float(getattr(r, f"{name}_lo")[index]), float(getattr(r, f"{name}_hi")[index])
        if getattr(r, f"{name}_claimed")[index] != 1.0:
            reached, ends = False, "(no interval claimed)"
        else:
            reached, ends = (
                (lo <= data) if end == "lower" else (hi >= data),
                f"[{lo:.3g}, {hi:.3g}]",
            )
        verb = "reaches" if reached else "short of"
        words.append(f"{label} {value:.3g} {ends} {verb} the real digits' {data:.3g}")
        met &= reached
    p = float(r.copying_p[index])
    copying = bool(p <= COPYING_LEVEL)
    words.append(f"{'copying' if copying else 'no copying'} (p = {p:.2g})")
    return met and not copying, tuple(words), copying
