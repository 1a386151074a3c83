"""The filtered exact sign test of zonocomb.exact.predicates: its error bound, once."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonocomb.errors import InvalidInputError
from zonocomb.exact.predicates import (TINY, UNIT_ROUNDOFF, certified_signs, dot_error_bound, dot_signs,
                                       rounding_factor)
from zonocomb.geometry.position import SignFilter, scaled_float_rows


def test_unit_roundoff_is_half_the_spacing_at_one():
    assert 1.0 + UNIT_ROUNDOFF == 1.0 and 1.0 + 2 * UNIT_ROUNDOFF > 1.0
    assert UNIT_ROUNDOFF == np.finfo(float).eps / 2
    assert rounding_factor(1) == 2 * UNIT_ROUNDOFF
    with pytest.raises(InvalidInputError):
        rounding_factor(0)


def test_near_1e17_the_float_sum_has_the_wrong_nonzero_sign():
    # 10^17 + 3 − 10^17 − 2 = 1; the spacing of floats at 10^17 is 16, so left to right in float64
    # 10^17 + 3 rounds to 10^17 and the sum ends at −2.
    a = [10 ** 17, 3, -10 ** 17, -2]
    naive = 0.0
    for v in a:
        naive += float(v)
    assert naive == -2.0 and sum(a) == 1
    A = np.array([[float(v) for v in a]])
    assert dot_signs(A, np.ones((1, 4)), lambda i, j: sum(a)).tolist() == [[1]]
    # the same cancellation inside the integer filter, with scaled rows
    big = 10 ** 17
    rows = [[big + 1, -big, 3], [big - 1, -big, 3], [big, -big, 0]]
    w = [[1, 1, 0], [1, 1, 1]]
    assert SignFilter(rows).signs(w).tolist() == [[1, 1], [-1, 1], [0, 0]]


def test_undecided_entries_go_to_the_exact_evaluation():
    calls = []
    A = np.array([[1.0, -1.0], [1.0, 2.0]])
    B = np.array([[1.0, 1.0], [3.0, -1.0]])

    def exact(i, j):
        calls.append((i, j))
        return sum(Fraction(x) * Fraction(y) for x, y in zip(A[i], B[j]))
    assert dot_signs(A, B, exact).tolist() == [[0, 1], [1, 1]]
    assert calls == [(0, 0)]                       # only the exact zero was undecided
    signs, undecided = certified_signs(np.array([np.nan, np.inf, 1.0]), np.array([1.0, np.inf, 0.5]))
    assert undecided.tolist() == [True, True, False] and signs.tolist() == [0, 0, 1]


def _cancelling_rows(draw_ints):
    """Integer rows a, b with large entries and a small exact dot product a·b."""
    a, b = draw_ints
    n = len(a)
    # make a·b small: adjust the last entry of a (b[-1] = 1) to cancel all but a small remainder
    partial = sum(x * y for x, y in zip(a[:-1], b[:-1]))
    return a[:-1] + [-partial + a[-1] % 7 - 3], b[:-1] + [1], n


ints = st.integers(-2 ** 80, 2 ** 80)


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(st.lists(ints, min_size=n, max_size=n),
                                                     st.lists(ints, min_size=n, max_size=n))),
       st.booleans())
def test_the_bound_holds_and_the_signs_are_exact(rows, cancel):
    a, b = rows
    if cancel:
        a, b, _ = _cancelling_rows((a, b))
    A, B = scaled_float_rows([a]), scaled_float_rows([b])
    scale = Fraction(2 ** max(abs(v) for v in a).bit_length()) * Fraction(2 ** max(abs(v) for v in b).bit_length())
    exact = Fraction(sum(x * y for x, y in zip(a, b))) / scale
    bound = dot_error_bound(np.abs(A), np.abs(B))[0, 0]
    approx = (A @ B.T)[0, 0]
    # the proven bound: |fl(â·b̂) − a·b| ≤ bound, checked in exact arithmetic
    assert abs(Fraction(approx) - exact) <= Fraction(bound)
    sign = dot_signs(A, B, lambda i, j: sum(x * y for x, y in zip(a, b)))[0, 0]
    assert sign == (exact > 0) - (exact < 0)


def test_bound_is_tight_enough_to_decide_generic_products():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((200, 9)), rng.standard_normal((300, 9))
    calls = []
    signs = dot_signs(A, B, lambda i, j: calls.append((i, j)) or 0)
    assert not calls and np.array_equal(signs, np.sign(A @ B.T))
    assert dot_error_bound(np.abs(A), np.abs(B)).max() < 1e-12
    assert TINY * 1000 < 1e-200
