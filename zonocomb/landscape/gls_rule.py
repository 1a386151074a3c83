"""The move rule of GLS (paper Algorithm 2) as :func:`zonocomb.search.gls` applies it, as functions.

ADAPTER, to be replaced by a public hook of ``zonocomb/search/gls.py``: that module keeps the rule
in its private class ``_LocalSearch`` (``improves``, ``at_floor``, the default ``atol``) and in the
loop of ``gls``. The functions below restate it, and ``tests/test_landscape.py`` checks them
against ``gls`` runs; they must change whenever gls.py's rule does. The rule:

* the margin: a neighbour improves on the current loss L when its loss L' satisfies
  ``L' < L − max(rtol·L, atol)``; ``atol=None`` means 1e-13 times the loss of W = 0
  (:func:`zonocomb.search.baseline_loss`);
* the floor: GLS stops without looking at neighbours once ``L ≤ atol``;
* the move: to the neighbour of least loss among the improving ones, the first in move order
  (units ascending, then Z-neighbours by barcode) among equal floats.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError
from ..search import baseline_loss

__all__ = ["gls_tolerances", "threshold", "gls_choice"]

#: gls's default relative margin (``gls(..., rtol=1e-9)``)
DEFAULT_RTOL = 1e-9
#: gls's default absolute margin as a multiple of the loss of W = 0
ATOL_FACTOR = 1e-13


def gls_tolerances(y, loss: str, fit_bias: bool, rtol=DEFAULT_RTOL, atol=None) -> tuple[float, float]:
    """The margins ``(rtol, atol)`` gls uses on this data (``atol=None``: its default)."""
    if not (np.isfinite(rtol) and rtol >= 0):
        raise InvalidInputError(f"rtol must be a non-negative number, got {rtol!r}")
    atol = ATOL_FACTOR * baseline_loss(y, loss, fit_bias) if atol is None else float(atol)
    if not (np.isfinite(atol) and atol >= 0):
        raise InvalidInputError(f"atol must be a non-negative number, got {atol!r}")
    return float(rtol), atol


def threshold(L, rtol: float, atol: float):
    """``L − max(rtol·L, atol)``: a loss below it improves on L (scalars or arrays)."""
    return L - np.maximum(rtol * L, atol)


def gls_choice(current: float, losses, rtol: float, atol: float) -> int | None:
    """Index of the neighbour GLS moves to from a vertex of loss ``current``, or None if it stops.

    ``losses`` are the neighbours' optimal losses in move order.
    """
    if current <= atol or len(losses) == 0:
        return None
    k = int(np.argmin(losses))          # the first of equal minima
    return k if losses[k] < threshold(current, rtol, atol) else None
