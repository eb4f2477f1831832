"""Bad input: every rule raises a ValueError that names the argument and the rule.

Plainly and, through ``dv.checked``, under jit. Nothing is renormalised.
"""

from __future__ import annotations

import math
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences._src.domain import check_pmf
from divergences._src.errors import require
from divergences._src.precision import sum_tolerance
from divergences.testing import tolerance
from tests.helpers import programs_built

G = dv.generators
GOOD = [0.5, 0.5]

#: Every public function taking two pmfs, with the options that complete its call.
PAIR_FUNCTIONS = {
    "kl": dv.kl,
    "cross_entropy": dv.cross_entropy,
    "js_divergence": dv.js_divergence,
    "js_distance": dv.js_distance,
    "total_variation": dv.total_variation,
    "hellinger": dv.hellinger,
    "chi_square": dv.chi_square,
    "f_divergence": lambda p, q, **kw: dv.f_divergence(p, q, G.KL, **kw),
    "optimal_critic": lambda p, q, **kw: dv.optimal_critic(p, q, G.KL, **kw),
    "variational_bound": lambda p, q, **kw: dv.variational_bound(p, q, [0.0, 0.0], G.KL, **kw),
    "optimal_discriminator": dv.optimal_discriminator,
    "gan_value": lambda p, q, **kw: dv.gan_value(p, q, [0.5, 0.5], **kw),
}
PAIRS = list(PAIR_FUNCTIONS)
BASED = {
    "kl": dv.kl,
    "cross_entropy": dv.cross_entropy,
    "js_divergence": dv.js_divergence,
    "js_distance": dv.js_distance,
    "f_divergence": lambda p, q, **kw: dv.f_divergence(p, q, G.KL, **kw),
    "gan_value": lambda p, q, **kw: dv.gan_value(p, q, [0.5, 0.5], **kw),
    "entropy": lambda p, q, **kw: dv.entropy(p, **kw),
}

# (bad value, the words the message must contain)
BAD_PMFS = [
    ([0.5, -0.1, 0.6], "negative mass"),
    ([0.5, math.nan], "contains NaN"),
    ([0.5, math.inf], "contains inf"),
    ([0.5, 0.4], "does not sum to 1"),
    ([1.0, 1.0], "does not sum to 1"),
    ([], "empty"),
    (0.5, "scalar"),
    (np.array([0.5 + 0j, 0.5]), "complex"),
    ([[0.5, 0.5], [0.5]], "array of numbers"),
    (["a", "b"], "real numbers"),
]
BAD_IDS = [
    "negative",
    "nan",
    "inf",
    "sum<1",
    "sum>1",
    "empty",
    "scalar",
    "complex",
    "ragged",
    "str",
]


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize(("bad", "rule"), BAD_PMFS, ids=BAD_IDS)
def test_bad_p_and_q_are_named(name: str, bad, rule: str) -> None:
    """Bad p and q are named."""
    fn = PAIR_FUNCTIONS[name]
    with pytest.raises(ValueError, match=rule) as info:
        fn(bad, GOOD)
    assert info.value.args[0].startswith("p ")
    with pytest.raises(ValueError, match=rule) as info:
        fn(GOOD, bad)
    assert info.value.args[0].startswith("q ")


@pytest.mark.parametrize(("bad", "rule"), BAD_PMFS, ids=BAD_IDS)
def test_bad_entropy_input(bad, rule: str) -> None:
    """Bad entropy input."""
    with pytest.raises(ValueError, match=rf"^p .*{rule}"):
        dv.entropy(bad)


def test_no_renormalisation() -> None:
    """No renormalisation."""
    # Off by more than the tolerance: refused, with the fix in the message.
    tol = sum_tolerance(np.float64)
    with pytest.raises(ValueError, match=r"never renormalises.*p / p.sum"):
        dv.kl([0.5, 0.5 + 10 * tol], GOOD)
    # Within the tolerance: accepted, and used as given (not rescaled). KL is summed as
    # p log(p/q) - p + q, which for these masses is the textbook sum minus tol / 2; rescaling p
    # would move the value by about (tol / 2)(KL - 1), far more than the tolerance allows.
    p = np.array([0.5, 0.5 + tol / 2])
    q = np.array([0.25, 0.75])
    expected = float((p * np.log(p / q)).sum() - p.sum() + q.sum())
    rescaled = p / p.sum()
    assert abs(float((rescaled * np.log(rescaled / q)).sum()) - expected) > 1e-9
    np.testing.assert_allclose(float(dv.kl(p, q)), expected, rtol=1e-12)
    # float32 has its own, looser tolerance.
    assert sum_tolerance(np.float32) > sum_tolerance(np.float64)
    check_pmf(np.array([0.5, 0.5001], dtype=np.float32), "p")
    with pytest.raises(ValueError, match="does not sum to 1"):
        check_pmf(np.array([0.5, 0.5001]), "p")


@pytest.mark.parametrize("name", PAIRS)
def test_shapes_that_do_not_broadcast(name: str) -> None:
    """Shapes that do not broadcast."""
    fn = PAIR_FUNCTIONS[name]
    with pytest.raises(
        ValueError, match=r"p has shape \(3, 2\) and q has shape \(2, 2\).*broadcast"
    ):
        fn(np.full((3, 2), 0.5), np.full((2, 2), 0.5))


# Functions whose table entry binds a third argument of length 2 (a critic, a discriminator):
# the cases below change the length of p, so they run on the two-argument functions only.
TWO_ARGUMENT_PAIRS = [n for n in PAIRS if n not in ("variational_bound", "gan_value")]


@pytest.mark.parametrize("name", TWO_ARGUMENT_PAIRS)
def test_mass_axis_lengths_must_match(name: str) -> None:
    """Mass axis lengths must match."""
    fn = PAIR_FUNCTIONS[name]
    # A length-1 mass axis would broadcast to a point mass: refused.
    with pytest.raises(ValueError, match=r"mass axis .* same length.*p has 1, q has 3"):
        fn([1.0], [0.2, 0.3, 0.5])
    # Along axis 0 of 2-D input.
    with pytest.raises(ValueError, match="same length"):
        fn(np.full((1, 3), 1.0), np.full((2, 3), 0.5), axis=0)


def test_axis_out_of_range_and_missing_mass_axis() -> None:
    """Axis out of range and missing mass axis."""
    with pytest.raises(ValueError, match="axis 2 is out of range for p with 1 dimension"):
        dv.entropy([0.5, 0.5], axis=2)
    with pytest.raises(ValueError, match=r"axis -3 is out of range for p"):
        dv.kl(np.full((2, 2), 0.5), np.full((2, 2), 0.5), axis=-3)
    # Ranks differ and p has no axis 0 once broadcast against q.
    with pytest.raises(ValueError, match=r"p has shape \(3,\), which has no mass axis 0"):
        dv.kl(np.full(3, 1 / 3), np.full((3, 3), 1 / 3), axis=0)


@pytest.mark.parametrize("name", list(BASED))
@pytest.mark.parametrize("base", [0, 1, -2, math.nan, math.inf, 1.0, "2", 2 + 0j, [2, 3]])
def test_invalid_base(name: str, base) -> None:
    """Invalid base."""
    with pytest.raises(ValueError, match=r"base must be None .* finite number > 0 and != 1"):
        BASED[name](GOOD, GOOD, base=base)


@pytest.mark.parametrize(
    ("d", "rule"),
    [
        ([0.5, 1.5], r"d must lie in \[0, 1\]"),
        ([-0.1, 0.5], r"d must lie in \[0, 1\]"),
        ([0.5, math.nan], "d contains NaN"),
        ([0.5, 0.5, 0.5], r"d has shape \(3,\): they do not broadcast"),
        (np.array([0.5 + 0j, 0.5]), "d must be real"),
    ],
    ids=["above", "below", "nan", "length", "complex"],
)
def test_bad_discriminator(d, rule: str) -> None:
    """Bad discriminator."""
    with pytest.raises(ValueError, match=rule):
        dv.gan_value(GOOD, GOOD, d)


def test_a_scalar_discriminator_is_constant_over_outcomes() -> None:
    """A scalar discriminator is constant over outcomes."""
    # D = 1/2 everywhere: V = log(1/2) + log(1/2) = -log 4 whatever p and q are.
    np.testing.assert_allclose(
        float(dv.gan_value(GOOD, [0.1, 0.9], 0.5)), -math.log(4), **tolerance("float64")
    )
    np.testing.assert_allclose(
        float(dv.gan_value(GOOD, [0.1, 0.9], 0.3)),
        float(dv.gan_value(GOOD, [0.1, 0.9], [0.3, 0.3])),
        **tolerance("float64"),
    )


def test_discriminator_without_the_mass_axis() -> None:
    """Discriminator without the mass axis."""
    p = np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match=r"d has shape \(2,\), which has no mass axis 0"):
        dv.gan_value(p, p, [0.5, 0.5], axis=0)
    # Along the last axis the same d broadcasts over the leading one.
    np.testing.assert_allclose(
        dv.gan_value(p, p, [0.5, 0.5]), [math.log(0.25)] * 2, **tolerance("float64")
    )


def test_integer_and_boolean_input_become_floats() -> None:
    """Integer and boolean input become floats."""
    assert float(dv.kl([1, 0], [1, 0])) == 0.0
    assert float(dv.total_variation(np.array([True, False]), np.array([False, True]))) == 1.0


checked_kl = dv.checked(jax.jit(dv.kl))
checked_entropy = dv.checked(jax.jit(dv.entropy))
checked_gan = dv.checked(jax.jit(dv.gan_value))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("p", "rule"),
    [
        ([0.5, -0.1, 0.6], "p has negative mass"),
        ([0.5, math.nan], "p contains NaN"),
        ([0.5, math.inf], "p contains inf"),
        ([0.5, 0.4], "p does not sum to 1"),
    ],
    ids=["negative", "nan", "inf", "sum"],
)
def test_checked_raises_under_jit(p, rule: str) -> None:
    """dv.checked raises under jit."""
    p = jnp.asarray(p)
    with pytest.raises(ValueError, match=rule):
        checked_kl(p, jnp.asarray([0.5, 0.5]) if p.size == 2 else jnp.full(3, 1 / 3))
    with pytest.raises(ValueError, match=rule):
        checked_entropy(p)
    q = jnp.asarray(np.asarray(p))
    with pytest.raises(ValueError, match=rule.replace("p ", "q ")):
        checked_kl(jnp.full(q.size, 1 / q.size), q)


def test_checked_passes_good_input_and_checks_d() -> None:
    """dv.checked passes good input and checks d."""
    np.testing.assert_allclose(
        float(checked_kl(jnp.array([0.5, 0.5]), jnp.array([0.9, 0.1]))),
        0.5108256237659907,
        **tolerance("float64"),
    )
    with pytest.raises(ValueError, match=r"d must lie in \[0, 1\]"):
        checked_gan(jnp.array(GOOD), jnp.array(GOOD), jnp.array([0.5, 1.5]))
    # Shape rules hold at trace time, checked or not.
    with pytest.raises(ValueError, match="same length"):
        jax.jit(dv.kl)(jnp.array([1.0]), jnp.array([0.5, 0.5]))


def test_unchecked_jit_is_silent() -> None:
    """Unchecked jit is silent."""
    # Without dv.checked, the value checks compile to nothing: the caller asked for speed.
    out = jax.jit(dv.kl)(jnp.array([0.5, 0.4]), jnp.array([0.5, 0.5]))
    assert np.isfinite(float(out))


@pytest.mark.slow
@pytest.mark.parametrize("name", TWO_ARGUMENT_PAIRS)
@pytest.mark.parametrize(
    ("bad", "rule"),
    [([0.5, -0.1, 0.6], "has negative mass"), ([0.5, 0.4, 0.0], "does not sum to 1")],
    ids=["negative", "sum"],
)
def test_checked_names_the_argument_for_every_function(name: str, bad, rule: str) -> None:
    """dv.checked names the argument for every function."""
    fn = PAIR_FUNCTIONS[name]
    checked = dv.checked(jax.jit(fn))
    good = jnp.full(3, 1 / 3)
    with pytest.raises(ValueError, match=f"^p {rule}"):
        checked(jnp.asarray(bad), good)
    with pytest.raises(ValueError, match=f"^q {rule}"):
        checked(good, jnp.asarray(bad))


def test_checked_compiles_once_per_shape() -> None:
    """A second call, or a second wrapper of the function, builds no program."""
    # Under checkify's eager interpreter every call built the jitted parts after a check again.
    p, batched = jnp.full((2, 3), 1 / 3), jax.vmap(dv.kl)
    checked = dv.checked(batched)
    assert programs_built(checked, p, p) > 0
    assert programs_built(checked, p, p) == 0
    assert programs_built(dv.checked(batched), p, p) == 0
    with pytest.raises(ValueError, match="p does not sum to 1"):
        checked(2 * p, p)


def test_checked_runs_a_function_that_reads_its_input_in_python() -> None:
    """A function that branches on its input's values runs on the concrete input, checked."""

    def kl_or_zero(p: jax.Array, q: jax.Array) -> jax.Array:
        return dv.kl(p, q) if np.asarray(p)[0] > 0 else jnp.zeros(())

    p, q = jnp.array([0.5, 0.5]), jnp.array([0.25, 0.75])
    assert float(dv.checked(kl_or_zero)(p, q)) == float(dv.kl(p, q))
    with pytest.raises(ValueError, match="q does not sum to 1"):
        dv.checked(kl_or_zero)(p, 2 * q)


# kid and mmd_squared in the slow tier: frechet, kl and w1_projected keep checked's one branch
# for host functions quick.
@pytest.mark.parametrize(
    "estimate",
    [
        dv.estimate.frechet,
        pytest.param(dv.estimate.kid, marks=pytest.mark.slow),
        dv.estimate.kl,
        pytest.param(dv.estimate.mmd_squared, marks=pytest.mark.slow),
        dv.estimate.w1_projected,
    ],
    ids=lambda f: f.__name__,
)
def test_checked_calls_a_host_function_as_it_is(estimate) -> None:
    """The sample estimates run on the host and check eagerly: checked adds nothing to them."""
    # Before, checked traced them under jit, and their conversion of the traced draws became a
    # ValueError that blamed valid draws ("x must be an array of draws").
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((300, 2)), rng.standard_normal((300, 2)) + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
        assert dv.checked(estimate)(x, y) == estimate(x, y)
    y[3, 1] = np.nan
    with pytest.raises(ValueError, match="y must be finite: 1 of its 300 draws"):
        dv.checked(estimate)(x, y)
    # Traced, they cannot run: JAX's own error says that the values are needed.
    with pytest.raises(jax.errors.TracerArrayConversionError):
        jax.jit(estimate)(x, x)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("shape", "axis", "bad", "where"),
    [
        ((1000, 4), -1, [(637, 1), (900, 0)], "p[637, :]"),
        ((3, 5, 4), 1, [(2, 3, 1), (2, 4, 3)], "p[2, :, 1]"),
    ],
)
def test_a_batch_that_does_not_sum_to_1_names_its_first_slice_off(shape, axis, bad, where) -> None:
    # Eagerly and under dv.checked(jax.jit(...)) alike: the first slice off (in C order along the
    # batch axes), not the worst, and that slice's own sum.
    p = np.full(shape, 1 / shape[axis])
    p[bad[0]] += 0.25
    p[bad[1]] += 0.5
    rule = re.escape(
        f"p does not sum to 1 along axis {axis % len(shape)} (first at {where}: sum = 1.25,"
    )
    with pytest.raises(ValueError, match="^" + rule):
        dv.kl(p, np.full(shape, 1 / shape[axis]), axis=axis)
    with pytest.raises(ValueError, match="^" + rule):
        dv.checked(jax.jit(dv.kl, static_argnames="axis"))(
            jnp.asarray(p), jnp.full(shape, 1 / shape[axis]), axis=axis
        )


@pytest.mark.slow
def test_checked_composes_with_vmap_jit_and_grad() -> None:
    """dv.checked composes with vmap, jit and grad."""
    # dv.checked inside a transformation: the same ValueError as a plain call, eagerly under
    # vmap and grad; under an outer jit the failure can only leave the compiled program as a
    # runtime error, which carries the same message.
    good = jnp.full((3, 2), 0.5)
    bad = good.at[1, 0].set(0.9)
    rule = r"^p does not sum to 1 along axis 0 \(sum = 1.4"
    batched = jax.vmap(dv.checked(dv.kl))
    np.testing.assert_array_equal(np.asarray(batched(good, good)), np.zeros(3))
    with pytest.raises(ValueError, match=rule):
        batched(bad, good)
    grads = jax.vmap(jax.grad(dv.checked(dv.kl)))
    assert np.isfinite(np.asarray(grads(good, good))).all()
    with pytest.raises(ValueError, match=rule):
        grads(bad, good)
    with pytest.raises(ValueError, match=rule):
        jax.grad(dv.checked(dv.kl))(bad[1], good[1])
    jitted = jax.jit(dv.checked(dv.kl))
    np.testing.assert_array_equal(np.asarray(jitted(good[0], good[0])), 0.0)
    with pytest.raises(jax.errors.JaxRuntimeError, match="p does not sum to 1 along axis 0"):
        jax.block_until_ready(jitted(bad[1], good[1]))


HALF = [jnp.bfloat16, jnp.float16]

#: Every public function of masses, on the masses of a float32 pmf pair (p, q) cast to a dtype.
HALF_CALLS = {
    **PAIR_FUNCTIONS,
    # A critic and a discriminator in the masses' dtype (a list would promote to float32).
    "variational_bound": lambda p, q: dv.variational_bound(p, q, jnp.zeros_like(p), G.KL),
    "gan_value": lambda p, q: dv.gan_value(p, q, jnp.full_like(p, 0.5)),
    "gan_value_at_d_star": lambda p, q: dv.gan_value(p, q),
    "entropy": lambda p, q: dv.entropy(p),
    "mutual_information": lambda p, q: dv.mutual_information(p.reshape(2, 5)),
    "conditional_entropy": lambda p, q: dv.conditional_entropy(p.reshape(2, 5)),
    "inception_score": lambda p, q: dv.inception_score(jnp.stack([p, q])),
}


@pytest.mark.slow
@pytest.mark.parametrize("dtype", HALF, ids=["bfloat16", "float16"])
@pytest.mark.parametrize("name", list(HALF_CALLS))
def test_half_precision_computes_in_float32_and_returns_the_input_dtype(name, dtype) -> None:
    """Half precision computes in float32 and returns the input dtype."""
    # Computed in float32, returned in the input's dtype (the JAX convention). Masses k/256,
    # exact in both half dtypes, so that float32 sees the same pmfs.
    counts = np.array([3, 40, 17, 9, 60, 1, 33, 21, 50, 22])
    assert counts.sum() == 256
    p32 = (counts / 256).astype(np.float32)
    q32 = np.flip(p32).copy()
    p, q = jnp.asarray(p32, dtype), jnp.asarray(q32, dtype)
    fn = HALF_CALLS[name]
    out = fn(p, q)
    assert out.dtype == dtype
    assert out.dtype == jax.jit(fn)(p, q).dtype
    # Converted by NumPy: XLA's CPU converts float16 only with F16C (the library does without).
    expected = fn(np.asarray(p).astype(np.float32), np.asarray(q).astype(np.float32))
    assert expected.dtype == jnp.float32
    # The float32 result of the half masses, rounded once to the half dtype.
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected).astype(dtype))


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize(
    "dtype",
    [jnp.bfloat16, jnp.float16],
    ids=["bfloat16", "float16"],
)
def test_the_sum_tolerance_follows_the_input_dtype(dtype) -> None:
    """The sum tolerance follows the input dtype."""
    tol = sum_tolerance(dtype)
    assert tol == float(np.sqrt(jnp.finfo(dtype).eps))
    p32 = np.full(10, 0.1, np.float32)
    p32[0] += 0.5 * tol
    half_sum = np.asarray(jnp.asarray(p32, dtype)).astype(np.float32).sum()  # NumPy: no F16C
    assert abs(float(half_sum) - 1) > sum_tolerance(np.float32)
    assert float(dv.entropy(jnp.asarray(p32, dtype))) > 0
    far = jnp.asarray(np.full(10, 0.1 + 0.2 * tol, np.float32), dtype)
    with pytest.raises(ValueError, match=f"tolerance {tol:.1e}"):
        dv.entropy(far)
    with pytest.raises(ValueError, match=f"tolerance {tol:.1e}"):
        checked_entropy(far)
    with pytest.raises(ValueError, match=f"q does not sum to 1 .*tolerance {tol:.1e}"):
        dv.kl(jnp.asarray(np.full(10, 0.1), dtype), far)


@pytest.mark.parametrize("dtype", HALF, ids=["bfloat16", "float16"])
def test_gaussians_in_half_precision_return_the_input_dtype(dtype) -> None:
    """Gaussians in half precision return the input dtype."""
    # Built by NumPy: XLA's CPU converts float16 only with F16C (the library does without).
    mean, cov, cov2 = (jnp.asarray(t, dtype) for t in (np.zeros(2), np.eye(2), 2 * np.eye(2)))
    assert dv.kl_mvn(mean, cov, mean, cov2).dtype == dtype
    assert dv.frechet_distance(mean, cov, mean, cov2).dtype == dtype
    assert dv.kl_normal(jnp.asarray(0.0, dtype), jnp.asarray(1.0, dtype), 0.0, 2.0).dtype == dtype


class _StoppedError(Exception):
    """A failure that is not the input's, made from the message and the fields."""

    def __init__(self, text: str, fields: dict) -> None:
        super().__init__(text)
        self.fields = fields


def _two_rules(x: jax.Array) -> jax.Array:
    # The same template for two rules with different exceptions: only the code each check
    # carries tells them apart.
    require(x[0] > 0, "x broke a rule ({v:.1f})", error=_StoppedError, v=x[0])
    require(x[1] > 0, "x broke a rule ({v:.1f})", v=x[1])
    return x.sum()


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit, jax.vmap], ids=["eager", "jit", "vmap"])
def test_checked_finds_the_exception_by_a_code_not_the_message(wrap) -> None:
    """Checks with one template and two exceptions raise each its own, eager and traced."""
    f = dv.checked(wrap(_two_rules))
    batch = (lambda a: a[None]) if wrap is jax.vmap else (lambda a: a)
    with pytest.raises(_StoppedError, match=r"^x broke a rule \(-1.0\)$") as info:
        f(batch(jnp.array([-1.0, 1.0])))
    assert set(info.value.fields) == {"v"}
    with pytest.raises(ValueError, match=r"^x broke a rule \(-2.0\)$"):
        f(batch(jnp.array([1.0, -2.0])))
    assert float(np.sum(f(batch(jnp.array([1.0, 2.0]))))) == 3.0


@pytest.mark.parametrize("name", ["kl", "js_divergence", "js_distance", "total_variation"])
def test_a_plain_call_checks_its_masses_in_one_program_built_once(name) -> None:
    """Concrete masses are checked in the value's own program: a second call builds none."""
    fn = getattr(dv, name)
    p, q = jnp.array([0.2, 0.8]), jnp.array([0.5, 0.5])
    fn(p, q)  # builds the program for this shape, if no earlier test did
    assert programs_built(fn, p, q) == 0
    with pytest.raises(ValueError, match=re.escape("q has negative mass -0.5;")):
        fn(p, jnp.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="p contains inf"):
        fn(jnp.array([jnp.inf, 0.5]), q)
    # Concrete masses inside an outer jit: the summaries are abstract, the host checks them.
    with pytest.raises(ValueError, match=re.escape("p does not sum to 1 along axis 0 (sum = 2,")):
        jax.jit(lambda: fn(np.array([0.4, 1.6]), np.array([0.5, 0.5])))()
