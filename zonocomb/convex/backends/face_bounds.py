"""Certified lower bounds of the MSE region programs of a vertex's neighbours, from the vertex's
faces: a dual point per neighbour, for the searches that need only the least neighbour (GLS).

The programs are those of :class:`~zonocomb.convex.region.RegionProgram` with the MSE and no weight
decay (paper eq. 3, appendix H): φ(ŷ) = (1/N)‖ŷ − y‖² over ŷ = Σ_u v_u A_u ⊙ (X̄ w_u) + c, with
w_u ∈ C_u = {w : s_ui x̄_i·w ≥ 0 for all i} and c optimised (or fixed at 0). For λ ∈ R^N with
1ᵀλ = 0 (when c is optimised) and g_w(λ) = X̄ᵀ(v_w A_w ⊙ λ) in the dual cone
C_w* = cone{s_wi x̄_i} for every unit w, λ·ŷ ≥ 0 on the feasible set, so that the optimum is at
least D(λ) = −λ·y − (N/4)‖λ‖² (weak duality; at the vertex's optimum λ* = (2/N)(ŷ* − y) attains
its loss).

For the neighbour that moves unit u to the pattern A'_u, :meth:`FaceBounds.lower_bounds` builds
such a λ from the vertex's optimum (W*, c*). Every other unit w keeps a set T_w of its constraints
(the tight ones of a live unit; for a unit at w = 0, the support of the NNLS certificate of
g_w(λ*)) and moves freely in their common null space Z_w; unit u moves in its whole new cone C'_u.
With V the span of the columns v_w A_w ⊙ X̄ Z_w (w ≠ u) and of 1, that model's least squares is

    min over w ∈ C'_u of ‖P⊥_V (v_u A'_u ⊙ X̄ w − y)‖²,

n unknowns under N cone constraints (one NNLS), and λ = (2/N) P⊥_V(v_u A'_u ⊙ X̄ w − y) at its
solution: g_u(λ) ∈ C'_u* by its optimality, 1ᵀλ = 0 and g_w(λ) ∈ span{x̄_i : i ∈ T_w} by λ ⊥ V.
The coefficients μ of g_w(λ) on the normals s_wi x̄_i (i ∈ T_w) must then be non-negative. Every
unit with a negative one (beyond rounding: see below) releases the most negative of its
constraints not yet released: the unit may then move off that constraint in the feasible sense,
along the row d of its face's pseudo-inverse (s_wj x̄_j·d = δ_ij on the face), the model gaining
the column P⊥_V(v_w A_w ⊙ X̄ d) with a coefficient t ≥ 0, and the model is solved again, at most
``MAX_ROUNDS`` times (at its optimum t ≥ 0 makes the released constraint's μ_i ≥ 0). The bound is
D(λ) when every check passes, else −∞ (none). Releasing enlarges the model's feasible set, so its
value D(λ) does not grow from round to round except as the moved unit's cone gains constraints
its minimiser violated; a caller that wants a bound only above a cutoff stops a neighbour once
D(λ) falls to it. A certified bound is the optimum of a relaxation of the neighbour's program,
in which the other units keep their faces' constraints T_w, as inequalities, and drop the others
(weak duality bounds the relaxation below by D(λ), and the model, which keeps the constraints not
released as equalities, above), whenever the model's NNLS reaches its optimum; in a
near-degenerate model it may stop short, and the bound is then smaller, still valid. It is tight
when the neighbour's optimum keeps the other units in the cones of their faces' constraints.

The checks are made in floating point with the relative tolerance ``CHECK_RTOL`` of the scale
‖X̄‖_F · max(‖λ*‖, ‖y‖/N): the moved unit's g_u must equal (2/N) Σ ν_i s'_i x̄_i (ν ≥ 0) to it,
and for every other unit the part of g_w off the span of its face's normals plus
Σ max(0, −μ_i) ‖x̄_i‖ must be within it (so that coefficients negative by rounding release
nothing). This is the standard of the compiled sweep's screening test
(:meth:`RegionKernel.sweep <zonocomb.convex.backends.kernel.RegionKernel.sweep>`): like it, a bound
certifies to rounding. Only the checks decide: an inexact inner solve loosens a bound or loses
it. How tight the bounds are and what they save: benchmarks/README.md ("Face-restricted dual
bounds"); ``benchmarks/face_bounds_probe.py`` measures them. :func:`least_sweep` is GLS's sweep
with them; tests/oracles/face_bounds.py is an independent implementation in numpy.

Cost: at construction one pivoted QR of N × K (K ≤ m n + 1 the face columns), O(N K²); per unit
with neighbours to bound O(N r n) (r ≤ N the rank of V); per neighbour (compiled,
``_face_bounds.c``) a QR of N × D extended round by round, D = n + the directions released
(about 50 at a fresh Table A1 (16, 16, 128) vertex), O(N D²) in all; per round an NNLS in
dimension D over the moved unit's constraints in the model and the released directions' t ≥ 0,
O(m n N) for the other units' coefficients, and O(N (n + r')) per release (r' the rows of V that
only the moved unit's face spans).
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from scipy.linalg import null_space, qr, solve_triangular
from scipy.optimize import nnls

from ...errors import InvalidInputError
from .kernel import PackedMoves, RegionKernel, SweepOutcome

try:
    from . import _face_bounds
except ImportError as exc:                                   # pragma: no cover - not built
    _face_bounds, _IMPORT_ERROR = None, exc

__all__ = ["FaceBounds", "Bounds", "least_sweep"]

#: Most solves of the model per neighbour.
MAX_ROUNDS = 32
#: The ridge, relative to the larger of R's largest diagonal and the Frobenius norm of the moved
#: unit's columns before the projection, when the model's matrix is rank deficient.
RIDGE_RTOL = 1e-9
#: Relative tolerance of the certificate's checks (coefficients' residuals, the moved unit's
#: multipliers), and of the face directions kept (ranks).
CHECK_RTOL = 1e-9
#: A released direction enters the model when its part off V is longer than this, relative.
NEW_DIRECTION_RTOL = 1e-7
#: A constraint of a live unit is in its face when |x̄_i·w| ≤ TIGHT_RTOL ‖x̄_i‖ ‖w‖ (the kernel's).
TIGHT_RTOL = 1e-9
#: Most released directions (the model's t ≥ 0) per neighbour.
MAX_EXTRA = 512
#: least_sweep solves this many neighbours (those of least first-model value) before it bounds
#: the others against the least loss found.
FIRST_BATCH = 8
#: The rounding margin of a comparison of a bound with a loss: DOMINANCE_RTOL times the vertex's
#: loss plus DOMINANCE_ATOL times the mean squared label.
DOMINANCE_RTOL = 1e-9
DOMINANCE_ATOL = 1e-12


def _nnls(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    return nnls(A, b, maxiter=50 * max(A.shape))[0]


class FaceBounds:
    """Lower bounds of the neighbours of one vertex (see the module docstring).

    Parameters
    ----------
    data : RegionData
        The programs' data, MSE without weight decay (in the units the bounds are wanted in).
    pattern : ndarray of bool, shape (m, N)
        The vertex.
    W, c : the vertex's optimum.

    Raises
    ------
    ImportError
        The C extension is not built.
    InvalidInputError
        A loss other than the MSE, weight decay, or a malformed pattern or point.
    """

    def __init__(self, data, pattern: np.ndarray, W: np.ndarray, c: float):
        if _face_bounds is None:                             # pragma: no cover - not built
            raise ImportError(f"the compiled face bounds are not built ({_IMPORT_ERROR}); "
                              "run `pip install -e .` in the repository") from _IMPORT_ERROR
        if data.loss != "mse" or data.alpha:
            raise InvalidInputError("face bounds are for the MSE without weight decay")
        X = np.ascontiguousarray(data.Xbar, dtype=np.float64)
        self.X, self.y = X, np.ascontiguousarray(data.y, dtype=np.float64)
        self.v = np.ascontiguousarray(data.v, dtype=np.float64)
        self.fit_bias = bool(data.fit_bias)
        self.N, self.n = X.shape
        self.m = len(self.v)
        A = np.asarray(pattern)
        W = np.asarray(W, dtype=float)
        if A.shape != (self.m, self.N) or W.shape != (self.m, self.n) or not np.all(np.isfinite(W)) \
                or not np.isfinite(c):
            raise InvalidInputError(f"face bounds need an ({self.m}, {self.N}) pattern and a finite "
                                    f"({self.m}, {self.n}) optimum")
        self.A = A.astype(bool)
        self.AV = self.v[:, None] * self.A
        yhat = np.einsum("un,in,ui->i", W, X, self.AV) + (c if self.fit_bias else 0.0)
        lam = (2.0 / self.N) * (yhat - self.y)
        self.scale = float(np.linalg.norm(X) * max(np.linalg.norm(lam), np.linalg.norm(self.y) / self.N, 1e-300))
        self.faces = [self._face(w, W[w], lam) for w in range(self.m)]
        self.width = max(1, max(len(T) for T in self.faces))
        self.fidx = np.zeros((self.m, self.width), dtype=np.int32)
        self.flen = np.array([len(T) for T in self.faces], dtype=np.int32)
        self.pinv = np.zeros((self.m, self.width, self.n))
        for w, T in enumerate(self.faces):
            if len(T):
                self.fidx[w, :len(T)] = T
                self.pinv[w, :len(T)] = np.linalg.pinv(self._normals(w, T).T)
        self._span_of_faces()
        self._per_unit: dict = {}
        self._packed = None         # (units, their stack): _units_packed

    def _normals(self, w: int, T) -> np.ndarray:
        """Rows s_wi x̄_i of unit w's constraints T (all of them for None)."""
        sign = 2.0 * self.A[w] - 1.0
        return sign[:, None] * self.X if T is None else sign[T, None] * self.X[T]

    def _face(self, w: int, ww: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """T_w: the constraints tight at a live unit, or the support of the NNLS certificate of
        g_w(λ*) for a unit at w = 0."""
        wn = np.linalg.norm(ww)
        if wn > 0:
            return np.flatnonzero(np.abs(self.X @ ww) <= TIGHT_RTOL * np.linalg.norm(self.X, axis=1) * wn)
        return np.flatnonzero(_nnls(self._normals(w, None).T, self.X.T @ (self.AV[w] * lam)) > 0)

    def _span_of_faces(self) -> None:
        """An orthonormal basis Q of V for all units (face columns and 1) by pivoted QR, and the
        dual basis H of its independent columns (Hᵀ C = I on them), with their units."""
        cols = []
        for w, T in enumerate(self.faces):
            Z = null_space(self.X[T]) if len(T) else np.eye(self.n)
            cols.append((self.AV[w][:, None] * self.X) @ Z)
        owner = np.concatenate([np.full(Cw.shape[1], w) for w, Cw in enumerate(cols)] + [np.full(1, -1)])
        C = np.hstack(cols + [np.ones((self.N, 1)) if self.fit_bias else np.zeros((self.N, 1))])
        Q, R, piv = qr(C, mode="economic", pivoting=True)
        d = np.abs(np.diag(R))
        r = int(np.count_nonzero(d > CHECK_RTOL * d[0])) if d.size and d[0] > 0 else 0
        self._Q = np.ascontiguousarray(Q[:, :r].T)                      # rows: the basis of V
        self._H = solve_triangular(R[:r, :r], Q[:, :r].T).T           # Q R⁻ᵀ
        self._owner = owner[piv[:r]]
        # P_V of every unit's columns v_w A_w ⊙ X̄, rows (m, n, N): a released direction's column
        # projected in O(N n)
        D = self.AV[:, :, None] * self.X[None]
        self._PVD = np.ascontiguousarray(np.transpose(self._Q.T @ (self._Q @ D), (0, 2, 1)))

    def _unit(self, u: int) -> tuple:
        """(rows E_u: an orthonormal basis of the part of V that only unit u's face spans, the
        dual basis of its columns; rows P⊥_{V_{-u}} of [v_u A_u ⊙ X̄, y]), built once per unit,
        with P_{V_{-u}} = Q Qᵀ − E_u E_uᵀ."""
        if u not in self._per_unit:
            own = np.flatnonzero(self._owner == u)
            E = np.linalg.qr(self._H[:, own])[0].T if len(own) else np.zeros((0, self.N))
            Y = np.hstack([self.AV[u][:, None] * self.X, self.y[:, None]])
            Y = Y - self._Q.T @ (self._Q @ Y) + E.T @ (E @ Y)
            self._per_unit[u] = (np.ascontiguousarray(E), np.ascontiguousarray(Y.T))
        return self._per_unit[u]

    def _units_packed(self, units: frozenset) -> tuple:
        """The per-unit parts (:meth:`_unit`) of ``units`` stacked for the compiled rounds: (E,
        eptr, Y, yrow), unit u's rows of E at eptr[u]:eptr[u + 1] and of Y from yrow[u] (−1 for a
        unit not in ``units``); the last stack is kept and serves any subset of its units (a GLS step
        asks first for all its open neighbours, then for those outside the first batch)."""
        if self._packed is not None and units <= self._packed[0]:
            return self._packed[1]
        eptr = np.zeros(self.m + 1, dtype=np.int32)
        yrow = np.full(self.m, -1, dtype=np.int32)
        E_rows, Y_rows = [], []
        for u in range(self.m):
            if u in units:
                E, Y = self._unit(u)
                E_rows.append(E)
                yrow[u] = sum(len(y) for y in Y_rows)
                Y_rows.append(Y)
            eptr[u + 1] = eptr[u] + (len(E_rows[-1]) if u in units else 0)
        E = np.ascontiguousarray(np.vstack(E_rows)) if E_rows else np.zeros((0, self.N))
        Y = np.ascontiguousarray(np.vstack(Y_rows)) if Y_rows else np.zeros((0, self.N))
        self._packed = (units, (E, eptr, Y, yrow))
        return self._packed[1]

    def lower_bounds(self, moves, cutoff: float = -np.inf, threads: int = 1) -> Bounds:
        """Certified lower bounds of the neighbours ``moves`` (each (unit, flipped examples), or
        :class:`PackedMoves`); a neighbour whose model's value falls to ``cutoff`` or below stops
        there without a bound (a bound is wanted only above it; with ``cutoff`` = +inf every
        neighbour stops after its first model, whose value is then an estimate for ordering).
        Results do not depend on ``threads``."""
        moves = PackedMoves.pack(moves, self.m, self.N)
        k = len(moves)
        E, eptr, Y, yrow = self._units_packed(frozenset(moves.units.tolist()))
        out_lb, out_first, out_info = np.empty(k), np.empty(k), np.empty(k, dtype=np.int32)
        if k:
            _face_bounds.bounds(self.X, self.y, self.v, np.ascontiguousarray(self.A, dtype=np.uint8), self._Q, E,
                                eptr, Y, yrow, self.fidx, self.flen, self.pinv, self._PVD, moves.units, moves.ptr,
                                moves.idx, self.N, self.n, self.m, len(self._Q), self.width, int(self.fit_bias),
                                self.scale, CHECK_RTOL, RIDGE_RTOL, NEW_DIRECTION_RTOL, float(cutoff), MAX_ROUNDS,
                                MAX_EXTRA, max(1, int(threads)), out_lb, out_first, out_info)
        return Bounds(lower=out_lb, first=out_first, info=out_info)


class Bounds(NamedTuple):
    """What :meth:`FaceBounds.lower_bounds` found for k neighbours (arrays of length k).

    Attributes
    ----------
    lower : ndarray of float
        The certified lower bound of each neighbour's optimum, −inf where none.
    first : ndarray of float
        The value of its first model (not a bound unless certified; NaN when that model failed).
    info : ndarray of int
        The rounds a certified bound took (≥ 1), else why there is none: a negative code, named
        by :meth:`reason`.
    """

    lower: np.ndarray
    first: np.ndarray
    info: np.ndarray

    @staticmethod
    def reason(code: int) -> str:
        """Why a bound has no certificate, from its negative code in ``info``."""
        return _face_bounds.FAILURES[int(code)]


def least_sweep(kernel: RegionKernel, pattern: np.ndarray, moves, W: np.ndarray, c: float, loss: float, *,
                kkt_rtol: float, bound: float | None = None, threads: int | None = None, solutions: bool = False,
                starts=None) -> SweepOutcome:
    """The neighbours' sweep (:meth:`RegionKernel.sweep`, the vertex's optimum (W, c) certified) for
    a caller that needs only the least loss among them, below ``bound`` (GLS): the same least
    loss, and the same neighbours attaining it, with fewer solves. MSE without weight decay.

    The neighbours are screened as in :meth:`RegionKernel.sweep`. Of those left open, the
    ``FIRST_BATCH`` of least first-model value (:meth:`FaceBounds.lower_bounds` with cutoff +inf)
    are solved; every other one gets a face bound (:class:`FaceBounds`) and is abandoned when the
    bound exceeds ``bound`` (status ``"bounded"``) or the least loss solved (``"dominated"``) by
    the margin ``DOMINANCE_RTOL`` |loss| + ``DOMINANCE_ATOL`` mean(y²); the rest are solved (with
    those whose first model is already at or below that cutoff, which get no bound above it). Each
    part is a compiled sweep, so results do not depend on ``threads``. The CPU time of the bounds
    is shared equally among the open neighbours' ``cpu_seconds``.

    Cost: a screening sweep, the bounds' set-up (:class:`FaceBounds`), a first model per open
    neighbour and a bound per other open neighbour whose first model is above the cutoff (a few
    rounds each; see :class:`FaceBounds` and the module docstring), and the solves of the
    neighbours not abandoned.

    Raises
    ------
    InvalidInputError
        As :meth:`RegionKernel.sweep`; a kernel for another loss than the MSE, or with weight decay.
    """
    if kernel.loss != "mse" or kernel.alpha:
        raise InvalidInputError("least_sweep is for the MSE without weight decay")
    moves = PackedMoves.pack(moves, kernel.m, kernel.N)
    starts = dict(starts or {})

    def sweep(which: np.ndarray, solve: bool) -> SweepOutcome:
        part = {j: starts[int(i)] for j, i in enumerate(which.tolist()) if int(i) in starts}
        # (the screening pass screens; the neighbours solved later are known not to be screened)
        return kernel.sweep(pattern, moves.take(which), W, c, loss, screen=not solve, kkt_rtol=kkt_rtol,
                            bound=bound, threads=threads, solutions=solutions, starts=part or None, solve=solve)

    everyone = np.arange(len(moves))
    screened = sweep(everyone, solve=False)
    out = _Merged(screened, solutions)
    open_ = np.flatnonzero(screened.status == "open")
    if not len(open_):
        return out.outcome()
    t0 = time.process_time()
    faces = FaceBounds(kernel.data, pattern, W, c)
    first = faces.lower_bounds(moves.take(open_), cutoff=np.inf, threads=threads or kernel.threads).first
    by_first = np.argsort(np.where(np.isnan(first), -np.inf, first), kind="stable")
    order, first = open_[by_first], first[by_first]
    seconds = time.process_time() - t0
    out.add(order[:FIRST_BATCH], sweep(order[:FIRST_BATCH], solve=True))
    rest = order[FIRST_BATCH:]
    if len(rest):
        solved = out.loss[order[:FIRST_BATCH]]
        least = float(np.nanmin(solved)) if np.any(np.isfinite(solved)) else np.inf
        margin = DOMINANCE_RTOL * abs(loss) + DOMINANCE_ATOL * float(np.mean(kernel.y ** 2))
        not_improving = np.inf if bound is None else float(bound) + margin
        cutoff = min(least + margin, not_improving)
        # a neighbour whose first model is at or below the cutoff would stop there (lower_bounds'
        # cutoff): it is solved without asking
        ask = ~(first[FIRST_BATCH:] <= cutoff)
        lower = np.full(len(rest), -np.inf)
        t0 = time.process_time()
        if np.any(ask):
            lower[ask] = faces.lower_bounds(moves.take(rest[ask]), cutoff=cutoff,
                                            threads=threads or kernel.threads).lower
        seconds += time.process_time() - t0
        abandoned = lower > cutoff
        out.abandon(rest[abandoned], lower[abandoned],
                    np.where(lower[abandoned] > not_improving, "bounded", "dominated"))
        todo = rest[~abandoned]
        if len(todo):
            out.add(todo, sweep(todo, solve=True))
    out.cpu_seconds[open_] += seconds / len(open_)
    return out.outcome()


class _Merged:
    """A sweep's outcome assembled from the outcomes of its parts (sweeps of subsets of its moves)."""

    def __init__(self, base: SweepOutcome, solutions: bool):
        self.loss, self.lower_bound = base.loss.copy(), base.lower_bound.copy()
        self.status, self.n_iter = base.status.astype(object), base.n_iter.copy()
        self.cpu_seconds, self.threads = base.cpu_seconds.copy(), base.threads
        self.solutions = solutions
        self.W = [base.W] if solutions else []
        self.c = [base.c] if solutions else []
        self.row = base.row.copy() if solutions else None
        self.rows = len(base.W) if solutions else 0

    def add(self, which: np.ndarray, part: SweepOutcome) -> None:
        self.loss[which], self.lower_bound[which] = part.loss, part.lower_bound
        self.status[which], self.n_iter[which] = part.status, part.n_iter
        self.cpu_seconds[which] = self.cpu_seconds[which] + part.cpu_seconds
        self.threads = max(self.threads, part.threads)
        if self.solutions:
            self.row[which] = np.where(part.row >= 0, part.row + self.rows, -1)
            self.W.append(part.W)
            self.c.append(part.c)
            self.rows += len(part.W)

    def abandon(self, which: np.ndarray, lower: np.ndarray, status: np.ndarray) -> None:
        self.loss[which], self.lower_bound[which], self.status[which] = np.nan, lower, status

    def outcome(self) -> SweepOutcome:
        return SweepOutcome(loss=self.loss, lower_bound=self.lower_bound, status=self.status.astype(str),
                            n_iter=self.n_iter, cpu_seconds=self.cpu_seconds,
                            W=np.concatenate(self.W) if self.solutions else None,
                            c=np.concatenate(self.c) if self.solutions else None, row=self.row,
                            threads=self.threads)
