"""Faces, facets, face lattice and f-vector of a zonotope, exact (paper appendix A.2–A.3).

The zonotope is Z = Σ_i [0, x_i] (paper eq. 6), given by its generators x_1..x_N (rows of an
N×n rational matrix) together with its vertex barcodes (the activation patterns of appendix A.3,
as computed by :class:`zonocomb.geometry.zonotope.Zonotope`). Everything here is a pure function of
``(generators, barcodes)`` and exact: Fractions and Python integers, comparisons with ``==``.

How it works
------------
1. Every barcode λ gives the exact vertex point p(λ) = Σ λ_i x_i. cddlib's exact double
   description (:func:`zonocomb.exact.convex_hull`) returns the facets of their convex hull
   relative to its affine hull, with the set of points on each facet.
2. The input is checked to be exactly the vertex set of Z: every point must be extreme, and every
   facet inequality and affine-hull equation of the hull must hold on all of Z (checked on the
   generators in closed form), so no vertex of Z is missing.
3. Every nonempty proper face of a polytope is the intersection of the facets containing it. The
   faces are found top-down: the facets of a face G are the inclusion-maximal nonempty sets
   G ∩ H, H a facet of Z not containing G. Vertex sets are bitmasks (Python ints).
4. The covector of a face (appendix A.3) is +1 where all its vertices have λ_i = 1, −1 where all
   have λ_i = 0 and 0 where they differ. It is the sign vector sign(w·x_i) of any w in the relative
   interior of the dual cone of the face: the face maximizing w over Z is
   Σ_{w·x_i>0} x_i + Σ_{w·x_i=0} [0, x_i].
5. By that formula the face is a translate of the zonotope of its zero-class generators
   {x_i : covector_i = 0}, which contains the origin, so its dimension (the exact affine rank of
   its vertex points) equals the exact rank of its zero-class generators.

Data not in general position are handled: a face is then a union of parallelepipeds (appendix A.3)
and its zero class may hold several parallel classes; nothing above assumes general position.
When Z is not full-dimensional (the generators span a proper subspace L), faces, facets and
dimensions are taken relative to the affine hull of Z, which is L itself since 0 ∈ Z.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Sequence

import networkx as nx

from ..errors import InvalidInputError
from ..exact import convex_hull
from ..exact.rational import primitive_scale, rank, solve, to_fraction_matrix

__all__ = ["Face", "Facet", "zonotope_faces", "face_lattice", "f_vector", "zonotope_facets"]


@dataclass(frozen=True)
class Face:
    """A nonempty face of a zonotope Z = Σ [0, x_i].

    Attributes
    ----------
    dim : int
        Dimension of the face's affine hull (0 for a vertex; dim Z for Z itself).
    covector : tuple of int
        Sign vector in {−1, 0, +1}^N: +1 where every vertex of the face has λ_i = 1, −1 where every
        vertex has λ_i = 0, 0 otherwise (paper appendix A.3). Z itself has the zero covector.
    vertices : frozenset of tuple of int
        The vertex barcodes of Z lying on the face.
    """
    dim: int
    covector: tuple[int, ...]
    vertices: frozenset


@dataclass(frozen=True)
class Facet:
    """A facet {x ∈ Z : normal·x = offset} of Z, where normal·x ≤ offset holds on all of Z.

    Attributes
    ----------
    normal : tuple of Fraction
        Outward normal, a primitive integer vector (entries are integer-valued Fractions) lying in
        the linear span of the generators, so it is unique also when Z is not full-dimensional.
    offset : Fraction
        max over Z of normal·x, equal to Σ_i max(0, normal·x_i).
    covector : tuple of int
        sign(normal·x_i) for every generator: the facet's covector (see :class:`Face`).
    vertices : frozenset of tuple of int
        The vertex barcodes on the facet.
    """
    normal: tuple[Fraction, ...]
    offset: Fraction
    covector: tuple[int, ...]
    vertices: frozenset


# ----- input handling -------------------------------------------------------------------------------

def _generators(generators) -> tuple[tuple[Fraction, ...], ...]:
    rows = to_fraction_matrix(generators, name="generators")
    for i, row in enumerate(rows):
        if all(v == 0 for v in row):
            raise InvalidInputError(
                f"generator {i} (0-based) is the zero vector; it spans no hyperplane and the zonotope's "
                "barcodes are undefined for it (remove zero generators first)")
    return tuple(tuple(r) for r in rows)


def _barcodes(barcodes, N: int) -> tuple[tuple[int, ...], ...]:
    try:
        items = list(barcodes)
    except TypeError:
        raise InvalidInputError("barcodes must be an iterable of 0/1 sequences") from None
    if not items:
        raise InvalidInputError("no barcodes given; a zonotope has at least one vertex")
    out, seen = [], set()
    for k, b in enumerate(items):
        try:
            vals = list(b)
        except TypeError:
            raise InvalidInputError(f"barcode {k} ({b!r}) is not a sequence of 0/1 entries") from None
        if len(vals) != N:
            raise InvalidInputError(f"barcode {k} has length {len(vals)}, expected N = {N}")
        if any(not (v == 0 or v == 1) for v in vals):
            raise InvalidInputError(f"barcode {k} ({b!r}) has an entry other than 0 and 1")
        t = tuple(int(v) for v in vals)
        if t in seen:
            raise InvalidInputError(f"barcode {k} {t} is repeated")
        seen.add(t)
        out.append(t)
    return tuple(sorted(out))


# ----- the face computation (cached: face_lattice, f_vector and zonotope_faces share it) -------------

@dataclass(frozen=True, eq=False)
class _Structure:
    generators: tuple
    barcodes: tuple
    facet_rows: tuple          # cdd rows (b, a): b + a·x >= 0
    facet_masks: tuple         # bitmask over barcodes of each facet
    faces: dict                # mask -> (dim, covector)
    covers: tuple              # (lower mask, upper mask) pairs of the covering relation
    dim: int                   # dim Z


def _mask_covector(mask: int, ones: Sequence[int]) -> tuple[int, ...]:
    cov = []
    for o in ones:
        inter = mask & o
        cov.append(1 if inter == mask else (-1 if inter == 0 else 0))
    return tuple(cov)


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@lru_cache(maxsize=16)
def _structure(gens: tuple, bars: tuple) -> _Structure:
    N, n = len(gens), len(gens[0])
    points = [tuple(sum((g[j] for g, l in zip(gens, b) if l), Fraction(0)) for j in range(n)) for b in bars]
    if len(set(points)) != len(points):
        raise InvalidInputError("two barcodes give the same point Σ λ_i x_i, so not both are vertices of the zonotope")
    hull = convex_hull(points)
    for e, E in hull.equations:
        for i, g in enumerate(gens):
            if sum((a * x for a, x in zip(E, g)), Fraction(0)) != 0:
                raise InvalidInputError(
                    f"the barcodes miss vertices of the zonotope: generator {i} leaves the affine hull "
                    "of the given vertex points")
    for b, a in hull.facets:
        if b + sum((min(Fraction(0), sum((ai * x for ai, x in zip(a, g)), Fraction(0))) for g in gens),
                   Fraction(0)) < 0:
            raise InvalidInputError(
                "the barcodes miss vertices of the zonotope: a facet of the convex hull of the given "
                "vertex points cuts off part of Z")
    full = (1 << len(bars)) - 1
    facet_masks = tuple(sum(1 << j for j in inc) for inc in hull.incidence)
    on_facets = [full] * len(bars)
    for fm in facet_masks:
        for j in _bits(fm):
            on_facets[j] &= fm
    for j, m in enumerate(on_facets):
        if m != 1 << j:
            raise InvalidInputError(f"barcode {bars[j]} is not a vertex of the zonotope (its point is not extreme)")

    ones = [sum(1 << j for j, b in enumerate(bars) if b[i]) for i in range(N)]
    rank_cache: dict = {}

    def face_dim(cov):
        zero = tuple(i for i, c in enumerate(cov) if c == 0)
        if zero not in rank_cache:
            rank_cache[zero] = rank([gens[i] for i in zero]) if zero else 0
        return rank_cache[zero]

    top_cov = _mask_covector(full, ones)
    faces = {full: (face_dim(top_cov), top_cov)}
    covers = []
    frontier = [full]
    while frontier:
        nxt = []
        for G in frontier:
            cands = {G & H for H in facet_masks} - {0, G}
            for F in cands:
                if any(F != C and F & C == F for C in cands):
                    continue  # not maximal: a face of a facet of G, reached later
                covers.append((F, G))
                if F not in faces:
                    cov = _mask_covector(F, ones)
                    faces[F] = (face_dim(cov), cov)
                    nxt.append(F)
        frontier = nxt
    return _Structure(gens, bars, tuple(hull.facets), facet_masks, faces, tuple(covers), faces[full][0])


def _get(generators, barcodes) -> _Structure:
    gens = _generators(generators)
    return _structure(gens, _barcodes(barcodes, len(gens)))


def _vertex_set(mask: int, bars: tuple) -> frozenset:
    return frozenset(bars[j] for j in _bits(mask))


# ----- public functions -----------------------------------------------------------------------------

def zonotope_faces(generators, barcodes) -> list[Face]:
    """Every nonempty face of the zonotope Z = Σ_i [0, x_i], including Z itself, exact.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        The generators x_i (rows; ints, Fractions or anything :func:`to_fraction` accepts), none zero.
    barcodes : iterable of sequences of 0/1, each of length N
        The vertex barcodes of Z (paper appendix A.3), e.g. ``Zonotope(generators).vertices()``.

    Returns
    -------
    list of Face
        Sorted by dimension, then covector. Vertices come first, Z itself (zero covector) last.

    Raises
    ------
    InvalidInputError
        A zero generator, a malformed or repeated barcode, or barcodes that are not exactly the
        vertex set of Z (a non-vertex, or a missing vertex).

    Examples
    --------
    >>> faces = zonotope_faces([[1, 0], [0, 1]], [(0, 0), (0, 1), (1, 0), (1, 1)])
    >>> [(f.dim, f.covector) for f in faces][:5]
    [(0, (-1, -1)), (0, (-1, 1)), (0, (1, -1)), (0, (1, 1)), (1, (-1, 0))]
    >>> faces[-1].dim, faces[-1].covector, len(faces)
    (2, (0, 0), 9)

    Notes
    -----
    Faces and covectors are derived from the vertex sets; dimensions are exact ranks of the
    zero-class generators, which equal the affine ranks of the faces (module docstring, step 5).
    Cost: one exact double description (cddlib, GMP) of the |V| vertex points in R^n; then, for
    each face, |facets| intersections of |V|-bit masks and an inclusion-maximality filter
    quadratic in the number of distinct intersections; per new face an O(N) covector and an exact
    rank of at most N×n rationals (cached by zero class). For N generators in general position
    in R^n, |V| = 2·Σ_{i<n} C(N−1, i) and the number of faces is Σ_k f_k (see :func:`f_vector`).
    The result for given inputs is cached (16 most recent), so calling several functions of this
    module on the same zonotope costs one computation.

    References
    ----------
    Paper appendix A.2 (faces, face semilattice) and A.3 (dual zonotope, barcodes, covectors).
    """
    s = _get(generators, barcodes)
    faces = [Face(dim, cov, _vertex_set(mask, s.barcodes)) for mask, (dim, cov) in s.faces.items()]
    faces.sort(key=lambda f: (f.dim, f.covector))
    return faces


def face_lattice(generators, barcodes) -> nx.DiGraph:
    """The covering relation of the nonempty faces of Z = Σ [0, x_i], as a directed graph.

    Parameters
    ----------
    generators, barcodes
        As in :func:`zonotope_faces`.

    Returns
    -------
    networkx.DiGraph
        One node per nonempty face, keyed by its covector (tuple in {−1, 0, +1}^N), with node
        attributes ``dim`` (int) and ``vertices`` (frozenset of barcodes). An edge F → G means G
        covers F: F ⊂ G and dim G = dim F + 1. The vertices of Z are the sources, Z itself (the
        zero covector) is the unique sink.

    Notes
    -----
    The empty face is not included: it has no covector (the nonempty faces of Z correspond
    one-to-one to the covectors of the arrangement, appendix A.2–A.3, the zero covector to Z),
    so it would need a node key outside the covector space. Adding it below the vertices
    gives the full face lattice. Cost: that of :func:`zonotope_faces`.

    Examples
    --------
    >>> L = face_lattice([[1, 0], [0, 1]], [(0, 0), (0, 1), (1, 0), (1, 1)])
    >>> L.number_of_nodes(), L.number_of_edges()
    (9, 12)
    >>> sorted(L.successors((1, 1)))
    [(0, 1), (1, 0)]

    References
    ----------
    Paper appendix A.2 (face poset, face semilattice) and A.3.
    """
    s = _get(generators, barcodes)
    g = nx.DiGraph()
    for mask, (dim, cov) in s.faces.items():
        g.add_node(cov, dim=dim, vertices=_vertex_set(mask, s.barcodes))
    g.add_edges_from((s.faces[lo][1], s.faces[hi][1]) for lo, hi in s.covers)
    return g


def f_vector(generators, barcodes) -> tuple[int, ...]:
    """The f-vector (f_0, ..., f_{dim Z − 1}) of Z = Σ [0, x_i]: numbers of k-faces, vertices to facets.

    Parameters
    ----------
    generators, barcodes
        As in :func:`zonotope_faces`.

    Returns
    -------
    tuple of int
        f_k = number of k-dimensional faces for k = 0 .. dim Z − 1 (Z itself and the empty face
        are not counted). dim Z = n when the generators span R^n.

    Examples
    --------
    >>> f_vector([[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ...          [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    (8, 12, 6)

    Notes
    -----
    For N generators in general position in R^n, f_k = 2·C(N, k)·Σ_{i=0}^{n−1−k} C(N−k−1, i), and
    Σ_k (−1)^k f_k = 1 − (−1)^n (Euler's relation for the boundary of an n-polytope).
    Cost: that of :func:`zonotope_faces`.

    References
    ----------
    Paper appendix A.2–A.3; the closed form is the face count of the dual central arrangement.
    """
    s = _get(generators, barcodes)
    counts = [0] * s.dim
    for dim, _ in s.faces.values():
        if dim < s.dim:
            counts[dim] += 1
    return tuple(counts)


def _span_basis(gens) -> list[tuple[Fraction, ...]]:
    basis: list = []
    for g in gens:
        if rank(basis + [g]) > len(basis):
            basis.append(g)
    return basis


def _project(v, basis) -> list[Fraction]:
    """Orthogonal projection of v onto the span of the (independent) basis rows, exact."""
    gram = [[sum((a * b for a, b in zip(r, c)), Fraction(0)) for c in basis] for r in basis]
    rhs = [sum((a * b for a, b in zip(r, v)), Fraction(0)) for r in basis]
    coef = solve(gram, rhs)
    return [sum((c * r[j] for c, r in zip(coef, basis)), Fraction(0)) for j in range(len(v))]


def _primitive(v, offset) -> tuple[tuple[Fraction, ...], Fraction]:
    """Scale (v, offset) by a positive rational so v becomes a primitive integer vector."""
    scale = primitive_scale(v)
    return tuple(x * scale for x in v), offset * scale


def zonotope_facets(generators, barcodes) -> list[Facet]:
    """The facets of Z = Σ [0, x_i] with exact outward normals and offsets.

    Parameters
    ----------
    generators, barcodes
        As in :func:`zonotope_faces`.

    Returns
    -------
    list of Facet
        Sorted by covector. Each facet is {x ∈ Z : normal·x = offset} with normal·x ≤ offset on Z;
        ``normal`` is the primitive integer outward normal inside the span of the generators
        (relative to the affine hull when Z is not full-dimensional), and ``covector`` equals
        sign(normal·x_i).

    Examples
    --------
    >>> F = zonotope_facets([[1, 0], [1, 1]], [(0, 0), (0, 1), (1, 0), (1, 1)])
    >>> [(tuple(map(int, f.normal)), int(f.offset), f.covector) for f in F]
    [((-1, 1), 0, (-1, 0)), ((0, -1), 0, (0, -1)), ((0, 1), 1, (0, 1)), ((1, -1), 1, (1, 0))]

    Notes
    -----
    The hull inequalities b + a·x ≥ 0 come from cddlib (exact); the outward normal −a is
    projected onto the span of the generators (which changes nothing on the affine hull of Z,
    the span itself) and scaled to a primitive integer vector. Cost: that of
    :func:`zonotope_faces` plus one exact projection per facet when Z is not full-dimensional.

    References
    ----------
    Paper appendix A.3 (facets of the dual zonotope ↔ rays of the arrangement).
    """
    s = _get(generators, barcodes)
    n = len(s.generators[0])
    basis = _span_basis(s.generators)
    out = []
    for (b, a), mask in zip(s.facet_rows, s.facet_masks):
        u = [-x for x in a]
        if len(basis) < n:                  # Z is not full-dimensional
            u = _project(u, basis)
        normal, offset = _primitive(u, b)
        out.append(Facet(normal, offset, s.faces[mask][1], _vertex_set(mask, s.barcodes)))
    out.sort(key=lambda f: f.covector)
    return out
