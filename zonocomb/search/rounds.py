"""A local search (GLS, mGLS) with a time budget and a hook called after every round of moves.

The search runs as one call of the method (one walk on Z^m, its programs and caches built once);
the method keeps the time budget (its ``max_time``) and its ``callback``, called after every move,
groups the moves into rounds for the hook. The first round is one move; the round length doubles
up to :data:`ROUND_STEPS` while a round takes less than a tenth of the time budget, so on large
data (one move scans up to m·N neighbours) the rounds stay one move long.
Used by the scikit-learn estimators (``max_time``, ``verbose``, ``early_stopping``) and ``zonocomb
fit`` (``--max-time``, its progress bar).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from ..geometry.dataset import Dataset
from .registry import get_method, run_method
from .result import SearchResult

__all__ = ["ROUND_STEPS", "RoundsOutcome", "run_in_rounds"]

#: Longest round, in moves.
ROUND_STEPS = 16


@dataclass(frozen=True)
class RoundsOutcome:
    """What :func:`run_in_rounds` did.

    Attributes
    ----------
    result : SearchResult
        The search's result (its pattern, network and loss are where the walk ended).
    moves : int
        Moves of the search.
    iterations : int
        Neighbourhood scans: the moves, plus the final scan that found no improving move when
        the search ended at a local minimum (or at zero loss).
    stopped : str
        ``"local_minimum"``, ``"max_steps"``, ``"max_time"`` or ``"callback"``.
    n_solves : int
        Convex programs solved.
    seconds : float
    """

    result: SearchResult
    moves: int
    iterations: int
    stopped: str
    n_solves: int
    seconds: float


def run_in_rounds(method: str, dataset: Dataset, m: int, *, max_steps: int | None = None,
                  max_time: float | None = None,
                  on_round: Callable[[SearchResult, int, float], bool] | None = None,
                  **keywords) -> RoundsOutcome:
    """Run the local search ``method`` (``"gls"`` or ``"mgls"``) on ``dataset`` with a time budget
    and a hook after every round of moves.

    Parameters
    ----------
    method : str
        ``"gls"`` or ``"mgls"`` (registry names, :func:`zonocomb.search.get_method`).
    dataset : Dataset
    m : int
        Hidden units.
    max_steps : int or None
        Move budget of the whole search (None: the method's default, 1024 / 2048).
    max_time : float or None
        Time budget in seconds, passed to the method (:func:`zonocomb.search.mgls` checks it
        before every sweep of candidates, :func:`zonocomb.search.gls` before every step); None:
        none.
    on_round : callable, optional
        ``on_round(result, moves, seconds)`` after every round, with the search result at the
        vertex reached, the moves so far and the seconds since the start; also after the last,
        shorter round (or, when the start is a local minimum, once with no move). Returning True
        stops the search.
    **keywords
        Passed to :func:`zonocomb.search.run_method` (``loss``, ``random_state``, ``backend``,
        ``fit_bias``, ``v``, ``alpha``).

    Returns
    -------
    RoundsOutcome

    Raises
    ------
    InvalidInputError
        A method without a move budget (not a local search), or what the search raises.
    """
    spec = get_method(method)
    if spec.steps != "max_steps" or not {"callback", "max_time"} <= spec.keywords:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"run_in_rounds needs a local search (gls, mgls), not {method!r}")
    budget = spec.defaults[spec.steps] if max_steps is None else int(max_steps)
    start_time = time.perf_counter()
    state = {"moves": 0, "size": 1, "round_moves": 0, "round_start": start_time}

    def after_move(result: SearchResult) -> bool:
        now = time.perf_counter()
        state["moves"] += 1
        state["round_moves"] += 1
        if state["round_moves"] < state["size"] or on_round is None:
            return False
        if max_time is None or now - state["round_start"] < max_time / 10:
            state["size"] = min(2 * state["size"], ROUND_STEPS)
        state["round_moves"], state["round_start"] = 0, now
        return bool(on_round(result, state["moves"], now - start_time))

    result = run_method(method, dataset, m, max_steps=budget, max_time=max_time, callback=after_move, **keywords)
    moves = state["moves"]
    stopped = {"floor": "local_minimum"}.get(result.info["stopped"], result.info["stopped"])
    if on_round is not None and (state["round_moves"] or not moves):
        on_round(result, moves, time.perf_counter() - start_time)  # the last, shorter round
    iterations = moves + (stopped == "local_minimum")
    return RoundsOutcome(result, moves, iterations, stopped, result.n_solves, result.seconds)
