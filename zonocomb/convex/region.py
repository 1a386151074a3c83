"""The convex program of one activation region (paper eq. 3, with the variants of appendix H).

For a dataset with generators x̄_1..x̄_N ∈ R^n (rows of ``Dataset.generators_float``), labels y,
an activation pattern A ∈ {0,1}^{m×N} (row u is unit u's barcode, a vertex of the zonotope when A
is feasible, paper section 3) and fixed output weights v ∈ R^m, the region program is

    minimise over W ∈ R^{m×n}, c ∈ R     (1/N) Σ_i ℓ( Σ_u v_u A_ui (w_u·x̄_i) + c , y_i )
    subject to                           (2A_ui − 1)(w_u·x̄_i) ≥ 0   for all u, i,

with c fixed at 0 when ``fit_bias=False`` (section 2) and optimised when ``fit_bias=True``
(appendix H.1.2, H.2.2). It is convex: a QP for ``"mse"``, an LP for ``"l1"``, a smooth convex
program for ``"logistic"``. W = 0 is always feasible, so the program is never infeasible; for the
logistic loss the infimum may not be attained (a region with a recession direction that separates
some labels). The fast backend then returns a point far along that direction, whose loss exceeds
the infimum by less than 4.3e-18, with status ``"optimal_unattained"``
(:mod:`zonocomb.convex.backends.fast`); the reference solvers stop short of the infimum or fail.

Everything here is floating point. The loss reported is the objective of eq. (3) evaluated at the
returned (W, c) — the same formula for every backend — so two backends are compared on equal terms.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, SolverError
from ..geometry.dataset import Dataset
from .backends import RegionData, SolveStatus, backend_spec, get_backend
from .losses import check_labels, check_loss, mean_loss

__all__ = ["RegionSolution", "NeighbourSweep", "RegionProgram", "SolveStatus", "solve_region", "check_pattern",
           "check_output_weights",
           "TIGHT_SET_RTOL"]

#: A constraint (u, i) is in a solution's reported tight set (``RegionSolution.tight``, which mGLS
#: flips first) when |w_u·x̄_i| ≤ TIGHT_SET_RTOL · ‖x̄_i‖ · max_u' ‖w_u'‖.
TIGHT_SET_RTOL = 1e-7


def __getattr__(name):
    if name == "TIGHT_RTOL":                  # the old name, one release
        warnings.warn("zonocomb.convex.region.TIGHT_RTOL is renamed TIGHT_SET_RTOL", DeprecationWarning,
                      stacklevel=2)
        return TIGHT_SET_RTOL
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class RegionSolution:
    """Optimum of the region program (paper eq. 3) for one activation pattern.

    Attributes
    ----------
    loss : float
        Mean loss (1/N) Σ_i ℓ(ŷ_i, y_i) of eq. (3) at (W, c).
    W : ndarray, shape (m, n)
        First-layer weights; for homogenized data the last column holds the unit biases.
    v : ndarray, shape (m,)
        The fixed output weights.
    c : float
        Output bias (0 when ``fit_bias=False``).
    tight : ndarray of bool, shape (m, N)
        Constraints holding with equality at the optimum, within the float tolerance
        |w_u·x̄_i| ≤ ``TIGHT_SET_RTOL`` ‖x̄_i‖ max_u' ‖w_u'‖ (all of a unit's constraints are tight when
        w_u = 0), measured after the solver's power-of-two rescaling of badly scaled columns and
        labels (invariant under scaling of the data). mGLS flips these first (appendix G).
    status : SolveStatus
        ``OPTIMAL``, ``OPTIMAL_INACCURATE`` (a warning was issued), ``OPTIMAL_FALLBACK`` (the fast
        backend handed this pattern to the reference backend; a warning was issued),
        ``OPTIMAL_UNATTAINED`` (logistic, fast backend: the infimum is not attained; W lies on a
        recession ray and ``loss`` — still the loss of this W and c — exceeds the infimum by less
        than 4.3e-18, see :mod:`zonocomb.convex.backends.fast`), or in a sweep ``SCREENED`` (the
        neighbouring vertex's optimum, certified by the dual test). A :class:`str` enum: it
        compares equal to ``"optimal"`` etc.
    seconds : float
        Wall time of the solve.
    backend : str
        Name of the backend that produced the solution.
    n_iter : int
        Iterations the backend reported (face steps and pricing rounds for the fast backend;
        0 when not reported).
    """

    loss: float
    W: np.ndarray
    v: np.ndarray
    c: float
    tight: np.ndarray
    status: SolveStatus
    seconds: float
    backend: str
    n_iter: int = 0


@dataclass(frozen=True)
class NeighbourSweep:
    """The region programs of the neighbours of one vertex (:meth:`RegionProgram.sweep`).

    Attributes
    ----------
    loss : ndarray of float, shape (k,)
        Optimal mean loss of eq. (3) at each neighbour, in the order of the moves; NaN where the
        neighbour was abandoned (``status`` "bounded").
    lower_bound : ndarray of float, shape (k,)
        A certified lower bound of each optimum: the loss itself, or the vertex's loss for a
        screened or abandoned neighbour.
    status : tuple of SolveStatus
        Per neighbour: ``"optimal"`` (solved in the sweep, KKT-certified), ``"screened"`` (the
        vertex's optimum is the neighbour's, certified by the dual test of
        :meth:`RegionProgram.sweep`), ``"bounded"`` (abandoned: its lower bound exceeds the
        bound), or the status of a :class:`RegionSolution` when it was solved on its own
        (``"optimal"``, ``"optimal_fallback"``, ``"optimal_unattained"``).
    solutions : dict
        Solutions of the neighbours solved on their own (index → :class:`RegionSolution`), and of
        every neighbour when the sweep was asked for them.
    seconds : float
        Wall time of the sweep.
    threads : int
        Threads the compiled sweep used (1 when the neighbours were solved one by one).
    """

    loss: np.ndarray
    lower_bound: np.ndarray
    status: tuple
    solutions: dict
    seconds: float
    threads: int

    @property
    def n_solved(self) -> int:
        """Neighbours whose optimum was computed or certified (all but the abandoned ones)."""
        return sum(s != "bounded" for s in self.status)


class RegionProgram:
    """The region programs of one dataset, output weights and loss, built once and solved per pattern.

    Parameters
    ----------
    dataset : Dataset
        Must carry labels; the generators x̄_i are ``dataset.generators_float``.
    v : array-like of shape (m,)
        Fixed output weights (finite).
    loss : {"mse", "logistic", "l1"}, default "mse"
    fit_bias : bool, default True
        Optimise the output bias c (appendix H); if False, c = 0 (section 2).
    backend : {"fast", "cvxpy", "reference"}, default "fast"
        ``"cvxpy"``/``"reference"``: cvxpy + ECOS as in the paper; ``"fast"``: see
        :mod:`zonocomb.convex.backends.fast`.
    alpha : float, default 0.0
        Weight decay: the objective becomes the mean loss plus ``alpha`` ‖W‖²_F (still a convex QP
        for the MSE, and convex and coercive for the logistic loss, so that its minimum is always
        attained and the weights stay finite). Smooth losses only.

    Attributes
    ----------
    n_solves : int
        Number of region programs solved so far (the cost measure of the search algorithms).

    Raises
    ------
    InvalidTypeError
        ``dataset`` is not a Dataset.
    InvalidInputError
        Missing labels, labels outside {0, 1} for the logistic loss, an unknown loss or backend,
        output weights that are empty, not one-dimensional or not finite, or a negative or
        non-finite ``alpha`` (or ``alpha`` > 0 with the l1 loss).

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[0], [1], [2], [3]], y=[0, 1, 2, 3])
    >>> prog = RegionProgram(ds, v=[1.0])
    >>> sol = prog.solve((0, 1, 1, 1))            # a barcode: unit active on examples 1, 2, 3
    >>> round(sol.loss, 12), prog.n_solves
    (0.0, 1)

    References
    ----------
    Matena & Raffel, "A Combinatorial Perspective on the Optimization of Shallow ReLU Networks",
    eq. (3) and appendix H.
    """

    def __init__(self, dataset, v, loss: str = "mse", fit_bias: bool = True, backend: str = "fast",
                 alpha: float = 0.0):
        if not isinstance(dataset, Dataset):
            raise InvalidTypeError(f"dataset must be a zonocomb Dataset, got {type(dataset).__name__}")
        loss = check_loss(loss)
        spec = backend_spec(backend, loss)
        if not isinstance(fit_bias, (bool, np.bool_)):
            raise InvalidTypeError(f"fit_bias must be a bool, got {fit_bias!r}")
        y = check_labels(loss, dataset.require_labels())
        if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
                or not (np.isfinite(alpha) and alpha >= 0):
            raise InvalidInputError(f"alpha (weight decay) must be a finite number >= 0, got {alpha!r}")
        if alpha > 0 and loss == "l1":
            raise InvalidInputError("alpha (weight decay) needs a smooth loss (mse or logistic); the l1 "
                                    "region program is a linear program")
        self.alpha = float(alpha)
        self.dataset = dataset
        self.v = check_output_weights(v)
        self.loss = loss
        self.fit_bias = bool(fit_bias)
        self.backend = spec.name
        self._data = RegionData(Xbar=np.ascontiguousarray(dataset.generators_float, dtype=float),
                                y=y, v=self.v, loss=loss, fit_bias=self.fit_bias, alpha=self.alpha)
        self._col_scale, self._label_scale = _scales(self._data)
        scaled = RegionData(Xbar=np.ascontiguousarray(self._data.Xbar / self._col_scale),
                            y=y / self._label_scale, v=self.v, loss=loss, fit_bias=self.fit_bias,
                            alpha=self.alpha)
        self._solver = get_backend(spec.name, loss)(scaled)
        self._XT = np.ascontiguousarray(self._data.Xbar.T)
        #: TIGHT_SET_RTOL ‖x̄_i‖ (the tight set's tolerance, per example, before the factor max ‖w_u‖)
        self._tight_tol = TIGHT_SET_RTOL * np.linalg.norm(scaled.Xbar, axis=1)
        self.n_solves = 0

    @property
    def m(self) -> int:
        """Number of hidden units."""
        return self._data.m

    @property
    def N(self) -> int:
        """Number of examples."""
        return self._data.N

    @property
    def n(self) -> int:
        """Dimension of one unit's weight vector (d + 1 for homogenized data)."""
        return self._data.n

    @property
    def threads(self) -> int:
        """Threads a :meth:`sweep` uses: by default the machine's cores for the fast backend with a
        smooth loss, else 1 (settable; results do not depend on it)."""
        return getattr(self._solver, "threads", 1)

    @threads.setter
    def threads(self, value: int) -> None:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"threads must be a positive integer, got {value!r}")
        if hasattr(self._solver, "threads"):
            self._solver.threads = int(value)

    def pattern_array(self, pattern) -> np.ndarray:
        """Validate ``pattern`` and return it as an (m, N) bool array.

        Accepts an (m, N) array-like of 0/1 or bool, or, when m = 1, a barcode of length N.
        """
        return check_pattern(pattern, self.m, self.N)

    def objective(self, pattern, W, c=0.0) -> float:
        """Objective of eq. (3): mean loss of ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c, plus ``alpha`` ‖W‖²
        (constraints not checked)."""
        W = np.asarray(W, dtype=float)
        return self._objective(self.pattern_array(pattern), W @ self._XT, c, W)

    def _objective(self, A: np.ndarray, P: np.ndarray, c, W: np.ndarray) -> float:
        """Objective of eq. (3) (plus the weight decay ``alpha`` ‖W‖²) from the pattern A, the
        preactivations P = W X̄ᵀ ((m, N)) and W."""
        decay = self.alpha * float(np.sum(np.square(W))) if self.alpha else 0.0
        return mean_loss(self.loss, self.v @ (A * P) + float(c), self._data.y) + decay

    def network_loss(self, W, c=0.0) -> float:
        """Mean loss of the ReLU network f(x) = vᵀ φ(W x̄) + c on the dataset (paper eq. 1)."""
        W = np.asarray(W, dtype=float)
        yhat = np.maximum(self._data.Xbar @ W.T, 0.0) @ self.v + float(c)
        return mean_loss(self.loss, yhat, self._data.y)

    def solve(self, pattern, warm_start=None) -> RegionSolution:
        """Solve the region program of ``pattern``.

        Parameters
        ----------
        pattern : array-like
            (m, N) 0/1 pattern, or for m = 1 a barcode.
        warm_start : RegionSolution or (W, c), optional
            A nearby region's optimum (e.g. the current vertex in a local search). Used by the fast
            backend as its starting point; ignored by the reference backend.

        Returns
        -------
        RegionSolution

        Raises
        ------
        InvalidInputError
            Malformed pattern or warm start.
        SolverError
            The solver failed (it never returns a loss it did not converge to silently).
        """
        A = self.pattern_array(pattern)
        warm = self._check_warm_start(warm_start)
        t0 = time.perf_counter()
        res = self._solver.solve(A, self._to_solver(warm))
        seconds = time.perf_counter() - t0
        self.n_solves += 1
        if res.status == "optimal_inaccurate":
            warnings.warn(f"backend {self.backend!r} reports reduced accuracy on this region program",
                          RuntimeWarning, stacklevel=2)
        return self._solution(A, *self._from_solver(res.W, res.c), res.status, seconds, res.n_iter)

    def sweep(self, pattern, moves, warm_start, bound: float | None = None,
              solutions: bool = False) -> NeighbourSweep:
        """Solve the region programs of many neighbours of one vertex in one call.

        Neighbour k of the vertex ``pattern`` flips the examples ``moves[k][1]`` in the row of unit
        ``moves[k][0]`` (the moves of :meth:`ZonotopePower.neighbor_moves
        <zonocomb.geometry.power.ZonotopePower.neighbor_moves>`: one unit moves along one edge of
        Z, paper appendix A.3.1). ``warm_start`` is the vertex's optimum, a
        :class:`RegionSolution` of ``pattern`` or a pair (W, c) of it.

        With the fast backend and a smooth loss the neighbours are solved by the compiled kernel
        in one call, on all cores (:meth:`RegionKernel.sweep
        <zonocomb.convex.backends.kernel.RegionKernel.sweep>`). Each neighbour is first screened:
        a dual test at the vertex's optimum (one non-negative least squares in R^n) certifies
        that the neighbour's optimum is at least the vertex's loss, and, when every flipped
        constraint is tight there, that the vertex's optimum *is* the neighbour's. A neighbour
        whose certified lower bound exceeds ``bound`` is abandoned (loss NaN, status
        ``"bounded"``); so a search that asks only for neighbours below ``bound`` — GLS with
        ``bound`` = its improvement threshold — sees exactly the neighbours it would see by
        solving all of them. Every other neighbour is solved from the vertex's optimum and
        KKT-certified; one the kernel does not settle there (it stopped, or its answer failed the
        certificate) is solved from the cold start and then, if need be, by the reference backend
        (status ``"optimal_fallback"``, with a warning). Other backends and losses solve the
        neighbours one by one with :meth:`solve`. Results do not depend on the number of threads.

        Parameters
        ----------
        pattern : array-like
            The vertex, an (m, N) 0/1 pattern.
        moves : sequence of (int, sequence of int)
            (unit, flipped example indices) per neighbour.
        warm_start : RegionSolution or (W, c)
            The optimum of ``pattern``.
        bound : float, optional
            Abandon neighbours whose certified lower bound exceeds it.
        solutions : bool, default False
            Also return every neighbour's :class:`RegionSolution` (memory k m n floats).

        Returns
        -------
        NeighbourSweep

        Raises
        ------
        InvalidInputError
            Malformed pattern, moves, warm start or bound.
        SolverError
            A neighbour could not be solved by any backend.
        """
        A = self.pattern_array(pattern)
        moves = self._check_moves(moves)
        warm = self._check_warm_start(warm_start)
        if warm is None:
            raise InvalidInputError("sweep needs the vertex's optimum as warm_start")
        if bound is not None and (isinstance(bound, bool) or not np.isfinite(float(bound))):
            raise InvalidInputError(f"bound must be a finite number or None, got {bound!r}")
        W, c = warm
        base_loss = self._objective(A, W @ self._XT, c, W)
        t0 = time.perf_counter()
        k = len(moves)
        unit = self._loss_unit()                                  # the solver's loss is loss / unit
        outcome = self._solver.sweep(A, moves, self._to_solver(warm), base_loss / unit,
                                     bound=None if bound is None else float(bound) / unit,
                                     solutions=solutions) if k and hasattr(self._solver, "sweep") else None
        if outcome is None:
            status = ["failed"] * k
            loss, lower = np.full(k, np.nan), np.full(k, -np.inf)
            threads = 1
        else:
            status = [SolveStatus.OPTIMAL if s == "solved" else SolveStatus(s) if s != "failed" else "failed"
                      for s in outcome.status]
            loss, lower = unit * outcome.loss, unit * outcome.lower_bound
            screened = np.array(status) == "screened"
            loss[screened] = base_loss                            # (the vertex's own optimum)
            lower[screened | (np.array(status) == "bounded")] = base_loss
            threads = outcome.threads
        found = {}
        for j in range(k):
            if status[j] != "failed":
                if solutions and status[j] != "bounded":
                    found[j] = self._solution(self._moved(A, moves[j]),
                                              *self._from_solver(outcome.W[j], outcome.c[j]), status[j], 0.0)
                continue
            B = self._moved(A, moves[j])
            if outcome is None:
                sol = self.solve(B, warm_start=warm)
                self.n_solves -= 1                              # (counted once below)
            else:                                               # the kernel tried from warm already
                t1 = time.perf_counter()
                res = self._solver.solve_unsettled(B)
                sol = self._solution(B, *self._from_solver(res.W, res.c), res.status,
                                     time.perf_counter() - t1, res.n_iter)
            found[j] = sol
            loss[j] = lower[j] = sol.loss
            status[j] = sol.status
        self.n_solves += sum(s != "bounded" for s in status)
        return NeighbourSweep(loss=loss, lower_bound=lower, status=tuple(status), solutions=found,
                              seconds=time.perf_counter() - t0, threads=threads)

    def _to_solver(self, warm):
        """A point (W, c) of the program in the solver's scaled units (None stays None)."""
        if warm is None:
            return None
        W, c = warm
        t = self._label_scale
        return np.asarray(W, dtype=float) * (self._col_scale / t), float(c) / t

    def _from_solver(self, W, c):
        """A point (W, c) of the solver's scaled program in the program's units."""
        t = self._label_scale
        return np.asarray(W, dtype=float) * (t / self._col_scale), float(c) * t

    def _loss_unit(self) -> float:
        """The program's loss over the scaled solver's: t² for the MSE, t for l1, 1 for logistic."""
        t = self._label_scale
        return {"mse": t * t, "l1": t, "logistic": 1.0}[self.loss]

    @staticmethod
    def _moved(A: np.ndarray, move) -> np.ndarray:
        """The pattern A with ``move`` = (unit, flipped examples) applied."""
        B = A.copy()
        B[move[0], list(move[1])] ^= True
        return B

    def _check_moves(self, moves) -> list:
        """``moves`` as a list of (unit, tuple of example indices), validated."""
        try:
            out = [(int(u), tuple(int(i) for i in flipped)) for u, flipped in moves]
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"moves must be pairs (unit, flipped example indices): {exc}") from exc
        for u, flipped in out:
            if not 0 <= u < self.m or not flipped or not all(0 <= i < self.N for i in flipped) \
                    or len(set(flipped)) != len(flipped):
                raise InvalidInputError(f"move ({u}, {flipped}) is not a unit of {self.m} and a non-empty set "
                                        f"of distinct examples of {self.N}")
        return out

    def _solution(self, A: np.ndarray, W, c: float, status, seconds: float, n_iter: int = 0) -> RegionSolution:
        """The RegionSolution of (W, c) for the pattern A (loss and tight set computed here)."""
        W = np.array(W, dtype=float)
        if W.shape != (self.m, self.n) or not np.isfinite(W).all() or not np.isfinite(c):
            raise SolverError(f"backend {self.backend!r} returned a non-finite or malformed solution "
                              f"(status {status!r})")
        P = W @ self._XT                                              # preactivations w_u·x̄_i
        loss = self._objective(A, P, c, W)
        W.setflags(write=False)
        return RegionSolution(loss=loss, W=W, v=self.v, c=float(c), tight=self._tight(W, P),
                              status=SolveStatus(status), seconds=seconds, backend=self.backend,
                              n_iter=int(n_iter))

    def _tight(self, W: np.ndarray, P: np.ndarray) -> np.ndarray:
        """|w_u·x̄_i| ≤ TIGHT_SET_RTOL ‖x̄_i‖ max_u' ‖w_u'‖ (P = W X̄ᵀ), read-only, measured in the
        solver's scaled units (``_scales``), so that it does not change when the data are scaled."""
        Ws = W * (self._col_scale / self._label_scale)
        wmax = float(np.sqrt(np.einsum("uj,uj->u", Ws, Ws).max())) * self._label_scale
        tight = np.abs(P) <= wmax * self._tight_tol
        tight.setflags(write=False)
        return tight

    def _check_warm_start(self, warm_start):
        if warm_start is None:
            return None
        if isinstance(warm_start, tuple) and len(warm_start) == 2:
            W, c = warm_start
        elif hasattr(warm_start, "W") and hasattr(warm_start, "c"):
            W, c = warm_start.W, warm_start.c
        else:
            raise InvalidInputError("warm_start must be a RegionSolution, a pair (W, c), or None")
        W = np.asarray(W, dtype=float)
        if W.shape != (self.m, self.n) or not np.all(np.isfinite(W)) or not np.isfinite(float(c)):
            raise InvalidInputError(f"warm_start W must be a finite ({self.m}, {self.n}) array "
                                    f"with finite c, got shape {W.shape}")
        return W, float(c)


def solve_region(dataset, pattern, v, loss: str = "mse", fit_bias: bool = True,
                 backend: str = "fast", alpha: float = 0.0) -> RegionSolution:
    """Solve the convex program of one activation region (paper eq. 3).

    One-shot convenience around :class:`RegionProgram`; search loops should build a
    ``RegionProgram`` once and call its ``solve``.

    Parameters
    ----------
    dataset : Dataset
        Labelled dataset.
    pattern : array-like
        Activation pattern A ∈ {0,1}^{m×N} (bool or 0/1), or a barcode (length-N tuple) when m = 1.
    v : array-like of shape (m,)
        Fixed output weights.
    loss : {"mse", "logistic", "l1"}
    fit_bias : bool
        Optimise the output bias c (appendix H) or fix it at 0 (section 2).
    backend : {"fast", "cvxpy", "reference"}
    alpha : float, default 0.0
        Weight decay ``alpha`` ‖W‖² added to the objective (see :class:`RegionProgram`).

    Returns
    -------
    RegionSolution

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[-1], [0], [1], [2]], y=[0, 0, 1, 2])
    >>> sol = solve_region(ds, [[0, 0, 1, 1]], v=[1.0], fit_bias=False)
    >>> round(sol.loss, 9), sol.W.round(6).tolist()
    (0.0, [[1.0, 0.0]])
    """
    return RegionProgram(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend, alpha=alpha).solve(pattern)


def check_output_weights(v, m: int | None = None) -> np.ndarray:
    """Return the output weights ``v`` as a read-only finite 1-D float array (of length ``m`` if given).

    Raises
    ------
    InvalidTypeError
        Entries that are not numbers.
    InvalidInputError
        Empty or not 1-D, a non-finite entry (named by index), or a length other than ``m``.
    """
    try:
        arr = np.array(v, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"output weights v must be numbers, got {v!r}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(f"output weights v must be a non-empty 1-D array, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InvalidInputError(f"output weight v[{int(bad[0])}] is not finite ({arr[bad[0]]!r})")
    if m is not None and arr.size != m:
        raise InvalidInputError(f"output weights v have length {arr.size}, expected {m}")
    arr.setflags(write=False)
    return arr


def check_pattern(pattern, m: int, N: int) -> np.ndarray:
    """An activation pattern as an (m, N) bool array (a copy): an (m, N) array-like of 0/1 or bool,
    or, when m = 1, a barcode of length N.

    Raises
    ------
    InvalidInputError
        Another shape, or entries other than 0/1.
    """
    try:
        arr = np.asarray(pattern)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"pattern is not an array of 0/1 entries: {exc}") from exc
    if arr.ndim == 1 and m == 1:
        arr = arr[None, :]
    if arr.shape != (m, N):
        raise InvalidInputError(f"pattern has shape {arr.shape}, expected ({m}, {N}) "
                                f"(units × examples{'; or a barcode of length N' if m == 1 else ''})")
    if arr.dtype == bool:
        return arr.copy()
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(f"pattern entries must be 0/1 or bool, got dtype {arr.dtype}")
    bad = np.argwhere((arr != 0) & (arr != 1))
    if bad.size:
        u, i = (int(k) for k in bad[0])
        raise InvalidInputError(f"pattern entry ({u}, {i}) is {arr[u, i]!r}; entries must be 0 or 1")
    return arr.astype(bool)


#: Columns of X̄ and labels whose largest magnitude lies outside [1/SCALE_BAND, SCALE_BAND] are
#: rescaled by a power of two for the solver.
SCALE_BAND = 16.0


def _scales(data: RegionData) -> tuple[np.ndarray, float]:
    """Powers of two (s_j per column of X̄, t for the labels) that bring each column's and the
    labels' largest magnitude into [1/2, 1) when it lies outside [1/SCALE_BAND, SCALE_BAND], else 1.

    The region program of (X̄ / s, y / t) is that of (X̄, y) with w_u → w_u ∘ s / t, c → c / t and
    the MSE divided by t² (the l1 loss by t; logistic labels are not scaled): every activation pattern
    and region is the same, and dividing by a power of two is exact. So features and labels scaled
    by 1e±8 give the solver the same well-scaled problem. With weight decay the columns are not
    scaled (α ‖W‖² would change), the labels are (the MSE with decay α ‖W‖² divides by t² as a
    whole).
    """
    def power_of_two(magnitude: float) -> float:
        if magnitude == 0.0 or 1.0 / SCALE_BAND <= magnitude <= SCALE_BAND:
            return 1.0
        return float(2.0 ** np.ceil(np.log2(magnitude)))
    cols = np.array([power_of_two(float(x)) for x in np.max(np.abs(data.Xbar), axis=0)])
    if data.alpha > 0.0:                      # ‖W‖² is not invariant under column scaling
        cols = np.ones_like(cols)
    t = 1.0 if data.loss == "logistic" else power_of_two(float(np.max(np.abs(data.y))))
    return cols, t
