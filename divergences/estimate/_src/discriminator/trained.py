r"""A discriminator trained by the package: held-out JS, TV and KL lower bounds, and a test.

The draws are split at random (seeded): a classifier between ``x`` (label 1) and ``y`` (label
0) is fitted on one part, and the held-out bounds of :mod:`.witness_bounds` are evaluated
on the other, which the classifier never saw, so they hold for every sample size in any
dimension (:func:`~divergences.estimate.js_from_discriminator`: the GAN value of *any*
:math:`D` bounds :math:`-\log 4 + 2\,\mathrm{JS}` from below, Goodfellow et al. 2014). The same
held-out predictions give the classifier two-sample test (Lopez-Paz & Oquab 2017).

**The fit.** The loss is the cross-entropy with the two samples weighted equally (each draw of
``x`` by :math:`1/(2 n)`, of ``y`` by :math:`1/(2 m)`), whose minimiser over all functions is
:math:`D^* = p / (p + q)` whatever the sizes, so that :math:`\log(D/(1-D))` estimates
:math:`\log p/q`, the witness of the KL bound; plus a small ridge penalty. The features are
standardised on the training part. Two models:

* ``"logistic"``: :math:`D(z) = \sigma(w \cdot z + b)`, optimal where :math:`\log p/q` is
  affine (two Gaussians with one covariance);
* ``"mlp"``: one hidden layer of ``tanh`` units, for a boundary that is not linear (a change
  of scale, a mixture);
* ``"auto"``: both fitted on four fifths of the training part, the one with the smaller
  cross-entropy on the remaining fifth refitted on the whole training part (the held-out part
  stays unseen).

Both are trained full-batch by L-BFGS (SciPy's ``L-BFGS-B`` on the loss and gradient from JAX):
deterministic for a seed, no learning rate to tune, and fast on these small models (a few
hundred evaluations). The library imports only jax, numpy, scipy and POT; an optimiser library
(optax) is a dependency of the lab, not of the estimates, and full-batch L-BFGS measured as
good a bound as an Adam loop (``benchmarks/bench_trained_discriminator.py``).

**The test.** Under :math:`P = Q`, given the fitted :math:`D`, the held-out draws are i.i.d.
and their predicted labels independent of their true ones, so conditional on how many are
predicted "x" the number of ``x`` draws among them is hypergeometric: the one-sided Fisher exact
test of the 2 x 2 table (true label, predicted label) has type-I error at most ``alpha`` for
every size, however unbalanced the classifier's predictions (the binomial test of accuracy
against 1/2 holds only where the classifier predicts each label with probability 1/2).

References:
  Goodfellow et al., *Generative adversarial nets*, NeurIPS 2014. Lopez-Paz & Oquab,
  *Revisiting classifier two-sample tests*, ICLR 2017. Liu & Nocedal, *On the limited memory
  BFGS method for large scale optimization*, Math. Programming 45, 1989.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize
from scipy.stats import fisher_exact

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option, number_option, seed_option
from divergences.estimate._src.concentration import bounded_differences_term
from divergences.estimate._src.discriminator.witness_bounds import (
    js_from_discriminator,
    kl_from_discriminator,
    tv_from_discriminator,
)
from divergences.estimate._src.result import Estimate, TwoSampleTest
from divergences.estimate._src.samples import check_at_least, sample_pair

__all__ = ["MODELS", "DiscriminatorBounds", "discriminator_bounds"]

Model = Literal["auto", "logistic", "mlp"]
#: The models :func:`discriminator_bounds` fits.
MODELS = ("auto", "logistic", "mlp")

#: The ridge penalty on the weights (not the biases), in units of the mean loss: at 1e-4 the
#: MLP overfitted 2500 draws a sample in d = 64 (its held-out JS bound 0); 1e-2 shrinks the
#: logistic regression's weights by a few per cent.
RIDGE = 1e-2
#: L-BFGS's largest number of iterations.
MAX_ITERATIONS = 500
#: The clip of the JS bound: D clipped into [0.1, 0.9] narrows the deviation terms' range from
#: 3.48 (``js_from_discriminator``'s default 0.03) to 2.20. Measured on N(0, I) against N(e1, I)
#: in d = 64, 5000 draws each, 12 seeds: the bound 0.61-0.73 of the truth (mean 0.66) at 0.1,
#: 0.57-0.68 (0.62) at 0.03. The cost: the JS bound is at most log 2 + log 0.9 = 0.588, 85% of
#: JS's range. KL keeps ``kl_from_discriminator``'s clip, chosen for KL.
CLIP = 0.1


class DiscriminatorBounds(NamedTuple):
    """The held-out bounds of a discriminator the package trained, and its two-sample test.

    Attributes:
      js: :func:`~divergences.estimate.js_from_discriminator` on the held-out draws.
      tv: :func:`~divergences.estimate.tv_from_discriminator` on them.
      kl: :func:`~divergences.estimate.kl_from_discriminator` on them.
      test: the classifier two-sample test: held-out accuracy, its exact p-value.
      model: ``"logistic"`` or ``"mlp"``, the model fitted (chosen, for ``"auto"``).
      discriminator: the fitted :math:`D`, draws ``(k, d)`` to ``(k,)`` values in ``(0, 1)``.
      note: ``""``, or why the bounds cannot be useful at this held-out size.
    """

    js: Estimate
    tv: Estimate
    kl: Estimate
    test: TwoSampleTest
    model: str
    discriminator: Callable[[Any], np.ndarray]
    note: str


def _logit(params: dict[str, jax.Array], z: jax.Array) -> jax.Array:
    """The classifier's log-odds: affine, or one ``tanh`` layer then affine."""
    if "hidden" in params:
        z = jnp.tanh(z @ params["hidden"] + params["hidden_bias"])
    return z @ params["out"] + params["out_bias"]


_jit_logit = jax.jit(_logit)


def _unflatten(flat: jax.Array, d: int, model: str, width: int) -> dict[str, jax.Array]:
    """The parameters from one vector: the MLP's ``(d, width)`` layer first, then the output's."""
    if model == "logistic":
        return {"out": flat[:d], "out_bias": flat[d]}
    top = d * width
    return {
        "hidden": flat[:top].reshape(d, width),
        "hidden_bias": flat[top : top + width],
        "out": flat[top + width : top + 2 * width],
        "out_bias": flat[top + 2 * width],
    }


def _init(model: str, d: int, width: int, seed: int) -> np.ndarray:
    """The starting vector: zeros for the logistic regression, Glorot's uniform for the MLP."""
    if model == "logistic":
        return np.zeros(d + 1)
    rng = np.random.default_rng(seed)
    hidden = rng.uniform(-1, 1, d * width) * math.sqrt(6 / (d + width))
    out = rng.uniform(-1, 1, width) * math.sqrt(6 / (width + 1))
    return np.concatenate([hidden, np.zeros(width), out, [0.0]])


def _loss(flat: jax.Array, z: jax.Array, labels: jax.Array, weights: jax.Array, model: str,
          width: int) -> jax.Array:  # fmt: skip
    """The weighted cross-entropy (``softplus`` of the signed log-odds) plus the ridge term."""
    params = _unflatten(flat, z.shape[1], model, width)
    t = _logit(params, z)
    data = jnp.sum(weights * jax.nn.softplus(jnp.where(labels, -t, t)))
    ridge = sum(jnp.sum(params[name] ** 2) for name in ("hidden", "out") if name in params)
    return data + 0.5 * RIDGE * ridge


_value_and_grad = jax.jit(jax.value_and_grad(_loss), static_argnames=("model", "width"))


def _fit(model: str, z: np.ndarray, labels: np.ndarray, width: int, seed: int
         ) -> dict[str, jax.Array]:  # fmt: skip
    """The parameters minimising :func:`_loss` by L-BFGS from a seeded start."""
    dtype = jnp.asarray(0.0).dtype  # float64 where JAX's x64 is on, float32 otherwise
    n_x = int(labels.sum())
    weights = np.where(labels, 0.5 / n_x, 0.5 / (labels.size - n_x))
    args = (jnp.asarray(z, dtype), jnp.asarray(labels), jnp.asarray(weights, dtype))

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = _value_and_grad(jnp.asarray(p, dtype), *args, model=model, width=width)
        return float(v), np.asarray(g, dtype=np.float64)

    result = minimize(
        objective, _init(model, z.shape[1], width, seed), jac=True, method="L-BFGS-B",
        options={"maxiter": MAX_ITERATIONS},
    )  # fmt: skip
    return _unflatten(jnp.asarray(result.x, dtype), z.shape[1], model, width)


def _probabilities(params: dict[str, jax.Array], centre: np.ndarray, spread: np.ndarray
                   ) -> Callable[[Any], np.ndarray]:  # fmt: skip
    """The fitted ``D``: standardised draws to ``sigmoid`` of the log-odds, float64 ``(k,)``."""
    dtype = params["out"].dtype

    def discriminator(points: Any) -> np.ndarray:
        z = (np.asarray(points, np.float64).reshape(np.shape(points)[0], -1) - centre) / spread
        t = np.asarray(_jit_logit(params, jnp.asarray(z, dtype)), np.float64)
        return 0.5 * (1.0 + np.tanh(0.5 * t))  # the logistic function, never NaN

    return discriminator


def _cross_entropy(d: Callable[[Any], np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """The balanced cross-entropy of ``d`` on draws of each label (for the choice of model)."""
    dx, dy = np.clip(d(x), 1e-12, 1 - 1e-12), np.clip(d(y), 1e-12, 1 - 1e-12)
    return float(-0.5 * np.mean(np.log(dx)) - 0.5 * np.mean(np.log1p(-dy)))


def _train(model: str, xs: np.ndarray, ys: np.ndarray, width: int, seed: int
           ) -> tuple[str, Callable[[Any], np.ndarray]]:  # fmt: skip
    """The chosen model and its fitted ``D`` from the training draws."""
    pooled = np.concatenate([xs, ys])
    centre = pooled.mean(axis=0)
    spread = pooled.std(axis=0)
    spread[spread == 0.0] = 1.0

    def fit(name: str, a: np.ndarray, b: np.ndarray) -> Callable[[Any], np.ndarray]:
        z = (np.concatenate([a, b]) - centre) / spread
        labels = np.concatenate([np.ones(a.shape[0], bool), np.zeros(b.shape[0], bool)])
        return _probabilities(_fit(name, z, labels, width, seed), centre, spread)

    if model != "auto":
        return model, fit(model, xs, ys)
    cut_x, cut_y = (4 * xs.shape[0]) // 5, (4 * ys.shape[0]) // 5
    fitted = {name: fit(name, xs[:cut_x], ys[:cut_y]) for name in ("logistic", "mlp")}
    scores = {k: _cross_entropy(d, xs[cut_x:], ys[cut_y:]) for k, d in fitted.items()}
    chosen = "mlp" if scores["mlp"] < scores["logistic"] else "logistic"
    return chosen, fit(chosen, xs, ys)  # refitted on the whole training part


def _classifier_test(dx: np.ndarray, dy: np.ndarray, model: str) -> TwoSampleTest:
    """Fisher's exact one-sided test on the held-out table (true label, predicted label)."""
    x_said_x, y_said_x = int(np.count_nonzero(dx > 0.5)), int(np.count_nonzero(dy > 0.5))
    n, m = dx.size, dy.size
    table = [[x_said_x, n - x_said_x], [y_said_x, m - y_said_x]]
    p_value = float(fisher_exact(table, alternative="greater").pvalue)
    accuracy = (x_said_x + m - y_said_x) / (n + m)
    method = (
        f"classifier two-sample test ({model} trained on the other draws): held-out accuracy, "
        "one-sided Fisher exact test of true against predicted labels"
    )
    return TwoSampleTest(
        statistic=accuracy,
        p_value=min(max(p_value, 0.0), 1.0),
        test="fisher-exact",
        parameters={"model": model},
        method=method,
        n=n,
        m=m,
    )


def _held_out_note(n: int, m: int, level: float) -> str:
    r"""Why no bound can be useful at ``n``, ``m`` held-out draws, or ``""``.

    A perfect discriminator, clipped, gives the GAN value :math:`2 \log(1 - c)`; the JS bound is
    then at most :math:`\log 2 + \log(1 - c) - t/2`, ``t`` Hoeffding's term. Where that is below
    a tenth of :math:`\log 2`, even the best discriminator bounds JS by almost nothing.
    """
    width = math.log((1.0 - CLIP) / CLIP)
    t = bounded_differences_term([(width / n, n), (width / m, m)], (1.0 - level) / 2.0)
    best = math.log(2.0) + math.log1p(-CLIP) - t / 2.0
    if best >= 0.1 * math.log(2.0):
        return ""
    return (
        f"the held-out split ({n} and {m} draws) is too small for a useful bound: even a "
        f"perfect discriminator would bound JS by at most {max(best, 0.0):.3g} of log 2 = 0.693"
    )


@runs_on_host
def discriminator_bounds(
    x: Any,
    y: Any,
    *,
    model: Model = "auto",
    held_out: Any = 0.7,
    hidden: Any = 32,
    level: Any = 0.95,
    seed: Any = 0,
) -> DiscriminatorBounds:
    r"""Train a classifier between ``x`` and ``y``, then bound JS, TV and KL on held-out draws.

    The draws are split at random (``seed``): a fraction ``held_out`` of each sample is held
    out, a classifier (``model``: module docstring) is fitted on the rest by L-BFGS, and the
    held-out draws give :func:`~divergences.estimate.js_from_discriminator`,
    :func:`~divergences.estimate.tv_from_discriminator` and
    :func:`~divergences.estimate.kl_from_discriminator`: finite-sample lower bounds in any
    dimension, each at ``level`` (three claims, each with its own probability), and the exact
    classifier test. A discriminator that learned nothing gives bounds near 0, never a wrong
    one; the bounds are as good as the discriminator (the truth, for the optimal one, less the
    deviation terms). With fewer held-out draws than a useful bound needs, ``note`` says so.

    Args:
      x: draws of P, ``(n, d)`` or ``(n,)``; ``y``: draws of Q, ``(m, d)`` or ``(m,)``; each at
        least 10.
      y: see ``x``.
      model: ``"auto"`` (the default), ``"logistic"`` or ``"mlp"``.
      held_out: the fraction of each sample held out for the bounds, in ``(0, 1)``. The
        default 0.7 was measured: the deviation terms, which shrink with the held-out size,
        cost more than a smaller training part (N(0, I) against N(e1, I) in d = 64, 5000 draws
        each: the JS bound 0.62-0.68 of the truth at 0.7, 0.58-0.64 at 0.5; a change of scale
        in d = 8 with the MLP: 0.53 at 0.7, 0.50 at 0.5).
      hidden: the MLP's hidden units, a positive integer.
      level: each bound's coverage, in ``(0, 1)``.
      seed: the split's and the MLP's initialisation's seed, an integer ``>= 0``.

    Returns:
      A :class:`DiscriminatorBounds`: ``js``, ``tv``, ``kl`` (one-sided, ``"finite-sample"``),
      ``test`` (a :class:`~divergences.estimate.TwoSampleTest`), ``model``, the fitted
      ``discriminator`` and ``note``.

    Raises:
      ValueError: for draws the shared rules refuse, fewer than 10 draws in either sample, or
        an option outside its rule.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
      >>> y[:, 0] += 1.0  # JS = 0.1114 (that of N(0, 1) and N(1, 1))
      >>> b = dv.estimate.discriminator_bounds(x, y, model="logistic")
      >>> bool(0.04 < b.js.bound < 0.1114), b.test.p_value < 1e-6
      (True, True)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    fraction = number_option(held_out, "held_out", above=0.0, below=1.0,
                             note="the fraction of each sample held out")  # fmt: skip
    width = integer_option(hidden, "hidden", note="the MLP's hidden units")
    lev = level_option(level, note="each bound's coverage")
    start = seed_option(seed, note="the split's seed")
    xs, ys = sample_pair(x, y)
    why = "a training part and a held-out part of each"
    check_at_least(xs.shape[0], 10, "x", why)
    check_at_least(ys.shape[0], 10, "y", why)
    rng = np.random.default_rng(start)
    xs, ys = xs[rng.permutation(xs.shape[0])], ys[rng.permutation(ys.shape[0])]
    keep_x = min(max(round(fraction * xs.shape[0]), 2), xs.shape[0] - 2)
    keep_y = min(max(round(fraction * ys.shape[0]), 2), ys.shape[0] - 2)
    test_x, train_x = xs[:keep_x], xs[keep_x:]
    test_y, train_y = ys[:keep_y], ys[keep_y:]
    chosen, d = _train(model, train_x, train_y, width, start)
    return DiscriminatorBounds(
        js=js_from_discriminator(test_x, test_y, d, level=lev, clip=CLIP),
        tv=tv_from_discriminator(test_x, test_y, d, level=lev),
        kl=kl_from_discriminator(test_x, test_y, d, level=lev),
        test=_classifier_test(d(test_x), d(test_y), chosen),
        model=chosen,
        discriminator=d,
        note=_held_out_note(keep_x, keep_y, lev),
    )
