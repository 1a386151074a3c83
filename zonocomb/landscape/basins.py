"""GLS basins on a solved landscape: where best-improvement GLS goes from every vertex of Z^m.

GLS (paper Algorithm 2) is deterministic given its start vertex and the losses: it moves to the
least improving neighbour, the first in move order among equal floats (:func:`zonocomb.search.gls.gls_choice`). On the
classes of :class:`~.classes.VertexClasses` the losses are class functions, so the next class is
the same from every member of a class, except when the least loss is attained by neighbours in
*different* classes (an exact float tie, called ambiguous here): then the unit order of the member
GLS stands on decides. Such walks are followed member by member (:func:`gls_walk`); all others
follow the class successor array.
"""
from __future__ import annotations

import numpy as np

from ..search.gls import gls_choice, gls_threshold

__all__ = ["gls_successors", "walk_ends", "gls_walk"]


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
    rows = np.arange(len(losses))
    Lnb = np.where(nbr >= 0, losses[np.maximum(nbr, 0)], np.inf)
    k = np.argmin(Lnb, axis=1)
    best = Lnb[rows, k]
    moves = (losses > atol) & (best < gls_threshold(losses, rtol, atol))
    nxt = np.where(moves, nbr[rows, k], -1).astype(np.int64)
    other = (nbr >= 0) & (nbr != nxt[:, None])
    ambiguous = moves & ((Lnb == best[:, None]) & other).any(axis=1)
    tol = np.maximum(rtol * best, atol)
    near_tie = moves & ((Lnb <= (best + tol)[:, None]) & other).any(axis=1)
    return nxt, ambiguous, near_tie


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


def gls_walk(classes, losses: np.ndarray, row, rtol: float, atol: float, memo=None) -> list[int]:
    """The classes GLS visits from the vertex ``row`` (m indices into the vertices of Z), simulated
    on the vertices themselves (the unit order of the current member breaks ties).

    With a dict ``memo`` (vertex bytes → stop class), shared between calls, a walk that reaches a
    vertex seen before ends there: the path is then cut short, its last entry still the stop.
    """
    row = np.array(row, dtype=np.int32)
    path = [int(classes.lookup(row[None, :])[0])]
    seen = []
    while True:
        key = row.tobytes()
        if memo is not None and key in memo:
            path.append(memo[key])
            break
        seen.append(key)
        moves = classes.moves(row)
        T = np.repeat(row[None, :], len(moves), axis=0)
        for i, (u, b) in enumerate(moves):
            T[i, u] = b
        ids = classes.lookup(T) if len(moves) else np.zeros(0, dtype=np.int64)
        k = gls_choice(float(losses[path[-1]]), losses[ids], rtol, atol)
        if k is None:
            break
        row = T[k]
        path.append(int(ids[k]))
    if memo is not None:
        memo.update(dict.fromkeys(seen, path[-1]))
    return path
