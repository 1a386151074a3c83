"""A local search (GLS, mGLS) run in rounds, with a time budget and a hook after every round.

Each round is one call of the search from the vertex where the previous round stopped
(``start=``), so the walk on Z^m is the same kind of walk as one long call, cut into pieces.
The first round makes one move; the round length doubles up to :data:`ROUND_STEPS` while a round
takes less than a tenth of the time budget, so on large data (one move scans up to m·N neighbours)
the rounds stay one move long. No round starts that is expected, from the previous round's time,
to end after ``max_time``. Used by the scikit-learn estimators (``max_time``, ``verbose``,
``early_stopping``) and ``zonocomb fit`` (``--max-time``, its progress bar).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Callable

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
        The last round's result (its pattern, network and loss are where the walk ended), with
        ``n_steps``, ``n_solves`` and ``seconds`` of the whole search.
    moves : int
        Moves of all rounds.
    iterations : int
        Neighbourhood scans: the moves, plus the final scan that found no improving move when
        the search ended at a local minimum (or at zero loss).
    stopped : str
        ``"local_minimum"``, ``"max_steps"``, ``"max_time"`` or ``"callback"``.
    n_solves : int
        Convex programs solved in all rounds.
    seconds : float
    """

    result: SearchResult
    moves: int
    iterations: int
    stopped: str
    n_solves: int
    seconds: float


def run_in_rounds(method: str, dataset, m: int, *, max_steps: int | None = None,
                  max_time: float | None = None,
                  on_round: Callable[[SearchResult, int, float], bool] | None = None,
                  **keywords) -> RoundsOutcome:
    """Run the local search ``method`` (``"gls"`` or ``"mgls"``) on ``dataset`` in rounds.

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
        Time budget in seconds (see the module docstring); None: none.
    on_round : callable, optional
        ``on_round(result, moves, seconds)`` after every round; returning True stops the search.
    **keywords
        Passed to :func:`zonocomb.search.run_method` (``loss``, ``random_state`` — pass a Generator
        so that the rounds draw one stream —, ``backend``, ``fit_bias``, ``v``).

    Returns
    -------
    RoundsOutcome

    Raises
    ------
    InvalidInputError
        A method without a move budget (not a local search), or what the search raises.
    """
    spec = get_method(method)
    if spec.steps != "max_steps" or "start" not in spec.keywords:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"run_in_rounds needs a local search (gls, mgls), not {method!r}")
    budget = spec.defaults[spec.steps] if max_steps is None else int(max_steps)
    start_time = time.perf_counter()
    elapsed, moves, solves, size, result = 0.0, 0, 0, 1, None
    while True:
        chunk = min(size, budget - moves)
        result = run_method(method, dataset, m, max_steps=chunk,
                            start=None if result is None else result.pattern, **keywords)
        moves += result.n_steps
        solves += result.n_solves
        round_seconds = time.perf_counter() - start_time - elapsed
        elapsed += round_seconds
        if max_time is None or round_seconds < max_time / 10:
            next_size = min(2 * size, ROUND_STEPS)
        else:
            next_size = size
        expected = round_seconds * next_size / max(chunk, 1)
        size = next_size
        if on_round is not None and on_round(result, moves, elapsed):
            stopped = "callback"
        elif result.n_steps < chunk:  # the search stopped by itself
            stopped = "local_minimum"
        elif moves >= budget:
            stopped = "max_steps"
        elif max_time is not None and elapsed + expected > max_time:
            stopped = "max_time"
        else:
            continue
        total = dataclasses.replace(result, n_steps=moves, n_solves=solves, seconds=elapsed)
        iterations = moves + (stopped == "local_minimum")
        return RoundsOutcome(total, moves, iterations, stopped, solves, elapsed)
