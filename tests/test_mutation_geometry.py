"""Contracts of zonocomb/geometry that seeded samples of its mutants (docs/testing.md,
``make mutate PKG=geometry SAMPLE=150``) showed unchecked: the order of the flats, the exact
fallback of the general-position test, what the messages and the repr of a dataset name, and that
the chamber walls' float proposals (shooting, redundancy supports) are certified exactly; and
contracts of code that no test reached before (found by branch coverage of zonocomb/geometry)."""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.errors import InvalidTypeError
from zonocomb.exact.rational import rank


@pytest.mark.parametrize("seed", range(4))
def test_flats_are_listed_in_lexicographic_order_of_their_indices(seed):
    """Each rank's flats come sorted by their sorted index lists (the documented order, e.g.
    [[0, 2], [1]])."""
    from zonocomb.geometry.flats import flats
    X = np.random.default_rng(seed).integers(-3, 4, size=(7, 3))
    X[X.sum(axis=1) == 0, 0] = 5                        # no zero generator
    for level in flats(X.tolist()):
        keys = [sorted(F) for F in level]
        assert keys == sorted(keys)
    assert [[sorted(F) for F in level] for level in flats([[1, 0], [0, 1], [2, 0]])] == [[[]], [[0, 2], [1]],
                                                                                       [[0, 1, 2]]]


def _dependent_subset(X, size):
    """Whether some ``size`` rows of X are linearly dependent (brute force, exact)."""
    return any(rank([X[i] for i in S]) < size for S in itertools.combinations(range(len(X)), size))


@pytest.mark.parametrize("seed", range(6))
def test_exact_fallback_of_the_general_position_test_agrees_with_brute_force(seed):
    """_scan_exact (used when every prime of the modular scan divides a cofactor) answers None
    exactly when no n rows are dependent, and otherwise a set of rows that is dependent."""
    from zonocomb.geometry.position import _scan_exact
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, size=(6, 3)).tolist()
    if seed % 2:
        X[4] = [a + b for a, b in zip(X[0], X[1])]      # a planted dependency of 3 rows
    X = [row if any(row) else [1, 0, 0] for row in X]
    witness = _scan_exact(X)
    dependent = _dependent_subset(X, 2) or _dependent_subset(X, 3)
    assert (witness is None) == (not dependent)
    if witness is not None:
        assert rank([X[i] for i in witness]) < len(witness)


def test_dataset_repr_names_homogenization_and_labels():
    assert repr(Dataset([[0.0], [1.0]])) == "Dataset(N=2, d=1, homogenized, unlabelled)"
    assert repr(Dataset([[0.0], [1.0]], y=[1, 0], homogenize=False)) == "Dataset(N=2, d=1, bias-free, labelled)"


def test_combinatorial_equivalence_names_the_argument_that_is_not_a_zonotope():
    from zonocomb.geometry.zonotope import combinatorially_equivalent
    Z = Dataset([[0.0], [1.0], [2.0]]).zonotope()
    with pytest.raises(InvalidTypeError, match=r"^Z1 must be a Zonotope, got list$"):
        combinatorially_equivalent([], Z)
    with pytest.raises(InvalidTypeError, match=r"^Z2 must be a Zonotope, got str$"):
        combinatorially_equivalent(Z, "Z")


def test_walls_survive_a_change_of_coordinates_with_large_integers():
    """x_i → T x_i with an invertible integer T maps the arrangement {w : w·x_i = 0} onto itself
    up to w → T^(−T) w, so every chamber keeps its sign vector and its walls. With entries of T
    near 10^9 the exact eliminations need integers beyond 64 bits."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    rng = np.random.default_rng(1)
    X = rng.integers(-3, 4, size=(9, 3))
    X[~X.any(axis=1), 0] = 1
    T = rng.integers(10**9, 2 * 10**9, size=(3, 3)).tolist()
    assert rank(T) == 3
    big = [[sum(T[a][b] * int(x[b]) for b in range(3)) for a in range(3)] for x in X]
    small, large = HyperplaneArrangement(X.tolist()), HyperplaneArrangement(big)
    assert small.chambers() == large.chambers()
    for sigma in small.chambers():
        assert small.walls(sigma) == large.walls(sigma)


@pytest.mark.parametrize("scale", [1, 10**9])
def test_nonnegative_combination_test_is_exact_for_large_integers(scale):
    """_nonnegative_solutions(A, S, cand) tells for each candidate a_P whether it is a
    nonnegative combination of the basis a_S: here a_P = Σ μ_q a_q is built from known μ (all
    positive, or one of them negative), with basis entries up to 10^9 · 3."""
    from zonocomb.geometry.arrangement import _nonnegative_solutions
    rng = np.random.default_rng(2)
    for _ in range(20):
        basis = (rng.integers(-3, 4, size=(3, 3)) * scale + rng.integers(-3, 4, size=(3, 3))).tolist()
        if rank(basis) < 3:
            continue
        mus = [rng.integers(1, 5, size=3) for _ in range(4)]
        for mu in mus[2:]:
            mu[rng.integers(3)] *= -1
        cand = [[int(sum(int(m) * basis[q][i] for q, m in enumerate(mu))) for i in range(3)] for mu in mus]
        A = basis + cand
        assert _nonnegative_solutions(A, [0, 1, 2], [3, 4, 5, 6]) == [True, True, False, False]


def test_face_functions_name_bad_generators():
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.faces import f_vector
    with pytest.raises(InvalidInputError, match=r"^row 0 \(0-based\) of generators contains nan; only finite numbers are allowed$"):
        f_vector([[float("nan"), 1.0]], [(0,), (1,)])
    with pytest.raises(InvalidInputError, match=r"^generator 0 \(0-based\) is the zero vector"):
        f_vector([[0, 0], [1, 1]], [(0, 0), (1, 1)])


def test_walls_of_a_sign_vector_that_is_no_chamber_are_refused_by_name():
    """(+, +, −) on the normals (1, 0), (0, 1), (1, 1): w1 > 0, w2 > 0 and w1 + w2 < 0 is empty."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement, NotAChamberError
    H = HyperplaneArrangement([[1, 0], [0, 1], [1, 1]])
    with pytest.raises(NotAChamberError, match=r"^the sign vector is not a chamber of the arrangement \(empty cone\)$"):
        H.walls([1, 1, -1])
    assert H.walls([1, 1, 1]) == [0, 1]


def test_zero_generator_message_says_why_and_what_to_do():
    """A zero generator is refused with the whole reason (no hyperplane, an undefined barcode
    entry) and the remedy, naming the argument (module docstring of zonocomb/geometry/chambers.py)."""
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.chambers import integer_generators
    with pytest.raises(InvalidInputError, match=r"^generator 1 \(0-based\) of normals is the zero vector; it defines no hyperplane "
                                                r"and its barcode entry is undefined \(remove zero generators first\)$"):
        integer_generators([[1, 2], [0, 0]], name="normals")


def test_an_unlabelled_dataset_refuses_what_needs_labels_by_name():
    from zonocomb.errors import InvalidInputError
    with pytest.raises(InvalidInputError, match=r"^this operation needs labels, but the dataset has none \(y=None\)$"):
        Dataset([[0.0], [1.0]]).require_labels()
    assert Dataset([[0.0], [1.0]], y=[2, 3]).require_labels().tolist() == [2.0, 3.0]


def _true_walls(H, sigma):
    """The walls of the chamber σ by brute force: P is a wall exactly when flipping σ_P gives
    another chamber (the normals are pairwise non-parallel), with the chambers enumerated exactly."""
    chambers = set(H.chambers())
    return [P for P in range(len(sigma)) if tuple(-s if Q == P else s for Q, s in enumerate(sigma)) in chambers]


def _arrangements():
    """Small integer arrangements with pairwise non-parallel normals, in Q^2 and Q^3, some with
    normals that float64 cannot tell apart from parallel (angles near 1e-12)."""
    from zonocomb.geometry.chambers import parallel_classes
    rng = np.random.default_rng(5)
    out = [[[1, 0], [10**12, -1], [10**12, 1]], [[1, 0, 0], [0, 1, 0], [10**12, 1, 0], [0, 10**12, 1], [1, 1, 1]]]
    for n in (2, 3, 3, 3):
        X = rng.integers(-3, 4, size=(7, n))
        X[~X.any(axis=1), 0] = 1
        out.append(parallel_classes(X.tolist())[0])
    return out


@pytest.mark.parametrize("case", range(6))
def test_walls_are_exact_whatever_float_point_the_shooting_starts_from(case, monkeypatch):
    """ChamberWalls finds facets by shooting rays from a float interior point, but only proposes
    them: a hit is a facet only after exact signs certify it (class docstring). With the float start
    point replaced by a wrong one (outside the chamber, or a perturbed interior point), the walls
    must still be exactly those of the brute force."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    X = _arrangements()[case]
    H = HyperplaneArrangement(X)
    _poison_the_shooting_start(monkeypatch, np.random.default_rng(case))
    for sigma in H.chambers():
        assert H.walls(sigma) == _true_walls(H, sigma)


def _poison_the_shooting_start(monkeypatch, rng):
    """Replace the float interior point that ChamberWalls shoots from by a wrong one (outside the
    chamber, or a perturbed interior point); the exact interior point stays."""
    from zonocomb.geometry.arrangement import _Chamber
    exact_interior = _Chamber._interior

    def poisoned(self):
        w_int, w = exact_interior(self)
        wrong = rng.standard_normal(len(w)) + (w if rng.random() < 0.5 else 0)
        return w_int, wrong / np.linalg.norm(wrong)

    monkeypatch.setattr(_Chamber, "_interior", poisoned)


@pytest.mark.parametrize("case", [3, 5])
def test_a_wall_the_shooting_misses_is_certified_by_a_float_lp_without_an_exact_lp(case, monkeypatch):
    """A hyperplane that neither the shooting nor a redundancy certificate settles gets a float LP
    for a wall point, checked exactly, and an exact cddlib LP only if still undecided (ChamberWalls'
    notes). With the shooting started from a wrong point many walls are left to that step; on
    these well-conditioned arrangements the float LP certifies every one of them, so the exact LP
    (the chamber with σ_P flipped) runs only for hyperplanes that are no walls."""
    import zonocomb.geometry.arrangement as arrangement
    X = _arrangements()[case]
    H = arrangement.HyperplaneArrangement(X)
    chambers = H.chambers()
    _poison_the_shooting_start(monkeypatch, np.random.default_rng(case))
    flipped = _count_calls(monkeypatch, arrangement, "chamber_interior_point",
                           lambda A, signs: list(signs).index(-1) if -1 in signs else None)
    decided = _count_calls(monkeypatch, arrangement._Chamber, "is_facet", lambda self, P: P)
    walls_left = 0
    for sigma in chambers:
        walls = _true_walls(H, sigma)
        flipped.clear()
        decided.clear()
        assert arrangement.ChamberWalls(X).walls(list(sigma)) == walls
        assert not set(flipped) & set(walls)
        walls_left += len(set(decided) & set(walls))
    assert walls_left >= 20                     # the step is reached for many walls


@pytest.mark.parametrize("case", range(6))
def test_redundancy_drops_only_hyperplanes_that_are_no_walls(case):
    """_Chamber.redundancy(facets) grows a set of known facets and returns the hyperplanes it could
    not certify redundant; every other hyperplane must be no wall. Started from every subset of the
    true walls, also those that do not span the space (then no full basis certifies anything)."""
    from zonocomb.geometry.arrangement import ChamberWalls, _Chamber, HyperplaneArrangement
    X = _arrangements()[case]
    H = HyperplaneArrangement(X)
    CW = ChamberWalls(X)
    for sigma in H.chambers():
        walls = _true_walls(H, sigma)
        for size in range(len(walls)):
            for start in itertools.combinations(walls, size):
                facets = set(start)
                undecided = _Chamber(CW, np.array(sigma)).redundancy(facets)
                assert facets <= set(walls)
                assert set(walls) <= facets | set(undecided)


@pytest.mark.parametrize("seed", range(3))
def test_chamber_walls_cost_one_float_lp_and_no_exact_lp_or_elimination_per_chamber_on_generic_data(seed, monkeypatch):
    """The documented usual cost of ChamberWalls (class docstring): one float LP per chamber for its
    walls, no exact cddlib LP, and every redundancy certificate settled by its verified float solve
    (no exact elimination: no coefficient is near 0 on generic data); is_chamber settles a sign
    vector that is no chamber by its float Farkas certificate, also without an exact LP. Generic
    data: homogenized integer points."""
    import zonocomb.geometry.arrangement as arrangement
    calls = {"_margin_lp": 0, "chamber_interior_point": 0, "_nonnegative_solutions": 0}

    def counted(name):
        function = getattr(arrangement, name)

        def spy(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        monkeypatch.setattr(arrangement, name, spy)

    rng = np.random.default_rng(seed)
    X = np.c_[rng.integers(-20, 21, size=(8, 2)), np.ones(8, dtype=int)].tolist()
    assert len({tuple(x) for x in X}) == 8                # distinct points: no parallel generators
    H = arrangement.HyperplaneArrangement(X)
    chambers = H.chambers()
    walls = arrangement.ChamberWalls(X)
    counted("_margin_lp")
    counted("chamber_interior_point")
    counted("_nonnegative_solutions")
    for sigma in chambers:
        assert walls.walls(sigma) == _true_walls(H, sigma)
    assert calls == {"_margin_lp": len(chambers), "chamber_interior_point": 0, "_nonnegative_solutions": 0}
    others = [s for s in itertools.product((-1, 1), repeat=8) if s not in set(chambers)][::7]
    assert not any(walls.is_chamber(s) for s in others)
    assert calls["chamber_interior_point"] == 0


def test_arrangement_names_its_normals_in_input_errors():
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    with pytest.raises(InvalidInputError, match=r"^row 0 \(0-based\) of normals contains nan; only finite numbers are allowed$"):
        HyperplaneArrangement([[float("nan"), 1]])


@pytest.mark.parametrize("generators, message", [
    ([[1, 0], [0, 0]], r"^generator 1 \(0-based\) of generators is the zero vector$"),
    ([[1, float("inf")]], r"^row 0 \(0-based\) of generators contains nan or inf$"),
    ([[1, 2], [float("nan"), 1]], r"^row 1 \(0-based\) of generators contains nan or inf$"),
    ([], r"^generators must be a nonempty 2-D array, got shape \(0,\)$"),
    ([[1, 2], [3]], r"^generators must be a rectangular 2-D array of numbers$"),
])
def test_float_chambers_name_bad_generators(generators, message):
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.chambers import chambers
    with pytest.raises(InvalidInputError, match=message):
        chambers(generators, method="float")


@pytest.mark.parametrize("barcodes, message", [
    (3, r"^barcodes must be an iterable of 0/1 sequences$"),
    ([], r"^no barcodes given; a zonotope has at least one vertex$"),
    ([5], r"^barcode 0 \(5\) is not a sequence of 0/1 entries$"),
    ([(0, 0), (0, 1, 1)], r"^barcode 1 has length 3, expected N = 2$"),
    ([(0, 0), (0, 2)], r"^barcode 1 \(\(0, 2\)\) has an entry other than 0 and 1$"),
    ([(0, 0), (0, 0)], r"^barcode 1 \(0, 0\) is repeated$"),
])
def test_face_functions_name_bad_barcodes(barcodes, message):
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.faces import zonotope_faces
    with pytest.raises(InvalidInputError, match=message):
        zonotope_faces([[1, 0], [0, 1]], barcodes)


def test_a_barcode_that_is_no_vertex_is_refused_with_the_reason():
    """(0, 0, 1) on x = (1, 0), (0, 1), (1, 1): w1 <= 0, w2 <= 0 and w1 + w2 > 0 is empty."""
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.zonotope import Zonotope
    with pytest.raises(InvalidInputError, match=r"^barcode \(0, 0, 1\) is not a vertex of the zonotope \(no weight "
                                                r"vector has this activation pattern\)$"):
        Zonotope([[1, 0], [0, 1], [1, 1]]).vertex_point((0, 0, 1))


def test_general_position_test_names_its_size_limit():
    from zonocomb.errors import TooLargeError
    from zonocomb.geometry.position import general_position_witness
    with pytest.raises(TooLargeError, match=r"^the exact general-position test of N=6 generators in Q\^3 visits "
                                            r"C\(6, 2\) = 15 subsets, more than max_subsets=10$"):
        general_position_witness([[i, i * i, 1] for i in range(6)], max_subsets=10)


def test_exact_fallback_of_the_general_position_test_finds_a_dependent_pair():
    """Two parallel rows in Q^3 make an (n−1)-subset dependent: its zero cofactor vector is the
    witness, shrunk to the circuit of the pair."""
    from zonocomb.geometry.position import _scan_exact
    assert _scan_exact([[1, 0, 1], [0, 1, 1], [2, 0, 2], [1, 1, 1]]) == (0, 2)


def test_signs_of_a_product_with_no_rows_have_the_product_shape():
    from zonocomb.geometry.position import product_signs
    S = product_signs([], [[1, 2], [3, 4], [5, 6]])
    assert S.shape == (0, 3) and S.dtype == np.int8


def test_a_sign_filter_gives_the_signs_of_no_points_as_an_empty_int8_array():
    """SignFilter.signs returns sign(A Bᵀ) as int8 of shape (len(A), len(B)), also for no points."""
    from zonocomb.geometry.position import SignFilter
    S = SignFilter([[1, 2], [3, 4]]).signs([])
    assert S.shape == (2, 0) and S.dtype == np.int8


def test_facet_walk_steps_one_entry_at_a_time_without_warnings_for_an_example_at_the_origin():
    """Bias-free data may hold the origin: its hyperplane w·0 = 0 is never crossed (its preactivation
    stays 0, inactive), the walk steps over the others one entry at a time, and no numpy warning of
    the 0/0 step length leaks out."""
    import warnings
    from zonocomb.geometry.walks import facet_walk
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patterns = facet_walk(X, m=2, length=12, random_state=3)
    assert len(patterns) == 12
    assert all(np.sum(a != b) == 1 for a, b in zip(patterns, patterns[1:]))
    assert not any(P[:, 0].any() for P in patterns)


def test_face_lattice_of_a_zonotope_has_one_node_per_covector_of_its_arrangement():
    """The nonempty faces of Z are dual to the faces of its arrangement (appendix A.2–A.3): the
    lattice's nodes (from cddlib's convex hull) are the covectors (from the flats), the vertices its
    sources and Z, the zero covector, its only sink."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    from zonocomb.geometry.zonotope import Zonotope
    X = [[1, 0, 1], [0, 1, 1], [1, 1, 1], [2, 1, 1]]
    L = Zonotope(X).face_lattice()
    assert sorted(L.nodes) == HyperplaneArrangement(X).covectors()
    assert len([F for F in L if L.in_degree(F) == 0]) == Zonotope(X).num_vertices()
    assert [F for F in L if L.out_degree(F) == 0] == [(0, 0, 0, 0)]


def _dataset_input_errors(tmp_path):
    """(how to build the dataset, the whole expected message) for each documented input error."""
    from zonocomb.geometry.dataset import Dataset as D

    def csv(name, text, **kwargs):
        path = tmp_path / name
        path.write_bytes(text.encode("latin-1"))
        return lambda: D.from_csv(path, **kwargs), re.escape(str(path))

    cases = []
    cases.append((lambda: D(D([[1]])), r"X is already a Dataset; pass its X_exact instead"))
    cases.append((lambda: D([[1]], homogenize="no"), r"homogenize must be True or False, got 'no'"))
    cases.append((lambda: D([[1], [2]], y=[1]), r"y has 1 labels but X has 2 examples \(label count mismatch\)"))
    cases.append((lambda: D([[1], [float("nan")]]), r"row 1 \(0-based\) of X contains nan; only finite numbers are allowed"))
    make, p = csv("empty.csv", "\n\n")
    cases.append((make, rf"{p} has no rows \(no examples\)"))
    make, p = csv("header.csv", "x,y\n", header=True)
    cases.append((make, rf"{p} has a header but no examples"))
    make, p = csv("ragged.csv", "1,2\n3,4,5\n")
    cases.append((make, rf"row 2 of {p} has 3 columns, row 1 has 2 \(ragged rows\)"))
    make, p = csv("short_rows.csv", "x1,x2,y\n1,2\n3,4\n", header=True)  # no label column
    cases.append((make, rf"row 2 of {p} has 2 columns, the header \(row 1\) has 3"))
    for name, text, what in (("semicolons.csv", "1;2;3\n4;5;6\n", "';'"), ("decimal_commas.csv", "x;y\n1,5;2\n", "';'"),
                             ("tabs.csv", "1\t2\n3\t4\n", "a tab")):
        make, p = csv(name, text)
        cases.append((make, rf"{p}: row \d holds {what} in a cell; zonocomb reads comma-separated values "
                            r"\(',' between cells, '\.' as the decimal point\)"))
    make, p = csv("narrow.csv", "1\n2\n")
    cases.append((make, rf"{p}: a labelled CSV needs at least 2 columns, found 1"))
    make, p = csv("latin.csv", "1,2\n\xe9,3\n")
    cases.append((make, rf"{p} is not UTF-8 text \(byte 0xe9 at offset 4\)"))
    where = re.escape(str(tmp_path))
    cases.append((lambda: D.from_csv(tmp_path), rf"{where} is a directory, not a data file"))
    cases.append((lambda: D.from_npy(tmp_path / "missing.npy"), rf"no such file: {where}/missing\.npy"))
    np.save(tmp_path / "objects.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    cases.append((lambda: D.from_npy(tmp_path / "objects.npy"), rf"cannot read {where}/objects\.npy: it holds "
                                                                 r"Python objects \(a pickled object array\), not numbers"))
    return cases


def test_dataset_input_errors_give_the_whole_reason(tmp_path):
    """Every documented input error of Dataset and its readers names the file, the row or the
    argument and says what is wrong, in one message (whole messages, so none is emptied or mangled)."""
    from zonocomb.errors import ZonocombError
    for make, message in _dataset_input_errors(tmp_path):
        with pytest.raises(ZonocombError, match=f"^{message}$"):
            make()


def test_a_csv_header_is_skipped_with_a_warning_naming_the_row(tmp_path):
    """from_csv reads a first row without numbers as a header and says so (its docstring), so no
    example is dropped silently."""
    from zonocomb.errors import ZonocombWarning
    path = tmp_path / "data.csv"
    path.write_text("x1,x2,label\n1,2,0\n3,4,1\n")
    with pytest.warns(ZonocombWarning, match=f"^{re.escape(str(path))}: row 1 \\(x1,x2,label\\) has no number and is "
                                             r"read as a header$"):
        ds = Dataset.from_csv(path)
    assert ds.N == 2 and ds.y.tolist() == [0.0, 1.0]


def _geometry_input_errors():
    """(a call with bad input, the whole expected message) for the entry points of zonocomb/geometry."""
    from zonocomb.geometry.arrangement import ChamberWalls, HyperplaneArrangement
    from zonocomb.geometry.chambers import chambers_exact
    from zonocomb.geometry.faces import f_vector
    from zonocomb.geometry.position import general_position_witness
    from zonocomb.geometry.power import ZonotopePower
    from zonocomb.geometry.zonotope import Zonotope
    zero = r"is the zero vector; it defines no hyperplane and its barcode entry is undefined \(remove zero generators first\)"
    Z = Zonotope([[1, 0], [0, 1], [1, 1]])
    return [
        (lambda: ChamberWalls([[1, 0], [2, 0]]).walls([1, 1]), r"normals of a rank-1 arrangement must form one class"),
        (lambda: HyperplaneArrangement([[1, 0], [0, 0]]), rf"generator 1 \(0-based\) of normals {zero}"),
        (lambda: chambers_exact([[1, 0], [0, 0]]), rf"generator 1 \(0-based\) of generators {zero}"),
        (lambda: chambers_exact([[1, float("nan")]]), r"row 0 \(0-based\) of generators contains nan; only finite numbers are allowed"),
        (lambda: f_vector([[1, 1], [0, 0]], [(0, 0), (1, 1)]),
         r"generator 1 \(0-based\) is the zero vector; it spans no hyperplane and the zonotope's barcodes are undefined for it "
         r"\(remove zero generators first\)"),
        (lambda: general_position_witness([[float("nan"), 1]]), r"row 0 \(0-based\) of generators contains nan; only finite numbers are allowed"),
        (lambda: Zonotope([[1, float("inf")]]), r"row 0 \(0-based\) of generators contains inf; only finite numbers are allowed"),
        (lambda: ZonotopePower(object(), 2),
         r"zonotope must be a zonocomb Zonotope; object lacks N, n, generators, vertices, num_vertices, is_vertex, neighbors"),
        (lambda: Z.power(2).is_vertex(np.full((2, 3), 0.5)),
         r"A has dtype float64; a pattern of Z\^m is a bool array of shape \(m, N\) \(0/1 integer arrays are accepted too\)"),
        (lambda: Zonotope([[i, i * i, i ** 3, 1] for i in range(400)]).vertices(),
         r"this zonotope \(N=400, n=4, 400 parallel classes of rank 4\) may have up to 21174400 vertices, more than "
         r"10000000 to enumerate; use neighbors\(\) and local search instead"),
        (lambda: Z.pattern_of([1, -1]),
         r"w lies on the hyperplane of generator\(s\) \[2\] \(w·x_i = 0\), so it is in no chamber and has no vertex barcode"),
    ]


def test_geometry_input_errors_give_the_whole_reason():
    """Bad input gets a clear, specific error (the project's standard): whole messages, so none is
    emptied or mangled, and each names the argument as its caller knows it."""
    from zonocomb.errors import ZonocombError
    for call, message in _geometry_input_errors():
        with pytest.raises(ZonocombError, match=f"^{message}$"):
            call()


def test_chambers_uses_the_exact_enumerator_by_default():
    from zonocomb.geometry.chambers import chambers, chambers_exact
    X = [[1, 0, 1], [0, 1, 1], [1, 1, 1], [2, 3, 1]]
    assert chambers(X).tolist() == chambers_exact(X).tolist() == chambers(X, method="baseline").tolist()


def test_random_vertex_redraws_a_unit_on_a_hyperplane_from_the_same_generator():
    """A unit whose Gaussian weights land exactly on a hyperplane w·x_i = 0 (no vertex) is redrawn
    from the same generator (random_vertex's notes), so the result is a vertex of Z^m and seeded
    runs stay reproducible."""
    from zonocomb.geometry.zonotope import Zonotope

    class FirstDrawGiven(np.random.Generator):
        def __init__(self, first):
            super().__init__(np.random.PCG64(5))
            self.first = first

        def standard_normal(self, size=None, *args, **kwargs):
            if self.first is not None:
                out, self.first = self.first, None
                return out
            return super().standard_normal(size, *args, **kwargs)

    P = Zonotope([[0, 1, 1], [1, 0, 1], [1, 1, 1], [2, 1, 1]]).power(2)
    first = np.array([[0.0, 1.0, -1.0], [0.3, -0.2, 0.5]])      # unit 0: w·x_0 = 1 − 1 = 0
    A = P.random_vertex(random_state=FirstDrawGiven(first))
    redraw = np.random.Generator(np.random.PCG64(5)).standard_normal(3)
    assert P.is_vertex(A)
    assert A[0].tolist() == P.unit_pattern(redraw).tolist()
    assert A[1].tolist() == P.unit_pattern(first[1]).tolist()


# ----- documented costs: float filters that decide the usual case, so the exact path runs on ties only -----

def _count_calls(monkeypatch, owner, name, log=None):
    """Replace ``owner.name`` by a wrapper that counts its calls (and logs their arguments)."""
    function = getattr(owner, name)
    calls = []

    def spy(*args, **kwargs):
        calls.append(args if log is None else log(*args, **kwargs))
        return function(*args, **kwargs)
    monkeypatch.setattr(owner, name, spy)
    return calls


@pytest.mark.parametrize("boundary", [3, 10])
def test_one_basis_of_facets_certifies_every_hyperplane_of_its_cone_at_once(boundary, monkeypatch):
    """ChamberWalls reuses one redundancy basis S for every normal it covers (class docstring): the
    positive orthant of Q^3 has the facets e1, e2, e3, and eight other normals with nonnegative
    coefficients in that basis, so one certification settles them all. Its float solve certifies
    the seven with positive coefficients; only e1 + e2 (a zero coefficient) goes to exact
    elimination (certify_redundant's docstring). Listed first among the eight, e1 + e2 is the one
    whose support {e1, e2} is completed to the basis; listed last, it is certified with the others."""
    import zonocomb.geometry.arrangement as arrangement
    inside = [[1, 2, 3], [2, 1, 1], [3, 1, 2], [1, 1, 4], [2, 3, 1], [5, 1, 1], [1, 4, 2]]
    inside.insert(boundary - 3, [1, 1, 0])
    X = [[1, 0, 0], [0, 1, 0], [0, 0, 1]] + inside
    walls = arrangement.ChamberWalls(X)
    bases = _count_calls(monkeypatch, arrangement._Chamber, "certify_redundant")
    exact = _count_calls(monkeypatch, arrangement, "_nonnegative_solutions", lambda A, S, cand: list(cand))
    lps = _count_calls(monkeypatch, arrangement, "_margin_lp")
    assert walls.walls([1] * len(X)) == [0, 1, 2]
    assert (len(bases), exact, len(lps)) == (1, [[boundary]], 1)


def _moment_curve(ts, n):
    """Points (1, t, t², …, t^(n−1)): any n of them are independent (a Vandermonde determinant), so
    they are in general position."""
    return [[t ** e for e in range(n)] for t in ts]


@pytest.mark.parametrize("ts, n", [(range(1, 16), 3), (range(1, 11), 4), (range(10**6, 10**6 + 12), 3)])
def test_general_position_test_of_points_in_general_position_needs_no_exact_arithmetic(ts, n, monkeypatch):
    """general_position_witness decides only hash collisions and zero cofactor vectors exactly
    (its notes): for points in general position its 64-bit hashes of the distinct normalized
    cofactor vectors collide with probability about C(N, n−1)²/2^65, so no exact cofactor vector is
    computed, in int64 (small t) or modulo a prime (t near 10^6, beyond int64)."""
    import zonocomb.geometry.position as position
    X = _moment_curve(ts, n)
    exact = _count_calls(monkeypatch, position, "_exact_cofactor")
    assert position.general_position_witness(X) is None
    assert exact == []


def test_a_cofactor_vector_divisible_by_the_first_prime_sends_the_test_to_the_next_prime(monkeypatch):
    """Modulo p = _PRIMES[0] the rows (1, 0, 0) and (p + 1, p, 2p) are parallel, over Q they are not:
    their cofactor vector vanishes mod p only. The test then tries the next prime (its notes); the
    exact scan over Q is the last resort, after every prime failed. The rows are in general
    position (brute force), and too large for int64."""
    import zonocomb.geometry.position as position
    p = position._PRIMES[0]
    X = [[1, 0, 0], [p + 1, p, 2 * p], [0, 1, 0], [0, 0, 1], [1, 3, 7], [2, 9, 4]]
    assert not position.int64_safe(X, 2)
    assert not _dependent_subset(X, 2) and not _dependent_subset(X, 3)
    primes = _count_calls(monkeypatch, position, "_scan", lambda X, max_rows, p: p)
    exact = _count_calls(monkeypatch, position, "_scan_exact")
    assert position.general_position_witness(X) is None
    assert (primes, exact) == (list(position._PRIMES[:2]), [])


def test_face_counts_enumerate_chambers_only_for_restrictions_of_dimension_three_or_more(monkeypatch):
    """face_counts counts the chambers of restrictions of dimension 1 and 2 in closed form (module
    docstring of zonocomb/geometry/flats.py): for 7 points of the moment curve in Q^4 (general
    position) only the empty flat (dimension 4) and the 7 flats of rank 1 (dimension 3) are
    enumerated; the counts are the closed form 2·C(N, k)·Σ_{i<n−k} C(N−k−1, i)."""
    import zonocomb.geometry.flats as flats
    enumerated = _count_calls(monkeypatch, flats, "chambers_exact", lambda normals: len(normals[0]))
    N, n = 7, 4
    assert flats.face_counts(_moment_curve(range(1, N + 1), n)) == tuple(
        2 * math.comb(N, k) * sum(math.comb(N - k - 1, i) for i in range(n - k)) for k in range(n))
    assert sorted(enumerated) == [3] * N + [4]


@pytest.mark.parametrize("seed", [5, 9, 12])
def test_chambers_of_a_degenerate_arrangement_with_62_bit_entries_are_exact(seed):
    """Beyond int64 the chamber enumerator takes the signs on its rays from a float filter with a
    rigorous error bound, exact arithmetic deciding what the bound cannot (module docstring of
    zonocomb/geometry/chambers.py). Six random normals a_i in Q^7 with entries near 2^62 and
    y = Σ ±a_i: the line where the a_i meet lies on H_y too (u·y = 0 exactly), while the float value
    of u·y, a sum of terms near 1 that cancel, is off by rounding. With two more random normals the
    chambers must be those of the exact LP baseline (the cancellation is large enough in these
    instances that a bound too small by the sum's magnitude invents chambers)."""
    from zonocomb.geometry.chambers import chambers_baseline, chambers_exact
    rng = np.random.default_rng(seed)
    n = 7
    a = [[int(v) for v in rng.integers(-2 ** 62, 2 ** 62, size=n, dtype=np.int64)] for _ in range(n - 1)]
    signs = rng.choice([-1, 1], size=n - 1)
    y = [sum(int(s) * row[j] for s, row in zip(signs, a)) for j in range(n)]
    X = a + [y] + [[int(v) for v in rng.integers(-2 ** 62, 2 ** 62, size=n, dtype=np.int64)] for _ in range(2)]
    assert chambers_exact(X).tolist() == chambers_baseline(X).tolist()


@pytest.mark.parametrize("n", [4, 5])
def test_the_braid_arrangement_has_one_chamber_per_ordering_of_the_coordinates(n):
    """The hyperplanes w_i = w_j (normals e_i − e_j, i < j) cut Q^n into n! chambers, one per strict
    ordering of the coordinates, with the signs sign(w_i − w_j) of that ordering. Every line of this
    arrangement lies on more than n − 2 of its hyperplanes and it does not span Q^n (w = (1, …, 1)
    lies on all of them): the degenerate case of the enumerator, where each line's chambers come
    from the arrangement of the hyperplanes through it."""
    from zonocomb.geometry.chambers import chambers_exact
    pairs = list(itertools.combinations(range(n), 2))
    X = [[1 if k == i else -1 if k == j else 0 for k in range(n)] for i, j in pairs]
    orderings = {tuple(rank_of[i] > rank_of[j] for i, j in pairs) for rank_of in itertools.permutations(range(n))}
    assert len(orderings) == math.factorial(n)
    assert {tuple(row) for row in chambers_exact(X).tolist()} == orderings


# ----- contracts no test reached before (coverage of zonocomb/geometry under the suite) --------------

@pytest.mark.parametrize("dependent", [False, True])
def test_the_exact_scan_decides_general_position_when_every_prime_divides_a_cofactor_vector(dependent, monkeypatch):
    """The cofactor vector of (1, 0, 0) and (1, P, P), with P the product of the five primes, is
    (0, −P, P): zero modulo every prime, not over Q. Each prime is then tried in turn, and the exact
    scan over Q decides (general_position_witness' notes); its answer is the brute force's. With
    (0, 1, 1) = ((1, P, P) − (1, 0, 0)) / P added, rows 0, 1 and the new one are a circuit."""
    import zonocomb.geometry.position as position
    P = math.prod(position._PRIMES)
    X = [[1, 0, 0], [1, P, P], [0, 1, 0], [0, 0, 1], [1, 3, 7]]
    if dependent:
        X.append([0, 1, 1])
    assert not position.int64_safe(X, 2)
    assert _dependent_subset(X, 3) == dependent and not _dependent_subset(X, 2)
    primes = _count_calls(monkeypatch, position, "_scan", lambda X, max_rows, p: p)
    exact = _count_calls(monkeypatch, position, "_scan_exact")
    witness = position.general_position_witness(X)
    assert (primes, len(exact)) == (list(position._PRIMES), 1)
    assert witness == ((0, 1, 5) if dependent else None)


def test_a_singular_basis_certifies_no_redundancy():
    """_verified_nonnegative answers True only for a certified positive solution of B μ = c; with
    an exactly singular B there is no unique solution, so nothing is certified (its docstring:
    False means "not certified", never "negative")."""
    from zonocomb.geometry.arrangement import _verified_nonnegative
    B = np.array([[1.0, 2.0], [2.0, 4.0]])
    C = np.array([[3.0, 1.0], [6.0, -2.0]])             # μ = (1, 1) solves B μ = (3, 6), among others
    assert _verified_nonnegative(B, C).tolist() == [False, False]
    assert _verified_nonnegative(np.eye(2), C).tolist() == [True, False]


def test_zonotope_facets_are_the_faces_where_a_linear_function_is_largest():
    """Each facet of Z = Σ [0, x_i] (Zonotope.facets) is {x ∈ Z : normal·x = offset} with offset the
    maximum of normal·x over Z, i.e. Σ_i max(0, normal·x_i); its covector is sign(normal·x_i) and
    its vertices are the vertices λ attaining the maximum. The facets are dual to the rays of the
    arrangement, so there are f_{n−1} of them (face_counts)."""
    from fractions import Fraction
    from zonocomb.geometry.zonotope import Zonotope
    X = [[1, 0, 1], [0, 1, 1], [1, 1, 1], [2, 1, 1], [0, 0, 1]]
    Z = Zonotope(X)
    facets = Z.facets()
    assert len(facets) == Z.f_vector()[-1]
    for F in facets:
        values = [sum((a * b for a, b in zip(F.normal, x)), Fraction(0)) for x in X]
        assert F.offset == sum(max(v, 0) for v in values)
        assert F.covector == tuple((v > 0) - (v < 0) for v in values)
        assert F.vertices == {b for b in Z.vertices() if sum(v for v, l in zip(values, b) if l) == F.offset}
    assert len({F.normal for F in facets}) == len(facets)


def test_zonotope_and_arrangement_describe_themselves_by_their_sizes():
    from fractions import Fraction
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    from zonocomb.geometry.zonotope import Zonotope
    Z = Zonotope([[1, 0], ["1/2", 1], [0, 3]])
    assert repr(Z) == "Zonotope(N=3, n=2)"
    assert Zonotope(Z).generators == Z.generators and Zonotope(Z).vertices() == Z.vertices()
    H = HyperplaneArrangement([[1, 0], ["1/2", 1], [0, 3]])
    assert repr(H) == "HyperplaneArrangement(n_hyperplanes=3, dim=2)"
    assert H.normals == ((1, 0), (Fraction(1, 2), 1), (0, 3))


def test_barcodes_and_weights_that_are_no_sequences_of_numbers_are_refused_by_name():
    """A barcode must be a sequence of 0/1 entries and w a sequence of n numbers (Zonotope); a
    number, or a list of arrays (rows of a 2-D array), is refused with the reason."""
    from zonocomb.geometry.zonotope import Zonotope
    Z = Zonotope([[1, 0], [0, 1]])
    with pytest.raises(InvalidTypeError, match=r"^a barcode is a sequence of 0/1 entries, got 5$"):
        Z.is_vertex(5)
    with pytest.raises(ValueError, match=r"^entry 0 of the barcode is array\(\[0, 1\]\); expected 0 or 1$"):
        Z.is_vertex([np.array([0, 1]), np.array([1, 0])])
    with pytest.raises(InvalidTypeError, match=r"^w must be a sequence of 2 numbers, got 5$"):
        Z.pattern_of(5)
    with pytest.raises(ValueError, match=r"^w has 3 entries, expected n = 2$"):
        Z.pattern_of([1, 2, 3])


def test_an_unlabelled_dataset_written_to_csv_reads_back_equal(tmp_path):
    """to_csv writes the examples exactly (labels only when there are some); reading the file back
    gives an equal dataset, with an equal hash."""
    ds = Dataset([["1/3", 2], [-1, "0.5"]])
    path = tmp_path / "x.csv"
    ds.to_csv(path)
    assert path.read_text().split() == ["1/3,2", "-1,1/2"]
    back = Dataset.from_csv(path, label_column=None)
    assert back == ds and hash(back) == hash(ds) and len({ds, back}) == 1
    labelled = ds.with_labels([1, 0])
    assert labelled != ds and Dataset(ds.X_exact, y=[1, 0]) in {labelled}


def test_unreadable_data_files_are_refused_with_the_reason(tmp_path):
    """An empty .npy file and a CSV with a cell beyond the csv module's field limit cannot be read:
    a clear error naming the file (Dataset.from_npy, Dataset.from_csv), no traceback of numpy or csv."""
    import csv
    from zonocomb.errors import InvalidInputError
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match=f"^cannot read {re.escape(str(empty))}: "):
        Dataset.from_npy(empty)
    wide = tmp_path / "wide.csv"
    wide.write_text("1," + "2" * (csv.field_size_limit() + 1) + "\n")
    with pytest.raises(InvalidInputError, match=f"^cannot read {re.escape(str(wide))}: field larger than field limit"):
        Dataset.from_csv(wide)


@pytest.mark.parametrize("M", [1, 63, 64, 65, 128])
def test_packed_barcodes_unpack_to_themselves_and_sort_lexicographically(M):
    """Sign vectors packed into uint64 words (bit j of a row most significant first) unpack to the
    same rows for every width, also a multiple of 64, and sort_barcodes gives the distinct rows in
    lexicographic order (False < True), an empty array for no rows."""
    from zonocomb.geometry.chambers import pack_barcodes, sort_barcodes, unpack_barcodes
    B = np.random.default_rng(M).random((9, M)) < 0.5
    B[5] = B[2]
    P = pack_barcodes(B)
    assert P.dtype == np.uint64 and P.shape == (9, (M + 63) // 64)
    assert np.array_equal(unpack_barcodes(P, M), B)
    assert sort_barcodes(B).tolist() == [list(row) for row in sorted({tuple(row) for row in B.tolist()})]
    assert sort_barcodes(B[:1]).tolist() == B[:1].tolist()
    empty = sort_barcodes(np.zeros((0, M), dtype=np.uint8))
    assert empty.dtype == bool and empty.shape == (0, M)


def test_cofactor_vectors_refuse_matrices_that_are_not_k_by_k_plus_1():
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.position import cofactor_vectors
    with pytest.raises(InvalidInputError, match=r"^cofactor_vectors needs matrices of shape \(B, k, k\+1\), "
                                                r"got \(1, 2, 2\)$"):
        cofactor_vectors(np.ones((1, 2, 2), dtype=np.int64))


def test_facet_walk_steps_one_entry_at_a_time_over_repeated_examples():
    """facet_walk's steps change exactly one (unit, example) entry (its docstring). A repeated
    example puts two generators on one hyperplane, whose crossing would change two entries at once;
    the walk takes no such step."""
    from zonocomb.geometry.walks import facet_walk
    X = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, -1.0, 1.0]])
    patterns = facet_walk(X, m=2, length=30, random_state=0)
    assert len(patterns) == 30
    assert all(np.sum(a != b) == 1 for a, b in zip(patterns, patterns[1:]))
    assert all(np.array_equal(P[:, 0], P[:, 1]) for P in patterns)


# ----- the seed-20 sample's survivors (docs/testing.md) ---------------------------------------------

def test_chambers_of_integers_whose_minors_fit_in_int64_need_no_float_filter(monkeypatch):
    """chambers_exact takes the signs on its rays in int64 whenever no overflow is possible (module
    docstring): in Q^3 a ray's sign is a 3×3 determinant, bounded by the cube of the largest l1 row
    norm, here below 2^62 (entries up to 4·10^5). The float filter with exact fallback is for larger
    entries only; the chambers are those of a generic arrangement (closed form)."""
    from zonocomb.geometry import chambers
    from zonocomb.geometry.position import int64_safe
    from zonocomb.geometry.zonotope import closed_form_vertex_count
    X = np.random.default_rng(2).integers(10**5, 4 * 10**5, size=(9, 3)).tolist()
    assert int64_safe(X, 2) and not int64_safe(X, 4)
    filtered = _count_calls(monkeypatch, chambers._ExactRays, "_filtered")
    assert len(chambers.chambers_exact(X)) == closed_form_vertex_count(9, 3)
    assert filtered == []


@pytest.mark.parametrize("seed", range(3))
def test_a_dependency_costs_exact_arithmetic_for_its_own_subsets_only(seed, monkeypatch):
    """Exact arithmetic in the general-position test runs on candidates only
    (general_position_witness' notes): with three of eight points of the plane on one line, the
    three pairs of the line span the same hyperplane (equal hashes) and are the only (n−1)-subsets
    whose cofactor vectors are computed exactly; the witness is the three points."""
    import zonocomb.geometry.position as position
    rng = np.random.default_rng(seed)
    while True:
        P = rng.integers(-50, 51, size=(8, 2))
        P[2] = 2 * P[1] - P[0]                              # 0, 1, 2 on one line
        X = [[int(a), int(b), 1] for a, b in P]
        others = [i for i in range(8) if i not in (0, 1, 2)]
        if not _dependent_subset([X[i] for i in others] + [X[0]], 3) and \
                all(rank([X[i] for i in S]) == 3 for S in itertools.combinations(range(8), 3) if set(S) != {0, 1, 2}):
            break
    exact = _count_calls(monkeypatch, position, "_exact_cofactor", lambda X, combo: tuple(combo))
    assert position.general_position_witness(X) == (0, 1, 2)
    assert sorted(exact) == [(0, 1), (0, 2), (1, 2)]


def test_the_general_position_test_counts_its_subsets_of_n_minus_1_generators():
    """It visits the C(N, n−1) subsets of n−1 generators and refuses more than max_subsets of them,
    naming the count (N = 7, n = 3: C(7, 2) = 21, where C(7, 4) = 35 would be another count)."""
    from zonocomb.errors import TooLargeError
    from zonocomb.geometry.position import general_position_witness
    X = [[i, i * i, 1] for i in range(7)]
    assert general_position_witness(X, max_subsets=21) is None
    with pytest.raises(TooLargeError, match=r"^the exact general-position test of N=7 generators in Q\^3 visits "
                                            r"C\(7, 2\) = 21 subsets, more than max_subsets=20$"):
        general_position_witness(X, max_subsets=20)


def test_a_shot_through_a_ridge_certifies_no_facet():
    """ChamberWalls' shooting only proposes: the first hyperplane hit along a ray is a facet when
    the exact hit point lies on it and strictly inside every other constraint (class docstring). In
    the positive orthant of Q^3 with the extra normal e1 + e2 (no wall: it meets the closed chamber
    in the ray of e3 only), a ray from (1, 1, 1) along −(e1 + e2) hits e1, e2 and e1 + e2 at once,
    at (0, 0, 1). Whatever the float hit times rank first, that point certifies nothing."""
    from zonocomb.geometry.arrangement import ChamberWalls, _Chamber
    walls = ChamberWalls([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]])
    ctx = _Chamber(walls, np.array([1, 1, 1, 1]))
    ctx.w_int = [1, 1, 1]
    ray = np.array([[-1.0, -1.0, 0.0]])
    for first in range(4):
        if first == 2:
            continue                                  # the ray never reaches e3's hyperplane
        ctx.slack = np.full(4, 1.0)
        ctx.slack[first] = 0.5                         # the float times rank `first` first
        assert ctx.shoot(ray) == set()
    assert walls.walls([1, 1, 1, 1]) == [0, 1, 2]



@pytest.mark.parametrize("dtype", [np.int64, object, float])
def test_cofactor_vectors_have_one_entry_per_column(dtype):
    """The cofactor vector of k vectors in Q^(k+1) has k + 1 entries (cofactor_vectors returns shape
    (B, k+1)), also for k = 0: the empty determinant gives u = (1), so det([y]) = y·u = y."""
    from zonocomb.geometry.position import cofactor_vectors
    for k in range(4):
        M = np.arange(3 * k * (k + 1)).reshape(3, k, k + 1).astype(dtype)
        U = cofactor_vectors(M)
        assert U.shape == (3, k + 1) and U.dtype == M.dtype
    assert cofactor_vectors(np.zeros((2, 0, 1), dtype=dtype)).tolist() == [[1], [1]]


def test_a_repeated_example_in_q4_is_witnessed_by_the_pair_alone():
    """general_position_witness returns a circuit, a minimal dependent set: in Q^4 the first
    dependent (n−1)-subset {0, 1, 2} holds the repeated example (rows 0 and 2), and is shrunk to
    that pair."""
    from zonocomb.geometry.position import general_position_witness
    X = [[1, 2, 3, 1], [0, 1, 5, 1], [1, 2, 3, 1], [4, 0, 1, 1], [2, 7, 1, 1]]
    assert rank([X[i] for i in (0, 1, 2)]) == 2
    assert general_position_witness(X) == (0, 2)


def test_barcodes_of_one_edge_of_a_square_miss_the_vertices_off_its_line():
    """The face functions need the whole vertex set of Z: the barcodes of one edge of the unit
    square span the line y = 0, which the generator (0, 1) leaves (the affine-hull check)."""
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.faces import f_vector
    with pytest.raises(InvalidInputError, match=r"^the barcodes miss vertices of the zonotope: generator 1 leaves "
                                                r"the affine hull of the given vertex points$"):
        f_vector([[1, 0], [0, 1]], [(0, 0), (1, 0)])


# ----- the seed-21 sample's survivors (docs/testing.md) ---------------------------------------------

@pytest.mark.parametrize("v", [2 ** 1024, 2 ** 1024 - 2 ** 970, -2 ** 1030])
def test_an_entry_that_rounds_beyond_the_double_range_is_refused_by_name(v):
    """The float views of a dataset (X_float, y) need every entry as a double: an entry that rounds
    to ±2^1024 or beyond (from 2^1024 − 2^970 on, half-way above the largest double) is refused with
    a message naming the row and the entry's size; the largest double itself converts."""
    from zonocomb.errors import InvalidInputError
    digits = len(str(abs(v))) - 1
    with pytest.raises(InvalidInputError, match=rf"^row 1 \(0-based\) of X has an entry of about 10\^{digits}, beyond the "
                                                r"floating-point range \(1\.8e308\) that the float computations"):
        Dataset([[1], [v]]).X_float
    with pytest.raises(InvalidInputError, match=rf"^y has an entry of about 10\^{digits}, beyond"):
        Dataset([[1], [2]], y=[0, v]).y
    largest = 2 ** 1024 - 2 ** 971
    assert Dataset([[1], [largest]]).X_float[1, 0] == float(largest) == np.finfo(float).max


def test_a_0_1_integer_pattern_has_the_neighbours_of_its_bool_pattern():
    """ZonotopePower accepts a pattern as a bool array or a 0/1 integer array (its _pattern); the
    neighbours of either are the same bool arrays, and both are vertices."""
    from zonocomb.geometry.zonotope import Zonotope
    P = Zonotope([[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]]).power(2)
    A = P.random_vertex(3)
    as_int = A.astype(np.int64)
    assert P.is_vertex(as_int) and P.is_vertex(A)
    from_int, from_bool = P.neighbors(as_int), P.neighbors(A)
    assert [B.dtype for B in from_int] == [np.dtype(bool)] * len(from_bool)
    assert [B.tolist() for B in from_int] == [B.tolist() for B in from_bool]


# ----- the seed-22 sample's survivors (docs/testing.md) ---------------------------------------------

@pytest.mark.parametrize("signs", [[1, 0, 1], [1, 2, -1], [1, -1], [1, -1, 1, 1]])
def test_walls_refuse_a_sign_vector_of_the_wrong_length_or_with_entries_other_than_plus_minus_1(signs):
    """HyperplaneArrangement.walls takes a chamber as N signs ±1 (its docstring): a wrong length,
    and a right length with an entry 0 or 2, are each refused with the reason."""
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    H = HyperplaneArrangement([[1, 0], [0, 1], [1, 1]])
    with pytest.raises(InvalidInputError, match=rf"^a chamber is a sequence of 3 signs ±1, got {re.escape(repr(signs))}$"):
        H.walls(signs)
