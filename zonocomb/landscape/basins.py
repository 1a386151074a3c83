"""GLS basins on a solved landscape: where best-improvement GLS goes from every vertex of Z^m.

GLS (paper Algorithm 2) is deterministic given its start vertex and the losses: it moves to the
least improving neighbour, the first in move order among equal floats (:func:`zonocomb.search.gls.gls_choice`). On the
classes of :class:`~.classes.VertexClasses` the losses are class functions, so the next class is
the same from every member of a class, except when the least loss is attained by neighbours in
*different* classes (an exact float tie, called ambiguous here): then the unit order of the member
GLS stands on decides. Such walks are followed vertex by vertex (:func:`gls_walks`); all others
follow the class successor array.
"""
from __future__ import annotations

import numpy as np

from ..search.gls import gls_threshold

__all__ = ["gls_successors", "walk_ends", "gls_walks", "WALK_BLOCK"]

#: Starts walked together by :func:`gls_walks` (bounds its arrays).
WALK_BLOCK = 8192


def gls_successors(losses: np.ndarray, nbr: np.ndarray, rtol: float, atol: float):
    """GLS's next class from each class's canonical member (−1 where GLS stops), with tie flags.

    Returns
    -------
    nxt : numpy.ndarray of int64, shape (C,)
    ambiguous : numpy.ndarray of bool, shape (C,)
        GLS moves from the class and its least neighbour loss is attained by two different classes.
    near_tie : numpy.ndarray of bool, shape (C,)
        GLS moves from the class and another neighbour class's loss is within GLS's margin
        ``max(rtol·b, atol)`` of the least one b: solver rounding (ordinarily ≲ 1e-13 times the
        loss scale) can decide between them. Contains ``ambiguous``.
    """
    Lnb = np.where(nbr >= 0, losses[np.maximum(nbr, 0)], np.inf)
    k, best, moves = _gls_rule(losses, Lnb, rtol, atol)
    nxt = np.where(moves, nbr[np.arange(len(losses)), k], -1).astype(np.int64)
    other = (nbr >= 0) & (nbr != nxt[:, None])
    ambiguous = moves & ((Lnb == best[:, None]) & other).any(axis=1)
    tol = np.maximum(rtol * best, atol)
    near_tie = moves & ((Lnb <= (best + tol)[:, None]) & other).any(axis=1)
    return nxt, ambiguous, near_tie


def _gls_rule(current: np.ndarray, Lnb: np.ndarray, rtol: float, atol: float):
    """GLS's move (:func:`~zonocomb.search.gls.gls_choice`) at many vertices at once: ``current``
    their losses, row i of ``Lnb`` the losses of vertex i's neighbours in move order (+inf past its
    degree). Returns the column of the least loss (the first among equal floats), that loss, and
    whether GLS moves there (it improves by the margin and ``current > atol``)."""
    k = np.argmin(Lnb, axis=1)
    best = Lnb[np.arange(len(Lnb)), k]
    return k, best, (current > atol) & (best < gls_threshold(current, rtol, atol))


def walk_ends(nxt: np.ndarray, flags: np.ndarray):
    """The stop reached by following ``nxt`` from each class, and whether that path meets a class
    with ``flags`` set after its first step."""
    end = np.where(nxt < 0, np.arange(len(nxt)), nxt)
    later = np.where(nxt < 0, False, flags[np.maximum(nxt, 0)])
    step = end.copy()
    while True:                                    # pointer doubling: O(log path length) rounds
        later = later | later[step]
        new_step = step[step]
        if np.array_equal(new_step, step):
            return step, later
        step = new_step


def gls_walks(classes, losses: np.ndarray, rows, rtol: float, atol: float, memo=None, paths: bool = False):
    """The stop GLS reaches from each vertex of ``rows`` ((k, m) indices into the vertices of Z),
    simulated on the vertices themselves (the unit order of the current member breaks ties), all
    walks one step at a time together.

    A step lists every neighbour of every walking vertex in move order (:meth:`VertexClasses.moves
    <.classes.VertexClasses.moves>`), looks their classes up in one call and applies GLS's rule
    (:func:`~zonocomb.search.gls.gls_choice`: the least loss, the first in move order among equal
    floats, if it improves by the margin; none at the floor) to each row of losses. With a dict
    ``memo`` (vertex bytes → stop class), shared between calls, a walk that reaches a vertex seen
    before ends there, and every vertex walked is added to it.

    Walks run in blocks of at most :data:`WALK_BLOCK` starts (memory O(block · m²D) per step).

    Returns
    -------
    ends : numpy.ndarray of int64, shape (k,)
    paths : list of list of int
        With ``paths``: the classes each walk visits, the start's first and the stop last (cut
        short where the memo answered).
    """
    rows = np.array(rows, dtype=np.int32).reshape(-1, classes.m)
    blocks = [_walk_block(classes, losses, rows[s:s + WALK_BLOCK], rtol, atol, memo, paths)
              for s in range(0, len(rows), WALK_BLOCK)]
    ends = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros(0, dtype=np.int64)
    return (ends, [t for b in blocks for t in b[1]]) if paths else ends


def _walk_block(classes, losses, rows, rtol, atol, memo, paths):
    """:func:`gls_walks` on one block of starts: (ends, paths or None)."""
    rows = rows.copy()
    k, m, D = len(rows), classes.m, max(classes.D, 1)
    here = classes.lookup(rows) if k else np.zeros(0, dtype=np.int64)
    ends = np.full(k, -1, dtype=np.int64)
    trail = [[int(c)] for c in here] if paths else None
    seen: list[list[bytes]] = [[] for _ in range(k)]
    walking = np.arange(k)
    while walking.size:
        if memo is not None:                   # walks reaching a known vertex end where it ends
            known = [memo.get(rows[i].tobytes(), -1) for i in walking.tolist()]
            hit = np.array(known, dtype=np.int64) >= 0
            for i, stop in zip(walking[hit].tolist(), np.array(known)[hit].tolist()):
                ends[i] = stop
                if paths:
                    trail[i].append(stop)
            walking = walking[~hit]
            for i in walking.tolist():
                seen[i].append(rows[i].tobytes())
        # the neighbours, column u·D + j: unit u moved to the j-th Z-neighbour of its vertex
        R = rows[walking]
        targets = classes.zpad[R]                                        # (w, m, D)
        valid = (targets >= 0).reshape(len(R), m * D)
        T = np.repeat(R[:, None, :], m * D, axis=1)                      # (w, m·D, m)
        for u in range(m):
            T[:, u * D:(u + 1) * D, u] = targets[:, u, :]
        ids = np.full(valid.shape, -1, dtype=np.int64)
        ids[valid] = classes.lookup(T[valid])
        Lnb = np.where(valid, losses[np.maximum(ids, 0)], np.inf)
        best_col, _, moves = _gls_rule(losses[here[walking]], Lnb, rtol, atol)
        stopped = walking[~moves]
        ends[stopped] = here[stopped]
        walking, best_col = walking[moves], best_col[moves]
        rows[walking] = T[moves, best_col]
        here[walking] = ids[moves, best_col]
        if paths:
            for i in walking.tolist():
                trail[i].append(int(here[i]))
    if memo is not None:
        for i in range(k):
            memo.update(dict.fromkeys(seen[i], int(ends[i])))
    return ends, trail
