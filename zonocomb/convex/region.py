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
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Mapping, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError, InvalidTypeError, NotAVertexWarning, SolverError
from ..exact.predicates import dot_signs
from ..geometry.dataset import Dataset
from ..geometry.zonotope import Zonotope
from ..validation import check_bool
from .backends import BackendSpec, RegionData, SolveStatus, backend_spec
from .backends.kernel import PackedMoves
from .losses import mean_loss
from .problem import RegionProblem, check_output_weights

if TYPE_CHECKING:
    from .backends.kernel import RegionKernel

__all__ = ["RegionSolution", "NeighbourSweep", "StarSolves", "RegionProgram", "RegionProblem", "SolveStatus",
           "solve_region", "check_pattern", "check_pattern_stack", "check_output_weights", "exact_signs", "realising_weights", "NotAVertexWarning",
           "TIGHT_SET_RTOL"]

#: A starting point of a solve: a :class:`RegionSolution` of a nearby pattern, or a pair (W, c).
WarmStart = Union["RegionSolution", Tuple[ArrayLike, float]]
#: A move of :meth:`RegionProgram.sweep`: (unit, the examples whose entries flip).
Move = Tuple[int, Sequence[int]]

#: A constraint (u, i) is in a solution's reported tight set (``RegionSolution.tight``, which mGLS
#: flips first) when |w_u·x̄_i| ≤ TIGHT_SET_RTOL · ‖x̄_i‖ · max_u' ‖w_u'‖.
TIGHT_SET_RTOL = 1e-7

#: The statuses of a neighbour in the compiled sweep (:class:`~zonocomb.convex.backends.kernel.SweepOutcome`)
#: as statuses of :class:`NeighbourSweep` ("failed" ones are solved on their own afterwards).
_SWEEP_STATUS = {"screened": SolveStatus.SCREENED, "bounded": SolveStatus.BOUNDED,
                 "dominated": SolveStatus.DOMINATED, "failed": "failed"}


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
        w_u = 0), measured after the solver's power-of-two rescaling of badly scaled columns,
        labels and output weights (invariant under scaling of the data). mGLS flips these first
        (appendix G).
    status : SolveStatus
        ``OPTIMAL`` (for the logistic loss with the fast backend: the infimum is attained, as
        decided in floating point by its attainment check or recession LP, see
        :mod:`zonocomb.convex.backends.fast`; exactly: :func:`zonocomb.certify.certify_attainment`;
        the reference backends' ``OPTIMAL`` is their solver's and says nothing about attainment),
        ``OPTIMAL_INACCURATE`` (a warning
        was issued), ``OPTIMAL_FALLBACK`` (the fast backend handed this pattern to the reference
        backend; a warning was issued),
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
        neighbour was abandoned (``status`` "bounded" or "dominated").
    lower_bound : ndarray of float, shape (k,)
        A certified lower bound of each optimum: the loss itself, the vertex's loss for a
        screened neighbour or one abandoned by the screening test, or the face bound of one
        abandoned by it (a sweep with ``least_only``).
    status : tuple of SolveStatus
        Per neighbour: ``"optimal"`` (solved in the sweep, KKT-certified; for the logistic loss
        without weight decay only when the sweep is asked for ``solutions``, which decides
        attainment, see :meth:`FastBackend.sweep <zonocomb.convex.backends.fast.FastBackend.sweep>`;
        otherwise ``"optimal_loss"``: the loss is certified, attainment not decided), ``"screened"`` (the
        vertex's optimum is the neighbour's, certified by the dual test of
        :meth:`RegionProgram.sweep`), ``"bounded"`` (abandoned: its lower bound exceeds the
        bound), ``"dominated"`` (a sweep with ``least_only``: abandoned, its lower bound exceeds
        the least loss found), or the status of a :class:`RegionSolution` when it was solved on its own
        (``"optimal"``, ``"optimal_fallback"``, ``"optimal_unattained"``).
    solutions : dict
        Solutions of the neighbours solved on their own (index → :class:`RegionSolution`), and of
        every neighbour when the sweep was asked for them.
    seconds : float
        Wall time of the sweep.
    threads : int
        Threads the compiled sweep used (1 when the neighbours were solved one by one).
    neighbour_seconds : ndarray of float, shape (k,)
        Time spent on each neighbour: CPU seconds of its thread in the compiled sweep (screening,
        solve, certificate), plus the wall time of a solve on its own.
    answers : dict
        When the sweep was asked for them: index → (W, c), the point found for each neighbour
        that was solved (not screened or abandoned), to start the same move's program from later
        (``starts`` of :meth:`RegionProgram.sweep`). For the logistic loss without weight decay
        it may be a point of a region whose infimum is not attained (its loss is certified).
    """

    loss: np.ndarray
    lower_bound: np.ndarray
    status: tuple[SolveStatus, ...]
    solutions: dict[int, RegionSolution]
    seconds: float
    threads: int
    neighbour_seconds: np.ndarray
    answers: dict = field(default_factory=dict)

    @property
    def n_solved(self) -> int:
        """Neighbours whose optimum was computed or certified (all but the abandoned ones)."""
        return sum(s != "bounded" for s in self.status)


@dataclass(frozen=True)
class StarSolves:
    """The region programs of S vertices and of some neighbours of each (:meth:`RegionProgram.solve_stars`).

    Attributes
    ----------
    centre_loss : ndarray of float, shape (S,)
        Optimal mean loss of eq. (3) at each vertex.
    centre_status : tuple of SolveStatus
        ``"optimal"`` (solved in the compiled call, KKT-certified; ``"optimal_loss"`` for the
        logistic loss without weight decay, whose attainment the stars do not decide) or the
        status of a :class:`RegionSolution` when the vertex was solved on its own.
    loss : ndarray of float, shape (k,)
        Optimal mean loss at each neighbour, in the order of the moves; star s owns
        ``loss[ptr[s]:ptr[s + 1]]``.
    status : tuple of SolveStatus
        Per neighbour, as :attr:`NeighbourSweep.status` (never ``"bounded"``).
    ptr : ndarray of int, shape (S + 1,)
    seconds : float
        Wall time.
    """

    centre_loss: np.ndarray
    centre_status: tuple[SolveStatus, ...]
    loss: np.ndarray
    status: tuple[SolveStatus, ...]
    ptr: np.ndarray
    seconds: float


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
    problem : RegionProblem
        The checked input (dataset, labels, v, loss, fit_bias, alpha); :meth:`from_problem` builds
        a program from one without checking it again.
    dataset : Dataset
    v : ndarray of shape (m,)
        The output weights (read-only).
    loss : str
    fit_bias : bool
    alpha : float
    backend : str
        The backend's registry name (``"fast"`` or ``"cvxpy"``).
    n_solves : int
        Number of region programs solved so far (the cost measure of the search algorithms).

    Raises
    ------
    InvalidTypeError
        ``dataset`` is not a Dataset, ``fit_bias`` not a bool.
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

    Notes
    -----
    The backend solves the program rescaled by powers of two (exact in floating point): the columns
    of X̄, the labels and each output weight v_u whose magnitude lies outside [1/16, 16] are brought
    into (1/2, 1] (``_scales``), and the answer is mapped back exactly; with weight decay, whose
    α ‖W‖² is not invariant under these scalings, only the labels are. So, without weight decay,
    output weights, features and labels of any magnitude are solved as well as those of order one,
    and the program of 2^k v has the optimum of v with W scaled by 2^−k and the same loss, bit for
    bit when the solver sees the same rescaled v (e.g. |v_u| in (1/2, 1] and 2^k |v_u| outside the
    band).

    References
    ----------
    Matena & Raffel, "A Combinatorial Perspective on the Optimization of Shallow ReLU Networks",
    eq. (3) and appendix H.
    """

    #: Number of this program's certified solutions remembered as bases whose KKT certificate a
    #: sweep does not recompute (:meth:`sweep`; oldest evicted first).
    CERTIFIED_CACHE = 64

    def __init__(self, dataset: Dataset, v: ArrayLike, loss: str = "mse", fit_bias: bool = True,
                 backend: str = "fast", alpha: float = 0.0) -> None:
        self._setup(RegionProblem(dataset, v, loss=loss, fit_bias=fit_bias, alpha=alpha), backend)

    @classmethod
    def from_problem(cls, problem: RegionProblem, backend: str | BackendSpec = "fast") -> RegionProgram:
        """The region programs of an already checked :class:`~zonocomb.convex.problem.RegionProblem`.

        The path of the searches, which check their input once at their boundary: nothing of
        ``problem`` is checked again (docs/design.md §7.4). ``backend`` is a name, looked up in the
        registry and checked against the loss, or the registry entry
        (:func:`~zonocomb.convex.backends.backend_spec`) a caller building many programs has
        looked up once.

        Raises
        ------
        InvalidTypeError
            ``problem`` is not a RegionProblem.
        InvalidInputError
            An unknown backend, or one that cannot solve the problem's loss.
        """
        if not isinstance(problem, RegionProblem):
            raise InvalidTypeError(f"problem must be a RegionProblem, got {type(problem).__name__}")
        program = cls.__new__(cls)
        program._setup(problem, backend)
        return program

    def _setup(self, problem: RegionProblem, backend: str | BackendSpec) -> None:
        spec = backend if isinstance(backend, BackendSpec) else backend_spec(backend, problem.loss)
        self.problem = problem
        self.dataset = problem.dataset
        self.v = problem.v
        self.loss = problem.loss
        self.fit_bias = problem.fit_bias
        self.alpha = problem.alpha
        self.backend = spec.name
        self._data = problem.region_data()
        self._col_scale, self._label_scale, self._unit_scale = _scales(self._data)
        scaled = replace(self._data, Xbar=np.ascontiguousarray(self._data.Xbar / self._col_scale),
                         y=self._data.y / self._label_scale, v=self._data.v / self._unit_scale)
        #: the solver's weights are W ∘ (r_u s_j / t) (powers of two, ``_scales``)
        self._weight_scale = self._unit_scale[:, None] * self._col_scale / self._label_scale
        self._solver = spec.load()(scaled)
        self._XT = np.ascontiguousarray(self._data.Xbar.T)
        #: TIGHT_SET_RTOL ‖x̄_i‖ (the tight set's tolerance, per example, before the factor max ‖w_u‖)
        self._tight_tol = TIGHT_SET_RTOL * np.linalg.norm(scaled.Xbar, axis=1)
        self._zonotope = self._nonzero = None                # built by non_vertex_units when needed
        self.n_solves = 0
        self._certified = {}                  # id -> (solution, its pattern's bytes, W bytes, c)

    def __repr__(self) -> str:
        return (f"RegionProgram(N={self.N}, n={self.n}, m={self.m}, loss={self.loss!r}, "
                f"fit_bias={self.fit_bias}, alpha={self.alpha:g}, backend={self.backend!r})")

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
    def data(self) -> RegionData:
        """The float data of the program (generators, labels, v, loss, ``fit_bias``, ``alpha``) as
        the backends take it, before the solver's power-of-two rescaling (not to be modified): a
        documented hook to build a :class:`~zonocomb.convex.kkt.KKTChecker`, a
        :class:`~zonocomb.convex.backends.kernel.RegionKernel` or another backend on the same
        data."""
        return self._data

    @property
    def solver(self) -> object:
        """The backend object solving this program (:mod:`zonocomb.convex.backends`), built from
        :attr:`data` rescaled by powers of two (``_scales``; unchanged for data already of order
        one). A documented hook for diagnostics and tests; solve through :meth:`solve` and
        :meth:`sweep`."""
        return self._solver

    @property
    def kernel(self) -> RegionKernel | None:
        """The compiled :class:`~zonocomb.convex.backends.kernel.RegionKernel` that the fast
        backend solves the smooth losses with, or None (another backend, or the l1 loss). A
        documented hook for diagnostics and tests: replacing one of its methods (e.g. with pytest's
        ``monkeypatch``) changes this program's solves."""
        return getattr(self._solver, "kernel", None)

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

    def pattern_array(self, pattern: ArrayLike) -> np.ndarray:
        """Validate ``pattern`` and return it as an (m, N) bool array.

        Accepts an (m, N) array-like of 0/1 or bool, or, when m = 1, a barcode of length N.
        """
        return check_pattern(pattern, self.m, self.N)

    def objective(self, pattern: ArrayLike, W: ArrayLike, c: float = 0.0) -> float:
        """Objective of eq. (3): mean loss of ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c, plus ``alpha`` ‖W‖²
        (constraints not checked)."""
        W = np.asarray(W, dtype=float)
        return self._objective(self.pattern_array(pattern), W @ self._XT, c, W)

    def _objective(self, A: np.ndarray, P: np.ndarray, c, W: np.ndarray) -> float:
        """Objective of eq. (3) (plus the weight decay ``alpha`` ‖W‖²) from the pattern A, the
        preactivations P = W X̄ᵀ ((m, N)) and W."""
        decay = self.alpha * float(np.sum(np.square(W))) if self.alpha else 0.0
        return mean_loss(self.loss, self.v @ (A * P) + float(c), self._data.y) + decay

    def solution_at(self, pattern: ArrayLike, W: ArrayLike, c: float, status: str | SolveStatus,
                    seconds: float = 0.0, n_iter: int = 0, recession=None) -> RegionSolution:
        """The :class:`RegionSolution` of a point (W, c) recorded for ``pattern`` earlier (e.g. in
        a :class:`~zonocomb.search.checkpoint.SearchCheckpoint`): loss and tight set computed here
        exactly as :meth:`solve` computes them, so equal to the original's bit for bit; ``status``,
        ``seconds`` and ``n_iter`` are the record's. Nothing is solved or certified: the point is
        not one of this program's own solutions, so a :meth:`sweep` from it certifies it first.
        ``recession``: what :meth:`recession_of` gave for the original solution, given back to the
        fast backend so that solves warm-started from this one start as they would have from the
        original (a logistic answer whose infimum is not attained).

        Raises
        ------
        InvalidInputError
            Malformed pattern, a non-finite or malformed (W, c) (also in ``recession``), or an
            unknown status.
        """
        A = self.pattern_array(pattern)
        W, c = self._check_warm_start((W, c))
        try:
            status = SolveStatus(status)
        except ValueError:
            raise InvalidInputError(f"unknown solve status {status!r}; expected one of "
                                    f"{[s.value for s in SolveStatus]}") from None
        if recession is not None:
            try:
                base, direction = recession
                base = (None, None) if base[0] is None else self._check_warm_start(base)
                direction = self._check_warm_start(direction)
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"recession must be ((W_I, c_I), (W*, c*)) as recession_of gives it: {exc}") from None
        solution = self._solution(A, W, c, status, float(seconds), int(n_iter))
        if recession is not None and hasattr(self._solver, "remember_unattained"):
            self._solver.remember_unattained(self.to_solver_units((solution.W, solution.c)), base, direction)
        return solution

    def recession_of(self, solution: RegionSolution):
        """For a logistic solution whose infimum the fast backend found not attained (and still
        remembers): its attained part and recession direction, ``((W_I, c_I), (W*, c*))`` in the
        backend's scaled units (W_I None when every example is separated), to be given back to
        :meth:`solution_at`; else None."""
        if not hasattr(self._solver, "recession_of"):
            return None
        return self._solver.recession_of(self.to_solver_units((solution.W, solution.c)))

    def network_loss(self, W: ArrayLike, c: float = 0.0) -> float:
        """Mean loss of the ReLU network f(x) = vᵀ φ(W x̄) + c on the dataset (paper eq. 1)."""
        W = np.asarray(W, dtype=float)
        yhat = np.maximum(self._data.Xbar @ W.T, 0.0) @ self.v + float(c)
        return mean_loss(self.loss, yhat, self._data.y)

    def solve(self, pattern: ArrayLike, warm_start: WarmStart | None = None,
              check_vertex: bool = False) -> RegionSolution:
        """Solve the region program of ``pattern``.

        Parameters
        ----------
        pattern : array-like
            (m, N) 0/1 pattern, or for m = 1 a barcode.
        warm_start : RegionSolution or (W, c), optional
            A nearby region's optimum (e.g. the current vertex in a local search). Used by the fast
            backend as its starting point; ignored by the reference backend.
        check_vertex : bool, default False
            Also decide, exactly, whether ``pattern`` is a vertex of Z^m, and warn
            (:class:`~zonocomb.errors.NotAVertexWarning`, naming the units) when it is not
            (:meth:`non_vertex_units`, whose notes give the cost; about 30 ms at N = 200, m = 8). The
            searches move along edges of Z^m, so their patterns are vertices by construction and
            they leave this off.

        Returns
        -------
        RegionSolution

        Raises
        ------
        InvalidInputError
            Malformed pattern or warm start.
        SolverError
            The solver failed (it never returns a loss it did not converge to silently).

        Warns
        -----
        NotAVertexWarning
            With ``check_vertex``: some unit's row is the sign pattern of no weights.
        """
        A = self.pattern_array(pattern)
        warm = self._check_warm_start(warm_start)
        t0 = time.perf_counter()
        res = self._solver.solve(A, self.to_solver_units(warm))
        seconds = time.perf_counter() - t0
        self.n_solves += 1
        if res.status == "optimal_inaccurate":
            warnings.warn(f"backend {self.backend!r} reports reduced accuracy on this region program",
                          RuntimeWarning, stacklevel=2)
        sol = self._solution(A, *self._from_solver(res.W, res.c), res.status, seconds, res.n_iter)
        self._remember(A, sol)
        if check_bool(check_vertex, "check_vertex"):
            _warn_unless_vertex(self.non_vertex_units(A, sol.W), stacklevel=2)
        return sol

    def non_vertex_units(self, pattern: ArrayLike, W: ArrayLike | None = None,
                         units: Sequence[int] | None = None, zonotope: Zonotope | None = None) -> list[int]:
        """The units whose row of ``pattern`` is not a vertex of the zonotope Z (exact).

        Row u is a vertex barcode of Z iff some w has sign(w·x̄_i) = 2A_ui − 1 for every i (paper
        section 3); ``pattern`` is a vertex of Z^m iff the list is empty.

        Parameters
        ----------
        pattern : array-like
            (m, N) 0/1 pattern, or for m = 1 a barcode.
        W : array-like of shape (m, n), optional
            Nearby weights, e.g. the optimum of ``pattern`` or of a neighbouring pattern: row u is
            first tried with a witness built from w_u (:func:`realising_weights`), whose exact
            signs, when they are those of row u, prove it a vertex without an LP.
        units : sequence of int, optional
            Decide only these units (default all).
        zonotope : Zonotope, optional
            The dataset's zonotope if already built (its cached vertex tests are reused).

        Returns
        -------
        list of int
            The units (0-based) whose rows are not vertices, in increasing order.

        Raises
        ------
        InvalidInputError
            Malformed pattern, ``W`` or ``units``, or a zonotope of other generators.

        Notes
        -----
        Cost: per row with a witness O(Nn) float operations and its exact signs
        (:func:`exact_signs`: exact arithmetic only where the float filter cannot decide); per
        other row one float margin LP (N constraints in R^n) checked exactly, rarely one exact
        cddlib LP (:meth:`Zonotope.is_vertex <zonocomb.geometry.zonotope.Zonotope.is_vertex>`,
        cached per barcode). Without ``zonotope`` the dataset's is built on the first LP (exact
        parallel classes, O(N² n) rational operations) and kept. A zero example (bias-free data)
        is left out of the zonotope: w·0 > 0 holds for no w, so a row with a 1 there is not a
        vertex.
        """
        A = self.pattern_array(pattern)
        W = None if W is None else np.asarray(W, dtype=float)
        if W is not None and W.shape != (self.m, self.n):
            raise InvalidInputError(f"W must have shape ({self.m}, {self.n}), got {W.shape}")
        units = range(self.m) if units is None else [int(u) for u in units]
        if any(not 0 <= u < self.m for u in units):
            raise InvalidInputError(f"units must be unit indices in [0, {self.m}), got {list(units)}")
        nonzero = self._nonzero_examples()
        if zonotope is not None and zonotope is not self._zonotope:
            if getattr(zonotope, "generators", None) != self.dataset.generators_exact:
                raise InvalidInputError("zonotope must be the dataset's zonotope (same generators)")
            self._zonotope = zonotope                         # checked once, kept
        bad, witnesses = [], {}
        for u in units:
            if A[u, ~nonzero].any():                          # w·0 > 0 for no w
                bad.append(u)
            elif W is not None and nonzero.any():
                witnesses[u] = realising_weights(self._data.Xbar, np.where(A[u], 1.0, -1.0), W[u])
        proved = set()
        if witnesses:
            signs = exact_signs(self.dataset, np.vstack(list(witnesses.values())))
            proved = {u for k, u in enumerate(witnesses)
                      if np.array_equal(signs[k, nonzero], np.where(A[u, nonzero], 1, -1))}
        for u in units:
            if u not in bad and u not in proved and nonzero.any() \
                    and not self._vertex_zonotope().is_vertex(tuple(int(b) for b in A[u, nonzero])):
                bad.append(u)
        return sorted(bad)

    def _nonzero_examples(self) -> np.ndarray:
        """Mask of the examples whose generator is not zero (exact), computed once."""
        if self._nonzero is None:
            self._nonzero = np.array([any(g) for g in self.dataset.generators_exact])
        return self._nonzero

    def _vertex_zonotope(self) -> Zonotope:
        """The zonotope of the dataset's nonzero generators (the one given to
        :meth:`non_vertex_units`, or built once)."""
        if self._zonotope is None:
            self._zonotope = Zonotope([g for g, keep in zip(self.dataset.generators_exact,
                                                            self._nonzero_examples()) if keep])
        return self._zonotope

    def sweep(self, pattern: ArrayLike, moves: Sequence[Move], warm_start: WarmStart,
              bound: float | None = None, solutions: bool = False,
              starts: Mapping[int, tuple] | None = None, answers: bool = False,
              least_only: bool = False) -> NeighbourSweep:
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
        solving all of them. Every other neighbour is solved from the vertex's optimum, or from
        its own start in ``starts``, and KKT-certified; one the kernel does not settle there (it
        stopped, or its answer failed the certificate) is solved from the cold start and then, if
        need be, by the reference backend
        (status ``"optimal_fallback"``, with a warning). Other backends and losses solve the
        neighbours one by one with :meth:`solve`. Results do not depend on the number of threads.
        Adds one to ``n_solves`` per neighbour not abandoned.

        Parameters
        ----------
        pattern : array-like
            The vertex, an (m, N) 0/1 pattern.
        moves : sequence of (int, sequence of int), or PackedMoves
            (unit, flipped example indices) per neighbour, or the same validated once by
            :meth:`PackedMoves.pack <zonocomb.convex.backends.kernel.PackedMoves.pack>`.
        warm_start : RegionSolution or (W, c)
            The optimum of ``pattern``. When it is a solution of ``pattern`` that this program
            returned with status ``"optimal"`` (one of the last ``CERTIFIED_CACHE``; the very
            object, unchanged), its KKT certificate is not computed again; any other warm start,
            a pair (W, c) or another program's solution, is certified here before it is used to
            screen.
        bound : float, optional
            Abandon neighbours whose certified lower bound exceeds it.
        solutions : bool, default False
            Also return every neighbour's :class:`RegionSolution` (memory k m n floats).
        starts : mapping of int to (W, c), optional
            Where to start the solves of some neighbours (by index into ``moves``) instead of the
            vertex's optimum; for instance the :attr:`NeighbourSweep.answers` of the same moves
            from the previous vertex of a local search, a program that differs from this one in a
            single row and whose optimum is often much nearer than the vertex's
            (benchmarks/README.md). The optima found are the same, to the solver's tolerances. The
            fast backend's kernel only; others ignore it (the l1 loss, the reference backend, and
            the neighbours of an unattained logistic region, which are solved one by one).
        least_only : bool, default False
            The caller needs only the least loss among the neighbours below ``bound``, and which
            neighbours attain it (GLS). The fast backend with the MSE and no weight decay may
            then leave a neighbour unsolved when a certified lower bound of its loss (a face
            bound, :func:`~zonocomb.convex.backends.face_bounds.least_sweep`) exceeds ``bound``
            (status ``"bounded"``) or the least loss found (``"dominated"``, loss NaN, its bound
            in ``lower_bound``); others solve every neighbour.
        answers : bool, default False
            Also return the points found for the solved neighbours (:attr:`NeighbourSweep.answers`,
            memory up to k m n floats), without building their solutions; not the far points of
            logistic regions whose infimum is not attained (status ``"optimal_unattained"``).

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
        moves = PackedMoves.pack(moves, self.m, self.N)
        certified = self._produced(warm_start, A)
        warm = (warm_start.W, warm_start.c) if certified else self._check_warm_start(warm_start)
        if warm is None:
            raise InvalidInputError("sweep needs the vertex's optimum as warm_start")
        if bound is not None and (isinstance(bound, bool) or not np.isfinite(float(bound))):
            raise InvalidInputError(f"bound must be a finite number or None, got {bound!r}")
        W, c = warm
        base_loss = warm_start.loss if certified else self._objective(A, W @ self._XT, c, W)
        t0 = time.perf_counter()
        k = len(moves)
        unit = self.solver_loss_unit()                            # the solver's loss is loss / unit
        kernel_starts = None if not starts else {j: self.to_solver_units(self._check_start(j, point, k))
                                                 for j, point in starts.items()}
        outcome = self._solver.sweep(A, moves, self.to_solver_units(warm), base_loss / unit,
                                     bound=None if bound is None else float(bound) / unit,
                                     solutions=solutions, certified=certified, starts=kernel_starts,
                                     answers=answers, least_only=least_only) \
            if k and hasattr(self._solver, "sweep") else None
        if outcome is None:
            status = ["failed"] * k
            loss, lower = np.full(k, np.nan), np.full(k, -np.inf)
            threads = 1
            spent = np.zeros(k)
            failed, bounded = np.ones(k, dtype=bool), np.zeros(k, dtype=bool)
        else:
            status = self._kernel_statuses(outcome.status, attainment_checked=solutions)
            # (a screened or bounded neighbour's bound is the vertex's loss: base_loss / unit from
            # the kernel, times the power of two unit, so base_loss exactly)
            loss, lower = unit * outcome.loss, unit * outcome.lower_bound
            bounded = np.isin(outcome.status, ["bounded", "dominated"])
            failed = outcome.status == "failed"
            threads = outcome.threads
            spent = outcome.cpu_seconds.copy()
        found, points = {}, {}
        if answers and outcome is not None:
            for j in np.flatnonzero(outcome.status == "solved").tolist():
                points[j] = self._from_solver(*outcome.point(j))
        if solutions:
            for j in np.flatnonzero(~failed & ~bounded).tolist():
                B = self._moved(A, moves, j)
                found[j] = self._solution(B, *self._from_solver(*outcome.point(j)), status[j], 0.0)
                self._remember(B, found[j])                      # ("solved": KKT-certified by the kernel)
        for j in np.flatnonzero(failed).tolist():
            B = self._moved(A, moves, j)
            t1 = time.perf_counter()
            if outcome is None:
                sol = self.solve(B, warm_start=warm)
                self.n_solves -= 1                              # (counted once below)
            else:                                               # the kernel tried from warm already
                res = self._solver.solve_unsettled(B)
                sol = self._solution(B, *self._from_solver(res.W, res.c), res.status,
                                     time.perf_counter() - t1, res.n_iter)
                self._remember(B, sol)
            spent[j] += time.perf_counter() - t1
            found[j] = sol
            loss[j] = lower[j] = sol.loss
            status[j] = sol.status
            if answers and sol.status != SolveStatus.OPTIMAL_UNATTAINED:     # (not a far point)
                points[j] = (sol.W, sol.c)
        self.n_solves += k - int(np.count_nonzero(bounded))
        return NeighbourSweep(loss=loss, lower_bound=lower, status=tuple(status), solutions=dict(sorted(found.items())),
                              seconds=time.perf_counter() - t0, threads=threads, neighbour_seconds=spent,
                              answers=dict(sorted(points.items())))

    def solve_stars(self, patterns: ArrayLike, moves: Sequence[Move] | PackedMoves,
                    sizes: Sequence[int]) -> StarSolves:
        """Solve S vertices and, from each one's optimum, the region programs of some of its
        neighbours: what S calls of :meth:`solve` (cold) and :meth:`sweep` (no bound) compute,
        in one call.

        Star s is the vertex ``patterns[s]`` with the next ``sizes[s]`` moves of ``moves`` (in
        star order; moves as in :meth:`sweep`). With the fast backend and a smooth loss every star
        is done by the compiled kernel (:meth:`RegionKernel.stars
        <zonocomb.convex.backends.kernel.RegionKernel.stars>`): the vertex solved from W = 0 and
        KKT-certified, then its neighbours screened or solved from its optimum and certified, as
        in :meth:`sweep`; no :class:`RegionSolution` is built, so the per-call cost in Python is
        gone (the work of whole landscapes, :mod:`zonocomb.landscape`). A vertex the kernel does not
        settle is solved by :meth:`solve` and its neighbours by :meth:`sweep`; a neighbour it does
        not settle is solved from the cold start and then by the reference backend, as in
        :meth:`sweep`. Other backends and losses do the same with :meth:`solve` and :meth:`sweep`.
        Counts S + k solves.

        Parameters
        ----------
        patterns : array-like, shape (S, m, N)
            The vertices, 0/1 or bool.
        moves : sequence of (int, sequence of int), or PackedMoves
            (unit, flipped example indices) per neighbour, all stars' in order.
        sizes : sequence of int, length S
            The number of moves of each star.

        Returns
        -------
        StarSolves

        Raises
        ------
        InvalidInputError
            Malformed patterns, moves or sizes.
        SolverError
            A program could not be solved by any backend.
        """
        P = check_pattern_stack(patterns, self.m, self.N)
        moves = PackedMoves.pack(moves, self.m, self.N)
        try:
            counts = np.asarray(sizes) if len(sizes) else np.zeros(0, dtype=np.int64)
            ok = counts.shape == (len(P),) and counts.dtype.kind in "iu" and bool(np.all(counts >= 0)) \
                and int(counts.sum()) == len(moves)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InvalidInputError(f"sizes must be {len(P)} non-negative integers summing to the "
                                    f"{len(moves)} moves")
        ptr = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        t0 = time.perf_counter()
        before = self.n_solves
        stars = getattr(self._solver, "stars", None)
        outcome = stars(P, moves, ptr) if stars is not None else None
        S, k = len(P), len(moves)
        if outcome is None:
            closs, cstatus = np.full(S, np.nan), ["failed"] * S
            loss, status = np.full(k, np.nan), ["failed"] * k
        else:
            unit = self.solver_loss_unit()
            closs, loss = unit * outcome.centre_loss, unit * outcome.loss
            cstatus = self._kernel_statuses(outcome.centre_status, attainment_checked=False)
            status = self._kernel_statuses(outcome.status, attainment_checked=False)
        for s in [s for s in range(S) if cstatus[s] == "failed"]:
            a, b = int(ptr[s]), int(ptr[s + 1])
            sol = self.solve(P[s])
            closs[s], cstatus[s] = sol.loss, sol.status
            if b > a:
                sweep = self.sweep(P[s], [(int(moves.units[j]), moves.flipped(j)) for j in range(a, b)], sol)
                loss[a:b], status[a:b] = sweep.loss, sweep.status
        unsettled = [j for j in range(k) if status[j] == "failed"]
        star_of = np.repeat(np.arange(S), counts) if unsettled else None
        for j in unsettled:
            B = self._moved(P[star_of[j]], moves, j)
            t1 = time.perf_counter()
            res = self._solver.solve_unsettled(B)
            sol = self._solution(B, *self._from_solver(res.W, res.c), res.status, time.perf_counter() - t1,
                                 res.n_iter)
            loss[j], status[j] = sol.loss, sol.status
        self.n_solves = before + S + k
        return StarSolves(centre_loss=closs, centre_status=tuple(cstatus), loss=loss, status=tuple(status),
                          ptr=ptr, seconds=time.perf_counter() - t0)

    def to_solver_units(self, warm):
        """A point (W, c) of the program in the scaled units of :attr:`solver` (``_scales``; None
        stays None): the solver's answers are in these units, its losses in units of
        :meth:`solver_loss_unit`. A documented hook for diagnostics and tests, as :attr:`solver`."""
        if warm is None:
            return None
        W, c = warm
        return np.asarray(W, dtype=float) * self._weight_scale, float(c) / self._label_scale

    def _from_solver(self, W, c):
        """A point (W, c) of the solver's scaled program in the program's units."""
        return np.asarray(W, dtype=float) / self._weight_scale, float(c) * self._label_scale

    def _kernel_statuses(self, names, attainment_checked: bool) -> list:
        """The statuses of a compiled sweep's or stars call's outcomes (``"solved"``, ...): a
        solved logistic program without weight decay is ``OPTIMAL_LOSS`` unless the fast backend
        checked its attainment (a sweep with solutions), since its infimum may not be attained."""
        undecided = self.loss == "logistic" and not self.alpha and not attainment_checked
        solved = SolveStatus.OPTIMAL_LOSS if undecided else SolveStatus.OPTIMAL
        return [solved if x == "solved" else _SWEEP_STATUS[x] for x in names.tolist()]

    def solver_loss_unit(self) -> float:
        """The program's loss over the scaled solver's (:meth:`to_solver_units`): t² for the MSE,
        t for l1, 1 for logistic, t being the labels' power-of-two scale."""
        t = self._label_scale
        return {"mse": t * t, "l1": t, "logistic": 1.0}[self.loss]

    @staticmethod
    def _moved(A: np.ndarray, moves: PackedMoves, j: int) -> np.ndarray:
        """The pattern A with move j of ``moves`` applied."""
        B = A.copy()
        B[moves.units[j], moves.flipped(j)] ^= True
        return B

    def _remember(self, A: np.ndarray, sol: RegionSolution) -> None:
        """Note ``sol``, this program's solution of the pattern A, if its status is ``"optimal"``
        (from the fast backend: KKT-certified), so that a sweep from it need not certify it again
        (:meth:`_produced`); the last ``CERTIFIED_CACHE`` are kept."""
        if sol.status != SolveStatus.OPTIMAL or not hasattr(self._solver, "sweep"):
            return
        if len(self._certified) >= self.CERTIFIED_CACHE:
            del self._certified[next(iter(self._certified))]
        self._certified[id(sol)] = (sol, A.tobytes(), sol.W.tobytes(), sol.c)

    def _produced(self, warm_start, A: np.ndarray) -> bool:
        """Whether ``warm_start`` is one of the solutions noted by :meth:`_remember`, for the
        pattern A, unchanged (the very object, not an equal one or a pair (W, c))."""
        entry = self._certified.get(id(warm_start))
        return entry is not None and entry[0] is warm_start and entry[1] == A.tobytes() \
            and entry[2] == warm_start.W.tobytes() and entry[3] == warm_start.c

    def _solution(self, A: np.ndarray, W, c: float, status, seconds: float, n_iter: int = 0) -> RegionSolution:
        """The RegionSolution of (W, c) for the pattern A (loss and tight set computed here)."""
        W = np.array(W, dtype=float)
        if W.shape != (self.m, self.n) or not np.isfinite(W).all() or not np.isfinite(c):
            raise SolverError(f"backend {self.backend!r} returned a non-finite or malformed solution "
                              f"(status {str(status)!r})")
        P = W @ self._XT                                              # preactivations w_u·x̄_i
        loss = self._objective(A, P, c, W)
        W.setflags(write=False)
        return RegionSolution(loss=loss, W=W, v=self.v, c=float(c), tight=self._tight(W, P),
                              status=SolveStatus(status), seconds=seconds, backend=self.backend,
                              n_iter=int(n_iter))

    def _tight(self, W: np.ndarray, P: np.ndarray) -> np.ndarray:
        """|w_u·x̄_i| ≤ TIGHT_SET_RTOL ‖x̄_i‖ max_u' ‖w_u'‖ (P = W X̄ᵀ), read-only, measured in the
        solver's scaled units (``_scales``), so that it does not change when the data are scaled."""
        Ws = W * self._weight_scale
        wmax = float(np.sqrt(np.einsum("uj,uj->u", Ws, Ws).max()))
        tight = np.abs(P) * (self._unit_scale / self._label_scale)[:, None] <= wmax * self._tight_tol
        tight.setflags(write=False)
        return tight

    def _check_start(self, j, point, k: int):
        """The start ``point`` of neighbour ``j`` of a sweep of k neighbours, as (W, c).

        Raises
        ------
        InvalidInputError
            ``j`` not an index 0 … k − 1, or ``point`` not a finite (W, c) of this program.
        """
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < k:
            raise InvalidInputError(f"starts are keyed by neighbour indices 0 .. {k - 1}, got {j!r}")
        return self._check_warm_start(point, f"the start of neighbour {j}:")

    def _check_warm_start(self, warm_start, name: str = "warm_start"):
        """``warm_start`` (a RegionSolution, a pair (W, c) or None) as (W, c) or None.

        Raises
        ------
        InvalidInputError
            Anything else, or W not a finite (m, n) array, or c not finite; ``name`` names it.
        """
        if warm_start is None:
            return None
        if isinstance(warm_start, tuple) and len(warm_start) == 2:
            W, c = warm_start
        elif hasattr(warm_start, "W") and hasattr(warm_start, "c"):
            W, c = warm_start.W, warm_start.c
        else:
            raise InvalidInputError(f"{name.rstrip(':')} must be a RegionSolution, a pair (W, c), or None")
        W = np.asarray(W, dtype=float)
        if W.shape != (self.m, self.n) or not np.all(np.isfinite(W)) or not np.isfinite(float(c)):
            raise InvalidInputError(f"{name} W must be a finite ({self.m}, {self.n}) array "
                                    f"with finite c, got shape {W.shape}")
        return W, float(c)


def solve_region(dataset: Dataset, pattern: ArrayLike, v: ArrayLike, loss: str = "mse",
                 fit_bias: bool = True, backend: str = "fast", alpha: float = 0.0,
                 check_vertex: bool = True) -> RegionSolution:
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
    check_vertex : bool, default True
        Warn when ``pattern`` is not a vertex of Z^m (:meth:`RegionProgram.non_vertex_units`:
        building the zonotope, and one float LP checked exactly per unit whose optimal weights
        do not certify its row; pass False to skip).

    Returns
    -------
    RegionSolution

    Raises
    ------
    InvalidInputError, InvalidTypeError
        As :class:`RegionProgram` and :meth:`RegionProgram.solve`.

    Warns
    -----
    NotAVertexWarning
        Some unit's row of ``pattern`` is the sign pattern of no weights (with ``check_vertex``).

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[-1], [0], [1], [2]], y=[0, 0, 1, 2])
    >>> sol = solve_region(ds, [[0, 0, 1, 1]], v=[1.0], fit_bias=False)
    >>> round(sol.loss, 9), sol.W.round(6).tolist()
    (0.0, [[1.0, 0.0]])
    """
    program = RegionProgram(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend, alpha=alpha)
    sol = program.solve(pattern)
    if check_bool(check_vertex, "check_vertex"):
        _warn_unless_vertex(program.non_vertex_units(pattern, sol.W), stacklevel=2)
    return sol


def realising_weights(X: np.ndarray, signs: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A candidate weight vector with sign(w'·x_i) = signs_i for every row x_i of ``X``, built from
    nearby weights ``w`` (float; a witness to be checked exactly, e.g. by :func:`exact_signs`).

    The examples where w has the wanted sign with a margin above ``TIGHT_SET_RTOL`` ‖w‖ ‖x_i‖ keep
    it; on the others (tight or of the wrong sign) a step δ with δ·x_i = signs_i (least squares)
    is added, half as long as the first margin it would close, so the kept signs stay. Cost:
    O(N n²).
    """
    X = np.asarray(X, dtype=float)
    margins = signs * (X @ w)
    tight = margins <= TIGHT_SET_RTOL * float(np.linalg.norm(w)) * np.linalg.norm(X, axis=1)
    if not tight.any():
        return np.array(w, dtype=float)
    delta = np.linalg.lstsq(X[tight], signs[tight], rcond=None)[0]
    against = -signs[~tight] * (X[~tight] @ delta)
    closing = against > 0
    step = 0.5 * float(np.min(margins[~tight][closing] / against[closing])) if closing.any() else 1.0
    return w + step * delta


def exact_signs(dataset: Dataset, W: ArrayLike) -> np.ndarray:
    """sign(w_u·x̄_i) for float weights W ((m, n)) and the dataset's generators, exactly (paper
    eq. 2: the activation pattern of W is ``exact_signs(dataset, W) > 0``).

    The products are evaluated in float64 from the correctly rounded generators; the entries the
    proven error bound of :func:`zonocomb.exact.predicates.dot_signs` cannot decide are recomputed
    exactly from the Fraction generators and the (exactly representable) float weights. Returns
    an (m, N) int8 array.
    """
    W = np.asarray(W, dtype=float)
    gens = dataset.generators_exact
    return dot_signs(W, dataset.generators_float, lambda u, i: sum(
        (Fraction(float(w)) * g for w, g in zip(W[u], gens[i])), Fraction(0)))


def _warn_unless_vertex(units: list[int], stacklevel: int) -> None:
    """Issue a :class:`NotAVertexWarning` naming ``units`` (none: nothing), attributed to the
    caller ``stacklevel`` frames above the function calling this one."""
    if units:
        which = f"unit {units[0]}'s row is not a vertex" if len(units) == 1 else \
            f"the rows of units {', '.join(map(str, units))} are not vertices"
        warnings.warn(f"the activation pattern is not a vertex of Z^m: {which} of the zonotope (no weights "
                      f"have those signs), so no network has this pattern; the optimum is that of a "
                      f"lower-dimensional face", NotAVertexWarning, stacklevel=stacklevel + 1)


def check_pattern(pattern: ArrayLike, m: int, N: int) -> np.ndarray:
    """An activation pattern as an (m, N) bool array (a copy): an (m, N) array-like of 0/1 or bool,
    or, when m = 1, a barcode of length N.

    Raises
    ------
    InvalidInputError
        Another shape, or entries other than 0/1.
    """
    arr = _as_array(pattern, "pattern is")
    if arr.ndim == 1 and m == 1:
        arr = arr[None, :]
    if arr.shape != (m, N):
        raise InvalidInputError(f"pattern has shape {arr.shape}, expected ({m}, {N}) "
                                f"(units × examples{'; or a barcode of length N' if m == 1 else ''})")
    return _zero_one(arr)


def check_pattern_stack(patterns: ArrayLike, m: int, N: int) -> np.ndarray:
    """S activation patterns as an (S, m, N) bool array (a copy) from an (S, m, N) array-like of
    0/1 or bool.

    Raises
    ------
    InvalidInputError
        Another shape, or entries other than 0/1.
    """
    arr = _as_array(patterns, "patterns are")
    if arr.ndim != 3 or arr.shape[1:] != (m, N):
        raise InvalidInputError(f"patterns have shape {arr.shape}, expected (S, {m}, {N}) "
                                "(patterns × units × examples)")
    return _zero_one(arr)


def _as_array(value: ArrayLike, what: str) -> np.ndarray:
    """``value`` as a numpy array; InvalidInputError ("<what> not an array of 0/1 entries") if not."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} not an array of 0/1 entries: {exc}") from exc


def _zero_one(arr: np.ndarray) -> np.ndarray:
    """A bool copy of an array of 0/1 or bool entries; InvalidInputError naming the first other entry."""
    if arr.dtype == bool:
        return arr.copy()
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(f"pattern entries must be 0/1 or bool, got dtype {arr.dtype}")
    bad = np.argwhere((arr != 0) & (arr != 1))
    if bad.size:
        at = tuple(int(k) for k in bad[0])
        raise InvalidInputError(f"pattern entry {at} is {arr[at].item()!r}; entries must be 0 or 1")
    return arr.astype(bool)


#: Columns of X̄, labels and output weights whose largest magnitude lies outside
#: [1/SCALE_BAND, SCALE_BAND] are rescaled by a power of two for the solver (``_scales``).
SCALE_BAND = 16.0


def _scales(data: RegionData) -> tuple[np.ndarray, float, np.ndarray]:
    """Powers of two (s_j per column of X̄, t for the labels, r_u per output weight) that bring each
    column's and the labels' largest magnitude and each |v_u| into (1/2, 1] when it lies outside
    [1/SCALE_BAND, SCALE_BAND], else 1.

    The region program of (X̄ / s, y / t, v / r) is that of (X̄, y, v) with w_u → r_u (w_u ∘ s) / t,
    c → c / t and the MSE divided by t² (the l1 loss by t; logistic labels are not scaled): every
    prediction v_u (w_u·x̄_i) + c is divided by t, every activation pattern and region is the same,
    and dividing by a power of two is exact. So features, labels and output weights scaled by
    1e±8 give the solver the same well-scaled problem: ``RegionProgram(dataset, 2**k * v)`` returns
    the W of ``RegionProgram(dataset, v)`` times 2^−k, with the same loss, bit for bit when each
    |v_u| and 2^k |v_u| lies in (1/2, 1] or outside the band.

    With weight decay neither the columns nor v are scaled: α ‖W‖² is not invariant under those
    scalings (one common scale of v could be absorbed into α, but it leaves the ratio of the decay
    to the loss's curvature unchanged, and with it the solver's accuracy). The labels are (the MSE
    with decay α ‖W‖² divides by t² as a whole).
    """
    def power_of_two(magnitude: float) -> float:
        if magnitude == 0.0 or 1.0 / SCALE_BAND <= magnitude <= SCALE_BAND:
            return 1.0
        mantissa, exponent = np.frexp(magnitude)       # magnitude = mantissa 2^exponent, mantissa in [1/2, 1)
        return float(np.ldexp(1.0, int(exponent) - 1 if mantissa == 0.5 else int(exponent)))
    cols = np.array([power_of_two(float(x)) for x in np.max(np.abs(data.Xbar), axis=0)])
    units = np.array([power_of_two(abs(float(x))) for x in data.v])
    if data.alpha > 0.0:                      # ‖W‖² is not invariant under these scalings
        cols, units = np.ones_like(cols), np.ones_like(units)
    t = 1.0 if data.loss == "logistic" else power_of_two(float(np.max(np.abs(data.y))))
    return cols, t, units
