"""Compiled kernel for the MSE region program (paper eq. 3, appendix H): the Python side.

For a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and fixed output weights v the program is

    minimise   (1/N) ‖Σ_u v_u (A_u ⊙ X̄ w_u) + c·1 − y‖²
    subject to s_ui (x̄_i·w_u) ≥ 0 for all u, i          (c free, or c = 0 without ``fit_bias``),

a convex QP over the product of the m activation cones C_u ⊂ R^n, whose Hessian is singular when
m n + 1 > N. :class:`MSEKernel` solves it with the C extension ``_region_kernel`` (source
``_region_kernel.c`` next to this file, built by ``setup.py``): the primal block active-set method
of :mod:`~zonocomb.convex.backends.block_active_set` specialised to the MSE —

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

Warm starts (W, c) are used as given, a unit infeasible for the new pattern being first projected
onto its cone (NNLS again). The kernel only proposes an answer: :mod:`~zonocomb.convex.backends.fast`
certifies it with :class:`~zonocomb.convex.kkt.KKTChecker`, and falls back to the Python
:class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet` when the kernel fails or its
answer is not certified.
"""
from __future__ import annotations

import numpy as np

from ...errors import InvalidInputError
from . import RegionData
from .block_active_set import ActiveSetResult, BlockActiveSet

try:
    from . import _region_kernel
except ImportError as exc:                                       # pragma: no cover - build problem
    _region_kernel = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

__all__ = ["MSEKernel", "KernelFailed", "kernel_available"]

#: Largest weight-vector dimension n the kernel accepts (its small fixed-size buffers).
MAX_N = 22


class KernelFailed(RuntimeError):
    """The compiled kernel stopped without an answer (iteration cap or numerical trouble)."""


_STATUS = {1: "iteration cap reached", 2: "face optimum not reached to the stationarity tolerance",
           3: "NNLS iteration cap reached", 4: "a released unit has no feasible direction",
           5: "non-finite iterate", 6: "unbounded step along a path without curvature"}


def kernel_available() -> bool:
    """Whether the C extension ``_region_kernel`` was built and imports."""
    return _region_kernel is not None


class MSEKernel:
    """The compiled MSE region solver for one dataset and output weights (see module docstring).

    Parameters
    ----------
    data : RegionData
        With ``loss == "mse"`` and n ≤ ``MAX_N``.
    max_iter : int, optional
        Cap on face steps plus pricing rounds per solve (default 200 + 20 m n).

    Notes
    -----
    Tolerances (relative, floating point): those of
    :class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet` (``ACTIVE_RTOL``,
    ``RATE_RTOL``, ``PG_RTOL``, ``FACE_RTOL``, ``DEC_RTOL``, ``RANK_RTOL``, ``ZERO_COLUMN_RTOL``,
    ``NEGLIGIBLE_RTOL`` and its gradient and column scales), plus ``DEP_RTOL`` (the Cholesky
    dependency test above) and ``NNLS_RTOL`` (NNLS stops when no inactive normal correlates with
    the residual by more than ``NNLS_RTOL`` ‖g_u‖).

    Raises
    ------
    ImportError
        The C extension is not built (``pip install -e .`` builds it).
    InvalidInputError
        A loss other than ``"mse"``, or n > ``MAX_N``.
    """

    DEP_RTOL = 1e-10
    NNLS_RTOL = 1e-13
    #: Number of (unit, barcode) certificate supports remembered as NNLS starting sets.
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None):
        if _region_kernel is None:
            raise ImportError(f"the compiled region kernel is not built ({_IMPORT_ERROR}); "
                              "run `pip install -e .` in the repository") from _IMPORT_ERROR
        if data.loss != "mse":
            raise InvalidInputError(f"the compiled region kernel solves the MSE loss only, not {data.loss!r}")
        X = np.ascontiguousarray(data.Xbar, dtype=np.float64)
        N, n = X.shape
        if n > MAX_N:
            raise InvalidInputError(f"the compiled region kernel handles n ≤ {MAX_N} weights per unit, got {n}")
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
        gscale = max(vmax * float(np.mean(self.xn)) * 2.0 * float(np.sqrt(np.mean(self.y ** 2))), 1e-300)
        bscale = max(vmax * float(np.linalg.norm(X)), np.sqrt(N))
        # order fixed by the kernel's parameter enum (P_ACTIVE ... P_NNLS)
        self.params = np.array([B.ACTIVE_RTOL, B.RATE_RTOL, B.PG_RTOL, B.FACE_RTOL, B.DEC_RTOL,
                                B.RANK_RTOL, self.DEP_RTOL, B.ZERO_COLUMN_RTOL, B.NEGLIGIBLE_RTOL,
                                gscale, bscale, self.NNLS_RTOL], dtype=np.float64)
        self._hints = {}                 # (unit, barcode bytes) -> last certificate support

    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None,
              c0: float | None = None) -> ActiveSetResult:
        """Minimiser of the region program of ``pattern`` ((m, N) bool), optionally warm-started
        from (W0, c0); its ``supports`` are the dual certificates of the units at the apex.

        Raises
        ------
        InvalidInputError
            Malformed pattern or warm start.
        KernelFailed
            The kernel stopped without an answer.
        """
        m, N, n = self.m, self.N, self.n
        pattern = np.asarray(pattern)
        if pattern.shape != (m, N) or pattern.dtype != np.bool_:
            raise InvalidInputError(f"the kernel needs an ({m}, {N}) bool pattern, got {pattern.dtype} "
                                    f"array of shape {pattern.shape}")
        A = np.ascontiguousarray(pattern).view(np.uint8)
        if W0 is None:
            W = np.zeros((m, n))
            has_start, c = 0, 0.0
        else:
            W = np.array(W0, dtype=np.float64, order="C")        # a fresh array: the kernel writes it
            if W.shape != (m, n) or not np.all(np.isfinite(W)):
                raise InvalidInputError(f"warm start W must be a finite ({m}, {n}) array, got shape {W.shape}")
            c = 0.0 if c0 is None else float(c0)
            if not np.isfinite(c):
                raise InvalidInputError(f"warm start c must be finite, got {c!r}")
            has_start = 1
        supports = np.full((m, n), -1, dtype=np.int32)
        nsupport = np.full(m, -1, dtype=np.int32)
        hints = np.full((m, n), -1, dtype=np.int32)
        nhints = np.zeros(m, dtype=np.int32)
        keys = [(u, A[u].tobytes()) for u in range(m)]
        for u, key in enumerate(keys):
            h = self._hints.get(key)
            if h is not None:
                hints[u, :h.size] = h
                nhints[u] = h.size
        status, c, n_iter = _region_kernel.solve_mse(
            self.X, self.Xu, self.xn, self.y, self.v, A, W, supports, nsupport, self.params,
            hints, nhints, N, n, m, int(self.fit_bias), self.max_iter, has_start, c)
        if status != 0:
            raise KernelFailed(f"compiled region kernel: {_STATUS.get(status, f'status {status}')} "
                               f"after {n_iter} iterations")
        sup = {int(u): supports[u, :nsupport[u]] for u in np.flatnonzero(nsupport >= 0)}
        if len(self._hints) >= self.CACHE_SIZE:
            self._hints.clear()
        for u, s in sup.items():
            self._hints[keys[u]] = s
        return ActiveSetResult(W=W, c=float(c) if self.fit_bias else 0.0, n_iter=int(n_iter), supports=sup)
