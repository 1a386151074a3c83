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
for logistic) and to max_u ‖w_u‖; the bias component ∂F/∂c, whose own scale lacks the factor
max|v| · mean‖x̄_i‖, is measured on the same scale (a tolerance looser by that factor, which is
about mean‖x̄_i‖ since the fast backend rescales v into (1/2, 1]). They are computed from (W, c) alone, independently of the
solver's state, and certify the fast backend's answers (:mod:`zonocomb.convex.backends.fast`).

Implementation (per call, for all units at once): one product gives the preactivations and the
normalised slacks; the candidate sets are sorted index arrays padded to n slots whose normals
are zero and whose Gram block is the identity, so that a single batched solve of the normal
equations gives every unit's least-squares multipliers (O(m n N + m n³) per check). NNLS runs only
for the units the rules above send to it. The fast backend uses the compiled implementation of
these residuals (:meth:`RegionKernel.residuals <zonocomb.convex.backends.kernel.RegionKernel.residuals>`);
this class is its reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from .backends import RegionData
from .losses import loss_derivative

__all__ = ["KKTResiduals", "KKTChecker"]

#: A constraint may carry a multiplier (enters the multiplier fit) when its slack is
#: ≤ SUPPORT_RTOL ‖w_u‖ ‖x̄_i‖.
SUPPORT_RTOL = 1e-9
#: A unit with ‖w_u‖ ≤ NEGLIGIBLE_RTOL max_u' ‖w_u'‖, or |v_u| ‖w_u‖ max‖x̄_i‖ ≤ NEGLIGIBLE_RTOL
#: (1 + max|y_i| + max|ŷ_i|), counts as w_u = 0 (all its constraints tight).
NEGLIGIBLE_RTOL = 1e-12
#: Least-squares multipliers down to −NEGATIVE_RTOL × (gradient scale) count as non-negative.
NEGATIVE_RTOL = 1e-12

_EPS = float(np.finfo(float).eps)


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
    >>> KKTChecker(prog.data).residuals(A, sol.W, sol.c).ok(1e-8)
    True
    """

    def __init__(self, data: RegionData) -> None:
        self.data = data
        X = data.Xbar
        N, n = X.shape
        m = data.m
        self.N, self.n = N, n
        xnorm = np.linalg.norm(X, axis=1)
        self.xmax = float(xnorm.max())
        self.nonzero = xnorm > 0.0
        self._all_nonzero = bool(self.nonzero.all())
        self._n_nonzero = int(self.nonzero.sum())
        self.Xu = X / np.where(self.nonzero, xnorm, 1.0)[:, None]
        # Candidate sets are (m, n) index arrays, a set of k < n constraints padded with the
        # slots N + k, …, N + n − 1 (their normals are zero: they add nothing to the fit).
        # [x̄_1 … x̄_N | x̄_1/‖x̄_1‖ … x̄_N/‖x̄_N‖ | n zero columns]: W times it gives the
        # preactivations and the (padded) normalised ones in one product
        self._XT_ext = np.hstack([X.T, self.Xu.T, np.zeros((n, n))])
        # rows (x̄_i/‖x̄_i‖, 0) and, for the slots, (0, e_j): the Gram matrix of a padded set is
        # that of its normals with an identity block for the slots
        self._Xu_ext = np.block([[self.Xu, np.zeros((N, n))], [np.zeros((n, n)), np.eye(n)]])
        self._pad_idx = np.tile(N + np.arange(n), (m, 1))
        self._zero_slots = np.zeros((m, n))
        self._arange = np.arange(N)
        self._rows = np.arange(m)[:, None]
        self._v = np.asarray(data.v, dtype=float)
        self._vcol = self._v[:, None]
        self._absv = np.abs(self._v)
        self._vx = self._absv * self.xmax
        self._ymax = float(np.abs(data.y).max())
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
        data = self.data
        N, n = self.N, self.n
        P = W @ self._XT_ext
        yhat = self._v @ (pattern * P[:, :N]) + c
        g = loss_derivative(data.loss, yhat, data.y) / N
        if keep is not None:
            g = np.where(keep, g, 0.0)
        G = ((pattern * g) @ data.Xbar) * self._vcol                 # ∂F/∂w_u
        wn = np.sqrt(np.einsum("uj,uj->u", W, W))
        ypeak = float(np.abs(yhat).max())
        # rounding-level units count as w_u = 0 (relative to the others, or to the predictions)
        zero = (wn <= NEGLIGIBLE_RTOL * wn.max()) | \
            (self._vx * wn <= NEGLIGIBLE_RTOL * (1.0 + self._ymax + ypeak))
        wn[zero] = 0.0
        wmax = float(wn.max())
        # signs s_ui and slacks s_ui w_u·x̄_i/‖x̄_i‖ (0 at zero examples), both 0 in n padding columns
        S = np.concatenate([np.where(pattern, 1.0, -1.0), self._zero_slots], axis=1)
        slack = P[:, N:] * S
        primal = max(0.0, -float(slack.min())) / wmax if wmax > 0.0 else 0.0
        # candidate sets of ≤ n constraints: the tight ones (w_u ≠ 0) or the given support (w_u = 0)
        tight = slack[:, :N] <= SUPPORT_RTOL * wn[:, None]
        if not self._all_nonzero:
            tight &= self.nonzero
        count = tight.sum(axis=1)
        given = {}
        if zero.any():
            tight[zero] = self.nonzero
            count[zero] = self._n_nonzero
            nnls_units = zero & G.any(axis=1)
            for u, sup in (supports or {}).items():
                if zero[u] and len(sup) <= n:
                    given[u] = sup
                    count[u] = len(sup)
                    nnls_units[u] = False
            nnls_units |= count > n
        else:
            nnls_units = count > n
        listed = tight & ~nnls_units[:, None]
        if given:
            listed[list(given)] = False
        # the (m, n) indices of each unit's candidate set in increasing order, padded with the
        # slots N + j (the listed indices sort before the placeholder N + n)
        first = np.sort(np.where(listed, self._arange, N + n), axis=1)[:, :n]
        idx = np.where(first < N, first, self._pad_idx[:, :first.shape[1]])
        if N < n:
            idx = np.hstack([idx, self._pad_idx[:, N:]])
        for u, sup in given.items():
            idx[u, :len(sup)] = sup
        mu, res = self._least_squares(idx, G)
        slack_at = slack[self._rows, idx]                             # 0 at padding slots
        lam = mu * S[self._rows, idx]                                 # λ = s μ, 0 at padding slots
        # a negative least-squares multiplier is decided by NNLS: with dependent tight constraints
        # (degenerate data) another, non-negative, combination may exist
        nnls_units |= ~np.isfinite(res) | (lam.min(axis=1) < -NEGATIVE_RTOL * self.scale)
        if nnls_units.any():
            ls = ~nnls_units
            lam, res, slack_at = lam[ls], res[ls], slack_at[ls]
        stat = float(res.max(initial=0.0))
        dual = max(0.0, -float(lam.min(initial=0.0)))
        comp = float(np.abs(lam * slack_at).max(initial=0.0))
        for u in np.flatnonzero(nnls_units):                          # NNLS over all tight constraints
            T = np.flatnonzero(tight[u])
            if T.size == 0:
                stat = max(stat, float(np.linalg.norm(G[u])))
                continue
            S_T = np.where(pattern[u, T], 1.0, -1.0)
            mult, r = nnls((S_T[:, None] * self.Xu[T]).T, G[u])
            stat = max(stat, float(r))
            comp = max(comp, float(np.max(np.abs(mult * slack[u, T]))))
        if data.fit_bias:
            stat = max(stat, abs(float(g.sum())))
        rounding = _EPS * float((self._absv * wn).max()) * self.xmax / (1.0 + ypeak)
        return KKTResiduals(primal=primal, stationarity=stat / self.scale, dual=dual / self.scale,
                            complementarity=comp / (self.scale * wmax) if wmax > 0.0 else 0.0,
                            rounding=rounding)

    def _least_squares(self, idx, G):
        """Per unit u: μ minimising ‖G_u − Σ_j μ_j x̄_{idx_uj}/‖x̄_{idx_uj}‖‖ and the norm of that
        residual, by the normal equations (batched); a padding slot idx_uj ≥ N is a zero row with
        diagonal 1, so μ_j = 0 there. The multipliers of the signed normals are λ_j = s_{u,idx_uj} μ_j.
        A singular system (a dependent set) gives infinite residuals: NNLS then decides."""
        n = self.n
        E = self._Xu_ext[idx]                                         # (m, n, 2n)
        M = E[:, :, :n]                                               # the normals, 0 at the slots
        try:
            mu = np.linalg.solve(E @ E.transpose(0, 2, 1), M @ G[:, :, None])
        except np.linalg.LinAlgError:
            return np.zeros(idx.shape), np.full(idx.shape[0], np.inf)
        r = np.einsum("kia,ki->ka", M, mu[:, :, 0]) - G
        return mu[:, :, 0], np.sqrt(np.einsum("ka,ka->k", r, r))
