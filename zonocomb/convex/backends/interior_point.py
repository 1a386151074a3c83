"""Primal–dual interior-point method for the MSE region program (paper eq. 3), used for cold starts.

With c eliminated (for ``fit_bias=True`` the optimal c is the mean residual, so F is the MSE of the
centred problem) the program is the convex QP in θ = (w_u)_{u live} ∈ R^p,

    minimise ½ θᵀHθ + fᵀθ,  H = (2/N) Φ̃ᵀΦ̃,  f = −(2/N) Φ̃ᵀỹ,   subject to  Cθ = s ≥ 0,

where Φ̃ is the (centred) Jacobian of ŷ, ỹ the (centred) labels and C stacks the unit-length
normals s_ui x̄_i/‖x̄_i‖ block-diagonally (units whose output weight or pattern row vanishes do
not affect ŷ and are fixed at w_u = 0). Mehrotra's predictor–corrector method solves it; each
iteration factors the normal matrix H + Cᵀ diag(z/s) C, whose off-diagonal part H is fixed per
pattern and whose diagonal blocks X̂ᵀ diag(z_u/s_u) X̂ are one matrix product for all units.

The iteration count hardly depends on the problem (10–15, mean 12.5, on the benchmark's random
patterns, m = 16, N = 72; Mehrotra's least-squares starting point did not lower it), which makes
this the faster cold start: the active-set method from w = 0 needs ≈ 35 face and pricing steps
(≈ 9 ms there, against ≈ 2 ms for this method plus ≈ 1 ms of active-set polishing). Its output is interior, so :meth:`MSEInteriorPoint.solve` snaps it to faces: units of
negligible norm are set to 0, and every other unit is projected orthogonally onto the face of
the constraints that are nearly tight. The snapped point is a warm start for
:class:`~zonocomb.convex.backends.block_active_set.BlockActiveSet`, which finishes exactly (face
least squares and pricing) and supplies the optimality certificate; the interior-point output is
never returned on its own.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from . import RegionData
from .block_active_set import BlockActiveSet, NotConverged

__all__ = ["MSEInteriorPoint"]

_POTRF, _POTRS = lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


class MSEInteriorPoint:
    """Mehrotra predictor–corrector method for the MSE region QP of one dataset and v.

    Parameters
    ----------
    data : RegionData
        With ``loss == "mse"``.
    faces : BlockActiveSet
        Supplies the face bases (and their cache) used when snapping.

    Notes
    -----
    Stops when the mean complementarity sᵀz/(number of constraints) and the primal and dual
    residuals are below ``TOL`` (relative to the gradient scale for the dual residual), after
    ``MAX_ITER`` iterations, or when the normal matrix stops being numerically positive definite
    once the complementarity is below ``LOOSE_TOL`` (otherwise :class:`NotConverged`). Snapping: a unit with ‖w_u‖ ≤ ``ZERO_RTOL`` max_u' ‖w_u'‖ is set to
    0; a constraint with slack ≤ ``SNAP_RTOL`` ‖w_u‖ joins the unit's face.
    """

    TOL = 1e-8
    LOOSE_TOL = 1e-6
    MAX_ITER = 40
    STEP = 0.99
    ZERO_RTOL = 1e-3
    SNAP_RTOL = 1e-3

    def __init__(self, data: RegionData, faces: BlockActiveSet):
        if data.loss != "mse":
            raise ValueError("the interior-point cold start is for the MSE loss")
        self.data = data
        self.faces = faces
        X = faces.X
        self.N, self.n = X.shape
        nz = faces.nz_idx
        self.Xu = np.ascontiguousarray(faces.Xu[nz])             # (N', n) unit normals, nonzero rows
        self.XuT = np.ascontiguousarray(self.Xu.T)
        self.nz = nz
        n = self.n
        self.Q = (self.Xu[:, :, None] * self.Xu[:, None, :]).reshape(nz.size, n * n)
        self.y = data.y - data.y.mean() if data.fit_bias else data.y

    def solve(self, pattern: np.ndarray):
        """Approximate minimiser snapped to faces: (W, c), a warm start for the active-set method."""
        d = self.data
        X, n, N = self.faces.X, self.n, self.N
        Mw = pattern * d.v[:, None]
        live = np.flatnonzero(np.any(Mw != 0.0, axis=1))
        m, p = live.size, live.size * n
        W = np.zeros((d.m, n))
        if m == 0:
            return W, (float(d.y.mean()) if d.fit_bias else 0.0)
        S = np.where(pattern[live][:, self.nz], 1.0, -1.0)       # (m, N') signs
        Phi = (Mw[live].T[:, :, None] * X[:, None, :]).reshape(N, p)
        if d.fit_bias:
            Phi -= Phi.mean(axis=0)
        H = (2.0 / N) * (Phi.T @ Phi)
        f = -(2.0 / N) * (Phi.T @ self.y)
        diag = (np.arange(m)[:, None, None] * n + np.arange(n)[None, :, None]) * p \
            + np.arange(m)[:, None, None] * n + np.arange(n)[None, None, :]
        diag = diag.ravel()
        theta = np.zeros(p)
        s = np.ones(S.shape)
        z = np.ones(S.shape)
        mc = s.size
        scale = self.faces.gscale
        for _ in range(self.MAX_ITER):
            Wl = theta.reshape(m, n)
            rp = S * (Wl @ self.XuT) - s                          # primal residual Cθ − s
            rd = H @ theta + f - ((S * z) @ self.Xu).ravel()      # dual residual Hθ + f − Cᵀz
            mu = float(np.vdot(s, z)) / mc
            if mu <= self.TOL * scale and float(np.abs(rp).max()) <= self.TOL \
                    and float(np.abs(rd).max()) <= self.TOL * scale:
                break
            D = z / s
            M = H.copy()
            M.ravel()[diag] += (D @ self.Q).ravel()
            L, info = _POTRF(M, lower=0, clean=0)
            if info != 0:                                         # ill-conditioned near the end
                if mu <= self.LOOSE_TOL * scale:
                    break
                raise NotConverged(f"interior-point normal matrix is not positive definite (info {info})")

            def direction(rc):
                # Newton system: H Δθ − CᵀΔz = −rd, CΔθ − Δs = −rp, z Δs + s Δz = rc
                rhs = -rd + ((S * (rc / s - D * rp)) @ self.Xu).ravel()
                dth = _POTRS(L, rhs, lower=0)[0]
                ds = S * (dth.reshape(m, n) @ self.XuT) + rp
                return dth, ds, (rc - z * ds) / s

            sz = s * z
            dth, ds, dz = direction(-sz)                          # affine-scaling predictor
            ap, ad = _max_step(s, ds), _max_step(z, dz)
            mu_aff = float(np.vdot(s + ap * ds, z + ad * dz)) / mc
            sigma = (mu_aff / mu) ** 3
            dth, ds, dz = direction(sigma * mu - sz - ds * dz)    # centring corrector
            a = self.STEP * min(_max_step(s, ds), _max_step(z, dz))
            theta += a * dth
            s += a * ds
            z += a * dz
        if not np.all(np.isfinite(theta)):
            raise NotConverged("interior-point iterates are not finite")
        W[live] = self._snap(theta.reshape(m, n), S)
        c = 0.0
        if d.fit_bias:
            c = float(np.mean(d.y - (Mw * (W @ X.T)).sum(axis=0)))
        return W, c

    def _snap(self, W: np.ndarray, S: np.ndarray) -> np.ndarray:
        """Set negligible units to 0 and project the others onto the face of their nearly tight
        constraints (orthogonal projection onto the null space of those constraints' normals)."""
        wn = np.sqrt(np.einsum("uj,uj->u", W, W))
        W = W.copy()
        W[wn <= self.ZERO_RTOL * float(wn.max())] = 0.0
        near = S * (W @ self.XuT) <= self.SNAP_RTOL * wn[:, None]
        mask = np.zeros(self.N, dtype=bool)
        for u in np.flatnonzero(np.any(W != 0.0, axis=1)):
            mask[:] = False
            mask[self.nz[near[u]]] = True
            Z = self.faces._face(mask)[0]
            W[u] = Z @ (Z.T @ W[u])
        return W


def _max_step(x: np.ndarray, dx: np.ndarray) -> float:
    """Largest a ≤ 1 with x + a dx ≥ 0 (x > 0)."""
    r = float((dx / x).min())
    return 1.0 if r >= -1.0 else -1.0 / r
