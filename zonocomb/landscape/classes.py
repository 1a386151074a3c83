"""Vertices of Z^m up to permutations of interchangeable units, and the skeleton between them.

Units with equal output weight are interchangeable: permuting them permutes the rows of W and
leaves the network, hence the optimum of program (3), unchanged (as in
:func:`zonocomb.search.exact_erm`). A *class* is an orbit of vertices of Z^m under these
permutations; its canonical member lists, in each group of equal ``v_u``, the units' vertex indices
of Z in non-decreasing order. The skeleton of Z^m (appendix A.3.1) is invariant under the
permutations, so the neighbours of a class are the classes of its canonical member's neighbours.

A vertex of Z^m is held as a tuple of m indices into ``zonotope.vertices()`` (sorted barcodes); the
moves at a vertex are listed unit by unit, and for each unit in the order of the Z-neighbours'
barcodes, which is the order of :meth:`zonocomb.geometry.power.ZonotopePower.neighbor_moves`.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import InvalidInputError
from ..search.exact_erm import unit_groups, vertex_multisets

__all__ = ["VertexClasses"]


class VertexClasses:
    """The classes of vertices of Z^m, their sizes and their neighbour classes (dense, padded).

    Parameters
    ----------
    barcodes : list of tuple of int
        The vertices of Z, sorted (``Zonotope.vertices()``).
    adjacency : list of list of int
        For each vertex of Z the indices of its neighbours, ascending.
    v : numpy.ndarray of shape (m,)
        Output weights; equal entries make units interchangeable.
    reduce : bool
        False treats every unit as its own group (the full product vert(Z)^m).

    Attributes
    ----------
    groups : list of list of int
        Units grouped by equal output weight (one unit per group when ``reduce`` is False).
    reps : numpy.ndarray of int32, shape (C, m)
        Canonical members, sorted by key (lexicographic in unit order).
    counts : numpy.ndarray of int64, shape (C,)
        Vertices of Z^m in each class: Π_g k_g! / Π_j r_j! (r_j = repetitions within group g).
    nbr : numpy.ndarray of int32, shape (C, m·D)
        Column u·D + k: the class reached from the canonical member by moving unit u to its k-th
        Z-neighbour (−1 past the unit's degree); D is the largest degree of Z.
    D : int
    """

    def __init__(self, barcodes, adjacency, v, reduce: bool = True):
        self.barcodes = list(barcodes)
        self.V = len(self.barcodes)
        self.m = len(v)
        self.groups = unit_groups(np.asarray(v)) if reduce else [[u] for u in range(self.m)]
        self.D = max((len(a) for a in adjacency), default=0)
        self.zpad = np.full((self.V, max(self.D, 1)), -1, dtype=np.int32)
        for j, nbs in enumerate(adjacency):
            self.zpad[j, :len(nbs)] = sorted(nbs)
        count = self.count(self.V, self.groups)
        reps = np.fromiter(vertex_multisets(self.groups, self.V), dtype=np.dtype((np.int32, self.m)),
                           count=count).reshape(count, self.m)
        keys = _keys(reps)
        order = np.argsort(keys, kind="stable")
        self.reps = np.ascontiguousarray(reps[order])
        self._keys = keys[order]
        self.counts = self._class_sizes(self.reps)
        self.nbr = self._neighbour_classes()

    @staticmethod
    def count(V: int, groups) -> int:
        """Number of classes, Π_g C(V + k_g − 1, k_g) (exact int)."""
        return math.prod(math.comb(V + len(g) - 1, len(g)) for g in groups)

    def __len__(self) -> int:
        return len(self.reps)

    def canonical(self, T: np.ndarray) -> np.ndarray:
        """Rows of vertex indices (k, m) with each group sorted: their canonical members."""
        T = np.array(T, dtype=np.int32, copy=True)
        for g in self.groups:
            if len(g) > 1:
                T[:, g] = np.sort(T[:, g], axis=1)
        return T

    def lookup(self, T: np.ndarray) -> np.ndarray:
        """Class ids of the vertices with index rows ``T`` (k, m)."""
        keys = _keys(self.canonical(T))
        pos = np.searchsorted(self._keys, keys)
        pos = np.minimum(pos, len(self._keys) - 1)
        if not np.array_equal(self._keys[pos], keys):
            raise InvalidInputError("some index row is not a vertex of Z^m")
        return pos.astype(np.int64)

    def index_rows(self, patterns) -> np.ndarray:
        """(k, m) vertex indices of (m, N) bool patterns; InvalidInputError if a row is no vertex."""
        where = {b: j for j, b in enumerate(self.barcodes)}
        out = []
        for A in patterns:
            row = []
            for u, r in enumerate(np.asarray(A, dtype=bool)):
                j = where.get(tuple(int(x) for x in r))
                if j is None:
                    raise InvalidInputError(f"row {u} of the pattern is not a vertex of Z")
                row.append(j)
            out.append(row)
        return np.array(out, dtype=np.int32).reshape(len(out), self.m)

    def pattern(self, row) -> np.ndarray:
        """The (m, N) bool pattern of a row of vertex indices."""
        return np.array([self.barcodes[j] for j in row], dtype=bool).reshape(self.m, -1)

    def moves(self, row) -> list[tuple[int, int]]:
        """The moves at the vertex ``row`` in move order: (unit, index of the new Z-vertex)."""
        return [(u, int(b)) for u in range(self.m) for b in self.zpad[row[u]] if b >= 0]

    def flipped(self, a: int, b: int) -> tuple[int, ...]:
        """Examples whose activation differs between the Z-vertices a and b."""
        return tuple(i for i, (x, y) in enumerate(zip(self.barcodes[a], self.barcodes[b])) if x != y)

    def members(self, row) -> list[tuple[int, ...]]:
        """All vertices of the class of ``row`` (distinct permutations within groups), sorted."""
        per_group = [sorted(set(itertools.permutations([row[u] for u in g]))) for g in self.groups]
        out = []
        for choice in itertools.product(*per_group):
            idx = [0] * self.m
            for g, perm in zip(self.groups, choice):
                for u, j in zip(g, perm):
                    idx[u] = j
            out.append(tuple(idx))
        return sorted(out)

    # ----- construction ------------------------------------------------------------------------------
    def _class_sizes(self, reps: np.ndarray) -> np.ndarray:
        counts = np.ones(len(reps), dtype=np.int64)
        for g in self.groups:
            k = len(g)
            if k == 1:
                continue
            sub = reps[:, g]
            run = np.ones(len(reps), dtype=np.int64)
            denom = np.ones(len(reps), dtype=np.int64)
            for t in range(1, k):
                run = np.where(sub[:, t] == sub[:, t - 1], run + 1, 1)
                denom *= run
            counts *= math.factorial(k) // denom
        return counts

    def _neighbour_classes(self) -> np.ndarray:
        C, D = len(self.reps), self.D
        nbr = np.full((C, self.m * D), -1, dtype=np.int32)
        for u in range(self.m):
            targets = self.zpad[self.reps[:, u]]
            for k in range(D):
                ok = targets[:, k] >= 0
                T = self.reps[ok].copy()
                T[:, u] = targets[ok, k]
                nbr[ok, u * D + k] = self.lookup(T)
        return nbr


def _keys(T: np.ndarray) -> np.ndarray:
    """One comparable key per row (big-endian bytes compare as the rows lexicographically)."""
    T = np.ascontiguousarray(np.asarray(T).astype(">u4"))
    return T.view(f"V{4 * T.shape[1]}").ravel()
