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
neither move the search nor make it cycle, and with the default margins the loss along the trace
strictly decreases (the trace records each new vertex's loss as re-solved there, which can differ
from the sweep's by rounding: with ``rtol = atol = 0`` two moves may record equal losses).
The losses of the patterns solved during the last ``CACHE_MOVES`` moves are cached: a neighbour of
the current vertex that is in the cache is not solved again. With the examples in general position
a neighbour of the current vertex can have been solved before only as a neighbour of the vertex two
moves back (the previous vertex itself, and the patterns that undo the previous move but keep the
last), unless the walk comes back within two moves of an older vertex, whose neighbours are then
solved again (they cannot improve: the loss along the search only decreases). So the cache keeps
O(m N) patterns, not O(m N) per move; the neighbours of the current vertex are solved in batches by :meth:`RegionProgram.sweep
<zonocomb.convex.region.RegionProgram.sweep>` (all of them for GLS, growing chunks in mGLS order),
with ``bound`` the improvement threshold: a neighbour is abandoned only when a certified lower
bound of its loss already fails the margin, so the move chosen is the one that solving every
neighbour would choose. A neighbour's solve starts from the point found for the same move from
the previous vertex when that move was solved there and did not improve (the two programs differ
in one row of the pattern, the last move's; the optimum of a neighbour that does not improve is
typically far from the vertex's: benchmarks/README.md), else from the current vertex's optimum; those points
are kept for one move (m n floats each). The optima are the same either way, to the solver's
tolerances; so the moves are too, except between neighbours of equal loss, or a neighbour whose
loss is the improvement threshold, where rounding decides.
"""
from __future__ import annotations

import numbers
import time
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ..convex.region import RegionProgram
from ..errors import CheckpointError, InvalidInputError
from ..geometry.dataset import Dataset
from ..geometry.power import ZonotopePower
from ..validation import RandomState, check_int, check_random_state
from ._common import baseline_loss, neighbour_keys, pattern_key, search_problem, single_threaded_blas
from .checkpoint import SearchCheckpoint, problem_digest
from .result import SearchResult

__all__ = ["gls", "mgls", "gls_tolerances", "gls_threshold", "gls_choice"]

#: Moves for which a solved pattern's loss stays cached (see the module docstring).
CACHE_MOVES = 2
#: The default relative improvement margin of gls and mgls.
DEFAULT_RTOL = 1e-9
#: The default absolute margin, as a multiple of the loss of W = 0 (:func:`baseline_loss`).
ATOL_FACTOR = 1e-13


def gls_tolerances(y, loss: str, fit_bias: bool, rtol=DEFAULT_RTOL, atol=None) -> tuple[float, float]:
    """The improvement margins ``(rtol, atol)`` of GLS and mGLS on labels ``y``: ``atol=None``
    means ``ATOL_FACTOR`` times the loss of W = 0, an upper bound of every region's loss.

    Raises
    ------
    InvalidInputError
        A negative or non-finite margin, or labels whose loss at W = 0 overflows float64.
    """
    if not (np.isfinite(rtol) and rtol >= 0):
        raise InvalidInputError(f"rtol must be a non-negative number, got {rtol!r}")
    if atol is None:
        with np.errstate(over="ignore", invalid="ignore"):
            scale = baseline_loss(y, loss, fit_bias)
        if not np.isfinite(scale):
            raise InvalidInputError(f"the loss of W = 0 on these labels is not a finite float64 number "
                                    f"(max |y| = {float(np.max(np.abs(y))):.3g}); rescale the labels")
        return float(rtol), ATOL_FACTOR * scale
    atol_value = float(atol)
    if not (np.isfinite(atol_value) and atol_value >= 0):
        raise InvalidInputError(f"atol must be a non-negative number, got {atol!r}")
    return float(rtol), atol_value


def gls_threshold(L, rtol: float, atol: float):
    """``L − max(rtol·L, atol)``: a loss below it improves on L (scalars or arrays)."""
    return L - np.maximum(rtol * L, atol)


def gls_choice(current: float, losses, rtol: float, atol: float) -> int | None:
    """The move of GLS (paper Algorithm 2) from a vertex of loss ``current``: the index of the
    neighbour of least loss among those that improve by the margin, the first in move order among
    equal losses; None at a local minimum, or at the floor ``current ≤ atol`` (where GLS stops
    without looking at neighbours). ``losses``: the neighbours' optimal losses in move order
    (+inf or NaN for neighbours known not to improve)."""
    losses = np.asarray(losses, dtype=float)
    if current <= atol or losses.size == 0:
        return None
    losses = np.where(np.isnan(losses), np.inf, losses)
    k = int(np.argmin(losses))
    return k if losses[k] < gls_threshold(current, rtol, atol) else None


class _LocalSearch:
    """State shared by GLS and mGLS: the convex program, caches, the current vertex and the trace."""

    def __init__(self, method, dataset, m, loss, fit_bias, backend, v, start, rng, rtol, atol, alpha=0.0,
                 max_time=None, resume=None):
        self.start_time = time.perf_counter()
        if max_time is not None and not (isinstance(max_time, numbers.Real) and max_time > 0):
            raise InvalidInputError(f"max_time must be None or a positive number of seconds, got {max_time!r}")
        if resume is not None and not isinstance(resume, SearchCheckpoint):
            raise InvalidInputError(f"resume must be a SearchCheckpoint, got {type(resume).__name__}")
        if resume is not None and start is not None:
            raise InvalidInputError("give start or resume, not both: a resumed search goes on from its checkpoint's vertex")
        problem = search_problem(dataset, m, v, loss, fit_bias, alpha)    # checked once (docs/design.md §7.4)
        self.method = method
        self.m, self.v, self.loss_name = problem.m, problem.v, problem.loss
        self.rtol, self.atol = gls_tolerances(problem.y, loss, fit_bias, rtol, atol)
        self.dataset = dataset
        self.zonotope = dataset.zonotope()
        self.power = ZonotopePower(self.zonotope, self.m)
        self.program = RegionProgram.from_problem(problem, backend)
        self.problem = problem_digest(method, dataset, self.v, self.loss_name, fit_bias, alpha, self.rtol,
                                      self.atol, backend if isinstance(backend, str) else backend.name)
        self.rng = rng
        self._cache: dict[bytes, tuple[float, int]] = {}   # pattern -> (its loss or a lower bound, move)
        self._cached_at: list[list[bytes]] = [[]]        # the keys cached at each of the last moves
        self._starts: dict = {}     # move -> the point found for it from the previous vertex
        self._answers: dict = {}    # move -> the point found for it from this vertex
        self._carry_starts = self.program.kernel is not None    # only the compiled kernel uses starts
        self.n_bounded = 0
        if resume is None:
            self.pattern = self._start_pattern(start)
            self.solution = self.program.solve(self.pattern)
            self.n_steps = 0
            self.trace = [self._row()]
        else:
            self._restore(resume)
        self.remember(pattern_key(self.pattern), self.solution.loss)
        self.deadline = None if max_time is None else self.start_time + float(max_time)

    def _restore(self, state: SearchCheckpoint) -> None:
        """Take the search's state from a checkpoint of this method and problem."""
        state.check(self.method, self.problem)
        if state.pattern.shape != (self.m, self.dataset.N) or not self.power.is_vertex(state.pattern):
            raise CheckpointError("the checkpoint's vertex is not a vertex of this Z^m")
        self.pattern = state.pattern.copy()
        try:
            self.solution = self.program.solution_at(self.pattern, state.W, state.c, state.status,
                                                     state.solve_seconds, state.n_iter, state.recession)
        except InvalidInputError as exc:
            raise CheckpointError(f"the checkpoint's optimum is unusable here: {exc}") from None
        self.n_steps, self.n_bounded = state.n_steps, state.n_bounded
        self.program.n_solves = state.n_solves
        self.trace = [dict(row) for row in state.trace]
        self.start_time -= state.seconds
        try:
            self.rng.bit_generator.state = state.rng_state
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"the checkpoint's random state does not fit this generator: {exc}") from None

    def checkpoint(self) -> SearchCheckpoint:
        """The search's state now (after a move), to resume from (:class:`SearchCheckpoint`)."""
        sol = self.solution
        return SearchCheckpoint(method=self.method, problem=self.problem, pattern=self.pattern.copy(), W=np.array(sol.W),
                                c=float(sol.c), status=str(sol.status), solve_seconds=float(sol.seconds),
                                n_iter=int(sol.n_iter), recession=self.program.recession_of(sol),
                                n_steps=self.n_steps, n_solves=self.program.n_solves,
                                n_bounded=self.n_bounded, trace=tuple(self.trace),
                                seconds=time.perf_counter() - self.start_time,
                                rng_state=self.rng.bit_generator.state)

    def _start_pattern(self, start) -> np.ndarray:
        if start is None:
            return self.power.random_vertex(self.rng)
        if not self.power.is_vertex(start):
            raise InvalidInputError("start is not a vertex of Z^m: some row is not the activation "
                                    "pattern of any weights")
        return np.array(start, dtype=bool)

    def _row(self) -> dict:
        return {"step": self.n_steps, "loss": self.solution.loss, "n_solves": self.program.n_solves,
                "seconds": time.perf_counter() - self.start_time}

    # ----- neighbourhood ---------------------------------------------------------------------------
    def moves(self) -> list:
        """All neighbours of the current vertex of Z^m as ``(unit, flipped examples)``, in unit
        order (:meth:`ZonotopePower.neighbor_moves`; the zonotope caches each barcode's edges)."""
        return self.power.neighbor_moves(self.pattern)

    def apply(self, move) -> np.ndarray:
        A = self.pattern.copy()
        A[move[0], list(move[1])] ^= True
        return A

    # ----- losses ----------------------------------------------------------------------------------
    def threshold(self) -> float:
        """The loss a neighbour must beat: L − max(rtol·L, atol)."""
        return float(gls_threshold(self.solution.loss, self.rtol, self.atol))

    def improves(self, value: float) -> bool:
        return value < self.threshold()

    def known_not_to_improve(self, key: bytes) -> bool:
        """Whether the pattern ``key`` is cached with a loss (or lower bound) that does not improve."""
        entry = self._cache.get(key)
        return entry is not None and not self.improves(entry[0])

    def remember(self, key: bytes, value: float) -> None:
        """Cache the loss (or a lower bound) of the pattern ``key``, solved at this move."""
        self._cache[key] = (value, self.n_steps)
        self._cached_at[-1].append(key)

    def _forget_old(self) -> None:
        """Drop the patterns cached more than ``CACHE_MOVES`` moves ago (called at each move)."""
        self._cached_at.append([])
        while len(self._cached_at) > CACHE_MOVES + 1:
            for key in self._cached_at.pop(0):
                entry = self._cache.get(key)
                if entry is not None and entry[1] < self.n_steps - CACHE_MOVES:
                    del self._cache[key]

    def out_of_time(self, expected: float = 0.0) -> bool:
        """True when ``max_time`` has passed, or will have after ``expected`` more seconds."""
        return self.deadline is not None and time.perf_counter() + expected > self.deadline

    def at_floor(self) -> bool:
        """True when no pattern can improve by the margin (losses are >= 0)."""
        return self.solution.loss <= self.atol

    def evaluate(self, moves: list, least_only: bool = False) -> np.ndarray:
        """Losses of the neighbours ``moves`` of the current vertex (+inf for those that cannot
        improve, and with ``least_only`` for those certified not to be the least one: GLS's
        sweep, ``least_only`` of :meth:`RegionProgram.sweep
        <zonocomb.convex.region.RegionProgram.sweep>`; the least loss and the moves attaining it
        are those of a full evaluation): patterns seen before whose loss (or lower bound) does not improve are skipped,
        the others solved in one sweep with the improvement threshold as bound (an abandoned
        neighbour's certified lower bound fails it). The loss along the search only decreases, so
        a skipped pattern cannot improve now either; one that could is solved again. A move
        solved from the previous vertex without improving there starts from the point found for
        it there (see the module docstring, and ``starts`` of :meth:`RegionProgram.sweep
        <zonocomb.convex.region.RegionProgram.sweep>`); with a program that solves without the
        compiled kernel (the l1 loss, the reference backend), which ignores starts, no points are
        kept."""
        losses = np.full(len(moves), np.inf)
        keys = neighbour_keys(self.pattern, moves)
        todo = [k for k, key in enumerate(keys) if not self.known_not_to_improve(key)]
        if not todo:
            return losses
        starts = {j: self._starts[moves[k]] for j, k in enumerate(todo) if moves[k] in self._starts}
        sweep = self.program.sweep(self.pattern, [moves[k] for k in todo], self.solution,
                                   bound=self.threshold(), starts=starts, answers=self._carry_starts,
                                   least_only=least_only)
        for j, point in sweep.answers.items():
            if not self.improves(sweep.loss[j]):
                self._answers[moves[todo[j]]] = point
        for j, k in enumerate(todo):
            abandoned = sweep.status[j] in ("bounded", "dominated")
            self.n_bounded += sweep.status[j] == "bounded"
            self.remember(keys[k], float(sweep.lower_bound[j] if abandoned else sweep.loss[j]))
            if not abandoned:
                losses[k] = sweep.loss[j]
        return losses

    def solution_of(self, move):
        """The RegionSolution of the neighbour ``move`` (solved from the current vertex's optimum)."""
        A = self.apply(move)
        return A, self.program.solve(A, warm_start=self.solution)

    def move_to(self, A: np.ndarray, sol) -> None:
        self.pattern = A
        self.solution = sol
        self.n_steps += 1
        self._starts, self._answers = self._answers, {}
        self._forget_old()
        self.remember(pattern_key(A), sol.loss)
        self.trace.append(self._row())

    def result(self, method: str, stopped: str) -> SearchResult:
        """The search result; ``stopped`` is ``"local_minimum"``, ``"floor"``, ``"max_steps"``,
        ``"max_time"`` or ``"callback"``."""
        sol = self.solution
        return SearchResult(loss=sol.loss, pattern=self.pattern, W=np.asarray(sol.W), v=self.v,
                            c=float(sol.c), trace=self.trace, n_solves=self.program.n_solves,
                            n_steps=self.n_steps, seconds=time.perf_counter() - self.start_time,
                            method=method, homogenize=self.dataset.homogenize,
                            loss_name=self.loss_name,
                            info={"local_minimum": stopped == "local_minimum", "stopped": stopped,
                                  "reached_floor": self.at_floor(),
                                  "atol": self.atol, "rtol": self.rtol, "n_bounded": self.n_bounded})


@single_threaded_blas
def gls(dataset: Dataset, m: int, max_steps: int = 1024, loss: str = "mse", random_state: RandomState = None,
        fit_bias: bool = True, backend: str = "fast", v: ArrayLike | None = None, start: ArrayLike | None = None,
        rtol: float = DEFAULT_RTOL, atol: float | None = None, alpha: float = 0.0,
        max_time: float | None = None,
        callback: Callable[[SearchResult], bool | None] | None = None,
        resume: SearchCheckpoint | None = None,
        checkpoint: Callable[[SearchCheckpoint], None] | None = None) -> SearchResult:
    """Greedy local search (GLS, paper Algorithm 2) over the vertices of Z^m.

    At each step the convex program (3) is solved at every neighbour of the current vertex and the
    search moves to the best one (the first in unit order on ties) if it improves; it stops at a
    local minimum or after ``max_steps`` moves. Deterministic given the start vertex.

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
        Seed of the starting vertex (Gaussian first-layer weights, appendix H).
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
    alpha : float, default 0.0
        Weight decay: every region program minimises the mean loss plus ``alpha`` ‖W‖², and the
        search compares these objectives (:class:`~zonocomb.convex.region.RegionProgram`).
    max_time : float or None
        Time budget in seconds, setup included: no step starts that is expected, from the
        previous step's time, to end after it (a step solves every neighbour, so one slower
        than the last can run over). None: no limit.
    callback : callable, optional
        ``callback(result)`` after every move, with the :class:`SearchResult` of the vertex just
        reached; a true return value ends the search there.
    resume : SearchCheckpoint, optional
        Go on from this checkpoint of a GLS search of the same problem instead of starting
        (``start`` must then be None, ``random_state`` is set to the checkpoint's state): the
        moves are those of the uninterrupted search, the losses and weights equal to rounding
        (:mod:`zonocomb.search.checkpoint` says what can differ: for the logistic loss without
        weight decay, the moves too); ``max_steps`` and
        ``max_time`` count the steps and seconds before the checkpoint too.
    checkpoint : callable, optional
        ``checkpoint(state)`` after every move (before ``callback``), with the
        :class:`SearchCheckpoint` to resume from there.

    Returns
    -------
    SearchResult
        The last vertex, its optimal network and the trace (one row per move; with the default margins
        the loss strictly decreases along it, see the module docstring). ``info["stopped"]`` tells why the search stopped: ``"local_minimum"``
        (no neighbour improves; ``info["local_minimum"]`` is True only then), ``"floor"`` (loss
        below ``atol``), ``"max_steps"``, ``"max_time"`` or ``"callback"``.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, loss, sizes, ``v`` or ``start``; ``resume`` given with ``start``.
    CheckpointError
        A ``resume`` of another method or problem, or a damaged one.

    Notes
    -----
    A vertex of Z^m has Σ_u deg_Z(A_u) neighbours (O(mN)), so a step solves O(mN) programs, in one
    :meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>` on all cores;
    neighbours certified not to improve are abandoned early (``info["n_bounded"]`` counts them).

    References
    ----------
    Paper section 4.3.1, Algorithm 2; appendix H.1.2 (v half ±1, c optimised, T = 1024).
    """
    search = _LocalSearch("gls", dataset, m, loss, fit_bias, backend, v, start, check_random_state(random_state),
                          rtol, atol, alpha, max_time, resume)
    max_steps = check_int(max_steps, "max_steps", 0)
    step_seconds = _last_step_seconds(search.trace)
    while (stopped := _budget_stop(search, max_steps, step_seconds)) is None:
        step_start = time.perf_counter()
        moves = search.moves()
        best = gls_choice(search.solution.loss, search.evaluate(moves, least_only=True), search.rtol, search.atol)
        if best is None:
            stopped = "local_minimum"
            break
        search.move_to(*search.solution_of(moves[best]))
        step_seconds = time.perf_counter() - step_start
        if checkpoint is not None:
            checkpoint(search.checkpoint())
        if callback is not None and callback(search.result("gls", "max_steps")):
            stopped = "callback"
            break
    return search.result("gls", stopped)


@single_threaded_blas
def mgls(dataset: Dataset, m: int, max_steps: int = 2048, loss: str = "mse", random_state: RandomState = None,
         fit_bias: bool = True, backend: str = "fast", v: ArrayLike | None = None, start: ArrayLike | None = None,
         rtol: float = DEFAULT_RTOL, atol: float | None = None, alpha: float = 0.0,
         max_time: float | None = None,
         callback: Callable[[SearchResult], bool | None] | None = None,
         resume: SearchCheckpoint | None = None,
         checkpoint: Callable[[SearchCheckpoint], None] | None = None) -> SearchResult:
    """Modified greedy local search (mGLS, paper appendix G) over the vertices of Z^m.

    First improvement: the search moves to the first candidate whose optimal loss improves on the
    current one. Candidates are tried in this order: (1) the pattern with all tight constraints of
    the current optimum flipped (``RegionSolution.tight``), if every changed row is a vertex of Z
    (then it shares a k-face with the current vertex, usually not an edge); (2) the neighbours whose
    flipped examples include a tight (unit, example) constraint; (3) all other neighbours. Within
    (2) and (3) the order is random. It stops at a local minimum (no neighbour improves) or after
    ``max_steps`` moves.

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
        Seed of the starting vertex (Gaussian first-layer weights, appendix H) and of the order in which neighbours are tried.
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
    alpha : float, default 0.0
        Weight decay: every region program minimises the mean loss plus ``alpha`` ‖W‖², and the
        search compares these objectives (:class:`~zonocomb.convex.region.RegionProgram`).
    max_time : float or None
        Time budget in seconds, setup included, checked before every convex solve or sweep of
        candidates (at most ``MGLS_MAX_CHUNK`` programs), so a search runs over by one sweep at
        most. None: no limit.
    callback : callable, optional
        ``callback(result)`` after every move, with the :class:`SearchResult` of the vertex just
        reached; a true return value ends the search there.
    resume : SearchCheckpoint, optional
        Go on from this checkpoint of an mGLS search of the same problem instead of starting
        (``start`` must then be None, ``random_state`` is set to the checkpoint's state): the
        moves are those of the uninterrupted search, the losses and weights equal to rounding
        (:mod:`zonocomb.search.checkpoint` says what can differ: for the logistic loss without
        weight decay, the moves too); ``max_steps`` and
        ``max_time`` count the steps and seconds before the checkpoint too.
    checkpoint : callable, optional
        ``checkpoint(state)`` after every move (before ``callback``), with the
        :class:`SearchCheckpoint` to resume from there.

    Returns
    -------
    SearchResult
        The last vertex, its optimal network and the trace (one row per move; with the default margins
        the loss strictly decreases along it, see the module docstring). ``info["stopped"]`` tells why the search stopped: ``"local_minimum"``
        (no neighbour improves; ``info["local_minimum"]`` is True only then), ``"floor"`` (loss
        below ``atol``), ``"max_steps"``, ``"max_time"`` or ``"callback"``.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, loss, sizes, ``v`` or ``start``; ``resume`` given with ``start``.
    CheckpointError
        A ``resume`` of another method or problem, or a damaged one.

    Notes
    -----
    Early steps typically solve a handful of programs instead of all O(mN) neighbours; a local
    minimum still costs one full sweep. Neighbours are solved in chunks of the candidate order
    (:meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>`, growing from the
    number of threads to ``MGLS_MAX_CHUNK``); the first improving candidate in the order is taken,
    as if they were solved one by one.

    References
    ----------
    Paper section 4.3.1 and appendix G; appendix H.2.2 (T = 2048).
    """
    rng = check_random_state(random_state)
    search = _LocalSearch("mgls", dataset, m, loss, fit_bias, backend, v, start, rng, rtol, atol, alpha, max_time,
                          resume)
    max_steps = check_int(max_steps, "max_steps", 0)
    while (stopped := _budget_stop(search, max_steps)) is None:
        found = _first_improvement(search, rng)
        if found is None or found is _OUT_OF_TIME:
            stopped = "local_minimum" if found is None else "max_time"
            break
        search.move_to(*found)
        if checkpoint is not None:
            checkpoint(search.checkpoint())
        if callback is not None and callback(search.result("mgls", "max_steps")):
            stopped = "callback"
            break
    return search.result("mgls", stopped)


def _last_step_seconds(trace) -> float:
    """The seconds of the last move of a trace (0 before the first), the time GLS expects its next
    step to take (``max_time``): what a resumed search has of the interrupted one's last step."""
    return trace[-1]["seconds"] - trace[-2]["seconds"] if len(trace) > 1 else 0.0


def _budget_stop(search: _LocalSearch, max_steps: int, expected: float = 0.0) -> str | None:
    """Why the search must stop before its next step (``"floor"``, ``"max_steps"``,
    ``"max_time"``), or None."""
    if search.at_floor():
        return "floor"
    if search.n_steps >= max_steps:
        return "max_steps"
    if search.out_of_time(expected):
        return "max_time"
    return None


#: Largest chunk of mGLS candidates solved in one sweep.
MGLS_MAX_CHUNK = 64


def _candidate_groups(search: _LocalSearch, rng: np.random.Generator):
    """The mGLS candidates (appendix G) as groups in order, each a list of patterns (the first
    group: the all-tight-flipped pattern, when it is a vertex) or of moves (the moves flipping a
    tight constraint, then the others, each in random order). A group's order is drawn only when
    the search reaches it."""
    tight = np.asarray(search.solution.tight, dtype=bool)
    A = search.pattern
    if tight.any():
        flipped = A ^ tight
        if _rows_are_vertices(search, flipped, tight):
            yield "patterns", [flipped]
    moves = search.moves()
    first = [mv for mv in moves if tight[mv[0], list(mv[1])].any()]
    rest = [mv for mv in moves if not tight[mv[0], list(mv[1])].any()]
    for group in (first, rest):
        yield "moves", [group[k] for k in rng.permutation(len(group))]


def _rows_are_vertices(search: _LocalSearch, flipped: np.ndarray, tight: np.ndarray) -> bool:
    """Whether every row of ``flipped`` (the current pattern with its ``tight`` constraints
    flipped) that changed is a vertex of Z, exactly: a witness from the current optimum (its
    tight examples pushed to their new sides), checked by exact signs, else an LP per row
    (:meth:`RegionProgram.non_vertex_units <zonocomb.convex.region.RegionProgram.non_vertex_units>`).
    """
    return not search.program.non_vertex_units(flipped, search.solution.W, units=np.flatnonzero(tight.any(axis=1)),
                                               zonotope=search.zonotope)


#: What :func:`_first_improvement` returns when ``max_time`` ran out before it decided.
_OUT_OF_TIME = object()


def _first_improvement(search: _LocalSearch, rng: np.random.Generator):
    """(pattern, solution) of the first improving candidate in mGLS order, None at a local
    minimum, or ``_OUT_OF_TIME`` when ``max_time`` passes first (checked before every solve or
    sweep)."""
    chunk = max(1, search.program.threads)
    for kind, items in _candidate_groups(search, rng):
        if search.out_of_time():
            return _OUT_OF_TIME
        if kind == "patterns":
            for A in items:
                key = pattern_key(A)
                if search.known_not_to_improve(key):
                    continue
                sol = search.program.solve(A, warm_start=search.solution)
                search.remember(key, sol.loss)
                if search.improves(sol.loss):
                    return A, sol
            if search.out_of_time():  # before the neighbours are listed (their walls are computed)
                return _OUT_OF_TIME
            continue
        start = 0
        while start < len(items):
            if search.out_of_time():
                return _OUT_OF_TIME
            batch = items[start:start + chunk]
            losses = search.evaluate(batch)
            for k, value in enumerate(losses):
                if search.improves(value):
                    return search.solution_of(batch[k])
            start += len(batch)
            chunk = min(2 * chunk, MGLS_MAX_CHUNK)
    return None
