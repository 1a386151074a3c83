"""Fast backend: the region program (paper eq. 3) solved by methods chosen for its structure.

* ``"mse"`` and ``"logistic"``: the compiled block active-set method
  (:class:`~zonocomb.convex.backends.kernel.RegionKernel`), warm-started from the neighbouring
  pattern's optimum when one is given, every answer certified by its KKT residuals (computed by
  the kernel's separate certificate, :meth:`RegionKernel.residuals`, with
  :class:`~zonocomb.convex.kkt.KKTChecker`'s definitions) at ``KKT_RTOL``. Should the kernel stop
  or its answer fail the certificate, the pattern is solved once more from the cold start W = 0
  (when a warm start was used), and then by the reference backend (cvxpy + ECOS): the status is
  then ``"optimal_fallback"`` and a warning is issued, so a wrong loss is never returned silently.
  There is no other solver: the kernel handles every size (its work space is sized by (N, m, n)).
* ``"l1"``: the linear program min (1/N) Σ t_i s.t. |ŷ_i − y_i| ≤ t_i and the sign constraints,
  solved by HiGHS' dual simplex (through :func:`scipy.optimize.linprog`) with feasibility
  tolerances 1e-10; its constraint sparsity pattern is built once per dataset.

:meth:`FastBackend.sweep` solves all neighbours of a vertex in one compiled call
(:meth:`RegionKernel.sweep`: threads, a dual screening test, an optional bound); neighbours the
kernel does not settle there are solved one by one as above.

**Logistic regions whose infimum is not attained** (a recession direction θ* ∈ K with
σ_i ŷ_i(θ*) ≥ 0 for all i, > 0 on a set I; see :mod:`zonocomb.convex.backends.recession`) have no
minimiser. The fast backend recognises them and returns the status ``"optimal_unattained"``:

* if an iterate classifies every example correctly (:class:`Separable`), it is itself a recession
  direction with I = all examples, and the infimum is 0;
* if a prediction runs away (:class:`Runaway`) or the kernel stops, the recession LP computes the
  largest I and a direction θ*; when I is empty the region is solved normally; otherwise the
  kernel minimises the attained program F_I (the loss of the examples outside I;
  inf F = min F_I), and its answer θ_I is KKT-certified for F_I;
* next to an unattained region (the warm start is one of the last ``UNATTAINED_CACHE``
  unattained answers), the neighbour's θ* is tried first
  (:meth:`~zonocomb.convex.backends.recession.RecessionLP.reuse`) and the kernel starts from the
  neighbour's θ_I; should F_I then have no minimiser, the LP decides.

* otherwise the kernel's KKT-certified answer is returned as ``"optimal"`` only when
  :class:`~zonocomb.convex.backends.attainment.AttainmentCheck` certifies that the infimum is
  attained (the KKT residuals alone cannot: where the separated examples' gradient weights
  1/(1 + e^{σ_i ŷ_i}) fall below their resolution, a point far along a recession direction passes
  them); when it does not, the recession LP decides as above, and with I empty the answer stands.

Attainment is decided in floating point (the check's and the LP's tolerances): data whose examples
of opposite labels, or near-linear dependences, lie within about 1e-7 relative distance can be
classified wrongly either way, and on ill-conditioned data (a minimiser at |w| ~ 1e6) a KKT-certified
answer can lie well above the infimum, since the certificate bounds the gradient, not the loss
(``tests/test_known_limits.py``, docs/testing.md); :func:`zonocomb.certify.certify_attainment` and
:func:`zonocomb.certify.bound_logistic` decide and bound such data exactly. A neighbour solved
in a compiled sweep is checked only when the sweep returns the solutions (:meth:`sweep`), else
:class:`~zonocomb.convex.RegionProgram` reports it as ``"optimal_loss"`` (its loss certified alone).

The point returned is θ_I + τθ* (θ_I = 0 when I is everything) with the smallest τ ≥ 0 that gives
every example of I the margin σ_i ŷ_i ≥ ``UNATTAINED_MARGIN`` (= 40). Its loss is certified: F ≥
F_I everywhere, so the KKT-certified F_I(θ_I) = min F_I is a lower bound of the infimum whatever I
is, and the backend checks that the returned loss exceeds it by at most ``UNATTAINED_GAP`` plus the
rounding error bound of the two losses (``_rounding``); otherwise it falls back. In exact
arithmetic the excess is (|I|/N) log(1 + e^−40) < 4.3e-18 plus what θ*'s rounding-level margins
outside I move.

Logistic starts: a warm start whose objective exceeds that of the cold start W = 0 is dropped;
should the kernel stop from one start, it is run once more from the other before the reference is
asked. Speed against the reference: ``benchmarks/region_solve.py`` and
``benchmarks/neighbour_sweep.py``; measurements in ``benchmarks/README.md``.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ...errors import SolverError
from ..losses import mean_loss
from . import BackendResult, RegionData, SolveStatus
from .attainment import AttainmentCheck
from .face_bounds import least_sweep
from .kernel import KernelFailed, PackedMoves, RegionKernel, Separable
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
        Iteration cap of the kernel (default 200 + 20 m n).
    """

    name = "fast"
    #: Largest relative KKT residual accepted from the kernel.
    KKT_RTOL = 1e-8
    #: Margin σ_i ŷ_i given to the separated examples of a region whose infimum is not attained.
    UNATTAINED_MARGIN = 40.0
    #: Largest accepted gap between the loss of an unattained answer and the certified lower
    #: bound min F_I of the infimum, beyond the rounding errors of the two losses (``_rounding``).
    UNATTAINED_GAP = 1e-10
    #: Number of unattained answers remembered for warm starts (least recently used evicted first;
    #: see ``_start``).
    UNATTAINED_CACHE = 64

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self.data = data
        if data.loss == "l1":
            self._lp = _L1Program(data)
        else:
            self._kernel = RegionKernel(data, max_iter=max_iter)
            self._recession = RecessionLP(data) if data.loss == "logistic" else None
            self._attainment = AttainmentCheck(data, self.KKT_RTOL) if data.loss == "logistic" else None
            self._xmax = float(np.linalg.norm(data.Xbar, axis=1).max())
        self._fallback = None
        self._bases = {}                  # unattained answer (W bytes, c) -> (its θ_I or (None, None), θ*)

    @property
    def kernel(self) -> RegionKernel | None:
        """The compiled :class:`~zonocomb.convex.backends.kernel.RegionKernel` that solves the
        smooth losses (None for the l1 loss). A documented hook for diagnostics and tests
        (docs/design.md §8): replacing one of its methods changes this backend's solves."""
        return None if self.data.loss == "l1" else self._kernel

    def remembers(self, answer) -> bool:
        """Whether ``answer`` (a pair (W, c)) is one of the ``UNATTAINED_CACHE`` unattained answers
        remembered for warm starts (see ``_start``). A documented hook for tests (docs/design.md
        §8); unlike a warm start, asking does not make the entry the most recently used."""
        return _cache_key(answer) in self._bases

    def recession_of(self, answer):
        """``(θ_I, θ*)`` kept with the unattained answer ``answer`` = (W, c): its attained part
        ((None, None) when every example is separated) and its recession direction, as pairs
        (W, c); None when ``answer`` is not one of the remembered answers. Asking does not make
        the entry the most recently used."""
        return self._bases.get(_cache_key(answer))

    def remember_unattained(self, answer, base, direction) -> None:
        """Remember ``answer`` = (W, c) as an unattained answer with attained part ``base``
        ((None, None): none) and recession direction ``direction`` (pairs (W, c)); beyond
        ``UNATTAINED_CACHE`` answers the least recently used is dropped. A solve warm-started from
        ``answer`` then starts from ``base`` and tries ``direction`` first (``_start``,
        :meth:`RecessionLP.reuse <zonocomb.convex.backends.recession.RecessionLP.reuse>`, which
        checks that it is a recession direction there); its answer is certified as any other."""
        if len(self._bases) >= self.UNATTAINED_CACHE:
            del self._bases[next(iter(self._bases))]              # the least recently used entry
        W0, c0 = base
        self._bases[_cache_key(answer)] = ((None, None) if W0 is None else (np.array(W0, dtype=float), float(c0)),
                                           (np.array(direction[0], dtype=float), float(direction[1])))

    @property
    def threads(self) -> int:
        """Threads of a sweep (1 for the l1 loss, which has no compiled sweep)."""
        return 1 if self.data.loss == "l1" else self._kernel.threads

    @threads.setter
    def threads(self, value: int) -> None:
        if self.data.loss != "l1":
            self._kernel.threads = value

    def solve(self, pattern: np.ndarray, warm_start=None) -> BackendResult:
        """Minimise the mean loss over the activation region of ``pattern``.

        ``warm_start`` is None or a pair (W, c), typically a neighbouring pattern's optimum.
        """
        if self.data.loss == "l1":
            W, c = self._lp.solve(pattern)
            return BackendResult(W=W, c=c, status=SolveStatus.OPTIMAL, n_iter=0)
        if self._recession is None:
            return self._solve_mse(pattern, warm_start)
        if self.data.alpha > 0.0:                                 # coercive: the infimum is attained
            try:
                res = self._minimise(pattern, self._start(pattern, warm_start))
            except KernelFailed as exc:
                return self._fall_back(pattern, f"the kernel stopped: {exc}")
            return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL, n_iter=res.n_iter)
        start = self._start(pattern, warm_start)
        hint = self._hint(warm_start)
        if hint is not None:                                      # next to an unattained region
            return self._solve_with_recession(pattern, start, None, hint)
        try:
            res = self._minimise(pattern, start, detect_recession=True)
        except Separable as sep:                                  # infimum 0, along the iterate
            return self._unattained(pattern, None, sep.W, sep.c, np.ones(self.data.N, dtype=bool), 0)
        except KernelFailed as exc:
            return self._solve_with_recession(pattern, start, exc)
        if not self._attainment.attained(pattern, res.W, res.c):  # a recession may hide in tiny weights
            return self._solve_with_recession(pattern, start, None, answer=res)
        return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL, n_iter=res.n_iter)

    def sweep(self, pattern: np.ndarray, moves, base, base_loss: float, bound=None, solutions=False,
              certified=False, starts=None, answers=False, least_only=False):
        """The kernel's sweep over the neighbours ``moves`` of ``pattern`` (see
        :meth:`RegionKernel.sweep`), from its optimum ``base`` = (W, c) of loss ``base_loss``;
        the screening test is used only when ``base`` passes the KKT certificate here, or
        ``certified`` says that it already passed this backend's certificate at ``KKT_RTOL`` (an
        answer of :meth:`solve` or of a sweep with status ``"optimal"``, of this very pattern), and
        without weight decay, whose objective is not a function of the predictions alone. Returns the
        :class:`~zonocomb.convex.backends.kernel.SweepOutcome`, whose ``"failed"`` neighbours are
        left to the caller (:meth:`solve` each), or None when the neighbours are better solved one
        by one: the l1 loss (no kernel), and next to an unattained logistic region (whose far point
        is no optimum and a poor start). ``least_only``: the caller needs only the least loss below
        ``bound`` (:meth:`RegionProgram.sweep <zonocomb.convex.region.RegionProgram.sweep>`); with
        the MSE and the screening test the sweep is then
        :func:`~zonocomb.convex.backends.face_bounds.least_sweep`. ``starts``: neighbour index → (W, c), where to start that
        neighbour's solve instead of ``base``. ``answers``: return the kernel's points (``W``,
        ``c`` of the outcome) without the attainment check of ``solutions``. Logistic without
        weight decay, with ``solutions``: a
        ``"solved"`` neighbour that :class:`AttainmentCheck` does not certify is marked
        ``"failed"`` (its own solve decides whether its infimum is attained); the check's CPU time
        is added to the neighbour's ``cpu_seconds``."""
        if self.data.loss == "l1" or self._recession is not None and self._recall(base) is not None:
            return None
        W, c = base
        moves = PackedMoves.pack(moves, self.data.m, self.data.N)
        screen = self.data.alpha == 0.0 and (certified or self._kernel.residuals(pattern, W, c).ok(self.KKT_RTOL))
        if least_only and screen and self.data.loss == "mse":
            outcome = least_sweep(self._kernel, pattern, moves, W, c, base_loss, kkt_rtol=self.KKT_RTOL, bound=bound,
                                  solutions=solutions or answers, starts=starts)
        else:
            outcome = self._kernel.sweep(pattern, moves, W, c, base_loss, screen=screen, kkt_rtol=self.KKT_RTOL,
                                         bound=bound, solutions=solutions or answers, starts=starts)
        if solutions and self._attainment is not None and self.data.alpha == 0.0:
            for j in np.flatnonzero(outcome.status == "solved").tolist():
                t0 = time.process_time()
                B = pattern.copy()
                B[moves.units[j], moves.flipped(j)] ^= True
                if not self._attainment.attained(B, *outcome.point(j)):
                    outcome.status[j], outcome.loss[j], outcome.lower_bound[j] = "failed", np.nan, -np.inf
                outcome.cpu_seconds[j] += time.process_time() - t0
        return outcome

    def stars(self, patterns: np.ndarray, moves, ptr: np.ndarray):
        """The kernel's stars (:meth:`RegionKernel.stars`): each vertex of ``patterns`` solved from
        W = 0 and certified at ``KKT_RTOL``, and its moves swept from its optimum (with the
        screening test unless there is weight decay). Returns the
        :class:`~zonocomb.convex.backends.kernel.StarsOutcome`, whose ``"failed"`` vertices and
        neighbours are left to the caller, or None for the l1 loss (no kernel)."""
        if self.data.loss == "l1":
            return None
        return self._kernel.stars(patterns, moves, ptr, screen=self.data.alpha == 0.0, kkt_rtol=self.KKT_RTOL)

    def solve_unsettled(self, pattern: np.ndarray) -> BackendResult:
        """A neighbour the kernel did not settle in a sweep (from the vertex's optimum): the
        kernel once more from the cold start W = 0 (MSE; the logistic path of :meth:`solve`
        without a warm start), then the reference backend."""
        return self.solve(pattern, None)

    def _solve_mse(self, pattern, warm_start) -> BackendResult:
        """MSE: the kernel from the warm start, then from W = 0, then the reference."""
        starts = [(None, None)] if warm_start is None else [warm_start, (None, None)]
        reasons = []
        for W0, c0 in starts:
            try:
                res, kkt = self._kernel.solve_certified(pattern, W0, c0)
            except KernelFailed as exc:
                reasons.append(str(exc))
                continue
            if kkt.ok(self.KKT_RTOL):
                return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL, n_iter=res.n_iter)
            reasons.append(f"its answer failed the KKT check ({kkt})")
        return self._fall_back(pattern, "; ".join(reasons))

    def _active_set(self, pattern, W0, c0, keep=None, detect_recession=False):
        """Logistic: the kernel's answer for F (or F_I, ``keep``) from (W0, c0), certified by its
        KKT residuals (for F_I when ``keep`` is given).

        Raises
        ------
        Separable, Runaway
            The recession tests (with ``detect_recession``).
        KernelFailed
            The kernel stopped, or its answer failed the certificate.
        """
        res = self._kernel.solve(pattern, W0, c0, keep=keep, detect_recession=detect_recession)
        kkt = self._kernel.residuals(pattern, res.W, res.c, res.supports, keep=keep)
        if not kkt.ok(self.KKT_RTOL):
            raise KernelFailed(f"the kernel's answer failed the KKT check ({kkt})")
        return res

    def _solve_with_recession(self, pattern, start, exc, hint=None, answer=None) -> BackendResult:
        """Logistic, after the kernel ran away or stopped (``exc``), next to an unattained region
        whose recession direction is ``hint``, or when the kernel's certified ``answer`` is not
        certified to attain the infimum (:class:`AttainmentCheck`): find a recession direction
        (``hint`` if it still is one here, else the recession LP's), minimise the rest F_I of the
        program and return the point along the direction (or, when no example is separated,
        ``answer`` or the plain optimum)."""
        rec = None if hint is None else self._recession.reuse(pattern, *hint)
        if rec is None:
            try:
                rec = self._recession.solve(pattern)
            except RecessionLPFailed as lp_exc:
                if exc is not None:
                    why = f"the kernel stopped ({exc}) and {lp_exc}"
                elif answer is not None:
                    why = f"the attainment of its infimum was not certified and {lp_exc}"
                else:
                    why = str(lp_exc)
                return self._fall_back(pattern, why)
            hint = None
        if not rec.separated.any():                               # the infimum is attained
            if answer is not None:
                return BackendResult(W=answer.W, c=answer.c, status=SolveStatus.OPTIMAL, n_iter=answer.n_iter)
            try:
                res = self._minimise(pattern, start)
            except KernelFailed as failure:
                return self._fall_back(pattern, f"the kernel stopped: {failure}")
            return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL, n_iter=res.n_iter)
        if rec.separated.all():                                   # the infimum is 0
            return self._unattained(pattern, None, rec.W, rec.c, rec.separated, 0)
        keep = ~rec.separated
        # F_I attains its minimum when I is the LP's (maximal) set, possibly with large margins
        # on kept examples, so a runaway is a hint only for a reused direction's I
        try:
            res = self._minimise(pattern, start, keep, detect_recession=hint is not None)
        except KernelFailed as failure:
            if hint is not None:                                  # the reused direction's I is too small
                return self._solve_with_recession(pattern, start, None)
            return self._fall_back(pattern, f"the kernel stopped on the attained part of an unattained "
                                            f"region: {failure}")
        return self._unattained(pattern, (res.W, res.c), rec.W, rec.c, rec.separated, res.n_iter)

    def _rounding(self, W) -> float:
        """Bound on the rounding error of a mean logistic loss evaluated at first-layer weights W:
        (n + m + 2) ε Σ_u |v_u| ‖w_u‖ max_i ‖x̄_i‖ bounds the error of every prediction ŷ_i, and
        the loss is 1-Lipschitz in ŷ."""
        d = self.data
        return (d.n + d.m + 2) * np.finfo(float).eps * float(np.abs(d.v) @ np.linalg.norm(W, axis=1)) \
            * self._xmax

    def _minimise(self, pattern, start, keep=None, detect_recession=False):
        """Logistic: the kernel on F (or on F_I, ``keep`` = the complement of I) from ``start`` or
        from the cold start W = 0, whichever has the lower objective, and, should it stop, once
        more from the other one. With ``detect_recession`` the first stop or runaway is raised at
        once (it says that the reused direction's I is too small, and the recession LP is next).

        Raises
        ------
        KernelFailed
            No start succeeded (the last failure).
        Separable
            An iterate separates every example (``detect_recession``).
        """
        starts = [start]
        if start[0] is not None:
            cold = (None, None)
            starts = [start, cold] if self._objective(pattern, start, keep) <= \
                self._objective(pattern, cold, keep) else [cold, start]
        for k, (W0, c0) in enumerate(starts):
            try:
                return self._active_set(pattern, W0, c0, keep=keep, detect_recession=detect_recession)
            except KernelFailed:
                if detect_recession or k == len(starts) - 1:
                    raise

    def _objective(self, pattern, point, keep=None) -> float:
        """Logistic F (or F_I) at a starting point (W, c) (the cold start of the active-set
        method when W is None); a warm start's units outside their cones are not projected."""
        d = self.data
        W, c = point
        if W is None:
            ybar = float(np.mean(d.y if keep is None or not keep.any() else d.y[keep]))
            c = float(np.log(max(ybar, 1e-12) / max(1.0 - ybar, 1e-12)))
            yhat = np.full(d.N, c if d.fit_bias else 0.0)
            W = np.zeros((d.m, d.n))
        else:
            yhat = (pattern * d.v[:, None] * (W @ d.Xbar.T)).sum(axis=0) + (c if d.fit_bias else 0.0)
        decay = d.alpha * float(np.sum(np.square(W)))
        if keep is None:
            return mean_loss("logistic", yhat, d.y) + decay
        return (mean_loss("logistic", yhat[keep], d.y[keep]) * float(keep.sum()) / d.N if keep.any() else 0.0) \
            + decay

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
        self.remember_unattained((W, c), (None, None) if base is None else (W0, c0), (Wd, cd))
        return BackendResult(W=W, c=float(c), status=SolveStatus.OPTIMAL_UNATTAINED, n_iter=n_iter)

    def _start(self, pattern, warm_start):
        """Logistic starting point (W0, c0): the warm start, or (None, None) for the kernel's cold
        start W = 0 when there is none or the warm start's objective is higher.

        A warm start that is one of the ``UNATTAINED_CACHE`` most recently used unattained answers
        is replaced by its attained part θ_I (None when I is everything): from the far point
        θ_I + τθ* the kernel would need about |ŷ|/``MAX_LOGIT_STEP`` steps to come back to a
        neighbouring region's optimum, whose attained part is near θ_I."""
        if warm_start is None:
            return None, None
        entry = self._recall(warm_start)
        if entry is not None:
            return entry[0]
        if self._objective(pattern, warm_start) > self._objective(pattern, (None, None)):
            return None, None
        return warm_start

    def _hint(self, warm_start):
        """The recession direction θ* = (W*, c*) of ``warm_start`` when it is a remembered
        unattained answer, else None."""
        entry = None if warm_start is None else self._recall(warm_start)
        return None if entry is None else entry[1]

    def _recall(self, warm_start):
        """The cache entry (θ_I, θ*) of an unattained answer, or None; a hit becomes the most
        recently used entry, so that the current vertex of a local search, the warm start of
        all its neighbours, is never evicted by their answers."""
        key = _cache_key(warm_start)
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
        return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL_FALLBACK, n_iter=res.n_iter)


def _cache_key(answer) -> tuple[bytes, float]:
    """The key of an answer (W, c) in the cache of unattained answers."""
    W, c = answer
    return np.asarray(W, dtype=float).tobytes(), float(c)


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
