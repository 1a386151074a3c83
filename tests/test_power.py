"""The Cartesian power Z^m (zonocomb.geometry.power.ZonotopePower), paper §3 and app. A.3.1.

Independent evidence: the vertices of Z^m are compared with exact brute-force LPs on the product
zonotope's own generators e_u ⊗ x_i, and its edges with the 1-skeleton of that product zonotope
computed by the face lattice (zonocomb.geometry.faces), which does not use Zonotope.neighbors.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonocomb.proofs_checks.brute import brute_force_vertices
from zonocomb.proofs_checks.power_structure import product_generators
from zonocomb.errors import InvalidInputError, InvalidTypeError, TooLargeError
from zonocomb.geometry.dataset import Dataset
from zonocomb.geometry.faces import zonotope_faces
from zonocomb.geometry.power import ZonotopePower
from zonocomb.geometry.zonotope import Zonotope

CASES = [
    ([[0, 0], [3, 1], [1, 4], [-2, 2]], 2),     # general position
    ([[0, 0], [1, 1], [2, 2], [3, -1]], 2),     # three collinear points
    ([[1, 2], [1, 2], [0, 1]], 2),              # a repeated point: an edge flips two examples
    ([[-1], [1], [4]], 3),
]


def key(A) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(A).reshape(-1))


def product_skeleton(generators, m):
    """Vertices and edges of Z^m from its own generators: brute-force LPs + the face lattice."""
    pg = product_generators(generators, m)
    V = brute_force_vertices(pg)
    adj = {v: set() for v in V}
    for f in zonotope_faces(pg, V):
        if f.dim == 1:
            a, b = f.vertices
            adj[a].add(b)
            adj[b].add(a)
    return adj


@pytest.mark.parametrize("X,m", CASES)
def test_product_structure_against_product_zonotope(X, m):
    ds = Dataset(X)
    Z = ds.zonotope()
    P = ZonotopePower(Z, m)
    adj = product_skeleton(ds.generators_exact, m)
    verts = P.vertices()
    assert P.num_vertices() == Z.num_vertices() ** m == len(verts) == len(adj)
    assert {key(A) for A in verts} == set(adj)
    for A in verts:
        assert A.dtype == np.bool_ and A.shape == (m, ds.N)
        nbs = P.neighbors(A)
        assert {key(B) for B in nbs} == adj[key(A)]
        # deg A = Σ_u deg_Z(A_u) ≤ mN, no duplicates.
        deg = sum(len(Z.neighbors(tuple(int(v) for v in row))) for row in A)
        assert len(nbs) == len({key(B) for B in nbs}) == deg <= m * ds.N


@pytest.mark.parametrize("X,m", CASES)
def test_neighbors_move_one_unit_along_one_edge(X, m):
    Z = Dataset(X).zonotope()
    P = ZonotopePower(Z, m)
    for A in P.vertices():
        A_before = A.copy()
        moves = P.neighbor_moves(A)
        nbs = P.neighbors(A)
        assert np.array_equal(A, A_before)  # A untouched
        assert len(moves) == len(nbs)
        for (u, flipped), B in zip(moves, nbs):
            changed_rows = np.flatnonzero((A != B).any(axis=1))
            assert list(changed_rows) == [u]
            assert tuple(np.flatnonzero(A[u] != B[u])) == flipped
            assert tuple(int(v) for v in B[u]) in Z.neighbors(tuple(int(v) for v in A[u]))
            # Symmetry of the neighbour relation.
            assert any(np.array_equal(A, C) for C in P.neighbors(B))


def test_random_vertex_is_a_seeded_vertex():
    ds = Dataset([[0, 0], [3, 1], [1, 4], [-2, 2], [5, -3], [2, 2]])
    P = ZonotopePower(ds.zonotope(), 4)
    seen = set()
    for seed in range(30):
        A = P.random_vertex(seed)
        assert A.dtype == np.bool_ and A.shape == (4, 6) and P.is_vertex(A)
        assert np.array_equal(A, P.random_vertex(seed))
        assert np.array_equal(A, P.random_vertex(np.random.default_rng(seed)))
        # It is the paper's pattern 1[W x̄ > 0] of the Gaussian weights drawn from that seed.
        W = np.random.default_rng(seed).standard_normal((4, ds.n))
        assert np.array_equal(A, W @ ds.generators_float.T > 0)
        seen.add(key(A))
    assert len(seen) > 20
    assert P.is_vertex(P.random_vertex())


def test_random_vertex_signs_are_exact():
    # w·x is exactly 0: undecidable pattern, the unit must be redrawn.
    P = ZonotopePower(Zonotope([[1, -1], [1, 2]]), 1)
    assert P.unit_pattern(np.array([1.0, 1.0])) is None
    # w·x = 1 but float64 rounds the scaled generator and gets the sign wrong or zero.
    big = 10 ** 17
    P = ZonotopePower(Zonotope([[big + 1, -big], [0, 1]]), 1)
    w = np.array([1.0, 1.0])
    assert P.unit_pattern(w).tolist() == [True, True]
    P = ZonotopePower(Zonotope([[big - 1, -big], [0, 1]]), 1)
    assert P.unit_pattern(w).tolist() == [False, True]


def test_vertices_refuses_large_cases():
    Z = Dataset([[0, 0], [3, 1], [1, 4], [-2, 2]]).zonotope()
    P = ZonotopePower(Z, 5)
    assert P.num_vertices() == 14 ** 5
    with pytest.raises(TooLargeError, match=str(14 ** 5)):
        P.vertices()
    assert len(ZonotopePower(Z, 2).vertices(limit=196)) == 196
    with pytest.raises(TooLargeError):
        ZonotopePower(Z, 2).vertices(limit=195)


def test_m_equal_one_is_z_itself():
    Z = Dataset([[0, 0], [1, 1], [2, 2], [3, -1]]).zonotope()
    P = ZonotopePower(Z, 1)
    assert [tuple(int(v) for v in A[0]) for A in P.vertices()] == Z.vertices()
    for b in Z.vertices():
        A = np.array([b], dtype=bool)
        assert sorted(key(B) for B in P.neighbors(A)) == sorted(Z.neighbors(b))


def test_validation_errors():
    Z = Dataset([[0, 0], [3, 1], [1, 4], [-2, 2]]).zonotope()
    P = ZonotopePower(Z, 2)
    A = P.random_vertex(0)
    assert P.m == 2 and P.zonotope is Z and P.N == 4 and P.n == 3
    assert "m=2" in repr(P)
    with pytest.raises(InvalidInputError, match=r"shape \(4,\), expected \(m, N\) = \(2, 4\)"):
        P.neighbors(A[0])
    with pytest.raises(InvalidTypeError, match="dtype float64"):
        P.neighbors(A.astype(float))
    with pytest.raises(InvalidInputError, match="other than 0 and 1"):
        P.is_vertex(A.astype(int) * 2)
    assert P.is_vertex(A.astype(int)) and P.is_vertex(A.tolist())
    with pytest.raises(InvalidInputError, match="rectangular"):
        P.is_vertex([[True, False, True, True], [True]])
    # A row that is not a vertex of Z (14 of the 16 patterns are vertices).
    non_vertex = next(b for b in itertools.product((0, 1), repeat=4) if not Z.is_vertex(b))
    bad = A.copy()
    bad[1] = non_vertex
    assert not P.is_vertex(bad)
    with pytest.raises(InvalidInputError, match="row 1 of A"):
        P.neighbor_moves(bad)
    for m, err in [(0, InvalidInputError), (1.5, InvalidTypeError), (True, InvalidTypeError), ("2", InvalidTypeError)]:
        with pytest.raises(err):
            ZonotopePower(Z, m)
    with pytest.raises(InvalidTypeError, match="lacks"):
        ZonotopePower([[1, 0]], 2)
    for rng, err in [(1.5, InvalidTypeError), ("seed", InvalidTypeError), (-1, InvalidInputError)]:
        with pytest.raises(err):
            P.random_vertex(rng)


def test_zonotope_power_method():
    Z = Dataset([[0, 0], [3, 1], [1, 4]]).zonotope()
    P = Z.power(3)
    assert isinstance(P, ZonotopePower) and P.m == 3 and P.num_vertices() == Z.num_vertices() ** 3


@st.composite
def small_data(draw):
    d = draw(st.integers(1, 2))
    N = draw(st.integers(1, 5))
    X = draw(st.lists(st.lists(st.integers(-3, 3), min_size=d, max_size=d), min_size=N, max_size=N))
    return X, draw(st.integers(1, 3)), draw(st.integers(0, 2 ** 32 - 1))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_data())
def test_property_random_vertex_and_neighbors(data):
    X, m, seed = data
    ds = Dataset(X)
    Z = ds.zonotope()
    V = set(brute_force_vertices(ds.generators_exact))
    P = ZonotopePower(Z, m)
    A = P.random_vertex(seed)
    assert all(tuple(int(v) for v in row) in V for row in A)
    nbs = P.neighbors(A)
    assert len(nbs) == sum(len(Z.neighbors(tuple(int(v) for v in row))) for row in A) <= m * ds.N
    for B in nbs:
        assert all(tuple(int(v) for v in row) in V for row in B)
        assert any(np.array_equal(A, C) for C in P.neighbors(B))
