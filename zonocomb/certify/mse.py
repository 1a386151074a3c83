"""Exact optimum of the MSE region program (paper eq. 3) by a rational primal active-set method.

The program (see :mod:`zonocomb.certify.problem`) is the convex QP

    minimise f(z) = (1/N) ‖M z − y‖²   subject to   a_ui · z ≥ 0   for all units u, examples i,

over z = (w_1, …, w_m, c), with a_ui = s_ui x̄_i in the block of unit u. Every constraint is
homogeneous, so z = 0 lies on every face of the feasible cone: the method starts at z = 0 with a
*working set* (constraints held as equalities, linearly independent per unit) read off the float
solver's tight set, and iterates, exactly:

1. minimise f on the face {a_k · z = 0, k ∈ working set} (an equality-constrained least-squares
   problem: w_u = B_u t_u with B_u an integer null-space basis, then the normal equations in t,
   any basic solution when they are singular);
2. if that minimiser is better than z, step towards it until the first blocking constraint
   (lowest index on ties), which joins the working set;
3. otherwise z minimises f on its face: its multipliers μ solve ∇f(z) = Σ μ_k a_k (unique,
   the working rows being independent). If μ ≥ 0 the KKT conditions hold (z is feasible, μ lives
   on constraints active at z) and z is optimal since the program is convex; else the constraint of
   the lowest index with μ_k < 0 leaves the working set (Bland's rule).

With a correct hint this is one face solve and one multiplier solve. f never increases, and
strictly decreases after every drop, so no face is revisited except through degenerate (zero-length)
steps; ``max_steps`` bounds the walk and a walk that reaches it raises SolverError rather than
return an uncertified point.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import SolverError
from ..exact.rational import particular_solution_int
from .problem import ExactProgram, dot

__all__ = ["mse_active_set", "face_basis"]


def face_basis(rows, n: int):
    """An integer basis of {w ∈ Q^n : r·w = 0 for r in rows}, and which rows were independent.

    Rows are taken in order; a row is independent of the earlier ones iff it is not orthogonal to
    the current basis, which is then updated by integer elimination (each basis vector divided by
    the gcd of its entries). O(len(rows) · n²) integer operations.

    Returns
    -------
    basis : list of list of int
    independent : list of bool
    """
    basis = [[int(j == k) for j in range(n)] for k in range(n)]
    independent = []
    for pos, r in enumerate(rows):
        if not basis:                                   # rank n reached: the rest are dependent
            independent.extend([False] * (len(rows) - pos))
            break
        vals = [dot(r, b) for b in basis]
        j = next((k for k, val in enumerate(vals) if val != 0), None)
        independent.append(j is not None)
        if j is None:
            continue
        bj, vj = basis[j], vals[j]
        new = []
        for q, (b, val) in enumerate(zip(basis, vals)):
            if q == j:
                continue
            if val:
                b = [vj * x - val * y for x, y in zip(b, bj)]
                g = math.gcd(*b)
                b = [x // g for x in b] if g > 1 else b
            new.append(b)
        basis = new
    return basis, independent


def _common(W, c):
    """(W, c) over a common denominator: integer numerators and the denominator."""
    den = 1
    for x in [c] + [x for row in W for x in row]:
        den = math.lcm(den, Fraction(x).denominator)
    return [[int(x * den) for x in row] for row in W], int(c * den), den


#: The float hint, projected on a face's minimisers, is rounded to this grid (any rational works).
_HINT_SCALE = 2 ** 30


def _face_minimiser(prog: ExactProgram, working, near=None):
    """A minimiser of f on the face of ``working`` (per-unit example lists), as (W_num, c_num, den).

    The minimisers are w_u = B_u t_u (B_u an integer basis of the face of unit u) with G t = h (the
    normal equations). When G is singular and a float point ``near = (W, c)`` is given, the
    minimiser returned is the one whose t is closest to the float least-squares coordinates of
    ``near`` (rounded to the grid 1/_HINT_SCALE): t = t₀ + G λ with G² λ = h − G t₀, exact. Otherwise
    it is a basic solution of G t = h.
    """
    columns, owners = [], []
    bases = []
    for u in range(prog.m):
        B, _ = face_basis([prog.Xi[i] for i in working[u]], prog.n)
        bases.append(B)
        if prog.vi[u] == 0 or not any(prog.A[u]) or not B:
            continue                               # w_u does not enter f: keep t_u = 0
        cols = prog._VA[u] * (np.array(B, dtype=object) @ prog._XiT)     # k_u × N
        columns.extend(cols.tolist())
        owners.extend((u, k) for k in range(len(B)))
    if prog.fit_bias:
        columns.append([prog.D] * prog.N)
        owners.append(("c", 0))
    W = [[0] * prog.n for _ in range(prog.m)]
    if not columns:
        return W, 0, 1
    C = np.array(columns, dtype=object)                     # K × N
    G = C @ C.T
    h = C @ prog._yi
    sol = particular_solution_int(G.tolist(), h.tolist())
    if sol is None:                                         # normal equations are always consistent
        raise SolverError("internal error: inconsistent normal equations in the exact face solve")
    t, den, rank = sol
    if rank < len(owners) and near is not None:
        t0 = np.array(_hint_coordinates(prog, bases, owners, near), dtype=object)
        lam = particular_solution_int((G @ G).tolist(), (_HINT_SCALE * h - G @ t0).tolist())
        t = (t0 * lam[1] + G @ np.array(lam[0], dtype=object)).tolist()
        den = _HINT_SCALE * lam[1]
    c = 0
    for (u, k), tk in zip(owners, t):
        if u == "c":
            c = tk
        elif tk:
            W[u] = [w + tk * b for w, b in zip(W[u], bases[u][k])]
    return W, c, den


def _hint_coordinates(prog, bases, owners, near):
    """Integers q with q / _HINT_SCALE ≈ the coordinates t of the float point ``near`` in the
    face's bases (per unit, float least squares w_u ≈ B_u t_u)."""
    W_hint, c_hint = near
    coords = {}
    for u, B in enumerate(bases):
        if B and any(o[0] == u for o in owners):
            t_u = np.linalg.lstsq(np.array(B, dtype=float).T, np.asarray(W_hint[u], dtype=float), rcond=None)[0]
            coords.update({(u, k): x for k, x in enumerate(t_u)})
    coords[("c", 0)] = float(c_hint)
    return [int(round(coords[o] * _HINT_SCALE)) for o in owners]


def _evaluate(prog, W, c, den):
    """The residual den · r'' at (W/den, c/den) (integers) and Σ (den r''_i)² = den² N D² f."""
    r = prog.scaled_residual(W, c, den=den)
    return r, sum(x * x for x in r)


def _multipliers(prog: ExactProgram, r, den, working):
    """ν with ½ N D² / D_x · ∇_{w_u} f = Σ_{i ∈ working[u]} ν_ui s_ui X'_i at the point (W/den, c/den)
    of residual r = den · r'', or None if that point is not a minimiser of f on its face (no such ν
    exists or ∂f/∂c ≠ 0)."""
    if prog.fit_bias and sum(r) != 0:
        return None
    nu = {}
    grads = ((prog._VA * np.array(r, dtype=object)) @ prog._XiT.T).tolist()     # m × n
    for u in range(prog.m):
        g = grads[u]
        rows = [[prog.sign(u, i) * x for x in prog.Xi[i]] for i in working[u]]
        if not rows:
            if any(g):
                return None
            continue
        gram = [[dot(p, q) for q in rows] for p in rows]
        sol = particular_solution_int(gram, [dot(p, g) for p in rows])
        if sol is None or any(sum(s * row[j] for s, row in zip(sol[0], rows)) != g[j] * sol[1]
                              for j in range(prog.n)):
            return None
        nu.update({(u, i): Fraction(s, den * sol[1]) for i, s in zip(working[u], sol[0])})
    return nu


def _initial_working_set(prog: ExactProgram, order):
    """Per unit, the hinted constraints (``order[u]``, most important first) that are linearly
    independent of the ones before them."""
    working = []
    for u in range(prog.m):
        hinted = list(order[u]) if order is not None else []
        _, independent = face_basis([prog.Xi[i] for i in hinted], prog.n)
        working.append(sorted(i for i, ok in zip(hinted, independent) if ok))
    return working


def mse_active_set(prog: ExactProgram, order=None, near=None, max_steps: int | None = None):
    """Exact optimum of the MSE region program from the hinted tight set (see the module doc).

    Parameters
    ----------
    prog : ExactProgram
        With ``prog.loss == "mse"``.
    order : list of m lists of int, optional
        Per unit, the constraints the float solver found tight, most likely active first (see
        :func:`zonocomb.certify.hint.working_order`); None starts from an empty working set.
    near : (W, c) of floats, optional
        The float optimum: among the minimisers of a face (a set when the face's least-squares
        problem is rank deficient) the one nearest to it is taken (see :func:`_face_minimiser`).
    max_steps : int, optional
        Bound on the active-set steps (default 10 m N + 10).

    Returns
    -------
    W : list of list of Fraction
    c : Fraction
    multipliers : dict
        (u, i) → μ_ui ≥ 0 of eq. (3)'s constraint s_ui w_u·x̄_i ≥ 0, on the final working set
        (all other multipliers are 0).
    steps : int
        Active-set steps taken beyond the hinted face (0 when the hint was right).
    loss : Fraction
        f(W, c), the optimal mean loss.
    sigma : list of Fraction
        The loss derivative 2 r_i / N at the optimal residual r = ŷ − y.

    Raises
    ------
    SolverError
        The walk exceeded ``max_steps`` (a cycle under degeneracy); nothing is returned then.
    """
    max_steps = 10 * prog.m * prog.N + 10 if max_steps is None else max_steps
    working = _initial_working_set(prog, order)
    W, c, den = [[0] * prog.n for _ in range(prog.m)], 0, 1
    r, ss = _evaluate(prog, W, c, den)
    steps = 0
    face_optimal = False
    while steps <= max_steps:
        if not face_optimal:
            W_star, c_star, den_star = _face_minimiser(prog, working, near)
            r_star, ss_star = _evaluate(prog, W_star, c_star, den_star)
            if ss_star * den * den < ss * den_star * den_star:           # f(W*) < f(W)
                blocking, alpha = _ratio_test(prog, W, den, W_star, den_star, working)
                if blocking is None:
                    W, c, den, r, ss = W_star, c_star, den_star, r_star, ss_star
                else:
                    a, b = 1 - alpha, alpha
                    W, c, den = _common([[a * Fraction(w, den) + b * Fraction(ws, den_star)
                                          for w, ws in zip(wr, wsr)] for wr, wsr in zip(W, W_star)],
                                        a * Fraction(c, den) + b * Fraction(c_star, den_star))
                    r, ss = _evaluate(prog, W, c, den)
                    u, i = blocking
                    working[u] = sorted(working[u] + [i])
                    steps += 1
                    continue
        nu = _multipliers(prog, r, den, working)
        if nu is None:
            raise SolverError("internal error: the exact face minimiser fails the face's stationarity")
        negative = [k for k in sorted(nu) if nu[k] < 0]
        if not negative:
            scale = Fraction(2 * prog.Dx, prog.N * prog.D ** 2)
            W = [[Fraction(w, den) for w in row] for row in W]
            sigma = [Fraction(2 * x, den * prog.D * prog.N) for x in r]
            return W, Fraction(c, den), {k: val * scale for k, val in nu.items()}, steps, \
                Fraction(ss, den * den * prog.N * prog.D ** 2), sigma
        u, i = negative[0]
        working[u] = [j for j in working[u] if j != i]
        face_optimal = False
        steps += 1
    raise SolverError(f"the exact active-set walk did not terminate within {max_steps} steps")


def _ratio_test(prog: ExactProgram, W, den, W_star, den_star, working):
    """First constraint outside the working set hit on the segment from W/den to W_star/den_star.

    Returns ((u, i), α) with α ∈ [0, 1) the step fraction, or (None, 1) when the whole segment is
    feasible. Ties go to the lowest (u, i).
    """
    best, alpha = None, Fraction(1)
    for u in range(prog.m):
        step = np.array([ws * den - w * den_star for w, ws in zip(W[u], W_star[u])], dtype=object)
        if not step.any():
            continue                                    # den·den_star·(W* − W) = 0 for this unit
        inside = set(working[u])
        rates = (step @ prog._XiT).tolist()
        starts = None
        for i, rate in enumerate(rates):
            s = prog.sign(u, i)
            if s * rate < 0 and i not in inside:
                if starts is None:
                    starts = (np.array(W[u], dtype=object) @ prog._XiT).tolist()
                ratio = Fraction(s * starts[i] * den_star, -s * rate)
                if ratio < alpha:
                    best, alpha = (u, i), ratio
    return best, alpha
