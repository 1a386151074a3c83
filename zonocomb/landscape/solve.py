"""Solving program (3) at every vertex class: stars around a dominating set, one sweep per star.

A set of *centres* dominating the class graph is chosen greedily (the classes with the most
neighbours not yet covered first, the classic greedy set cover, by levels): each centre claims its uncovered
neighbour classes, so the claims partition the classes not chosen as centres. A centre is solved
by :meth:`zonocomb.search.oracle.RegionOracle.solution`; its claimed neighbours (the canonical
member's moves that reach them) in one :meth:`~zonocomb.search.oracle.RegionOracle.neighbor_losses`
call, which hands them to :meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>`
warm-started from the centre's optimum (compiled; a fixed cost per call, so stars should be large:
greedy centres claim about 6.5 neighbours on average at d = 2, N = 6, m = 3, against 1.9 children
per parent in a breadth-first spanning tree). A neighbour's loss is its class's: program (3) is
equivariant under permutations of interchangeable units. Stars are independent, so chunks of them
run as separate joblib tasks.
"""
from __future__ import annotations

import math

import numpy as np
from joblib import Parallel, delayed

from ..search.oracle import RegionOracle

__all__ = ["star_cover", "solve_classes"]


def star_cover(nbr: np.ndarray):
    """Greedy dominating set of the class graph and the claim of every class.

    Returns
    -------
    centres : numpy.ndarray of int64
        In the order chosen.
    owner : numpy.ndarray of int64, shape (C,)
        The centre that claims each class (a centre not claimed before owns itself).
    column : numpy.ndarray of int64, shape (C,)
        The move of the owner's canonical member that reaches the class (−1 for a centre).
    """
    C = len(nbr)
    covered = np.zeros(C, dtype=bool)
    owner = np.full(C, -1, dtype=np.int64)
    column = np.full(C, -1, dtype=np.int64)
    valid = nbr >= 0
    safe = np.where(valid, nbr, 0)
    centres = []
    while not covered.all():
        # greedy by levels: every class whose uncovered closed neighbourhood is the largest, each
        # rechecked just before it claims (vectorised counts, one round per level)
        k = (~covered).astype(np.int64) + ((~covered[safe]) & valid).sum(axis=1)
        level = int(k.max())
        for c in np.flatnonzero(k == level).tolist():
            targets = nbr[c][valid[c]]
            if int(not covered[c]) + int(np.count_nonzero(~covered[targets])) < level:
                continue
            centres.append(c)
            if not covered[c]:
                covered[c], owner[c] = True, c
            for col in np.flatnonzero(valid[c]).tolist():
                t = nbr[c, col]
                if not covered[t]:
                    covered[t], owner[t], column[t] = True, c, col
    return np.array(centres, dtype=np.int64), owner, column


def _solve_stars(dataset, v, loss, fit_bias, backend, zonotope, stars):
    """Losses and statuses of the classes of a list of stars ``(centre, row, own, claims)``."""
    oracle = RegionOracle(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend, cache_size=0,
                          zonotope=zonotope)
    rows = np.array(zonotope.vertices(), dtype=bool).reshape(-1, dataset.N)
    ids, losses, status = [], [], []
    for centre, row, own, claims in stars:
        A = rows[row]
        sol = oracle.solution(A)
        if own:
            ids.append(centre), losses.append(sol.loss), status.append(sol.status)
        if claims:
            moves = [(u, tuple(np.flatnonzero(rows[row[u]] != rows[b]).tolist())) for _, u, b in claims]
            values, states = oracle.neighbor_losses(A, moves, warm_start=sol)
            ids.extend(c for c, _, _ in claims)
            losses.extend(values.tolist())
            status.extend(states)
    return np.array(ids, dtype=np.int64), np.array(losses), status


def _chunks(classes, size):
    """The stars, cut into lists covering about ``size`` classes each."""
    centres, owner, column = star_cover(classes.nbr)
    D = max(classes.D, 1)
    claimed = np.flatnonzero(owner != np.arange(len(owner)))
    order = np.argsort(owner[claimed], kind="stable")
    claimed = claimed[order]
    starts = np.searchsorted(owner[claimed], centres, side="left")
    ends = np.searchsorted(owner[claimed], centres, side="right")
    chunk, count = [], 0
    for c, lo, hi in zip(centres.tolist(), starts.tolist(), ends.tolist()):
        row = classes.reps[c]
        claims = [(int(t), int(column[t] // D), int(classes.zpad[row[column[t] // D], column[t] % D]))
                  for t in claimed[lo:hi]]
        chunk.append((c, row, bool(owner[c] == c), claims))
        count += len(claims) + (owner[c] == c)
        if count >= size:
            yield chunk
            chunk, count = [], 0
    if chunk:
        yield chunk


def solve_classes(dataset, v, loss, fit_bias, backend, zonotope, classes, n_jobs, bar, chunk_size=None):
    """Optimal loss and status of every class; ``bar`` (a tqdm bar) advances per chunk.

    ``zonotope`` is the dataset's zonotope with its vertices enumerated (``classes.barcodes``).

    Returns
    -------
    losses : numpy.ndarray of float, shape (C,)
    status : numpy.ndarray of str, shape (C,)
    """
    C = len(classes)
    size = chunk_size or max(64, min(4000, math.ceil(C / 64)))
    tasks = (delayed(_solve_stars)(dataset, v, loss, fit_bias, backend, zonotope, chunk)
             for chunk in _chunks(classes, size))
    losses = np.full(C, np.nan)
    status = np.empty(C, dtype=object)
    for ids, chunk_losses, chunk_status in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
        losses[ids] = chunk_losses
        status[ids] = chunk_status
        bar.update(len(ids))
    if np.isnan(losses).any():
        raise AssertionError("some vertex class was not solved")
    return losses, status.astype(str)
