"""Built-in example pairs of distributions, with the values the literature gives for them."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["EXAMPLES", "Example"]


class Example(NamedTuple):
    """A named pair of pmfs on a common finite space.

    Attributes:
      name: a short label.
      p: the first distribution (the data, in GAN terms).
      q: the second distribution (the model).
      known: published or closed-form values, by quantity name, in nats.
    """

    name: str
    p: np.ndarray
    q: np.ndarray
    known: dict[str, float]


_JS_82_37 = 0.8 * math.log(1.6 / 1.1) + 0.2 * math.log(0.4 / 0.9)
_JS_82_37 = 0.5 * (_JS_82_37 + 0.3 * math.log(0.6 / 1.1) + 0.7 * math.log(1.4 / 0.9))

EXAMPLES: tuple[Example, ...] = (
    Example(
        "fair coin vs biased coin",
        np.array([0.5, 0.5]),
        np.array([0.9, 0.1]),
        {"kl": 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)},
    ),
    Example(
        "two Bernoullis (0.8 vs 0.3)",
        np.array([0.8, 0.2]),
        np.array([0.3, 0.7]),
        {
            "js_divergence": _JS_82_37,
            "total_variation": 0.5,
            "gan_value_at_optimum": -math.log(4) + 2 * _JS_82_37,
        },
    ),
    Example(
        "disjoint supports",
        np.array([0.5, 0.5, 0.0, 0.0]),
        np.array([0.0, 0.0, 0.25, 0.75]),
        {"kl": math.inf, "js_divergence": math.log(2), "total_variation": 1.0},
    ),
    Example(
        "identical",
        np.array([0.2, 0.3, 0.5]),
        np.array([0.2, 0.3, 0.5]),
        {"kl": 0.0, "js_divergence": 0.0, "total_variation": 0.0},
    ),
    Example(
        "uniform vs point mass",
        np.full(4, 0.25),
        np.array([1.0, 0.0, 0.0, 0.0]),
        {"kl": math.inf, "reverse_kl": math.log(4), "total_variation": 0.75},
    ),
)
