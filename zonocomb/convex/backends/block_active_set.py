"""Block active-set method for the smooth region programs (paper eq. 3, MSE or logistic loss).

For a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and output weights v, the program is

    minimise   F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c
    subject to w_u ∈ C_u = {w : s_ui (w·x̄_i) ≥ 0 for all i}       (one polyhedral cone per unit).

The feasible set is a product of m cones in R^n, and F depends on (W, c) only through ŷ ∈ R^N, so
its Hessian is singular whenever m n + 1 > N. The method is a primal active-set method that uses
the product structure ("block" = one unit's weight vector):

* **Faces.** Each unit holds a working set of linearly independent constraints x̄_i·w_u = 0; Z_u is
  an orthonormal basis of the directions that keep them (a unit with no free direction is frozen
  at w_u = 0, where all its N constraints hold with equality). On the current face the Newton step
  is the minimum-norm least-squares solution in the reduced variables (exact for the MSE: one step
  solves the face; a Newton step on the ℓ''-weighted Gram matrix for the logistic loss).
* **Per-unit step lengths.** Along a direction D, unit u may move until its own first blocking
  constraint α_u. The step follows the piecewise-linear feasible path on which unit u stops at
  α_u and the others continue, to the first minimiser of the quadratic model of F along the path
  (computed in closed form over all breakpoints at once). Every unit that stopped adds its
  blocking constraint, so one step may add up to m constraints (a classical active-set step adds
  one).
* **Pricing** (at a face optimum). The gradient g_u of a unit on a face lies in the span of its
  working normals, g_u = Σ λ_i s_ui x̄_i/‖x̄_i‖; if every λ_i ≥ 0 the unit satisfies its KKT
  conditions. Otherwise the projection of −g_u onto the unit's tangent cone (a non-negative least
  squares problem over its tight constraints) is a feasible descent direction, and its support
  becomes the new working set. A frozen unit is certified when g_u lies in the dual cone C_u*:
  first with the support of its previous certificate (cached per unit and barcode, solved for all
  such units at once), otherwise by projecting −g_u onto C_u with DAQP; a nonzero projection
  releases the unit along it. All moves of one pricing round form one path step.

Every step decreases F; an iteration cap raises :class:`NotConverged`. The result carries, per
frozen unit, the support of its certificate, from which :mod:`zonocomb.convex.kkt` verifies the
KKT conditions independently of this solver's state. Everything is floating point with relative
tolerances documented on the class.
"""
from __future__ import annotations

from dataclasses import dataclass

import daqp
import numpy as np
from scipy.linalg import lapack
from scipy.optimize import nnls

from ..losses import loss_derivatives, mean_loss
from . import RegionData

__all__ = ["BlockActiveSet", "ActiveSetResult", "NotConverged"]

_POTRF, _POTRS, _GELSY, _GELSY_LWORK = lapack.get_lapack_funcs(
    ("potrf", "potrs", "gelsy", "gelsy_lwork"), (np.zeros(1),))


class NotConverged(RuntimeError):
    """The active-set method hit its iteration cap or a sub-solver failed (internal)."""


@dataclass(frozen=True)
class ActiveSetResult:
    """Minimiser found by :class:`BlockActiveSet`.

    ``supports[u]`` (frozen units only) holds example indices i with g_u ∈ cone{s_ui x̄_i : i in it}:
    the certificate that w_u = 0 is optimal for unit u.
    """

    W: np.ndarray
    c: float
    n_iter: int
    supports: dict


class BlockActiveSet:
    """Block active-set solver for one dataset, output weights and smooth loss (see module docstring).

    Parameters
    ----------
    data : RegionData
        Generators, labels, output weights, loss (``"mse"`` or ``"logistic"``), ``fit_bias``.
    max_iter : int, optional
        Cap on face steps plus pricing rounds per solve (default 200 + 20 m n).

    Notes
    -----
    Tolerances (floating point, relative):

    * a constraint (u, i) is *tight* when s_ui (w_u·x̄_i)/‖x̄_i‖ ≤ ``ACTIVE_RTOL`` ‖w_u‖;
    * a constraint blocks a direction Δw_u when its rate is below −``RATE_RTOL`` ‖Δw_u‖ (working
      constraints have rate 0 up to rounding);
    * KKT quantities (multipliers, projected gradients) are compared with ``PG_RTOL`` times the
      gradient scale max|v| · mean‖x̄_i‖ · (2 rms(y) for MSE, 1 for logistic); a face counts as
      solved when its stationarity residual is below ``FACE_RTOL`` times that scale;
    * a Newton step is taken while the Newton decrement exceeds ``DEC_RTOL`` (1 + F);
    * least squares on a face use Cholesky on the normal equations when the factor's diagonal
      ratio exceeds ``CHOL_RATIO`` (condition number of the face matrix ≲ 1e5), else LAPACK gelsy
      (QR with column pivoting, minimum norm, rank decided at ``LSTSQ_COND``);
    * logistic only: Newton weights ℓ'' are floored at ``CURVATURE_FLOOR`` max ℓ'' and no step
      changes a prediction by more than ``MAX_LOGIT_STEP``, so that a region with a recession
      direction (infimum not attained) ends at a point within tolerance of the infimum.
    """

    ACTIVE_RTOL = 1e-9
    RATE_RTOL = 1e-12
    PG_RTOL = 1e-10
    FACE_RTOL = 1e-8
    DEC_RTOL = 1e-15
    RANK_RTOL = 1e-9
    LSTSQ_COND = 1e-12
    CHOL_RATIO = 1e-5
    CURVATURE_FLOOR = 1e-14
    MAX_LOGIT_STEP = 50.0
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self.data = data
        self.loss = data.loss
        self.fit_bias = data.fit_bias
        self.X = np.ascontiguousarray(data.Xbar, dtype=float)
        self.XT = np.ascontiguousarray(self.X.T)
        self.y = data.y
        self.v = data.v
        N, n = self.X.shape
        self.N, self.n, self.m = N, n, self.v.size
        xnorm = np.linalg.norm(self.X, axis=1)
        # a zero generator (x_i = 0 in bias-free data) gives the vacuous constraint 0 ≥ 0
        self.nonzero = xnorm > 0.0
        self.nz_idx = np.flatnonzero(self.nonzero)
        self.Xu = self.X / np.where(self.nonzero, xnorm, 1.0)[:, None]
        self.XuT = np.ascontiguousarray(self.Xu.T)
        self.ones = np.ones((N, 1))
        label_scale = 2.0 * float(np.sqrt(np.mean(self.y ** 2))) if self.loss == "mse" else 1.0
        self.gscale = max(float(np.max(np.abs(self.v))) * float(np.mean(xnorm)) * label_scale, 1e-300)
        self.max_iter = max_iter if max_iter is not None else 200 + 20 * self.m * n
        self._eye = np.eye(n)
        self._lwork = {}
        self._support = {}                       # (unit, barcode bytes) -> certificate support
        self._faces = {}                         # tight-set mask bytes -> (Z, working set)

    # ------------------------------------------------------------------ public
    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None,
              c0: float | None = None) -> ActiveSetResult:
        """Minimise F over the activation region of ``pattern`` ((m, N) bool).

        ``W0, c0``: optional warm start (e.g. a neighbouring pattern's optimum); units of W0 that
        are infeasible for ``pattern`` are first projected onto their cones.
        """
        st = _State(self, pattern, W0, c0)
        n_iter = 0
        while True:
            n_iter += 1
            if n_iter > self.max_iter:
                raise NotConverged(f"active-set method did not converge in {self.max_iter} iterations")
            if not st.face_solved:
                self._face_step(st)
            elif not self._price(st):
                break
        frozen = st.k == 0
        W = st.W.copy()
        W[frozen] = 0.0
        supports = {int(u): st.support[u] for u in np.flatnonzero(frozen & st.live)}
        return ActiveSetResult(W=W, c=float(st.c) if self.fit_bias else 0.0, n_iter=n_iter,
                               supports=supports)

    # ------------------------------------------------------------------ derivatives
    def _derivs(self, yhat):
        """Gradient and curvature of F with respect to ŷ (the curvature is a scalar for MSE)."""
        if self.loss == "mse":
            return (2.0 / self.N) * (yhat - self.y), 2.0 / self.N
        g1, h1 = loss_derivatives(self.loss, yhat, self.y)
        return g1 / self.N, h1 / self.N

    def _lstsq(self, B: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Least-squares solution of B δ ≈ r (minimum norm when B is rank deficient)."""
        M, K = B.shape
        if K <= M:
            L, info = _POTRF(B.T @ B, lower=0, clean=0)
            if info == 0:
                d = np.diag(L)
                if d.min() > self.CHOL_RATIO * d.max():
                    return _POTRS(L, B.T @ r, lower=0)[0]
        lwork = self._lwork.get((M, K))
        if lwork is None:
            lwork = self._lwork[(M, K)] = int(_GELSY_LWORK(M, K, 1, self.LSTSQ_COND)[0])
        rhs = np.zeros((max(M, K), 1))
        rhs[:M, 0] = r
        _, x, _, _, info = _GELSY(B, rhs, np.zeros(K, dtype=np.int32), self.LSTSQ_COND, lwork)
        if info != 0:
            raise NotConverged(f"LAPACK gelsy failed (info {info})")
        return x[:K, 0]

    # ------------------------------------------------------------------ face phase
    def _face_step(self, st: "_State"):
        """One Newton step on the current face along the per-unit stopping path."""
        m, n, N = self.m, self.n, self.N
        cols = np.arange(n)[None, :] < st.k[:, None]             # reduced coordinates in use
        B = st.Bf.reshape(N, m * n)[:, cols.ravel()]
        if self.fit_bias:
            B = np.concatenate((B, self.ones), axis=1)
        if B.shape[1] == 0:
            st.face_solved = True
            return
        g, h = self._derivs(st.yhat)
        if self.loss == "mse":
            r = self.y - st.yhat
            f0 = float(r @ r) / N
            delta = self._lstsq(B, r)
        else:
            f0 = st.fval()
            sq = np.sqrt(np.maximum(h, self.CURVATURE_FLOOR * float(h.max())))
            delta = self._lstsq(B * sq[:, None], -g / sq)
        xi = np.zeros((m, n))
        xi[cols] = delta[:delta.size - self.fit_bias]
        dW = np.einsum("uij,uj->ui", st.Zp, xi)
        dc = float(delta[-1]) if self.fit_bias else 0.0
        jdu = st.Mw * (dW @ self.XT)                              # change of ŷ per unit, unit step
        jd = jdu.sum(axis=0) + dc
        if not -float(g @ jd) > self.DEC_RTOL * (1.0 + abs(f0)):   # Newton decrement
            st.face_solved = True
            return
        alpha, blk = st.ratio_test(dW)
        t = self._path_search(g, h, jdu, jd, alpha)
        if self.loss != "mse":
            t = self._backtrack(st, f0, jdu, dc, alpha, t)
            if t is None:
                st.face_solved = True                             # no numerical progress left
                return
        st.take_path(dW, dc, alpha, t)
        stopped = np.flatnonzero(alpha <= t)
        for u in stopped:
            st.add_to_working_set(u, int(blk[u]))
        if stopped.size == 0 and self.loss == "mse":
            st.face_solved = True                                 # the face's exact minimiser

    def _path_search(self, g, h, jdu, jd, alpha) -> float:
        """First minimiser, over t ≥ 0, of the quadratic model g·Δ + ½ Δᵀ diag(h) Δ of F along the
        path Δ(t) = Σ_u min(t, α_u) jdu_u + t (jd − Σ_u jdu_u) on which unit u stops at α_u."""
        tmax = np.inf
        if self.loss != "mse":
            tmax = self.MAX_LOGIT_STEP / max(float(np.max(np.abs(jd))), 1e-300)
        den = float(jd @ (h * jd))
        t0 = -float(g @ jd) / den if den > 0.0 else np.inf
        if not np.any(alpha < t0):
            t = min(t0, tmax)                                     # no unit stops before the minimiser
        else:
            fin = np.flatnonzero(alpha < np.inf)
            order = fin[np.argsort(alpha[fin], kind="stable")]
            b = alpha[order]
            Js = jdu[order]
            Jm = np.empty((order.size + 1, jd.size))              # direction on segment j
            off = np.empty_like(Jm)                               # Δ of the units stopped before it
            Jm[0] = jd
            off[0] = 0.0
            np.subtract(jd, np.cumsum(Js, axis=0), out=Jm[1:])
            np.cumsum(b[:, None] * Js, axis=0, out=off[1:])
            hJ = Jm * h
            num = -(Jm @ g) - np.einsum("jn,jn->j", off, hJ)
            den = np.einsum("jn,jn->j", Jm, hJ)
            with np.errstate(divide="ignore", invalid="ignore"):
                tj = np.where(den > 0.0, num / den, np.where(num > 0.0, np.inf, -np.inf))
            j = int(np.argmax(tj <= np.append(b, np.inf)))        # first segment holding its minimiser
            t = min(max(float(tj[j]), b[j - 1] if j > 0 else 0.0), tmax)
        if not np.isfinite(t):
            raise NotConverged("unbounded step along a path without curvature")
        return t

    def _backtrack(self, st, f0, jdu, dc, alpha, t):
        """Halve t until the true loss decreases along the path (logistic); None if it never does."""
        for _ in range(60):
            yh = st.yhat + np.minimum(alpha, t) @ jdu + t * dc
            if mean_loss(self.loss, yh, self.y) < f0 - 1e-16 * (1.0 + abs(f0)):
                return t
            t *= 0.5
        return None

    # ------------------------------------------------------------------ pricing
    def _price(self, st: "_State") -> bool:
        """KKT check at a face optimum; returns False when certified, else moves and returns True."""
        g, h = self._derivs(st.yhat)
        G = (st.Mw * g) @ self.X                                  # ∂F/∂w_u, (m, n)
        tol = self.PG_RTOL * self.gscale
        if self.fit_bias and abs(float(g.sum())) > self.FACE_RTOL * self.gscale:
            st.face_solved = False                                # ∂F/∂c ≠ 0: not a face optimum
            return True
        free = st.live & (st.k > 0)
        frozen = np.flatnonzero(st.live & (st.k == 0) & np.any(G != 0.0, axis=1))
        idx, count = st.WS.copy(), st.nws.copy()
        cached = []
        for u in frozen:                                          # candidate certificates
            sup = self._support.get((int(u), st.pattern[u].tobytes()))
            if sup is not None:
                idx[u, :sup.size] = sup
                count[u] = sup.size
                cached.append(u)
        lam, res = st.multipliers(idx, count, G)
        if np.any(res[free] > self.FACE_RTOL * self.gscale):
            st.face_solved = False                                # not (numerically) at the face optimum
            return True
        ok = (res <= tol) & (np.min(lam, axis=1) >= -tol)
        moves = {}
        negative = np.flatnonzero(free & (np.min(lam, axis=1) < -tol))
        if negative.size:
            tight = st.tight_mask()
            for u in negative:
                T = np.flatnonzero(tight[u])
                normals = st.normals(u, T)
                mu, _ = nnls(normals.T, G[u])                     # projection onto the tangent cone
                d = normals.T @ mu - G[u]
                if float(np.sqrt(d @ d)) > tol:
                    moves[u] = d
                    st.set_working_set(u, T[mu > 0.0])
        for u in frozen:
            if u in cached and ok[u]:
                st.support[u] = idx[u, :count[u]].copy()
                continue
            d = self._project_cone(st, u, G[u], tol)
            if d is not None:
                st.release(u, d)
                moves[u] = d
        if not moves:
            return False
        dW = np.zeros_like(st.W)
        for u, d in moves.items():
            dW[u] = d
        jdu = st.Mw * (dW @ self.XT)
        jd = jdu.sum(axis=0)
        alpha, blk = st.ratio_test(dW)
        t = self._path_search(g, h, jdu, jd, alpha)
        if t > 0.0 and self.loss != "mse":
            t = self._backtrack(st, st.fval(), jdu, 0.0, alpha, t)
            if t is None:
                raise NotConverged("pricing found a descent direction but no decrease along it")
        if t > 0.0:
            st.take_path(dW, 0.0, alpha, t)
        for u in np.flatnonzero(alpha <= t):
            st.add_to_working_set(u, int(blk[u]))
        st.face_solved = False
        return True

    def _project_cone(self, st: "_State", u: int, gu: np.ndarray, tol: float):
        """Projection d of −g_u onto C_u (DAQP); None, with the certificate cached, when d ≈ 0."""
        idx = self.nz_idx
        ng = float(np.sqrt(gu @ gu))
        x, _, flag, info = daqp.solve(self._eye, gu / ng, -st.normals(u, idx), np.zeros(idx.size),
                                      None, None, primal_tol=1e-13)
        if flag not in (1, 2):
            raise NotConverged(f"DAQP failed projecting onto an activation cone (exit flag {flag})")
        d = ng * np.asarray(x, dtype=float)
        if float(np.sqrt(d @ d)) > tol:
            return d
        support = idx[np.asarray(info["lam"]) != 0.0]
        if len(self._support) >= self.CACHE_SIZE:
            self._support.clear()
        self._support[(int(u), st.pattern[u].tobytes())] = support
        st.support[u] = support
        return None

    def _face(self, mask: np.ndarray):
        """(Z, working set) of the face {w : x̄_i·w = 0 for i in mask}: an orthonormal basis of its
        directions and a linearly independent subset of the constraints (cached by mask)."""
        key = mask.tobytes()
        face = self._faces.get(key)
        if face is None:
            T = np.flatnonzero(mask)
            Q, R = np.linalg.qr(self.Xu[T].T, mode="complete") if 0 < T.size < self.n else (None, None)
            if Q is not None and np.min(np.abs(np.diag(R))) > self.RANK_RTOL:
                Z, ws = Q[:, T.size:], [int(i) for i in T]        # independent constraints
            else:
                Z, ws = self._eye, []
                for i in T:
                    Z, added = _restrict(Z, self.Xu[i], self.RANK_RTOL)
                    if added:
                        ws.append(int(i))
                        if Z.shape[1] == 0:
                            break
            if len(self._faces) >= self.CACHE_SIZE:
                self._faces.clear()
            face = self._faces[key] = (Z, ws)
        return face


def _restrict(Z: np.ndarray, a: np.ndarray, rank_tol: float):
    """Orthonormal basis of {Z ξ : a·Z ξ = 0}; returns (basis, whether a was independent of the face)."""
    b = a @ Z
    nb = float(np.sqrt(b @ b))
    if nb <= rank_tol:
        return Z, False                                           # already implied by the face
    if Z.shape[1] == 1:
        return Z[:, :0], True
    # Householder reflector H with H b ∝ e_1: its columns 2..k span b^⊥ orthonormally
    b[0] += nb if b[0] >= 0.0 else -nb
    return Z[:, 1:] - (Z @ b)[:, None] * (b[1:] * (2.0 / float(b @ b)))[None, :], True


class _State:
    """Iterate of :class:`BlockActiveSet`: W, c, predictions, slacks and the per-unit faces.

    Unit u's face is held as ``Zp[u, :, :k[u]]`` (orthonormal basis, zero-padded to n columns;
    k[u] = 0: frozen at w_u = 0) and ``WS[u, :nws[u]]`` (its working constraints); ``Bf[:, u, :]``
    is the Jacobian diag(v_u A_u) X Zp[u] of ŷ with respect to the unit's reduced coordinates.
    """

    def __init__(self, solver: BlockActiveSet, pattern: np.ndarray, W0, c0):
        self.s = solver
        m, n, N = solver.m, solver.n, solver.N
        self.pattern = pattern
        self.S = np.where(pattern, 1.0, -1.0)                      # s_ui
        self.Mw = pattern * solver.v[:, None]                      # v_u A_ui
        self.live = np.any(self.Mw != 0.0, axis=1)                 # units that affect ŷ
        W = np.zeros((m, n)) if W0 is None else np.array(W0, dtype=float)
        W[~self.live] = 0.0
        if W0 is not None:
            slack = self.S * (W @ solver.XuT)
            wn = np.sqrt(np.einsum("uj,uj->u", W, W))
            bad = self.live & np.any(slack < -solver.ACTIVE_RTOL * wn[:, None], axis=1)
            for u in np.flatnonzero(bad):
                W[u] = self._project_point(u, W[u])
        self.W = W
        if c0 is not None and solver.fit_bias:
            self.c = float(c0)
        elif solver.fit_bias:
            ybar = float(np.mean(solver.y))
            self.c = ybar if solver.loss == "mse" else float(np.log(max(ybar, 1e-12) / max(1.0 - ybar, 1e-12)))
        else:
            self.c = 0.0
        self.Zp = np.zeros((m, n, n))
        self.k = np.zeros(m, dtype=int)
        self.WS = np.zeros((m, n), dtype=int)
        self.nws = np.zeros(m, dtype=int)
        self.support = [None] * m
        self.refresh()
        tight = self.tight_mask()
        for u in np.flatnonzero(self.live & np.any(W != 0.0, axis=1)):
            Z, ws = solver._face(tight[u])
            self._assign(u, Z, ws, update=False)
        self.W[self.k == 0] = 0.0
        self.refresh()
        self.Bf = np.ascontiguousarray((self.Mw[:, :, None] * (solver.X @ self.Zp)).transpose(1, 0, 2))
        self.face_solved = False

    def _project_point(self, u: int, w: np.ndarray) -> np.ndarray:
        """Euclidean projection of w onto C_u (DAQP)."""
        idx = self.s.nz_idx
        x, _, flag, _ = daqp.solve(self.s._eye, -w, -self.normals(u, idx), np.zeros(idx.size), None,
                                   None, primal_tol=1e-13)
        if flag not in (1, 2):
            raise NotConverged(f"DAQP failed projecting a warm start onto its cone (exit flag {flag})")
        return np.asarray(x, dtype=float)

    def normals(self, u: int, idx) -> np.ndarray:
        """Unit-length constraint normals s_ui x̄_i/‖x̄_i‖ of unit u for examples ``idx``."""
        return self.S[u, idx, None] * self.s.Xu[idx]

    def refresh(self):
        self.slack = self.S * (self.W @ self.s.XuT)
        self.yhat = (self.Mw * (self.W @ self.s.XT)).sum(axis=0) + self.c

    def fval(self) -> float:
        return mean_loss(self.s.loss, self.yhat, self.s.y)

    def tight_mask(self) -> np.ndarray:
        wn = np.sqrt(np.einsum("uj,uj->u", self.W, self.W))
        tight = self.slack <= self.s.ACTIVE_RTOL * wn[:, None]
        tight[:, ~self.s.nonzero] = False
        return tight

    def multipliers(self, idx: np.ndarray, count: np.ndarray, G: np.ndarray):
        """Per unit u, least-squares multipliers λ with g_u ≈ Σ_j λ_j s_ui x̄_i/‖x̄_i‖ over
        i = idx[u, j], j < count[u] (linearly independent), and the residual norms; λ = +inf on
        padding. Solved for all units at once through the normal equations."""
        n = self.s.n
        pad = np.arange(n)[None, :] >= count[:, None]
        signs = np.take_along_axis(self.S, idx, axis=1)
        signs[pad] = 0.0
        M = signs[:, :, None] * self.s.Xu[idx]                     # (m, n constraints, n)
        MMt = M @ M.transpose(0, 2, 1)
        rows, cols = np.nonzero(pad)
        MMt[rows, cols, cols] = 1.0
        try:
            lam = np.linalg.solve(MMt, M @ G[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            return np.full(idx.shape, -np.inf), np.full(idx.shape[0], np.inf)
        res = np.einsum("kia,ki->ka", M, lam) - G
        lam[pad] = np.inf
        return lam, np.sqrt(np.einsum("ka,ka->k", res, res))

    # --------------------------------------------------------------- working sets
    def _assign(self, u: int, Z: np.ndarray, ws, update: bool = True):
        k = Z.shape[1]
        self.Zp[u] = 0.0
        self.Zp[u, :, :k] = Z
        self.k[u] = k
        self.nws[u] = len(ws)
        self.WS[u, :len(ws)] = ws
        if update:
            self.Bf[:, u, :] = self.Mw[u][:, None] * (self.s.X @ self.Zp[u])
        if k == 0 and np.any(self.W[u] != 0.0):
            self.W[u] = 0.0
            if update:
                self.refresh()

    def set_working_set(self, u: int, idx: np.ndarray):
        mask = np.zeros(self.S.shape[1], dtype=bool)
        mask[idx] = True
        Z, ws = self.s._face(mask)
        self._assign(u, Z, ws)

    def add_to_working_set(self, u: int, i: int):
        """Restrict unit u's face by the hyperplane x̄_i·w = 0."""
        k = self.k[u]
        Z, added = _restrict(self.Zp[u, :, :k], self.s.Xu[i], self.s.RANK_RTOL)
        if added:
            self._assign(u, Z, list(self.WS[u, :self.nws[u]]) + [i])

    def release(self, u: int, d: np.ndarray):
        """Unfreeze unit u along the direction d ∈ C_u: its face is the one of d."""
        rate = self.S[u] * (self.s.Xu @ d)
        self.set_working_set(u, np.flatnonzero((rate <= self.s.ACTIVE_RTOL * float(np.sqrt(d @ d)))
                                               & self.s.nonzero))
        if self.k[u] == 0:
            raise NotConverged("a released unit has no feasible direction")

    # --------------------------------------------------------------- steps
    def ratio_test(self, dW: np.ndarray):
        """Per unit, the largest α with s_ui x̄_i·(w_u + α Δw_u) ≥ 0, and the blocking example."""
        rate = self.S * (dW @ self.s.XuT)
        dn = np.sqrt(np.einsum("uj,uj->u", dW, dW))
        cand = rate < -self.s.RATE_RTOL * dn[:, None]
        ratios = np.full(rate.shape, np.inf)
        ratios[cand] = np.maximum(self.slack[cand], 0.0) / -rate[cand]
        blk = ratios.argmin(axis=1)
        return ratios[np.arange(ratios.shape[0]), blk], blk

    def take_path(self, dW: np.ndarray, dc: float, alpha: np.ndarray, t: float):
        self.W += np.minimum(alpha, t)[:, None] * dW
        self.c += t * dc
        self.refresh()
