"""Brute-force references used by the checks and the tests, independent of the vertex engine.

The tests use them too (docs/design.md §8); :mod:`zonocomb.proofs_checks` does not list this
module as a check. They are deliberately simple and slow: exact linear programs (cddlib, GMP) and
exhaustive subsets, giving evidence that does not share code with :mod:`zonocomb.geometry.zonotope`.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from zonocomb.exact import solve_lp
from zonocomb.exact.rational import rank


def open_cone_nonempty(gens, signs) -> bool:
    """Whether {w : s_i w·x_i > 0 for all i} is nonempty: max t s.t. s_i w·x_i >= t, t <= 1 is > 0."""
    n = len(gens[0])
    rows = [[Fraction(0)] + [s * x for x in g] + [Fraction(-1)] for s, g in zip(signs, gens)]
    rows.append([Fraction(1)] + [Fraction(0)] * n + [Fraction(-1)])
    res = solve_lp(rows, [Fraction(0)] * (n + 1) + [Fraction(1)], maximize=True)
    return res.status == "optimal" and res.value > 0


def brute_force_vertices(generators) -> list[tuple[int, ...]]:
    """Vertex barcodes of Z = Σ [0, x_i] by exact linear programming (paper appendix A.3).

    A pattern λ ∈ {0,1}^N is a vertex barcode iff the open cone {w : (2λ_i − 1) w·x_i > 0} is
    nonempty, decided by one exact margin LP. Patterns are grown one generator at a time and a
    prefix is dropped as soon as its cone is empty (the cone of a full pattern lies inside the
    cone of each of its prefixes), so the result equals the filter over all 2^N patterns with
    far fewer LPs.
    """
    gens = [[Fraction(v) for v in g] for g in generators]
    level = [()]
    for k in range(len(gens)):
        level = [p + (b,) for p in level for b in (0, 1)
                 if open_cone_nonempty(gens[:k + 1], [2 * l - 1 for l in p + (b,)])]
    return sorted(level)


def in_linear_general_position(generators) -> bool:
    """Every min(N, n) of the generators are linearly independent (exhaustive, exact ranks)."""
    gens = [[Fraction(v) for v in g] for g in generators]
    k = min(len(gens), len(gens[0]))
    return all(rank([gens[i] for i in sub]) == k for sub in combinations(range(len(gens)), k))
