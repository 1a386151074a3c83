"""Test oracle: the block active-set method for the smooth region programs in Python (paper eq. 3,
MSE or logistic loss), an implementation independent of the compiled kernel
(zonocomb/convex/backends/_region_kernel.c) that the kernel's tests compare against. It follows the
same method with different numerics (LAPACK least squares, scipy's NNLS, DAQP projections) and is
not used by the package.

For a pattern A ∈ {0,1}^{m×N}, signs s_ui = 2A_ui − 1 and output weights v, the program is

    minimise   F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c
    subject to w_u ∈ C_u = {w : s_ui (w·x̄_i) ≥ 0 for all i}       (one polyhedral cone per unit).

The feasible set is a product of m cones in R^n, and F depends on (W, c) only through ŷ ∈ R^N, so
its Hessian is singular whenever m n + 1 > N. The method is a primal active-set method that uses
the product structure ("block" = one unit's weight vector):

* **Faces.** Each unit holds a working set of linearly independent constraints x̄_i·w_u = 0; Z_u is
  an orthonormal basis of the directions that keep them (a unit with no free direction is frozen
  at w_u = 0, where all its N constraints hold with equality). On the current face the Newton step
  is the least-squares solution in the reduced variables (exact for the MSE: one step solves the
  face; a Newton step on the ℓ''-weighted Gram matrix for the logistic loss). Directions whose
  effect on ŷ is at rounding level, measured against the size of the data rather than against the
  face matrix (which is tiny for saturated logistic examples), are left out: without that rule an
  exactly null direction can be mistaken for a weak one and send w_u to 1e16.
* **Per-unit step lengths.** Along a direction D, unit u may move until its own first blocking
  constraint α_u. The step follows the piecewise-linear feasible path on which unit u stops at
  α_u and the others continue, to the first minimiser of the quadratic model of F along the path
  (computed in closed form over all breakpoints at once; for the logistic loss then halved until
  F decreases). Every unit that stopped adds its blocking constraint, so one step may add up to m
  constraints (a classical active-set step adds one).
* **Pricing** (at a face optimum). The gradient g_u of a unit on a face lies in the span of its
  working normals, g_u = Σ λ_i s_ui x̄_i/‖x̄_i‖; if every λ_i ≥ 0 the unit satisfies its KKT
  conditions. Otherwise the projection of −g_u onto the unit's tangent cone (a non-negative least
  squares problem over its tight constraints) is a feasible descent direction, and its support
  becomes the new working set. A frozen unit is certified when g_u lies in the dual cone C_u*:
  first with the support of its previous certificate (cached per unit and barcode), otherwise by
  projecting −g_u onto C_u with DAQP; a nonzero projection releases the unit along it. All moves of
  one pricing round form one path step.

Faces (by tight set), the pseudo-inverses giving the multipliers (by working set) and frozen units'
certificates (by unit and barcode) are cached per dataset, so that the neighbours of a vertex, which
share most faces, reuse them.

Every step decreases F; an iteration cap raises :class:`NotConverged`, and so does a face that
the Newton steps cannot bring to the stationarity tolerance. The result carries, per frozen unit,
the support of its certificate, from which :mod:`zonocomb.convex.kkt` verifies the KKT conditions
independently of this solver's state. Everything is floating point with relative tolerances
documented on the class.

Regions whose logistic infimum is not attained (a recession direction, see
:mod:`zonocomb.convex.backends.recession`) would converge only slowly, every step gaining about a
constant factor of the loss. With ``detect_recession=True`` the method stops early instead: it
raises :class:`Separable` as soon as an iterate classifies every example correctly (that iterate is
itself a recession direction separating all examples: the infimum is 0), and :class:`Runaway` when
a prediction grows past ``RUNAWAY_LOGIT`` (a hint, to be decided by the recession LP). Optional
example weights ``keep`` restrict the objective to the examples not separated by a recession
direction (the program F_I of :mod:`~zonocomb.convex.backends.recession`, whose minimum is attained).
"""
from __future__ import annotations


import daqp
import numpy as np
from scipy.linalg import lapack
from scipy.optimize import nnls

from zonocomb.convex.backends import RegionData
from zonocomb.convex.backends.kernel import ActiveSetResult, Runaway, Separable
from zonocomb.convex.backends.kernel import KernelFailed as NotConverged
from zonocomb.convex.losses import loss_derivatives, mean_loss

__all__ = ["BlockActiveSet", "ActiveSetResult", "NotConverged", "Runaway", "Separable"]

_POTRF, _POTRS, _GELSY, _GELSY_LWORK = lapack.get_lapack_funcs(
    ("potrf", "potrs", "gelsy", "gelsy_lwork"), (np.zeros(1),))


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
      (QR with column pivoting, minimum norm, rank decided at ``LSTSQ_COND``); in both, directions
      with gain below ``ZERO_COLUMN_RTOL`` max|v| ‖X‖_F (times max √ℓ'' for logistic) count as null;
    * pricing widens at most ``PRICE_UNITS`` free units, those with the most negative multipliers
      first (a rule of the method, not a tolerance: the compiled kernel follows the same rule with
      the same limit, which tests/test_region_kernel.py checks);
    * a unit whose weights are at rounding level in the result (``NEGLIGIBLE_RTOL``, see
      :func:`_negligible`) is returned as exactly 0;
    * logistic only: Newton weights ℓ'' are floored at ``CURVATURE_FLOOR`` max ℓ'' and no step
      changes a prediction by more than ``MAX_LOGIT_STEP``, except that examples with a margin
      σ_i ŷ_i ≥ ``SATURATED_MARGIN`` may move by up to ``MAX_SATURATED_STEP`` while their margin
      stays above that level;
    * logistic with ``detect_recession``: an iterate is *separating* when σ_i ŷ_i ≥
      ``SEPARATION_RTOL`` max(1, max_i |ŷ_i|) for every counted example, and *runs away* when
      max_i σ_i ŷ_i over the counted examples exceeds max(``RUNAWAY_LOGIT``, 2 × its value at the
      starting point).
    """

    ACTIVE_RTOL = 1e-9
    RATE_RTOL = 1e-12
    PG_RTOL = 1e-10
    FACE_RTOL = 1e-8
    DEC_RTOL = 1e-15
    RANK_RTOL = 1e-9
    LSTSQ_COND = 1e-12
    #: at most this many free units widen in one pricing, those of most negative multipliers first
    PRICE_UNITS = 8
    CHOL_RATIO = 1e-5
    ZERO_COLUMN_RTOL = 1e-11
    CURVATURE_FLOOR = 1e-14
    MAX_LOGIT_STEP = 50.0
    SATURATED_MARGIN = 40.0
    MAX_SATURATED_STEP = 1e4
    SEPARATION_RTOL = 1e-8
    RUNAWAY_LOGIT = 40.0
    NEGLIGIBLE_RTOL = 1e-12
    CACHE_SIZE = 50_000

    def __init__(self, data: RegionData, max_iter: int | None = None):
        self.loss = data.loss
        self.fit_bias = data.fit_bias
        self.X = np.ascontiguousarray(data.Xbar, dtype=float)
        self.XT = np.ascontiguousarray(self.X.T)
        self.y = data.y
        self.sigma = 2.0 * data.y - 1.0                            # logistic: ±1 label signs
        self.v = data.v
        N, n = self.X.shape
        self.N, self.n, self.m = N, n, self.v.size
        xnorm = np.linalg.norm(self.X, axis=1)
        self.xmax = float(xnorm.max())
        # a zero generator (x_i = 0 in bias-free data) gives the vacuous constraint 0 ≥ 0
        self.nonzero = xnorm > 0.0
        self.nz_idx = np.flatnonzero(self.nonzero)
        self.Xu = self.X / np.where(self.nonzero, xnorm, 1.0)[:, None]
        self.XuT = np.ascontiguousarray(self.Xu.T)
        self.XXT = np.ascontiguousarray(np.hstack([self.XT, self.XuT]))   # one product gives both
        self._lower = np.zeros(self.nz_idx.size)
        self._upper = np.full(self.nz_idx.size, np.inf)
        label_scale = 2.0 * float(np.sqrt(np.mean(self.y ** 2))) if self.loss == "mse" else 1.0
        self.gscale = max(float(np.max(np.abs(self.v))) * float(np.mean(xnorm)) * label_scale, 1e-300)
        # norm scale of a column of ∂ŷ/∂(reduced coordinates): max|v| ‖X‖_F (and √N for c)
        self.bscale = max(float(np.max(np.abs(self.v))) * float(np.linalg.norm(self.X)), np.sqrt(N))
        self.max_iter = max_iter if max_iter is not None else 200 + 20 * self.m * n
        self._eye = np.eye(n)
        self._lwork = {}
        self._support = {}                       # (unit, barcode bytes) -> certificate support
        self._faces = {}                         # tight-set mask bytes -> face (see face)
        self._pinv = {}                          # working set bytes -> pseudo-inverse of its normals

    # ------------------------------------------------------------------ public
    def solve(self, pattern: np.ndarray, W0: np.ndarray | None = None,
              c0: float | None = None, keep: np.ndarray | None = None,
              detect_recession: bool = False) -> ActiveSetResult:
        """Minimise F over the activation region of ``pattern`` ((m, N) bool).

        ``W0, c0``: optional warm start (e.g. a neighbouring pattern's optimum); units of W0 that
        are infeasible for ``pattern`` are first projected onto their cones. ``keep`` (logistic
        only, (N,) bool): minimise (1/N) Σ_{i kept} ℓ(ŷ_i, y_i) instead. ``detect_recession``
        (logistic only): raise :class:`Separable` or :class:`Runaway` as described in the module
        docstring (with ``keep``, only :class:`Runaway`).
        """
        st = _State(self, pattern, W0, c0, keep)
        watch = detect_recession and self.loss == "logistic"
        runaway = 0.0
        if watch:
            runaway = max(self.RUNAWAY_LOGIT, 2.0 * self._check_recession(st, np.inf))
        n_iter = 0
        while True:
            n_iter += 1
            if n_iter > self.max_iter:
                raise NotConverged(f"active-set method did not converge in {self.max_iter} iterations")
            if not st.face_solved:
                self._face_step(st)
            elif not self._price(st):
                break
            if watch:
                self._check_recession(st, runaway)
        W = st.W.copy()
        W[(st.k == 0) | _negligible(W, self.v, self.xmax, self.y, st.yhat, self.NEGLIGIBLE_RTOL)] = 0.0
        frozen = st.k == 0
        supports = {int(u): st.support[u] for u in np.flatnonzero(frozen & st.live)
                    if st.support[u] is not None}
        return ActiveSetResult(W=W, c=float(st.c) if self.fit_bias else 0.0, n_iter=n_iter,
                               supports=supports)

    def _check_recession(self, st: "_State", runaway: float) -> float:
        """Raise Separable (separating iterate, no ``keep``) or Runaway (past ``runaway``); else
        return max_i σ_i ŷ_i over the counted examples."""
        z = self.sigma * st.yhat
        if st.keep is not None:
            z = z[st.keep]
        elif z.min(initial=np.inf) > 0.0:
            st.refresh()                                          # exact predictions (no drift)
            z = self.sigma * st.yhat
            scale = max(1.0, float(np.abs(st.yhat).max()))
            if z.min() >= self.SEPARATION_RTOL * scale:
                raise Separable(st.W.copy(), float(st.c) if self.fit_bias else 0.0)
        top = float(z.max(initial=0.0))
        if top > runaway:
            raise Runaway(f"a prediction ran away (σ ŷ = {top:.3g}): the infimum may not be attained")
        return top

    # ------------------------------------------------------------------ derivatives
    def _derivs(self, yhat, keep=None):
        """Gradient and curvature of F with respect to ŷ (the curvature is a scalar for MSE);
        zero on the examples ``keep`` leaves out."""
        if self.loss == "mse":
            return (2.0 / self.N) * (yhat - self.y), 2.0 / self.N
        g1, h1 = loss_derivatives(self.loss, yhat, self.y)
        if keep is not None:
            g1, h1 = np.where(keep, g1, 0.0), np.where(keep, h1, 0.0)
        return g1 / self.N, h1 / self.N

    def fval(self, yhat, keep=None) -> float:
        """F at predictions ``yhat``: the mean loss, over the examples in ``keep`` when given."""
        if keep is None:
            return mean_loss(self.loss, yhat, self.y)
        if not keep.any():
            return 0.0
        return mean_loss(self.loss, yhat[keep], self.y[keep]) * (float(keep.sum()) / self.N)

    def _lstsq(self, B: np.ndarray, r: np.ndarray, ref: float) -> np.ndarray:
        """Least-squares solution of B δ ≈ r, minimum norm over the directions of B whose gain is
        below ``ZERO_COLUMN_RTOL`` · ref (numerically null, even when all of B is small, as for
        saturated logistic examples) or ``LSTSQ_COND`` relative to the largest."""
        M, K = B.shape
        floor = self.ZERO_COLUMN_RTOL * ref
        if K <= M:
            L, info = _POTRF(B.T @ B, lower=0, clean=0)
            if info == 0:
                d = np.abs(np.diag(L))
                if d.min() > max(self.CHOL_RATIO * d.max(), floor):
                    return _POTRS(L, B.T @ r, lower=0)[0]
        lwork = self._lwork.get((M, K))
        if lwork is None:
            lwork = self._lwork[(M, K)] = int(_GELSY_LWORK(M, K, 1, self.LSTSQ_COND)[0])
        rhs = np.zeros((max(M, K), 1))
        rhs[:M, 0] = r
        top = float(np.sqrt(np.einsum("ij,ij->j", B, B).max()))
        rcond = min(max(self.LSTSQ_COND, floor / top), 0.5)
        _, x, _, _, info = _GELSY(B, rhs, np.zeros(K, dtype=np.int32), rcond, lwork)
        if info != 0:
            raise NotConverged(f"LAPACK gelsy failed (info {info})")
        return x[:K, 0]

    # ------------------------------------------------------------------ face phase
    def _face_step(self, st: "_State"):
        """One Newton step on the current face along the per-unit stopping path."""
        cols = st.cols.copy()
        B = st.Bf[:, cols]                                        # ∂ŷ/∂(reduced coordinates, c)
        g, h = self._derivs(st.yhat, st.keep)
        if self.loss == "mse":
            r = self.y - st.yhat
            f0 = float(r @ r) / self.N
            ref = self.bscale
        else:
            f0 = st.fval()
            sq = np.sqrt(np.maximum(h, self.CURVATURE_FLOOR * float(h.max())))
            if st.keep is not None:
                sq[~st.keep] = 0.0                                # left-out examples: zero rows
            B = B * sq[:, None]
            r = -np.divide(g, sq, out=np.zeros_like(g), where=sq > 0.0)
            ref = self.bscale * float(sq.max())
        # a direction that moves no prediction (its unit's active examples all lie on the face's
        # hyperplanes) has a zero column, up to rounding: it takes no part in the step
        keep = np.sqrt(np.einsum("ij,ij->j", B, B)) > self.ZERO_COLUMN_RTOL * ref
        if not keep.all():
            cols[cols] = keep
            B = B[:, keep]
        if B.shape[1] == 0:
            st.face_solved = True
            return
        delta = self._lstsq(B, r, ref)
        xi = np.zeros(cols.size)
        xi[cols] = delta
        dW = np.einsum("uij,uj->ui", st.Zp, xi[:-1].reshape(self.m, self.n))
        dc = float(xi[-1])
        jdu, rate = st.rates(dW)                                  # change of ŷ per unit; constraint rates
        jd = jdu.sum(axis=0) + dc
        alpha, blk = st.ratio_test(dW, rate)
        if not -float(g @ jd) > self.DEC_RTOL * (1.0 + abs(f0)):   # Newton decrement
            # below the resolution of F, yet the (feasible, small) Newton step still reduces the
            # gradient on the face: take it (for the MSE it is the exact face minimiser)
            if alpha.min() >= 1.0 and (self.loss == "mse" or float(np.abs(jd).max()) <= self.MAX_LOGIT_STEP):
                st.take_path(dW, dc, alpha, 1.0, jdu, rate)
            st.face_solved = True
            return
        t = self.path_search(g, h, jdu, jd, alpha, self._margins(st))
        if self.loss != "mse" and t > 0.0:
            tb = self._backtrack(st, f0, jdu, dc, alpha, t)
            if tb is None and not np.any(alpha <= t):
                st.face_solved = True                             # no numerical progress left
                return
            t = t if tb is None else tb                           # (or a unit is blocked at once)
        st.take_path(dW, dc, alpha, t, jdu, rate)
        stopped = np.flatnonzero(alpha <= t)
        for u in stopped:
            st.add_to_working_set(u, int(blk[u]))
        if stopped.size == 0 and self.loss == "mse":
            st.face_solved = True                                 # the face's exact minimiser

    def path_search(self, g, h, jdu, jd, alpha, margins=None) -> float:
        """First minimiser, over t ≥ 0, of the quadratic model g·Δ + ½ Δᵀ diag(h) Δ of F along the
        path Δ(t) = Σ_u min(t, α_u) jdu_u + t (jd − Σ_u jdu_u) on which unit u stops at α_u
        (logistic: at most :meth:`_logit_step_cap`, given the margins σ_i ŷ_i)."""
        tmax = np.inf
        if self.loss != "mse":
            tmax = self._logit_step_cap(jd, margins)
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
            # segment minimisers; a segment without curvature is followed to its end if descending
            tj = np.divide(num, den, out=np.where(num > 0.0, np.inf, -np.inf), where=den > 0.0)
            j = int(np.argmax(tj <= np.append(b, np.inf)))        # first segment holding its minimiser
            t = min(max(float(tj[j]), b[j - 1] if j > 0 else 0.0), tmax)
        if not np.isfinite(t):
            raise NotConverged("unbounded step along a path without curvature")
        return t

    def _margins(self, st: "_State"):
        """Logistic: the margins σ_i ŷ_i of the counted examples (+inf for those ``keep`` leaves
        out, whose predictions do not matter); None for the MSE."""
        if self.loss == "mse":
            return None
        z = self.sigma * st.yhat
        return z if st.keep is None else np.where(st.keep, z, np.inf)

    def _logit_step_cap(self, jd, margins) -> float:
        """Largest step t along the prediction direction ``jd`` that changes no prediction by more
        than ``MAX_LOGIT_STEP``, except on examples with margin σ_i ŷ_i ≥ ``SATURATED_MARGIN``
        (their loss terms are below log(1 + e^−40) ≈ 4e-18), which may move further as long as
        their margin stays above that level; and in any case by at most ``MAX_SATURATED_STEP``.

        Without the exception a point whose examples sit far out on their correct sides (a warm
        start from a large-weight answer, an optimum with margins in the thousands) crawls at
        ``MAX_LOGIT_STEP`` per step in the one prediction that does not matter."""
        a = np.abs(jd)
        cap = self.MAX_LOGIT_STEP / np.maximum(a, 1e-300)
        if margins is not None:
            rate = self.sigma * jd                                # change of the margins per unit t
            room = np.divide(margins - self.SATURATED_MARGIN, -rate, out=np.full(a.shape, np.inf),
                             where=rate < 0.0)
            deep = margins >= self.SATURATED_MARGIN
            cap[deep] = np.maximum(cap[deep], room[deep])
        return float(min(cap.min(), self.MAX_SATURATED_STEP / max(float(a.max()), 1e-300)))

    def _backtrack(self, st, f0, jdu, dc, alpha, t):
        """Halve t until the true loss decreases along the path (logistic); None if it never does."""
        for _ in range(60):
            yh = st.yhat + np.minimum(alpha, t) @ jdu + t * dc
            if self.fval(yh, st.keep) < f0 - 1e-16 * (1.0 + abs(f0)):
                return t
            t *= 0.5
        return None

    # ------------------------------------------------------------------ pricing
    def _price(self, st: "_State") -> bool:
        """KKT check at a face optimum; returns False when certified, else moves and returns True."""
        st.refresh()                                              # exact slacks and ŷ (no drift)
        g, h = self._derivs(st.yhat, st.keep)
        G = (st.Mw * g) @ self.X                                  # ∂F/∂w_u, (m, n)
        tol = self.PG_RTOL * self.gscale
        free = st.live & (st.k > 0)
        lam, res = st.multipliers(G)
        if np.any(res[free] > self.FACE_RTOL * self.gscale) or \
                (self.fit_bias and abs(float(g.sum())) > self.FACE_RTOL * self.gscale):
            if st.bounced:                                        # the face step could not fix it
                raise NotConverged("the face optimum is not reached to the stationarity tolerance")
            st.bounced = True
            st.face_solved = False                                # not (numerically) at the face optimum
            return True
        st.bounced = False
        moves = {}
        lmin = np.min(lam, axis=1)
        negative = np.flatnonzero(free & (lmin < -tol))
        if negative.size:
            tight = st.tight_mask()
            for u in negative[np.argsort(lmin[negative], kind="stable")]:    # most negative first
                if len(moves) == self.PRICE_UNITS:
                    break
                T = np.flatnonzero(tight[u])
                normals = st.normals(u, T)
                mu, _ = nnls(normals.T, G[u])                     # projection onto the tangent cone
                d = normals.T @ mu - G[u]
                if float(np.sqrt(d @ d)) > tol:
                    moves[u] = d
                    st.set_working_set(u, T[mu > 0.0])
        for u in np.flatnonzero(st.live & (st.k == 0) & np.any(G != 0.0, axis=1)):
            key = (int(u), st.pattern[u].tobytes())
            cert = self._support.get(key)                         # candidate certificate
            if cert is not None:
                sup, P, R = cert
                r = R @ G[u]
                lam_u = P @ G[u]
                if float(np.sqrt(r @ r)) <= tol and (lam_u.size == 0 or float(lam_u.min()) >= -tol):
                    st.support[u] = sup
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
        jdu, rate = st.rates(dW)
        jd = jdu.sum(axis=0)
        alpha, blk = st.ratio_test(dW, rate)
        t = self.path_search(g, h, jdu, jd, alpha, self._margins(st))
        if t > 0.0 and self.loss != "mse":
            f0 = st.fval()
            gain = -float(g @ (np.minimum(alpha, t) @ jdu))       # first-order decrease predicted
            tb = self._backtrack(st, f0, jdu, 0.0, alpha, t)
            if tb is None and not np.any(alpha <= t):
                if gain <= 1e-13 * (1.0 + abs(f0)):
                    return False                                  # below the resolution of F: the KKT check decides
                raise NotConverged("pricing found a descent direction but no decrease along it")
            t = t if tb is None else tb
        if t > 0.0:
            st.take_path(dW, 0.0, alpha, t, jdu, rate)
        for u in np.flatnonzero(alpha <= t):
            st.add_to_working_set(u, int(blk[u]))
        st.face_solved = False
        return True

    def _project_cone(self, st: "_State", u: int, gu: np.ndarray, tol: float):
        """Projection d of −g_u onto C_u (DAQP); None, with the certificate cached, when d ≈ 0.

        Should DAQP fail, the projection is −g_u + Nᵀλ with λ = argmin_{λ≥0} ‖Nᵀλ − g_u‖ (Moreau's
        decomposition along the polar cone, by NNLS)."""
        idx = self.nz_idx
        normals = st.normals(u, idx)
        ng = float(np.sqrt(gu @ gu))
        x, _, flag, info = daqp.solve(self._eye, gu / ng, normals, self._upper, self._lower, None,
                                      primal_tol=1e-13)
        if flag in (1, 2):
            d = ng * np.asarray(x, dtype=float)
            active = np.asarray(info["lam"]) != 0.0
        else:
            lam = nnls(normals.T, gu)[0]
            d = normals.T @ lam - gu
            active = lam > 0.0
        if float(np.sqrt(d @ d)) > tol:
            return d
        support = idx[active]
        M = st.normals(u, support)                                # independent (DAQP's or NNLS's set)
        P = np.linalg.solve(M @ M.T, M)                           # multipliers λ = P g
        if len(self._support) >= self.CACHE_SIZE:
            self._support.clear()
        self._support[(int(u), st.pattern[u].tobytes())] = (support, P, self._eye - M.T @ P)
        st.support[u] = support
        return None

    def face(self, mask: np.ndarray):
        """The face {w : x̄_i·w = 0 for i in mask}, cached by mask, as a tuple (Z, k, ws, nws): an
        orthonormal basis Z of its directions (n × n, columns ≥ k zero) and a linearly independent
        subset ws of its constraints (nws of them, padded to n)."""
        key = mask.tobytes()
        face = self._faces.get(key)
        if face is not None:
            return face
        n = self.n
        T = np.flatnonzero(mask)
        Z = np.zeros((n, n))
        ws = np.zeros(n, dtype=int)
        if T.size == 0:
            basis, sel = self._eye, T
        else:
            Q, R = np.linalg.qr(self.Xu[T].T, mode="complete") if T.size < n else (None, None)
            if Q is not None and np.min(np.abs(np.diag(R))) > self.RANK_RTOL:
                basis, sel = Q[:, T.size:], T                     # independent constraints
            else:
                basis, sel = self._eye, []
                for i in T:
                    basis, added = _restrict(basis, self.Xu[i], self.RANK_RTOL)
                    if added:
                        sel.append(int(i))
                        if basis.shape[1] == 0:
                            break
        Z[:, :basis.shape[1]] = basis
        ws[:len(sel)] = sel
        if len(self._faces) >= self.CACHE_SIZE:
            self._faces.clear()
        face = self._faces[key] = (Z, basis.shape[1], ws, len(sel))
        return face


def _negligible(W, v, xmax, y, yhat, rtol):
    """Units whose weights are at rounding level: ‖w_u‖ ≤ rtol max_u' ‖w_u'‖, or a largest possible
    contribution |v_u| ‖w_u‖ max‖x̄_i‖ to ŷ of at most rtol (1 + max|y_i| + max|ŷ_i|)."""
    wn = np.sqrt(np.einsum("uj,uj->u", W, W))
    scale = 1.0 + float(np.abs(y).max(initial=0.0)) + float(np.abs(yhat).max(initial=0.0))
    return (wn <= rtol * wn.max()) | (np.abs(v) * wn * xmax <= rtol * scale)


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

    def __init__(self, solver: BlockActiveSet, pattern: np.ndarray, W0, c0, keep=None):
        self.s = solver
        self.keep = None if keep is None else np.asarray(keep, dtype=bool)
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
            ybar = float(np.mean(solver.y if self.keep is None or not self.keep.any()
                                 else solver.y[self.keep]))
            self.c = ybar if solver.loss == "mse" else float(np.log(max(ybar, 1e-12) / max(1.0 - ybar, 1e-12)))
        else:
            self.c = 0.0
        self.Zp = np.zeros((m, n, n))
        self.Pp = np.zeros((m, n, n))                              # signed multiplier extractors
        self.stale = np.zeros(m, dtype=bool)                       # Pp[u] out of date
        self.k = np.zeros(m, dtype=int)
        self.WS = np.zeros((m, n), dtype=int)
        self.nws = np.zeros(m, dtype=int)
        self.support = [None] * m
        self.refresh()
        tight = self.tight_mask()
        for u in np.flatnonzero(self.live & np.any(W != 0.0, axis=1)):
            self._assign(u, solver.face(tight[u]), update=False)
        self.W[self.k == 0] = 0.0
        self.refresh()
        self.Bf = np.empty((N, m * n + 1))                         # [diag(v_u A_u) X Z_u]_u, then 1
        self.Bf[:, :-1] = (self.Mw[:, :, None] * (solver.X @ self.Zp)).transpose(1, 0, 2).reshape(N, m * n)
        self.Bf[:, -1] = 1.0
        self.cols = np.zeros(m * n + 1, dtype=bool)               # reduced coordinates in use, then c
        self.cols[:-1] = (np.arange(n)[None, :] < self.k[:, None]).ravel()
        self.cols[-1] = solver.fit_bias
        self.face_solved = False
        self.bounced = False                                       # pricing sent the last face back

    def _project_point(self, u: int, w: np.ndarray) -> np.ndarray:
        """Euclidean projection of w onto C_u (DAQP)."""
        idx = self.s.nz_idx
        x, _, flag, _ = daqp.solve(self.s._eye, -w, self.normals(u, idx), self.s._upper, self.s._lower,
                                   None, primal_tol=1e-13)
        if flag not in (1, 2):
            raise NotConverged(f"DAQP failed projecting a warm start onto its cone (exit flag {flag})")
        return np.asarray(x, dtype=float)

    def normals(self, u: int, idx) -> np.ndarray:
        """Unit-length constraint normals s_ui x̄_i/‖x̄_i‖ of unit u for examples ``idx``."""
        if idx is self.s.nz_idx and idx.size == self.S.shape[1]:
            return self.S[u][:, None] * self.s.Xu                 # every generator is nonzero
        return self.S[u, idx, None] * self.s.Xu[idx]

    def refresh(self):
        self.slack = self.S * (self.W @ self.s.XuT)
        self.yhat = (self.Mw * (self.W @ self.s.XT)).sum(axis=0) + self.c

    def fval(self) -> float:
        return self.s.fval(self.yhat, self.keep)

    def tight_mask(self) -> np.ndarray:
        wn = np.sqrt(np.einsum("uj,uj->u", self.W, self.W))
        tight = self.slack <= self.s.ACTIVE_RTOL * wn[:, None]
        tight[:, ~self.s.nonzero] = False
        return tight

    def multipliers(self, G: np.ndarray):
        """Multipliers λ of the working constraints (g_u = Σ_j λ_j s_ui x̄_i/‖x̄_i‖ + its face
        component, i = WS[u, j]; +inf on padding) and the norm of that face component.

        λ_u = diag(s_u,WS) P_u g_u with P_u the pseudo-inverse of the working normals' matrix,
        recomputed only for units whose face changed (and cached by working set)."""
        for u in np.flatnonzero(self.stale & (self.k > 0)):
            ws = self.WS[u, :self.nws[u]]
            key = ws.tobytes()
            P = self.s._pinv.get(key)
            if P is None:
                M = self.s.Xu[ws]
                P = np.zeros((self.s.n, self.s.n))
                P[:ws.size] = np.linalg.solve(M @ M.T, M)
                if len(self.s._pinv) >= self.s.CACHE_SIZE:
                    self.s._pinv.clear()
                self.s._pinv[key] = P
            self.Pp[u] = self.S[u, self.WS[u]][:, None] * P
        self.stale[:] = False
        lam = np.einsum("uij,uj->ui", self.Pp, G)
        lam[np.arange(self.s.n)[None, :] >= self.nws[:, None]] = np.inf
        r = np.einsum("uij,ui->uj", self.Zp, G)
        return lam, np.sqrt(np.einsum("uj,uj->u", r, r))

    # --------------------------------------------------------------- working sets
    def _assign(self, u: int, face, update: bool = True):
        Z, k, ws, nws = face
        self.Zp[u] = Z
        self.k[u] = k
        self.WS[u] = ws
        self.nws[u] = nws
        self.stale[u] = True
        if update:
            n = self.s.n
            self.Bf[:, u * n:(u + 1) * n] = self.Mw[u][:, None] * (self.s.X @ Z)
            self.cols[u * n:(u + 1) * n] = np.arange(n) < k
        if k == 0 and np.any(self.W[u] != 0.0):
            self.W[u] = 0.0
            if update:
                self.refresh()

    def set_working_set(self, u: int, idx: np.ndarray):
        mask = np.zeros(self.S.shape[1], dtype=bool)
        mask[idx] = True
        self._assign(u, self.s.face(mask))

    def add_to_working_set(self, u: int, i: int):
        """Restrict unit u's face by the hyperplane x̄_i·w = 0 (a Householder update of its basis)."""
        k = self.k[u]
        basis, added = _restrict(self.Zp[u, :, :k], self.s.Xu[i], self.s.RANK_RTOL)
        if not added:
            return
        Z = np.zeros_like(self.Zp[u])
        Z[:, :k - 1] = basis
        ws = self.WS[u].copy()
        if self.nws[u] < ws.size:
            ws[self.nws[u]] = i
        self._assign(u, (Z, k - 1, ws, self.nws[u] + 1))

    def release(self, u: int, d: np.ndarray):
        """Unfreeze unit u along the direction d ∈ C_u: its face is the one of d."""
        rate = self.S[u] * (self.s.Xu @ d)
        self.set_working_set(u, np.flatnonzero((rate <= self.s.ACTIVE_RTOL * float(np.sqrt(d @ d)))
                                               & self.s.nonzero))
        if self.k[u] == 0:
            raise NotConverged("a released unit has no feasible direction")

    # --------------------------------------------------------------- steps
    def rates(self, dW: np.ndarray):
        """Change of ŷ per unit (v_u A_u ⊙ X Δw_u) and of the slacks, per unit step along dW."""
        P = dW @ self.s.XXT
        N = self.S.shape[1]
        return self.Mw * P[:, :N], self.S * P[:, N:]

    def ratio_test(self, dW: np.ndarray, rate: np.ndarray):
        """Per unit, the largest α with s_ui x̄_i·(w_u + α Δw_u) ≥ 0, and the blocking example."""
        dn = np.sqrt(np.einsum("uj,uj->u", dW, dW))
        cand = rate < -self.s.RATE_RTOL * dn[:, None]
        ratios = np.divide(np.maximum(self.slack, 0.0), -rate, out=np.full(rate.shape, np.inf), where=cand)
        blk = ratios.argmin(axis=1)
        return ratios[np.arange(ratios.shape[0]), blk], blk

    def take_path(self, dW, dc, alpha, t, jdu, rate):
        """Move to the path point t: unit u by min(t, α_u) Δw_u, c by t Δc (slacks and ŷ updated)."""
        tt = np.minimum(alpha, t)
        self.W += tt[:, None] * dW
        self.c += t * dc
        self.slack += tt[:, None] * rate
        self.yhat += tt @ jdu + t * dc
