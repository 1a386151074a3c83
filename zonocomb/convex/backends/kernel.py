"""The region solver: a compiled block active-set method for the smooth region programs
(paper eq. 3, appendix H), and sweeps over all neighbours of a vertex of Z^m.

For a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and fixed output weights v the program is

    minimise   F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ = Σ_u v_u (A_u ⊙ X̄ w_u) + c·1
    subject to s_ui (x̄_i·w_u) ≥ 0 for all u, i          (c free, or c = 0 without ``fit_bias``),

with the MSE ℓ(ŷ, y) = (ŷ − y)² (a convex QP) or the logistic loss ℓ(ŷ, y) = −yŷ + log(1 + e^ŷ),
y ∈ {0, 1} (appendix H.2.2), over the product of the m activation cones C_u ⊂ R^n; its Hessian is
singular when m n + 1 > N. :class:`RegionKernel` solves it with the C extension ``_region_kernel``
(source ``_region_kernel.c`` next to this file, built by ``setup.py``), a primal block active-set
method:

* per-unit working sets with orthonormal null-space bases Z_u (a unit with none is frozen at the
  apex w_u = 0); the Gram matrix of the reduced Jacobian columns diag(v_u A_u) X̄ Z_u (and of the
  column of ones for c) is kept up to date, a new constraint being a Householder reflection of one
  unit's basis and Gram rows;
* face steps: the face's least squares by Cholesky on that Gram matrix, columns whose squared
  distance to the span of the previous ones is below ``DEP_RTOL`` times their squared norm being
  left out of the factor, the step being the least-norm solution over all the face's columns (on a
  rank-deficient face, as every face is once m n + 1 > N, the path below depends on which solution
  is taken; the least-norm one is the Python method's), then the piecewise-linear path on which
  each unit stops at its own first blocking constraint, to the exact minimiser of F along it; for
  the logistic loss a Newton step (the least squares weighted by ℓ''(ŷ_i)/N, floored at
  ``CURVATURE_FLOOR`` times their largest value), the step capped so that no prediction moves by
  more than ``MAX_LOGIT_STEP`` (``MAX_SATURATED_STEP`` beyond the margin ``SATURATED_MARGIN``) and
  halved until F decreases;
* pricing at a face minimiser: exact recomputation of slacks and predictions, face stationarity
  (a failure sends the iterate back to the face step at most three times in a row), multipliers of
  the working constraints, Lawson–Hanson NNLS for the projection onto a unit's tangent cone (at
  most ``_region_kernel.PRICE_UNITS`` = 8 units widened per pricing, those with the most negative
  multipliers first), and
  for frozen units NNLS of g_u on all N normals (by Moreau's decomposition its residual is the
  projection of −g_u onto C_u): the unit is released along that projection, or certified, the
  NNLS support being its dual certificate.

With weight decay (``RegionData.alpha`` = ρ > 0) the objective is F + ρ ‖W‖²: the face steps solve
(JᵀHJ + ρ' I) δ = −Jᵀg − ρ' Zᵀw on every free column (ρ' = Nρ for the MSE's unnormalised normal
equations, 2ρ for the logistic Newton step), the path search and the backtracking include the
decay exactly, pricing and the certificate use the gradient g_u + 2ρ w_u; the objective is then
coercive, so every logistic infimum is attained.

Warm starts (W, c) are used as given, a unit infeasible for the new pattern being first projected
onto its cone. Logistic only: example weights ``keep`` drop examples from F, and
``detect_recession`` stops a run with :class:`Separable` when an iterate classifies every example
correctly (``SEPARATION_RTOL``) and with :class:`Runaway` when a margin passes the runaway level
(max(``RUNAWAY_LOGIT``, twice its starting value)): the signs of an infimum that is not attained,
which :mod:`~zonocomb.convex.backends.fast` resolves.

The kernel only proposes an answer. :meth:`RegionKernel.residuals` computes its KKT residuals
(:class:`~zonocomb.convex.kkt.KKTChecker`'s definitions and tolerances) from the data, the pattern,
(W, c) and the answer's supports alone, none of the solver's state (the extension's separate
entry point ``certify``); :mod:`~zonocomb.convex.backends.fast` accepts an answer only when they
pass.

:meth:`RegionKernel.sweep` solves all neighbours of a vertex in one call, in C, on several threads
with the GIL released, and screens each neighbour first by a dual test at the vertex's optimum
(see its docstring): a neighbour whose optimum is certified to be the vertex's own costs one
non-negative least squares instead of a solve, and with a ``bound`` a neighbour whose certified
lower bound exceeds the bound is abandoned.

Costs: memory O((m n)² + m n N) per workspace (the Gram matrix is indexed by unit and basis
column), allocated on the heap on first use, one workspace per thread; a face step O(N K²/2 + K³/3)
for K free columns (the MSE keeps the Gram matrix up to date: O(N K) per changed column); a
pricing round O(m n N) plus the NNLS of the units that are not optimal. Tolerances are the module
constants below, defined once here and passed to C by name (the extension exports the order,
``_region_kernel.PARAMS`` and ``TOLERANCES``, and its status codes, ``STATUS``).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...errors import InvalidInputError, SolverError
from ..kkt import NEGATIVE_RTOL, NEGLIGIBLE_RTOL, SUPPORT_RTOL, KKTResiduals
from . import RegionData

try:
    from . import _region_kernel
except ImportError as exc:                                       # pragma: no cover - build problem
    _region_kernel = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

__all__ = ["RegionKernel", "KernelFailed", "Runaway", "Separable", "ActiveSetResult", "SweepOutcome",
           "StarsOutcome", "PackedMoves", "kernel_available", "fits", "SOLVER_TOLERANCES"]

#: The solver's relative tolerances (floating point), by the names the extension's ``PARAMS`` uses:
#: a constraint (u, i) is *tight* when s_ui (w_u·x̄_i)/‖x̄_i‖ ≤ ACTIVE_RTOL ‖w_u‖; it blocks a
#: direction Δw_u when its rate is below −RATE_RTOL ‖Δw_u‖; multipliers and projected gradients are
#: compared with PG_RTOL times the gradient scale (max|v| · mean‖x̄_i‖ · (2 rms(y) for the MSE, 1
#: for the logistic loss)), a face counts as solved when its stationarity residual is below
#: FACE_RTOL times that scale; a step is taken while the Newton decrement exceeds DEC_RTOL (1 + F);
#: a constraint is independent of a face when its component in the face exceeds RANK_RTOL; DEP_RTOL
#: and ZERO_COLUMN_RTOL decide dependent and null face columns (the latter relative to max|v| ‖X‖_F);
#: NNLS stops when no inactive normal correlates with the residual by more than NNLS_RTOL ‖g_u‖;
#: units at rounding level in the answer (NEGLIGIBLE_RTOL, as in kkt.py) are returned as 0; the
#: logistic step and recession constants are described in the module docstring.
SOLVER_TOLERANCES = dict(
    ACTIVE_RTOL=1e-9, RATE_RTOL=1e-12, PG_RTOL=1e-10, FACE_RTOL=1e-8, DEC_RTOL=1e-15, RANK_RTOL=1e-9,
    DEP_RTOL=1e-10, ZERO_COLUMN_RTOL=1e-11, NEGLIGIBLE_RTOL=NEGLIGIBLE_RTOL, NNLS_RTOL=1e-13,
    CURVATURE_FLOOR=1e-14, MAX_LOGIT_STEP=50.0, SATURATED_MARGIN=40.0, MAX_SATURATED_STEP=1e4,
    SEPARATION_RTOL=1e-8, RUNAWAY_LOGIT=40.0)

#: status codes of a solve, by the extension's names
_CODES = {} if _region_kernel is None else {name: code for code, (name, _) in _region_kernel.STATUS.items()}
#: names of the statuses of a sweep's neighbours, by the extension's codes
_SWEEP_NAMES = None if _region_kernel is None else np.array(_region_kernel.SWEEP_STATUS)
_LOSS_CODE = {"mse": 0, "logistic": 1}


class KernelFailed(SolverError):
    """The compiled kernel stopped without an answer (iteration cap or numerical trouble)."""


class Runaway(KernelFailed):
    """Logistic only: a prediction σ_i ŷ_i grew past the runaway level, the sign of an infimum that
    is not attained (:class:`~zonocomb.convex.backends.recession.RecessionLP` decides)."""


class Separable(SolverError):
    """Logistic only: the feasible iterate (W, c) classifies every example correctly, with margins
    σ_i ŷ_i ≥ ``SEPARATION_RTOL`` max(1, max|ŷ|); it is a recession direction along which the loss
    tends to 0, the infimum of the program."""

    def __init__(self, W: np.ndarray, c: float):
        super().__init__("every example is classified correctly: the infimum is 0")
        self.W = W
        self.c = c


@dataclass(frozen=True)
class ActiveSetResult:
    """An answer of the kernel: the minimiser (W, c), the iteration count (face steps plus pricing
    rounds) and ``supports[u]`` for the units at the apex w_u = 0: example indices i with
    g_u ∈ cone{s_ui x̄_i : i in it}, the certificate that w_u = 0 is optimal for unit u."""

    W: np.ndarray
    c: float
    n_iter: int
    supports: dict


@dataclass(frozen=True)
class PackedMoves:
    """k moves (unit, flipped examples) of a vertex of Z^m, validated and packed as the int32 arrays
    the compiled sweep reads: move j moves unit ``units[j]`` and flips the examples
    ``idx[ptr[j]:ptr[j + 1]]`` (in the order given).

    Build it with :meth:`pack`; :meth:`RegionKernel.sweep` and
    :meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>` accept it in place of a
    sequence of moves, so moves validated once are not validated again.
    """

    units: np.ndarray
    ptr: np.ndarray
    idx: np.ndarray
    m: int
    N: int

    def __len__(self) -> int:
        return len(self.units)

    def flipped(self, j: int) -> np.ndarray:
        """The examples flipped by move j."""
        return self.idx[self.ptr[j]:self.ptr[j + 1]]

    def take(self, which) -> PackedMoves:
        """The moves ``which`` (indices into these moves), in that order."""
        which = np.asarray(which, dtype=np.int64)
        lengths = (self.ptr[which + 1] - self.ptr[which]).astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        idx = np.concatenate([self.flipped(j) for j in which.tolist()]) if len(which) else self.idx[:0]
        return PackedMoves(units=self.units[which], ptr=ptr, idx=np.ascontiguousarray(idx, dtype=np.int32),
                           m=self.m, N=self.N)

    @classmethod
    def pack(cls, moves, m: int, N: int) -> PackedMoves:
        """Validate ``moves`` (pairs (unit, non-empty sequence of distinct example indices), integers
        of Python or numpy) for m units and N examples, and pack them; a :class:`PackedMoves` of the
        same m and N is returned as it is. Cost O(k + F) for k moves of F flips in all.

        Raises
        ------
        InvalidInputError
            A move that is not such a pair (the first bad one is named).
        """
        if isinstance(moves, cls):
            if (moves.m, moves.N) != (m, N):
                raise InvalidInputError(f"packed moves are for {moves.m} units and {moves.N} examples, "
                                        f"not {m} and {N}")
            return moves
        units, flat, ptr = [], [], [0]
        try:
            for u, flipped in moves:
                units.append(u)
                flat.extend(flipped)
                ptr.append(len(flat))
            U, F = np.array(units), np.array(flat)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"moves must be pairs (unit, flipped example indices): {exc}") from exc
        if U.ndim != 1 or U.dtype.kind not in "iu" and U.size or F.ndim != 1 or F.dtype.kind not in "iu" and F.size:
            raise InvalidInputError("moves must be pairs (unit, flipped example indices), with integer "
                                    "units and example indices")
        if U.size and not (0 <= U.min() and U.max() < m and F.size and 0 <= F.min() and F.max() < N
                           and all(a < b and len(set(flat[a:b])) == b - a for a, b in zip(ptr, ptr[1:]))):
            for u, a, b in zip(units, ptr, ptr[1:]):
                f = flat[a:b]
                if not (0 <= u < m and f and len(set(f)) == len(f) and all(0 <= i < N for i in f)):
                    raise InvalidInputError(f"move ({int(u)}, {tuple(int(i) for i in f)}) is not a unit of {m} "
                                            f"and a non-empty set of distinct examples of {N}")
        return cls(units=U.astype(np.int32), ptr=np.array(ptr, dtype=np.int32), idx=F.astype(np.int32), m=m, N=N)


@dataclass(frozen=True)
class SweepOutcome:
    """What :meth:`RegionKernel.sweep` computed for each of k neighbours (arrays of length k).

    Attributes
    ----------
    loss : ndarray of float
        Optimal mean loss of each neighbour's region program; NaN where ``status`` is
        ``"bounded"``, ``"dominated"``, ``"open"`` or ``"failed"``.
    lower_bound : ndarray of float
        A certified lower bound of the optimum (the loss itself when solved, the vertex's loss
        when screened or bounded by the screening test, a face bound when bounded or dominated by
        one (:func:`~zonocomb.convex.backends.face_bounds.least_sweep`), −inf when open or failed).
    status : ndarray of str
        ``"solved"`` (the kernel's answer, KKT-certified), ``"screened"`` (the vertex's own optimum
        is the neighbour's, certified by the dual test), ``"bounded"`` (abandoned: its lower bound
        exceeds the bound), ``"dominated"`` (abandoned by
        :func:`~zonocomb.convex.backends.face_bounds.least_sweep`: its lower bound exceeds the
        least loss found), ``"open"`` (a sweep without ``solve``: not settled by the screening
        test) or ``"failed"`` (the kernel stopped or its answer failed the certificate; the
        caller solves it another way).
    n_iter : ndarray of int
        Iterations of the kernel (0 when not solved).
    cpu_seconds : ndarray of float
        CPU time its thread spent on each neighbour (screening, solve and certificate; the fast
        backend adds its attainment check when it runs one, :meth:`FastBackend.sweep
        <zonocomb.convex.backends.fast.FastBackend.sweep>`).
    W, c, row : ndarray, optional
        Only on request: the points found (the optimum of each solved neighbour, the vertex's for
        a screened one) in rows of W ((r, m, n)) and c ((r,)), neighbour j's in row ``row[j]``
        (−1: none), in an order that depends on the threads' timing; :meth:`point` reads them.
    threads : int
        Threads used.
    """

    loss: np.ndarray
    lower_bound: np.ndarray
    status: np.ndarray
    n_iter: np.ndarray
    cpu_seconds: np.ndarray
    W: np.ndarray | None
    c: np.ndarray | None
    row: np.ndarray | None
    threads: int

    def point(self, j: int) -> tuple[np.ndarray, float] | None:
        """(W, c) found for neighbour j, or None (not solved or screened, or not requested)."""
        if self.row is None or self.row[j] < 0:
            return None
        return self.W[self.row[j]], float(self.c[self.row[j]])


@dataclass(frozen=True)
class StarsOutcome:
    """What :meth:`RegionKernel.stars` computed: per vertex (arrays of length S) and per move
    (arrays of length k, the moves of all stars in order, star s owning ``ptr[s]:ptr[s + 1]``).

    Attributes
    ----------
    centre_loss : ndarray of float
        Optimal mean loss of each vertex's region program (NaN where ``centre_status`` is
        ``"failed"``).
    centre_status : ndarray of str
        ``"solved"`` (the kernel's answer from W = 0, KKT-certified) or ``"failed"`` (the kernel
        stopped, a recession test fired, or the answer failed the certificate; every move of the
        star is then ``"failed"`` too, and the caller solves the star another way).
    centre_iter : ndarray of int
    loss, lower_bound, status, n_iter, cpu_seconds : ndarray
        Per move, as in :class:`SweepOutcome` (never ``"bounded"``: stars have no bound).
    centre_seconds : ndarray of float
        CPU time of each vertex's solve and certificate.
    threads : int
        Threads used.
    """

    centre_loss: np.ndarray
    centre_status: np.ndarray
    centre_iter: np.ndarray
    centre_seconds: np.ndarray
    loss: np.ndarray
    lower_bound: np.ndarray
    status: np.ndarray
    n_iter: np.ndarray
    cpu_seconds: np.ndarray
    threads: int


def kernel_available() -> bool:
    """Whether the C extension ``_region_kernel`` was built and imports."""
    return _region_kernel is not None


def fits(m: int, n: int, N: int) -> bool:
    """Whether the kernel takes a program with m units, n weights per unit and N examples: its int
    index arithmetic needs m n N, (m n + 1)² and m n² below 2³¹ − 1, the last implied by the
    second (m n² ≤ (m n)²) (no other limit; the work space is allocated on the heap, sized by
    (N, m, n))."""
    limit = 2 ** 31 - 1
    return n >= 1 and m >= 1 and N >= 1 and m * n * N < limit and (m * n + 1) ** 2 < limit


def default_threads() -> int:
    """Threads used by a sweep by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                       # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class RegionKernel:
    """The compiled region solver for one dataset, output weights and smooth loss (see the module
    docstring).

    Parameters
    ----------
    data : RegionData
        With ``loss`` ``"mse"`` or ``"logistic"`` and sizes that :func:`fits`.
    max_iter : int, optional
        Cap on face steps plus pricing rounds per solve (default 200 + 20 m n).
    threads : int, optional
        Largest number of threads a sweep may use (default: the machine's cores).

    Raises
    ------
    ImportError
        The C extension is not built (``pip install -e .`` builds it).
    InvalidInputError
        A loss other than ``"mse"`` or ``"logistic"``, or sizes that do not :func:`fits`.
    """

    #: Number of (unit, barcode) certificate supports remembered as NNLS starting sets.
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None, threads: int | None = None):
        if _region_kernel is None:
            raise ImportError(f"the compiled region kernel is not built ({_IMPORT_ERROR}); "
                              "run `pip install -e .` in the repository") from _IMPORT_ERROR
        if data.loss not in _LOSS_CODE:
            raise InvalidInputError(f"the compiled region kernel solves the smooth losses only (mse, "
                                    f"logistic), not {data.loss!r}")
        X = np.ascontiguousarray(data.Xbar, dtype=np.float64)
        N, n = X.shape
        if not fits(data.m, n, N):
            raise InvalidInputError(f"the compiled region kernel needs m n N, (m n + 1)^2 and m n^2 below "
                                    f"2^31 - 1, got m = {data.m}, n = {n}, N = {N}")
        self.data = data
        self.loss = data.loss
        self.N, self.n, self.m = N, n, data.m
        self.fit_bias = bool(data.fit_bias)
        self.alpha = float(data.alpha)
        self.X = X
        self.xn = np.ascontiguousarray(np.linalg.norm(X, axis=1))
        self.Xu = np.ascontiguousarray(X / np.where(self.xn > 0.0, self.xn, 1.0)[:, None])
        self.y = np.ascontiguousarray(data.y, dtype=np.float64)
        self.v = np.ascontiguousarray(data.v, dtype=np.float64)
        if self.y.shape != (N,) or self.v.ndim != 1:
            raise InvalidInputError(f"labels must have shape ({N},) and v must be 1-D")
        self.max_iter = int(max_iter) if max_iter is not None else 200 + 20 * self.m * n
        self.threads = default_threads() if threads is None else max(1, int(threads))
        vmax = float(np.max(np.abs(self.v)))
        label = 2.0 * float(np.sqrt(np.mean(self.y ** 2))) if self.loss == "mse" else 1.0
        gscale = max(vmax * float(np.mean(self.xn)) * label, 1e-300)
        bscale = max(vmax * float(np.linalg.norm(X)), np.sqrt(N))
        values = dict(SOLVER_TOLERANCES, gscale=gscale, bscale=bscale, RIDGE=float(data.alpha))
        self.params = np.array([values[name] for name in _region_kernel.PARAMS], dtype=np.float64)
        # the certificate's tolerances; its scale is KKTChecker's gradient scale (the same formula)
        certificate = dict(SUPPORT_RTOL=SUPPORT_RTOL, NEGLIGIBLE_RTOL=NEGLIGIBLE_RTOL,
                           NEGATIVE_RTOL=NEGATIVE_RTOL, gscale=gscale, NNLS_RTOL=SOLVER_TOLERANCES["NNLS_RTOL"],
                           RIDGE=float(data.alpha))
        self.kkt_params = np.array([certificate[name] for name in _region_kernel.TOLERANCES], dtype=np.float64)
        self._loss_code = _LOSS_CODE[self.loss]
        self._program = self._build_program()
        self._no_keep = np.zeros(0, dtype=np.uint8)
        self._no_support = np.full((self.m, n), -1, dtype=np.int32)     # templates, copied per solve
        self._no_nsupport = np.full(self.m, -1, dtype=np.int32)
        self._no_nhints = np.zeros(self.m, dtype=np.int32)
        self._hints = {}                 # (unit, barcode bytes) -> last certificate support
        self._rows = [(u, slice(u * N, (u + 1) * N)) for u in range(self.m)]   # unit u's pattern bytes

    def _build_program(self):
        """The extension's program object (data, tolerances, per-thread work spaces)."""
        return _region_kernel.program(self.X, self.Xu, self.xn, self.y, self.v, self.params, self.kkt_params,
                                      self.N, self.n, self.m, self._loss_code, int(self.fit_bias),
                                      self.max_iter, self.threads)

    @property
    def program(self):
        """The extension's program object (data, tolerances, per-thread work spaces) that
        :meth:`solve` and :meth:`sweep` pass to ``_region_kernel``. A documented hook for tests of
        the extension's own argument checks (docs/design.md §8); not needed to solve."""
        return self._program

    def __getstate__(self):
        """Pickled without the extension's object (work spaces), which is rebuilt on unpickling
        (joblib and Dask workers receive programs this way)."""
        state = dict(self.__dict__)
        del state["_program"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._program = self._build_program()

    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None, c0: float | None = None,
              keep: np.ndarray | None = None, detect_recession: bool = False) -> ActiveSetResult:
        """Minimiser of the region program of ``pattern`` ((m, N) bool), optionally warm-started
        from (W0, c0) (c0 None: the best constant); its ``supports`` are the dual certificates of
        the units at the apex. Logistic only: ``keep`` ((N,) bool) counts only those examples in
        F, and ``detect_recession`` runs the recession tests (module docstring).

        Raises
        ------
        InvalidInputError
            Malformed pattern, warm start or ``keep``, or ``keep`` / ``detect_recession`` with the MSE.
        Separable
            (logistic, ``detect_recession`` without ``keep``) an iterate classifies every example
            correctly; it is attached (``.W``, ``.c``).
        Runaway
            (logistic, ``detect_recession``) a margin passed the runaway level.
        KernelFailed
            The kernel stopped without an answer.
        """
        A = self._pattern_bytes(pattern)
        kp = self._keep_bytes(keep)
        if self.loss != "logistic" and (keep is not None or detect_recession):
            raise InvalidInputError("keep and detect_recession apply to the logistic loss only")
        W, c, n_iter, supports, nsupport = self._run(A, W0, c0, kp, keep is not None, detect_recession)
        sup = {int(u): supports[u, :nsupport[u]] for u in np.flatnonzero(nsupport >= 0)}
        return ActiveSetResult(W=W, c=c, n_iter=n_iter, supports=sup)

    def solve_certified(self, pattern: np.ndarray, W0: np.ndarray | None = None,
                        c0: float | None = None) -> tuple[ActiveSetResult, KKTResiduals]:
        """:meth:`solve` without ``keep`` / ``detect_recession``, followed by the compiled KKT
        certificate of its answer (:meth:`residuals`, given the answer's supports).

        Raises
        ------
        InvalidInputError
            Malformed pattern or warm start.
        KernelFailed
            The kernel stopped without an answer.
        """
        A = self._pattern_bytes(pattern)
        W, c, n_iter, supports, nsupport = self._run(A, W0, c0, self._no_keep, False, False)
        res = _region_kernel.certify(self.X, self.Xu, self.xn, self.y, self.v, A, W, c, supports, nsupport,
                                     self._no_keep, self.N, self.n, self.m, self._loss_code,
                                     int(self.fit_bias), 0, self.kkt_params)
        sup = {int(u): supports[u, :nsupport[u]] for u in np.flatnonzero(nsupport >= 0)}
        return ActiveSetResult(W=W, c=c, n_iter=n_iter, supports=sup), KKTResiduals(*res)

    def residuals(self, pattern: np.ndarray, W: np.ndarray, c: float, supports: dict | None = None,
                  keep: np.ndarray | None = None) -> KKTResiduals:
        """The KKT residuals of :meth:`KKTChecker.residuals <zonocomb.convex.kkt.KKTChecker.residuals>`
        (same arguments, definitions and tolerances), computed by the compiled certificate from
        the data, the pattern and (W, c) alone: a supported unit's multipliers by least squares
        over its candidate set, NNLS (the kernel's Lawson–Hanson routine) where kkt.py uses
        NNLS. Agrees with the Python checker to rounding, except that an NNLS that hits its
        iteration cap gives an infinite stationarity residual (not certified).

        Raises
        ------
        InvalidInputError
            Malformed pattern, W, c, supports or ``keep``.
        """
        m, n = self.m, self.n
        A = self._pattern_bytes(pattern)
        kp = self._keep_bytes(keep)
        W = np.ascontiguousarray(W, dtype=np.float64)
        c = float(c)
        if W.shape != (m, n):
            raise InvalidInputError(f"W must be an ({m}, {n}) array, got shape {W.shape}")
        sup = np.full((m, n), -1, dtype=np.int32)
        nsup = np.full(m, -1, dtype=np.int32)
        for u, s in (supports or {}).items():
            s = np.asarray(s, dtype=np.int64).ravel()
            if not 0 <= int(u) < m or np.any((s < 0) | (s >= self.N)):
                raise InvalidInputError(f"support of unit {u} is not a list of example indices of a unit")
            if s.size <= n:                                  # (longer ones are not used, as in kkt.py)
                sup[u, :s.size] = s
                nsup[u] = s.size
        out = _region_kernel.certify(self.X, self.Xu, self.xn, self.y, self.v, A, W, c, sup, nsup, kp,
                                     self.N, n, m, self._loss_code, int(self.fit_bias), int(keep is not None),
                                     self.kkt_params)
        return KKTResiduals(*out)

    def sweep(self, pattern: np.ndarray, moves, W: np.ndarray, c: float, loss: float, *, screen: bool,
              kkt_rtol: float, bound: float | None = None, threads: int | None = None,
              solutions: bool = False, starts: Mapping[int, tuple] | None = None,
              solve: bool = True) -> SweepOutcome:
        """The region programs of the neighbours of ``pattern`` in one call (compiled, on
        ``threads`` threads with the GIL released).

        Neighbour k flips the examples ``moves[k][1]`` in the row of unit ``moves[k][0]``. (W, c)
        is the optimum of ``pattern``, of mean loss ``loss``; ``screen`` says that it passed the KKT
        certificate. Each neighbour is then screened: with g* = ℓ'(ŷ*)/N at the vertex's
        predictions, the moved unit's gradient Xᵀ(v_u A'_u ⊙ g*) under the neighbour's pattern is
        tested for membership of the dual cone of the unit's new activation cone (NNLS residual ≤
        ``PG_RTOL`` times the gradient scale). Every other unit's KKT conditions are the vertex's
        and ⟨∇φ(ŷ*), ŷ*⟩ = 0 at the vertex's optimum (φ the loss as a function of the
        predictions), so −∇φ(ŷ*) is then in the polar of the neighbour's cone of predictions and,
        φ being convex, ``loss`` is a lower bound of the neighbour's optimum. If every flipped
        constraint is also tight at w*_u, (W, c) is feasible for the neighbour with the same
        predictions: it is the neighbour's optimum (status ``"screened"``). Otherwise the
        neighbour is abandoned when ``loss > bound`` (status ``"bounded"``), else left
        ``"open"`` when ``solve`` is False, else solved and certified by :meth:`residuals` at
        ``kkt_rtol`` (``"solved"``, or ``"failed"``). The solve
        starts from (W, c), or from ``starts[k]`` = (W_k, c_k) when given for neighbour k (its
        infeasible units projected onto the neighbour's cones): a point near the neighbour's
        optimum, such as the optimum of the same move from the previous vertex of a search, saves
        most iterations (benchmarks/README.md).

        With ``solutions`` the outcome also holds the points found (``W``, ``c``, ``row``: one row
        per solved or screened neighbour; :meth:`SweepOutcome.point`); k m n doubles are reserved
        for them and only the rows in use are written.

        Results do not depend on the number of threads. Cost: one NNLS of n × N per screened
        neighbour, a warm-started solve and a certificate per solved one (the set-up of a solve
        from its own start is that of :meth:`solve`, m times that of one from (W, c)).

        Raises
        ------
        InvalidInputError
            Malformed pattern, moves or point; start buffers the compiled sweep cannot read.
        """
        m, N, n = self.m, self.N, self.n
        A = self._pattern_bytes(pattern)
        W = np.ascontiguousarray(W, dtype=np.float64)
        if W.shape != (m, n) or not np.all(np.isfinite(W)) or not np.isfinite(c):
            raise InvalidInputError(f"the vertex's optimum must be a finite ({m}, {n}) array and c")
        moves = PackedMoves.pack(moves, m, N)
        k = len(moves)
        start_of, start_rows = self._start_rows(starts, k)
        out_loss, out_lb = np.empty(k), np.empty(k)
        out_status, out_iter = np.empty(k, dtype=np.int32), np.empty(k, dtype=np.int32)
        out_sec = np.empty(k)
        # (np.empty reserves the rows without touching them: only the rows in use are written)
        out_W = np.empty((k, m, n)) if solutions else np.empty(0)
        out_c = np.empty(k) if solutions else np.empty(0)
        out_row = np.empty(k, dtype=np.int32) if solutions else np.empty(0, dtype=np.int32)
        try:
            used = _region_kernel.sweep(self._program, A, W, float(c), float(loss), moves.units, moves.ptr, moves.idx,
                                        0.0 if bound is None else float(bound), int(bound is not None),
                                        int(bool(screen)), int(bool(solve)), float(kkt_rtol),
                                        self.threads if threads is None else int(threads),
                                        out_loss, out_lb, out_status, out_iter, out_sec, out_W, out_c,
                                        out_row, start_of, start_rows)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        rows = int(np.count_nonzero(out_row >= 0)) if solutions else 0
        return SweepOutcome(loss=out_loss, lower_bound=out_lb, status=_SWEEP_NAMES[out_status], n_iter=out_iter,
                            cpu_seconds=out_sec, W=out_W[:rows] if solutions else None,
                            c=out_c[:rows] if solutions else None, row=out_row if solutions else None, threads=used)

    def _start_rows(self, starts, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's form of a sweep's ``starts`` (neighbour index → (W, c)) for k neighbours:
        (start_of: k int32, −1 where none; rows of m n + 1 doubles, W then c), both empty for none.
        The starts are those :meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>`
        checked (indices 0 … k − 1, finite (m, n) points); the compiled sweep checks the buffers."""
        if not starts:
            return np.empty(0, dtype=np.int32), np.empty(0)
        m, n = self.m, self.n
        start_of = np.full(k, -1, dtype=np.int32)
        rows = np.empty((len(starts), m * n + 1))
        for row, (j, (Wj, cj)) in enumerate(starts.items()):
            start_of[j] = row
            rows[row, :-1], rows[row, -1] = np.ravel(Wj), cj
        return start_of, rows

    def stars(self, patterns: np.ndarray, moves, ptr: np.ndarray, *, screen: bool, kkt_rtol: float,
              threads: int | None = None) -> StarsOutcome:
        """S vertices and, from each one's optimum, some of its neighbours, in one compiled call.

        Star s is the vertex ``patterns[s]`` ((S, m, N) bool) with the moves
        ``moves[ptr[s]:ptr[s + 1]]`` (``ptr``: S + 1 non-decreasing ints from 0 to len(moves)).
        The vertex is solved from W = 0 (as :meth:`solve` without a warm start; logistic with the
        recession tests) and certified by :meth:`residuals` at ``kkt_rtol``; its moves are then
        swept from its optimum exactly as :meth:`sweep` does without a bound (with the screening
        test when ``screen``: no weight decay). The work of S calls of :meth:`solve_certified` and
        :meth:`sweep` without their per-call cost in Python; stars run on ``threads`` threads, one
        star per thread at a time, and the results do not depend on the number of threads.

        Raises
        ------
        InvalidInputError
            Malformed patterns, moves or ``ptr``.
        """
        m, N = self.m, self.N
        if not (isinstance(patterns, np.ndarray) and patterns.dtype == np.bool_ and patterns.ndim == 3
                and patterns.shape[1:] == (m, N)):
            patterns = np.asarray(patterns)
            raise InvalidInputError(f"stars need an (S, {m}, {N}) bool array of vertices, got "
                                    f"{patterns.dtype} array of shape {patterns.shape}")
        moves = PackedMoves.pack(moves, m, N)
        S, k = len(patterns), len(moves)
        ptr = np.ascontiguousarray(ptr, dtype=np.int32)
        if ptr.shape != (S + 1,):
            raise InvalidInputError(f"ptr must have S + 1 = {S + 1} entries, got shape {ptr.shape}")
        out = dict(centre_loss=np.empty(S), centre_status=np.empty(S, dtype=np.int32),
                   centre_iter=np.empty(S, dtype=np.int32), centre_seconds=np.empty(S), loss=np.empty(k),
                   lower_bound=np.empty(k), status=np.empty(k, dtype=np.int32), n_iter=np.empty(k, dtype=np.int32),
                   cpu_seconds=np.empty(k))
        try:
            used = _region_kernel.stars(self._program, np.ascontiguousarray(patterns).view(np.uint8), ptr,
                                        moves.units, moves.ptr, moves.idx, int(bool(screen)),
                                        int(self.loss == "logistic" and self.alpha == 0.0),
                                        float(kkt_rtol), self.threads if threads is None else int(threads),
                                        *out.values())
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        out["centre_status"] = _SWEEP_NAMES[out["centre_status"]]
        out["status"] = _SWEEP_NAMES[out["status"]]
        return StarsOutcome(threads=used, **out)

    def _pattern_bytes(self, pattern) -> np.ndarray:
        """``pattern`` ((m, N) bool) as a contiguous uint8 view."""
        if not (isinstance(pattern, np.ndarray) and pattern.dtype == np.bool_
                and pattern.shape == (self.m, self.N)):
            pattern = np.asarray(pattern)
            raise InvalidInputError(f"the kernel needs an ({self.m}, {self.N}) bool pattern, got "
                                    f"{pattern.dtype} array of shape {pattern.shape}")
        return np.ascontiguousarray(pattern).view(np.uint8)

    def _keep_bytes(self, keep) -> np.ndarray:
        """``keep`` ((N,) bool or None) as a contiguous uint8 array (empty for None)."""
        if keep is None:
            return self._no_keep
        keep = np.asarray(keep)
        if keep.shape != (self.N,) or keep.dtype != np.bool_:
            raise InvalidInputError(f"keep must be an ({self.N},) bool array, got {keep.dtype} array "
                                    f"of shape {keep.shape}")
        return np.ascontiguousarray(keep).view(np.uint8)

    def _run(self, A, W0, c0, kp, has_keep, detect_recession):
        """The C solve of the pattern bytes ``A``: (W, c, n_iter, supports, nsupport), the raw
        (m, n) / (m,) support arrays (nsupport_u < 0: no support); remembers the supports as
        NNLS starting sets. Raises as :meth:`solve`."""
        m, n = self.m, self.n
        if W0 is None:
            W = np.zeros((m, n))
            has_start = 0
        else:
            W = np.array(W0, dtype=np.float64, order="C")        # a fresh array: the kernel writes it
            if W.shape != (m, n) or not np.all(np.isfinite(W)):
                raise InvalidInputError(f"warm start W must be a finite ({m}, {n}) array, got shape {W.shape}")
            has_start = 1
        c = 0.0 if c0 is None else float(c0)
        if not np.isfinite(c):
            raise InvalidInputError(f"warm start c must be finite, got {c!r}")
        supports = self._no_support.copy()
        nsupport = self._no_nsupport.copy()
        hints, nhints = self._no_support, self._no_nhints            # (read only by the kernel)
        rows = A.tobytes()
        keys = [(u, rows[s]) for u, s in self._rows]
        found = [(u, h) for u, h in enumerate(map(self._hints.get, keys)) if h is not None]
        if found:
            hints, nhints = self._no_support.copy(), self._no_nhints.copy()
            for u, h in found:
                hints[u, :h.size] = h
                nhints[u] = h.size
        status, c, n_iter = _region_kernel.solve(self._program, A, W, supports, nsupport, hints, nhints, kp,
                                                 has_start, c, int(c0 is not None), int(has_keep),
                                                 int(bool(detect_recession)))
        if status == _CODES["separable"]:
            raise Separable(W, float(c) if self.fit_bias else 0.0)
        if status == _CODES["runaway"]:
            raise Runaway("a prediction ran away past the runaway level (compiled kernel): the "
                          "infimum may not be attained")
        if status != _CODES["ok"]:
            message = _region_kernel.STATUS.get(status, ("", f"status {status}"))[1]
            raise KernelFailed(f"compiled region kernel: {message} after {n_iter} iterations")
        if len(self._hints) >= self.CACHE_SIZE:
            self._hints.clear()
        for u, k in enumerate(nsupport.tolist()):
            if k >= 0:
                self._hints[keys[u]] = supports[u, :k]
        return W, float(c) if self.fit_bias else 0.0, int(n_iter), supports, nsupport
