"""KKT residuals of a candidate optimum of the region program (paper eq. 3), in floating point.

For the smooth losses (MSE, logistic) a feasible (W, c) is optimal for eq. (3) exactly when there
are multipliers λ_ui ≥ 0 with

* primal feasibility: s_ui (w_u·x̄_i) ≥ 0 for all u, i (s_ui = 2A_ui − 1);
* stationarity: ∂F/∂w_u = Σ_i λ_ui s_ui x̄_i/‖x̄_i‖ for every unit, and ∂F/∂c = Σ_i ℓ'(ŷ_i)/N = 0
  when c is fitted;
* complementarity: λ_ui s_ui (w_u·x̄_i) = 0.

:class:`KKTChecker` computes multipliers supported on the constraints that are tight at (W, c):
by least squares over the tight constraints of a unit with w_u ≠ 0 (at most n − 1 of them, linearly
independent, in general position), and over a candidate support supplied by the solver (its
certificate) for a unit with w_u = 0, where all N constraints are tight. Where that gives a
negative multiplier, or the set does not determine the multipliers (a dependent or too large tight
set in degenerate data, or no support given), non-negative least squares over all the unit's tight
constraints decides. The multipliers are therefore non-negative (the *dual* residual reports the
small negative least-squares values still accepted), and a point that is not optimal shows a
stationarity residual: the distance of ∂F/∂w_u from the cone of the unit's tight normals.
Residuals are relative to the gradient scale max|v| · mean‖x̄_i‖ · (2 rms(y) for MSE, 1
for logistic) and to max_u ‖w_u‖. They are computed from (W, c) alone, independently of the
solver's state, and certify the fast backend's answers (:mod:`zonocomb.convex.backends.fast`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from .backends import RegionData
from .losses import loss_derivatives

__all__ = ["KKTResiduals", "KKTChecker"]

#: A constraint enters the multiplier fit when its slack is ≤ TIGHT_RTOL ‖w_u‖ ‖x̄_i‖.
TIGHT_RTOL = 1e-9
#: A unit with ‖w_u‖ ≤ NEGLIGIBLE_RTOL max_u' ‖w_u'‖, or |v_u| ‖w_u‖ max‖x̄_i‖ ≤ NEGLIGIBLE_RTOL
#: (1 + max|y_i| + max|ŷ_i|), counts as w_u = 0 (all its constraints tight).
NEGLIGIBLE_RTOL = 1e-12
#: Least-squares multipliers down to −NEGATIVE_RTOL × (gradient scale) count as non-negative.
NEGATIVE_RTOL = 1e-12


@dataclass(frozen=True)
class KKTResiduals:
    """Relative KKT residuals of (W, c) for one pattern (all ≥ 0; 0 at an exact optimum).

    Attributes
    ----------
    primal : float
        max over (u, i) of the constraint violation −s_ui (w_u·x̄_i)/‖x̄_i‖, over max_u ‖w_u‖.
    stationarity : float
        Largest residual ‖∂F/∂w_u − Σ λ_ui s_ui x̄_i/‖x̄_i‖‖ over multipliers λ ≥ 0 of the tight
        constraints (and |∂F/∂c| when c is fitted), over the gradient scale.
    dual : float
        Largest negative part of the multipliers used (only least-squares multipliers above
        −``NEGATIVE_RTOL`` are used; otherwise NNLS's, which are ≥ 0), over the gradient scale.
    complementarity : float
        Largest |λ_ui s_ui w_u·x̄_i|/‖x̄_i‖, over gradient scale × max_u ‖w_u‖.
    rounding : float
        Machine epsilon × max_u |v_u| ‖w_u‖ × max_i ‖x̄_i‖ / (1 + max_i |ŷ_i|): the relative size of
        the rounding errors in the predictions. Weights so large that the predictions (and the
        signs of the preactivations) are lost to cancellation make every other residual
        meaningless, so a large value also fails :meth:`ok`.
    """

    primal: float
    stationarity: float
    dual: float
    complementarity: float
    rounding: float

    def ok(self, rtol: float) -> bool:
        """Whether every residual is at most ``rtol``."""
        return bool(max(self.primal, self.stationarity, self.dual, self.complementarity,
                        self.rounding) <= rtol)


class KKTChecker:
    """KKT residuals of candidate optima for one dataset, output weights and smooth loss.

    Parameters
    ----------
    data : RegionData
        With ``loss`` ``"mse"`` or ``"logistic"``.

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> from zonocomb.convex import RegionProgram
    >>> prog = RegionProgram(Dataset([[0], [1], [2], [3]], y=[0, 1, 2, 3]), v=[1.0])
    >>> A = prog.pattern_array((0, 1, 1, 1))
    >>> sol = prog.solve(A)
    >>> KKTChecker(prog._data).residuals(A, sol.W, sol.c).ok(1e-8)
    True
    """

    def __init__(self, data: RegionData):
        self.data = data
        X = data.Xbar
        xnorm = np.linalg.norm(X, axis=1)
        self.xmax = float(xnorm.max())
        self.nonzero = xnorm > 0.0
        self.Xu = X / np.where(self.nonzero, xnorm, 1.0)[:, None]
        self.XuT = np.ascontiguousarray(self.Xu.T)
        self.XT = np.ascontiguousarray(X.T)
        label = 2.0 * float(np.sqrt(np.mean(data.y ** 2))) if data.loss == "mse" else 1.0
        #: gradient scale max|v| · mean‖x̄_i‖ · (2 rms(y) for MSE, 1 for logistic)
        self.scale = max(float(np.max(np.abs(data.v))) * float(np.mean(xnorm)) * label, 1e-300)

    def residuals(self, pattern: np.ndarray, W: np.ndarray, c: float,
                  supports: dict | None = None, keep: np.ndarray | None = None) -> KKTResiduals:
        """KKT residuals of (W, c) for the region program of ``pattern`` ((m, N) bool).

        ``supports`` (optional): unit -> example indices, a candidate support of the multipliers
        of a unit with w_u = 0 (without one, non-negative least squares over all its constraints
        decides). ``keep`` (optional, (N,) bool): residuals of the program whose objective
        counts only these examples, (1/N) Σ_{i kept} ℓ(ŷ_i, y_i) (the program F_I of
        :mod:`zonocomb.convex.backends.recession`; the constraints are unchanged).
        """
        data, Xu = self.data, self.Xu
        N, n = Xu.shape
        S = np.where(pattern, 1.0, -1.0)
        Mw = pattern * data.v[:, None]
        yhat = (Mw * (W @ self.XT)).sum(axis=0) + c
        g = loss_derivatives(data.loss, yhat, data.y)[0] / N
        if keep is not None:
            g = np.where(keep, g, 0.0)
        G = (Mw * g) @ data.Xbar                                      # ∂F/∂w_u
        wn = np.sqrt(np.einsum("uj,uj->u", W, W))
        scale = 1.0 + float(np.abs(data.y).max()) + float(np.abs(yhat).max())
        # rounding-level units count as w_u = 0 (relative to the others, or to the predictions)
        wn[(wn <= NEGLIGIBLE_RTOL * wn.max()) | (np.abs(data.v) * wn * self.xmax <= NEGLIGIBLE_RTOL * scale)] = 0.0
        wmax = float(wn.max())
        slack = S * (W @ self.XuT)
        slack[:, ~self.nonzero] = 0.0
        primal = max(0.0, -float(slack.min())) / wmax if wmax > 0.0 else 0.0
        # candidate sets of ≤ n constraints: the tight ones (w_u ≠ 0) or the given support (w_u = 0)
        tight = (slack <= TIGHT_RTOL * wn[:, None]) & self.nonzero[None, :]
        tight[wn == 0.0] = self.nonzero
        count = tight.sum(axis=1)
        idx = np.zeros((W.shape[0], n), dtype=int)
        order = np.argsort(~tight, axis=1, kind="stable")[:, :n]      # tight indices first
        idx[:, :order.shape[1]] = order                               # (fewer than n examples: padded)
        nnls_units = (wn == 0.0) & np.any(G != 0.0, axis=1)
        for u, sup in (supports or {}).items():
            if wn[u] == 0.0 and len(sup) <= n:
                count[u] = len(sup)
                idx[u, :len(sup)] = sup
                nnls_units[u] = False
        nnls_units |= count > n
        lam, res = _least_squares_multipliers(S, Xu, idx, np.minimum(count, n), G)
        lam[np.arange(n)[None, :] >= count[:, None]] = 0.0
        # a negative least-squares multiplier is decided by NNLS: with dependent tight constraints
        # (degenerate data) another, non-negative, combination may exist
        nnls_units |= ~np.isfinite(res) | (lam.min(axis=1) < -NEGATIVE_RTOL * self.scale)
        ls = ~nnls_units
        stat = float(res[ls].max(initial=0.0))
        dual = max(0.0, -float(lam[ls].min(initial=0.0)))
        comp = float(np.max(np.abs(lam[ls] * np.take_along_axis(slack[ls], idx[ls], axis=1)), initial=0.0))
        for u in np.flatnonzero(nnls_units):                          # NNLS over all tight constraints
            T = np.flatnonzero(tight[u])
            if T.size == 0:
                stat = max(stat, float(np.linalg.norm(G[u])))
                continue
            mult, r = nnls((S[u, T, None] * Xu[T]).T, G[u])
            stat = max(stat, float(r))
            comp = max(comp, float(np.max(np.abs(mult * slack[u, T]))))
        if data.fit_bias:
            stat = max(stat, abs(float(g.sum())))
        rounding = float(np.finfo(float).eps * float(np.max(np.abs(data.v) * wn)) * self.xmax
                         / (1.0 + float(np.abs(yhat).max())))
        return KKTResiduals(primal=primal, stationarity=stat / self.scale, dual=dual / self.scale,
                            complementarity=comp / (self.scale * wmax) if wmax > 0.0 else 0.0,
                            rounding=rounding)


def _least_squares_multipliers(S, Xu, idx, count, G):
    """λ minimising ‖g_u − Σ_{j<count} λ_j s_u,idx Xu[idx]‖ per row (normal equations, batched)."""
    L, n = idx.shape
    if L == 0:
        return np.zeros((0, n)), np.zeros(0)
    pad = np.arange(n)[None, :] >= count[:, None]
    signs = np.take_along_axis(S, idx, axis=1)
    signs[pad] = 0.0
    M = signs[:, :, None] * Xu[idx]
    MMt = M @ M.transpose(0, 2, 1)
    rows, cols = np.nonzero(pad)
    MMt[rows, cols, cols] = 1.0
    try:
        lam = np.linalg.solve(MMt, M @ G[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return np.zeros((L, n)), np.full(L, np.inf)                   # dependent set: NNLS decides
    r = np.einsum("kia,ki->ka", M, lam) - G
    return lam, np.sqrt(np.einsum("ka,ka->k", r, r))
