"""The rows of ``divergences estimate``, as data: what each estimates, when it runs, what it reads.

One table, :data:`ROWS`, and everything that speaks of the rows reads it: the runner
(:func:`~divergences.lab.estimate.estimate_command.estimate_files`, which plans the rows
:func:`left_out` leaves in and calls each :attr:`Spec.plan`), the command's help
(:func:`rows_help`), and docs/evaluate.md's table of the rows (:func:`rows_markdown`, which a
test holds equal to the page). A row runs by default where

* its claim holds at the draws' dimension and number (:attr:`Spec.claim`: the entry of
  :data:`~divergences.estimate.ASYMPTOTIC_CLAIMS`, asked through its ``refusal(d, n)``, the
  method every estimator calls),
* the dimension lies in :attr:`Spec.dims`,
* and the options it needs or requires are given (:attr:`Spec.needs`, :attr:`Spec.requires`),

and is otherwise left out with the reason, which ``--rows`` overrides, but for a row that cannot
run there (:attr:`Spec.hard` dimensions, a missing :attr:`Spec.requires`): ``--rows all`` leaves it
out with the reason, and naming it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from divergences import estimate
from divergences.estimate import Estimate, TwoSampleTest
from divergences.lab.estimate.estimate_rows import (
    TESTS,
    discriminator_rows,
    fidelity_rows,
    memorisation_rows,
)

__all__ = [
    "NEIGHBOURS_CLAIMED",
    "OPTION_ROWS",
    "ROWS",
    "ROW_KEYS",
    "Context",
    "Planned",
    "Spec",
    "cannot_run",
    "claimed_dimension",
    "left_out",
    "rows_help",
    "rows_markdown",
]


class Planned(NamedTuple):
    """A row to run: its ``--rows`` key, its name, the call in words, and the call."""

    key: str
    name: str
    what: str
    run: Callable[[], Estimate | TwoSampleTest]


class Context(NamedTuple):
    """What the rows' calls read: the draws, their subsamples (with the call in words), options.

    ``x_any`` is the first file as read (an array, or a reference); ``x`` its draws. Each
    subsample pair comes with the call that reads it in words (``"w1(x, y)"``, or naming the
    seeded subsample).
    """

    x: np.ndarray
    y: np.ndarray
    x_any: Any
    held: np.ndarray | None
    w1: tuple[np.ndarray, np.ndarray, str]
    kid: tuple[np.ndarray, np.ndarray, str]
    mmd: tuple[np.ndarray, np.ndarray, str]
    fidelity: tuple[np.ndarray, np.ndarray, str]
    level: float
    seed: int
    bandwidth: float | None
    permutations: int
    model: str
    notes: list[str]


class Spec(NamedTuple):
    """One row (or a family of rows) of the command.

    Attributes:
      key: its ``--rows`` key.
      shows: what it prints, in words (the help and the docs).
      plan: the rows to run from a :class:`Context`, named and with their calls.
      options: the command's options it reads (an option none of whose rows runs is refused).
      claim: the claim whose measured dimensions decide where it runs by default (``""``:
        none).
      dims: the dimensions where it runs by default, ``(least, most)``; ``None``: no limit.
      hard: whether ``dims`` is where it can run at all (W1 from DKW's bands: the line).
      needs: an option without which it is left out by default (``""``: none).
      requires: an option without which it cannot run, even when named (``""``: none).
      why: the reason it is left out where ``dims``, ``needs`` or ``requires`` leaves it out.
    """

    key: str
    shows: str
    plan: Callable[[Context], list[Planned]]
    options: tuple[str, ...] = ()
    claim: str = ""
    dims: tuple[int, int | None] = (1, None)
    hard: bool = False
    needs: str = ""
    requires: str = ""
    why: str = ""


def claimed_dimension(claim: str) -> int:
    """The largest dimension where ``claim``'s interval is measured to hold."""
    return max(r.dimension or 0 for r in estimate.ASYMPTOTIC_CLAIMS[claim].ranges)


#: Up to this dimension the nearest-neighbour estimators claim their intervals, and the rows
#: that stand in for them above it (a lower bound on W1, a trained discriminator's) are left out.
NEIGHBOURS_CLAIMED = claimed_dimension("js")


def _kw(c: Context) -> dict[str, Any]:
    return {"level": c.level}


def _with_bandwidth(what: str, c: Context, extra: str = "") -> str:
    """``mmd_squared(x, y, ...)`` in words, the bandwidth and ``extra`` keywords added."""
    given = "" if c.bandwidth is None else f", bandwidth={c.bandwidth:g}"
    return what.replace("(x, y", f"(x, y{given}{extra}") + ")"


def _mmd(c: Context, name: str, interval: str) -> list[Planned]:
    xm, ym, what = c.mmd
    extra = "" if interval == "mcdiarmid" else f', interval="{interval}"'
    key = "mmd" if interval == "mcdiarmid" else "mmd-normal"

    def run() -> Estimate:
        return estimate.mmd_squared(xm, ym, bandwidth=c.bandwidth, level=c.level, interval=interval)

    return [Planned(key, name, _with_bandwidth(what, c, extra), run)]


def _test(c: Context) -> list[Planned]:
    xm, ym, what = c.mmd
    words = _with_bandwidth("mmd_test(x, y" + what[len("mmd_squared(x, y") :], c)

    def run() -> TwoSampleTest:
        return estimate.mmd_test(
            xm, ym, bandwidth=c.bandwidth, permutations=c.permutations, seed=c.seed
        )

    return [Planned("test", TESTS[0], words, run)]


def _both_ways(key: str, c: Context) -> list[Planned]:
    kl = estimate.kl
    return [
        Planned(key, "KL(P || Q)", "kl(x, y)", lambda: kl(c.x, c.y, seed=c.seed, **_kw(c))),
        Planned(key, "KL(Q || P)", "kl(y, x)", lambda: kl(c.y, c.x, seed=c.seed, **_kw(c))),
    ]


def _entropies(c: Context) -> list[Planned]:
    h = estimate.entropy
    return [
        Planned("entropy", "H(P)", "entropy(x)", lambda: h(c.x, seed=c.seed, **_kw(c))),
        Planned("entropy", "H(Q)", "entropy(y)", lambda: h(c.y, seed=c.seed, **_kw(c))),
    ]


def _one(key: str, name: str, what: str, run: Callable[[Context], Any]) -> Callable:
    """A spec's plan of one row, ``run`` called on the context."""
    return lambda c: [Planned(key, name, what, lambda: run(c))]


_MMD_WHY = (
    "with the median heuristic's bandwidth, read off the draws, MMD^2's intervals claim "
    "nothing (KID's and the test's hold); --bandwidth S fixes the kernel before the draws, "
    "for a finite-sample interval"
)

#: The command's rows, in the order printed.
ROWS: tuple[Spec, ...] = (
    Spec("kl", "KL both ways, nearest neighbours", lambda c: _both_ways("kl", c), claim="kl"),
    Spec(
        "js", "JS, nearest neighbours",
        _one("js", "JS(P, Q)", "js(x, y)", lambda c: estimate.js(c.x, c.y, seed=c.seed, **_kw(c))),
        claim="js",
    ),
    Spec(
        "w1", "W1 by exact transport between the samples (a seeded subsample: --w1-draws)",
        lambda c: [
            Planned("w1", "W1(P, Q)", c.w1[2],
                    lambda: estimate.w1(c.w1[0], c.w1[1], seed=c.seed, **_kw(c)))
        ],
        options=("w1_draws",), claim="w1",
    ),
    Spec(
        "w1-projected", "a finite-sample lower bound on W1 from projections",
        _one("w1-projected", "W1(P, Q), projected", "w1_projected(x, y)",
             lambda c: estimate.w1_projected(c.x, c.y, seed=c.seed, **_kw(c))),
        dims=(NEIGHBOURS_CLAIMED + 1, None),
        why="in low dimension the exact W1 between the samples is close to W1 (its bias falls "
        "as n^(-1/d)), and its interval is the W1 row",
    ),
    Spec(
        "w1-dkw", "W1 from the DKW bands of the two CDFs",
        _one("w1-dkw", "W1(P, Q), DKW", "w1_dkw(x, y)",
             lambda c: estimate.w1_dkw(c.x, c.y, **_kw(c))),
        dims=(1, 1), hard=True, why="W1 from DKW's bands is for draws on the line",
    ),
    Spec(
        "mmd", "MMD^2 with McDiarmid's finite-sample interval",
        lambda c: _mmd(c, "MMD^2(P, Q)", "mcdiarmid"),
        options=("bandwidth", "mmd_draws"), needs="bandwidth", why=_MMD_WHY,
    ),
    Spec(
        "mmd-normal", "MMD^2 with the asymptotic normal interval",
        lambda c: _mmd(c, "MMD^2(P, Q), normal", "normal"),
        options=("bandwidth", "mmd_draws"), claim="mmd_squared", needs="bandwidth", why=_MMD_WHY,
    ),
    Spec(
        "kid", "KID (every draw unless --kid-draws)",
        lambda c: [
            Planned("kid", "KID(P, Q)", c.kid[2],
                    lambda: estimate.kid(c.kid[0], c.kid[1], **_kw(c)))
        ],
        options=("kid_draws",),
    ),
    Spec(
        "fd", "FD, the Frechet distance of the Gaussian fits: its bias-corrected value and interval, "
        "beside the plug-in FID papers print",
        _one("fd", "FD(P, Q)", "frechet(x, y)",
             lambda c: estimate.frechet(c.x_any, c.y, seed=c.seed, **_kw(c))),
    ),
    Spec(
        "fidelity",
        "precision, recall, density and coverage (X real, Y generated; a seeded subsample of "
        "10^4 draws a file beyond that: --fidelity-draws)",
        lambda c: [
            Planned("fidelity", f"{name}(real P, generated Q)", c.fidelity[2], part)
            for name, part in fidelity_rows(c.fidelity[0], c.fidelity[1], c.level)
        ],
        options=("fidelity_draws",),
    ),
    Spec(
        "memorisation", "the share of Q copying P and the memorisation test (X the training draws)",
        lambda c: [
            Planned("memorisation", name, "memorisation(training=x, generated=y, held_out=h)", part)
            for name, part in memorisation_rows(c.x, c.y, c.held, c.level, c.seed, notes=c.notes)
        ],
        options=("held_out",), requires="held_out",
        why="the memorisation test needs draws of P that Q's generator never saw (--held-out "
        "FILE), X being its training draws",
    ),
    Spec(
        "discriminator", "a trained discriminator's held-out JS, TV and KL lower bounds, and its test",
        lambda c: [
            Planned("discriminator", name, f"discriminator_bounds(x, y, model={c.model!r})", part)
            for name, part in discriminator_rows(c.x, c.y, c.level, c.seed, c.model, c.notes)
        ],
        options=("model",), dims=(NEIGHBOURS_CLAIMED + 1, None),
        why=f"in d <= {NEIGHBOURS_CLAIMED} the nearest-neighbour JS and KL claim their "
        "intervals; the trained discriminator's bounds are one-sided",
    ),
    Spec("entropy", "each law's entropy, nearest neighbours", _entropies, claim="entropy"),
    Spec(
        "test", "the MMD permutation test of P == Q",
        _test, options=("bandwidth", "mmd_draws", "permutations"),
    ),
)  # fmt: skip

#: The rows ``--rows`` names, in the order printed.
ROW_KEYS = tuple(spec.key for spec in ROWS)

#: The rows that read each option: an option given while none of its rows runs would be
#: ignored, so it is refused, naming the rows.
OPTION_ROWS = {
    option: tuple(spec.key for spec in ROWS if option in spec.options)
    for option in dict.fromkeys(o for spec in ROWS for o in spec.options)
}


def left_out(spec: Spec, d: int, n: int, given: Any) -> str:
    """Why ``spec`` is left out by default at ``n`` draws in dimension ``d``; ``""`` where not.

    ``given``: the names of the options given.
    """
    if spec.claim and (why := estimate.ASYMPTOTIC_CLAIMS[spec.claim].refusal(d, n)):
        return why
    least, most_d = spec.dims
    if d < least or (most_d is not None and d > most_d):
        return spec.why
    if any(option and option not in given for option in (spec.needs, spec.requires)):
        return spec.why
    return ""


def cannot_run(spec: Spec, d: int, given: Any) -> str:
    """Why ``spec`` cannot run at all in dimension ``d`` with the options ``given``; ``""``."""
    least, most = spec.dims
    if spec.hard and (d < least or (most is not None and d > most)):
        return f"{spec.why}, here d = {d}"
    if spec.requires and spec.requires not in given:
        return spec.why
    return ""


def _when(spec: Spec) -> str:
    """Where ``spec`` runs by default, in words."""
    parts = []
    if spec.claim:
        ranges = estimate.ASYMPTOTIC_CLAIMS[spec.claim].ranges
        held = " or ".join(f"d <= {r.dimension} from n = {r.draws}" for r in ranges)
        parts.append(f"{held} ({spec.claim}'s claim)")
    least, most = spec.dims
    if (least, most) == (1, 1):
        parts.append("d = 1")
    elif most is not None:
        parts.append(f"{least} <= d <= {most}")
    elif least > 1:
        parts.append(f"d >= {least}")
    for option in (spec.needs, spec.requires):
        if option:
            parts.append("given --" + option.replace("_", "-"))
    return ", ".join(parts) or "always"


def rows_help() -> str:
    """The rows in one paragraph of the command's help: key, what it prints, where it runs."""
    return "; ".join(f"{s.key}: {s.shows} [{_when(s)}]" for s in ROWS)


def rows_markdown() -> str:
    """The rows as docs/evaluate.md's table: key, what it prints, where it runs by default."""
    lines = ["| `--rows` key | prints | runs by default |", "|---|---|---|"]
    lines += [f"| `{s.key}` | {s.shows} | {_when(s)} |" for s in ROWS]
    return "\n".join(lines)
