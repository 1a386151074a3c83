"""The shared parameter checks of zonocomb.validation, and their use by the public functions."""
import warnings
from fractions import Fraction

import numpy as np
import pytest

from zonocomb.errors import InvalidInputError, InvalidTypeError, ZonocombError
from zonocomb.geometry.dataset import Dataset
from zonocomb.geometry.walks import facet_walk
from zonocomb.theory.perturbation import random_perturbation
from zonocomb.theory.reductions import general_position_variant, set_cover_to_relu
from zonocomb.validation import check_int, check_random_state


def test_check_random_state_streams():
    a, b = check_random_state(7), np.random.default_rng(7)
    assert a.integers(2 ** 62, size=5).tolist() == b.integers(2 ** 62, size=5).tolist()
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    # a legacy RandomState gives the Generator seeded by one draw from it
    expected = np.random.default_rng(np.random.RandomState(4).randint(0, 2 ** 31 - 1)).random(3)
    assert check_random_state(np.random.RandomState(4)).random(3).tolist() == expected.tolist()
    assert check_random_state(None).random() != check_random_state(None).random()


@pytest.mark.parametrize("bad, err", [(1.5, InvalidTypeError), ("seed", InvalidTypeError), (True, InvalidTypeError),
                                      (-1, InvalidInputError), (np.int64(-3), InvalidInputError)])
def test_check_random_state_rejects(bad, err):
    with pytest.raises(err, match="random_state") as info:
        check_random_state(bad)
    assert isinstance(info.value, ZonocombError)


def test_check_int():
    assert check_int(np.int32(3), "k", 0) == 3 and type(check_int(np.int32(3), "k", 0)) is int
    for bad, err in [(2.0, InvalidTypeError), (False, InvalidTypeError), (0, InvalidInputError)]:
        with pytest.raises(err, match="k"):
            check_int(bad, "k", 1)


def _instance():
    return set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])


@pytest.mark.parametrize("call", [
    lambda **kw: Dataset([[0, 0], [1, 2], [3, 1]]).zonotope().power(2).random_vertex(**kw),
    lambda **kw: random_perturbation(Dataset([[0, 0], [1, 2]]), Fraction(1, 10), **kw),
    lambda **kw: general_position_variant(_instance(), Fraction(1, 100), Fraction(1, 20), **kw),
])
def test_rng_keyword_is_a_deprecated_alias(call):
    new = call(random_state=5)
    with pytest.warns(DeprecationWarning, match="rng= is deprecated"):
        old = call(rng=5)
    if isinstance(new, np.ndarray):
        assert np.array_equal(new, old)
    else:
        assert new == old or new.dataset == old.dataset
    with pytest.raises(InvalidTypeError, match="random_state= only"):
        call(random_state=5, rng=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(random_state=np.random.default_rng(0))


def test_facet_walk_takes_a_seed():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.5, 1.0]])
    a = facet_walk(X, 2, 4, 3)
    b = facet_walk(X, 2, 4, np.random.default_rng(3))
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert all(np.sum(p != q) == 1 for p, q in zip(a, a[1:]))
