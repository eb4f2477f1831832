r"""Divergences and Wasserstein-1 along a family of measures, for many thetas in one call.

.. code-block:: python

    fam = dv.families.parallel_lines()
    s = sweep(fam, np.linspace(-1, 1, 101), gradients=True)
    s.values["js"], s.values["w1"], s.gradients["w1"]   # the WGAN paper's Figure 1

The divergences and the 1-D Wasserstein distance are pure JAX: the family is evaluated with
``vmap`` over all thetas at once and each quantity is one batched call. Wasserstein-1 in two or
more dimensions solves one exact LP per theta on the host, restricted to the atoms that carry
mass, all thetas in one vmapped call (in batches for large supports): the host solver runs once
per theta inside one XLA program, so a theta costs its LP and not a jitted call's overhead.
"""

from __future__ import annotations

import csv
import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

import jax
import jax.numpy as jnp
import numpy as np

from divergences import hellinger, js_distance, js_divergence, kl, total_variation
from divergences.extending import ArrayLike, Base, integer_option
from divergences.families import Family, MeasurePair
from divergences.wasserstein import w1_1d, w1_primal

__all__ = ["QUANTITIES", "Sweep", "sweep", "write_csv"]

_LOG_QUANTITIES = frozenset({"kl", "reverse_kl", "js", "js_distance"})


def _pmf_quantity(name: str) -> Callable[[jax.Array, jax.Array, Base], jax.Array]:
    table: dict[str, Callable[[jax.Array, jax.Array, Base], jax.Array]] = {
        "kl": lambda p, q, b: kl(p, q, base=b),
        "reverse_kl": lambda p, q, b: kl(q, p, base=b),
        "js": lambda p, q, b: js_divergence(p, q, base=b),
        "js_distance": lambda p, q, b: js_distance(p, q, base=b),
        "tv": lambda p, q, b: total_variation(p, q),
        "hellinger": lambda p, q, b: hellinger(p, q),
    }
    return table[name]


#: The quantities :func:`sweep` computes, with what each is.
QUANTITIES: dict[str, str] = {
    "kl": "KL(P0 || P_theta)",
    "reverse_kl": "KL(P_theta || P0)",
    "js": "JS(P0 || P_theta), with the 1/2",
    "js_distance": "sqrt(JS)",
    "tv": "total variation",
    "hellinger": "Hellinger distance",
    "w1": "Wasserstein-1 (euclidean ground metric)",
}


class Sweep(NamedTuple):
    """Values of several quantities along a family.

    Attributes:
      family: the family's name.
      thetas: the parameters, shape ``(T,)``.
      values: quantity name -> values, shape ``(T,)``; ``inf`` where the divergence is infinite.
      gradients: quantity name -> d value / d theta, shape ``(T,)``, or None when not asked for.
        NaN exactly where the value is infinite (no derivative exists there).
      exact: the family's closed forms at ``thetas`` (for the quantities it has), or None.
      base: the logarithm base of the log-based quantities (None: nats).
    """

    family: str
    thetas: np.ndarray
    values: dict[str, np.ndarray]
    gradients: dict[str, np.ndarray] | None
    exact: dict[str, np.ndarray] | None
    base: Base


def _w1_fn(dim: int) -> Callable[[MeasurePair], jax.Array]:
    if dim == 1:
        return lambda m: w1_1d(m.points, m.points, m.p, m.q)
    return lambda m: w1_primal(m.points, m.points, m.p, m.q).value


def _scalar(name: str, family: Family, base: Base) -> Callable[[jax.Array], jax.Array]:
    """Theta -> the quantity, traceable (for vmap and grad); W1 here is the 1-D kernel."""
    if name == "w1":
        w1 = _w1_fn(1)
        return lambda th: w1(family.measures(th))
    fn = _pmf_quantity(name)

    def value(th: jax.Array) -> jax.Array:
        m = family.measures(th)
        return fn(m.p, m.q, base)

    return value


def _w1_restricted(
    measures: Callable[[ArrayLike], MeasurePair],
    theta: jax.Array,
    ip: jax.Array,
    iq: jax.Array,
    a: jax.Array,
    b: jax.Array,
) -> jax.Array:
    """W1 between the atoms ``ip`` of P_0 and ``iq`` of P_theta with the given weights.

    The weights are taken from the concrete evaluation at theta, not re-traced: they are piecewise
    constant in theta, so the derivative flows through the points only, and a recompiled program
    cannot round theta onto another pixel than the one the supports were read from.
    """
    m = measures(theta)
    return w1_primal(m.points[ip], m.points[iq], a, b).value


#: The default of ``sweep(w1_batch_pairs=)``: the thetas of one batched W1 call hold this many
#: (padded) pairs of atoms at most in all, since the cost matrices and plans of a batch live in
#: memory together (8 bytes a pair, a few arrays: about 100 MiB at 2**22).
W1_BATCH_PAIRS = 2**22


def _padded_supports(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per theta, the atoms of ``p`` and of ``q`` that carry mass, padded to one common size.

    Returns ``(ip, iq, a, b)``, shapes ``(T, kp)``, ``(T, kp)``... : indices and weights, the
    padding repeating a theta's first atom with weight 0 (a zero-weight atom changes no transport
    LP, so every theta keeps its own value while all share one compiled program).
    """

    def pad(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = [np.flatnonzero(row > 0) for row in w]
        k = max(r.size for r in rows)
        idx = np.stack([np.concatenate([r, np.full(k - r.size, r[0])]) for r in rows])
        mass = np.take_along_axis(w, idx, axis=1)
        mass[np.arange(k)[None, :] >= np.array([r.size for r in rows])[:, None]] = 0.0
        return idx, mass

    ip, a = pad(p)
    iq, b = pad(q)
    return ip, iq, a, b


@functools.lru_cache(maxsize=32)
def _w1_batch_fn(measures: Callable[[ArrayLike], MeasurePair], gradient: bool) -> Any:
    """The jitted, vmapped LP of a family, one per family and mode.

    It is kept, so a sweep of the same family again, or a CLI run over several quantities,
    compiles nothing new.
    """

    def restricted(
        t: jax.Array, ip: jax.Array, iq: jax.Array, a: jax.Array, b: jax.Array
    ) -> jax.Array:
        return _w1_restricted(measures, t, ip, iq, a, b)

    return jax.jit(jax.vmap(jax.value_and_grad(restricted) if gradient else restricted))


def _w1_batched(
    family: Family,
    thetas: np.ndarray,
    p: jax.Array,
    q: jax.Array,
    gradient: bool,
    progress: bool | None,
    batch_pairs: int,
) -> tuple[np.ndarray, np.ndarray]:
    """W1 and dW1/dtheta at every theta, by exact LPs on the atoms that carry mass.

    The derivative is NaN unless ``gradient``.

    ``p`` and ``q`` are the weights at the thetas from the batched evaluation the divergences
    used, so every quantity of a sweep sees the same measures. The thetas go through one
    compiled ``vmap`` of the LP, in batches: its callback runs the host LP once per theta inside
    one XLA call, so the per-call overhead of a jitted solve (dispatch, checks, transfers) is
    paid once per batch, not once per theta; the gather of the supports, the costs and the
    envelope gradient run in XLA.
    """
    ip, iq, a, b = _padded_supports(np.asarray(p), np.asarray(q))
    dtype = np.asarray(p).dtype
    size = max(1, min(thetas.size, batch_pairs // (ip.shape[1] * iq.shape[1])))

    batched = _w1_batch_fn(family.measures, gradient)
    values, grads = np.empty(thetas.size), np.full(thetas.size, math.nan)
    starts = range(0, thetas.size, size)
    for start in _progress(starts, len(starts), progress, f"W1 LPs ({family.name})"):
        # Every batch of the same length (the last one padded by repeating its last theta):
        # one compilation for the sweep.
        rows = np.minimum(np.arange(start, start + size), thetas.size - 1)
        args = (jnp.asarray(thetas[rows], dtype), *(jnp.asarray(t[rows]) for t in (ip, iq)))
        out = batched(*args, *(jnp.asarray(t[rows], dtype) for t in (a, b)))
        keep = slice(0, min(size, thetas.size - start))
        if gradient:
            values[start : start + size] = np.asarray(out[0])[keep]
            grads[start : start + size] = np.asarray(out[1])[keep]
        else:
            values[start : start + size] = np.asarray(out)[keep]
    return values, grads


def _progress(iterable: Any, total: int, show: bool | None, desc: str) -> Any:
    if show is None:
        show = total >= 50 and sys.stderr.isatty()
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def sweep(
    family: Family,
    thetas: ArrayLike,
    *,
    quantities: Sequence[str] = ("kl", "reverse_kl", "js", "tv", "w1"),
    base: Base = None,
    gradients: bool = False,
    progress: bool | None = None,
    w1_batch_pairs: int = W1_BATCH_PAIRS,
) -> Sweep:
    r"""Computes ``quantities`` between :math:`P_0` and :math:`P_\theta` for every theta.

    Args:
      family: a :class:`divergences.families.Family`.
      thetas: the parameters, a 1-D array.
      quantities: names from :data:`QUANTITIES`.
      base: logarithm base of KL and JS (None: nats, 2: bits). TV, Hellinger and W1 have none.
      gradients: also compute :math:`d/d\theta` of each quantity with ``jax.grad`` through the
        family (NaN where the value is infinite).
      progress: show a progress bar over the batches of LPs of W1 in 2-D; None shows it for 50
        or more batches when stderr is a terminal.
      w1_batch_pairs: W1 in 2-D solves the thetas in batches, one compiled call each, whose
        padded cost matrices hold at most this many pairs of atoms in all (a batch holds one
        theta at least): lower it where memory is short, raise it for fewer calls.

    Returns:
      A :class:`Sweep`.

    Raises:
      ValueError: for an unknown measure name, thetas that are not a 1-D array of finite
        numbers, thetas outside the family's ``theta_range``, or ``w1_batch_pairs`` not a
        positive integer.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab.figures.divergence_curves import sweep
      >>> s = sweep(dv.families.shifted_uniforms(), np.array([0.0, 0.5]), quantities=("js", "tv"))
      >>> [round(float(v), 6) for v in s.values["tv"]]
      [0.0, 0.5]
    """
    unknown = [m for m in quantities if m not in QUANTITIES]
    if unknown:
        raise ValueError(f"quantities: unknown {unknown}; choose from {sorted(QUANTITIES)}")
    integer_option(w1_batch_pairs, "w1_batch_pairs")
    t = _checked_thetas(family, thetas)
    jt = jnp.asarray(t)
    batch = jax.vmap(family.measures)(jt)
    dim = 1 if batch.points.ndim == 2 else batch.points.shape[-1]

    values: dict[str, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}
    for name in quantities:
        if name == "w1" and dim > 1:
            values[name], grads[name] = _w1_batched(
                family, t, batch.p, batch.q, gradients, progress, int(w1_batch_pairs)
            )
            continue
        scalar = _scalar(name, family, base)
        if name == "w1":
            values[name] = np.asarray(jax.vmap(scalar)(jt))
        else:
            values[name] = np.asarray(_pmf_quantity(name)(batch.p, batch.q, base))
        if gradients:
            g = np.asarray(jax.vmap(jax.grad(scalar))(jt))
            grads[name] = np.where(np.isfinite(values[name]), g, np.nan)

    exact = _exact_in_base(family, t, quantities, base)
    return Sweep(family.name, t, values, grads if gradients else None, exact, base)


def _checked_thetas(family: Family, thetas: ArrayLike) -> np.ndarray:
    """``thetas`` as a float64 array, once it is a non-empty 1-D array inside the family's range.

    The range is met to ``1e-12`` (the rounding of a grid's ends): a family's discretisation
    covers that range and no more.

    Raises:
      ValueError: for thetas not a non-empty 1-D array of finite numbers, or past the range.
    """
    t = np.asarray(thetas, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.isfinite(t).all():
        raise ValueError("thetas must be a non-empty 1-D array of finite numbers")
    if family.theta_range is not None:
        lo, hi = family.theta_range
        if t.min() < lo - 1e-12 or t.max() > hi + 1e-12:
            raise ValueError(
                f"thetas must lie in [{lo:g}, {hi:g}] for the family {family.name!r} "
                f"(its discretisation covers no more); got [{t.min():g}, {t.max():g}]"
            )
    return t


def _exact_in_base(
    family: Family, t: np.ndarray, quantities: Sequence[str], base: Base
) -> dict[str, np.ndarray] | None:
    r"""The family's closed forms at ``t`` of the ``quantities`` asked for, or None if it has none.

    The log-based ones (KL, JS) divided by :math:`\log(\text{base})` where ``base`` is given.
    """
    if family.exact is None:
        return None
    exact: dict[str, np.ndarray] = {}
    for k, v in family.exact(t).items():
        if k not in quantities:
            continue
        if base is not None and k in _LOG_QUANTITIES:
            v = v / math.log(float(base))
        exact[k] = v
    return exact


def write_csv(result: Sweep, path: str | os.PathLike[str] | TextIO) -> None:
    """Writes a :class:`Sweep` as CSV: ``theta``, each quantity, ``d_<q>``, ``exact_<q>``.

    ``path`` is a file name or an open text stream.
    """
    cols: list[tuple[str, np.ndarray]] = [("theta", result.thetas)]
    cols += list(result.values.items())
    if result.gradients is not None:
        cols += [(f"d_{k}", v) for k, v in result.gradients.items()]
    if result.exact is not None:
        cols += [(f"exact_{k}", v) for k, v in result.exact.items()]

    def write(fh: TextIO) -> None:
        w = csv.writer(fh)
        w.writerow([c[0] for c in cols])
        for i in range(result.thetas.size):
            w.writerow([repr(float(c[1][i])) for c in cols])

    if isinstance(path, (str, os.PathLike)):
        with open(path, "w", newline="") as fh:
            write(fh)
    else:
        write(path)
