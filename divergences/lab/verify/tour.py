"""The tour: every divergence on the built-in examples, checked against the known values."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from divergences import (
    chi_square,
    gan_value,
    hellinger,
    js_distance,
    js_divergence,
    kl,
    optimal_discriminator,
    total_variation,
)
from divergences.lab.verify.examples import EXAMPLES

__all__ = ["TourRow", "tour"]


class TourRow(NamedTuple):
    """One example's values (nats) and the largest gap to its known values."""

    name: str
    values: dict[str, float]
    worst_error: float


def tour() -> list[TourRow]:
    """Computes every divergence on :data:`divergences.lab.verify.examples.EXAMPLES`."""
    rows = []
    for ex in EXAMPLES:
        p, q = ex.p, ex.q
        values = {
            "kl": float(kl(p, q)),
            "reverse_kl": float(kl(q, p)),
            "js_divergence": float(js_divergence(p, q)),
            "js_distance": float(js_distance(p, q)),
            "total_variation": float(total_variation(p, q)),
            "hellinger": float(hellinger(p, q)),
            "chi_square": float(chi_square(p, q)),
            "gan_value_at_optimum": float(gan_value(p, q, optimal_discriminator(p, q))),
        }
        worst = 0.0
        for key, known in ex.known.items():
            got = values[key]
            if math.isinf(known):
                err = 0.0 if got == known else math.inf
            else:
                err = abs(got - known)
            worst = max(worst, err)
        rows.append(TourRow(ex.name, values, worst))
    return rows


def format_tour(rows: list[TourRow]) -> str:
    """The tour as a fixed-width text table."""
    keys = list(rows[0].values)
    # Each column is as wide as its full name (at least 12 characters) plus a space of margin.
    widths = [max(len(k), 12) + 1 for k in keys]
    head = (
        f"{'example':30s}"
        + "".join(f"{k:>{w}s}" for k, w in zip(keys, widths, strict=True))
        + f"{'max error':>11s}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = "".join(
            f"{np.format_float_positional(v, 6, trim='-'):>{w}s}"
            for v, w in zip(r.values.values(), widths, strict=True)
        )
        lines.append(f"{r.name[:30]:30s}{cells}{r.worst_error:>11.1e}")
    return "\n".join(lines)
