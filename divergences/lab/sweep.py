r"""Divergences and Wasserstein-1 along a family of measures, for many thetas in one call.

.. code-block:: python

    fam = dv.families.parallel_lines()
    s = sweep(fam, np.linspace(-1, 1, 101), gradients=True)
    s.values["js"], s.values["w1"], s.gradients["w1"]   # the WGAN paper's Figure 1

The divergences and the 1-D Wasserstein distance are pure JAX: the family is evaluated with
``vmap`` over all thetas at once and each quantity is one batched call. Wasserstein-1 in two or
more dimensions solves one exact LP per theta on the host (with a progress bar when there are
many), restricted to the atoms that carry mass.
"""

from __future__ import annotations

import csv
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.hellinger import hellinger
from divergences._src.js import js_distance, js_divergence
from divergences._src.kl import kl
from divergences._src.total_variation import total_variation
from divergences._typing import ArrayLike, Base
from divergences.families import Family, MeasurePair

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
    from divergences.wasserstein import w1_1d, w1_primal

    if dim == 1:
        return lambda m: w1_1d(m.points, m.points, m.p, m.q)
    return lambda m: w1_primal(m.points, m.points, m.p, m.q).value


def _scalar(name: str, family: Family, base: Base) -> Callable[[jax.Array], jax.Array]:
    """theta -> the quantity, traceable (for vmap and grad); W1 here is the 1-D kernel."""
    if name == "w1":
        w1 = _w1_fn(1)
        return lambda th: w1(family.measures(th))
    fn = _pmf_quantity(name)

    def value(th: jax.Array) -> jax.Array:
        m = family.measures(th)
        return fn(m.p, m.q, base)

    return value


def _restrict(m: MeasurePair) -> tuple[jax.Array, jax.Array]:
    """Indices of the atoms of p and of q that carry mass (host side)."""
    return jnp.asarray(np.flatnonzero(np.asarray(m.p) > 0)), jnp.asarray(
        np.flatnonzero(np.asarray(m.q) > 0)
    )


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
    from divergences.wasserstein import w1_primal

    m = measures(theta)
    return w1_primal(m.points[ip], m.points[iq], a, b).value


def _w1_host_fn(
    family: Family, gradient: bool
) -> Callable[[float, jax.Array, jax.Array], tuple[float, float]]:
    """(theta, p, q) -> (W1, dW1/dtheta) by an exact LP on the atoms that carry mass.

    ``p`` and ``q`` are the weights at theta from the batched evaluation the divergences used, so
    every quantity of a sweep sees the same measures.

    Compiled once per sweep (and support size): the LP runs on the host through a callback; the
    gather of the supports, the costs and the envelope gradient run in XLA.
    """

    def restricted(
        t: jax.Array, ip: jax.Array, iq: jax.Array, a: jax.Array, b: jax.Array
    ) -> jax.Array:
        return _w1_restricted(family.measures, t, ip, iq, a, b)

    value = jax.jit(restricted)
    value_and_grad = jax.jit(jax.value_and_grad(restricted))

    def at(theta: float, p: jax.Array, q: jax.Array) -> tuple[float, float]:
        ip, iq = _restrict(MeasurePair(p, p, q))
        a, b = p[ip], q[iq]
        t = jnp.asarray(theta, dtype=p.dtype)
        if not gradient:
            return float(value(t, ip, iq, a, b)), math.nan
        v, g = value_and_grad(t, ip, iq, a, b)
        return float(v), float(g)

    return at


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
) -> Sweep:
    r"""Computes ``quantities`` between :math:`P_0` and :math:`P_\theta` for every theta.

    Args:
      family: a :class:`divergences.families.Family`.
      thetas: the parameters, a 1-D array.
      quantities: names from :data:`QUANTITIES`.
      base: logarithm base of KL and JS (None: nats, 2: bits). TV, Hellinger and W1 have none.
      gradients: also compute :math:`d/d\theta` of each quantity with ``jax.grad`` through the
        family (NaN where the value is infinite).
      progress: show a progress bar for the per-theta LPs of W1 in 2-D; None shows it for 50 or
        more thetas when stderr is a terminal.

    Returns:
      A :class:`Sweep`.

    Raises:
      ValueError: for an unknown measure name, thetas that are not a 1-D array of finite
        numbers, or thetas outside the family's ``theta_range``.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab.sweep import sweep
      >>> s = sweep(dv.families.shifted_uniforms(), np.array([0.0, 0.5]), quantities=("js", "tv"))
      >>> [round(float(v), 6) for v in s.values["tv"]]
      [0.0, 0.5]
    """
    unknown = [m for m in quantities if m not in QUANTITIES]
    if unknown:
        raise ValueError(f"quantities: unknown {unknown}; choose from {sorted(QUANTITIES)}")
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
    jt = jnp.asarray(t)
    batch = jax.vmap(family.measures)(jt)
    dim = 1 if batch.points.ndim == 2 else batch.points.shape[-1]

    values: dict[str, np.ndarray] = {}
    grads: dict[str, np.ndarray] = {}
    for name in quantities:
        if name == "w1" and dim > 1:
            at = _w1_host_fn(family, gradients)
            steps = _progress(range(t.size), t.size, progress, f"W1 LPs ({family.name})")
            rows = [at(float(t[i]), batch.p[i], batch.q[i]) for i in steps]
            values[name] = np.array([r[0] for r in rows])
            if gradients:
                grads[name] = np.array([r[1] for r in rows])
            continue
        scalar = _scalar(name, family, base)
        if name == "w1":
            values[name] = np.asarray(jax.vmap(scalar)(jt))
        else:
            values[name] = np.asarray(_pmf_quantity(name)(batch.p, batch.q, base))
        if gradients:
            g = np.asarray(jax.vmap(jax.grad(scalar))(jt))
            grads[name] = np.where(np.isfinite(values[name]), g, np.nan)

    exact = None
    if family.exact is not None:
        exact = {}
        for k, v in family.exact(t).items():
            if k not in quantities:
                continue
            if base is not None and k in _LOG_QUANTITIES:
                v = v / math.log(float(base))
            exact[k] = v
    return Sweep(family.name, t, values, grads if gradients else None, exact, base)


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
