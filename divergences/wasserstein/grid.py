r"""W1 between two mass arrays on one regular grid: histograms, images, volumes.

The cells of a 1-D, 2-D or 3-D array of masses are points of the lattice
:math:`h \mathbb{Z}^d`. For the ``cityblock`` and ``chebyshev`` metrics, :func:`w1_grid` solves
the min-cost flow on the grid graph (:mod:`._src.host.grid_flow`: every shortest path is a chain of
steps between neighbouring cells, so the problem has :math:`O(n)` arcs), run by the runner as
every W1 method is (:func:`~._src.runner.run`: eager or traced, one host function); for every metric
otherwise (and where the compiled extension is not built) it solves the transport problem
between the cells that carry mass by :func:`~divergences.w1_primal`. Both work on the integer
lattice (whose coordinates and costs are exact) and scale the result by the spacing ``h``
afterwards, rounding the certified bounds outward, so the interval holds for the grid itself.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced
from divergences._src.interval import interval_contains
from divergences._src.precision import as_float_array
from divergences.wasserstein._src.discrete_measures import weight_values
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.grid_flow import FLOW_METRICS
from divergences.wasserstein._src.problem import (
    GRID_SOLVERS,
    PRIMAL_METHODS,
    SolverOptions,
    check_known,
    make_grid_problem,
)
from divergences.wasserstein._src.results import MethodName, SparsePlan
from divergences.wasserstein._src.runner import GRID, run
from divergences.wasserstein.primal import w1_primal

__all__ = ["W1Grid", "w1_grid"]

#: The named metrics on a grid and their degree of homogeneity: c(hx, hy) = h^k c(x, y).
GRID_METRICS = {"euclidean": 1, "cityblock": 1, "chebyshev": 1, "sqeuclidean": 2}
#: The methods of :func:`w1_grid`: ``w1_primal``'s, and the flow on the grid graph.
GRID_METHODS = (*GRID_SOLVERS, *PRIMAL_METHODS)


class W1Grid(NamedTuple):
    r"""The result of :func:`divergences.w1_grid`.

    Attributes:
      value: :math:`W_1(\mu, \nu)` on the grid, a scalar within
        ``[lower_bound, upper_bound]``; differentiable in the masses (envelope theorem).
      plan: the optimal coupling as a :class:`~divergences.SparsePlan` between cells: its
        ``rows`` and ``cols`` are flat (C-order) indices of cells of ``mu`` and ``nu``, its
        ``shape`` is ``(mu.size, nu.size)``.
      cells_x: the flat indices of the cells of ``mu`` in the problem solved: those with mass
        (for concrete input), every cell (under ``jit``/``vmap``, where the cells with mass
        are not known while tracing).
      cells_y: likewise for ``nu``.
      u: the LP dual variable of ``mu``'s constraint at each cell of ``cells_x``, in the
        units of the grid (spacing included).
      v: likewise for ``nu`` at ``cells_y``; :math:`u_i + v_j \le c(x_i, y_j)`.
      lower_bound: a lower bound on :math:`W_1` true in real arithmetic, as for
        :class:`~divergences.W1Primal`, for the grid with the spacing as given.
      upper_bound: likewise an upper bound.
      method: the method that made the result, a :class:`~divergences.MethodName` (a
        ``str``): ``"grid_flow"``, or the method of :func:`~divergences.w1_primal` that solved
        the cells as points (``method="auto"``: an exact one on every backend). Static, as
        :attr:`W1Primal.method <divergences.W1Primal.method>`.
    """

    value: Any
    plan: SparsePlan
    cells_x: Any
    cells_y: Any
    u: Any
    v: Any
    lower_bound: Any
    upper_bound: Any
    method: MethodName

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]``, elementwise (as :class:`W1Primal`)."""
        return interval_contains(self.lower_bound, self.upper_bound, x)


def _check_grid(mu: Any, nu: Any, spacing: Any, metric: Any, method: Any) -> tuple[Any, Any, float]:
    if isinstance(metric, str) and metric in GRID_METRICS:
        pass
    else:
        names = ", ".join(repr(m) for m in GRID_METRICS)
        raise ValueError(f"metric must be one of {names} on a grid; got {metric!r}")
    arrays = []
    for name, t in (("mu", mu), ("nu", nu)):
        arr = t if is_traced(t) or isinstance(t, jax.Array) else np.asarray(t)
        if arr.ndim not in (1, 2, 3):
            raise ValueError(
                f"{name} must be a 1-D, 2-D or 3-D array of masses (a histogram, an image, a "
                f"volume); got shape {arr.shape}"
            )
        if not jnp.issubdtype(arr.dtype, jnp.floating) and arr.dtype.kind not in "iub":
            raise ValueError(f"{name} must hold numbers; got dtype {arr.dtype}")
        arrays.append(arr)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"mu and nu must lie on the same grid: mu has shape {arrays[0].shape}, nu has "
            f"shape {arrays[1].shape}"
        )
    if not isinstance(method, str) or method not in GRID_METHODS:
        names = ", ".join(repr(m) for m in GRID_METHODS)
        raise ValueError(f"method must be one of {names}; got {method!r}")
    if method == "grid_flow" and metric not in FLOW_METRICS:
        raise ValueError(
            f"method='grid_flow' needs metric 'cityblock' or 'chebyshev' (whose shortest paths "
            f"are chains of grid steps); got metric={metric!r}"
        )
    if is_traced(spacing) or isinstance(spacing, bool) or not isinstance(spacing, int | float):
        raise ValueError(f"spacing must be a positive finite Python number; got {spacing!r}")
    if not (math.isfinite(spacing) and spacing > 0):
        raise ValueError(f"spacing must be positive and finite; got {spacing!r}")
    return arrays[0], arrays[1], float(spacing)


def _cells(mass: Any, traced: bool) -> np.ndarray:
    """The flat indices of the cells in the problem: those with mass, or all under a trace."""
    if traced:
        return np.arange(math.prod(mass.shape))
    return np.flatnonzero(np.asarray(mass).ravel() != 0)


def _scaled(t: Any, h: float, degree: int, direction: float) -> Any:
    """``t * h**degree`` rounded towards ``direction``: one ulp outward per rounded product.

    Exact when ``h`` is a power of two (barring under- or overflow).
    """
    exact = math.frexp(h)[0] == 0.5
    for _ in range(degree):
        t = t * jnp.asarray(h, jnp.result_type(t))
        if not exact:
            t = jnp.nextafter(t, jnp.asarray(direction, jnp.result_type(t)))
    return t


def w1_grid(
    mu: Any,
    nu: Any,
    *,
    spacing: float = 1.0,
    metric: str = "euclidean",
    method: str = "auto",
    options: SolverOptions | None = None,
    **keywords: Any,
) -> W1Grid:
    r"""W1 between two arrays of masses on one regular grid, with its certified interval.

    .. math::
       W_1(\mu, \nu) = \min_{P \ge 0,\ P \mathbf{1} = \mu,\ P^\top \mathbf{1} = \nu}
       \sum_{ij} P_{ij}\, c(h\, i, h\, j), \qquad i, j \in \mathbb{Z}^d \text{ the cells}.

    ``cityblock`` and ``chebyshev``: the min-cost flow on the grid graph, :math:`O(n)` arcs
    (Auricchio et al., NeurIPS 2018), where the extension is built. Otherwise the cells with
    mass are the points of :func:`~divergences.w1_primal` (every cell under ``jit``). On the
    integer lattice, scaled by ``spacing``, bounds rounded outward; differentiable in the
    masses (``u``, ``v``). The methods: docs, "Wasserstein-1".

    Args:
      mu: masses on a 1-D, 2-D or 3-D grid, >= 0, summing to 1.
      nu: masses on the same grid, summing to 1 (unequal totals are an error: normalise).
      spacing: the distance between neighbouring cell centres, the same along every axis.
      metric: ``"euclidean"``, ``"cityblock"``, ``"chebyshev"`` or ``"sqeuclidean"`` (W2^2).
      method: ``"grid_flow"`` (``cityblock`` and ``chebyshev`` only), or a method of
        :func:`~divergences.w1_primal` to solve the cells as points.
      options: the method's record (``"grid_flow"``: ``dv.GridFlowOptions``), or
      **keywords: its fields (``"grid_flow"``: ``max_iter``), as for :func:`~divergences.w1_primal`.

    Returns:
      A :class:`~divergences.W1Grid`.

    Raises:
      ValueError: for arrays of another dimension or shape, masses that are negative, NaN or
        do not sum to 1, a bad spacing, metric or method (naming the argument); also under
        ``dv.checked``.
      SolverError: for a solve short of its certificate, or ``method="grid_flow"`` without
        the compiled extension.

    Example:
      >>> import numpy as np
      >>> mu = np.zeros((4, 4)); mu[0, 0] = 1.0
      >>> nu = np.zeros((4, 4)); nu[3, 3] = 1.0
      >>> float(w1_grid(mu, nu, spacing=0.5, metric="cityblock").value)
      3.0
    """
    mu, nu, h = _check_grid(mu, nu, spacing, metric, method)
    check_known(keywords, "w1_grid")
    traced = is_traced(mu) or is_traced(nu)
    xp = jnp if traced else np
    # The arrays, not their dtypes: JAX warns of an explicit float64 dtype without x64.
    dtype = jnp.result_type(mu, nu, jnp.float32)
    if traced:  # traced float16 from its bits: XLA's CPU converts it only with F16C
        mu, nu = (
            as_float_array(t, n) if t.dtype == jnp.float16 else t
            for t, n in ((mu, "mu"), (nu, "nu"))
        )
    mu, nu = xp.asarray(mu, dtype), xp.asarray(nu, dtype)
    valid = weight_values(xp.reshape(mu, -1), "mu") & weight_values(xp.reshape(nu, -1), "nu")
    cx, cy = _cells(mu, traced), _cells(nu, traced)
    if metric in FLOW_METRICS and (
        method == "grid_flow" or (method == "auto" and native.available())
    ):
        why = "" if method == "grid_flow" else f"metric={metric!r} on the grid graph"
        problem = make_grid_problem(
            mu, nu, valid, metric=metric, method="grid_flow", options=options,
            keywords=keywords, why=why,
        )  # fmt: skip
        value, plan, u, v, lower, upper, name = _grid_flow(problem, cx, cy, traced)
    else:
        value, plan, u, v, lower, upper, name = _transport(
            mu, nu, metric, cx, cy, traced, method=method, options=options, **keywords
        )
    degree = GRID_METRICS[metric]
    scale = jnp.asarray(h**degree, jnp.result_type(value))
    if traced:
        u, v = u * scale, v * scale
    else:
        # In NumPy, the same bits: jnp's products would compile a program at every new number
        # of cells (0.1-0.3 s each, more than a 64 x 64 solve).
        u = jnp.asarray(np.asarray(u) * np.asarray(scale))
        v = jnp.asarray(np.asarray(v) * np.asarray(scale))
    return W1Grid(
        value=value * scale,
        plan=plan,
        cells_x=cx,
        cells_y=cy,
        u=u,
        v=v,
        lower_bound=_scaled(lower, h, degree, -math.inf),
        upper_bound=_scaled(upper, h, degree, math.inf),
        method=name,
    )


def _transport(mu: Any, nu: Any, metric: str, cx: Any, cy: Any, traced: bool, **kw: Any) -> tuple:
    """W1 on the lattice as the transport problem between the cells, by ``w1_primal``.

    ``(value, plan, u, v, lower_bound, upper_bound, method)``, in lattice units.
    """
    dtype = mu.dtype
    xp = jnp if traced else np
    a, b = xp.reshape(mu, -1)[cx], xp.reshape(nu, -1)[cy]
    lattice_x = np.stack(np.unravel_index(cx, mu.shape), axis=-1).astype(dtype)
    lattice_y = np.stack(np.unravel_index(cy, nu.shape), axis=-1).astype(dtype)
    sol = w1_primal(lattice_x, lattice_y, a, b, metric=metric, **kw)
    if traced:
        rows, cols = jnp.asarray(cx)[sol.plan.rows], jnp.asarray(cy)[sol.plan.cols]
    else:  # in NumPy: jnp's gathers would compile a program at every new number of arcs
        rows = jnp.asarray(cx[np.asarray(sol.plan.rows)])
        cols = jnp.asarray(cy[np.asarray(sol.plan.cols)])
    plan = SparsePlan(rows, cols, sol.plan.mass, (mu.size, nu.size))
    return sol.value, plan, sol.u, sol.v, sol.lower_bound, sol.upper_bound, sol.method


def _grid_flow(problem: Any, cx: Any, cy: Any, traced: bool) -> tuple:
    """W1 on the lattice as the flow on the grid graph (:mod:`._src.host.grid_flow`).

    ``(value, plan, u, v, lower_bound, upper_bound, method)``, in lattice units: the runner's result
    (:data:`~._src.runner.GRID`), whose ``value`` carries the envelope theorem's derivative in the
    masses, :math:`(u, v) = (f, -f)`, under a trace.
    """
    out = run(problem, GRID)
    cells = problem.shape[0]
    plan = SparsePlan(out.rows, out.cols, out.mass, (cells, cells))
    name = MethodName(problem.method)
    if traced:
        return out.value, plan, out.f, -out.f, out.lower_bound, out.upper_bound, name
    f = np.asarray(out.f)
    return out.value, plan, f[cx], -f[cy], out.lower_bound, out.upper_bound, name
