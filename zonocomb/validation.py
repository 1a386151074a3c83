"""Checks of parameters shared by every layer: random states, integer counts, renamed parameters.

One place for each rule, so that every public function of zonocomb accepts the same values and
says the same thing about a bad one (errors from :mod:`zonocomb.errors`).
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .errors import InvalidInputError, InvalidTypeError

__all__ = ["RandomState", "check_random_state", "check_int", "check_bool", "renamed_parameter", "UNSET"]

#: The values the public API accepts as ``random_state`` (:func:`check_random_state`).
RandomState = int | np.random.Generator | np.random.RandomState | None


class _Unset:
    """Marker of a keyword that was not passed (distinct from None, which is a valid value)."""

    def __repr__(self) -> str:
        return "<unset>"


#: default of a deprecated keyword: tells "not passed" apart from every real value
UNSET = _Unset()


def check_random_state(random_state) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from the values the public API accepts as ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` draws fresh entropy; a non-negative int seeds a new Generator
        (``numpy.random.default_rng(seed)``, so the same seed gives the same stream); a Generator is
        returned as it is (the caller's draws advance it); a legacy RandomState is turned into a
        Generator seeded by one draw ``randint(0, 2**31 - 1)`` from it (scikit-learn's convention
        of passing RandomState objects keeps working).

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InvalidTypeError
        Any other type (bools and floats included).
    InvalidInputError
        A negative seed.

    Examples
    --------
    >>> g = check_random_state(3)
    >>> bool(g.integers(10**9) == np.random.default_rng(3).integers(10**9))
    True
    >>> check_random_state(g) is g
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2 ** 31 - 1))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        if random_state < 0:
            raise InvalidInputError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise InvalidTypeError(
        f"random_state must be None, a non-negative int or a numpy Generator, got {random_state!r}")


def check_int(value, name: str, minimum: int) -> int:
    """``value`` as a Python int, if it is an integer (not a bool) of at least ``minimum``.

    Raises
    ------
    InvalidTypeError
        Not an integer (floats such as ``2.0`` and bools included); the message names ``name``.
    InvalidInputError
        Smaller than ``minimum``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """``value`` as a Python bool, if it is a bool (Python's or numpy's).

    Raises
    ------
    InvalidTypeError
        Anything else (0/1 and strings such as ``"no"`` included); the message names ``name``.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def renamed_parameter(new_value, old_value, new: str, old: str, default=None):
    """The value of a parameter renamed from ``old`` to ``new``, accepting the old keyword for one
    release with a :class:`DeprecationWarning`.

    Parameters
    ----------
    new_value
        What the caller passed as ``new`` (``default`` when not passed).
    old_value
        What the caller passed as ``old``, or :data:`UNSET`.

    Raises
    ------
    InvalidTypeError
        Both keywords were given.

    Examples
    --------
    >>> renamed_parameter(None, UNSET, "random_state", "rng") is None
    True
    """
    if old_value is UNSET:
        return new_value
    if new_value is not default:
        raise InvalidTypeError(f"pass {new}= only; {old}= is its deprecated old name")
    warnings.warn(f"the keyword {old}= is deprecated and will be removed in the next release; "
                  f"use {new}=", DeprecationWarning, stacklevel=3)
    return old_value
