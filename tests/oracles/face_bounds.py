"""Test oracle: the face-restricted dual bounds of a vertex's neighbours in numpy, an
implementation independent of the compiled rounds (zonocomb/convex/backends/_face_bounds.c) that
their tests compare against. The mathematics is that of zonocomb/convex/backends/face_bounds.py:
for the neighbour that moves unit u, every other unit keeps the constraints of its face at the
vertex and moves in their null space, the moved unit is re-optimised over its whole new cone, and
units whose coefficients turn negative release their most negative constraint not yet released
(the unit may move off it, in the feasible sense only: a column with a coefficient t ≥ 0) until
the dual point passes the checks (weak duality then makes D(λ) a lower bound). It differs in its
numerics: explicit null spaces and pseudo-inverses by SVD, V_{-u} by a complete QR, each model by
LAPACK QR from scratch and scipy's NNLS polished by least squares on its support, the released
directions' columns projected off V twice. Not used by the package.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.linalg import null_space, qr, solve_triangular
from scipy.optimize import nnls

#: Most solves of the model per neighbour (each releasing, in every unit with a negative
#: coefficient, the most negative one's constraint).
MAX_ROUNDS = 32
#: The ridge, relative to the larger of M's largest diagonal in QR and the Frobenius norm of the
#: moved unit's columns before the projection, when M is rank deficient.
RIDGE_RTOL = 1e-9
#: Relative tolerance of the certificate's checks (coefficients, residuals, ranks).
CHECK_RTOL = 1e-9
#: A released direction enters the model when its part orthogonal to V is longer than this, relative.
NEW_DIRECTION_RTOL = 1e-7
#: Most released directions per neighbour.
MAX_EXTRA = 512
#: A constraint of a live unit is in its face when |x̄_i·w| ≤ TIGHT_RTOL ‖x̄_i‖ ‖w‖ (the kernel's).
TIGHT_RTOL = 1e-9


def _nnls(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    return nnls(A, b, maxiter=50 * max(A.shape))[0]


class FaceBounds:
    """Lower bounds of the neighbours of one vertex (see the module docstring).

    Parameters
    ----------
    data : RegionData
        The programs' data (:attr:`RegionProgram.data <zonocomb.convex.region.RegionProgram.data>`);
        MSE without weight decay.
    pattern : ndarray of bool, shape (m, N)
        The vertex.
    W, c : the vertex's optimum, in the units of ``data``.

    Raises
    ------
    ValueError
        A loss other than the MSE, or weight decay.
    """

    def __init__(self, data, pattern: np.ndarray, W: np.ndarray, c: float):
        if data.loss != "mse" or data.alpha:
            raise ValueError("face bounds are for the MSE without weight decay")
        X, y, v = data.Xbar, data.y, np.asarray(data.v, dtype=float)
        self.X, self.y, self.v, self.fit_bias = X, y, v, data.fit_bias
        self.N, self.n = X.shape
        self.m = len(v)
        self.A = np.asarray(pattern, dtype=bool)
        self.AV = v[:, None] * self.A
        W = np.asarray(W, dtype=float)
        yhat = np.einsum("un,in,ui->i", W, X, self.AV) + (c if self.fit_bias else 0.0)
        self.lam = (2.0 / self.N) * (yhat - y)
        self.scale = np.linalg.norm(X) * max(np.linalg.norm(self.lam), np.linalg.norm(y) / self.N, 1e-300)
        xn = np.linalg.norm(X, axis=1)
        self.faces = []
        for w in range(self.m):
            wn = np.linalg.norm(W[w])
            if wn > 0:
                T = np.flatnonzero(np.abs(X @ W[w]) <= TIGHT_RTOL * xn * wn)
            else:
                T = np.flatnonzero(_nnls(self._normals(w, T=None).T, X.T @ (self.AV[w] * self.lam)) > 0)
            self.faces.append(T)
        self.Z = [null_space(X[T]) if len(T) else np.eye(self.n) for T in self.faces]
        width = max(1, max(len(T) for T in self.faces))
        self.normals = np.zeros((self.m, width, self.n))       # rows s_wi x̄_i, i ∈ T_w (0-padded)
        self.pinv = np.zeros((self.m, width, self.n))          # their pseudo-inverse: coefficients
        self.widths = np.array([len(T) for T in self.faces])
        self.face_norms = np.zeros((self.m, width))            # ‖x̄_i‖, i ∈ T_w (0-padded)
        for w, T in enumerate(self.faces):
            self.face_norms[w, :len(T)] = xn[T]
        for w in range(self.m):
            self._set_coefficients(self.normals, self.pinv, w, self.faces[w])
        self._span_of_faces()
        self._per_unit: dict = {}
        self.failures = Counter()     # why bounds were not certified
        self.ridged = 0               # models solved with the ridge
        self.rounds: list = []        # rounds of each certified bound

    # ----- the model's pieces --------------------------------------------------------------------
    def _normals(self, w: int, T) -> np.ndarray:
        """Rows s_wi x̄_i of unit w's constraints T (all of them for None)."""
        sign = 2.0 * self.A[w] - 1.0
        return sign[:, None] * self.X if T is None else sign[T, None] * self.X[T]

    def _set_coefficients(self, normals, pinv, w: int, T) -> None:
        normals[w] = 0.0
        pinv[w] = 0.0
        if len(T):
            rows = self._normals(w, T)
            normals[w, :len(T)] = rows
            pinv[w, :len(T)] = np.linalg.pinv(rows.T)

    def _columns(self, w: int, Z: np.ndarray) -> np.ndarray:
        """v_w A_w ⊙ X̄ Z: the predictions of unit w moving in span(Z)."""
        return (self.AV[w][:, None] * self.X) @ Z

    def _span_of_faces(self) -> None:
        """An orthonormal basis Q of V for all units (face columns and 1) by pivoted QR, and the
        dual basis H of its independent columns (Hᵀ C = I on them), with their units."""
        cols = [self._columns(w, self.Z[w]) for w in range(self.m)]
        owner = np.concatenate([np.full(Cw.shape[1], w) for w, Cw in enumerate(cols)] + [np.full(1, -1)])
        C = np.hstack(cols + [np.ones((self.N, 1)) if self.fit_bias else np.zeros((self.N, 1))])
        Q, R, piv = qr(C, mode="economic", pivoting=True)
        d = np.abs(np.diag(R))
        r = int(np.count_nonzero(d > CHECK_RTOL * d[0])) if d.size and d[0] > 0 else 0
        self._Q = Q[:, :r]
        self._H = solve_triangular(R[:r, :r], self._Q.T).T          # Q R⁻ᵀ
        self._owner = owner[piv[:r]]

    def _unit(self, u: int) -> tuple:
        """(orthonormal basis of V without unit u's face, P⊥ [v_u A_u ⊙ X̄, y]), built once per unit:
        V less the directions of unit u's columns orthogonal to all the others (its dual basis)."""
        if u not in self._per_unit:
            Q = self._Q
            own = np.flatnonzero(self._owner == u)
            if len(own):
                Eu = np.linalg.qr(self._H[:, own])[0]
                full = np.linalg.qr(Q.T @ Eu, mode="complete")[0]
                Q = Q @ full[:, len(own):]
            Y = np.hstack([self.AV[u][:, None] * self.X, self.y[:, None]])
            self._per_unit[u] = (Q, Y - Q @ (Q.T @ Y))
        return self._per_unit[u]

    # ----- the bound -------------------------------------------------------------------------------
    def lower_bound(self, unit: int, flipped) -> float:
        """A certified lower bound of the optimum of the neighbour that flips the examples
        ``flipped`` in the row of ``unit``, or −∞ when the certificate fails (module docstring)."""
        u, F = int(unit), np.asarray(list(flipped), dtype=int)
        X, N, n = self.X, self.N, self.n
        Q, Y = self._unit(u)
        row = self.A[u].copy()
        row[F] ^= True
        # P⊥_V of the neighbour's columns: those of the vertex, corrected in the flipped rows
        E = np.zeros((N, len(F)))
        E[F, np.arange(len(F))] = 1.0
        E -= Q @ Q[F].T
        M = Y[:, :n] + (E * (np.where(row[F], 1.0, -1.0) * self.v[u])) @ X[F]
        b = Y[:, n].copy()
        normals_u = self._normals(u, None) * np.where(row == self.A[u], 1.0, -1.0)[:, None]
        others = np.arange(self.m) != u
        widths, norms = self.widths, self.face_norms
        cone = np.union1d(self.faces[u], F)              # unit u's constraints in the model, grown as needed
        released, columns, ridge = set(), [], 0.0        # (w, position in T_w); their columns; the model's ridge
        for rounds in range(1, MAX_ROUNDS + 1):
            lam, cone, ridge = self._model_dual(M, np.array(columns).reshape(-1, N).T, b, normals_u,
                                                self.v[u] * row, cone, ridge)
            if lam is None:
                self.failures["the moved unit's check"] += 1
                return -np.inf
            G = X.T @ (self.AV * lam).T                          # g_w(λ), one column per unit
            mu = np.einsum("wtn,nw->wt", self.pinv, G)
            residual = np.linalg.norm(G - np.einsum("wtn,wt->nw", self.normals, mu), axis=0)
            if np.any(residual[others] > CHECK_RTOL * self.scale):
                self.failures["a unit's residual"] += 1
                return -np.inf
            negative_part = (np.maximum(-mu, 0.0) * norms).sum(axis=1)
            bad = np.flatnonzero(others & (residual + negative_part > CHECK_RTOL * self.scale))
            if not len(bad):
                self.rounds.append(rounds)
                return float(-lam @ self.y - 0.25 * N * (lam @ lam))
            for w in bad.tolist():        # each releases its most negative constraint not released yet
                free = [a for a in range(widths[w]) if mu[w, a] < 0 and (w, a) not in released]
                if not free:
                    self.failures["a released constraint's coefficient"] += 1
                    return -np.inf
                a = min(free, key=lambda a: mu[w, a])
                released.add((w, a))
                # its direction d (row a of the face's pseudo-inverse: s_j x̄_j·d = δ_aj) enters the
                # model as the column P⊥_V(v_w A_w ⊙ X̄ d) with a coefficient t ≥ 0
                d = self.pinv[w, a] / np.linalg.norm(self.pinv[w, a])
                col = self.AV[w] * (X @ d)
                before = np.linalg.norm(col)
                for _ in range(2):
                    col = col - Q @ (Q.T @ col)
                if before > 0 and np.linalg.norm(col) > NEW_DIRECTION_RTOL * before:
                    if len(columns) >= MAX_EXTRA:
                        self.failures["too many released directions"] += 1
                        return -np.inf
                    columns.append(col / np.linalg.norm(col))
        self.failures["rounds"] += 1
        return -np.inf

    def _model_dual(self, M: np.ndarray, E: np.ndarray, b: np.ndarray, normals_u: np.ndarray,
                    weights_u: np.ndarray, cone: np.ndarray, ridge: float):
        """(λ, constraints used, ridge): λ = (2/N)([M E] x − b) at the minimiser of ‖[M E] x − b‖²
        over x = (w, t) with normals_u[cone] w ≥ 0 and t ≥ 0 (made orthogonal to 1 exactly when c is
        optimised), the constraints ``cone`` grown by those w violates until it satisfies all of
        them (or ``MAX_ROUNDS`` times: a cone of fewer constraints is a relaxation, its λ still a
        dual point), with g_u(λ) = X̄ᵀ(weights_u ⊙ λ) checked to be (2/N) normals_uᵀ ν for
        multipliers ν ≥ 0; (None, cone, ridge) when the check fails. The ridge, once needed (M or
        [M E] rank deficient), is kept for the neighbour's later models."""
        N, n, k = self.N, self.n, E.shape[1]
        top = np.linalg.norm(weights_u[:, None] * self.X)                   # (M may be all in V)
        if top == 0.0:
            M = np.zeros_like(M)                  # unit u predicts nothing: w = 0
            ridge = 1.0
        A = np.hstack([M, E])
        if ridge == 0.0:
            d = np.abs(np.diag(np.linalg.qr(A)[1]))
            if d.min() <= RIDGE_RTOL * max(d.max(), top):
                # directions of x that A does not see (unit u active on few examples, or seen by V):
                # a tiny ridge makes the minimiser unique; g_u then misses (2/N) ε w, which the
                # check below must find within its tolerance
                ridge = RIDGE_RTOL * max(d.max(), top)
                self.ridged += 1
        if ridge > 0.0:
            Qm, Rm = np.linalg.qr(np.vstack([A, ridge * np.eye(n + k)]))
            Qm = Qm[:N]
        else:
            Qm, Rm = np.linalg.qr(A)
        q = Qm.T @ b
        C = np.zeros((N + k, n + k))             # the constraints' rows on x: the cone's, then t ≥ 0
        C[:N, :n] = normals_u
        C[N:, n:] = np.eye(k)
        H = solve_triangular(Rm, C.T, trans="T")      # (C R⁻¹)ᵀ: the constraints in z = R x
        xn = np.linalg.norm(normals_u, axis=1)
        for _ in range(MAX_ROUNDS):
            active = np.concatenate([cone, N + np.arange(k)])
            nu = np.zeros(N + k)
            nu[active] = _nnls(H[:, active], -q)
            support = np.flatnonzero(nu > 0)            # polished: least squares on the NNLS support
            if len(support):
                nu[support] = np.linalg.lstsq(H[:, support], -q, rcond=None)[0]
                if nu.min() < 0:
                    return None, cone, ridge
            x = solve_triangular(Rm, q + H @ nu)
            w = x[:n]
            violated = np.flatnonzero(normals_u @ w < -CHECK_RTOL * xn * np.linalg.norm(w))
            if not len(violated):
                break
            cone = np.union1d(cone, violated)
        lam = (2.0 / self.N) * (A @ x - b)
        if self.fit_bias:
            lam -= lam.mean()
        gu = self.X.T @ (weights_u * lam)
        if np.linalg.norm(gu - (2.0 / self.N) * (normals_u.T @ nu[:N])) > CHECK_RTOL * self.scale:
            return None, cone, ridge
        return lam, cone, ridge
