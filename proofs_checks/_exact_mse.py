"""Exact optimum of one unit's MSE region program (paper eq. 3, m = 1, output weight 1, no output bias).

For a barcode b the program is

    minimize (1/N) [ Σ_{b_i=1} (w·x_i − y_i)² + Σ_{b_i=0} y_i² ]  s.t.  s_i w·x_i ≥ 0,  s_i = 2b_i − 1.

Exact quadratic programming by active-set enumeration is exponential, so a float solution is
*polished*: its (numerically) tight constraints T are made equalities, the equality-constrained
least-squares problem is solved in rational arithmetic, and the Karush-Kuhn-Tucker conditions are
verified exactly — a point of its solution set satisfying every sign constraint, and multipliers
μ ≥ 0 on T with ∇F(w) = Σ μ_i s_i x_i (both exact cddlib feasibility LPs).
For a convex program these conditions prove optimality, so a returned value is the exact optimum.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from zonocomb.exact._cdd import solve_lp
from zonocomb.exact.rational import nullspace

__all__ = ["certify_vertex_mse", "TOLERANCES"]

#: Relative thresholds tried, in order, for reading the tight set off the float hint.
TOLERANCES = (1e-9, 1e-7, 1e-5, 1e-3)


def _dot(a, b) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


def _any_solution(M, rhs):
    """A solution of the consistent system M z = rhs (free variables set to 0), exact."""
    rows = [list(r) + [v] for r, v in zip(M, rhs)]
    k = len(M[0]) if M else 0
    pivots, r = [], 0
    for c in range(k):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        inv = 1 / rows[r][c]
        rows[r] = [v * inv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
    if any(all(v == 0 for v in row[:-1]) and row[-1] != 0 for row in rows):
        return None
    z = [Fraction(0)] * k
    for i, c in enumerate(pivots):
        z[c] = rows[i][-1]
    return z


def _feasible_point(gens, signs, w0, directions):
    """A point w0 + Σ t_j d_j with s_i w·x_i ≥ 0 for all i (exact LP), or None."""
    if all(s * _dot(w0, g) >= 0 for s, g in zip(signs, gens)):
        return w0
    if not directions:
        return None
    rows = [[s * _dot(w0, g)] + [s * _dot(d, g) for d in directions] for s, g in zip(signs, gens)]
    res = solve_lp(rows, [Fraction(0)] * (len(directions) + 1), maximize=True)
    if res.status != "optimal":
        return None
    return tuple(a + sum((t * d[j] for t, d in zip(res.x, directions)), Fraction(0)) for j, a in enumerate(w0))


def _certify(gens, y, b, tight):
    """Exact optimum of the program with the constraints in ``tight`` made equalities, if it is
    the optimum of the full program (KKT verified exactly); else None.

    On {w = Bz : x_i·w = 0, i ∈ tight} the least-squares optimum has unique fitted values, hence a
    unique gradient g; its solution set is z_p + ker(normal matrix). KKT holds iff some point of that
    set satisfies every sign constraint (LP) and g = Σ_{i∈tight} μ_i s_i x_i with μ ≥ 0 (LP).
    """
    n = len(gens[0])
    signs = [1 if bi else -1 for bi in b]
    basis = nullspace([gens[i] for i in tight], n) if tight else [
        [Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    active = [i for i in range(len(gens)) if b[i]]
    k = len(basis)
    if k:
        proj = [[_dot(gens[i], col) for col in basis] for i in active]      # X_A B
        M = [[sum((row[p] * row[q] for row in proj), Fraction(0)) for q in range(k)] for p in range(k)]
        rhs = [sum((proj[a][p] * y[i] for a, i in enumerate(active)), Fraction(0)) for p in range(k)]
        z = _any_solution(M, rhs)
        if z is None:
            return None
        kernel = nullspace(M, k)
    else:
        z, kernel = [], []
    w0 = tuple(sum((z[p] * basis[p][j] for p in range(k)), Fraction(0)) for j in range(n))
    directions = [tuple(sum((v[p] * basis[p][j] for p in range(k)), Fraction(0)) for j in range(n))
                  for v in kernel]
    grad = [Fraction(0)] * n
    for i in active:
        r = 2 * (_dot(w0, gens[i]) - y[i])
        grad = [a + r * x for a, x in zip(grad, gens[i])]
    if tight:
        m = len(tight)
        equalities = [[-grad[j]] + [signs[i] * gens[i][j] for i in tight] for j in range(n)]
        nonneg = [[Fraction(0)] + [Fraction(int(p == q)) for q in range(m)] for p in range(m)]
        if solve_lp(nonneg, [Fraction(0)] * (m + 1), maximize=True, equalities=equalities).status != "optimal":
            return None
    elif any(g != 0 for g in grad):
        return None
    return _feasible_point(gens, signs, w0, directions)


def certify_vertex_mse(generators, y, barcode, w_hint, tight_hint=None):
    """Exact optimum of the single-unit MSE program of ``barcode``, polished from a float solution.

    Parameters
    ----------
    generators : sequence of sequences of Fraction, shape (N, n)
    y : sequence of Fraction
    barcode : sequence of 0/1
    w_hint : array-like of float, shape (n,)
        An (approximate) float minimizer, e.g. ``RegionSolution.W[0]``.
    tight_hint : sequence of bool, optional
        The float solver's tight constraints, tried first.

    Returns
    -------
    (loss, w) : (Fraction, tuple of Fraction), or None
        The exact optimal mean loss with an exact KKT point, or None if no tight set read off the
        hint passes the exact KKT test (then nothing is claimed).
    """
    gens = [tuple(Fraction(v) for v in g) for g in generators]
    y = [Fraction(v) for v in y]
    b = tuple(int(v) for v in barcode)
    hint = np.asarray(w_hint, dtype=float)
    G = np.array([[float(v) for v in g] for g in gens])
    vals = np.abs(G @ hint)
    scale = 1.0 + np.linalg.norm(hint) * np.linalg.norm(G, axis=1)
    candidates = []
    if tight_hint is not None:
        candidates.append(tuple(i for i, t in enumerate(tight_hint) if t))
    candidates += [tuple(np.flatnonzero(vals <= tol * scale).tolist()) for tol in TOLERANCES]
    seen = set()
    for tight in candidates:
        if tight in seen:
            continue
        seen.add(tight)
        w = _certify(gens, y, b, list(tight))
        if w is not None:
            loss = sum(((_dot(w, g) - yi) ** 2 if bi else yi ** 2 for g, yi, bi in zip(gens, y, b)), Fraction(0))
            return loss / len(gens), w
    return None
