"""Faces of zonotopes from flats (zonocomb.geometry.flats).

Independent evidence: the general-position closed form f_k = 2·C(N,k)·Σ_{i<n−k} C(N−k−1, i),
Euler's relation, cddlib's convex hull of brute-force vertices (zonocomb.geometry.faces with
barcodes from proofs_checks.brute), and covectors by brute force over sign vectors (an exact LP
per sign vector).
"""
from __future__ import annotations

from itertools import combinations, product
from math import comb

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonocomb.proofs_checks.brute import brute_force_vertices, in_linear_general_position
from zonocomb.errors import InvalidInputError
from zonocomb.exact import solve_lp
from zonocomb.exact.rational import rank
from zonocomb.geometry.faces import f_vector
from zonocomb.geometry.flats import covectors_from_flats, face_counts, flats
from zonocomb.geometry.zonotope import Zonotope


def closed_form_f(N: int, n: int) -> tuple[int, ...]:
    return tuple(2 * comb(N, k) * sum(comb(N - k - 1, i) for i in range(n - k)) for k in range(min(N, n)))


def in_span(rows, x) -> bool:
    return rank(list(rows) + [x]) == rank(list(rows)) if rows else not any(x)


def is_covector(gens, sigma) -> bool:
    """Exact LP: is there w with sign(w·x_i) = σ_i for all i? (maximise a margin t ≤ 1)."""
    n = len(gens[0])
    ineq, eqs = [], []
    for g, s in zip(gens, sigma):
        if s == 0:
            eqs.append([0] + list(g) + [0])
        else:
            ineq.append([0] + [s * v for v in g] + [-1])        # s·(w·x) − t ≥ 0
    ineq.append([1] + [0] * n + [-1])                           # t ≤ 1
    res = solve_lp(ineq, [0] * (n + 1) + [1], maximize=True, equalities=eqs)
    return res.status == "optimal" and res.value > 0


small_integer_rows = st.integers(2, 4).flatmap(
    lambda n: st.lists(st.lists(st.integers(-3, 3), min_size=n, max_size=n)
                       .filter(lambda r: any(r)), min_size=1, max_size=6))


@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(1, 9))
@settings(max_examples=25, deadline=None)
def test_general_position_counts_match_closed_form(seed, n, N):
    rng = np.random.default_rng(seed)
    G = [[int(v) for v in row] for row in rng.integers(-20, 21, size=(N, n))]
    if any(not any(r) for r in G) or not in_linear_general_position(G):
        return
    fv = face_counts(G)
    assert fv == closed_form_f(N, n)
    r = min(N, n)
    assert sum((-1) ** k * f for k, f in enumerate(fv)) == 1 - (-1) ** r      # Euler


@given(small_integer_rows)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_counts_equal_convex_hull_counts_on_arbitrary_data(G):
    """Degenerate data (parallel, repeated, coplanar, non-spanning) included: cddlib agrees."""
    V = brute_force_vertices(G)
    assert face_counts(G) == f_vector(G, V)
    assert face_counts(G)[0] == len(V)


@given(small_integer_rows)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_covectors_equal_brute_force_sign_vectors(G):
    if len(G) > 5:
        G = G[:5]
    expected = sorted(s for s in product((-1, 0, 1), repeat=len(G)) if is_covector(G, s))
    assert covectors_from_flats(G) == expected


@given(small_integer_rows)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_flats_are_closed_have_their_rank_and_are_all_found(G):
    levels = flats(G)
    N = len(G)
    assert levels[0] == [frozenset()] and levels[-1] == [frozenset(range(N))]
    assert len(levels) == rank(G) + 1
    found = set()
    for k, level in enumerate(levels):
        for F in level:
            rows = [G[i] for i in sorted(F)]
            assert rank(rows) == k if rows else k == 0
            assert all(in_span(rows, G[j]) == (j in F) for j in range(N))        # closed
            found.add(F)
    # every closure of a subset of generators is listed
    for size in range(N + 1):
        for S in combinations(range(N), size):
            rows = [G[i] for i in S]
            closure = frozenset(j for j in range(N) if in_span(rows, G[j]))
            assert closure in found


def test_zonotope_f_vector_uses_flats_and_scales():
    """N = 40 generic points in the plane (n = 3): cddlib's hull would need all 1562 vertices."""
    rng = np.random.default_rng(3)
    X = rng.integers(-1000, 1001, size=(40, 2)).tolist()
    Z = Zonotope([row + [1] for row in X])
    assert Z.f_vector() == closed_form_f(40, 3)
    assert Z.f_vector()[0] == Z.num_vertices()


def test_rejects_zero_generator():
    with pytest.raises(InvalidInputError, match="zero"):
        face_counts([[1, 0], [0, 0]])
