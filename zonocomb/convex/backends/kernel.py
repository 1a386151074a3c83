"""Compiled kernel for the smooth region programs (paper eq. 3, appendix H): the Python side.

For a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and fixed output weights v the program is

    minimise   F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ = Σ_u v_u (A_u ⊙ X̄ w_u) + c·1
    subject to s_ui (x̄_i·w_u) ≥ 0 for all u, i          (c free, or c = 0 without ``fit_bias``),

with the MSE ℓ(ŷ, y) = (ŷ − y)² (a convex QP) or the logistic loss ℓ(ŷ, y) = −yŷ + log(1 + e^ŷ),
y ∈ {0, 1} (appendix H.2.2), over the product of the m activation cones C_u ⊂ R^n; its Hessian is
singular when m n + 1 > N. :class:`RegionKernel` solves it with the C extension ``_region_kernel``
(source ``_region_kernel.c`` next to this file, built by ``setup.py``): the primal block
active-set method of :mod:`~zonocomb.convex.backends.block_active_set`, for the MSE —

* per-unit working sets with orthonormal null-space bases Z_u (a unit with none is frozen at the
  apex w_u = 0); the Gram matrix of the reduced Jacobian columns diag(v_u A_u) X̄ Z_u (and of the
  column of ones for c) is kept up to date, a new constraint being a Householder reflection of one
  unit's basis and Gram rows;
* face steps: the face's least squares by Cholesky on that Gram matrix, columns whose squared
  distance to the span of the previous ones is below ``DEP_RTOL`` times their squared norm being
  dropped (a basic solution of a rank-deficient problem), then the piecewise-linear path on which
  each unit stops at its own first blocking constraint, to the exact minimiser of F along it;
* pricing at a face minimiser: exact recomputation of slacks and predictions, face stationarity
  (a failure sends the iterate back to the face step at most three times in a row: iterative
  refinement of the normal equations), multipliers of the working constraints, Lawson–Hanson NNLS
  for the projection onto a unit's tangent cone, and for frozen units NNLS of g_u on all N normals
  (by Moreau's decomposition its residual is the projection of −g_u onto C_u): the unit is
  released along that projection, or certified, the NNLS support being its dual certificate.

For the logistic loss the face step is a Newton step (the least squares weighted by ℓ''(ŷ_i)/N,
floored at ``CURVATURE_FLOOR`` times their largest value, whose Gram matrix is formed afresh at
every step over the face's columns), and a step along the path is the minimiser of the quadratic
model, capped so that no prediction moves by more than ``MAX_LOGIT_STEP`` (with the large-margin
exception of ``SATURATED_MARGIN`` / ``MAX_SATURATED_STEP``), halved until F decreases. The options
of :meth:`BlockActiveSet.solve <zonocomb.convex.backends.block_active_set.BlockActiveSet.solve>`
are mirrored: example weights ``keep`` and the recession tests ``detect_recession``, which raise the
same :class:`~zonocomb.convex.backends.block_active_set.Separable` (with the separating iterate)
and :class:`~zonocomb.convex.backends.block_active_set.Runaway`, so that the kernel is a drop-in
for the Python method.

Warm starts (W, c) are used as given, a unit infeasible for the new pattern being first projected
onto its cone (NNLS again). The kernel only proposes an answer: :mod:`~zonocomb.convex.backends.fast`
certifies it with the KKT residuals of :class:`~zonocomb.convex.kkt.KKTChecker` — for the MSE
computed by the extension's separate entry point ``certify`` (:meth:`RegionKernel.residuals`,
:meth:`RegionKernel.solve_certified`: the same definitions and tolerances, from the data, the
pattern, (W, c), the answer's supports and ``keep`` alone, none of the solver's state; ≈ 0.01 ms
instead of ≈ 0.08 ms at m = 16, n = 9, N = 72), for the logistic loss by the Python checker — and
falls back to the Python
:class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet` when the kernel fails or its
answer is not certified.
"""
from __future__ import annotations

import numpy as np

from ...errors import InvalidInputError
from ..kkt import NEGATIVE_RTOL, NEGLIGIBLE_RTOL, TIGHT_RTOL, KKTResiduals
from . import RegionData
from .block_active_set import ActiveSetResult, BlockActiveSet, Runaway, Separable

try:
    from . import _region_kernel
except ImportError as exc:                                       # pragma: no cover - build problem
    _region_kernel = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

__all__ = ["RegionKernel", "KernelFailed", "kernel_available", "fits"]

#: Largest weight-vector dimension n the kernel accepts (its small fixed-size buffers).
MAX_N = 22


class KernelFailed(RuntimeError):
    """The compiled kernel stopped without an answer (iteration cap or numerical trouble)."""


_STATUS = {1: "iteration cap reached", 2: "face optimum not reached to the stationarity tolerance",
           3: "NNLS iteration cap reached", 4: "a released unit has no feasible direction",
           5: "non-finite iterate", 6: "unbounded step along a path without curvature",
           9: "pricing found a descent direction but no decrease along it"}
_SEPARABLE, _RUNAWAY = 7, 8
_LOSS_CODE = {"mse": 0, "logistic": 1}


def kernel_available() -> bool:
    """Whether the C extension ``_region_kernel`` was built and imports."""
    return _region_kernel is not None


def fits(m: int, n: int, N: int) -> bool:
    """Whether the kernel takes a program with m units, n weights per unit and N examples: n ≤
    ``MAX_N``, and m n N and (m n + 1)² below 2³¹ − 1 (its int index arithmetic: the columns of
    the reduced Jacobian, the entries of the (m n + 1)² Gram matrix)."""
    limit = 2 ** 31 - 1
    return 1 <= n <= MAX_N and m >= 1 and N >= 1 and m * n * N < limit and (m * n + 1) ** 2 < limit


class RegionKernel:
    """The compiled region solver for one dataset, output weights and smooth loss (see the module
    docstring).

    Parameters
    ----------
    data : RegionData
        With ``loss`` ``"mse"`` or ``"logistic"`` and sizes that :func:`fits`.
    max_iter : int, optional
        Cap on face steps plus pricing rounds per solve (default 200 + 20 m n).

    Notes
    -----
    Tolerances (relative, floating point): those of
    :class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet` (``ACTIVE_RTOL``,
    ``RATE_RTOL``, ``PG_RTOL``, ``FACE_RTOL``, ``DEC_RTOL``, ``RANK_RTOL``, ``ZERO_COLUMN_RTOL``,
    ``NEGLIGIBLE_RTOL``, its gradient and column scales and, logistic, ``CURVATURE_FLOOR``,
    ``MAX_LOGIT_STEP``, ``SATURATED_MARGIN``, ``MAX_SATURATED_STEP``, ``SEPARATION_RTOL`` and
    ``RUNAWAY_LOGIT``), plus ``DEP_RTOL`` (a face-step column whose squared distance to the span of
    the previous ones is below ``DEP_RTOL`` times its squared norm is dropped, giving a basic
    solution) and ``NNLS_RTOL`` (NNLS stops when no inactive normal correlates with the residual by
    more than ``NNLS_RTOL`` ‖g_u‖).

    Raises
    ------
    ImportError
        The C extension is not built (``pip install -e .`` builds it).
    InvalidInputError
        A loss other than ``"mse"`` or ``"logistic"``, or sizes that do not :func:`fits`.
    """

    DEP_RTOL = 1e-10
    NNLS_RTOL = 1e-13
    #: Number of (unit, barcode) certificate supports remembered as NNLS starting sets.
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None):
        if _region_kernel is None:
            raise ImportError(f"the compiled region kernel is not built ({_IMPORT_ERROR}); "
                              "run `pip install -e .` in the repository") from _IMPORT_ERROR
        if data.loss not in _LOSS_CODE:
            raise InvalidInputError(f"the compiled region kernel solves the smooth losses only (mse, "
                                    f"logistic), not {data.loss!r}")
        X = np.ascontiguousarray(data.Xbar, dtype=np.float64)
        N, n = X.shape
        if not fits(data.m, n, N):
            raise InvalidInputError(f"the compiled region kernel handles n ≤ {MAX_N} weights per unit, "
                                    f"m n N < 2^31 - 1 and (m n + 1)^2 < 2^31 - 1, got m = {data.m}, n = {n}, "
                                    f"N = {N}")
        self.loss = data.loss
        self.N, self.n, self.m = N, n, data.m
        self.fit_bias = bool(data.fit_bias)
        self.X = X
        self.xn = np.ascontiguousarray(np.linalg.norm(X, axis=1))
        self.Xu = np.ascontiguousarray(X / np.where(self.xn > 0.0, self.xn, 1.0)[:, None])
        self.y = np.ascontiguousarray(data.y, dtype=np.float64)
        self.v = np.ascontiguousarray(data.v, dtype=np.float64)
        if self.y.shape != (N,) or self.v.ndim != 1:
            raise InvalidInputError(f"labels must have shape ({N},) and v must be 1-D")
        self.max_iter = int(max_iter) if max_iter is not None else 200 + 20 * self.m * n
        B = BlockActiveSet
        vmax = float(np.max(np.abs(self.v)))
        label = 2.0 * float(np.sqrt(np.mean(self.y ** 2))) if self.loss == "mse" else 1.0
        gscale = max(vmax * float(np.mean(self.xn)) * label, 1e-300)
        bscale = max(vmax * float(np.linalg.norm(X)), np.sqrt(N))
        # order fixed by the kernel's parameter enum (P_ACTIVE ... P_RUNAWAY)
        self.params = np.array([B.ACTIVE_RTOL, B.RATE_RTOL, B.PG_RTOL, B.FACE_RTOL, B.DEC_RTOL,
                                B.RANK_RTOL, self.DEP_RTOL, B.ZERO_COLUMN_RTOL, B.NEGLIGIBLE_RTOL,
                                gscale, bscale, self.NNLS_RTOL, B.CURVATURE_FLOOR, B.MAX_LOGIT_STEP,
                                B.SATURATED_MARGIN, B.MAX_SATURATED_STEP, B.SEPARATION_RTOL,
                                B.RUNAWAY_LOGIT], dtype=np.float64)
        # the certificate's tolerances, order fixed by the kernel's enum (K_TIGHT ... K_NNLS); the
        # scale is KKTChecker's gradient scale (the same formula as gscale)
        self.kkt_params = np.array([TIGHT_RTOL, NEGLIGIBLE_RTOL, NEGATIVE_RTOL, gscale, self.NNLS_RTOL],
                                   dtype=np.float64)
        self._loss_code = _LOSS_CODE[self.loss]
        self._no_keep = np.zeros(0, dtype=np.uint8)
        self._no_support = np.full((self.m, n), -1, dtype=np.int32)     # templates, copied per solve
        self._no_nsupport = np.full(self.m, -1, dtype=np.int32)
        self._no_nhints = np.zeros(self.m, dtype=np.int32)
        self._hints = {}                 # (unit, barcode bytes) -> last certificate support
        self._rows = [(u, slice(u * N, (u + 1) * N)) for u in range(self.m)]   # unit u's pattern bytes

    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None, c0: float | None = None,
              keep: np.ndarray | None = None, detect_recession: bool = False) -> ActiveSetResult:
        """Minimiser of the region program of ``pattern`` ((m, N) bool), optionally warm-started
        from (W0, c0) (c0 None: the best constant); its ``supports`` are the dual certificates of
        the units at the apex. Logistic only: ``keep`` ((N,) bool) counts only those examples in
        F, and ``detect_recession`` runs the recession tests, as in
        :meth:`BlockActiveSet.solve <zonocomb.convex.backends.block_active_set.BlockActiveSet.solve>`.

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
                        c0: float | None = None) -> tuple:
        """MSE: :meth:`solve` without ``keep`` / ``detect_recession``, followed by the compiled KKT
        certificate of its answer (:meth:`residuals`, given the answer's supports): the tuple
        (W, c, n_iter, (primal, stationarity, dual, complementarity, rounding)).

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
        return W, c, n_iter, res

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
        m, N, n = self.m, self.N, self.n
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
        status, c, n_iter = _region_kernel.solve(
            self.X, self.Xu, self.xn, self.y, self.v, A, W, supports, nsupport, self.params,
            hints, nhints, kp, N, n, m, self._loss_code, int(self.fit_bias), self.max_iter,
            has_start, c, int(c0 is not None), int(has_keep), int(bool(detect_recession)))
        if status == _SEPARABLE:
            raise Separable(W, float(c) if self.fit_bias else 0.0)
        if status == _RUNAWAY:
            raise Runaway("a prediction ran away past the runaway level (compiled kernel): the "
                          "infimum may not be attained")
        if status != 0:
            raise KernelFailed(f"compiled region kernel: {_STATUS.get(status, f'status {status}')} "
                               f"after {n_iter} iterations")
        if len(self._hints) >= self.CACHE_SIZE:
            self._hints.clear()
        for u, k in enumerate(nsupport.tolist()):
            if k >= 0:
                self._hints[keys[u]] = supports[u, :k]
        return W, float(c) if self.fit_bias else 0.0, int(n_iter), supports, nsupport
