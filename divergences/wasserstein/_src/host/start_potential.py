"""The network simplex's start potential, integrated from the coarse plan's directions.

A Kantorovich potential of W1 falls at unit rate along each transport ray, so the coarse
plan's direction of transport at each cell gives the gradient of a potential; its values at
the cells are fitted by least squares (a graph Laplacian system, solved by preconditioned
conjugate gradients).

References: Villani, *Optimal Transport: Old and New*, 2009, Remark 6.5 (KR duality);
Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., 2003, Alg. 9.1.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from divergences.wasserstein._src.host.nearest import weighted_k_nearest

__all__ = ["conjugate_gradient", "integrated_potential"]

# Neighbours of each coarse cell in the least-squares fit, the most cells it is fitted over,
# and the conjugate gradient's stop.
_INTEGRATE_KNN = 6
_INTEGRATE_MAX = 60_000
_INTEGRATE_RTOL = 1e-8
_INTEGRATE_ITER = 2000


def integrated_potential(
    centres: np.ndarray,
    disp: np.ndarray,
    points: np.ndarray,
    cell: np.ndarray,
    *,
    max_cells: int = _INTEGRATE_MAX,
    threads: int | None = None,
) -> np.ndarray:
    r"""A potential at ``points`` whose gradient is the coarse plan's direction of transport.

    A Kantorovich potential f of W1 falls at unit rate along each transport ray: where the
    mass at a coarse cell's barycentre :math:`c_k` travels in the unit direction :math:`e_k`
    (``disp[k]`` normalised: the cell's mean displacement, leaving a source cell or arriving
    at a sink cell), :math:`\nabla f = -e_k`. The values :math:`g_k = f(c_k)` are fitted by
    least squares to :math:`g_l - g_k = -\langle (e_k + e_l)/2, c_l - c_k \rangle` over each
    cell's nearest cells (a graph Laplacian system, one value pinned per connected
    component: positive definite, solved by :func:`conjugate_gradient`), and a point gets
    :math:`g_k - \langle e_k, z - c_k \rangle` from its cell ``cell``. Where the directions are
    one and the same (a translated copy) this is exactly the linear optimal potential, which
    the coarse plan's own duals are not: those are a vertex of the coarse dual polytope, off
    the linear one by far more than the fine problem's near-ties along the rays allow, so nearly every fine point would price a
    violated arc. It only seeds the network simplex's first basis (see ``SimplexGraph``):
    any values would be exact, so the fit is solved to a tolerance, not exactly.

    Products of the points with a vector are ``einsum``'s loops, not BLAS: OpenBLAS ends the
    process when its work buffer cannot be allocated.
    """
    norm = np.linalg.norm(disp, axis=1)
    e = np.zeros_like(disp)
    moving = norm > 0
    e[moving] = disp[moving] / norm[moving, None]
    # The fit is made for the difference from the linear potential of the mean direction:
    # the solver's rounding then scales with that difference, which is 0 for a translated
    # copy (the pricing slows down sharply once the potential's noise exceeds its tie
    # tolerance of a few ulps).
    mean = e.sum(axis=0)
    length = float(np.linalg.norm(mean))
    mean = mean / length if length > 0 else mean
    e = e - mean
    count = centres.shape[0]
    linear = np.einsum("ij,j->i", points, mean)
    # One direction throughout (to rounding): the fit's answer is 0, no solve needed. Past
    # max_cells cells the fit would cost more than it saves: the linear potential alone.
    if count < 2 or count > max_cells or not np.max(np.abs(e)) > 1e-12:
        return -linear
    g = np.zeros(count)
    k = min(_INTEGRATE_KNN + 1, count)
    near = weighted_k_nearest(centres, centres, np.zeros(count), k, threads=threads)
    r = np.repeat(np.arange(count), k)
    s = near.ravel().astype(np.int64)
    r, s = r[r != s], s[r != s]
    rhs = -np.sum((e[r] + e[s]) / 2 * (centres[s] - centres[r]), axis=1)
    rows = np.arange(r.shape[0])
    incidence = scipy.sparse.csr_matrix(
        (np.concatenate([-np.ones(r.shape[0]), np.ones(r.shape[0])]),
         (np.concatenate([rows, rows]), np.concatenate([r, s]))),
        shape=(r.shape[0], count),
    )  # fmt: skip
    laplacian = (incidence.T @ incidence).tocsr()
    _, component = scipy.sparse.csgraph.connected_components(laplacian, directed=False)
    free = np.ones(count, bool)
    free[np.unique(component, return_index=True)[1]] = False  # one pinned per component
    if np.any(free):
        g[free] = conjugate_gradient(
            laplacian[free][:, free].tocsr(),
            (incidence.T @ rhs)[free],
            rtol=_INTEGRATE_RTOL,
            max_iter=_INTEGRATE_ITER,
        )
    return (g[cell] - np.sum(e[cell] * (points - centres[cell]), axis=1)) - linear


def conjugate_gradient(
    matrix: scipy.sparse.csr_matrix, rhs: np.ndarray, *, rtol: float, max_iter: int
) -> np.ndarray:
    r"""An approximate solution of ``matrix @ g = rhs``, ``matrix`` sparse and positive definite.

    Conjugate gradients preconditioned by the diagonal, from 0, until the residual is within
    ``rtol`` of ``rhs`` or after ``max_iter`` steps, whichever comes first.

    It allocates only NumPy arrays (SciPy's sparse product, sums by NumPy rather than BLAS),
    so that running out of memory is a :class:`MemoryError`; a direct factorisation would not
    do: SuperLU's dereferences a null pointer when an allocation fails.

    Reference: Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., 2003, Alg. 9.1.
    """
    diagonal = matrix.diagonal()
    inverse = np.where(diagonal > 0, 1.0 / np.where(diagonal > 0, diagonal, 1.0), 1.0)
    g = np.zeros_like(rhs)
    residual = rhs.copy()
    step = inverse * residual
    rz = float(np.sum(residual * step))
    stop = rtol * math.sqrt(float(np.sum(rhs * rhs)))
    for _ in range(max_iter):
        if math.sqrt(float(np.sum(residual * residual))) <= stop:
            break
        image = matrix @ step
        curvature = float(np.sum(step * image))
        if not curvature > 0:  # 0 or NaN: at the solution to rounding, or not definite
            break
        alpha = rz / curvature
        g += alpha * step
        residual -= alpha * image
        z = inverse * residual
        rz, rz_old = float(np.sum(residual * z)), rz
        step = z + (rz / rz_old) * step
    return g
