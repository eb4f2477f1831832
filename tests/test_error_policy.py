"""The error policy, rule by rule, for every public function but W1's.

Every value rule raises the same ValueError, type and message, eagerly and under
``dv.checked(jax.jit(...))``; and the inputs that used to crash with TypeError, ZeroDivisionError or
NumPy's internal errors get a ValueError naming the argument, the right value, or the documented
conversion.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.testing import tolerance
from tests.helpers import SLOW, quick_only

G = dv.generators
GOOD = np.array([0.5, 0.5])
THIRD = np.full(3, 1 / 3)

#: Bad pmfs, by the rule they break (the first in the order of the checks).
BAD_PMF = {
    "nan": np.array([0.5, math.nan, 0.5]),
    "inf": np.array([0.5, math.inf, 0.0]),
    "negative": np.array([0.6, -0.1, 0.5]),
    "sum_low": np.array([0.3, 0.3, 0.3]),
    "sum_high": np.array([0.5, 0.5, 0.5]),
}
BASES = {"zero": 0.0, "one": 1.0, "minus_two": -2.0, "nan": math.nan, "inf": math.inf}

#: Functions of two pmfs (their third argument, where there is one, is fixed and valid).
PAIR: dict[str, Callable[..., Any]] = {
    "kl": dv.kl,
    "cross_entropy": dv.cross_entropy,
    "js_divergence": dv.js_divergence,
    "js_distance": dv.js_distance,
    "total_variation": dv.total_variation,
    "hellinger": dv.hellinger,
    "chi_square": dv.chi_square,
    **{
        f"f_divergence[{g.name}]": (lambda p, q, g=g: dv.f_divergence(p, q, g))
        for g in G.GENERATORS.values()
    },
    "optimal_critic": lambda p, q: dv.optimal_critic(p, q, G.KL),
    "variational_bound": lambda p, q: dv.variational_bound(p, q, jnp.zeros(3), G.KL),
    "optimal_discriminator": dv.optimal_discriminator,
    "gan_value": lambda p, q: dv.gan_value(p, q, jnp.full(3, 0.5)),
}
#: Functions taking a base, as f(base) on valid masses.
BASED: dict[str, Callable[..., Any]] = {
    "kl": lambda b: dv.kl(GOOD, GOOD, base=b),
    "cross_entropy": lambda b: dv.cross_entropy(GOOD, GOOD, base=b),
    "entropy": lambda b: dv.entropy(GOOD, base=b),
    "js_divergence": lambda b: dv.js_divergence(GOOD, GOOD, base=b),
    "js_distance": lambda b: dv.js_distance(GOOD, GOOD, base=b),
    "f_divergence": lambda b: dv.f_divergence(GOOD, GOOD, G.KL, base=b),
    "gan_value": lambda b: dv.gan_value(GOOD, GOOD, GOOD, base=b),
    "mutual_information": lambda b: dv.mutual_information(np.full((2, 2), 0.25), base=b),
    "conditional_entropy": lambda b: dv.conditional_entropy(np.full((2, 2), 0.25), base=b),
}
#: A critic outside each generator's conjugate domain, on p = q = (1/2, 1/2).
OUTSIDE = {
    "KL": [-math.inf, 0.0],  # -inf only where p = 0
    "reverse KL": [0.5, -1.0],
    "Pearson chi^2": [math.inf, 0.0],
    "Neyman chi^2": [2.0, 0.0],
    "squared Hellinger": [1.0, 0.0],
    "Jensen-Shannon": [1.0, 0.0],
    "GAN": [0.1, -1.0],
    "total variation": [10.0, -10.0],
}


def _cases() -> list[tuple[str, Callable[..., Any], tuple[Any, ...]]]:
    cases: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = []
    for name, fn in PAIR.items():
        for rule, bad in BAD_PMF.items():
            cases.append((f"{name}-p-{rule}", fn, (bad, THIRD)))
            cases.append((f"{name}-q-{rule}", fn, (THIRD, bad)))
    for rule, bad in BAD_PMF.items():
        cases.append((f"entropy-p-{rule}", dv.entropy, (bad,)))
        joint = np.concatenate([bad, [0.0]]).reshape(2, 2)
        cases.append((f"mutual_information-{rule}", dv.mutual_information, (joint,)))
        cases.append((f"conditional_entropy-{rule}", dv.conditional_entropy, (joint,)))
        cases.append((f"inception_score-{rule}", dv.inception_score, (bad[None, :],)))
        cases.append(
            (
                f"inception_score-weights-{rule}",
                dv.inception_score,
                (np.tile(THIRD, (3, 1)), bad),
            )
        )
    for name, fn in BASED.items():
        for rule, base in BASES.items():
            cases.append((f"{name}-base-{rule}", fn, (np.asarray(base),)))
    cases.append(("js_distance-base-below-one", BASED["js_distance"], (np.asarray(0.5),)))
    gan = lambda d: dv.gan_value(GOOD, GOOD, d)  # noqa: E731
    for rule, d in {"nan": [0.5, math.nan], "above": [0.5, 1.5], "below": [-0.1, 0.5]}.items():
        cases.append((f"gan_value-d-{rule}", gan, (np.array(d),)))
    for g in G.GENERATORS.values():
        bound = lambda t, g=g: dv.variational_bound(GOOD, GOOD, t, g)  # noqa: E731
        cases.append((f"variational_bound[{g.name}]-t-nan", bound, (np.array([math.nan, 0.0]),)))
        cases.append(
            (f"variational_bound[{g.name}]-t-outside", bound, (np.array(OUTSIDE[g.name]),))
        )
    cases.append(
        (
            "f_divergence-callable-without-slope",
            lambda p, q: dv.f_divergence(p, q, lambda u: 0.5 * jnp.abs(u - 1)),
            (GOOD, np.array([1.0, 0.0])),
        )
    )
    normal = {
        "mu_p-nan": (math.nan, 1.0, 0.0, 1.0),
        "sigma_p-inf": (0.0, math.inf, 0.0, 1.0),
        "mu_q-inf": (0.0, 1.0, math.inf, 1.0),
        "sigma_p-zero": (0.0, 0.0, 0.0, 1.0),
        "sigma_q-negative": (0.0, 1.0, 0.0, -2.0),
    }
    for rule, args in normal.items():
        cases.append((f"kl_normal-{rule}", dv.kl_normal, tuple(np.asarray(a) for a in args)))
    eye, zero = np.eye(2), np.zeros(2)
    mvn = {
        "mean_p-nan": (np.array([math.nan, 0.0]), eye, zero, eye),
        "cov_p-nan": (zero, np.array([[1.0, math.nan], [math.nan, 1.0]]), zero, eye),
        "cov_q-asymmetric": (zero, eye, zero, np.array([[1.0, 0.5], [0.0, 1.0]])),
        "cov_p-indefinite": (zero, np.diag([1.0, -1.0]), zero, eye),
    }
    for rule, args in mvn.items():
        cases.append((f"kl_mvn-{rule}", dv.kl_mvn, args))
        cases.append((f"frechet_distance-{rule}", dv.frechet_distance, args))
    cases.append(("kl_mvn-cov_q-singular", dv.kl_mvn, (zero, eye, zero, np.diag([1.0, 0.0]))))
    return cases


CASES = _cases()


def _by_function() -> dict[str, list[tuple[str, Callable[..., Any], tuple[Any, ...]]]]:
    """The cases grouped by the function they call, named by what their ids share."""
    groups: dict[int, list[tuple[str, Callable[..., Any], tuple[Any, ...]]]] = {}
    for case in CASES:
        groups.setdefault(id(case[1]), []).append(case)
    named = {}
    for cases in groups.values():
        ids = [case for case, _, _ in cases]
        prefix = os.path.commonprefix(ids)  # noqa: RUF071 (of ids, not paths)
        named[prefix.rstrip("-") if len(ids) > 1 else ids[0]] = cases
    return named


#: One test a function: its program under checked(jit) is compiled once, by the first of its
#: cases, and every other case of its table runs on it in the same process at no compile cost.
BY_FUNCTION = _by_function()


def _error(fn: Callable[..., Any], args: tuple[Any, ...]) -> ValueError:
    with pytest.raises(ValueError) as info:
        fn(*args)
    assert type(info.value) is ValueError
    return info.value


def test_the_table_covers_every_public_function_outside_w1() -> None:
    covered = {case.split("-")[0].split("[")[0] for case, _, _ in CASES}
    public = {
        "kl", "cross_entropy", "entropy", "js_divergence", "js_distance", "total_variation",
        "hellinger", "chi_square", "f_divergence", "optimal_critic", "variational_bound",
        "optimal_discriminator", "gan_value", "mutual_information", "conditional_entropy",
        "inception_score", "kl_normal", "kl_mvn", "frechet_distance",
    }  # fmt: skip
    assert public <= covered, public - covered
    assert len(CASES) > 250
    assert sum(len(cases) for cases in BY_FUNCTION.values()) == len(CASES)  # no group lost


#: The tables the quick tier runs under checked jit: KL's masses, the Gaussian family's moments,
#: a critic on a bounded domain (variational_bound by total variation), the optimal critic, the
#: discriminator of gan_value and a generator without its slope, with KL's base and js_distance's.
#: Every function checks its base with the same check_base (divergences/_src/domain.py), so
#: kl-base stands for the other base tables; js_distance-base adds its check_base_above_one. Every
#: table runs the same comparison, each case its own program: the others in the slow tier.
QUICK_TABLES = {
    "kl", "kl_mvn", "variational_bound[total variation]-t", "optimal_critic", "gan_value-d",
    "f_divergence-callable-without-slope", "kl-base", "js_distance-base",
}  # fmt: skip


def _quick_table(function: str) -> bool:
    """Whether ``function``'s table is run by the quick tier (see :data:`QUICK_TABLES`)."""
    return function in QUICK_TABLES


@pytest.mark.parametrize("function", quick_only(BY_FUNCTION, _quick_table))
def test_checked_jit_raises_what_eager_raises(function: str) -> None:
    for case, fn, args in BY_FUNCTION[function]:
        eager = _error(fn, args)
        traced = _error(dv.checked(jax.jit(fn)), tuple(jnp.asarray(a) for a in args))
        assert str(traced) == str(eager), case
        # The message names the argument it is about first (or the base, the function for
        # js_distance).
        assert str(eager).split()[0] in {
            "p", "q", "joint", "conditionals", "weights", "base", "js_distance", "d", "t", "mu_p",
            "sigma_p", "mu_q", "sigma_q", "mean_p", "cov_p", "mean_q", "cov_q",
        }, case  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (dv.kl, (GOOD, GOOD)),
        # The others in the slow tier: each its own program, through the same checks.
        *(
            pytest.param(*case, marks=SLOW)
            for case in [
                (lambda p, q, b: dv.js_distance(p, q, base=b), (GOOD, GOOD, np.asarray(2.0))),
                (
                    lambda p, q, t: dv.variational_bound(p, q, t, G.TOTAL_VARIATION),
                    (GOOD, GOOD, GOOD),
                ),
                (dv.kl_mvn, (np.zeros(2), np.eye(2), np.ones(2), np.eye(2))),
            ]
        ),
    ],
)
def test_checked_jit_passes_valid_input(fn, args) -> None:
    expected = fn(*args)
    got = dv.checked(jax.jit(fn))(*(jnp.asarray(a) for a in args))
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), **tolerance("float64"))


# --- class 7: inputs that crashed or misled ------------------------------------------------


@pytest.mark.parametrize("axis", [None, "0", 1.5, True, [0]], ids=repr)
@pytest.mark.parametrize(
    "fn",
    [
        lambda axis: dv.kl(GOOD, GOOD, axis=axis),
        lambda axis: dv.entropy(GOOD, axis=axis),
        lambda axis: dv.total_variation(GOOD, GOOD, axis=axis),
        lambda axis: dv.f_divergence(GOOD, GOOD, G.JENSEN_SHANNON, axis=axis),
        lambda axis: dv.gan_value(GOOD, GOOD, GOOD, axis=axis),
        lambda axis: dv.variational_bound(GOOD, GOOD, [0.0, 0.0], G.KL, axis=axis),
    ],
    ids=["kl", "entropy", "total_variation", "f_divergence", "gan_value", "variational_bound"],
)
def test_axis_that_is_not_an_integer_is_named(fn, axis) -> None:
    with pytest.raises(ValueError, match=r"^axis must be an integer"):
        fn(axis)


def test_generator_given_by_name_says_what_it_expects() -> None:
    with pytest.raises(ValueError, match=r"^f must be an FGenerator.*GENERATORS\['KL'\]"):
        dv.f_divergence(GOOD, GOOD, "KL")
    with pytest.raises(ValueError, match=r"^f must be an FGenerator or a callable, got int"):
        dv.f_divergence(GOOD, GOOD, 3)
    with pytest.raises(ValueError, match=r"^generator must be an FGenerator"):
        dv.variational_bound(GOOD, GOOD, GOOD, "GAN")
    with pytest.raises(ValueError, match=r"^slope_at_infinity is for a plain callable"):
        dv.f_divergence(GOOD, GOOD, G.KL, slope_at_infinity=1.0)


def test_inception_score_of_an_empty_batch() -> None:
    with pytest.raises(ValueError, match=r"^conditionals has no rows"):
        dv.inception_score(np.zeros((0, 3)))


# Both in the slow tier (5 s and 0.5 s, loaded): test_validation.py's
# test_half_precision_computes_in_float32_and_returns_the_input_dtype proves it there, and its
# test_the_sum_tolerance_follows_the_input_dtype[float16] keeps float16's sum check quick.
@pytest.mark.slow
@pytest.mark.parametrize("low", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
def test_low_precision_input_is_computed_in_float32(low) -> None:
    # Computed in float32, returned in the input's dtype (rounded once).
    p = jnp.asarray([0.25, 0.75], dtype=low)
    q = jnp.asarray([0.5, 0.5], dtype=low)
    for fn in (dv.kl, dv.js_divergence, dv.total_variation, dv.hellinger, dv.chi_square):
        out = fn(p, q)
        assert out.dtype == low
        expected = fn(np.asarray(p, dtype=np.float32), np.asarray(q, dtype=np.float32))
        assert float(out) == float(np.asarray(expected).astype(low))  # NumPy: no F16C needed
    assert dv.entropy(np.asarray(p)).dtype == low  # a NumPy bfloat16 array too
    with pytest.raises(ValueError, match="q does not sum to 1"):
        dv.kl(p, jnp.asarray([0.5, 0.25], dtype=low))


def test_frechet_distance_of_singular_covariances_is_never_negative() -> None:
    rng = np.random.default_rng(0)
    worst = math.inf
    for _ in range(200):
        a = rng.normal(size=(4, 2)) * 10.0 ** rng.uniform(-3, 3)
        c = a @ a.T  # rank 2 of 4: singular
        for other in (c, c + 1e-12 * np.trace(c) * np.eye(4)):
            v = float(dv.frechet_distance(np.zeros(4), c, np.zeros(4), other))
            worst = min(worst, v)
            assert v >= 0.0
    assert worst == 0.0  # the rounding residues that used to come out negative are at 0


@pytest.mark.parametrize(
    ("fn", "args", "match"),
    [
        (dv.kl_mvn, (np.zeros((3, 2)), np.eye(2), np.zeros((4, 2)), np.eye(2)), "mean_p .*mean_q"),
        (
            dv.frechet_distance,
            (
                np.zeros(2),
                np.broadcast_to(np.eye(2), (3, 2, 2)),
                np.zeros(2),
                np.broadcast_to(np.eye(2), (2, 2, 2)),
            ),
            "cov_p .*cov_q",
        ),
        (dv.kl_mvn, (np.zeros(2), np.eye(2), np.zeros(3), np.eye(3)), "same dimension"),
        (dv.kl_normal, (np.zeros(3), np.ones(3), np.zeros(2), 1.0), "must broadcast"),
    ],
)
def test_gaussian_batch_shapes_that_do_not_broadcast_are_named(fn, args, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fn(*args)


BAD_INPUTS: list[tuple[str, Callable[[], Any]]] = [
    ("axis None", lambda: dv.kl(GOOD, GOOD, axis=None)),
    ("axis str", lambda: dv.js_distance(GOOD, GOOD, axis="0")),
    ("generator str", lambda: dv.f_divergence(GOOD, GOOD, "KL")),
    ("empty batch", lambda: dv.inception_score(np.zeros((0, 2)))),
    ("base str", lambda: dv.kl(GOOD, GOOD, base="2")),
    ("base list", lambda: dv.entropy(GOOD, base=[2, 3])),
    ("base complex", lambda: dv.kl(GOOD, GOOD, base=2 + 0j)),
    ("base bool", lambda: dv.kl(GOOD, GOOD, base=True)),
    ("p None", lambda: dv.kl(None, GOOD)),
    ("p dict", lambda: dv.total_variation({"a": 1.0}, GOOD)),
    ("p strings", lambda: dv.hellinger(["a", "b"], GOOD)),
    ("p ragged", lambda: dv.chi_square([[0.5, 0.5], [1.0]], GOOD)),
    ("p complex", lambda: dv.kl(np.array([0.5 + 0j, 0.5]), GOOD)),
    ("d str", lambda: dv.gan_value(GOOD, GOOD, ["a", "b"])),
    ("t ragged", lambda: dv.variational_bound(GOOD, GOOD, [[0.0], [0.0, 1.0]], G.KL)),
    ("t wrong length", lambda: dv.variational_bound(GOOD, GOOD, [0.0, 0.0, 0.0], G.KL)),
    ("mvn batch", lambda: dv.kl_mvn(np.zeros((3, 2)), np.eye(2), np.zeros((4, 2)), np.eye(2))),
    ("mvn rank", lambda: dv.frechet_distance(np.zeros(2), np.ones(2), np.zeros(2), np.eye(2))),
    ("sigma str", lambda: dv.kl_normal(0.0, "1")),
    ("joint 1-D", lambda: dv.mutual_information(GOOD)),
    ("axis out of range", lambda: dv.kl(GOOD, GOOD, axis=3)),
]


@pytest.mark.parametrize(("label", "call"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_a_value_error_never_a_crash(label: str, call) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert type(info.value) is ValueError, type(info.value)
