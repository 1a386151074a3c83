"""Solving program (3) at every vertex class, warm-started along a spanning tree of the skeleton.

The classes are visited in depth-first preorder of a breadth-first spanning tree of the class graph
and cut into contiguous chunks (one joblib task each). In a chunk, every class whose tree parent is
in the chunk is solved as a neighbour of that parent, in one call of
:meth:`zonocomb.search.oracle.RegionOracle.neighbor_solutions` per parent (its children's moves,
warm-started from the parent's optimum); the others (at most the chunk's first class and the later
children of its ancestors) are solved cold. A child is solved at the vertex the move reaches; its
optimum, with the rows of interchangeable units permuted as the canonical member orders them, is
the optimum at the canonical member (program (3) is equivariant under those permutations) and
warm-starts the child's own children.
"""
from __future__ import annotations

import math

import numpy as np
from joblib import Parallel, delayed

from ..search.oracle import RegionOracle

__all__ = ["spanning_tree", "preorder", "solve_classes"]


def spanning_tree(nbr: np.ndarray):
    """Breadth-first spanning tree of the class graph from class 0: ``(parent, column)`` arrays
    (−1 at the root); ``column`` is the move of the parent's canonical member that reaches it."""
    C = len(nbr)
    parent = np.full(C, -1, dtype=np.int64)
    column = np.full(C, -1, dtype=np.int64)
    seen = np.zeros(C, dtype=bool)
    seen[0] = True
    frontier = np.array([0])
    while frontier.size:
        sub = nbr[frontier]
        f, col = np.nonzero(sub >= 0)
        targets = sub[f, col]
        new = ~seen[targets]
        targets, f, col = targets[new], f[new], col[new]
        uniq, first = np.unique(targets, return_index=True)
        parent[uniq] = frontier[f[first]]
        column[uniq] = col[first]
        seen[uniq] = True
        frontier = uniq
    if not seen.all():
        raise AssertionError("the skeleton of Z^m is connected; the class graph was not")
    return parent, column


def preorder(parent: np.ndarray) -> np.ndarray:
    """Depth-first preorder of the tree given by ``parent`` (root 0), children by id."""
    order = np.argsort(parent, kind="stable")
    starts = np.searchsorted(parent[order], np.arange(len(parent) + 1))
    out, stack = [], [0]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(order[starts[node]:starts[node + 1]][::-1].tolist())
    return np.array(out, dtype=np.int64)


def _chunks(classes, parent, column, size):
    """Contiguous pieces of the preorder, with everything a worker needs."""
    pre = preorder(parent)
    position = np.empty(len(pre), dtype=np.int64)
    position[pre] = np.arange(len(pre))
    D = max(classes.D, 1)
    for start in range(0, len(pre), size):
        nodes = pre[start:start + size]
        par = parent[nodes]
        inside = (par >= 0) & (position[np.maximum(par, 0)] >= start)
        local_parent = np.where(inside, position[np.maximum(par, 0)] - start, -1)
        pm, col = np.maximum(par, 0), np.maximum(column[nodes], 0)
        unit = np.where(inside, col // D, -1)
        new_vertex = np.where(inside, classes.zpad[classes.reps[pm, col // D], col % D], -1)
        yield nodes, local_parent, unit, new_vertex, classes.reps[nodes]


def _solve_chunk(dataset, v, loss, fit_bias, backend, zonotope, groups, nodes, local_parent, unit,
                 new_vertex, reps):
    """Losses and statuses of the classes of one chunk (see the module notes)."""
    oracle = RegionOracle(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend, cache_size=0,
                          zonotope=zonotope)
    rows = np.array(zonotope.vertices(), dtype=bool).reshape(-1, dataset.N)
    flips: dict[tuple[int, int], tuple[int, ...]] = {}
    group_of = {u: g for g in groups for u in g}
    children: dict[int, list[int]] = {}
    for i, p in enumerate(local_parent.tolist()):
        if p >= 0:
            children.setdefault(p, []).append(i)
    losses = np.empty(len(nodes))
    status = [""] * len(nodes)
    warm: dict[int, tuple] = {}

    def flipped(a, b):
        key = (int(a), int(b))
        if key not in flips:
            flips[key] = tuple(np.flatnonzero(rows[a] != rows[b]).tolist())
        return flips[key]

    for i in range(len(nodes)):
        if local_parent[i] < 0:
            sol = oracle.solution(rows[reps[i]])
            losses[i], status[i] = sol.loss, sol.status
            warm[i] = (sol.W, sol.c)
        kids = children.get(i)
        if not kids:
            warm.pop(i, None)
            continue
        row = reps[i]
        moves = [(int(unit[j]), flipped(row[unit[j]], new_vertex[j])) for j in kids]
        sols = oracle.neighbor_solutions(rows[row], moves, warm_start=warm.pop(i))
        for j, sol in zip(kids, sols):
            losses[j], status[j] = sol.loss, sol.status
            if j in children:
                g = group_of[int(unit[j])]
                T = row.copy()
                T[unit[j]] = new_vertex[j]
                order = np.argsort(T[g], kind="stable")
                W = np.array(sol.W)
                W[g] = W[g][order]
                T[g] = T[g][order]
                assert np.array_equal(T, reps[j]), "canonical member mismatch"
                warm[j] = (W, sol.c)
    return nodes, losses, status


def solve_classes(dataset, v, loss, fit_bias, backend, zonotope, classes, n_jobs, bar, chunk_size=None):
    """Optimal loss and status of every class; ``bar`` (a tqdm bar) advances per chunk.

    ``zonotope`` is the dataset's zonotope with its vertices enumerated (``classes.barcodes``).

    Returns
    -------
    losses : numpy.ndarray of float, shape (C,)
    status : numpy.ndarray of str, shape (C,)
    """
    C = len(classes)
    parent, column = spanning_tree(classes.nbr)
    size = chunk_size or max(64, min(4000, math.ceil(C / 64)))
    tasks = (delayed(_solve_chunk)(dataset, v, loss, fit_bias, backend, zonotope, classes.groups, *chunk)
             for chunk in _chunks(classes, parent, column, size))
    losses = np.empty(C)
    status = np.empty(C, dtype=object)
    for nodes, chunk_losses, chunk_status in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
        losses[nodes] = chunk_losses
        status[nodes] = chunk_status
        bar.update(len(nodes))
    return losses, status.astype(str)
