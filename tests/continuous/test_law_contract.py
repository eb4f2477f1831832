"""The contract every law keeps, checked on every law of :mod:`divergences.continuous.laws`.

The laws are found, not listed: every concrete ``Law`` the module exports, on the two laws its
``_examples`` gives, and the law written out in ``docs/contributing.md`` (a law outside the
package, built on :mod:`divergences.extending` alone, run from the page as a reader would copy
it). A new law is in every test here by being exported, and a law missing a method the contract
declares cannot be instantiated (``abc``).
"""

import abc
import inspect
import math
import pathlib
import re

import flint
import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.stats as st

from divergences import continuous as dvc
from divergences.continuous import certified
from divergences.continuous import laws as laws_module
from divergences.extending import TIGHTNESS, Law, UnboundedLaw

ROOT = pathlib.Path(__file__).resolve().parents[2]

EXPORTED = sorted(
    (
        obj
        for name in laws_module.__all__
        if inspect.isclass(obj := getattr(laws_module, name))
        and issubclass(obj, Law)
        and not inspect.isabstract(obj)
    ),
    key=lambda c: c.__name__,
)


def _guide_law() -> type:
    """The law of ``docs/contributing.md``, defined from the page's code block as it stands."""
    text = (ROOT / "docs" / "contributing.md").read_text()
    block = re.search(r"```python\n(# A law of your own.*?)```", text, re.S).group(1)
    assert "divergences.continuous._src" not in block and "divergences._src" not in block
    namespace: dict = {"__name__": "contributing_law"}
    exec(compile(block, "docs/contributing.md", "exec"), namespace)
    (cls,) = (
        v for v in namespace.values() if inspect.isclass(v) and v.__module__ == "contributing_law"
    )
    return cls


GUIDE_LAW = _guide_law()
LAWS = [*EXPORTED, GUIDE_LAW]

# scipy's law for each family it has; a law without one is named in NO_SCIPY, so that a new law
# is in one of the two (test_every_law_has_its_scipy_reference_or_says_it_has_none).
SCIPY = {
    "Normal": lambda d: st.norm(d.loc, d.scale),
    "Laplace": lambda d: st.laplace(d.loc, d.scale),
    "Logistic": lambda d: st.logistic(d.loc, d.scale),
    "Uniform": lambda d: st.uniform(d.low, d.high - d.low),
    "Exponential": lambda d: st.expon(d.loc, 1 / d.rate),
    "Beta": lambda d: st.beta(d.a, d.b, d.low, d.high - d.low),
    "StudentT": lambda d: st.t(d.df, d.loc, d.scale),
    "Cauchy": lambda d: st.cauchy(d.loc, d.scale),
    "Gamma": lambda d: st.gamma(d.shape, d.loc, d.scale),
    "HyperbolicSecant": lambda d: st.hypsecant(d.loc, d.scale),
}
NO_SCIPY = {"Mixture"}


def ids(cls):
    return cls.__name__


def tiered(*quick):
    """The laws, those not named in ``quick`` in the slow tier.

    Each law's programs compile for a second or more; two laws of each contract in the quick tier
    run its code, every law in the slow tier, which CI also runs.
    """
    return [c if c.__name__ in quick else pytest.param(c, marks=pytest.mark.slow) for c in LAWS]


def interior_points(law, n=5):
    """``n`` points inside the support, spread over the law's mass (a fixed draw, sorted)."""
    return np.sort(np.asarray(law.sample(jax.random.key(7), (n,))))


def test_the_laws_are_found_and_each_gives_two_different_examples():
    assert {"Normal", "Beta", "Gamma", "Mixture", "StudentT"} <= {c.__name__ for c in LAWS}
    for cls in LAWS:
        p, q = cls._examples()
        assert type(p) is cls and type(q) is cls and p != q


def test_a_law_missing_a_declared_method_fails_when_instantiated():
    class Half(dvc.Normal):
        pass

    Half(0.0, 1.0)  # inherits everything

    class Missing(Law):
        def log_prob(self, x):
            return x

    with pytest.raises(TypeError, match="abstract"):
        Missing()
    declared = {n for n in dir(Law) if getattr(getattr(Law, n), "__isabstractmethod__", False)}
    assert {"log_prob", "cdf", "_ball_cdf", "_ball_cdf_piece", "_examples"} <= declared
    assert isinstance(Law, abc.ABCMeta)


def test_the_contract_is_checked_where_the_class_is_defined_and_where_it_is_used():
    # The constructor takes the fields (a rebuilt law is checked again by it): at definition.
    with pytest.raises(TypeError, match=r"Tilted.__init__ must take its _fields .* not take tilt"):

        class Tilted(dvc.Normal):
            _fields = ("loc", "scale", "tilt")

    # A law with an unbounded side declares its tail hooks: abstract on UnboundedLaw.
    class Open(UnboundedLaw):
        _fields = ("loc", "scale")
        __init__ = GUIDE_LAW.__init__

    for name in ("_ball_tail_start", "_ball_tail", "_ball_truncation"):
        assert name in Open.__abstractmethods__
    # Before: a bounded law's default hooks on an unbounded side reached "cannot convert float
    # NaN to integer" in the integrals, naming neither the law nor the hook.
    undeclared = type(
        "Undeclared",
        (Law,),
        {n: vars(GUIDE_LAW)[n] for n in Law.__abstractmethods__ | {"__init__"}}
        | {"_fields": ("loc", "scale"), "_ball_tail_start": Law._ball_tail_start},
    )
    law = undeclared(0.0, 1.0)
    with pytest.raises(TypeError, match=r"Undeclared\(loc=0.0, scale=1.0\) has an unbounded left"):
        certified.kl(law, dvc.Normal(0.0, 1.0))
    # _set stores the fields, and no other name.
    with pytest.raises(TypeError, match=r"_set: tilt not among its _fields"):
        dvc.Normal(0.0, 1.0)._set(tilt=1.0)


def test_every_law_has_its_scipy_reference_or_says_it_has_none():
    names = {c.__name__ for c in LAWS}
    assert names == (set(SCIPY) & names) | NO_SCIPY, names ^ (set(SCIPY) | NO_SCIPY)


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("cls", tiered("Normal", "Laplace"), ids=ids)
def test_densities_and_distribution_functions_match_scipy(cls):
    if cls.__name__ in NO_SCIPY:
        pytest.skip("scipy has no such law")
    for law in cls._examples():
        ref = SCIPY[cls.__name__](law)
        x = np.concatenate([interior_points(law), ref.ppf([1e-6, 0.3, 0.99]), [-40.0, 40.0]])
        np.testing.assert_allclose(law.log_prob(x), ref.logpdf(x), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(law.cdf(x), ref.cdf(x), rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(law.sf(x), ref.sf(x), rtol=1e-10, atol=1e-14)


# Every law in the slow tier: the quick tier's sampler is test_laws.py's (Uniform).
@pytest.mark.parametrize("cls", tiered(), ids=ids)
def test_draws_follow_the_laws_own_cdf(cls):
    for seed, law in enumerate(cls._examples()):
        x = np.asarray(law.sample(jax.random.key(20261126 + seed), (2000,)))
        # Kolmogorov-Smirnov at a fixed seed: under the law p < 1e-4 has probability 1e-4, so a
        # sampler that drifts fails and a right one passes, on any backend's bits.
        assert st.kstest(x, lambda t, law=law: np.asarray(law.cdf(t))).pvalue > 1e-4
        lo, hi = (float(e) for e in law.support())
        assert lo <= x.min() and x.max() <= hi


# Parameters whose distribution function JAX cannot differentiate (``betainc`` in its shapes):
# the gradient raises, named here so that this test fails once JAX can.
NO_CDF_GRADIENT = {"Beta": {"a", "b"}, "StudentT": {"df"}}


def _leaf_names(law):
    """The name of each pytree leaf of ``law``: its field, or (a mixture) its path."""
    paths, _ = jax.tree_util.tree_flatten_with_path(law)
    if len(paths) == len(law._fields):
        return list(law._fields)
    return [jax.tree_util.keystr(path) for path, _ in paths]


def _perturbed(law, t, frozen=()):
    """``law`` with its leaves moved by the vector ``t`` (an array leaf along ``e_0 - e_1``).

    The leaves whose indices are in ``frozen`` are moved too, but held constant to JAX's
    derivatives (``stop_gradient``).
    """
    leaves, tree = jax.tree_util.tree_flatten(law)
    moved = []
    for i, leaf in enumerate(leaves):
        leaf = jnp.asarray(leaf, dtype=float)
        step = jnp.zeros_like(leaf).at[0].set(1.0).at[1].set(-1.0) if leaf.ndim else 1.0
        new = leaf + t[i] * step
        moved.append(jax.lax.stop_gradient(new) if i in frozen else new)
    return jax.tree_util.tree_unflatten(tree, moved)


@pytest.mark.parametrize("cls", tiered("Normal", "Laplace"), ids=ids)
def test_grad_and_vmap_in_each_parameter_match_a_central_difference(cls):
    law, _ = cls._examples()
    x = jnp.asarray(interior_points(law))
    names = _leaf_names(law)
    gaps = NO_CDF_GRADIENT.get(cls.__name__, set())
    frozen = {k for k, name in enumerate(names) if name in gaps}

    def g(t):
        moved = _perturbed(law, t)
        plain = _perturbed(law, t, frozen)
        return jnp.sum(moved.log_prob(x)) + jnp.sum(plain.cdf(x)) + jnp.sum(plain.sf(x))

    n, h = len(names), 1e-5
    grad = np.asarray(jax.jit(jax.grad(g))(jnp.zeros(n)))
    steps = np.concatenate([h * np.eye(n), -h * np.eye(n)])
    values = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(steps)))
    assert values[0] == pytest.approx(float(jax.jit(g)(jnp.asarray(steps[0]))), rel=1e-12)
    fd = (values[:n] - values[n:]) / (2 * h)
    assert np.all(np.isfinite(grad)), dict(zip(names, grad, strict=True))
    # the stopped part of a gap is a constant to grad: compare with the difference of log_prob
    for k in sorted(frozen):
        fd[k] = (
            float(jnp.sum(_perturbed(law, jnp.asarray(steps[k])).log_prob(x)))
            - float(jnp.sum(_perturbed(law, jnp.asarray(steps[n + k])).log_prob(x)))
        ) / (2 * h)
        with pytest.raises(ValueError, match="gradient"):
            jax.grad(lambda t, k=k: _perturbed(law, jnp.zeros(n).at[k].set(t)).cdf(x)[0])(0.0)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7, err_msg=str(names))


@pytest.mark.slow
@pytest.mark.parametrize("cls", LAWS, ids=ids)
def test_grad_of_the_fast_kl_in_each_parameter_matches_a_central_difference(cls):
    p, q = cls._examples()
    n, h = len(jax.tree_util.tree_leaves(p)), 1e-5

    def g(t):
        return dvc.kl(_perturbed(p, t), q).value

    grad = np.asarray(jax.jit(jax.grad(g))(jnp.zeros(n)))
    steps = np.concatenate([h * np.eye(n), -h * np.eye(n)])
    values = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(steps)))
    fd = (values[:n] - values[n:]) / (2 * h)
    finite = np.isfinite(fd)  # moving an end of the support off q's makes KL infinite
    assert np.all(np.isfinite(grad[finite]))
    np.testing.assert_allclose(grad[finite], fd[finite], rtol=1e-5, atol=1e-8)


def _rounding(value):
    return 2.0 ** (8 - flint.ctx.prec) * (1 + abs(float(value.mid())))


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("cls", tiered("Normal", "Laplace"), ids=ids)
def test_ball_arithmetic_is_tight_on_real_and_complex_balls(cls):
    """The contract of ``interface.py``: radius <= TIGHTNESS * r * |f'| + rounding."""
    arb, acb = flint.arb, flint.acb
    for law in cls._examples():
        log_density = law._ball_log_density()
        score = jax.vmap(jax.grad(law.log_prob))
        xs = interior_points(law, 9)
        # The log-density's terms each move with x, and their radii add where their changes
        # cancel (near the mode): one over the law's spread (its draws' interquartile range) is
        # added to the derivative there.
        spread = float(np.subtract(*np.percentile(xs, [75, 25])))
        for x, s, p in zip(xs, np.asarray(score(xs)), np.asarray(law.prob(xs)), strict=True):
            x = float(x)
            r = 1e-10 * (1 + abs(x))
            logp = log_density(acb(arb(x, r), arb(0, r)), True)
            for part in (logp.real, logp.imag):
                bound = TIGHTNESS * r * (abs(s) + 1 / spread) + _rounding(logp.real)
                assert part.rad() <= bound, (law, x, logp)
            try:
                cdf = law._ball_cdf(arb(x, r))
            except NotImplementedError as e:  # declared: the certified W1 refuses the law
                assert cls.__name__ in str(e)
                continue
            assert cdf.rad() <= TIGHTNESS * r * p + _rounding(cdf), (law, x, cdf)
            half = 1e-3 * (1 + abs(x))
            piece = law._ball_cdf_piece(acb(arb(x, r), arb(0, r)), x - half, x + half, True)
            for part in (piece.real, piece.imag):
                assert part.rad() <= TIGHTNESS * r * p + _rounding(piece.real), (law, x, piece)


def _mpmath_kl(p, q):
    """KL by mpmath's tanh-sinh quadrature of the float64 densities, split at both laws' marks."""
    lp, lq = jax.jit(p.log_prob), jax.jit(q.log_prob)

    def f(x):
        a, b = float(lp(float(x))), float(lq(float(x)))
        return 0.0 if a == -math.inf else math.exp(a) * (a - b)

    lo, hi = (float(e) for e in p.support())
    marks = np.asarray(p._breakpoints())
    marks = np.unique(np.clip(marks, max(lo, -1e4), min(hi, 1e4)))
    return float(mpmath.quad(f, [lo, *marks, hi]))


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("cls", tiered("Normal", "Uniform"), ids=ids)
def test_fast_and_certified_kl_match_mpmath_on_the_examples(cls):
    p, q = cls._examples()
    with mpmath.workdps(20):
        ref = _mpmath_kl(p, q)
    fast = dvc.kl(p, q)
    assert float(fast.value) == pytest.approx(ref, rel=1e-9, abs=1e-12)
    sure = certified.kl(p, q, rtol=1e-10)
    assert sure.lower_bound - 1e-11 <= ref <= sure.upper_bound + 1e-11, (sure, ref)


def _law_names(text):
    return {c.__name__ for c in EXPORTED if re.search(rf"\b{c.__name__}\b", text)}


def test_every_law_is_in_the_laws_docstring_the_api_page_and_the_concepts_page():
    names = {c.__name__ for c in EXPORTED}
    api = (ROOT / "docs" / "api.md").read_text()
    documented = set(re.findall(r"autoclass:: divergences\.continuous\.(\w+)", api))
    assert names <= documented, names - documented
    concepts = (ROOT / "docs" / "concepts" / "continuous.md").read_text()
    assert names <= _law_names(concepts), names - _law_names(concepts)
    assert names <= _law_names(laws_module.__doc__), names - _law_names(laws_module.__doc__)
