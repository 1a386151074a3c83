"""Active-set Newton method for the smooth region programs (paper eq. 3 with the MSE or logistic loss).

The program, for a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and output weights v, is

    minimise   F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c
    subject to w_u ∈ C_u = {w : s_ui (w·x̄_i) ≥ 0 for all i}       (one polyhedral cone per unit).

Its structure, which this solver exploits:

* the feasible set is a product of cones in R^n (n = d+1), one per unit, and every constraint of
  unit u involves only w_u, so evaluating all mN constraints is one (m×n)(n×N) product;
* F depends on (W, c) only through ŷ ∈ R^N, so its Hessian is singular whenever m n + 1 > N or a
  unit has fewer than n active examples. The solver never factorises that Hessian: on a face of
  the feasible set (some constraints held with equality, w_u = Z_u ξ_u with Z_u an orthonormal
  basis of the directions that keep them), a Newton step is the *minimum-norm least-squares*
  solution in the reduced variables ξ, which is exact for the MSE (one step solves the face) and
  a Gauss–Newton/Newton step for the logistic loss (whose Hessian is ℓ''-weighted Gram);
* at optimal points most units sit on low-dimensional faces (an extreme ray, or w_u = 0 with all
  N constraints tight), so the reduced problems are small.

Algorithm (a primal active-set method with projection pricing):

1. *Face phase.* Hold the working set fixed, take reduced Newton steps with an exact line search
   and a ratio test; a blocking constraint joins the working set.
2. *Pricing.* At the face optimum, for each unit project the negative gradient onto the tangent
   cone of C_u at w_u (a tiny QP: n variables, the tight constraints; solved with DAQP). If every
   projection vanishes, the KKT conditions hold: the projection's multipliers λ ≥ 0 express each
   unit's gradient as Σ λ_i s_ui x̄_i over tight constraints (the certificate). Otherwise the
   projected direction is a feasible descent direction; step along it (line search, ratio test),
   reset the working set to the constraints tight at the new point and go to 1. Projection pricing
   resolves the degenerate vertex w_u = 0, where all N constraints of the unit are tight.

Each step decreases F, so faces do not repeat; an iteration cap guards against stalling and
raises :class:`NotConverged`, which the fast backend turns into a fallback to the reference solver.
All of this is floating point; tolerances are relative and documented on the class.
"""
from __future__ import annotations

import daqp
import numpy as np
from scipy.linalg import lapack

from ..losses import loss_derivatives, mean_loss
from . import RegionData

__all__ = ["ConeActiveSet", "NotConverged"]

_GELSY, _GELSY_LWORK = lapack.get_lapack_funcs(("gelsy", "gelsy_lwork"), (np.zeros(1),))


class NotConverged(RuntimeError):
    """The active-set method hit its iteration cap or a sub-solver failed (internal)."""


class ConeActiveSet:
    """Active-set Newton solver for one dataset, output weights and smooth loss.

    Parameters
    ----------
    data : RegionData
        Generators, labels, output weights, loss (``"mse"`` or ``"logistic"``), ``fit_bias``.
    max_iter : int, optional
        Cap on face steps plus pricing rounds per solve (default 200 + 20 m n).

    Notes
    -----
    Tolerances (all floating point, relative):

    * a constraint (u, i) is *tight* when s_ui (w_u·x̄_i) ≤ ``ACTIVE_RTOL`` ‖x̄_i‖ ‖w_u‖;
    * the projected gradient vanishes when its norm is ≤ ``PG_RTOL`` times the gradient scale
      max|v| · mean‖x̄_i‖ · (2 rms(y) for MSE, 1 for logistic);
    * a face is solved when the Newton decrement is ≤ ``DEC_RTOL`` (1 + F);
    * logistic only: Newton weights ℓ'' are floored at ``CURVATURE_FLOOR`` max ℓ'' (saturated
      examples, |ŷ| ≳ 32, whose gradient is below 1e-14), and no step changes a prediction by more
      than ``MAX_LOGIT_STEP``. When the region admits a recession direction along which the loss
      tends to its infimum, the method therefore stops at a point within the tolerance of the
      infimum (predictions of tens, losses of those examples below e^-50) instead of diverging.

    Pricing first tries a cheap certificate for all units at once: with the constraints tight at
    w_u (for w_u = 0, the support of the last certificate of the same barcode, cached), it solves
    g_u = Σ λ_i a_i in least squares (batched normal equations); residual ≈ 0 and λ ≥ 0 certify the
    unit. Only uncertified units pay for a DAQP projection.
    """

    ACTIVE_RTOL = 1e-9
    RATE_RTOL = 1e-12
    PG_RTOL = 1e-10
    DEC_RTOL = 1e-15
    RANK_RTOL = 1e-9
    LSTSQ_COND = 1e-12
    CURVATURE_FLOOR = 1e-14
    MAX_LOGIT_STEP = 50.0
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self._lwork = {}
        self.data = data
        self.X = np.ascontiguousarray(data.Xbar, dtype=float)
        self.y = data.y
        self.v = data.v
        self.loss = data.loss
        self.fit_bias = data.fit_bias
        m, n = data.m, data.n
        self.xnorm = np.linalg.norm(self.X, axis=1)
        # a zero generator (x_i = 0 in bias-free data) gives the vacuous constraint 0 ≥ 0
        self.nonzero = self.xnorm > 0.0
        self.Xunit = self.X / np.where(self.nonzero, self.xnorm, 1.0)[:, None]
        self.ones = np.ones((self.X.shape[0], 1))
        label_scale = 2.0 * float(np.sqrt(np.mean(self.y ** 2))) if self.loss == "mse" else 1.0
        self.gscale = max(float(np.max(np.abs(self.v))) * float(np.mean(self.xnorm)) * label_scale, 1e-300)
        self.max_iter = max_iter if max_iter is not None else 200 + 20 * m * n
        self._eye = np.eye(n)
        self._support = {}                       # (unit, barcode bytes) -> certificate support
        self._null_cache = {}                    # tight example indices -> orthonormal null basis

    # ------------------------------------------------------------------ public
    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None, c0: float | None = None):
        """Minimise F over the activation region of ``pattern``.

        Parameters
        ----------
        pattern : ndarray of bool, shape (m, N)
        W0, c0 : optional warm start (e.g. the neighbouring pattern's optimum). Units of W0 that are
            infeasible for ``pattern`` are projected onto their cone first.

        Returns
        -------
        W : ndarray (m, n), c : float, n_iter : int
        """
        st = _State(self, pattern, W0, c0)
        n_iter = 0
        while True:
            n_iter += self._face_phase(st, self.max_iter - n_iter)
            n_iter += 1
            if n_iter > self.max_iter:
                raise NotConverged(f"active-set method did not converge in {self.max_iter} iterations")
            if not self._price(st):
                break
        W = st.W.copy()
        W[st.frozen] = 0.0
        return W, (float(st.c) if self.fit_bias else 0.0), n_iter

    # ------------------------------------------------------------------ phases
    def _face_phase(self, st: "_State", budget: int) -> int:
        """Reduced Newton steps on the current face until it is solved; returns the step count."""
        steps = 0
        N = self.y.size
        while steps < max(budget, 1):
            steps += 1
            B, owners = st.face_matrix()
            if B is None:
                return steps
            g1, h1 = loss_derivatives(self.loss, st.yhat, self.y)
            if self.loss == "mse":
                delta = self._lstsq(B, self.y - st.yhat)
            else:
                sq = np.sqrt(np.maximum(h1, self.CURVATURE_FLOOR * float(h1.max())))
                delta = self._lstsq(B * sq[:, None], -g1 / sq)
            jd = B @ delta                                        # change of ŷ per unit step
            dec = -float(g1 @ jd) / N                             # Newton decrement
            f = mean_loss(self.loss, st.yhat, self.y)
            if not dec > self.DEC_RTOL * (1.0 + abs(f)):
                return steps
            D = st.expand(delta, owners)
            alpha_max, block = st.ratio_test(D[0], exclude=None)
            alpha = self._line_search(st.yhat, jd, alpha_max, newton=True)
            st.step(alpha, D)
            if not mean_loss(self.loss, st.yhat, self.y) < f - 1e-16 * (1.0 + abs(f)):
                return steps                                      # no numerical progress left
            if block is not None and alpha >= alpha_max:
                st.add_to_working_set(*block)
            elif self.loss == "mse":
                return steps                                      # the face's exact minimiser
        return steps

    def _lstsq(self, B: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Minimum-norm least-squares solution of B δ ≈ r (LAPACK gelsy: QR with column pivoting,
        rank decided at relative condition ``LSTSQ_COND``)."""
        M, K = B.shape
        lwork = self._lwork.get((M, K))
        if lwork is None:
            lwork = self._lwork[(M, K)] = int(_GELSY_LWORK(M, K, 1, self.LSTSQ_COND)[0])
        rhs = np.zeros((max(M, K), 1))
        rhs[:M, 0] = r
        _, x, _, _, info = _GELSY(B, rhs, np.zeros(K, dtype=np.int32), self.LSTSQ_COND, lwork)
        if info != 0:
            raise NotConverged(f"LAPACK gelsy failed (info {info})")
        return x[:K, 0]

    def _price(self, st: "_State") -> bool:
        """Pricing; returns False when the KKT conditions are certified, else steps and returns True."""
        N, n = self.y.size, self.X.shape[1]
        g1, _ = loss_derivatives(self.loss, st.yhat, self.y)
        g1 = g1 / N
        G = (st.Mw * g1) @ self.X                                 # ∂F/∂w_u, (m, n)
        dc = -float(g1.sum()) if self.fit_bias else 0.0
        tol = self.PG_RTOL * self.gscale
        tight = st.tight_mask()
        units = np.flatnonzero(st.live & np.any(G != 0.0, axis=1))
        certified = self._certify(st, units, G, tight, tol)
        dW = np.zeros_like(G)
        for u in units:
            if u in certified:
                continue
            idx = np.flatnonzero(tight[u] & self.nonzero)              # zero generators: vacuous
            d, active = self._project_tangent(G[u], st.unit_normals(u, idx))
            if float(np.linalg.norm(d)) > tol:
                dW[u] = d
            elif st.frozen[u]:
                self._remember(u, st.pattern[u], idx[active])
        pg = float(np.sqrt(np.sum(dW * dW) + dc * dc))
        if pg <= tol:
            return False
        jd = (st.Mw * (dW @ self.X.T)).sum(axis=0) + dc
        alpha_max, _ = st.ratio_test(dW, exclude=tight)
        alpha = self._line_search(st.yhat, jd, alpha_max, newton=False)
        if not alpha > 0.0:
            raise NotConverged("pricing found a descent direction but no positive step along it")
        st.step(alpha, (dW, dc))
        st.reset_working_set()
        return True

    def _certify(self, st: "_State", units: np.ndarray, G: np.ndarray, tight: np.ndarray, tol: float):
        """Units whose gradient is certified to lie in the cone of a candidate support (≤ n tight
        unit normals; for w_u = 0 the cached support of the unit's barcode): the set of those units.

        Solves g_u = Σ λ_i a_i in least squares for all candidate units at once (normal equations,
        padded with the identity) and accepts residual ≤ tol with λ ≥ −tol."""
        n = self.X.shape[1]
        count = tight.sum(axis=1)
        cand = units[~st.frozen[units] & (count[units] <= n)]
        order = np.argsort(~tight[cand], axis=1, kind="stable")[:, :n]      # tight indices first
        valid = np.arange(n)[None, :] < count[cand][:, None]
        rows, owners, masks = [order], [cand], [valid]
        for u in units[st.frozen[units]]:
            sup = self._support.get((int(u), st.pattern[u].tobytes()))
            if sup is not None and sup.size <= n:
                idx = np.zeros(n, dtype=int)
                idx[:sup.size] = sup
                rows.append(idx[None, :])
                owners.append(np.array([u]))
                masks.append((np.arange(n) < sup.size)[None, :])
        owner = np.concatenate(owners)
        if owner.size == 0:
            return set()
        idx, mask = np.vstack(rows), np.vstack(masks)
        M = st.normals[owner[:, None], idx] * mask[:, :, None]             # (L, n supports, n)
        g = G[owner]
        MMt = np.einsum("kia,kja->kij", M, M) + (~mask)[:, :, None] * np.eye(n)[None]
        rhs = np.einsum("kia,ka->ki", M, g)
        try:
            lam = np.linalg.solve(MMt, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            return set()
        res = np.einsum("kia,ki->ka", M, lam) - g
        ok = (np.einsum("ka,ka->k", res, res) <= tol * tol) & (np.min(np.where(mask, lam, 0.0), axis=1) >= -tol)
        return set(owner[ok].tolist())

    def _remember(self, u: int, barcode: np.ndarray, support: np.ndarray):
        if len(self._support) >= self.CACHE_SIZE:
            self._support.clear()
        self._support[(int(u), barcode.tobytes())] = support

    def _project_tangent(self, g: np.ndarray, normals: np.ndarray):
        """Projection of −g onto the cone {d : normals·d ≥ 0} (an n-variable QP, DAQP).

        Returns the projection and a boolean mask of the constraints active in it."""
        ng = float(np.linalg.norm(g))
        if normals.shape[0] == 0:
            return -g, np.zeros(0, dtype=bool)
        x, _, flag, info = daqp.solve(self._eye, g / ng, -normals, np.zeros(normals.shape[0]),
                                            None, None, primal_tol=1e-13)
        if flag not in (1, 2):
            raise NotConverged(f"DAQP failed projecting onto a tangent cone (exit flag {flag})")
        return ng * np.asarray(x, dtype=float), np.asarray(info["lam"]) != 0.0

    def _line_search(self, yhat, jd, alpha_max: float, newton: bool) -> float:
        """Exact minimiser of φ(α) = F(ŷ + α jd) on [0, alpha_max] (safeguarded 1-D Newton)."""
        y, loss = self.y, self.loss
        if loss == "mse":
            a = -float((yhat - y) @ jd) / float(jd @ jd)
            return min(max(a, 0.0), alpha_max)
        # Recession directions (the infimum of the logistic loss is then not attained) would send
        # the step to infinity: cap the change of any prediction at MAX_LOGIT_STEP per step.
        alpha_max = min(alpha_max, self.MAX_LOGIT_STEP / max(float(np.max(np.abs(jd))), 1e-300))
        lo, hi = 0.0, alpha_max
        if newton:
            a = min(1.0, alpha_max)
        else:
            g1, h1 = loss_derivatives(loss, yhat, y)
            a = min(-float(g1 @ jd) / max(float(h1 @ (jd * jd)), 1e-300), alpha_max)
        for _ in range(60):
            g1, h1 = loss_derivatives(loss, yhat + a * jd, y)
            d1 = float(g1 @ jd)
            d2 = float(h1 @ (jd * jd))
            if d1 < 0.0:
                lo = a
                if a >= alpha_max:
                    return alpha_max
            else:
                hi = a
            step = -d1 / d2 if d2 > 0.0 else np.inf
            if abs(step) <= 1e-15 * max(a, 1e-300):
                return a
            new = a + step
            if not lo < new < hi:
                new = 0.5 * (lo + hi) if np.isfinite(hi) else 2.0 * max(a, 1.0)
            if new == a:
                return a
            a = new
        return a


class _State:
    """Iterate of :class:`ConeActiveSet`: W, c, predictions, working set and face bases.

    The working set of unit u is represented by Z_u, an orthonormal basis of the directions that
    keep its working constraints tight; a unit is *frozen* (w_u = 0 exactly) when Z_u is empty.
    """

    def __init__(self, solver: "ConeActiveSet", pattern: np.ndarray, W0, c0):
        self.s = solver
        X, v = solver.X, solver.v
        m, n = v.size, X.shape[1]
        self.pattern = pattern
        self.S = np.where(pattern, 1.0, -1.0)                      # s_ui
        self.Mw = pattern * v[:, None]                             # v_u A_ui
        self.live = np.any(self.Mw != 0.0, axis=1)                 # units that affect ŷ
        self.normals = self.S[:, :, None] * solver.Xunit[None, :, :]
        W = np.zeros((m, n)) if W0 is None else np.array(W0, dtype=float)
        W[~self.live] = 0.0
        if W0 is not None:
            wn = np.sqrt(np.einsum("uj,uj->u", W, W))
            slack = self.S * (W @ X.T)
            bad = self.live & np.any(slack < -solver.ACTIVE_RTOL * wn[:, None] * solver.xnorm[None, :], axis=1)
            for u in np.flatnonzero(bad):
                W[u] = self._project_cone(W[u], self.unit_normals(u, solver.nonzero))
        self.W = W
        if c0 is not None and solver.fit_bias:
            self.c = float(c0)
        elif solver.fit_bias:
            ybar = float(np.mean(solver.y))
            self.c = ybar if solver.loss == "mse" else float(np.log(max(ybar, 1e-12) / max(1 - ybar, 1e-12)))
        else:
            self.c = 0.0
        self.Z = [None] * m
        self._blocks = [None] * m
        self._refresh()
        self.reset_working_set()

    def unit_normals(self, u: int, idx) -> np.ndarray:
        """Unit-length constraint normals s_ui x̄_i / ‖x̄_i‖ of unit u for examples ``idx``."""
        return self.normals[u, idx]

    def _project_cone(self, w, normals):
        x, _, flag, _ = daqp.solve(self.s._eye, -w, -normals, np.zeros(normals.shape[0]),
                                           None, None, primal_tol=1e-13)
        if flag not in (1, 2):
            raise NotConverged(f"DAQP failed projecting a warm start onto its cone (exit flag {flag})")
        return np.asarray(x, dtype=float)

    # --------------------------------------------------------------- working set
    def tight_mask(self) -> np.ndarray:
        wn = np.sqrt(np.einsum("uj,uj->u", self.W, self.W))
        return self.S * self.pre <= self.s.ACTIVE_RTOL * wn[:, None] * self.s.xnorm[None, :]

    def reset_working_set(self):
        """Working set := constraints tight at the current point; recompute all face bases."""
        n = self.W.shape[1]
        wn = np.sqrt(np.einsum("uj,uj->u", self.W, self.W))
        frozen = ~self.live | (wn == 0.0)
        tight = self.tight_mask()
        counts = tight.sum(axis=1)
        self.Z = [np.zeros((n, 0)) if frozen[u] else None for u in range(self.W.shape[0])]
        cache, keys = self.s._null_cache, {}
        for u in np.flatnonzero(~frozen):
            keys[u] = np.flatnonzero(tight[u]).tobytes()
            self.Z[u] = cache.get(keys[u])
        batch = [u for u in np.flatnonzero(~frozen) if counts[u] < n and self.Z[u] is None]
        if batch:
            P = np.zeros((len(batch), n, n))
            for j, u in enumerate(batch):
                P[j, :counts[u]] = self.s.Xunit[tight[u]]
            sv, Vt = np.linalg.svd(P)[1:]
            for j, u in enumerate(batch):
                rank = int(np.sum(sv[j] > self.s.RANK_RTOL)) if counts[u] else 0
                self.Z[u] = Vt[j, rank:].T.copy()
                if len(cache) >= self.s.CACHE_SIZE:
                    cache.clear()
                cache[keys[u]] = self.Z[u]
        for u in np.flatnonzero(~frozen):
            if self.Z[u] is None:                                  # ≥ n tight rows at w_u ≠ 0 (degenerate data)
                sv, Vt = np.linalg.svd(self.s.Xunit[tight[u]], full_matrices=False)[1:]
                self.Z[u] = Vt[int(np.sum(sv > self.s.RANK_RTOL * sv[0])):].T.copy()
        self._blocks = [None] * self.W.shape[0]
        self._sync_frozen()

    def add_to_working_set(self, u: int, i: int):
        """Restrict unit u's face by the hyperplane x̄_i·w = 0."""
        Z = self.Z[u]
        b = Z.T @ self.s.Xunit[i]
        if float(np.linalg.norm(b)) <= self.s.RANK_RTOL:
            return                                                 # already implied by the face
        if Z.shape[1] == 1:
            self.Z[u] = Z[:, :0]
        else:
            # Householder reflector H with H b ∝ e_1: its columns 2..k span b^⊥ orthonormally
            h = b.copy()
            h[0] += np.copysign(float(np.linalg.norm(b)), b[0])
            self.Z[u] = Z[:, 1:] - np.outer(Z @ h, h[1:]) * (2.0 / float(h @ h))
        self._blocks[u] = None
        self._sync_frozen()

    def _sync_frozen(self):
        self.frozen = np.array([z.shape[1] == 0 for z in self.Z])
        moved = self.frozen & np.any(self.W != 0.0, axis=1)
        if np.any(moved):
            self.W[moved] = 0.0
            self._refresh()

    def _refresh(self):
        self.pre = self.W @ self.s.X.T
        self.yhat = (self.Mw * self.pre).sum(axis=0) + self.c

    # --------------------------------------------------------------- face algebra
    def face_matrix(self):
        """Jacobian ∂ŷ/∂ξ of the reduced variables of the current face, and the column owners."""
        cols, owners = [], []
        for u in np.flatnonzero(self.live & ~self.frozen):
            if self._blocks[u] is None:
                self._blocks[u] = self.Mw[u][:, None] * (self.s.X @ self.Z[u])
            cols.append(self._blocks[u])
            owners.append(u)
        if self.s.fit_bias:
            cols.append(self.s.ones)
            owners.append(-1)
        if not cols:
            return None, owners
        return (np.hstack(cols) if len(cols) > 1 else cols[0]), owners

    def expand(self, delta: np.ndarray, owners):
        """Map reduced coordinates back to (ΔW, Δc)."""
        dW = np.zeros_like(self.W)
        dc, k = 0.0, 0
        for u in owners:
            if u < 0:
                dc = float(delta[k])
                k += 1
            else:
                z = self.Z[u]
                dW[u] = z @ delta[k:k + z.shape[1]]
                k += z.shape[1]
        return dW, dc

    def ratio_test(self, dW: np.ndarray, exclude: np.ndarray | None):
        """Largest α with s_ui x̄_i·(w_u + α Δw_u) ≥ 0 for the constraints not in ``exclude``.

        ``exclude=None`` excludes each unit's working set (constraints with zero rate along a
        direction inside the face, up to rounding)."""
        rate = self.S * (dW @ self.s.X.T)
        slack = self.S * self.pre
        moving = np.any(dW != 0.0, axis=1)
        if exclude is None:
            # inside a face the working constraints have rate ~ 0: ignore rates at rounding level
            dn = np.sqrt(np.einsum("uj,uj->u", dW, dW))
            cand = rate < -self.s.RATE_RTOL * dn[:, None] * self.s.xnorm[None, :]
        else:
            cand = (~exclude) & (rate < 0.0)
        cand &= moving[:, None]
        if not np.any(cand):
            return np.inf, None
        ratios = np.full(rate.shape, np.inf)
        with np.errstate(over="ignore"):
            ratios[cand] = np.maximum(slack[cand], 0.0) / -rate[cand]
        k = int(np.argmin(ratios))
        u, i = divmod(k, rate.shape[1])
        return float(ratios[u, i]), (u, i)

    def step(self, alpha: float, D):
        dW, dc = D
        self.W += alpha * dW
        self.c += alpha * dc
        self._refresh()
