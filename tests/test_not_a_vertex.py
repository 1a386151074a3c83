"""Region programs of patterns that are not vertices of Z^m warn (NotAVertexWarning, issue 14).

Independent evidence: a row of a pattern is a vertex barcode of Z iff its open cone
{w : (2A_ui − 1) w·x̄_i > 0} is nonempty, decided by the exact cddlib LP of the brute-force
oracle (``proofs_checks.brute``), which shares no code with the zonotope or the region program.
"""
import os
import re
import warnings

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram, solve_region
from zonocomb.errors import InvalidTypeError, NotAVertexWarning, ZonocombWarning
from zonocomb.geometry.power import ZonotopePower
from zonocomb.proofs_checks.brute import open_cone_nonempty


def brute_non_vertex_units(ds, A):
    return [u for u in range(A.shape[0])
            if not open_cone_nonempty(ds.generators_exact, [2 * int(b) - 1 for b in A[u]])]


def patterns(ds, m, rng, count):
    """Vertices of Z^m, random 0/1 patterns, and vertices with one entry flipped."""
    power = ZonotopePower(ds.zonotope(), m)
    for k in range(count):
        A = power.random_vertex(rng)
        if k % 3 == 1:
            A = rng.random(A.shape) < 0.5
        elif k % 3 == 2:
            A[rng.integers(m), rng.integers(ds.N)] ^= True
        yield A


@pytest.mark.parametrize("seed", range(3))
def test_the_warning_names_exactly_the_units_whose_rows_are_not_vertices(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-2, 3, size=(7, 2)).astype(float)          # grid data: not in general position
    X = X[np.abs(X).sum(axis=1) > 0]
    ds = Dataset(X, y=rng.standard_normal(len(X)))
    program = RegionProgram(ds, [1.0, -1.0, 1.0])
    seen = set()
    for A in patterns(ds, 3, rng, 12):
        expected = brute_non_vertex_units(ds, A)
        seen.add(bool(expected))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = program.solve(A, check_vertex=True)
            one_shot = solve_region(ds, A, [1.0, -1.0, 1.0])
        assert abs(sol.loss - one_shot.loss) <= 1e-9 * (1 + sol.loss)
        found = [w for w in caught if issubclass(w.category, NotAVertexWarning)]
        assert len(found) == (2 if expected else 0)
        for w in found:
            message = str(w.message)
            one, many = re.search(r"unit (\d+)'s row is not|units ([\d, ]+) are not", message).groups()
            named = [int(one)] if one else [int(t) for t in many.split(", ")]
            assert named == expected, message
            # attributed to the caller (not checkable under mutmut, whose trampolines add frames:
            # docs/testing.md)
            assert w.filename == __file__ or "MUTANT_UNDER_TEST" in os.environ
        assert program.non_vertex_units(A) == expected             # the LP path only
        assert program.non_vertex_units(A, sol.W) == expected      # the optimum certifies some rows
    assert seen == {True, False}


def test_the_check_is_opt_in_for_programs_and_opt_out_for_solve_region():
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0.0, 1.0, 0.0, 1.0])
    not_a_vertex = [[1, 0, 1, 0]]                                # on the line: no w separates this way
    program = RegionProgram(ds, [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        program.solve(not_a_vertex)                              # searches move along edges: no check
        solve_region(ds, not_a_vertex, [1.0], check_vertex=False)
        program.solve([[0, 0, 1, 1]], check_vertex=True)          # a vertex
    with pytest.warns(NotAVertexWarning, match="unit 0's row is not a vertex of the zonotope") as record:
        solve_region(ds, not_a_vertex, [1.0])
    assert issubclass(record[0].category, ZonocombWarning)
    with pytest.raises(InvalidTypeError, match="check_vertex must be a bool"):
        solve_region(ds, [[0, 0, 1, 1]], [1.0], check_vertex="yes")


def test_several_units_are_listed():
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0.0, 1.0, 0.0, 1.0])
    A = [[1, 0, 1, 0], [0, 0, 1, 1], [0, 1, 0, 1]]
    with pytest.warns(NotAVertexWarning, match="the rows of units 0, 2 are not vertices"):
        solve_region(ds, A, [1.0, -1.0, 1.0])


def test_witnesses_from_the_optimum_spare_most_lps(monkeypatch):
    # Random vertices of Z^3 on Gaussian data: the witness built from each optimum (its tight examples
    # pushed to their sides) proves most rows without an LP; the answers still match brute force.
    from zonocomb.geometry.zonotope import Zonotope
    rng = np.random.default_rng(7)
    ds = Dataset(rng.standard_normal((12, 2)), y=rng.standard_normal(12))
    program = RegionProgram(ds, [1.0, -1.0, 1.0])
    lps = []
    real = Zonotope.is_vertex
    monkeypatch.setattr(Zonotope, "is_vertex", lambda self, barcode: lps.append(1) or real(self, barcode))
    power = ZonotopePower(ds.zonotope(), 3)
    for _ in range(12):
        A = power.random_vertex(rng)
        sol = program.solve(A)
        assert program.non_vertex_units(A, sol.W) == [] == brute_non_vertex_units(ds, A)
    assert len(lps) < 36 / 2


def test_non_vertex_units_refuses_weights_of_the_wrong_shape():
    # W is documented as (m, n): a witness of another shape is an InvalidInputError, never used
    from zonocomb.errors import InvalidInputError
    ds = Dataset([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], y=[1.0, 0.0, 1.0])
    program = RegionProgram(ds, [1.0, -1.0])
    A = np.ones((2, 3), dtype=bool)
    assert program.non_vertex_units(A, np.ones((2, 3))) == brute_non_vertex_units(ds, A)
    for W in (np.ones((2, 2)), np.ones((3, 3)), np.ones(6)):
        with pytest.raises(InvalidInputError, match="W"):
            program.non_vertex_units(A, W)
