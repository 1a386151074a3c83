"""Faces of a zonotope from the flats of its generators, exact and without a convex hull.

For generators x_1..x_N in Q^n (nonzero), the nonempty faces of Z = Σ [0, x_i] are dual to the faces
of the central arrangement {w : w·x_i = 0} (paper appendices A.2–A.3). A face of the arrangement
is a relatively open cone on which the sign vector σ_i = sign(w·x_i) is constant; its zero set
F = {i : σ_i = 0} is a *flat* of the generators (a set closed under linear span: x_j ∈ span F ⇒
j ∈ F), and the faces with zero set exactly F are the chambers of the *restriction* of the
arrangement to the subspace F^⊥ = {w : w·x_i = 0 for i ∈ F}: with B an integer basis of F^⊥
(written as rows, w = Bᵀt), the hyperplane of x_j restricts to {t : t·(B x_j) = 0}, and B x_j = 0
exactly when j ∈ F. The dual face of Z has dimension rank F, so

    f_k(Z) = Σ_{flats F of rank k} (number of chambers of the restriction to F^⊥),   k < dim Z,

and the covectors with zero set F are those chambers' sign vectors, extended by 0 on F. The
flats of rank k + 1 containing a flat F of rank k are F ∪ C for the parallel classes C of the
restricted normals B x_j (j ∉ F): x_j ∈ span(F ∪ {x_g}) exactly when B x_j ∥ B x_g.

Everything is exact: bases come from exact Fraction null spaces scaled to integers, products are
Python integers, chambers come from :func:`zonocomb.geometry.chambers.chambers_exact`.
:mod:`zonocomb.geometry.faces` computes the same faces from cddlib's convex hull of the vertex
points; this module needs no vertex list and scales to far larger N at small n (the number of
flats is Σ_k C(N, k) in general position, each one costing one chamber enumeration in dimension
n − k; restrictions of dimension 1 and 2 are counted in closed form).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ..exact.rational import integer_rows, nullspace, rank
from .chambers import chambers_exact, integer_generators, parallel_classes

__all__ = ["flats", "face_counts", "covectors_from_flats"]


def _restriction_basis(X: list[list[int]], flat: frozenset, n: int) -> list[list[int]]:
    """Integer rows spanning F^⊥ = {w : w·x_i = 0 for i ∈ flat}, exact."""
    return integer_rows(nullspace([X[i] for i in sorted(flat)], n_cols=n)) if flat else \
        [[int(i == j) for j in range(n)] for i in range(n)]


def _restricted_normals(X: list[list[int]], basis: list[list[int]], outside: list[int]) -> list[list[int]]:
    """B x_j for j outside the flat (nonzero, exactly)."""
    return [[sum(b * x for b, x in zip(row, X[j])) for row in basis] for j in outside]


def _walk(X: list[list[int]], last_normals: bool = True) -> Iterator[tuple]:
    """Every flat F of rank k < r of the integer generator rows ``X`` (r = their rank) as
    (k, F, the generators outside F, their restricted normals B x_j).

    Flats are produced rank by rank (rank 0 first: the empty flat, since no generator is zero),
    each once, within a rank in lexicographic order of their sorted index lists. The flat of all
    generators (rank r, Z itself) is not produced. The normals of the rank r − 1 flats (a rank-1
    restriction: always exactly 2 chambers) are computed only when ``last_normals`` is true;
    otherwise None is yielded for them.
    """
    N, n = len(X), len(X[0])
    r = rank(X)
    level = {frozenset()}
    for k in range(r):
        nxt = set()
        for flat in sorted(level, key=sorted):
            outside = [j for j in range(N) if j not in flat]
            if k == r - 1 and not last_normals:
                yield k, flat, outside, None
                continue
            normals = _restricted_normals(X, _restriction_basis(X, flat, n), outside)
            yield k, flat, outside, normals
            if k < r - 1:
                _, class_of, _ = parallel_classes(normals)
                for c in set(class_of.tolist()):
                    nxt.add(flat | {outside[t] for t in np.flatnonzero(class_of == c).tolist()})
        level = nxt


def flats(generators) -> list[list[frozenset]]:
    """The flats of the generators, by rank, exact.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        Nonzero rational rows x_i (anything :func:`zonocomb.exact.rational.to_fraction` accepts).

    Returns
    -------
    list of list of frozenset of int
        Entry k lists the flats of rank k (sets F of generator indices with x_j ∈ span F ⇒ j ∈ F,
        rank of {x_i : i ∈ F} equal to k), sorted; entry 0 is [frozenset()] and the last entry is
        [frozenset(range(N))].

    Examples
    --------
    >>> [[sorted(F) for F in level] for level in flats([[1, 0], [0, 1], [2, 0]])]
    [[[]], [[0, 2], [1]], [[0, 1, 2]]]
    """
    X = integer_generators(generators)
    by_rank: list[list[frozenset]] = []
    for k, flat, _, _ in _walk(X, last_normals=False):
        if k == len(by_rank):
            by_rank.append([])
        by_rank[k].append(flat)
    by_rank.append([frozenset(range(len(X)))])
    return by_rank


def _count_chambers(normals: list[list[int]]) -> int:
    """Chambers of the central arrangement with these nonzero integer normals."""
    reps, _, _ = parallel_classes(normals)
    dim = len(normals[0])
    if dim == 2:                      # every class is a distinct line through 0 in the plane
        return 2 * len(reps)
    return int(chambers_exact(reps).shape[0])


def face_counts(generators) -> tuple[int, ...]:
    """The f-vector (f_0, ..., f_{dim Z − 1}) of Z = Σ [0, x_i] from the flats, exact.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        Nonzero rational rows x_i.

    Returns
    -------
    tuple of int
        f_k, the number of k-dimensional faces, for k = 0 .. dim Z − 1 (dim Z = rank of the
        generators); f_0 is the number of vertices (activation patterns of one unit).

    Examples
    --------
    >>> face_counts([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    (8, 12, 6)

    Notes
    -----
    f_k = Σ over rank-k flats F of the number of chambers of the arrangement restricted to F^⊥
    (module docstring). Agrees with :func:`zonocomb.geometry.faces.f_vector` (cddlib's convex hull)
    and, in general position, with f_k = 2·C(N, k)·Σ_{i<n−k} C(N−k−1, i).

    References
    ----------
    Paper appendices A.2–A.3 (faces of the arrangement and of the dual zonotope).
    """
    counts: list[int] = []
    for k, _, _, normals in _walk(integer_generators(generators), last_normals=False):
        if k == len(counts):
            counts.append(0)
        counts[k] += 2 if normals is None else _count_chambers(normals)
    return tuple(counts)


def covectors_from_flats(generators) -> list[tuple[int, ...]]:
    """Every covector of the arrangement {w : w·x_i = 0} (every nonempty face of Z), exact.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        Nonzero rational rows x_i.

    Returns
    -------
    list of tuple of int
        Sign vectors in {−1, 0, +1}^N, sorted; the zero vector (Z itself) included.
    """
    X = integer_generators(generators)
    N = len(X)
    result = [(0,) * N]
    for _, _, outside, normals in _walk(X):
        cov = [0] * N
        for row in chambers_exact(normals).tolist():
            for j, positive in zip(outside, row):
                cov[j] = 1 if positive else -1
            result.append(tuple(cov))
    return sorted(result)
