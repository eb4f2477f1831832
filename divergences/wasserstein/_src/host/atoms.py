r"""Copies of one point merged into one weighted atom, and a plan on the atoms split back.

Merging is exact: the transport problem between the atoms has the same value as the original
one (copies of a point are interchangeable), and any coupling of the atoms, split back to the
copies so that each copy sends its share, is a coupling of the original measures with the same
cost, hence optimal when the atoms' plan is. Duplicated and heavily tied supports (integer
grids, repeated samples) otherwise multiply the rounds of the sparse solver.

The split keeps the plan sparse: within each atom the copies and the atom's arcs are laid end
to end on [0, 1] by their shares and cut at every boundary (the north-west corner rule), so a
plan of ``K`` arcs on ``N`` and ``M`` atoms becomes at most ``K + (n - N) + (m - M)`` arcs on
``n`` and ``m`` points: still at most ``n + m - 1`` for a basic plan.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Atoms", "merge_duplicates", "split_plan"]


class Atoms(NamedTuple):
    """The distinct points of a cloud and their total masses."""

    points: np.ndarray  # (N, d), distinct
    mass: np.ndarray  # (N,), the sum of the copies' masses
    atom: np.ndarray  # (n,), the atom of each original point


def merge_duplicates(points: np.ndarray, mass: np.ndarray) -> Atoms:
    """The atoms of ``(points, mass)``: equal rows merged, their masses summed.

    Points with no copy keep their order and the cloud itself is returned as it is (no copy
    of the data) when all its points are distinct.
    """
    n = points.shape[0]
    if n <= 1:
        return Atoms(points, mass, np.arange(n))
    unique, first, inverse = np.unique(points, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if unique.shape[0] == n:
        return Atoms(points, mass, np.arange(n))
    # Renumbered by first occurrence, so that the atoms keep the cloud's order.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    atom = rank[inverse]
    total = np.bincount(atom, weights=mass, minlength=order.size)
    return Atoms(np.ascontiguousarray(unique[order]), total, atom)


def _north_west(
    group_s: np.ndarray, mass_s: np.ndarray, group_t: np.ndarray, mass_t: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cuts each group's mass between its ``s`` items and its ``t`` items (north-west corner).

    Within each group, items ``s`` and items ``t`` are laid end to end on [0, 1] by their
    shares of the group's mass and cut at every boundary: the pieces ``(s, t, mass)``, the
    masses in the units of ``mass_t`` (each group's ``t`` masses are reproduced exactly up to
    rounding). Both item lists must cover every group that has mass; a group with no mass on
    one side (an atom whose copies all weigh 0, which no arc leaves) gives no pieces.
    """

    def ends(group: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(group, kind="stable")
        g, w = group[order], mass[order]
        total = np.bincount(g, weights=w, minlength=groups)
        start = np.concatenate([[0], np.cumsum(np.bincount(g, minlength=groups))[:-1]])
        csum = np.cumsum(w)
        before = np.concatenate([[0.0], csum])[start][g]  # the group's cumulative offset
        with np.errstate(invalid="ignore", divide="ignore"):
            # At most 1: a rounded share past 1 would sort an item's end after the group's
            # last end of the other kind and pair it with an item of the next group.
            frac = np.minimum((csum - before) / total[g], 1.0)
        last = np.r_[g[1:] != g[:-1], True]
        frac[last] = 1.0  # each group ends exactly at 1
        return order, np.column_stack([g, frac])

    order_s, end_s = ends(group_s, mass_s)
    order_t, end_t = ends(group_t, mass_t)
    kind = np.concatenate([np.zeros(len(end_s), np.int8), np.ones(len(end_t), np.int8)])
    ev = np.concatenate([end_s, end_t])
    sort = np.lexsort((kind, ev[:, 1], ev[:, 0]))
    g, frac, kind = ev[sort, 0].astype(np.int64), ev[sort, 1], kind[sort]
    # The item current at each event: the number of its kind's ends before it.
    s_index = np.cumsum(kind == 0) - (kind == 0)
    t_index = np.cumsum(kind == 1) - (kind == 1)
    prev = np.concatenate([[0.0], frac[:-1]])
    new_group = np.r_[True, g[1:] != g[:-1]]
    prev[new_group] = 0.0
    length = frac - prev
    total_s = np.bincount(group_s, weights=mass_s, minlength=groups)
    total_t = np.bincount(group_t, weights=mass_t, minlength=groups)
    # A group without mass on one side has nothing to cut: its shares are 0/0, and the current
    # item of the other kind at its events is one of the next group, or past the end after the
    # last group (an IndexError on a zero-mass atom).
    keep = (length > 0) & (total_s[g] > 0) & (total_t[g] > 0)
    piece = length[keep] * total_t[g[keep]]
    return order_s[s_index[keep]], order_t[t_index[keep]], piece


def split_plan(
    rows: np.ndarray,
    cols: np.ndarray,
    mass: np.ndarray,
    atoms_x: Atoms,
    a: np.ndarray,
    atoms_y: Atoms,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Splits a plan between atoms back into a plan between the original points.

    The plan between atoms (arcs ``rows``, ``cols``, ``mass``) becomes one between the points
    with masses ``a`` and ``b``: each atom's flow is shared among its copies by the north-west
    corner rule. The identity where neither cloud has duplicates.
    """
    n_atoms_x, n_atoms_y = atoms_x.mass.shape[0], atoms_y.mass.shape[0]
    if n_atoms_x == a.shape[0] and n_atoms_y == b.shape[0]:
        return rows, cols, mass
    positive = mass > 0
    rows, cols, mass = rows[positive], cols[positive], mass[positive]
    # x's copies against the atom arcs leaving their atom: pieces (copy i, arc k).
    copy_i, arc_k, piece = _north_west(atoms_x.atom, a, rows, mass, n_atoms_x)
    # y's copies against the pieces arriving at their atom: arcs (copy i, copy j).
    copy_j, piece_p, flow = _north_west(atoms_y.atom, b, cols[arc_k], piece, n_atoms_y)
    return copy_i[piece_p], copy_j, flow
