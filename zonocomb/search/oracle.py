"""A cached loss oracle on the vertices of Z^m, for writing graph searches (paper §3, §4.3.1).

A vertex A of Z^m (an (m, N) activation pattern whose rows are vertex barcodes of Z, appendix
A.3.1) has the loss L*(A), the optimum of the region program (3) for fixed output weights ``v``.
:class:`RegionOracle` maps vertices to their certified optima, caches them, and exposes the
1-skeleton (moves, neighbours, random vertices), so a search over Z^m is a plain function of an
oracle and a random generator, in the style of networkx algorithms::

    def descend(oracle, A):
        while True:
            best = min(oracle.neighbor_solutions(A), key=lambda s: s.loss, default=None)
            ...

:func:`zonocomb.search.simulated_annealing` and :func:`zonocomb.search.tabu_search` are written
this way.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..convex.region import RegionProgram
from ..errors import InvalidInputError
from ..geometry.power import ZonotopePower
from ..validation import check_int
from ._common import half_output_weights, pattern_key
from .result import SearchResult

__all__ = ["RegionOracle", "CERTIFIED_STATUSES", "oracle_for", "search_result"]

#: Statuses of :class:`~zonocomb.convex.region.RegionSolution` whose loss is certified: a KKT check
#: of the fast backend (``"optimal"``), the reference backend after a failed check
#: (``"optimal_fallback"``), or the fast backend's bound for unattained logistic infima
#: (``"optimal_unattained"``), a KKT check in a compiled logistic sweep that did not decide
#: attainment (``"optimal_loss"``), or the dual test of a neighbour sweep showing that a vertex's
#: optimum is its neighbour's (``"screened"``). ``"optimal_inaccurate"`` (reduced accuracy) is not.
CERTIFIED_STATUSES = ("optimal", "optimal_fallback", "optimal_unattained", "optimal_loss", "screened")


class RegionOracle:
    """Vertex of Z^m → optimum of the region program (paper eq. 3), cached, with the skeleton's moves.

    Parameters
    ----------
    dataset : Dataset
        Labelled data; the generators x̄_i define Z (paper eq. 6).
    v : array-like of shape (m,)
        Fixed output weights; m = len(v) units.
    loss : {"mse", "logistic", "l1"}
    fit_bias : bool, default True
        Optimise the output bias ``c`` in every program (appendix H).
    backend : str, default "fast"
        Backend of :class:`~zonocomb.convex.region.RegionProgram`.
    alpha : float, default 0.0
        Weight decay ``alpha`` ‖W‖²_F added to every program (:class:`~zonocomb.convex.region.RegionProgram`).
    cache_size : int or None, default None
        Keep at most this many solutions (least recently used dropped first); None keeps all,
        0 none.
    zonotope : Zonotope, optional
        The dataset's zonotope, if already built: its caches are reused (with its vertices
        enumerated, vertex and edge tests are set lookups instead of LPs).

    Attributes
    ----------
    program : RegionProgram
    power : ZonotopePower
        The skeleton of Z^m (moves, neighbours, random vertices).
    n_hits : int
        Lookups answered from the cache.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, loss, ``v``, backend, ``alpha`` or ``cache_size``.

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[0], [1], [2], [3]], y=[0, 1, 2, 3])
    >>> oracle = RegionOracle(ds, v=[1.0])
    >>> A = oracle.random_vertex(0)
    >>> sols = oracle.neighbor_solutions(A)
    >>> len(sols) == len(oracle.moves(A)), oracle.n_solves == 1 + len(sols)
    (True, True)

    Notes
    -----
    The batch :meth:`neighbor_solutions` is the one place that solves many programs; it hands the
    uncached neighbours to :meth:`RegionProgram.sweep` (compiled, all cores, each neighbour
    warm-started from the vertex's own optimum). Cost: one program (3) per uncached vertex, O(mN)
    per vertex's moves (:meth:`ZonotopePower.neighbor_moves`).
    """

    def __init__(self, dataset, v, loss="mse", fit_bias=True, backend="fast", cache_size=None,
                 zonotope=None, alpha=0.0):
        self.program = RegionProgram(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend, alpha=alpha)
        if zonotope is None:
            zonotope = dataset.zonotope()
        elif getattr(zonotope, "generators", None) != dataset.generators_exact:
            raise InvalidInputError("zonotope must be the dataset's zonotope (same generators)")
        self.power = ZonotopePower(zonotope, self.program.m)
        self._classes = {tuple(c) for c in zonotope.parallel_classes}
        self._rows: dict[bytes, bool] = {}
        self.dataset = dataset
        self.cache_size = None if cache_size is None else check_int(cache_size, "cache_size", 0)
        self._cache: OrderedDict[bytes, object] = OrderedDict()
        self.n_hits = 0

    # ----- sizes -------------------------------------------------------------------------------------
    @property
    def m(self) -> int:
        return self.program.m

    @property
    def N(self) -> int:
        return self.program.N

    @property
    def v(self) -> np.ndarray:
        return self.program.v

    @property
    def loss_name(self) -> str:
        return self.program.loss

    @property
    def n_solves(self) -> int:
        """Region programs solved so far (cache hits not counted)."""
        return self.program.n_solves

    def __repr__(self) -> str:
        return (f"RegionOracle(N={self.N}, m={self.m}, loss={self.loss_name!r}, "
                f"cached={len(self._cache)}, solves={self.n_solves})")

    # ----- the skeleton of Z^m ----------------------------------------------------------------------
    def vertex(self, A) -> np.ndarray:
        """``A`` as an (m, N) bool array, checked to be a vertex of Z^m (exact).

        Raises
        ------
        InvalidInputError, InvalidTypeError
            Wrong shape or entries, or a row that is not a vertex barcode of Z.
        """
        if isinstance(A, np.ndarray) and A.dtype == bool and A.shape == (self.m, self.N):
            arr, ok = A, all(self._row_is_vertex(row) for row in A)
        else:
            ok = self.power.is_vertex(A)           # checks the shape and the 0/1 entries too
            arr = np.array(A, dtype=bool)
        if not ok:
            raise InvalidInputError("the pattern is not a vertex of Z^m: some row is not the "
                                    "activation pattern of any weight vector")
        return arr

    def _row_is_vertex(self, row: np.ndarray) -> bool:
        """Whether a bool row is a vertex barcode of Z (exact; cached by its bytes)."""
        key = row.tobytes()
        known = self._rows.get(key)
        if known is None:
            known = self._rows[key] = self.power.zonotope.is_vertex(tuple(int(b) for b in row))
        return known

    def moves(self, A) -> list[tuple[int, tuple[int, ...]]]:
        """The edges of Z^m at A as ``(unit, flipped example indices)``, units ascending
        (:meth:`ZonotopePower.neighbor_moves`)."""
        return self.power.neighbor_moves(A)

    @staticmethod
    def apply(A, move) -> np.ndarray:
        """The neighbour of A reached by ``move = (unit, flipped)``: a new array."""
        u, flipped = move
        B = np.array(A, dtype=bool)
        B[u, flipped] ^= True
        return B

    def neighbors(self, A) -> list[np.ndarray]:
        """The neighbours of A in the order of :meth:`moves`."""
        return self.power.neighbors(A)

    def random_vertex(self, random_state=None) -> np.ndarray:
        """The pattern of Gaussian first-layer weights, the paper's random start (§4.2, app. H)."""
        return self.power.random_vertex(random_state)

    # ----- losses -----------------------------------------------------------------------------------
    def solution(self, A, warm_start=None):
        """The optimum of program (3) at the vertex A (a :class:`RegionSolution`), cached.

        Parameters
        ----------
        A : array-like of shape (m, N)
            A vertex of Z^m.
        warm_start : RegionSolution or (W, c), optional
            Starting point for an uncached solve (a neighbour's optimum).

        Raises
        ------
        InvalidInputError
            ``A`` is not a vertex of Z^m.
        SolverError
            The backend failed.
        """
        A = self.vertex(A)
        return self._solve(A, warm_start)

    def loss(self, A) -> float:
        """L*(A), the optimal loss of program (3) at the vertex A."""
        return self.solution(A).loss

    def neighbor_solutions(self, A, moves=None, warm_start=None) -> list:
        """The optima at the neighbours of A reached by ``moves`` (default: all, in :meth:`moves`
        order); the uncached ones are solved in one :meth:`RegionProgram.sweep
        <zonocomb.convex.region.RegionProgram.sweep>` from A's optimum.

        ``warm_start`` (a RegionSolution or (W, c) optimal at A) saves solving A when it is known.
        A neighbour whose optimum the sweep certifies to be A's own has status ``"screened"``.

        Raises
        ------
        InvalidInputError
            ``A`` is not a vertex, or a move is not an edge of Z^m at A.

        Notes
        -----
        A given move ``(u, flipped)`` is checked exactly: ``flipped`` must be one parallel class
        of generators and row u with it flipped a vertex of Z (two vertices of Z that differ in
        exactly one parallel class are joined by an edge, :meth:`Zonotope.skeleton`).
        """
        A = self.vertex(A)
        here = self._solve(A, None) if warm_start is None else warm_start
        if moves is None:
            moves = self.moves(A)
        patterns = [self._neighbour(A, move) for move in moves]
        out = [self._cached(B) for B in patterns]
        todo = [j for j, sol in enumerate(out) if sol is None]
        if todo:
            sweep = self.program.sweep(A, [moves[j] for j in todo], here, solutions=True)
            for i, j in enumerate(todo):
                out[j] = self._store(patterns[j], sweep.solutions[i])
        return out

    def neighbor_losses(self, A, moves=None, warm_start=None, bound=None):
        """The optimal losses at the neighbours of A (as :meth:`neighbor_solutions`, without
        building solutions: the cheap path of :meth:`RegionProgram.sweep`).

        Parameters
        ----------
        A, moves, warm_start
            As in :meth:`neighbor_solutions`.
        bound : float, optional
            Neighbours whose certified lower bound exceeds it may be abandoned: loss NaN, status
            ``"bounded"`` (GLS passes its improvement threshold, paper Algorithm 2).

        Returns
        -------
        losses : numpy.ndarray of float
        status : tuple of str
            Cached neighbours keep their solution's status.
        """
        A = self.vertex(A)
        here = self._solve(A, None) if warm_start is None else warm_start
        if moves is None:
            moves = self.moves(A)
        known = [self._cached(self._neighbour(A, move)) for move in moves]
        losses = np.array([np.nan if sol is None else sol.loss for sol in known])
        status = [None if sol is None else sol.status for sol in known]
        todo = [j for j, sol in enumerate(known) if sol is None]
        if todo:
            sweep = self.program.sweep(A, [moves[j] for j in todo], here, bound=bound)
            losses[todo] = sweep.loss
            for i, j in enumerate(todo):
                status[j] = sweep.status[i]
        return losses, tuple(status)

    def _neighbour(self, A: np.ndarray, move) -> np.ndarray:
        u, flipped = move
        if not (0 <= u < self.m) or tuple(sorted(flipped)) not in self._classes:
            raise InvalidInputError(f"move {move} is not an edge of Z^m: it must move one unit "
                                    "(0 <= unit < m) across one parallel class of examples")
        B = self.apply(A, move)
        if not self._row_is_vertex(B[u]):
            raise InvalidInputError(f"move {move} is not an edge of Z^m at this vertex: unit {u}'s "
                                    "new pattern is not a vertex of Z")
        return B

    def _cached(self, A: np.ndarray):
        """A's cached solution (marked as recently used), or None."""
        if self.cache_size == 0:
            return None
        key = pattern_key(A)
        sol = self._cache.get(key)
        if sol is not None:
            self.n_hits += 1
            self._cache.move_to_end(key)
        return sol

    def _store(self, A: np.ndarray, sol):
        if self.cache_size != 0:
            self._cache[pattern_key(A)] = sol
            while self.cache_size is not None and len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return sol

    def _solve(self, A: np.ndarray, warm_start):
        sol = self._cached(A)
        return sol if sol is not None else self._store(A, self.program.solve(A, warm_start=warm_start))


def oracle_for(dataset, m, loss, fit_bias, backend, v, oracle, alpha=0.0) -> RegionOracle:
    """The oracle a search runs on: ``oracle`` if given (checked against m), else a new one with
    ``v`` (default half +1, half −1, appendix H) and weight decay ``alpha``."""
    if oracle is not None:
        if not isinstance(oracle, RegionOracle):
            raise InvalidInputError(f"oracle must be a RegionOracle, got {type(oracle).__name__}")
        if oracle.m != check_int(m, "m (number of units)", 1):
            raise InvalidInputError(f"the oracle has {oracle.m} units, not m = {m}")
        return oracle
    m = check_int(m, "m (number of units)", 1)
    return RegionOracle(dataset, half_output_weights(m) if v is None else v, loss=loss,
                        fit_bias=fit_bias, backend=backend, alpha=alpha)


def search_result(oracle: RegionOracle, method: str, pattern, sol, trace, n_steps, seconds, info):
    """A :class:`SearchResult` for the vertex ``pattern`` and its optimum ``sol`` (its own network)."""
    ds = oracle.dataset
    return SearchResult(loss=sol.loss, pattern=np.array(pattern, dtype=bool), W=np.asarray(sol.W),
                        v=oracle.v, c=float(sol.c), trace=trace, n_solves=oracle.n_solves,
                        n_steps=n_steps, seconds=seconds, method=method, homogenize=ds.homogenize,
                        loss_name=oracle.loss_name, info=info)
