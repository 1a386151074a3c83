"""Solving program (3) at every vertex class: stars around a dominating set, one sweep per star.

A set of *centres* dominating the class graph is chosen greedily (the classes with the most
neighbours not yet covered first, the classic greedy set cover, by levels): each centre claims its
uncovered neighbour classes, so the claims partition the classes not chosen as centres. A centre's
canonical member is solved by :meth:`RegionProgram.solve <zonocomb.convex.region.RegionProgram.solve>`,
and the neighbours it claims (the moves of that member that reach them) in one
:meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>` warm-started from the
centre's optimum. A call costs a fixed overhead whatever its size, so stars should be large: greedy
centres claim about 6.3 neighbours on average at d = 2, N = 6, m = 3, against 1.9 children per
parent in a breadth-first spanning tree. A neighbour's loss is its class's: program (3) is
equivariant under permutations of interchangeable units. Stars are independent, so chunks of them
run as separate joblib tasks, each sweep on one thread (benchmarks/README.md, "Stars around a
dominating set").
"""
from __future__ import annotations

import math

import numpy as np
from joblib import Parallel, delayed

from ..convex.region import RegionProgram

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


def _solve_stars(problem, backend, barcodes, stars):
    """Losses and statuses of the classes of a list of stars ``(centre, row, own, claims)``.

    ``barcodes`` is the (V, N) bool array of the vertices of Z; a claim is (class, move) with the
    move (unit, flipped examples) of the centre's canonical member ``row`` that reaches the class.
    The moves are edges of Z^m by construction (:class:`~.classes.VertexClasses`), so the
    :class:`RegionProgram` is called directly, without :class:`~zonocomb.search.RegionOracle`'s
    checks. Its sweeps run on one thread: the stars are the parallel work (joblib tasks).
    """
    program = RegionProgram.from_problem(problem, backend)
    program.threads = 1
    ids, losses, status = [], [], []
    for centre, row, own, claims in stars:
        A = barcodes[row]
        sol = program.solve(A)
        if own:
            ids.append(centre), losses.append(sol.loss), status.append(sol.status)
        if claims:
            sweep = program.sweep(A, [move for _, move in claims], sol)
            ids.extend(c for c, _ in claims)
            losses.extend(sweep.loss.tolist())
            status.extend(sweep.status)
    return np.array(ids, dtype=np.int64), np.array(losses), status


def _chunks(classes, size):
    """The stars, cut into lists covering about ``size`` classes each."""
    centres, owner, column = star_cover(classes.nbr)
    D = max(classes.D, 1)
    # the examples flipped along the k-th edge at each vertex a of Z, by a·D + k
    flips = [classes.flipped(a, b) if b >= 0 else () for a, row in enumerate(classes.zpad.tolist())
             for b in row]
    claimed = np.flatnonzero(owner != np.arange(len(owner)))
    claimed = claimed[np.argsort(owner[claimed], kind="stable")]
    units = column[claimed] // D
    edges = classes.reps[owner[claimed], units].astype(np.int64) * D + column[claimed] % D
    claims = list(zip(claimed.tolist(), zip(units.tolist(), (flips[e] for e in edges.tolist()))))
    starts = np.searchsorted(owner[claimed], centres, side="left").tolist()
    ends = np.searchsorted(owner[claimed], centres, side="right").tolist()
    owner_of = owner.tolist()
    chunk, count = [], 0
    for c, lo, hi in zip(centres.tolist(), starts, ends):
        own = owner_of[c] == c
        chunk.append((c, classes.reps[c], own, claims[lo:hi]))
        count += hi - lo + own
        if count >= size:
            yield chunk
            chunk, count = [], 0
    if chunk:
        yield chunk


def solve_classes(problem, backend, classes, n_jobs, bar, chunk_size=None):
    """Optimal loss and status of every class of the checked :class:`~zonocomb.convex.RegionProblem`
    ``problem``; ``bar`` (a tqdm bar) advances per chunk.

    Returns
    -------
    losses : numpy.ndarray of float, shape (C,)
    status : numpy.ndarray of str, shape (C,)
    """
    C = len(classes)
    size = chunk_size or max(64, min(4000, math.ceil(C / 64)))
    barcodes = np.array(classes.barcodes, dtype=bool).reshape(classes.V, problem.dataset.N)
    tasks = (delayed(_solve_stars)(problem, backend, barcodes, chunk)
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
