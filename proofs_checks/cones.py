"""Exact cones of a central arrangement, for the checks of appendices A.2 and B.1.

For a sign vector a ∈ {−1, 0, +1}^N the closed cone is R^a = ∩_i H̄_i^{a_i} (paper eq. 5):
a_i w·x_i ≥ 0 where a_i ≠ 0 and w·x_i = 0 where a_i = 0. Its *covector* is the sign vector of
any point of its relative interior; it is found here by one exact LP (cddlib, GMP), independently
of the covector enumeration of :mod:`zonocomb.geometry.flats` that the checks test.
"""
from __future__ import annotations

from fractions import Fraction

from zonocomb.exact import solve_lp
from zonocomb.exact.rational import rank

__all__ = ["interior_covector", "cone_dimension"]


def interior_covector(gens, constraints):
    """The covector of the cone {w : s_i (w·x_i) ≥ 0 where s_i ≠ 0, w·x_i = 0 where s_i = 0}.

    ``constraints`` maps every example index i to s_i ∈ {−1, 0, +1}. One LP: maximise Σ t_i over
    0 ≤ t_i ≤ 1, s_i (w·x_i) ≥ t_i for the signed constraints. The feasible set is a cone, so at an
    optimum t_i = 1 for every constraint that is strict somewhere on it and t_i = 0 for the
    implicit equalities; the covector is s_i on the former and 0 elsewhere.
    """
    n = len(gens[0])
    signed = [(i, s) for i, s in constraints.items() if s != 0]
    k = len(signed)
    rows, eqs = [], []
    for j, (i, s) in enumerate(signed):
        rows.append([Fraction(0)] + [s * x for x in gens[i]] + [Fraction(-int(q == j)) for q in range(k)])
        rows.append([Fraction(1)] + [Fraction(0)] * n + [Fraction(-int(q == j)) for q in range(k)])
        rows.append([Fraction(0)] + [Fraction(0)] * n + [Fraction(int(q == j)) for q in range(k)])
    for i, s in constraints.items():
        if s == 0:
            eqs.append([Fraction(0)] + list(gens[i]) + [Fraction(0)] * k)
    if not k:
        return {i: 0 for i in constraints}
    res = solve_lp(rows, [Fraction(0)] * (1 + n) + [Fraction(1)] * k, maximize=True, equalities=eqs)
    if res.status != "optimal":
        raise ArithmeticError(f"the cone LP ended with status {res.status!r}")
    t = res.x[n:]
    out = {i: 0 for i in constraints}
    for (i, s), tj in zip(signed, t):
        out[i] = s if tj > 0 else 0
    return out


def cone_dimension(gens, covector) -> int:
    """dim R^c = n − rank{x_i : c_i = 0} for a covector c (its relative interior has that zero set)."""
    zero = [gens[i] for i, c in enumerate(covector) if c == 0]
    return len(gens[0]) - (rank(zero) if zero else 0)
