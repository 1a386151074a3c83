"""Exact optimum of the L1 region program (paper eq. 3 with ℓ = |ŷ − y|, appendix D), by exact LPs.

The region program with the absolute loss is the linear program

    minimise (1/N) Σ_i e_i   over z = (w_1, …, w_m, c), e ∈ Q^N
    subject to e_i ≥ ± (ŷ_i(z) − y_i),   s_ui (w_u·x̄_i) ≥ 0,

solved exactly by cddlib's criss-cross method in GMP rationals (:func:`zonocomb.exact.solve_lp`;
no float hint is needed). Its certificate is a subgradient σ ∈ ∂((1/N) Σ_i |r_i|) at the residual
r = ŷ − y (σ_i = sign(r_i)/N where r_i ≠ 0, |σ_i| ≤ 1/N where r_i = 0) and multipliers μ ≥ 0 on
the constraints that are tight at z with Σ_i σ_i v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i for every unit
(and Σ_i σ_i = 0 when c is fitted): the KKT conditions of the convex program, which exist at every
optimum of a linear program and are found by a second exact LP (a feasibility problem).
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import SolverError
from ..exact import solve_lp
from .problem import ExactProgram, dot

__all__ = ["l1_optimum"]


def _design_row(prog: ExactProgram, i: int) -> list[Fraction]:
    """M_i: ŷ_i = M_i · z, z = (w_1, …, w_m, c)."""
    row = []
    for u in range(prog.m):
        coef = prog.v[u] if prog.A[u][i] else Fraction(0)
        row.extend(coef * x for x in prog.X[i])
    if prog.fit_bias:
        row.append(Fraction(1))
    return row


def _constraint_row(prog: ExactProgram, u: int, i: int, p: int) -> list[Fraction]:
    """a_ui: a_ui · z = s_ui w_u·x̄_i."""
    row = [Fraction(0)] * p
    row[u * prog.n:(u + 1) * prog.n] = [prog.sign(u, i) * x for x in prog.X[i]]
    return row


def l1_optimum(prog: ExactProgram):
    """Exact optimum of the L1 region program of ``prog`` with its KKT certificate.

    Returns
    -------
    W : list of list of Fraction
    c : Fraction
    sigma : list of Fraction
        The subgradient σ of the loss at the optimal residual.
    multipliers : dict
        (u, i) → μ_ui ≥ 0 (zero entries omitted).
    loss : Fraction

    Raises
    ------
    SolverError
        cddlib reports the LP as not optimal, or no KKT certificate exists at its point (neither
        can happen for this bounded, feasible program).

    Notes
    -----
    Two exact LPs with p + N and N + |tight| variables (p = m n + [fit_bias]).
    """
    N, p = prog.N, prog.m * prog.n + int(prog.fit_bias)
    M = [_design_row(prog, i) for i in range(N)]
    zeros_e = [Fraction(0)] * N
    rows = []
    for i in range(N):
        unit = [Fraction(int(j == i)) for j in range(N)]
        rows.append([prog.y[i]] + [-x for x in M[i]] + unit)          # e_i − ŷ_i + y_i ≥ 0
        rows.append([-prog.y[i]] + M[i] + unit)                       # e_i + ŷ_i − y_i ≥ 0
    for u in range(prog.m):
        for i in range(N):
            rows.append([Fraction(0)] + _constraint_row(prog, u, i, p) + zeros_e)
    primal = solve_lp(rows, [Fraction(0)] + [Fraction(0)] * p + [Fraction(1, N)] * N, maximize=False)
    if primal.status != "optimal":
        raise SolverError(f"the exact L1 region LP ended with status {primal.status!r}")
    z = primal.x[:p]
    W = [list(z[u * prog.n:(u + 1) * prog.n]) for u in range(prog.m)]
    c = z[p - 1] if prog.fit_bias else Fraction(0)
    resid = [dot(M[i], z) - prog.y[i] for i in range(N)]
    loss = sum(abs(r) for r in resid) / N
    sigma, multipliers = _certificate(prog, W, resid, M, p)
    return W, c, sigma, multipliers, loss


def _certificate(prog: ExactProgram, W, resid, M, p):
    """σ and μ of the KKT conditions at the optimal point, by an exact feasibility LP."""
    N = prog.N
    free = [i for i in range(N) if resid[i] == 0]                 # σ_i ∈ [−1/N, 1/N]
    tight = [(u, i) for u in range(prog.m) for i in range(N) if dot(W[u], prog.X[i]) == 0]
    fixed = [Fraction(1 if r > 0 else -1, N) if r else Fraction(0) for r in resid]
    k, t = len(free), len(tight)
    # unknowns (σ_free, μ_tight); equations Mᵀσ − Σ μ a = 0, one per coordinate of z
    eqs = []
    for j in range(p):
        const = sum((fixed[i] * M[i][j] for i in range(N)), Fraction(0))
        coeffs = [M[i][j] for i in free] + [-_constraint_row(prog, u, i, p)[j] for u, i in tight]
        eqs.append([const] + coeffs)
    bound = Fraction(1, N)
    ineqs = []
    for q in range(k):
        ineqs.append([bound] + [Fraction(int(r == q)) for r in range(k + t)])      # σ_q ≥ −1/N
        ineqs.append([bound] + [Fraction(-int(r == q)) for r in range(k + t)])     # σ_q ≤ 1/N
    for q in range(t):
        ineqs.append([Fraction(0)] + [Fraction(int(r == k + q)) for r in range(k + t)])  # μ ≥ 0
    if k + t == 0:
        if any(e[0] != 0 for e in eqs):
            raise SolverError("no KKT certificate at the exact L1 optimum")
        x = ()
    else:
        res = solve_lp(ineqs, [Fraction(0)] * (k + t + 1), maximize=True, equalities=eqs)
        if res.status != "optimal":
            raise SolverError("no KKT certificate at the exact L1 optimum")
        x = res.x
    sigma = list(fixed)
    for q, i in enumerate(free):
        sigma[i] = x[q]
    multipliers = {key: x[k + q] for q, key in enumerate(tight) if x[k + q] != 0}
    return sigma, multipliers
