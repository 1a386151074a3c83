"""Greedy local search over the 1-skeleton of Z^m: GLS (paper Algorithm 2) and mGLS (appendix G).

A vertex A of Z^m is an activation pattern; its *loss* L*(A) is the optimum of the convex program
(3) with the output weights fixed to half +1, half −1 and the output bias ``c`` optimised
(appendix H). Neighbours of A move one unit along one edge of Z (appendix A.3.1), i.e. flip one
parallel class of generators in one row of A.

* GLS evaluates every neighbour and moves to the best one;
* mGLS moves to the first improving neighbour, trying first the pattern with all tight constraints
  of the current optimum flipped (if it is a vertex), then the single moves that flip a tight
  constraint, then the rest, each group in random order.

Both stop at a local minimum (no neighbour improves) or after ``max_steps`` moves. A move needs a
strict improvement by a margin, ``L*(A') < L*(A) − max(rtol·L*(A), atol)``: solver noise can then
neither move the search nor make it cycle, and the loss along the trace strictly decreases.
Losses of visited patterns are cached, so no pattern is solved twice; each solve is warm-started
from the current vertex's solution.
"""
from __future__ import annotations

import time

import numpy as np

from ..convex.region import RegionProgram
from ..errors import InvalidInputError
from ..geometry.power import ZonotopePower
from ..convex.region import check_output_weights
from ._common import (as_rng, baseline_loss, check_dataset, check_int, half_output_weights, pattern_key,
                      single_threaded_blas)
from .result import SearchResult

__all__ = ["gls", "mgls"]


class _LocalSearch:
    """State shared by GLS and mGLS: the convex program, caches, the current vertex and the trace."""

    def __init__(self, dataset, m, loss, fit_bias, backend, v, start, rng, rtol, atol):
        y = check_dataset(dataset, loss)
        self.m = check_int(m, "m (number of units)", 1)
        self.v = half_output_weights(self.m) if v is None else check_output_weights(v, self.m)
        if not (np.isfinite(rtol) and rtol >= 0):
            raise InvalidInputError(f"rtol must be a non-negative number, got {rtol!r}")
        scale = baseline_loss(y, loss, fit_bias)
        self.atol = 1e-13 * scale if atol is None else float(atol)
        if not (np.isfinite(self.atol) and self.atol >= 0):
            raise InvalidInputError(f"atol must be a non-negative number, got {atol!r}")
        self.rtol = float(rtol)
        self.dataset = dataset
        self.loss_name = loss
        self.zonotope = dataset.zonotope()
        self.program = RegionProgram(dataset, self.v, loss=loss, fit_bias=fit_bias, backend=backend)
        self.rng = rng
        self._neighbors: dict[tuple, list] = {}
        self._cache: dict[bytes, float] = {}
        self.start_time = time.perf_counter()
        self.pattern = self._start_pattern(start)
        self.solution = self.program.solve(self.pattern)
        self._cache[pattern_key(self.pattern)] = self.solution.loss
        self.n_steps = 0
        self.trace = [self._row()]

    def _start_pattern(self, start) -> np.ndarray:
        power = ZonotopePower(self.zonotope, self.m)
        if start is None:
            return power.random_vertex(self.rng)
        if not power.is_vertex(start):
            raise InvalidInputError("start is not a vertex of Z^m: some row is not the activation "
                                    "pattern of any weights")
        return np.array(start, dtype=bool)

    def _row(self) -> dict:
        return {"step": self.n_steps, "loss": self.solution.loss, "n_solves": self.program.n_solves,
                "seconds": time.perf_counter() - self.start_time}

    # ----- neighbourhood ---------------------------------------------------------------------------
    def unit_moves(self, barcode: tuple) -> list:
        """Edges of Z at a vertex: ``[(neighbour barcode, flipped example indices), ...]`` (cached)."""
        moves = self._neighbors.get(barcode)
        if moves is None:
            moves = [(nb, tuple(i for i, (a, b) in enumerate(zip(barcode, nb)) if a != b))
                     for nb in self.zonotope.neighbors(barcode)]
            self._neighbors[barcode] = moves
        return moves

    def moves(self) -> list:
        """All neighbours of the current vertex of Z^m as ``(unit, neighbour barcode, flipped)``."""
        out = []
        for u, row in enumerate(self.pattern):
            for nb, flipped in self.unit_moves(tuple(int(b) for b in row)):
                out.append((u, nb, flipped))
        return out

    def apply(self, move) -> np.ndarray:
        u, nb, _ = move
        A = self.pattern.copy()
        A[u] = np.array(nb, dtype=bool)
        return A

    # ----- losses ----------------------------------------------------------------------------------
    def evaluate(self, A: np.ndarray):
        """The solution of program (3) at A, or None when A's loss is cached and does not improve.

        A cached (already solved) pattern that was not moved to cannot improve on the current loss
        (the current loss is lower than every loss seen when it was rejected), but it is re-solved
        rather than trusted should that ever happen.
        """
        key = pattern_key(A)
        if key in self._cache and not self.improves(self._cache[key]):
            return None
        sol = self.program.solve(A, warm_start=self.solution)
        self._cache[key] = sol.loss
        return sol

    def improves(self, value: float) -> bool:
        current = self.solution.loss
        return value < current - max(self.rtol * current, self.atol)

    def at_floor(self) -> bool:
        """True when no pattern can improve by the margin (losses are >= 0)."""
        return self.solution.loss <= self.atol

    def move_to(self, A: np.ndarray, sol) -> None:
        self.pattern = A
        self.solution = sol
        self.n_steps += 1
        self.trace.append(self._row())

    def result(self, method: str, local_minimum: bool) -> SearchResult:
        sol = self.solution
        return SearchResult(loss=sol.loss, pattern=self.pattern, W=np.asarray(sol.W), v=self.v,
                            c=float(sol.c), trace=self.trace, n_solves=self.program.n_solves,
                            n_steps=self.n_steps, seconds=time.perf_counter() - self.start_time,
                            method=method, homogenize=self.dataset.homogenize,
                            loss_name=self.loss_name,
                            info={"local_minimum": local_minimum, "reached_floor": self.at_floor(),
                                  "atol": self.atol, "rtol": self.rtol})


_PARAMETERS_DOC = """
    Parameters
    ----------
    dataset : Dataset
        Labelled training data.
    m : int
        Number of hidden units (>= 1).
    max_steps : int
        Maximum number of moves T.
    loss : {"mse", "logistic", "l1"}
    random_state : None, int or numpy.random.Generator
        Seed of the starting vertex (Gaussian first-layer weights, appendix H){extra_seed}.
    fit_bias : bool, default True
        Optimise the output bias ``c`` in every convex program (appendix H).
    backend : str, default "fast"
        Convex backend of :class:`zonocomb.convex.region.RegionProgram`.
    v : array-like of shape (m,), optional
        Fixed output weights; default ⌈m/2⌉ entries +1 then ⌊m/2⌋ entries −1 (appendix H).
    start : array-like of shape (m, N), optional
        Starting vertex of Z^m instead of a random one (each row must be a vertex of Z).
    rtol, atol : float
        Improvement margin: a move needs ``L' < L − max(rtol·L, atol)``. ``atol=None`` means
        1e-13 times the loss of ``W = 0`` (an upper bound of every region's loss); the search
        also stops once ``L <= atol``.

    Returns
    -------
    SearchResult
        The last vertex, its optimal network and the trace (one row per move; the loss strictly
        decreases along it). ``info["local_minimum"]`` tells whether the search stopped because no
        neighbour improved (rather than at ``max_steps`` or at the loss floor).

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, loss, sizes, ``v`` or ``start``.
"""


@single_threaded_blas
def gls(dataset, m, max_steps=1024, loss="mse", random_state=None, fit_bias=True, backend="fast",
        v=None, start=None, rtol=1e-9, atol=None) -> SearchResult:
    search = _LocalSearch(dataset, m, loss, fit_bias, backend, v, start, as_rng(random_state),
                          rtol, atol)
    max_steps = check_int(max_steps, "max_steps", 0)
    while search.n_steps < max_steps and not search.at_floor():
        best = None
        for move in search.moves():
            A = search.apply(move)
            sol = search.evaluate(A)
            if sol is not None and search.improves(sol.loss) and (best is None or sol.loss < best[2].loss):
                best = (move, A, sol)
        if best is None:
            return search.result("gls", local_minimum=True)
        search.move_to(best[1], best[2])
    return search.result("gls", local_minimum=False)


gls.__doc__ = """Greedy local search (GLS, paper Algorithm 2) over the vertices of Z^m.

    At each step the convex program (3) is solved at every neighbour of the current vertex and the
    search moves to the best one (the first in unit order on ties) if it improves; it stops at a
    local minimum or after ``max_steps`` moves. Deterministic given the start vertex.
""" + _PARAMETERS_DOC.replace("{extra_seed}", "") + """
    Notes
    -----
    A vertex of Z^m has Σ_u deg_Z(A_u) neighbours (O(mN)), so a step solves O(mN) programs.

    References
    ----------
    Paper section 4.3.1, Algorithm 2; appendix H.1.2 (v half ±1, c optimised, T = 1024).
"""


@single_threaded_blas
def mgls(dataset, m, max_steps=2048, loss="mse", random_state=None, fit_bias=True, backend="fast",
         v=None, start=None, rtol=1e-9, atol=None) -> SearchResult:
    rng = as_rng(random_state)
    search = _LocalSearch(dataset, m, loss, fit_bias, backend, v, start, rng, rtol, atol)
    max_steps = check_int(max_steps, "max_steps", 0)
    while search.n_steps < max_steps and not search.at_floor():
        for A, sol in _candidates(search, rng):
            if sol is not None and search.improves(sol.loss):
                search.move_to(A, sol)
                break
        else:
            return search.result("mgls", local_minimum=True)
    return search.result("mgls", local_minimum=False)


def _candidates(search: _LocalSearch, rng: np.random.Generator):
    """Yield ``(pattern, solution or None)`` in mGLS order (appendix G), solving lazily."""
    tight = np.asarray(search.solution.tight, dtype=bool)
    A = search.pattern
    if tight.any():
        flipped = A ^ tight
        if all(search.zonotope.is_vertex(tuple(int(b) for b in flipped[u]))
               for u in np.flatnonzero(tight.any(axis=1))):
            yield (flipped, search.evaluate(flipped))
    moves = search.moves()
    first = [mv for mv in moves if tight[mv[0], list(mv[2])].any()]
    rest = [mv for mv in moves if not tight[mv[0], list(mv[2])].any()]
    for group in (first, rest):
        for k in rng.permutation(len(group)):
            A = search.apply(group[k])
            yield (A, search.evaluate(A))


mgls.__doc__ = """Modified greedy local search (mGLS, paper appendix G) over the vertices of Z^m.

    First improvement: the search moves to the first candidate whose optimal loss improves on the
    current one. Candidates are tried in this order: (1) the pattern with all tight constraints of
    the current optimum flipped (``RegionSolution.tight``), if every changed row is a vertex of Z
    (then it shares a k-face with the current vertex, usually not an edge); (2) the neighbours whose
    flipped examples include a tight (unit, example) constraint; (3) all other neighbours. Within
    (2) and (3) the order is random. It stops at a local minimum (no neighbour improves) or after
    ``max_steps`` moves.
""" + _PARAMETERS_DOC.replace("{extra_seed}", " and of the order in which neighbours are tried") + """
    Notes
    -----
    Early steps typically solve a handful of programs instead of all O(mN) neighbours; a local
    minimum still costs one full sweep.

    References
    ----------
    Paper section 4.3.1 and appendix G; appendix H.2.2 (T = 2048).
"""
