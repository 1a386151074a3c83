"""Recession directions of the logistic region program (paper eq. 3, appendix H.2.2).

For a pattern A with signs s_ui = 2A_ui − 1, write θ = (W, c) and ŷ(θ) = Jθ (linear), and let
K = {θ : s_ui (w_u·x̄_i) ≥ 0 for all u, i} (c free, or c = 0 without an output bias): the
feasible set is the cone K. With σ_i = 2y_i − 1, a *recession direction* of the logistic
objective F(θ) = (1/N) Σ_i ℓ(ŷ_i, y_i) is a θ* ∈ K with σ_i (Jθ*)_i ≥ 0 for every i; F does not
increase along it, and decreases strictly to its limit when σ_i (Jθ*)_i > 0 for some i.

The set I of examples that some recession direction separates (σ_i (Jθ*)_i > 0) is separated by
one direction (a sum of such directions), and is the support of every optimal solution of the LP

    maximise Σ_i t_i   over θ ∈ K, t ∈ [0, 1]^N   subject to   σ_i (Jθ)_i ≥ t_i  (all i),

whose optimal t is the indicator of I (K is a cone: any i with σ_i (Jθ)_i > 0 reaches t_i = 1
after scaling θ). Then for every θ ∈ K, F(θ + τθ*) → F_I(θ) as τ → ∞, with F_I the objective
with the examples of I removed (their terms vanish, the others do not change since
(Jθ*)_i = 0 for i ∉ I), and F ≥ F_I everywhere, so

    inf_K F = min_K F_I,

where the minimum of F_I is attained (a recession direction of F_I separating some i ∉ I would,
plus a multiple of θ*, separate I ∪ {i}, contradicting the maximality of I).
:mod:`zonocomb.convex.backends.fast` uses this to solve regions whose infimum is not attained.

The LP is solved in floating point by HiGHS, through :mod:`highspy` with one model
kept per dataset: the constraint matrix has a fixed sparsity pattern (the sign constraints are the
rows x̂_i·w_u with bounds [0, ∞) or (−∞, 0] by the sign s_ui; only the separation rows'
coefficients v_u A_ui x̄_i depend on the pattern), so a new pattern changes the row bounds and the
coefficients of the flipped entries, and the simplex starts from the previous pattern's optimal
basis by the primal simplex (mGLS solves the LPs of neighbouring patterns in a row). Should that
fail, the LP is solved cold (HiGHS through :func:`scipy.optimize.linprog`: the attempts of
``HIGHS_ATTEMPTS``). Every returned direction is cleaned of rounding-level noise and checked here (cone
feasibility and margins) before it is used. Nothing downstream relies on I being exactly maximal: since F ≥ F_I
for every I, a (KKT-certified) minimum of F_I is a lower bound of inf F whatever I is, and the
fast backend certifies each answer against it.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import daqp
import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import linprog, nnls

from ...errors import InvalidInputError, SolverError
from . import RegionData

__all__ = ["RecessionLP", "SeparatedSet", "RecessionLPFailed"]

#: Cold HiGHS attempts (name, ``linprog`` method, options) tried in order after the warm-started
#: kept model: the dual simplex without presolve at HiGHS' default tolerances, the interior-point
#: method (with crossover), then the dual simplex with Dantzig pricing, which solves LPs on which
#: HiGHS' default pricing stops in phase 1 (benchmarks/recession_lp_failures.py). Every answer is
#: cleaned and validated (:meth:`RecessionLP.validate`), so the LP's own tolerances do not decide
#: correctness.
HIGHS_ATTEMPTS = (("highs-ds", "highs-ds", dict(presolve=False)),
                  ("highs-ipm", "highs-ipm", {}),
                  ("highs-ds with Dantzig pricing", "highs-ds",
                   dict(presolve=False, simplex_dual_edge_weight_strategy="dantzig")))
#: Options of the kept, warm-started model: silent, no presolve (it would discard the basis),
#: HiGHS' default tolerances (as for the cold dual simplex above), and the primal simplex
#: (``simplex_strategy`` 4): on the LPs of an mGLS run (Fashion-MNIST 2/4, d = 8, N = 350, m = 8;
#: consecutive patterns 2 entries apart) it needs ≈ 120 iterations (≈ 18 ms) from the previous
#: basis, the dual simplex ≈ 640 (≈ 55–75 ms, no better than a cold solve).
HIGHS_KEPT_OPTIONS = {"output_flag": False, "presolve": "off", "simplex_strategy": 4}


def _silent_highs() -> "highspy.Highs":
    """A new ``highspy.Highs`` without its licence banner on standard output.

    HiGHS (1.16) prints the banner from C++ straight to file descriptor 1 while the object is
    constructed, before any option can switch output off, so that descriptor is pointed at
    /dev/null for the construction only.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class RecessionLPFailed(SolverError):
    """HiGHS failed, or its answer is not a valid recession direction (the fast backend then
    falls back to the reference)."""


@dataclass(frozen=True)
class SeparatedSet:
    """The examples a recession direction separates, and the direction.

    Attributes
    ----------
    separated : ndarray of bool, shape (N,)
        The set I (σ_i (Jθ*)_i > 0).
    W : ndarray, shape (m, n)
        First-layer part of θ* (in K, up to rounding).
    c : float
        Output-bias part of θ* (0 without an output bias).
    margins : ndarray, shape (N,)
        σ_i (Jθ*)_i: at least ``MARGIN_RTOL`` on I (the LP asks for 1), about 0 elsewhere
        (at most ``DRIFT_RTOL`` max(1, max|σ_i (Jθ*)_i|) in size).
    """

    separated: np.ndarray
    W: np.ndarray
    c: float
    margins: np.ndarray


class RecessionLP:
    """The LP above for one dataset and output weights; its sparsity pattern is built once.

    Parameters
    ----------
    data : RegionData
        With ``loss == "logistic"``.

    Notes
    -----
    Float tolerances: an example is in I when its t_i ≥ ½. The LP's direction is first cleaned:
    units with ‖w*_u‖ ≤ ``NEGLIGIBLE_RTOL`` max_u' ‖w*_u'‖ are set to 0, and a unit violating a
    sign constraint by more than ``CLEAN_RTOL`` ‖w*_u‖ is projected onto its cone. An answer with
    some t_i in (``T_TOL``, 1 − ``T_TOL``), a margin below ``MARGIN_RTOL`` on I or of size above
    ``DRIFT_RTOL`` max(1, max|σ_i (Jθ*)_i|) elsewhere, or (after cleaning) a cone constraint
    violated by more than ``FEAS_RTOL`` ‖w*_u‖ ‖x̄_i‖ raises :class:`RecessionLPFailed` (the
    exact optimum has t ∈ {0, 1}^N). The small margins allowed outside I only move the
    loss of the point built from θ*, which :mod:`~zonocomb.convex.backends.fast` measures and
    bounds before it returns it.
    """

    T_TOL = 1e-6
    MARGIN_RTOL = 0.5
    FEAS_RTOL = 1e-8
    DRIFT_RTOL = 1e-6
    NEGLIGIBLE_RTOL = 1e-9
    CLEAN_RTOL = 1e-12
    #: A pattern flipping more than REBUILD_FLIPS · N entries of the last one gets a new model,
    #: solved cold (updating the coefficients and warm-starting costs more there).
    REBUILD_FLIPS = 0.25

    def __init__(self, data: RegionData):
        if data.loss != "logistic":
            raise InvalidInputError("recession directions are computed for the logistic loss")
        self.data = data
        m, N, n = data.m, data.N, data.n
        self.nw = m * n
        self.nc = 1 if data.fit_bias else 0
        self.nvar = self.nw + self.nc + N
        self.sigma = 2.0 * data.y - 1.0
        self.cost = np.concatenate([np.zeros(self.nw + self.nc), -np.ones(N)])
        xnorm = np.linalg.norm(data.Xbar, axis=1)
        self.xnorm = xnorm
        self.Xu = data.Xbar / np.where(xnorm > 0.0, xnorm, 1.0)[:, None]
        uu, ii, jj = np.meshgrid(np.arange(m), np.arange(N), np.arange(n), indexing="ij")
        self._u, self._i = uu.ravel(), ii.ravel()
        self._col = (uu * n + jj).ravel()
        self._sign_row = (uu * N + ii).ravel()
        self._X = np.broadcast_to(data.Xbar[None, :, :], (m, N, n)).ravel()
        self._Xu = np.broadcast_to(self.Xu[None, :, :], (m, N, n)).ravel()
        self._highs = None            # the kept model (built on the first solve), and its pattern
        self._pattern = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_highs"] = state["_pattern"] = None                  # rebuilt on the next solve
        return state

    @property
    def kept_model(self) -> "highspy.Highs | None":
        """The kept, warm-started HiGHS model (None before the first warm solve). A documented
        hook for tests (docs/design.md §8)."""
        return self._highs

    def solve(self, pattern: np.ndarray, *, warm: bool = True) -> SeparatedSet:
        """The largest separated set I of the region of ``pattern`` ((m, N) bool) and a direction.

        The kept HiGHS model is updated to ``pattern`` and solved from the last optimal basis;
        should that fail (HiGHS' status, or an answer that fails the validation), or with
        ``warm=False``, the LP is solved cold by the methods of ``HIGHS_ATTEMPTS``.

        Raises
        ------
        RecessionLPFailed
            No attempt gave a valid recession direction.
        """
        pattern = np.asarray(pattern, dtype=bool)
        failures = []
        if warm:
            x = self._solve_kept(pattern)
            if isinstance(x, str):
                failures.append(x)
            else:
                try:
                    return self.validate(pattern, x)
                except RecessionLPFailed as exc:
                    failures.append(f"warm-started primal simplex: {exc}")
            self._highs.clearSolver()                                 # the next solve starts cold
        A, bounds = self._cold_lp(pattern, np.where(pattern, 1.0, -1.0))
        for name, method, options in HIGHS_ATTEMPTS:
            res = linprog(self.cost, A_ub=A, b_ub=np.zeros(A.shape[0]), bounds=bounds, method=method,
                          options=options)
            if res.status != 0 or res.x is None:
                failures.append(f"{name}: {res.message}")
                continue
            try:
                return self.validate(pattern, res.x)
            except RecessionLPFailed as exc:
                failures.append(f"{name}: {exc}")
        raise RecessionLPFailed("HiGHS failed on the recession LP (" + "; ".join(failures) + ")")

    def validate(self, pattern: np.ndarray, x: np.ndarray) -> SeparatedSet:
        """The :class:`SeparatedSet` of a solution x = (vec W, c, t) of the LP of ``pattern``
        ((m, N) bool; c only with an output bias), cleaned and checked as the class notes say;
        every answer of :meth:`solve` passes through it.

        Raises
        ------
        RecessionLPFailed
            x is not integral in t, or not a valid recession direction after cleaning.
        """
        pattern = np.asarray(pattern, dtype=bool)
        S = np.where(pattern, 1.0, -1.0)
        t = x[self.nw + self.nc:]
        if np.any((t > self.T_TOL) & (t < 1.0 - self.T_TOL)):
            raise RecessionLPFailed("the optimum is not integral (numerical trouble)")
        W = np.array(x[:self.nw], dtype=float).reshape(self.data.m, self.data.n)
        c = float(x[self.nw]) if self.nc else 0.0
        return self._check(pattern, S, t >= 0.5, self._clean(S, W), c)

    def _separation_values(self, pattern, u, i):
        """Coefficients −σ_i v_u A_ui x̄_i of w_u in the separation rows i ((k, n) for k pairs)."""
        d = self.data
        return -(self.sigma[i] * d.v[u] * pattern[u, i])[:, None] * d.Xbar[i]

    def _solve_kept(self, pattern):
        """Update the kept model to ``pattern`` and solve it from the last basis; the solution
        vector, or a message saying why HiGHS failed."""
        d = self.data
        N, n = d.N, d.n
        live = self._live_units(pattern)
        h = self._highs
        flips = None if h is None else np.nonzero(pattern != self._pattern)
        if flips is None or flips[0].size > self.REBUILD_FLIPS * N:
            self._build(pattern, live)                                # far from the last pattern
            h = self._highs
        else:
            u, i = flips
            if u.size:
                rows = N + u * N + i                                  # sign rows: only the bounds
                h.changeRowsBounds(rows.size, rows.astype(np.int32),
                                   np.where(pattern[u, i], 0.0, -highspy.kHighsInf),
                                   np.where(pattern[u, i], highspy.kHighsInf, 0.0))
                vals = self._separation_values(pattern, u, i)         # separation rows: coefficients
                for k in np.flatnonzero(d.v[u] != 0.0):
                    row, base = int(i[k]), int(u[k]) * n
                    for j in np.flatnonzero(d.Xbar[i[k]] != 0.0):
                        h.changeCoeff(row, base + int(j), float(vals[k, j]))
            changed = np.flatnonzero(live != self._live)
            if changed.size:
                cols = (changed[:, None] * n + np.arange(n)).ravel()
                bound = np.repeat(np.where(live[changed], highspy.kHighsInf, 0.0), n)
                h.changeColsBounds(cols.size, cols.astype(np.int32), -bound, bound)
        self._pattern, self._live = pattern.copy(), live
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return f"warm-started primal simplex: {h.modelStatusToString(status)}"
        return np.array(h.getSolution().col_value, dtype=float)

    def _live_units(self, pattern) -> np.ndarray:
        """Units that can affect ŷ (an active example and v_u ≠ 0); the others' columns are 0."""
        return np.any(pattern * self.data.v[:, None] != 0.0, axis=1)

    def _matrix(self, pattern, sign_values) -> sparse.csc_matrix:
        """The LP's constraint matrix over (vec W, c, t): row i < N is −σ_i (Jθ)_i + t_i, row
        N + uN + i is ``sign_values`` (one per (u, i, j) entry, as ``self._Xu``) times w_u."""
        d = self.data
        N = d.N
        coef = (pattern * d.v[:, None])[self._u, self._i]             # v_u A_ui per entry
        sep = (coef != 0.0) & (self._X != 0.0)
        cone = self._Xu != 0.0
        rows = [self._i[sep], N + self._sign_row[cone], np.arange(N)]
        cols = [self._col[sep], self._col[cone], self.nw + self.nc + np.arange(N)]
        vals = [-self.sigma[self._i[sep]] * coef[sep] * self._X[sep], sign_values[cone], np.ones(N)]
        if self.nc:
            rows.append(np.arange(N))
            cols.append(np.full(N, self.nw))
            vals.append(-self.sigma)
        return sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(N + d.m * N, self.nvar))

    def _build(self, pattern, live):
        """The kept model for ``pattern``: minimise −Σ t_i over (vec W, c, t), rows
        −σ_i (Jθ)_i + t_i ≤ 0 (i < N) and x̂_i·w_u in [0, ∞) or (−∞, 0] (row N + uN + i)."""
        d = self.data
        m, N, n = d.m, d.N, d.n
        inf = highspy.kHighsInf
        A = self._matrix(pattern, self._Xu)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.nvar, N + m * N
        lp.col_cost_ = self.cost
        wb = np.repeat(np.where(live, inf, 0.0), n)
        lp.col_lower_ = np.concatenate([-wb, np.full(self.nc, -inf), np.zeros(N)])
        lp.col_upper_ = np.concatenate([wb, np.full(self.nc, inf), np.ones(N)])
        S = pattern.ravel()
        lp.row_lower_ = np.concatenate([np.full(N, -inf), np.where(S, 0.0, -inf)])
        lp.row_upper_ = np.concatenate([np.zeros(N), np.where(S, inf, 0.0)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        h = _silent_highs()
        for option, value in HIGHS_KEPT_OPTIONS.items():
            h.setOptionValue(option, value)
        h.passModel(lp)
        self._highs = h

    def _cold_lp(self, pattern, S):
        """The LP of ``pattern`` as scipy's ``linprog`` takes it: (A_ub, bounds) with b_ub = 0."""
        n = self.data.n
        live = self._live_units(pattern)
        A = self._matrix(pattern, -S[self._u, self._i] * self._Xu)      # −s_ui x̂_i·w_u ≤ 0
        bounds = np.zeros((self.nvar, 2))
        bounds[:self.nw + self.nc] = [-np.inf, np.inf]
        bounds[:self.nw][~np.repeat(live, n)] = 0.0                   # units that cannot affect ŷ
        bounds[self.nw + self.nc:, 1] = 1.0
        return A, bounds

    def reuse(self, pattern: np.ndarray, W: np.ndarray, c: float):
        """A recession direction θ* = (W, c) found for another pattern, validated for ``pattern``:
        the :class:`SeparatedSet` with I = {i : σ_i (Jθ*)_i ≥ ``MARGIN_RTOL``}, or None when θ* is
        not a recession direction of this region (or does not separate I cleanly).

        A neighbouring pattern flips a unit's examples; θ* stays in its cone when those examples
        lie on the unit's hyperplane w*_u·x̄_i = 0 (or w*_u = 0), and then Jθ* does not change. The
        set I need not be maximal here: :mod:`~zonocomb.convex.backends.fast` certifies its answer
        without that (and asks the LP when the rest of the program turns out to have no minimiser).
        """
        S = np.where(pattern, 1.0, -1.0)
        margins = self.sigma * ((pattern * self.data.v[:, None] * (W @ self.data.Xbar.T)).sum(axis=0) + c)
        try:
            return self._check(pattern, S, margins >= self.MARGIN_RTOL, np.array(W, dtype=float), c)
        except RecessionLPFailed:
            return None

    def _clean(self, S, W) -> np.ndarray:
        """The LP's W with its rounding-level units set to 0 and every other unit's small
        violations of its sign constraints removed by projecting it onto its cone C_u.

        HiGHS' tolerances are absolute: a unit that takes no part in the direction comes back with
        ‖w_u‖ ~ 1e-13 and violations of the same size, which is noise, not a direction."""
        wn = np.linalg.norm(W, axis=1)
        W[wn <= self.NEGLIGIBLE_RTOL * float(wn.max(initial=0.0))] = 0.0
        slack = S * (W @ self.Xu.T)                        # 0 on a zeroed unit: never a violation
        for u in np.flatnonzero(np.any(slack < -self.CLEAN_RTOL * wn[:, None], axis=1)):
            W[u] = _project_onto_cone(W[u], S[u][:, None] * self.Xu)
        return W

    def _check(self, pattern, S, separated, W, c) -> SeparatedSet:
        """Validate θ* = (W, c): in K (up to rounding), σ_i (Jθ*)_i ≥ MARGIN_RTOL on I and
        |σ_i (Jθ*)_i| ≤ DRIFT_RTOL max(1, max_i |σ_i (Jθ*)_i|) elsewhere."""
        d = self.data
        margins = self.sigma * ((pattern * d.v[:, None] * (W @ d.Xbar.T)).sum(axis=0) + c)
        wn = np.linalg.norm(W, axis=1)
        slack = S * (W @ self.Xu.T)
        if np.any(slack < -self.FEAS_RTOL * wn[:, None]):
            raise RecessionLPFailed("the recession direction violates a sign constraint")
        drift = self.DRIFT_RTOL * max(1.0, float(np.max(np.abs(margins), initial=0.0)))
        if np.any(margins[separated] < self.MARGIN_RTOL) or \
                np.any(np.abs(margins[~separated]) > drift):
            raise RecessionLPFailed("the recession direction does not separate its examples")
        W.setflags(write=False)
        margins.setflags(write=False)
        separated.setflags(write=False)
        return SeparatedSet(separated=separated, W=W, c=c, margins=margins)


def _project_onto_cone(w: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Euclidean projection of w onto the cone {x : normals @ x ≥ 0} (DAQP; NNLS on the polar
    cone, by Moreau's decomposition, should DAQP fail)."""
    n = w.size
    k = normals.shape[0]
    x, _, flag, _ = daqp.solve(np.eye(n), -w, normals, np.full(k, np.inf), np.zeros(k), None,
                               primal_tol=1e-13)
    if flag in (1, 2):
        return np.asarray(x, dtype=float)
    lam = nnls(normals.T, -w)[0]                                  # w = P_K(w) − Nᵀλ
    return w + normals.T @ lam
