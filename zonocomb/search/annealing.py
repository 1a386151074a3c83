"""Simulated annealing over the vertices of Z^m, on a :class:`~zonocomb.search.oracle.RegionOracle`.

The state is a vertex A of Z^m with energy L*(A), the optimum of program (3) (paper §3, eq. 3); a
proposal moves one unit along one edge of Z (a random neighbour in the skeleton of Z^m, appendix
A.3.1). It is accepted with the Metropolis probability min(1, exp(−ΔL / T)), and the temperature
falls geometrically, T_k = t0 · cooling^k (Kirkpatrick, Gelatt & Vecchi 1983; Černý 1985). The
best vertex seen is returned with its own optimal network.
"""
from __future__ import annotations

import math
import time

from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from ..errors import InvalidInputError
from ..geometry.dataset import Dataset
from ..validation import RandomState, check_int, check_random_state
from ._common import baseline_loss, single_threaded_blas
from .oracle import RegionOracle, oracle_for, search_result
from .result import SearchResult

__all__ = ["simulated_annealing", "anneal"]


def anneal(oracle, start, rng, max_steps, t0, cooling, bar=None):
    """The annealing loop on ``oracle`` from the vertex ``start``; ``bar`` (a tqdm bar, optional)
    advances per proposal.

    Returns
    -------
    (best vertex, its RegionSolution, trace rows, accepted moves)
    """
    A, here = start, oracle.solution(start)
    best, best_sol, accepted, trace = A, here, 0, []
    T, clock = t0, time.perf_counter()
    for step in range(1, max_steps + 1):
        moves = oracle.moves(A)
        B = oracle.apply(A, moves[int(rng.integers(len(moves)))])
        sol = oracle.solution(B, warm_start=here)
        delta = sol.loss - here.loss
        if delta <= 0 or (T > 0 and rng.random() < math.exp(-delta / T)):
            A, here, accepted = B, sol, accepted + 1
            if here.loss < best_sol.loss:
                best, best_sol = A, here
        trace.append({"step": step, "loss": best_sol.loss, "n_solves": oracle.n_solves,
                      "seconds": time.perf_counter() - clock})
        T *= cooling
        if bar is not None:
            bar.update()
    return best, best_sol, trace, accepted


@single_threaded_blas
def simulated_annealing(dataset: Dataset, m: int, max_steps: int = 2000, loss: str = "mse",
                        random_state: RandomState = None, fit_bias: bool = True, backend: str = "fast",
                        v: ArrayLike | None = None, start: ArrayLike | None = None, t0: float | None = None,
                        cooling: float | None = None, oracle: RegionOracle | None = None, alpha: float = 0.0,
                        progress: bool = False) -> SearchResult:
    """Simulated annealing (Kirkpatrick et al. 1983) over the vertices of Z^m.

    Parameters
    ----------
    dataset : Dataset
    m : int
        Number of hidden units.
    max_steps : int, default 2000
        Proposals (each costs at most one region solve; revisited vertices are cached).
    loss : {"mse", "logistic", "l1"}
    random_state : None, int or numpy.random.Generator
        Seeds the start vertex (Gaussian first-layer weights, appendix H) and every proposal and
        acceptance: the run is deterministic given it.
    fit_bias : bool, backend : str, v : array-like, optional
        As in :func:`zonocomb.search.gls` (v defaults to half +1, half −1).
    start : array-like of shape (m, N), optional
        Starting vertex instead of a random one.
    t0 : float, optional
        Initial temperature; default 0.05 times the loss of W = 0 (the loss scale of the data).
    cooling : float in (0, 1], optional
        Factor per step; default such that T falls to 1e-4·t0 over ``max_steps``.
    oracle : RegionOracle, optional
        Run on this oracle (reusing its cache) instead of a new one; ``v``, ``loss``,
        ``fit_bias``, ``backend`` and ``alpha`` are then the oracle's.
    alpha : float, default 0.0
        Weight decay: the energy is the region program's optimum with ``alpha`` ‖W‖² added (as in
        :func:`zonocomb.search.gls`).
    progress : bool, default False
        Show a tqdm bar over the proposals (on stderr).

    Returns
    -------
    SearchResult
        ``method="simulated_annealing"``: the best vertex seen and its optimal network (``loss`` is
        that network's loss); ``trace`` holds the best loss after every proposal; ``info`` the
        accepted moves and the temperatures.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, sizes, ``start``, ``t0`` (negative or not finite), ``cooling`` or ``alpha``.

    References
    ----------
    S. Kirkpatrick, C. D. Gelatt, M. P. Vecchi, "Optimization by simulated annealing", Science 220
    (1983) 671–680; V. Černý, J. Optim. Theory Appl. 45 (1985) 41–51. Paper §4.2 likens gradient
    descent to a pseudo-annealing over the vertices of Z^m; this is the explicit one.
    """
    oracle = oracle_for(dataset, m, loss, fit_bias, backend, v, oracle, alpha)
    max_steps = check_int(max_steps, "max_steps", 0)
    rng = check_random_state(random_state)
    clock = time.perf_counter()
    A = oracle.random_vertex(rng) if start is None else oracle.vertex(start)
    if t0 is None:
        t0 = 0.05 * baseline_loss(oracle.dataset.y, oracle.loss_name, oracle.program.fit_bias)
    if not (math.isfinite(t0) and t0 >= 0):
        raise InvalidInputError(f"t0 must be a non-negative finite temperature, got {t0!r}")
    if cooling is None:
        cooling = 1e-4 ** (1 / max(max_steps, 1))
    if not (0 < cooling <= 1):
        raise InvalidInputError(f"cooling must be in (0, 1], got {cooling!r}")
    with tqdm(total=max_steps, desc="simulated annealing", unit="proposal", disable=not progress) as bar:
        best, sol, trace, accepted = anneal(oracle, A, rng, max_steps, float(t0), float(cooling), bar)
    return search_result(oracle, "simulated_annealing", best, sol, trace, max_steps,
                         time.perf_counter() - clock,
                         {"accepted": accepted, "t0": float(t0), "cooling": float(cooling)})
