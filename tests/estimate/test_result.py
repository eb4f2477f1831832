"""An estimate that claims no coverage: every entry gives up its claim the one way (``withheld``).

Each entry below its measured size (or above its measured dimension) returns kind
``"no-coverage-claim"``, sides ``"none"``, the quantity's range as its ends, the reason in its
assumption, the interval it computed in its method, and one :class:`NoCoverageWarning` that
points at the caller's line.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from divergences import estimate as dve
from divergences.estimate import Estimate, NoCoverageWarning
from divergences.estimate._src.claims import ASYMPTOTIC_CLAIMS
from divergences.estimate._src.result import withheld


def _draws(n: int, d: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)) + shift


def _classes(rows: int, classes: int) -> np.ndarray:
    logits = np.random.default_rng(1).standard_normal((rows, classes)) * 3.0
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


# (entry, call, the quantity's range): each call below its measured size or above its dimension
CASES = [
    ("kl", lambda: dve.kl(_draws(60, 1), _draws(60, 1, 1.0, 1)), (0.0, math.inf)),
    ("js", lambda: dve.js(_draws(60, 1), _draws(60, 1, 1.0, 1)), (0.0, math.log(2.0))),
    ("entropy", lambda: dve.entropy(_draws(60, 1)), (-math.inf, math.inf)),
    (
        "mmd_squared",
        lambda: dve.mmd_squared(
            _draws(40, 2), _draws(40, 2, 1.0, 1), bandwidth=1.0, interval="normal"
        ),
        (0.0, 2.0),
    ),
    ("kid", lambda: dve.kid(_draws(40, 3), _draws(40, 3, 1.0, 1)), (0.0, math.inf)),
    ("frechet", lambda: dve.frechet(_draws(80, 2), _draws(80, 2, 1.0, 1)), (0.0, math.inf)),
    (
        "frechet_difference",
        lambda: (
            dve.frechet_difference(
                _draws(80, 2), _draws(80, 2, 0.5, 1), _draws(80, 2, 1.0, 2)
            ).difference
        ),
        (-math.inf, math.inf),
    ),
    ("w1", lambda: dve.w1(_draws(12, 65), _draws(12, 65, 1.0, 1)), (0.0, math.inf)),
    (
        "density",
        lambda: dve.density(real=_draws(60, 2), generated=_draws(60, 2, 0.5, 1)),
        (0.0, 12.0),
    ),
    ("inception_score", lambda: dve.inception_score(_classes(60, 3)).estimate, (1.0, 3.0)),
    (
        "kid_difference",
        lambda: (
            dve.kid_difference(
                _draws(40, 2), _draws(40, 2, 0.5, 1), _draws(40, 2, 1.0, 2)
            ).difference
        ),
        (-math.inf, math.inf),
    ),
]


@pytest.mark.parametrize(("name", "call", "ends"), CASES, ids=[c[0] for c in CASES])
def test_every_entry_claims_nothing_the_same_way(name, call, ends):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = call()  # the warning points here, at the caller's line
    said = [w for w in caught if issubclass(w.category, NoCoverageWarning)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert said[0].filename == __file__, (said[0].filename, name)
    text = str(said[0].message)
    reason = text.split("no coverage claimed: ", 1)[1].split("; the ends are")[0]
    assert (
        text.startswith("no coverage claimed: ") and "; the ends are the quantity's range" in text
    )
    assert (est.kind, est.sides, est.claims_coverage, est.bound) == (
        "no-coverage-claim",
        "none",
        False,
        None,
    )
    assert (est.lower_bound, est.upper_bound) == ends
    assert ends[0] <= est.value <= ends[1]
    assert est.assumption.endswith(f"; no coverage claimed: {reason}")
    # what was computed and not returned: the interval, and a comparison's p-value
    assert re.search(r"\(not returned: \[[^]]*\](; p = \S+)?\)$", est.method), est.method
    assert str(est).split("; plug-in ")[0] == f"{est.quantity} = {est.value:.4g}, no-coverage-claim"


def test_withheld_keeps_the_interval_computed_in_the_method():
    est = Estimate(
        value=0.5, lower_bound=0.25, upper_bound=0.75, level=0.9, kind="asymptotic", sides="two-sided",
        assumption="iid", method="t interval", n=10, m=12, quantity="KL",
    )  # fmt: skip
    with pytest.warns(
        NoCoverageWarning,
        match=r"^no coverage claimed: why; the ends are the quantity's range; x holds$",
    ):
        out = withheld(est, 0.0, math.inf, "why", instead="x holds", stacklevel=2)
    assert out == est._replace(
        kind="no-coverage-claim", sides="none", lower_bound=0.0, upper_bound=math.inf,
        assumption="iid; no coverage claimed: why", method="t interval (not returned: [0.25, 0.75])",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert withheld(est, 0.0, math.inf, "why", warn=False) == out
    assert ASYMPTOTIC_CLAIMS["kl"].refusal(3, 60) == (
        "kl's interval is measured to hold in d <= 2 from n = 250 draws "
        "(benchmarks/estimate_coverage.md), here d = 3, n = 60"
    )
    assert (
        ASYMPTOTIC_CLAIMS["density"]
        .refusal(9, 60)
        .startswith("density's interval is measured to hold in d <= 8 from n = 500 draws")
    )
    assert (
        ASYMPTOTIC_CLAIMS["kid_difference"]
        .refusal(3, 60)
        .startswith(
            "kid_difference's interval is measured to hold in d <= 64 from n = 250, "
            "d <= 2048 from n = 1000 draws"
        )
    )


def test_without_claim_is_withheld_s_rule_without_a_warning() -> None:
    est = Estimate(
        value=0.5, lower_bound=0.25, upper_bound=0.75, level=0.9, kind="asymptotic", sides="two-sided",
        assumption="iid", method="t interval", n=10, m=12, quantity="FD",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the caller says why: no warning
        out = est.without_claim("B copies", 0.0, math.inf)
    assert out == withheld(est, 0.0, math.inf, "B copies", warn=False)
    assert not out.claims_coverage and out.assumption.endswith("no coverage claimed: B copies")
    with pytest.raises(ValueError, match=r"lower and upper must be the quantity's range"):
        est.without_claim("why", 0.6, 1.0)  # a range that leaves the value out


def test_str_prints_the_plug_in_where_it_differs_from_the_value() -> None:
    est = Estimate(
        value=19.79, lower_bound=18.1, upper_bound=21.5, level=0.95, kind="asymptotic",
        sides="two-sided", assumption="", method="", n=10, m=10, quantity="FD", plug_in=55.17,
    )  # fmt: skip
    assert str(est) == "FD = 19.79 in [18.1, 21.5] at 95%, asymptotic; plug-in 55.17"
    assert str(est._replace(plug_in=None)) == "FD = 19.79 in [18.1, 21.5] at 95%, asymptotic"
    assert "plug-in" not in str(est._replace(plug_in=19.79))  # the same number, said once
