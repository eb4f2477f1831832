r"""What the W1 solvers return and how they fail: the result types, one status enum, the errors.

One vocabulary for every solver, host or traced: :class:`Status` is the outcome of a solve
(the native solver's codes 0-6, mirrored in its C++ and exported there as
``_ot_native.STATUS``; the Python-only outcomes from 7 on), :class:`SolverError` (the
package's one error of a computation stopped short, from :mod:`divergences._src.solver_error`,
with a W1 ``Status``) and :class:`CertificateError` are what a solve that stops short raises,
and :class:`W1Primal`,
:class:`W1Dual`, :class:`SparsePlan` are what a finished one returns.

The rule behind them: a solve either reaches a certified optimum (:attr:`Status.OPTIMAL`, or
:attr:`Status.WITHIN_TOLERANCE` for the sparse solver's bounds within ``rtol``) or it is an
error. Eagerly that error is raised; under ``jax.jit`` a host callback cannot raise, so the
results are NaN and the status becomes a check that ``dv.checked`` raises as the same
:class:`SolverError`. Every result names the method that made it (:class:`MethodName`), so an
approximate number can never pass for an exact one.

**Signs of the potentials.** Two names, one meaning each, in every module of ``wasserstein/``
and in the compiled extension's interface:

* ``u``, ``v`` are always a Kantorovich pair, the LP duals of the row and column constraints:
  :math:`u_i + v_j \le c(x_i, y_j)`, with equality on the plan and
  :math:`W_1 = \sum_i a_i u_i + \sum_j b_j v_j` at an optimum. The transport solvers return
  them (``Coupling``), the certificate reads them, and :class:`W1Primal` reports them.
* ``f`` is always a Kantorovich-Rubinstein potential, a 1-Lipschitz function with
  :math:`W_1 = \sum_i a_i f(x_i) - \sum_j b_j f(y_j)`; its values at the samples are
  ``f_x``, ``f_y`` (or ``f`` on the union, x's points first, as in :class:`W1Dual`). The
  weighted nearest-site query :math:`\min_l c(z, s_l) + w_l` takes such values as its
  weights ``w`` (McShane's extension of ``f``).

They meet at :math:`u = f(x)`, :math:`v = -f(y)`, written once, in :func:`kantorovich_pair`.
From a pair to a potential is the c-transform :math:`f(z) = \min_j c(z, y_j) - v_j`
(``HostProblem.c_transform`` on the host, the Sinkhorn solver's own in XLA). The Sinkhorn
iterates ``(f, g)`` are the entropic dual's pair, named as in Peyre & Cuturi, with the signs
of ``(u, v)``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.interval import interval_contains
from divergences._src.solver_error import SolverError

__all__ = [
    "CertificateError",
    "MethodName",
    "SolverError",
    "SparsePlan",
    "Status",
    "W1Dual",
    "W1Primal",
    "kantorovich_pair",
]


def kantorovich_pair(f_x: Any, f_y: Any) -> tuple[Any, Any]:
    r"""The Kantorovich pair of a Kantorovich-Rubinstein potential's values.

    .. math:: u_i = f(x_i), \qquad v_j = -f(y_j),

    so that :math:`u_i + v_j = f(x_i) - f(y_j) \le c(x_i, y_j)` for a 1-Lipschitz ``f`` and
    the two dual values agree. The one place where the library turns one sign convention into
    the other (NumPy or JAX arrays alike; a negation, so exact).

    Reference: Villani, *Optimal Transport: Old and New*, 2009, Remark 6.5.
    """
    return f_x, -f_y


class MethodName(str):
    """The name of the method that produced a W1 result, a ``str`` that passes through ``jit``.

    ``"dense"``, ``"sparse"``, ``"line"``, ``"sinkhorn"``, ``"lp"`` or ``"grid_flow"``. A ``str``
    (``sol.method == "dense"``, printed as the name) that is also a pytree with no leaves, its
    name the static part: the method is chosen before anything is traced, so a result carries it
    unchanged out of ``jit``, ``vmap``, ``grad`` and ``lax.scan``, and into a jitted function
    that takes the result as an argument, as a plain ``str`` could not (it is no JAX type). The
    result's leaves are its arrays alone; ``tree_map`` over two results of different methods is
    a structure mismatch, as it should be.
    """

    __slots__ = ()


jax.tree_util.register_pytree_node(
    MethodName, lambda name: ((), str(name)), lambda name, _: MethodName(name)
)


class Status(enum.IntEnum):
    """The outcome of one W1 solve, shared by every solver.

    Values 0-6 are the native sparse solver's and are mirrored name for name by its C++ enum
    (``_ot_native.STATUS``); the others are set by the Python side only. Every status but
    :attr:`OPTIMAL` and :attr:`WITHIN_TOLERANCE` is a stop short of a certified optimum.
    """

    #: Input broke a rule (under a trace): not solved.
    SKIPPED = -1
    #: No pair of negative reduced cost: the plan is optimal.
    OPTIMAL = 0
    #: The certified lower and upper bounds agree to ``rtol``.
    WITHIN_TOLERANCE = 1
    #: Stopped at the sparse method's cap on pricing rounds.
    ROUND_CAP = 2
    #: Stopped at the pivot (iteration) cap of a graph solver or LP.
    PIVOT_CAP = 3
    #: Flow left on the artificial arcs of the graph (the graph's LP was infeasible).
    ARTIFICIAL_FLOW = 4
    #: The returned plan's marginals are not ``(a, b)`` to tolerance.
    NOT_A_COUPLING = 5
    #: The upper bound is below the lower bound, or a bound is NaN.
    BOUNDS_CROSSED = 6
    #: The dense LP reported the problem infeasible (unequal masses, a cost that is not finite).
    INFEASIBLE = 7
    #: The dense LP reported the problem unbounded.
    UNBOUNDED = 8
    #: HiGHS reported numerical difficulties.
    NUMERICAL = 9
    #: The compiled sparse solver is not built in this install.
    NOT_BUILT = 10
    #: The solve ran out of memory.
    OUT_OF_MEMORY = 11
    #: Any other failure of the host solver (an exception of the compiled code).
    FAILED = 12

    @property
    def ok(self) -> bool:
        """True for a certified optimum (:attr:`OPTIMAL` or :attr:`WITHIN_TOLERANCE`)."""
        return self in (Status.OPTIMAL, Status.WITHIN_TOLERANCE)


class CertificateError(SolverError):
    """The sparse solver stopped before its certificate held.

    A cap reached before the bounds met ``rtol``, bounds that cross, or a plan that is not a
    coupling.

    Attributes:
      result: the host solution reached (a ``SparseHostSolution``: plan, potentials, bounds,
        rounds, pivots), in the units of the input, with bounds certified as a finished
        solve's are (true in real arithmetic; the upper one includes what repairing the plan's
        marginals could cost, and is +inf only for negative or non-finite masses).
      status: the :class:`Status` of the stop.
      reason: what stopped it and what to do, without the bounds reached (the message's first
        sentence; the whole message where none was given).
    """

    def __init__(
        self,
        message: str,
        result: Any,
        status: Status | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, Status(result.status if status is None else status))
        self.result = result
        self.reason = message if reason is None else reason


@dataclasses.dataclass(eq=False, repr=False)
class SparsePlan:
    r"""A transport plan as a sparse ``(n, m)`` matrix that knows its shape.

    The type of ``w1_primal(...).plan`` for every method and size.

    :math:`P_{ij} = \sum_k \text{mass}_k` over the arcs ``k`` with
    ``(rows[k], cols[k]) = (i, j)``, zero elsewhere; a basic optimal plan has at most
    :math:`n + m - 1` arcs. ``plan.todense()`` is the ``(n, m)`` matrix, eagerly and under
    ``jit``/``vmap``; ``np.asarray(plan)`` gives the same matrix for a concrete plan (inside a
    transformation it raises a TypeError that names ``todense``); ``plan.to_bcoo()`` is
    :class:`jax.experimental.sparse.BCOO`, the ecosystem's sparse type.

    A pytree (a dataclass registered with JAX): the arrays are its leaves and ``shape`` its
    static part, declared on the field, so it passes through
    ``jit``, ``vmap`` (the leaves gain the batch axes in front; ``shape`` stays the matrix's)
    and ``tree_map``.

    Attributes:
      rows: index into ``x`` of each arc, shape ``(..., k)``.
      cols: index into ``y`` of each arc, shape ``(..., k)``.
      mass: mass carried by each arc, ``>= 0``, shape ``(..., k)``. Under ``jax.jit`` the arrays
        of the host solvers have the static length ``n + m``, padded with arcs of zero mass
        (and NaN masses for a solve that failed). ``method="sinkhorn"`` has every one of the
        ``n * m`` arcs where its costs are a matrix (up to :math:`2^{22}` pairs), else the 16
        largest arcs of each row, ``16 n`` (not then a coupling), eagerly and under ``jit``
        alike.
      shape: ``(n, m)``, the numbers of points of ``x`` and ``y``.
    """

    rows: Any
    cols: Any
    mass: Any
    shape: tuple[int, int] = dataclasses.field(metadata={"static": True})

    def __post_init__(self) -> None:
        self.shape = (int(self.shape[0]), int(self.shape[1]))

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The batch axes in front of the arcs (``()`` for one plan)."""
        return tuple(np.shape(self.mass)[:-1])

    def todense(self) -> jax.Array:
        """The ``(..., n, m)`` matrix of the plan (batch axes in front, as on the fields).

        Works eagerly and under ``jit``/``vmap``; it holds ``n * m`` numbers, so it is for
        problems that fit in memory.
        """
        n, m = self.shape
        return _to_dense(self.rows, self.cols, self.mass, n=n, m=m)

    def to_bcoo(self) -> Any:
        """The plan as :class:`jax.experimental.sparse.BCOO` of shape ``(..., n, m)``.

        Batch axes are BCOO's batch dimensions; repeated arcs add up, as here.
        """
        from jax.experimental import sparse

        indices = jnp.stack([jnp.asarray(self.rows), jnp.asarray(self.cols)], axis=-1)
        return sparse.BCOO(
            (jnp.asarray(self.mass), indices), shape=(*self.batch_shape, *self.shape)
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if any(isinstance(t, jax.core.Tracer) for t in (self.rows, self.cols, self.mass)):
            raise TypeError(
                "a SparsePlan inside a JAX transformation has no NumPy value: use "
                "plan.todense() for its (n, m) matrix as a JAX array"
            )
        return np.asarray(self.todense(), dtype=dtype)

    def __repr__(self) -> str:
        arcs = np.shape(self.mass)[-1] if np.ndim(self.mass) else 0
        batch = f", batch {self.batch_shape}" if self.batch_shape else ""
        return f"SparsePlan(shape={self.shape}, arcs={arcs}{batch})"


jax.tree_util.register_dataclass(SparsePlan)


@functools.partial(jax.jit, static_argnames=("n", "m"))
def _to_dense(rows: jax.Array, cols: jax.Array, mass: jax.Array, *, n: int, m: int) -> jax.Array:
    """The ``(..., n, m)`` matrix of a plan's arcs: one program, eager or traced."""
    batch = mass.shape[:-1]

    def one(r: jax.Array, c: jax.Array, w: jax.Array) -> jax.Array:
        return jnp.zeros((n, m), w.dtype).at[r, c].add(w)

    if not batch:
        return one(rows, cols, mass)
    k = mass.shape[-1]
    flat = jax.vmap(one)(rows.reshape(-1, k), cols.reshape(-1, k), mass.reshape(-1, k))
    return flat.reshape((*batch, n, m))


class W1Primal(NamedTuple):
    r"""The result of :func:`divergences.w1_primal`.

    ``contains(t)`` says whether ``t`` lies in ``[lower_bound, upper_bound]``, as a boolean array
    under ``jit`` and ``vmap`` too.

    Attributes:
      value: :math:`W_1(\mu, \nu)`, a scalar: the plan's cost, within
        ``[lower_bound, upper_bound]``. Differentiable (envelope theorem). For
        ``method="sinkhorn"``, the cost of its plan (the Sinkhorn plan rounded onto the
        marginals, a coupling up to rounding), within ``rtol`` of :math:`W_1`.
      plan: the optimal coupling as a :class:`SparsePlan` (arcs ``rows``, ``cols``, ``mass``
        and its ``shape``) for every method and size; ``plan.todense()`` gives the ``(n, m)``
        matrix. Its marginals are ``a`` and ``b`` to the solver's tolerance, not to rounding.
        Not unique in general (uniform weights are degenerate); this is the vertex the solver
        stops at.
      u: LP dual variable of the row constraints, shape ``(n,)``.
      v: LP dual variable of the column constraints, shape ``(m,)``. Together
        :math:`u_i + v_j \le c(x_i, y_j)` with equality where :math:`P_{ij} > 0`, and
        ``value = a @ u + b @ v``; normalised so that ``a @ u == b @ v``. For
        ``method="sparse"``, ``u = f(x)``, ``v = -f(y)`` for the Kantorovich-Rubinstein
        potential :math:`f(z) = \min_j \|z - y_j\| - v_j`. For ``method="sinkhorn"``, ``v``
        is the Sinkhorn column potential and ``u`` its c-transform: feasible up to rounding,
        ``a @ u + b @ v`` the lower bound before its rounding allowance (not normalised).
      lower_bound: a lower bound on the exact :math:`W_1` of the points and weights as given,
        true in real arithmetic: the dual objective :math:`\sum_i a_i u'_i + \sum_j b_j v_j`
        of the feasible pair :math:`u'_i = \min_j c(x_i, y_j) - v_j`, widened by the rounding
        of the costs and of the sums, and rounded down into the dtype. For the exact methods,
        which compute it on the host, the same bits eagerly and under ``jit``/``vmap`` on every
        backend; for ``method="sinkhorn"``, computed on the device, certified in every mode and
        the same to a few ulps (a backend may compile the ``jit`` or ``vmap`` program to round
        differently). No gradient.
      upper_bound: likewise an upper bound: the cost of the returned plan, widened by the
        rounding of its costs and of its marginals, rounded up. Never below ``lower_bound``;
        ``value`` lies between the two. The relative gap is
        ``(upper_bound - lower_bound) / value``. No gradient.
      method: the method that made the result, a :class:`MethodName` (a ``str``): the one
        asked for, or the one ``method="auto"`` chose (``"dense"``, ``"sparse"`` or ``"line"``:
        an exact method on every backend). Static: the same eagerly and under ``jit`` and
        ``vmap``, and no leaf of the result's pytree.
    """

    value: Any
    plan: SparsePlan
    u: Any
    v: Any
    lower_bound: Any
    upper_bound: Any
    method: MethodName

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]``: a boolean, an array under ``jit``.

        Computed as ``(lower_bound <= x) & (x <= upper_bound)``
        (:func:`divergences.extending.interval_contains`), so that it is traceable and
        elementwise over a ``vmap``-ed batch of results; a NaN gives False.
        """
        return interval_contains(self.lower_bound, self.upper_bound, x)


class W1Dual(NamedTuple):
    r"""A Kantorovich-Rubinstein potential and the value it attains.

    The potential is a function on all of :math:`\mathbb{R}^d`, not only on the samples:
    :func:`divergences.kr_potential` evaluates it at any points, from these fields alone.

    Attributes:
      value: :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)`, equal to :math:`W_1` (strong
        duality), a scalar; for ``method="sparse"``, within the solver's ``rtol`` of
        :math:`W_1` (a certified lower bound, up to rounding). Differentiable (envelope
        theorem), like :attr:`W1Primal.value <divergences.W1Primal.value>`.
      f: the potential on the union of the supports, shape ``(n + m,)``, **in the order
        x's points then y's points**: ``f[:n]`` is :math:`f(x_i)`, ``f[n:]`` is
        :math:`f(y_j)`. Defined up to an additive constant, chosen so that
        :math:`\max f = -\min f` (the smallest :math:`|f|`, at most half the diameter of the
        points: representable whenever the distances are). Carries no gradient.
      points: that union, ``concatenate([x, y])``, shape ``(n + m, d)``.
      lipschitz_violation: an upper bound, true in real arithmetic, on the distance of ``f``
        (as returned, in its dtype) from 1-Lipschitz,
        :math:`\max(0, \max_{kl} f_k - f_l - c(z_k, z_l))` over all :math:`(n + m)^2` pairs of
        the union: computed at every size (for the Euclidean cost as
        :math:`\max_k f_k - \min_l [c(z_k, z_l) + f_l]`, one weighted nearest-neighbour query
        per point on a k-d tree, otherwise by blocks of rows), widened by the rounding of the
        costs and rounded up. For the c-transforms (``"dense"``, ``"sparse"``: 1-Lipschitz by
        construction) a few ulps of the largest cost, mostly the rounding of ``f`` into its
        dtype; for ``method="lp"``, what HiGHS's feasibility tolerance (``1e-10`` on the costs
        scaled into ``[0.5, 1)``) lets through where points lie close together: 2.2e-10 with a
        largest cost of 2.5, two points 1.1e-10 apart. No gradient.
      method: the method whose solve gave ``f``, a :class:`MethodName` (a ``str``), static, as
        :attr:`W1Primal.method <divergences.W1Primal.method>`; ``None`` for a potential built
        by hand (``W1Dual(value, f, points, violation)``, for :func:`~divergences.kr_potential`).
    """

    value: Any
    f: Any
    points: Any
    lipschitz_violation: Any
    method: MethodName | None = None
