"""Rigorous two-sided bounds on the logistic region optimum (paper eq. 3, appendix H.2.2).

The logistic optimum is transcendental, so instead of an exact value :func:`bound_logistic`
returns rationals L ≤ f* ≤ U with their evidence:

* **upper**: an exact rational feasible point (W, c) — the float optimum rounded, each unit
  projected exactly onto the face of its float-tight constraints, then checked feasible exactly —
  and U ≥ f(W, c), the loss (1/N) Σ_i [log(1 + e^{ŷ_i}) − y_i ŷ_i] evaluated in interval
  arithmetic (mpmath ``iv``, outward rounding) and rounded up to a rational;
* **lower**: weak duality. By Fenchel–Young, log(1 + e^t) ≥ σ t + H(σ) for σ ∈ [0, 1] with the
  binary entropy H(σ) = −σ log σ − (1 − σ) log(1 − σ). If σ ∈ [0, 1]^N and μ ≥ 0 satisfy
  Σ_i (σ_i − y_i) v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i for every unit (and Σ_i (σ_i − y_i) = 0 when
  c is fitted), then Σ_i (σ_i − y_i) ŷ_i = Σ μ_ui s_ui w_u·x̄_i ≥ 0 on the region and
  f(z) ≥ (1/N) Σ_i H(σ_i) for every feasible z. σ and μ are exact rationals: the float
  σ̃ = sigmoid(ŷ) and non-negative least-squares multipliers are projected exactly onto that
  linear system, and an exact LP (closest point in the L1 distance) is used if the projection
  leaves the bounds; L is the entropy sum in interval arithmetic, rounded down.

:meth:`LogisticBounds.verify` re-checks feasibility, the dual conditions and both interval
evaluations from the dataset alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import nnls
from scipy.special import expit

from ..exact import solve_lp
from ..exact.rational import particular_solution
from .mse import face_basis
from .problem import ExactProgram, dot
from .region import CertificateError, check_dual_equations, checked_predictions

__all__ = ["LogisticBounds", "bound_logistic"]

#: Bits of the interval arithmetic.
PRECISION = 120


def _iv():
    from mpmath import iv
    return iv


def _interval(q: Fraction):
    iv = _iv()
    return iv.mpf(q.numerator) / iv.mpf(q.denominator)


def _endpoints(x) -> tuple[Fraction, Fraction]:
    from mpmath.libmp import to_rational
    lo, hi = x._mpi_
    return Fraction(*to_rational(lo)), Fraction(*to_rational(hi))


def _loss_interval(yhat, y):
    """(1/N) Σ [log(1 + e^ŷ_i) − y_i ŷ_i] as a rational interval (outward rounding)."""
    iv = _iv()
    total = iv.mpf(0)
    for t, yi in zip(yhat, y):
        x = _interval(t)
        total += iv.log(1 + iv.exp(x)) - _interval(yi * t)
    return _endpoints(total / len(yhat))


def _entropy_interval(sigma):
    """(1/N) Σ H(σ_i) as a rational interval (outward rounding), H(0) = H(1) = 0."""
    iv = _iv()
    total = iv.mpf(0)
    for s in sigma:
        if 0 < s < 1:
            a, b = _interval(s), _interval(1 - s)
            total += -(a * iv.log(a)) - b * iv.log(b)
    return _endpoints(total / len(sigma))


@dataclass(frozen=True)
class LogisticBounds:
    """Rational bounds ``lower ≤ f* ≤ upper`` on a logistic region optimum, with their evidence.

    Attributes
    ----------
    lower, upper : Fraction
    W : tuple of tuple of Fraction
        A feasible point attaining a loss ≤ ``upper``.
    c : Fraction
    sigma : tuple of Fraction
        Dual point in [0, 1]^N (``lower`` ≤ (1/N) Σ H(σ_i)).
    multipliers : tuple of tuple of Fraction, shape (m, N)
    pattern, v, fit_bias, dataset
        The program.
    """

    lower: Fraction
    upper: Fraction
    W: tuple
    c: Fraction
    sigma: tuple
    multipliers: tuple
    pattern: tuple
    v: tuple
    fit_bias: bool
    dataset: object

    def verify(self) -> None:
        """Re-check both bounds from the dataset (exact rationals and interval arithmetic).

        Raises
        ------
        CertificateError
            Naming the first condition that fails.
        """
        X, y, A, v = self.dataset.generators_exact, self.dataset.y_exact, self.pattern, self.v
        _, yhat = checked_predictions(X, A, v, self.W, self.c, self.fit_bias)
        if any(not 0 <= s <= 1 for s in self.sigma):
            raise CertificateError("the dual point σ leaves [0, 1]")
        check_dual_equations(X, A, v, [s - yi for s, yi in zip(self.sigma, y)], self.multipliers,
                             self.fit_bias)
        iv = _iv()
        old = iv.prec
        iv.prec = PRECISION
        try:
            if _loss_interval(yhat, y)[1] > self.upper:
                raise CertificateError("the upper bound is below the loss at W, c")
            if _entropy_interval(self.sigma)[0] < self.lower:
                raise CertificateError("the lower bound exceeds the dual value")
        finally:
            iv.prec = old
        if self.lower > self.upper:
            raise CertificateError("lower bound above upper bound")


def _feasible_point(prog: ExactProgram, hint):
    """The float W rounded and each unit projected exactly onto its float-tight face; None if the
    result is not feasible."""
    W = []
    for u in range(prog.m):
        w = [Fraction(float(x)) for x in hint.W[u]]
        tight = [i for i in range(prog.N) if hint.tight[u][i]]
        B, _ = face_basis([prog.Xi[i] for i in tight], prog.n)
        if not B:
            W.append([Fraction(0)] * prog.n)
            continue
        gram = [[dot(a, b) for b in B] for a in B]
        t = particular_solution(gram, [dot(b, w) for b in B])
        W.append([sum((tk * b[j] for tk, b in zip(t, B)), Fraction(0)) for j in range(prog.n)])
    c = Fraction(float(hint.c)) if prog.fit_bias else Fraction(0)
    feasible = all(prog.sign(u, i) * dot(W[u], prog.X[i]) >= 0 for u in range(prog.m) for i in range(prog.N))
    return (W, c) if feasible else None


def _dual_point(prog: ExactProgram, hint):
    """Exact σ ∈ [0, 1]^N and μ ≥ 0 satisfying the dual conditions, near the float ones."""
    X, A, N = prog.X_float, np.array(prog.A, dtype=bool), prog.N
    yhat = prog.v_float @ (A * (np.asarray(hint.W) @ X.T)) + hint.c
    s_float = expit(yhat)
    grad = (prog.v_float[:, None] * ((A * (s_float - prog.y_float)) @ X))          # m × n
    keys, mu_float = [], []
    for u in range(prog.m):
        T = np.flatnonzero(hint.tight[u])
        if T.size:
            normals = (np.where(A[u, T], 1.0, -1.0)[:, None] * X[T]).T
            mult, _ = nnls(normals, grad[u])
            for i, mu in zip(T, mult):
                if mu > 0:
                    keys.append((u, int(i)))
                    mu_float.append(mu)
    # unknowns x = (σ_1..σ_N, μ_k): rows of J x = b, one per coordinate of (w_1..w_m, c)
    J, b = [], []
    for u in range(prog.m):
        for j in range(prog.n):
            row = [prog.v[u] * prog.X[i][j] if prog.A[u][i] else Fraction(0) for i in range(N)]
            row += [-(prog.sign(uu, i) * prog.X[i][j]) if uu == u else Fraction(0) for uu, i in keys]
            J.append(row)
            b.append(sum((r * yi for r, yi in zip(row[:N], prog.y)), Fraction(0)))
    if prog.fit_bias:
        J.append([Fraction(1)] * N + [Fraction(0)] * len(keys))
        b.append(sum(prog.y, Fraction(0)))
    q = [Fraction(float(x)) for x in s_float] + [Fraction(float(x)) for x in mu_float]
    # nearest solution to q: x = q + Jᵀ λ with J Jᵀ λ = b − J q
    JJ = [[dot(r, s) for s in J] for r in J]
    lam = particular_solution(JJ, [bi - dot(r, q) for r, bi in zip(J, b)])
    x = [qk + sum((l * J[r][k] for r, l in enumerate(lam)), Fraction(0)) for k, qk in enumerate(q)]
    if not (all(0 <= s <= 1 for s in x[:N]) and all(mu >= 0 for mu in x[N:])):
        x = _closest_by_lp(J, b, q, N)
    mult = [[Fraction(0)] * N for _ in range(prog.m)]
    for (u, i), mu in zip(keys, x[N:]):
        mult[u][i] = mu
    return x[:N], mult


def _closest_by_lp(J, b, q, N):
    """An exact point of {J x = b, 0 ≤ σ ≤ 1, μ ≥ 0} minimising Σ |x_k − q_k| (cddlib)."""
    k = len(q)
    zero = [Fraction(0)] * k
    ineqs, eqs = [], []
    for r, bi in zip(J, b):
        eqs.append([-bi] + list(r) + zero)
    for j in range(k):
        e = [Fraction(int(t == j)) for t in range(k)]
        ineqs.append([-q[j]] + e + e)                          # t_j ≥ x_j − q_j
        ineqs.append([q[j]] + [-v for v in e] + e)             # t_j ≥ q_j − x_j
        ineqs.append([Fraction(0)] + e + zero)                 # x_j ≥ 0
        if j < N:
            ineqs.append([Fraction(1)] + [-v for v in e] + zero)   # σ_j ≤ 1
    res = solve_lp(ineqs, [Fraction(0)] + zero + [Fraction(1)] * k, maximize=False, equalities=eqs)
    if res.status != "optimal":
        raise CertificateError("no dual point exists near the float optimum")
    return list(res.x[:k])


def bound_logistic(dataset, pattern, v, fit_bias: bool = True, hint=None) -> LogisticBounds:
    """Rigorous rational bounds on the optimum of a logistic region program (see the module doc).

    Parameters
    ----------
    dataset : Dataset
        Labels in {0, 1}.
    pattern, v, fit_bias
        As for :func:`zonocomb.certify_exact`.
    hint : RegionSolution, optional
        The float optimum (the fast float solver is run when omitted).

    Returns
    -------
    LogisticBounds
        ``lower ≤ f* ≤ upper``; the gap is the float solver's accuracy (about 1e-12 relative).

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[0], [1], [2], [3]], y=[0, 1, 0, 1])
    >>> b = bound_logistic(ds, [[1, 1, 1, 1]], [1])
    >>> b.verify()
    >>> 0 <= b.upper - b.lower < Fraction(1, 10 ** 12), round(float(b.lower), 9)
    (True, 0.586871634)

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad input (labels outside {0, 1} included).
    CertificateError
        The rounded float point is not feasible, or no dual point is found near the float one.
    """
    from ..convex.region import RegionProgram

    prog = ExactProgram(dataset, pattern, v, loss="logistic", fit_bias=fit_bias)
    if hint is None:
        hint = RegionProgram(dataset, list(prog.v_float), loss="logistic", fit_bias=fit_bias).solve(
            np.array(prog.A, dtype=bool))
    point = _feasible_point(prog, hint)
    if point is None:
        raise CertificateError("the rounded float optimum is not feasible for the pattern")
    W, c = point
    sigma, mult = _dual_point(prog, hint)
    yhat = [sum((prog.v[u] * dot(W[u], prog.X[i]) for u in range(prog.m) if prog.A[u][i]), Fraction(0)) + c
            for i in range(prog.N)]
    iv = _iv()
    old = iv.prec
    iv.prec = PRECISION
    try:
        upper = _loss_interval(yhat, prog.y)[1]
        lower = _entropy_interval(sigma)[0]
    finally:
        iv.prec = old
    return LogisticBounds(lower=lower, upper=upper, W=tuple(map(tuple, W)), c=c, sigma=tuple(sigma),
                          multipliers=tuple(map(tuple, mult)), pattern=prog.A, v=prog.v,
                          fit_bias=prog.fit_bias, dataset=dataset)
