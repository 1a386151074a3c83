"""Dataset: exact parsing, validation with clear errors, I/O round trips; exact linear algebra."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb import Dataset, InvalidInputError, InvalidTypeError
from zonocomb.errors import ZonocombWarning
from zonocomb.exact import rational


def test_accepts_ints_fractions_strings_and_floats_exactly():
    ds = Dataset([[1, Fraction(1, 3)], ["3/7", "0.25"], [0.1, -2.0]], y=["1/2", 2, 0.5])
    assert ds.X_exact[0] == (1, Fraction(1, 3))
    assert ds.X_exact[1] == (Fraction(3, 7), Fraction(1, 4))
    # A float is converted bit for bit, not rounded to a short decimal.
    assert ds.X_exact[2][0] == Fraction(0.1) != Fraction(1, 10)
    assert ds.y_exact == (Fraction(1, 2), 2, Fraction(1, 2))
    assert ds.generators_exact[1] == (Fraction(3, 7), Fraction(1, 4), 1)
    assert ds.n == 3 and Dataset([[1, 2]], homogenize=False).n == 2
    np.testing.assert_array_equal(ds.generators_float[:, -1], 1.0)


@pytest.mark.parametrize("X, y, message", [
    ([], None, "no rows"),
    ([[1, 2], [3]], None, r"row 1 \(0-based\) of X has 1 entries"),
    ([[1, 2], [3, float("nan")]], None, r"row 1 \(0-based\) of X contains nan"),
    ([[1, float("inf")]], None, r"row 0 \(0-based\) of X contains inf"),
    ([[1, "abc"]], None, r"row 0 \(0-based\) of X contains 'abc'"),
    ([[1, 2], [3, 4]], [1], "y has 1 labels but X has 2"),
    ([[1, 2]], [float("nan")], r"label 0 \(0-based\) of y contains nan"),
    (np.zeros((2, 2, 2)), None, "2-dimensional"),
])
def test_bad_input_names_the_problem(X, y, message):
    with pytest.raises(InvalidInputError, match=message):
        Dataset(X, y=y)


def test_bad_types_are_type_errors():
    with pytest.raises(InvalidTypeError):
        Dataset([[1, None]])
    with pytest.raises(InvalidTypeError):
        Dataset([[1, True]])
    with pytest.raises(InvalidTypeError):
        Dataset([[1, 2j]])


def test_csv_round_trip_is_exact(tmp_path):
    ds = Dataset([["1/3", 2], [0.1, "-5/2"]], y=[1, "2/3"])
    path = tmp_path / "d.csv"
    ds.to_csv(path)
    assert Dataset.from_csv(path) == ds
    (tmp_path / "h.csv").write_text("a,b,label\n1,2,3\n4,5,6\n")
    with pytest.warns(ZonocombWarning, match="row 1 .* read as a header"):
        with_header = Dataset.from_csv(tmp_path / "h.csv")
    assert with_header.N == 2 and with_header.y_exact == (3, 6)
    (tmp_path / "r.csv").write_text("1,2,3\n4,5\n")
    with pytest.raises(InvalidInputError, match="row 2 .* has 2 columns, row 1 has 3"):
        Dataset.from_csv(tmp_path / "r.csv")


def test_npy_round_trip(tmp_path):
    X = np.array([[0.5, -1.25], [3.0, 2.0]])
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", np.array([1.0, 0.0]))
    ds = Dataset.from_npy(tmp_path / "x.npy", y_path=tmp_path / "y.npy", homogenize=False)
    np.testing.assert_array_equal(ds.X_float, X)
    assert ds.y_exact == (1, 0) and not ds.homogenize


def test_general_position_verdict_on_known_cases():
    assert Dataset([[0, 0], [1, 0], [0, 1], [1, 1]]).in_general_position()
    collinear = Dataset([[0, 0], [1, 1], [2, 2], [0, 1]])
    assert not collinear.in_general_position()
    assert set(collinear.general_position_witness()) <= {0, 1, 2}
    repeated = Dataset([[1, 2], [3, 1], [1, 2]])
    assert set(repeated.general_position_witness()) == {0, 2}


small_ints = st.integers(-6, 6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(small_ints, min_size=3, max_size=3), min_size=3, max_size=3))
def test_determinant_agrees_with_cofactor_expansion(rows):
    a = [[Fraction(v) for v in r] for r in rows]
    cof = (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
           - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
           + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))
    assert rational.determinant(a) == cof
    assert (rational.rank(a) == 3) == (cof != 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(small_ints, min_size=4, max_size=4), min_size=1, max_size=4))
def test_nullspace_vectors_are_annihilated_and_rank_nullity_holds(rows):
    basis = rational.nullspace(rows)
    assert len(basis) == 4 - rational.rank(rows)
    for x in basis:
        assert all(sum(Fraction(a) * b for a, b in zip(r, x)) == 0 for r in rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fractions(min_value=-5, max_value=5, max_denominator=9), min_size=1, max_size=5))
def test_integer_rows_is_a_positive_rescaling(row):
    (ints,) = rational.integer_rows([row])
    assert all(isinstance(v, int) for v in ints)
    nonzero = [(a, b) for a, b in zip(row, ints) if a != 0]
    if nonzero:
        ratio = Fraction(nonzero[0][1]) / nonzero[0][0]
        assert ratio > 0 and all(Fraction(b) == ratio * a for a, b in zip(row, ints))
    else:
        assert all(v == 0 for v in ints)
