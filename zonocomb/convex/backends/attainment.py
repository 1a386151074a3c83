"""A floating-point certificate that a logistic region's infimum is attained.

For a pattern with signs s_ui, write the logistic region program (paper eq. 3, appendix H.2.2) as
min F(θ) over the cone K = {θ : Gθ ≥ 0} (the rows g_ui of G are the sign constraints
s_ui x̄_i·w_u ≥ 0), and let A be the matrix whose row i is σ_i ∂ŷ_i/∂θ (σ_i = 2y_i − 1), so that
σ_i ŷ_i(θ) = (Aθ)_i. The infimum is not attained exactly when there is a recession direction
(:mod:`zonocomb.convex.backends.recession`): θ* with Gθ* ≥ 0, Aθ* ≥ 0 and Aθ* ≠ 0. By Tucker's
theorem of the alternative, exactly one of the two holds:

* a recession direction θ* exists (the infimum is not attained);
* there are λ > 0 (every entry) and μ ≥ 0 with Aᵀλ + Gᵀμ = 0 (it is attained).

At a minimiser the KKT conditions give such a pair: λ_i = w_i/N with the gradient weights
w_i = 1/(1 + e^{σ_i ŷ_i}), and μ the multipliers of the tight constraints. The weights of examples
with large margins vanish in floating point, and with them the evidence: the KKT residuals of a
point far along a recession direction are as small as those of a minimiser. :class:`AttainmentCheck`
therefore raises every weight to at least ``WEIGHT_FLOOR`` and asks whether the pair can still be
completed:

1. λ⁰_i = max(w_i/N, ``WEIGHT_FLOOR``); μ⁰ by non-negative least squares per unit over its tight
   constraints (slack ≤ ``SUPPORT_RTOL`` ‖w_u‖ ‖x̄_i‖, all of them for a unit at the apex),
   leaving the residual r = Aᵀλ⁰ + Gᵀμ⁰;
2. unless r is already at most the tolerance of step 3 (then z = 0), the least-norm correction
   z of λ_i = λ⁰_i (1 + z_i/2) and μ_k = μ⁰_k (1 + z_k) (over the multipliers μ⁰_k > 0) with
   Aᵀλ + Gᵀμ = 0, by one Cholesky solve of the normal equations (of size m n, plus 1 with an
   output bias);
3. the infimum is certified attained when ‖z‖_∞ ≤ 1 (then λ ≥ λ⁰/2 > 0 and μ ≥ 0) and the
   recomputed residual ‖Aᵀλ + Gᵀμ‖_∞ is at most ``RESIDUAL_RTOL`` times the gradient scale
   max|v| mean‖x̄_i‖ (that of :class:`~zonocomb.convex.kkt.KKTChecker`), and the point is no
   longer than ``max_length`` (below).

What a pass proves, in exact arithmetic: for a recession direction θ* normalised by ‖θ*‖₁ = 1
(the dual norm of the residual's ∞-norm), every pair with λ ≥ λ⁰/2 and μ ≥ 0 (on any constraints,
tight or not: every row of G is non-negative on K) has
‖Aᵀλ + Gᵀμ‖_∞ ≥ (Aᵀλ + Gᵀμ)·θ* ≥ Σ_I λ_i σ_i ŷ_i(θ*) ≥ (``WEIGHT_FLOOR``/2) Σ_I σ_i ŷ_i(θ*).
So a pass rules out every recession direction whose margins sum to γ = 2 ``RESIDUAL_RTOL`` /
``WEIGHT_FLOOR`` (2e-4) times the gradient scale or more; regions whose every recession
direction is shallower (nearly degenerate data, e.g. two examples of opposite labels 1e-4 apart)
pass. The kernel reaches a KKT-certified point in such a region only far out along θ*: its
separated examples need margins of about log(1/(N κ)) (κ the KKT tolerance: there their gradient
weights fall below what the KKT certificate resolves), so the point θ_I + τθ* needs τ, and
roughly its length ‖θ‖₁, of at least that over γ times the gradient scale. A point at least that
long (``max_length``) is therefore not certified either (a heuristic bound, not a proof: the
recession LP decides such points).

It is a float check (its rounding errors are about N ε times the gradient scale), sufficient, not
necessary: a region it does not certify may still be attained, and the fast backend then asks the
recession LP. The exact decision, to cross-check against:
:func:`zonocomb.certify.certify_attainment`.

Cost: NNLS on each unit's tight constraints (all N for a unit at the apex), and for the
correction O(N p²) to form the normal equations and O(p³) to solve them, p = m n (+1 with an
output bias); measurements in ``benchmarks/README.md``. Errors: none of its own; an NNLS that
does not converge counts as not certified.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.linalg.blas import dsyrk
from scipy.optimize import nnls

from ..kkt import NEGLIGIBLE_RTOL, SUPPORT_RTOL
from . import RegionData

__all__ = ["AttainmentCheck", "AttainmentEvidence"]


@dataclass(frozen=True)
class AttainmentEvidence:
    """The outcome of :meth:`AttainmentCheck.evidence`.

    Attributes
    ----------
    attained : bool
        Whether the infimum is certified attained (the three tests below passed).
    correction : float
        ‖z‖_∞ of the least-norm correction (at most 1 to pass).
    residual : float
        ‖Aᵀλ + Gᵀμ‖_∞ after the correction, over the gradient scale (at most ``RESIDUAL_RTOL``
        to pass).
    weights : ndarray, shape (N,)
        The example weights λ (each at least half its λ⁰ when ``correction`` ≤ 1).
    multipliers : ndarray, shape (m, N)
        The multipliers μ_ui of the normalised sign constraints s_ui x̄_i·w_u/‖x̄_i‖ ≥ 0 (0 off
        the tight constraints).
    length : float
        ‖θ‖₁ = Σ|W| + |c| of the point (at most ``max_length`` to pass).
    """

    attained: bool
    correction: float
    residual: float
    weights: np.ndarray
    multipliers: np.ndarray
    length: float


class AttainmentCheck:
    """The certificate of the module docstring for one dataset and output weights.

    Parameters
    ----------
    data : RegionData
        With ``loss == "logistic"`` (the fast backend's rescaled data).
    kkt_rtol : float, default 1e-8
        The relative KKT tolerance κ at which the answers were certified (the fast backend's
        ``KKT_RTOL``); it sets ``max_length``.

    Attributes
    ----------
    max_length : float
        log(max(e, 1/(N κ))) / (γ × gradient scale), γ = 2 ``RESIDUAL_RTOL`` / ``WEIGHT_FLOOR``:
        longer points are not certified (module docstring).
    """

    #: Least example weight λ_i of the certificate (the gradient weights w_i/N are raised to it).
    WEIGHT_FLOOR = 1e-7
    #: Largest residual accepted after the correction, relative to the gradient scale.
    RESIDUAL_RTOL = 1e-11

    def __init__(self, data: RegionData, kkt_rtol: float = 1e-8) -> None:
        self.data = data
        X = data.Xbar
        self.N, self.n = X.shape
        self.m = data.m
        norms = np.linalg.norm(X, axis=1)
        self._nonzero = norms > 0.0
        self._Xu = X / np.where(self._nonzero, norms, 1.0)[:, None]
        self._sigma = 2.0 * np.asarray(data.y, dtype=float) - 1.0
        self._v = np.asarray(data.v, dtype=float)
        self._scale = max(float(np.max(np.abs(self._v))) * float(np.mean(norms)), 1e-300)
        gamma = 2.0 * self.RESIDUAL_RTOL / self.WEIGHT_FLOOR
        inverse = 1.0 / (self.N * kkt_rtol) if kkt_rtol > 0 else np.e        # (κ ≤ 0: as 1/(N κ) ≤ e)
        self.max_length = float(np.log(max(np.e, inverse))) / (gamma * self._scale)

    def attained(self, pattern: np.ndarray, W: np.ndarray, c: float) -> bool:
        """Whether the region of ``pattern`` is certified to attain its infimum, from its
        (approximate) minimiser (W, c)."""
        return self.evidence(pattern, W, c).attained

    def evidence(self, pattern: np.ndarray, W: np.ndarray, c: float) -> AttainmentEvidence:
        """The certificate's steps 1–3 (module docstring) at (W, c), with its two measures."""
        d, N, n, m = self.data, self.N, self.n, self.m
        sigma = self._sigma
        coef = sigma * pattern * self._v[:, None]                    # A's row i, block u, is coef_ui x̄_i
        A = (coef[:, :, None] * d.Xbar[None, :, :]).transpose(1, 0, 2).reshape(N, m * n)
        if d.fit_bias:
            A = np.hstack([A, sigma[:, None]])
        margins = A @ np.append(W.ravel(), c) if d.fit_bias else A @ W.ravel()
        weights = 0.5 * (1.0 - np.tanh(0.5 * margins))              # 1/(1 + e^margin), without overflow
        lam = np.maximum(weights / N, self.WEIGHT_FLOOR)
        residual = A.T @ lam
        # step 1: μ⁰ per unit over its tight constraints (all of them at the apex); G's rows g_k
        # are kept for the multipliers μ⁰_k > 0 only (the others cannot move in step 2)
        wn = np.linalg.norm(W, axis=1)
        apex = wn <= NEGLIGIBLE_RTOL * max(float(wn.max()), 1e-300)
        tight = (np.where(pattern, 1.0, -1.0) * (W @ self._Xu.T) <= SUPPORT_RTOL * wn[:, None]) & self._nonzero
        tight[apex] = self._nonzero
        G, mu, where = [], [], []
        for u in np.flatnonzero(tight.any(axis=1)):
            T = np.flatnonzero(tight[u])
            block = slice(u * n, (u + 1) * n)
            normals = np.where(pattern[u, T], 1.0, -1.0)[:, None] * self._Xu[T]
            try:
                mu_u, _ = nnls(normals.T, -residual[block])
            except RuntimeError:                                     # (its iteration limit)
                mu_u = np.zeros(len(T))
            used = mu_u > 0.0
            rows = np.zeros((int(used.sum()), A.shape[1]))
            rows[:, block] = normals[used]
            G.append(rows)
            mu.append(mu_u[used])
            where.append(np.stack([np.full(int(used.sum()), u), T[used]]))
        G = np.vstack(G) if G else np.zeros((0, A.shape[1]))
        mu = np.concatenate(mu) if mu else np.zeros(0)
        where = np.hstack(where) if where else np.zeros((2, 0), dtype=int)
        residual += G.T @ mu
        correction = 0.0
        if float(np.max(np.abs(residual))) > self.RESIDUAL_RTOL * self._scale:
            # step 2: the least-norm z with M z = −r, M = [Aᵀ diag(λ⁰/2), Gᵀ diag(μ⁰)], as
            # z = Mᵀ y with (M Mᵀ) y = −r (Cholesky; least squares when M Mᵀ is singular)
            Mt = np.vstack([A * (0.5 * lam)[:, None], G * mu[:, None]])
            gram = dsyrk(1.0, Mt, trans=1)                           # upper triangle of M Mᵀ
            try:
                y = cho_solve(cho_factor(gram, lower=False, check_finite=False), -residual, check_finite=False)
            except LinAlgError:
                y = np.linalg.lstsq(np.triu(gram) + np.triu(gram, 1).T, -residual, rcond=None)[0]
            z = Mt @ y
            correction = float(np.max(np.abs(z), initial=0.0))
            lam, mu = lam * (1.0 + 0.5 * z[:N]), mu * (1.0 + z[N:])
            # step 3: the residual of the corrected pair, recomputed from the data
            residual = A.T @ lam + G.T @ mu
        multipliers = np.zeros((m, N))
        multipliers[where[0], where[1]] = mu
        rel = float(np.max(np.abs(residual))) / self._scale
        length = float(np.abs(W).sum()) + (abs(float(c)) if d.fit_bias else 0.0)
        return AttainmentEvidence(attained=correction <= 1.0 and rel <= self.RESIDUAL_RTOL and length <= self.max_length,
                                  correction=correction, residual=rel, weights=lam, multipliers=multipliers,
                                  length=length)
