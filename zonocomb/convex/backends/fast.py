"""Fast backend: solvers chosen for the structure of the region program (paper eq. 3).

* ``"mse"`` and ``"logistic"``: :class:`~zonocomb.convex.backends.kernel.RegionKernel`, the
  block active-set method of the next item compiled in C (``_region_kernel.c``; cold solves start
  from w = 0), warm-started from the neighbouring pattern's optimum when one is given. Should the
  kernel stop without an answer or its answer fail the KKT check below, the pattern is solved by
  the Python method of the next item with the same arguments (for the MSE, a cold start then from
  the interior-point point), and only then by the reference. For the logistic loss the kernel
  takes the Python method's place everywhere (``_active_set``), with the same example weights and
  recession tests, so that the recession logic below is unchanged.
* ``"mse"`` and ``"logistic"`` (fallback):
  :class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet`,
  an active-set method on the product of the units' activation cones (exact least squares on each
  face, Newton steps for the logistic loss, per-unit step lengths, non-negative least squares and
  DAQP projections for pricing), warm-started from the neighbouring pattern's optimum when one is
  given. A cold MSE solve starts from :class:`~zonocomb.convex.backends.interior_point.MSEInteriorPoint`
  (a primal–dual interior-point method, snapped to faces), a cold logistic solve from w = 0.
* ``"l1"``: the linear program min (1/N) Σ t_i s.t. |ŷ_i − y_i| ≤ t_i and the sign constraints,
  solved by HiGHS' dual simplex (through :func:`scipy.optimize.linprog`) with feasibility
  tolerances 1e-10; its constraint sparsity pattern is built once per dataset.

Every smooth answer is checked against the KKT residuals of :class:`zonocomb.convex.kkt.KKTChecker`
(primal feasibility, stationarity, multipliers ≥ 0, complementarity, computed from (W, c) and the
candidate supports alone): the kernel's answers by the compiled implementation of the same
residuals (``RegionKernel.residuals``, a function separate from the solver, tested against
KKTChecker on optimal, perturbed and wrong candidates), the Python method's by KKTChecker. When the active-set
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
  its answer θ_I is KKT-checked for F_I;
* next to an unattained region (the warm start is one of the last ``UNATTAINED_CACHE``
  unattained answers, kept least recently used first out), the neighbour's θ* is tried first
  (:meth:`~zonocomb.convex.backends.recession.RecessionLP.reuse`: it stays a recession direction
  when the flipped examples lie on its units' hyperplanes) and the active-set method starts from
  the neighbour's θ_I; should F_I then have no minimiser, the LP decides.

The point returned is θ_I + τθ* (θ_I = 0 when I is everything) with the smallest τ ≥ 0 that gives
every example of I the margin σ_i ŷ_i ≥ ``UNATTAINED_MARGIN`` (= 40). Its loss, which
:class:`~zonocomb.convex.region.RegionProgram` reports as always (the loss of the returned (W, c),
equal to the ReLU network's), is certified for every answer: F ≥ F_I everywhere (dropping
examples drops non-negative terms), so the KKT-checked F_I(θ_I) = min F_I is a lower bound of the
infimum whatever I is, and the backend checks that the returned loss exceeds it by at most
``UNATTAINED_GAP`` (1e-10) plus the rounding error bound of the two losses (``_rounding``, which
grows with the weights); otherwise it falls back. In exact arithmetic the excess is
(|I|/N) log(1 + e^−40) < 4.3e-18 plus what θ*'s rounding-level margins outside I move; measured
excesses are ≲ 1e-12 except at weights ~1e5. Nothing is capped: the region's weights are
unbounded, and the returned ones are as large as that margin needs.

Logistic starts: a warm start whose objective exceeds that of the cold start W = 0 is dropped;
should the active-set method stop (iteration cap) from one start, it is run once more from the
other before the reference is asked.

Measured against cvxpy + ECOS rebuilt per pattern (``benchmarks/region_solve.py``: 5 rounds, the
median of each round's paired ratio of solves per second, m = 16, d = 8, idle 2-core machine,
seven runs; session-1 Python method in brackets): MSE, N = 72: 51.2–53.8× on random patterns
(6.8×), 146–152× along chains of neighbouring patterns (14×); logistic, N = 350: 160–175× random
(20×), 337–358× chains (77×); losses agree to ≤ 1.9e-8 absolute, 3.7e-9 relative (ECOS' own
accuracy); no fallbacks.
The kernel's answers are certified by the compiled implementation of :class:`KKTChecker`'s
residuals (:meth:`RegionKernel.solve_certified` for the MSE, :meth:`RegionKernel.residuals` in
``_active_set``): ≈ 0.014 ms per check instead of ≈ 0.08 ms (MSE, N = 72). Per cold MSE solve
(≈ 0.43 ms end to end): kernel ≈ 0.38 ms (≈ 33 face steps and pricing rounds from w = 0; ≈ 82
NNLS runs in ≈ 7.5 pricing rounds, a third of the kernel's time), KKT check ≈ 0.014 ms, Python
around it ≈ 0.03 ms. Random MSE patterns went from 47.6× to above 50× by (same-process A/B of
kernel builds) ``-fno-wrapv`` 4 %, unzeroed work arrays 6 %, the NNLS of a free unit started
from its positive working multipliers 2 %, face widening instead of rebuilding 2–3 %, reciprocal
diagonals and row-wise back substitution 2 %; measured and not kept: Givens deletion in the NNLS
QR (as fast as refactoring), top-k NNLS starts, dropping one or all negative multipliers instead
of the NNLS projection (+13 %), pricing frozen units only when the free ones are optimal (+7 %),
a division-free ratio test, blocked Gram products, -march=native, profile-guided optimisation, and
bent face-step paths (a unit that stops adds its constraint and goes on along its direction
projected onto the new face: 34 → 27.5 iterations, but a path search per bend, +5 %). Per cold
logistic solve ≈ 1.3 ms (the kernel follows the Python method's iterates: same counts, losses
within 1e-16; a face step forms its Gram matrix afresh, N K² for K free columns), ≈ 2 ms per warm
mGLS solve on the image data (K ≈ 35–45).

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
from ..losses import mean_loss
from . import BackendResult, RegionData
from .block_active_set import BlockActiveSet, NotConverged, Separable
from .interior_point import MSEInteriorPoint
from .kernel import KernelFailed, RegionKernel, fits, kernel_available
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
    #: Largest accepted gap between the loss of an unattained answer and the certified lower
    #: bound min F_I of the infimum, beyond the rounding errors of the two losses (see the module
    #: docstring and ``_rounding``).
    UNATTAINED_GAP = 1e-10
    #: Number of unattained answers remembered for warm starts (least recently used evicted first;
    #: see ``_start``).
    UNATTAINED_CACHE = 64

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self.data = data
        if data.loss == "l1":
            self._lp = _L1Program(data)
        else:
            self._qp = BlockActiveSet(data, max_iter=max_iter)
            self._ipm = MSEInteriorPoint(data, self._qp) if data.loss == "mse" else None
            self._kernel = RegionKernel(data, max_iter=max_iter) if kernel_available() \
                and fits(data.m, data.n, data.N) else None
            self._kkt = KKTChecker(data)
            self._recession = RecessionLP(data) if data.loss == "logistic" else None
            self._xmax = float(np.linalg.norm(data.Xbar, axis=1).max())
        self._fallback = None
        self._checked = None              # (kernel answer, its KKT residuals) from _active_set
        self._bases = {}                  # unattained answer (W bytes, c) -> (its θ_I or (None, None), θ*)

    def solve(self, pattern: np.ndarray, warm_start=None) -> BackendResult:
        """Minimise the mean loss over the activation region of ``pattern``.

        ``warm_start`` is None or a pair (W, c), typically a neighbouring pattern's optimum.
        """
        if self.data.loss == "l1":
            W, c = self._lp.solve(pattern)
            return BackendResult(W=W, c=c, status="optimal", n_iter=0)
        if self._kernel is not None and self._recession is None:
            res = self._kernel_solve(pattern, warm_start)
            if res is not None:
                return res
        start = self._start(pattern, warm_start)
        hint = self._hint(warm_start) if self._recession is not None else None
        if hint is not None:                                      # next to an unattained region
            return self._solve_with_recession(pattern, start, None, hint)
        try:
            res = self._qp.solve(pattern, *start) if self._recession is None else \
                self._active_set(pattern, *start, detect_recession=True)
        except Separable as sep:                                  # infimum 0, along the iterate
            return self._unattained(pattern, None, sep.W, sep.c, np.ones(self.data.N, dtype=bool), 0)
        except (NotConverged, np.linalg.LinAlgError) as exc:
            if self._recession is None:
                return self._fall_back(pattern, f"the active-set method stopped: {exc}")
            return self._solve_with_recession(pattern, start, exc)
        return self._certified(pattern, res)

    def _kernel_solve(self, pattern, warm_start):
        """MSE: the compiled kernel's answer if it passes the KKT check (the compiled certificate,
        :meth:`RegionKernel.solve_certified`: the residuals of :class:`KKTChecker`), else None
        (then the Python active-set method, and after it the reference, solve the pattern)."""
        W0, c0 = (None, None) if warm_start is None else warm_start
        try:
            W, c, n_iter, kkt = self._kernel.solve_certified(pattern, W0, c0)
        except KernelFailed:
            return None
        rtol = self.KKT_RTOL
        if not all(r <= rtol for r in kkt):
            return None
        return BackendResult(W=W, c=c, status="optimal", n_iter=n_iter)

    def _active_set(self, pattern, W0, c0, keep=None, detect_recession=False):
        """Logistic: the active-set method's answer for F (or F_I, ``keep``) from (W0, c0), by the
        compiled kernel when it is built and its answer passes the KKT check (the compiled
        certificate, :meth:`RegionKernel.residuals`), else by the Python
        :class:`BlockActiveSet` with the same arguments. :class:`Separable` and
        :class:`~zonocomb.convex.backends.block_active_set.Runaway` come from either (the same
        recession tests), other :class:`NotConverged` only from the Python method (a kernel that
        stops hands over to it)."""
        if self._kernel is not None:
            try:
                res = self._kernel.solve(pattern, W0, c0, keep=keep, detect_recession=detect_recession)
            except KernelFailed:
                pass
            else:
                kkt = self._kernel.residuals(pattern, res.W, res.c, res.supports, keep=keep)
                if kkt.ok(self.KKT_RTOL):
                    self._checked = (res, kkt)
                    return res
        return self._qp.solve(pattern, W0, c0, keep=keep, detect_recession=detect_recession)

    def _residuals(self, pattern, res, keep=None):
        """KKT residuals of an active-set answer (those computed by ``_active_set`` for its last
        kernel answer are reused)."""
        if self._checked is not None and self._checked[0] is res:
            return self._checked[1]
        return self._kkt.residuals(pattern, res.W, res.c, res.supports, keep=keep)

    def _certified(self, pattern, res, keep=None) -> BackendResult:
        """``res`` with status "optimal" if it passes the KKT check, else the reference's answer."""
        kkt = self._residuals(pattern, res, keep)
        if not kkt.ok(self.KKT_RTOL):
            return self._fall_back(pattern, f"its answer failed the KKT check ({kkt})")
        return BackendResult(W=res.W, c=res.c, status="optimal", n_iter=res.n_iter)

    def _solve_with_recession(self, pattern, start, exc, hint=None) -> BackendResult:
        """Logistic, after the active-set method ran away or stopped (``exc``), or next to an
        unattained region whose recession direction is ``hint`` (``exc`` None): find a recession
        direction (``hint`` if it still is one here, else the recession LP's), minimise the rest
        F_I of the program and return the point along the direction (or the plain optimum when
        no example is separated)."""
        rec = None if hint is None else self._recession.reuse(pattern, *hint)
        if rec is None:
            try:
                rec = self._recession.solve(pattern)
            except RecessionLPFailed as lp_exc:
                return self._fall_back(pattern, f"the active-set method stopped ({exc}) and {lp_exc}"
                                       if exc is not None else str(lp_exc))
            hint = None
        if not rec.separated.any():                               # the infimum is attained
            res = self._minimise(pattern, start)
            if isinstance(res, Exception):
                return self._fall_back(pattern, f"the active-set method stopped: {res}")
            return self._certified(pattern, res)
        if rec.separated.all():                                   # the infimum is 0
            return self._unattained(pattern, None, rec.W, rec.c, rec.separated, 0)
        keep = ~rec.separated
        # F_I attains its minimum when I is the LP's (maximal) set, possibly with large margins
        # on kept examples, so a runaway is a hint only for a reused direction's I
        res = self._minimise(pattern, start, keep, detect_recession=hint is not None)
        if isinstance(res, Exception):
            if hint is not None:                                  # the reused direction's I is too small
                return self._solve_with_recession(pattern, start, None)
            return self._fall_back(pattern, f"the active-set method stopped on the attained part "
                                            f"of an unattained region: {res}")
        kkt = self._residuals(pattern, res, keep)
        if not kkt.ok(self.KKT_RTOL):
            return self._fall_back(pattern, f"its answer for the attained part of an unattained "
                                            f"region failed the KKT check ({kkt})")
        return self._unattained(pattern, (res.W, res.c), rec.W, rec.c, rec.separated, res.n_iter)

    def _rounding(self, W) -> float:
        """Bound on the rounding error of a mean logistic loss evaluated at first-layer weights W:
        (n + m + 2) ε Σ_u |v_u| ‖w_u‖ max_i ‖x̄_i‖ bounds the error of every prediction ŷ_i, and
        the loss is 1-Lipschitz in ŷ."""
        d = self.data
        return (d.n + d.m + 2) * np.finfo(float).eps * float(np.abs(d.v) @ np.linalg.norm(W, axis=1)) \
            * self._xmax

    def _minimise(self, pattern, start, keep=None, detect_recession=False):
        """Logistic: the active-set method on F (or on F_I, ``keep`` = the complement of I) from
        ``start`` or from the cold start W = 0, whichever has the lower objective, and, should it
        stop (iteration cap, a failed sub-solver), once more from the other one; the exception
        when none succeeds. With ``detect_recession`` the first stop or runaway is returned at once
        (it says that the reused direction's I is too small, and the recession LP is next)."""
        starts = [start]
        if start[0] is not None:
            cold = (None, None)
            starts = [start, cold] if self._objective(pattern, start, keep) <= \
                self._objective(pattern, cold, keep) else [cold, start]
        for W0, c0 in starts:
            try:
                return self._active_set(pattern, W0, c0, keep=keep, detect_recession=detect_recession)
            except (NotConverged, np.linalg.LinAlgError) as exc:
                if detect_recession:
                    return exc
                failure = exc
        return failure

    def _objective(self, pattern, point, keep=None) -> float:
        """Logistic F (or F_I) at a starting point (W, c) (the cold start of the active-set
        method when W is None); a warm start's units outside their cones are not projected."""
        d = self.data
        W, c = point
        if W is None:
            ybar = float(np.mean(d.y if keep is None or not keep.any() else d.y[keep]))
            c = float(np.log(max(ybar, 1e-12) / max(1.0 - ybar, 1e-12)))
            yhat = np.full(d.N, c if d.fit_bias else 0.0)
        else:
            yhat = (pattern * d.v[:, None] * (W @ d.Xbar.T)).sum(axis=0) + (c if d.fit_bias else 0.0)
        if keep is None:
            return mean_loss("logistic", yhat, d.y)
        return mean_loss("logistic", yhat[keep], d.y[keep]) * float(keep.sum()) / d.N if keep.any() else 0.0

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
        yhat = (Mw * (W @ d.Xbar.T)).sum(axis=0) + c
        z = sigma * yhat
        if not np.all(z[separated] >= 0.5 * self.UNATTAINED_MARGIN):
            return self._fall_back(pattern, "rounding spoiled the margins along a recession direction")
        # certificate: min F_I = F_I(θ_I) ≤ inf F ≤ F(returned point); the gap must be tiny
        rest = ~separated
        lower = mean_loss("logistic", sigma[rest] * z0[rest], d.y[rest]) * float(rest.sum()) / d.N \
            if rest.any() else 0.0
        gap = mean_loss("logistic", yhat, d.y) - lower
        if not gap <= self.UNATTAINED_GAP + self._rounding(W) + self._rounding(W0):
            return self._fall_back(pattern, f"the point along the recession direction is {gap:.3g} "
                                            f"above the lower bound of the infimum")
        if len(self._bases) >= self.UNATTAINED_CACHE:
            del self._bases[next(iter(self._bases))]              # the least recently used entry
        self._bases[(W.tobytes(), float(c))] = ((None, None) if base is None else
                                                (np.array(W0, dtype=float), float(c0)), (Wd, float(cd)))
        return BackendResult(W=W, c=float(c), status="optimal_unattained", n_iter=n_iter)

    def _start(self, pattern, warm_start):
        """Starting point (W0, c0): the warm start, else the interior-point point (MSE), else None.
        For the logistic loss, a warm start with a higher objective than the cold start W = 0
        (of the active-set method) is dropped.

        A warm start that is one of the ``UNATTAINED_CACHE`` most recently used unattained answers
        is replaced by its attained part θ_I (None when I is everything): from the far point
        θ_I + τθ* the active-set method would need about |ŷ|/``BlockActiveSet.MAX_LOGIT_STEP``
        steps to come back to a neighbouring region's optimum, whose attained part is near θ_I."""
        if warm_start is not None:
            entry = self._recall(warm_start)
            if entry is not None:
                return entry[0]
            if self._recession is not None and \
                    self._objective(pattern, warm_start) > self._objective(pattern, (None, None)):
                return None, None                                 # logistic: W = 0 is the better start
            return warm_start
        if self._ipm is not None:
            try:
                return self._ipm.solve(pattern)
            except (NotConverged, np.linalg.LinAlgError):
                pass                                              # the active set starts from w = 0
        return None, None

    def _hint(self, warm_start):
        """The recession direction θ* = (W*, c*) of ``warm_start`` when it is a remembered
        unattained answer, else None."""
        entry = None if warm_start is None else self._recall(warm_start)
        return None if entry is None else entry[1]

    def _recall(self, warm_start):
        """The cache entry (θ_I, θ*) of an unattained answer, or None; a hit becomes the most
        recently used entry, so that the current vertex of a local search, the warm start of
        all its neighbours, is never evicted by their answers."""
        W, c = warm_start
        key = (np.asarray(W, dtype=float).tobytes(), float(c))
        entry = self._bases.pop(key, None)
        if entry is not None:
            self._bases[key] = entry
        return entry

    def _fall_back(self, pattern, reason: str) -> BackendResult:
        """Warn, and solve ``pattern`` with the reference backend (status ``"optimal_fallback"``);
        should that fail too, raise :class:`~zonocomb.errors.SolverError` naming both failures."""
        warnings.warn(f"fast region solver could not certify its answer ({reason}); "
                      "re-solving this pattern with the cvxpy reference backend", RuntimeWarning,
                      stacklevel=4)
        if self._fallback is None:
            from .reference import CvxpyBackend
            self._fallback = CvxpyBackend(self.data)
        try:
            res = self._fallback.solve(pattern)
        except SolverError as exc:
            raise SolverError(f"the region program of this pattern could not be solved: the fast "
                              f"backend could not certify its answer ({reason}), and {exc}") from exc
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
