"""Tabu search over the vertices of Z^m, on a :class:`~zonocomb.search.oracle.RegionOracle`.

Every step solves all neighbours of the current vertex (as GLS, paper Algorithm 2) and moves to the
best one that is not tabu, even when it is worse; a move (unit u, parallel class of examples S)
undoes itself, so after it is made it stays tabu for ``tenure`` steps, which keeps the search from
walking straight back into the local minimum it just left. A tabu move is still allowed when it
gives a loss below the best seen (the aspiration criterion). Glover (1989, 1990).
"""
from __future__ import annotations

import time

from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from ..geometry.dataset import Dataset
from ..validation import RandomState, check_int, check_random_state
from ._common import single_threaded_blas
from .oracle import RegionOracle, oracle_for, search_result
from .result import SearchResult

__all__ = ["tabu_search", "tabu"]


def tabu(oracle, start, max_steps, tenure, bar=None):
    """The tabu loop on ``oracle`` from the vertex ``start``; ``bar`` (a tqdm bar, optional)
    advances per move.

    Returns
    -------
    (best vertex, its RegionSolution, trace rows, steps made)
    """
    A, here = start, oracle.solution(start)
    best, best_sol, until, trace = A, here, {}, []
    clock = time.perf_counter()
    for step in range(1, max_steps + 1):
        choice = None
        for move, sol in zip(oracle.moves(A), oracle.neighbor_solutions(A, warm_start=here)):
            allowed = until.get(move, 0) < step or sol.loss < best_sol.loss
            if allowed and (choice is None or sol.loss < choice[1].loss):   # first best in move order
                choice = (move, sol)
        if choice is None:                 # every neighbour tabu and none aspirates
            return best, best_sol, trace, step - 1
        A, here = oracle.apply(A, choice[0]), choice[1]
        until[choice[0]] = step + tenure
        if here.loss < best_sol.loss:
            best, best_sol = A, here
        trace.append({"step": step, "loss": best_sol.loss, "n_solves": oracle.n_solves,
                      "seconds": time.perf_counter() - clock})
        if bar is not None:
            bar.update()
    return best, best_sol, trace, max_steps


@single_threaded_blas
def tabu_search(dataset: Dataset, m: int, max_steps: int = 100, loss: str = "mse",
                random_state: RandomState = None, fit_bias: bool = True, backend: str = "fast",
                v: ArrayLike | None = None, start: ArrayLike | None = None, tenure: int = 7,
                oracle: RegionOracle | None = None, alpha: float = 0.0, progress: bool = False) -> SearchResult:
    """Tabu search (Glover 1989) over the vertices of Z^m.

    Parameters
    ----------
    dataset : Dataset
    m : int
        Number of hidden units.
    max_steps : int, default 100
        Moves; each solves the O(mN) neighbours not yet cached.
    loss : {"mse", "logistic", "l1"}
    random_state : None, int or numpy.random.Generator
        Seeds the start vertex (Gaussian first-layer weights, appendix H); the search itself is
        deterministic (ties go to the first move in unit order, as in GLS).
    fit_bias : bool, backend : str, v : array-like, optional
        As in :func:`zonocomb.search.gls`.
    start : array-like of shape (m, N), optional
        Starting vertex instead of a random one.
    tenure : int, default 7
        Steps during which a move just made stays tabu (Glover's customary 7).
    oracle : RegionOracle, optional
        Run on this oracle (reusing its cache); ``v``, ``loss``, ``fit_bias``, ``backend`` and
        ``alpha`` are then the oracle's.
    alpha : float, default 0.0
        Weight decay: every region program minimises the mean loss plus ``alpha`` ‖W‖², and the
        search compares these objectives (as :func:`zonocomb.search.gls`).
    progress : bool, default False
        Show a tqdm bar over the moves (on stderr).

    Returns
    -------
    SearchResult
        ``method="tabu_search"``: the best vertex seen and its own optimal network; ``trace`` holds
        the best loss after every move.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, sizes, ``start``, ``tenure`` or ``alpha``.

    References
    ----------
    F. Glover, "Tabu Search — Part I", ORSA J. Computing 1 (1989) 190–206; "Part II", 2 (1990)
    4–32.
    """
    oracle = oracle_for(dataset, m, loss, fit_bias, backend, v, oracle, alpha)
    max_steps = check_int(max_steps, "max_steps", 0)
    tenure = check_int(tenure, "tenure", 0)
    clock = time.perf_counter()
    rng = check_random_state(random_state)
    A = oracle.random_vertex(rng) if start is None else oracle.vertex(start)
    with tqdm(total=max_steps, desc="tabu search", unit="move", disable=not progress) as bar:
        best, sol, trace, steps = tabu(oracle, A, max_steps, tenure, bar)
    return search_result(oracle, "tabu_search", best, sol, trace, steps, time.perf_counter() - clock,
                         {"tenure": tenure, "stuck": steps < max_steps})
