"""Fast backend: solvers chosen for the structure of the region program (paper eq. 3).

* ``"mse"`` and ``"logistic"``: :class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet`,
  an active-set method on the product of the units' activation cones (exact least squares on each
  face, per-unit step lengths, non-negative least squares and DAQP projections for pricing),
  warm-started from the neighbouring pattern's optimum when one is given. A cold MSE solve starts
  from :class:`~zonocomb.convex.backends.interior_point.MSEInteriorPoint` (a primal–dual
  interior-point method, snapped to faces), a cold logistic solve from w = 0.
* ``"l1"``: the linear program min (1/N) Σ t_i s.t. |ŷ_i − y_i| ≤ t_i and the sign constraints,
  solved by HiGHS' dual simplex (through :func:`scipy.optimize.linprog`) with feasibility
  tolerances 1e-10; its constraint sparsity pattern is built once per dataset.

Every smooth answer is checked by :class:`zonocomb.convex.kkt.KKTChecker` (primal feasibility,
stationarity, multipliers ≥ 0, complementarity, computed from (W, c) alone). When the active-set
method does not converge or its answer fails that check at ``KKT_RTOL``, the backend warns and
re-solves the pattern with the reference backend: the status is then ``"optimal_fallback"``
instead of ``"optimal"``, so a wrong loss is never returned silently.

**Logistic regions whose infimum is not attained** (a recession direction θ* ∈ K with
σ_i ŷ_i(θ*) ≥ 0 for all i, > 0 on a set I; see :mod:`zonocomb.convex.backends.recession`) have no
minimiser, and both the active-set method and the reference solvers (ECOS, Clarabel) fail or stop
short on them. The fast backend recognises them and returns the status ``"optimal_unattained"``:

* if an active-set iterate classifies every example correctly, it is itself a recession direction
  with I = all examples, and the infimum is 0;
* if a prediction runs away (or the method stops), the recession LP computes the largest I and a
  direction θ*; when I is empty the region is solved normally; otherwise the active-set method
  minimises the attained program F_I (the loss of the examples outside I; inf F = min F_I), and
  its answer θ_I is KKT-checked for F_I.

The point returned is θ_I + τθ* (θ_I = 0 when I is everything) with the smallest τ ≥ 0 that gives
every example of I the margin σ_i ŷ_i ≥ ``UNATTAINED_MARGIN`` (= 40). Its loss, which
:class:`~zonocomb.convex.region.RegionProgram` reports as always (the loss of the returned (W, c),
equal to the ReLU network's), exceeds the infimum min F_I by at most
(|I|/N) log(1 + e^−40) < 4.3e-18, up to rounding. Nothing is capped: the region's weights are
unbounded, and the returned ones are as large as that margin needs.

Measured against cvxpy + ECOS rebuilt per pattern (``benchmarks/region_solve.py``, m = 16, d = 8,
shared 2-core machine, ratios of solves per second; the previous fast backend in brackets):
MSE, N = 72: 6.9× on random patterns (1.9×), 14.4× along chains of neighbouring patterns (12.7×);
logistic, N = 350: 20.5× random (11.9×), 76× chains (56×); losses agree to ≤ 2e-8 absolute
(ECOS' own accuracy). A cold MSE solve costs ≈ 2.3 ms of interior point plus ≈ 1.3 ms of
active-set polishing and KKT check, a warm one ≈ 1.1–1.8 ms (≈ 6 face steps and 2–3 pricing
rounds at ≈ 0.1 and 0.25 ms; numpy call overhead dominates at these sizes).

Rejected after measurement (m = 16, d = 8, N = 72): DAQP on the full QP (145 variables, 1152
constraints; eps_prox proximal iterations for the singular Hessian): 10–16 ms cold with 350–500
iterations, 2.6–3 ms of which is its setup (the dense product of all constraint rows with the
inverse Cholesky factor), so that even a perfect warm start (the optimal working set) costs
≈ 2.8 ms; restricted to the constraints tight at the optimum it still takes 2–5 ms. OSQP:
50–190 ms and losses off by up to 1e-2. The previous fast backend (a classical active-set
method adding one constraint per step) needed 60–120 steps cold.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ...errors import SolverError
from ..kkt import KKTChecker
from . import BackendResult, RegionData
from .block_active_set import BlockActiveSet, NotConverged, Runaway, Separable
from .interior_point import MSEInteriorPoint
from .recession import RecessionLP, RecessionLPFailed

__all__ = ["FastBackend"]

#: HiGHS settings for the l1 linear program.
HIGHS_OPTIONS = dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10)


class FastBackend:
    """Structure-exploiting region solver (see the module docstring).

    Parameters
    ----------
    data : RegionData
    max_iter : int, optional
        Iteration cap of the active-set method (default 200 + 20 m n).
    """

    name = "fast"
    #: Largest relative KKT residual accepted from the active-set method.
    KKT_RTOL = 1e-8
    #: Margin σ_i ŷ_i given to the separated examples of a region whose infimum is not attained.
    UNATTAINED_MARGIN = 40.0
    #: Number of recent unattained answers remembered for warm starts (see ``_start``).
    UNATTAINED_CACHE = 64

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self.data = data
        if data.loss == "l1":
            self._lp = _L1Program(data)
        else:
            self._qp = BlockActiveSet(data, max_iter=max_iter)
            self._ipm = MSEInteriorPoint(data, self._qp) if data.loss == "mse" else None
            self._kkt = KKTChecker(data)
            self._recession = RecessionLP(data) if data.loss == "logistic" else None
        self._fallback = None
        self._bases = {}                  # unattained answer (W bytes, c) -> its θ_I (or None, None)

    def solve(self, pattern: np.ndarray, warm_start=None) -> BackendResult:
        """Minimise the mean loss over the activation region of ``pattern``.

        ``warm_start`` is None or a pair (W, c), typically a neighbouring pattern's optimum.
        """
        if self.data.loss == "l1":
            W, c = self._lp.solve(pattern)
            return BackendResult(W=W, c=c, status="optimal", n_iter=0)
        start = self._start(pattern, warm_start)
        try:
            res = self._qp.solve(pattern, *start) if self._recession is None else \
                self._qp.solve(pattern, *start, detect_recession=True)
        except Separable as sep:                                  # infimum 0, along the iterate
            return self._unattained(pattern, None, sep.W, sep.c, np.ones(self.data.N, dtype=bool), 0)
        except (NotConverged, np.linalg.LinAlgError) as exc:
            if self._recession is None:
                return self._fall_back(pattern, f"the active-set method stopped: {exc}")
            return self._solve_with_recession(pattern, start, exc)
        return self._certified(pattern, res)

    def _certified(self, pattern, res, keep=None) -> BackendResult:
        """``res`` with status "optimal" if it passes the KKT check, else the reference's answer."""
        kkt = self._kkt.residuals(pattern, res.W, res.c, res.supports, keep=keep)
        if not kkt.ok(self.KKT_RTOL):
            return self._fall_back(pattern, f"its answer failed the KKT check ({kkt})")
        return BackendResult(W=res.W, c=res.c, status="optimal", n_iter=res.n_iter)

    def _solve_with_recession(self, pattern, start, exc) -> BackendResult:
        """Logistic, after the active-set method ran away or stopped: decide with the recession LP."""
        try:
            rec = self._recession.solve(pattern)
        except RecessionLPFailed as lp_exc:
            return self._fall_back(pattern, f"the active-set method stopped ({exc}) and {lp_exc}")
        if not rec.separated.any():                               # the infimum is attained
            if not isinstance(exc, Runaway):
                return self._fall_back(pattern, f"the active-set method stopped: {exc}")
            try:
                res = self._qp.solve(pattern, *start)
            except (NotConverged, np.linalg.LinAlgError) as exc2:
                return self._fall_back(pattern, f"the active-set method stopped: {exc2}")
            return self._certified(pattern, res)
        if rec.separated.all():                                   # the infimum is 0
            return self._unattained(pattern, None, rec.W, rec.c, rec.separated, 0)
        keep = ~rec.separated
        try:
            res = self._qp.solve(pattern, *start, keep=keep, detect_recession=True)
        except (NotConverged, np.linalg.LinAlgError) as exc2:
            return self._fall_back(pattern, f"the active-set method stopped on the attained part "
                                            f"of an unattained region: {exc2}")
        kkt = self._kkt.residuals(pattern, res.W, res.c, res.supports, keep=keep)
        if not kkt.ok(self.KKT_RTOL):
            return self._fall_back(pattern, f"its answer for the attained part of an unattained "
                                            f"region failed the KKT check ({kkt})")
        return self._unattained(pattern, (res.W, res.c), rec.W, rec.c, rec.separated, res.n_iter)

    def _unattained(self, pattern, base, Wd, cd, separated, n_iter) -> BackendResult:
        """θ_I + τθ* with the least τ ≥ 0 giving every separated example the margin
        ``UNATTAINED_MARGIN`` (θ_I = ``base``, or 0; θ* = (Wd, cd) separates ``separated``)."""
        d = self.data
        sigma = 2.0 * d.y - 1.0
        W0, c0 = (np.zeros_like(Wd), 0.0) if base is None else base
        Mw = pattern * d.v[:, None]
        z0 = sigma * ((Mw * (W0 @ d.Xbar.T)).sum(axis=0) + c0)
        zd = sigma * ((Mw * (Wd @ d.Xbar.T)).sum(axis=0) + cd)
        tau = max(0.0, float(np.max((self.UNATTAINED_MARGIN - z0[separated]) / zd[separated])))
        W = W0 + tau * Wd
        c = c0 + tau * cd if d.fit_bias else 0.0
        z = sigma * ((Mw * (W @ d.Xbar.T)).sum(axis=0) + c)
        if not np.all(z[separated] >= 0.5 * self.UNATTAINED_MARGIN):
            return self._fall_back(pattern, "rounding spoiled the margins along a recession direction")
        if len(self._bases) >= self.UNATTAINED_CACHE:
            del self._bases[next(iter(self._bases))]              # the oldest entry
        self._bases[(W.tobytes(), float(c))] = (None, None) if base is None else \
            (np.array(W0, dtype=float), float(c0))
        return BackendResult(W=W, c=float(c), status="optimal_unattained", n_iter=n_iter)

    def _start(self, pattern, warm_start):
        """Starting point (W0, c0): the warm start, else the interior-point point (MSE), else None.

        A warm start that is one of the last ``UNATTAINED_CACHE`` unattained answers is replaced by
        its attained part θ_I (None when I is everything): the far point θ_I + τθ* would make a
        poor start for a neighbouring region, whose attained part is near θ_I."""
        if warm_start is not None:
            W, c = warm_start
            key = (np.asarray(W, dtype=float).tobytes(), float(c))
            if key in self._bases:
                return self._bases[key]
            return warm_start
        if self._ipm is not None:
            try:
                return self._ipm.solve(pattern)
            except (NotConverged, np.linalg.LinAlgError):
                pass                                              # the active set starts from w = 0
        return None, None

    def _fall_back(self, pattern, reason: str) -> BackendResult:
        warnings.warn(f"fast region solver could not certify its answer ({reason}); "
                      "re-solving this pattern with the cvxpy reference backend", RuntimeWarning,
                      stacklevel=4)
        if self._fallback is None:
            from .reference import CvxpyBackend
            self._fallback = CvxpyBackend(self.data)
        res = self._fallback.solve(pattern)
        return BackendResult(W=res.W, c=res.c, status="optimal_fallback", n_iter=res.n_iter)


class _L1Program:
    """The l1 region program as an LP in (vec W, c, t), with a fixed sparsity pattern."""

    def __init__(self, data: RegionData):
        self.data = data
        m, N, n = data.m, data.N, data.n
        self.nw = m * n
        self.nc = 1 if data.fit_bias else 0
        nvar = self.nw + self.nc + N
        # objective (1/N) Σ t_i
        self.cost = np.concatenate([np.zeros(self.nw + self.nc), np.full(N, 1.0 / N)])
        self.bounds = [(None, None)] * (self.nw + self.nc) + [(0.0, None)] * N
        # index arrays of the two blocks: residual rows (dense in W) and sign rows (block diagonal)
        uu, ii, jj = np.meshgrid(np.arange(m), np.arange(N), np.arange(n), indexing="ij")
        self._res_rows = ii.ravel()
        self._res_cols = (uu * n + jj).ravel()
        self._sign_rows = (uu * N + ii).ravel()
        self._sign_cols = (uu * n + jj).ravel()
        self._nvar = nvar

    def solve(self, pattern: np.ndarray):
        d = self.data
        m, N, n = d.m, d.N, d.n
        X = d.Xbar
        weights = pattern * d.v[:, None]                                   # (m, N)
        phi = (weights[:, :, None] * X[None, :, :]).ravel()                # ∂ŷ_i/∂w_uj
        signs = np.where(pattern, 1.0, -1.0)
        normals = (signs[:, :, None] * X[None, :, :]).ravel()
        t_cols = self.nw + self.nc + np.arange(N)
        rows, cols, vals = [], [], []
        # Φθ − t ≤ y  and  −Φθ − t ≤ −y
        for sgn, off in ((1.0, 0), (-1.0, N)):
            rows += [self._res_rows + off, np.arange(N) + off]
            cols += [self._res_cols, t_cols]
            vals += [sgn * phi, np.full(N, -1.0)]
            if self.nc:
                rows.append(np.arange(N) + off)
                cols.append(np.full(N, self.nw))
                vals.append(np.full(N, sgn))
        # −s_ui x̄_i·w_u ≤ 0
        rows.append(self._sign_rows + 2 * N)
        cols.append(self._sign_cols)
        vals.append(-normals)
        A = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(2 * N + m * N, self._nvar))
        b = np.concatenate([d.y, -d.y, np.zeros(m * N)])
        res = linprog(self.cost, A_ub=A, b_ub=b, bounds=self.bounds, method="highs-ds",
                            options=HIGHS_OPTIONS)
        if res.status != 0 or res.x is None:
            raise SolverError(f"HiGHS failed on the l1 region program: {res.message}")
        W = res.x[:self.nw].reshape(m, n).copy()
        c = float(res.x[self.nw]) if self.nc else 0.0
        return W, c
