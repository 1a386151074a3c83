"""Faces, facets, face lattice and f-vector of zonotopes (zonocomb.geometry.faces).

Vertex barcodes come from exact brute-force LPs (proofs_checks.brute), not from the vertex
engine, so these tests are independent evidence. Facets are cross-checked against a second
algorithm (hyperplanes spanned by generators); counts against the general-position closed form
and Euler's relation.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonocomb.proofs_checks.brute import brute_force_vertices, in_linear_general_position
from zonocomb.errors import InvalidInputError
from zonocomb.exact.rational import nullspace, rank
from zonocomb.geometry.faces import Face, f_vector, face_lattice, zonotope_faces, zonotope_facets


def closed_form_f(N: int, n: int) -> tuple[int, ...]:
    """f_k = 2·C(N,k)·Σ_{i=0}^{n−1−k} C(N−k−1, i) for k < dim Z = min(N, n)."""
    return tuple(2 * comb(N, k) * sum(comb(N - k - 1, i) for i in range(n - k)) for k in range(min(N, n)))


def random_gp(seed: int, N: int, n: int, lo: int = -9, hi: int = 9):
    rng = np.random.default_rng(seed)
    while True:
        G = [[int(v) for v in row] for row in rng.integers(lo, hi + 1, size=(N, n))]
        if in_linear_general_position(G):
            return G


def point(gens, barcode):
    return [sum((Fraction(g[j]) for g, l in zip(gens, barcode) if l), Fraction(0)) for j in range(len(gens[0]))]


def dot(u, v):
    return sum((Fraction(a) * Fraction(b) for a, b in zip(u, v)), Fraction(0))


def affine_rank(points) -> int:
    p0 = points[0]
    diffs = [[a - b for a, b in zip(p, p0)] for p in points[1:]]
    return rank(diffs) if diffs else 0


def facet_covectors_from_flats(gens) -> set:
    """Second algorithm: facets of Z ↔ hyperplanes of span(G) spanned by generators.

    For each hyperplane H of L = span(G) spanned by generators, the normal u ∈ L of H gives the
    two facets with covectors ±sign(u·x_i).
    """
    gens = [[Fraction(v) for v in g] for g in gens]
    r = rank(gens)
    basis = []
    for g in gens:
        if rank(basis + [g]) > len(basis):
            basis.append(g)
    out = set()
    for sub in combinations(range(len(gens)), r - 1):
        rows = [gens[i] for i in sub]
        if rank(rows) != r - 1:
            continue
        M = [[dot(b, x) for b in basis] for x in rows]
        ns = nullspace(M, n_cols=r) if rows else [[Fraction(int(i == 0)) for i in range(r)]]
        assert len(ns) == 1
        u = [sum((c * b[j] for c, b in zip(ns[0], basis)), Fraction(0)) for j in range(len(gens[0]))]
        cov = tuple((dot(u, g) > 0) - (dot(u, g) < 0) for g in gens)
        out.add(cov)
        out.add(tuple(-c for c in cov))
    return out


def check_all_invariants(gens, V):
    """Invariants every zonotope's faces satisfy, general position or not."""
    faces = zonotope_faces(gens, V)
    dimZ = rank([[Fraction(v) for v in g] for g in gens])
    fv = f_vector(gens, V)
    assert len(fv) == dimZ and fv[0] == len(V)
    # Euler's relation for the boundary of a dimZ-polytope.
    assert sum((-1) ** k * f for k, f in enumerate(fv)) == 1 - (-1) ** dimZ
    # Z itself is the unique face with the zero covector.
    top = faces[-1]
    assert top.dim == dimZ and top.covector == (0,) * len(gens) and top.vertices == frozenset(V)
    assert len({f.covector for f in faces}) == len(faces)
    for f in faces:
        pts = [point(gens, b) for b in f.vertices]
        assert f.dim == affine_rank(pts)
        # The face is exactly the set of vertices conforming to its covector.
        conf = {b for b in V if all(c == 0 or b[i] == (c > 0) for i, c in enumerate(f.covector))}
        assert conf == set(f.vertices)
        if f.dim == 1:
            zero = [i for i, c in enumerate(f.covector) if c == 0]
            assert zero and rank([gens[i] for i in zero]) == 1  # exactly one parallel class
            a, b = sorted(f.vertices)
            assert [i for i in range(len(gens)) if a[i] != b[i]] == zero
    # Facets: exact normals and offsets, cross-checked with the flats algorithm.
    facets = zonotope_facets(gens, V)
    assert len(facets) == fv[-1]
    assert {F.covector for F in facets} == facet_covectors_from_flats(gens)
    for F in facets:
        assert all(x.denominator == 1 for x in F.normal)
        assert F.offset == sum((max(Fraction(0), dot(F.normal, g)) for g in gens), Fraction(0))
        assert F.covector == tuple((dot(F.normal, g) > 0) - (dot(F.normal, g) < 0) for g in gens)
        for b in V:
            val = dot(F.normal, point(gens, b))
            assert (val == F.offset) if b in F.vertices else (val < F.offset)
        # The normal lies in the span of the generators (relative to the affine hull).
        assert rank([[Fraction(v) for v in g] for g in gens] + [list(F.normal)]) == dimZ
    check_lattice(face_lattice(gens, V), faces, dimZ)
    return faces


def check_lattice(L: nx.DiGraph, faces, dimZ):
    assert L.number_of_nodes() == len(faces)
    for f in faces:
        assert L.nodes[f.covector]["dim"] == f.dim and L.nodes[f.covector]["vertices"] == f.vertices
    for lo, hi in L.edges:
        assert L.nodes[hi]["dim"] == L.nodes[lo]["dim"] + 1
        assert L.nodes[lo]["vertices"] < L.nodes[hi]["vertices"]
        assert all(h == 0 or h == l for l, h in zip(lo, hi))  # covector conformance
    sinks = [v for v in L if L.out_degree(v) == 0]
    assert sinks == [(0,) * len(faces[0].covector)]
    assert {v for v in L if L.in_degree(v) == 0} == {f.covector for f in faces if f.dim == 0}
    assert nx.is_directed_acyclic_graph(L)
    # Graded: every maximal chain from a vertex to Z has dimZ cover steps.
    top = sinks[0]
    longest = {top: 0}
    for v in reversed(list(nx.topological_sort(L))):
        if v != top:
            steps = {longest[w] + 1 for w in L.successors(v)}
            assert len(steps) == 1  # all upward chains from v have the same length
            longest[v] = steps.pop()
        assert longest[v] == dimZ - L.nodes[v]["dim"]
    # Diamond property: edges cover two vertices; intervals of length 2 have 2 middle elements.
    for v in L:
        if L.nodes[v]["dim"] == 1:
            assert L.in_degree(v) == 2
        two_up = {}
        for mid in L.successors(v):
            for w in L.successors(mid):
                two_up.setdefault(w, set()).add(mid)
        assert all(len(mids) == 2 for mids in two_up.values())


# ----- small explicit examples ---------------------------------------------------------------------

def test_square_and_cube():
    sq = [[1, 0], [0, 1]]
    V = brute_force_vertices(sq)
    assert f_vector(sq, V) == (4, 4)
    cube = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    V = brute_force_vertices(cube)
    faces = check_all_invariants(cube, V)
    assert f_vector(cube, V) == (8, 12, 6)
    assert len(faces) == 8 + 12 + 6 + 1


def test_hexagonal_prism_from_three_coplanar_generators():
    gens = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]]
    V = brute_force_vertices(gens)
    assert len(V) == 12
    faces = check_all_invariants(gens, V)
    assert f_vector(gens, V) == (12, 18, 8)
    hexagons = [f for f in faces if f.dim == 2 and len(f.vertices) == 6]
    assert sorted(f.covector for f in hexagons) == [(0, 0, 0, -1), (0, 0, 0, 1)]
    # The hexagon is a union of 3 parallelograms; the other 2-faces are parallelograms.
    assert sorted(len(f.vertices) for f in faces if f.dim == 2) == [4] * 6 + [6, 6]


def test_repeated_generator_edge_flips_two_examples():
    gens = [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    V = brute_force_vertices(gens)
    faces = check_all_invariants(gens, V)
    assert f_vector(gens, V) == (8, 12, 6)
    flips = sorted(tuple(i for i, c in enumerate(f.covector) if c == 0) for f in faces if f.dim == 1)
    assert flips.count((0, 1)) == 4 and flips.count((2,)) == 4 and flips.count((3,)) == 4


def test_collinear_and_coplanar_datasets():
    # 4 points in R^2 with 3 on a line (homogenized): a degenerate 3-zonotope.
    pts = [[0, 0], [1, 1], [2, 2], [3, -1]]
    gens = [p + [1] for p in pts]
    V = brute_force_vertices(gens)
    assert len(V) < 2 * sum(comb(3, i) for i in range(3))  # strictly below the formula (14)
    check_all_invariants(gens, V)
    # 5 points in R^3, four of them coplanar: the 4-zonotope has faces that are not parallelepipeds.
    pts = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]]
    gens = [p + [1] for p in pts]
    V = brute_force_vertices(gens)
    check_all_invariants(gens, V)
    assert f_vector(gens, V)[0] < closed_form_f(5, 4)[0]


def test_antiparallel_generators_bias_free():
    gens = [[1, 0], [-2, 0], [0, 1]]
    V = brute_force_vertices(gens)
    faces = check_all_invariants(gens, V)
    edge_zero = sorted(tuple(i for i, c in enumerate(f.covector) if c == 0) for f in faces if f.dim == 1)
    assert edge_zero == [(0, 1), (0, 1), (2,), (2,)]


def test_not_full_dimensional():
    # Three generators spanning a plane of R^3: a hexagon, faces relative to its affine hull.
    gens = [[1, 0, 0], [0, 1, 0], [1, 1, 0]]
    V = brute_force_vertices(gens)
    check_all_invariants(gens, V)
    assert f_vector(gens, V) == (6, 6)
    assert all(F.normal[2] == 0 for F in zonotope_facets(gens, V))
    # A tilted plane, fractional entries.
    gens = [[1, 2, 3], [Fraction(1, 2), 0, 1], [3, 4, 7], [2, 2, 4]]
    V = brute_force_vertices(gens)
    check_all_invariants(gens, V)
    # All generators parallel: a segment.
    gens = [[1, 1, 0], [2, 2, 0]]
    V = brute_force_vertices(gens)
    assert V == [(0, 0), (1, 1)]
    assert f_vector(gens, V) == (2,)
    check_all_invariants(gens, V)


def test_face_lattice_without_empty_face():
    gens = [[1, 0], [0, 1]]
    L = face_lattice(gens, brute_force_vertices(gens))
    assert L.number_of_nodes() == 9 and L.number_of_edges() == 12
    assert all(isinstance(v, tuple) for v in L)


# ----- closed forms -------------------------------------------------------------------------------

@pytest.mark.parametrize("N,n,seed", [(5, 3, 0), (7, 3, 1), (9, 3, 2), (6, 4, 3), (8, 4, 4), (3, 4, 5), (5, 2, 6)])
def test_general_position_closed_form(N, n, seed):
    gens = random_gp(seed, N, n)
    V = brute_force_vertices(gens)
    fv = f_vector(gens, V)
    assert fv == closed_form_f(N, n)
    assert fv[0] == 2 * sum(comb(N - 1, i) for i in range(n))
    check_all_invariants(gens, V)
    # In general position every k-face is a k-parallelepiped with 2^k vertices (appendix A.3).
    assert all(len(f.vertices) == 2 ** f.dim for f in zonotope_faces(gens, V) if f.dim < n)


# ----- input validation ---------------------------------------------------------------------------

def test_rejects_bad_inputs():
    gens = [[1, 0], [0, 1], [1, 1]]
    V = brute_force_vertices(gens)
    with pytest.raises(InvalidInputError, match="miss vertices"):
        f_vector(gens, V[:-1])
    with pytest.raises(InvalidInputError, match="not a vertex"):
        f_vector(gens, V + [next(b for b in [(1, 1, 0), (0, 0, 1)] if b not in V)])
    with pytest.raises(InvalidInputError, match="length"):
        f_vector(gens, [(0, 1)])
    with pytest.raises(InvalidInputError, match="other than 0 and 1"):
        f_vector(gens, [(0, 2, 1)])
    with pytest.raises(InvalidInputError, match="repeated"):
        f_vector(gens, V + [V[0]])
    with pytest.raises(InvalidInputError, match="zero vector"):
        f_vector([[1, 0], [0, 0]], [(0, 0), (1, 0)])
    with pytest.raises(InvalidInputError, match="no barcodes"):
        f_vector(gens, [])
    with pytest.raises(InvalidInputError, match="same point"):
        f_vector([[1, 0], [1, 0]], [(0, 0), (1, 0), (0, 1), (1, 1)])


def test_face_dataclass_is_frozen():
    f = zonotope_faces([[1]], [(0,), (1,)])[0]
    assert isinstance(f, Face) and f.dim == 0
    with pytest.raises(AttributeError):
        f.dim = 3


# ----- property tests on small random integer data --------------------------------------------------

def _nonzero_rows(n):
    return st.lists(st.integers(-3, 3), min_size=n, max_size=n).filter(any)


@st.composite
def small_generators(draw):
    n = draw(st.integers(2, 3))
    N = draw(st.integers(1, 6))
    return draw(st.lists(_nonzero_rows(n), min_size=N, max_size=N))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_generators())
def test_property_invariants(gens):
    V = brute_force_vertices(gens)
    check_all_invariants(gens, V)
    if in_linear_general_position(gens):
        assert f_vector(gens, V) == closed_form_f(len(gens), len(gens[0]))
