"""Solving program (3) at every vertex class: stars around a dominating set, one sweep per star.

A set of *centres* dominating the class graph is chosen greedily (the classes with the most
neighbours not yet covered first, the classic greedy set cover, by levels): each centre claims its
uncovered neighbour classes, so the claims partition the classes not chosen as centres. A centre's
canonical member is solved from the cold start and the neighbours it claims (the moves of that
member that reach them) from the centre's optimum, screened or solved and KKT-certified as in
:meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>`: a chunk of stars is one
:meth:`RegionProgram.solve_stars <zonocomb.convex.region.RegionProgram.solve_stars>`, a single
compiled call. Greedy centres claim about 6.3 neighbours on average at d = 2, N = 6, m = 3, against
1.9 children per parent in a breadth-first spanning tree, so most classes are solved from a warm
start or screened. A neighbour's loss is its class's: program (3) is equivariant under
permutations of interchangeable units. Chunks are independent joblib tasks, each on one thread
(benchmarks/README.md, "Stars around a dominating set").
"""
from __future__ import annotations

import math

import numpy as np
from joblib import Parallel, delayed

from ..convex.backends.kernel import PackedMoves
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


def _solve_stars(problem, backend, barcodes, chunk):
    """Losses and statuses of the classes of one chunk of stars (:func:`_chunks`), by one
    :meth:`RegionProgram.solve_stars <zonocomb.convex.region.RegionProgram.solve_stars>`.

    ``barcodes`` is the (V, N) bool array of the vertices of Z. The moves are edges of Z^m by
    construction (:class:`~.classes.VertexClasses`), so they are packed here without
    :class:`~zonocomb.search.RegionOracle`'s checks. The kernel runs on one thread: the chunks
    are the parallel work (joblib tasks).
    """
    centres, rows, own, sizes, claimed, units, ptr, idx = chunk
    program = RegionProgram.from_problem(problem, backend)
    program.threads = 1
    moves = PackedMoves(units=units, ptr=ptr, idx=idx, m=program.m, N=program.N)
    out = program.solve_stars(barcodes[rows], moves, sizes)
    ids = np.concatenate([centres[own], claimed])
    return ids, np.concatenate([out.centre_loss[own], out.loss]), \
        [x for x, o in zip(out.centre_status, own) if o] + list(out.status)


def _flip_table(classes, barcodes):
    """The examples flipped along every edge of Z (``barcodes``: its (V, N) bool vertices), as CSR
    arrays over the edge index a·D + k (k-th neighbour of vertex a; padding entries flip nothing):
    (pointers, indices)."""
    nbr = classes.zpad.reshape(-1)
    a = np.repeat(np.arange(classes.V), classes.zpad.shape[1])
    diff = (barcodes[a] != barcodes[np.maximum(nbr, 0)]) & (nbr >= 0)[:, None]
    edge, example = np.nonzero(diff)
    ptr = np.zeros(len(nbr) + 1, dtype=np.int64)
    np.cumsum(np.bincount(edge, minlength=len(nbr)), out=ptr[1:])
    return ptr, example.astype(np.int32)


def _chunks(classes, size, barcodes):
    """The stars, cut into chunks covering about ``size`` classes each: per chunk the arrays
    (centres, their canonical members, whether each centre owns itself, the number of classes each
    claims, the claimed classes, and their moves packed as unit, pointers and flipped examples)."""
    centres, owner, column = star_cover(classes.nbr)
    D = max(classes.D, 1)
    fptr, fidx = _flip_table(classes, barcodes)
    rank = np.empty(len(owner), dtype=np.int64)
    rank[centres] = np.arange(len(centres))
    claimed = np.flatnonzero(owner != np.arange(len(owner)))
    claimed = claimed[np.argsort(rank[owner[claimed]], kind="stable")]     # by centre, in cover order
    units = column[claimed] // D
    edges = classes.reps[owner[claimed], units].astype(np.int64) * D + column[claimed] % D
    sizes = np.bincount(rank[owner[claimed]], minlength=len(centres))
    own = owner[centres] == centres
    before = np.cumsum(sizes + own) - (sizes + own)        # classes covered before each centre
    cuts = [0, *(np.flatnonzero(np.diff(before // size)) + 1).tolist(), len(centres)]
    first = np.concatenate([[0], np.cumsum(sizes)])
    for lo, hi in zip(cuts, cuts[1:]):
        a, b = int(first[lo]), int(first[hi])
        e = edges[a:b]
        lengths = fptr[e + 1] - fptr[e]
        ptr = np.zeros(b - a + 1, dtype=np.int32)
        np.cumsum(lengths, out=ptr[1:])
        idx = fidx[np.repeat(fptr[e] - ptr[:-1], lengths) + np.arange(int(ptr[-1]))]
        yield (centres[lo:hi], classes.reps[centres[lo:hi]], own[lo:hi], sizes[lo:hi], claimed[a:b],
               units[a:b].astype(np.int32), ptr, idx)


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
             for chunk in _chunks(classes, size, barcodes))
    losses = np.full(C, np.nan)
    status = np.empty(C, dtype=object)
    for ids, chunk_losses, chunk_status in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
        losses[ids] = chunk_losses
        status[ids] = chunk_status
        bar.update(len(ids))
    if np.isnan(losses).any():
        raise AssertionError("some vertex class was not solved")
    return losses, status.astype(str)
