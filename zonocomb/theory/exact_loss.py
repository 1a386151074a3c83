"""Exact empirical loss of a single ReLU unit with output weight 1 (paper eq. 1, m = 1).

L(w) = (1/N) Σ_i ℓ(φ(w·x̄_i), y_i) with φ the ReLU, evaluated in rational arithmetic. The
generators of the dataset are used, so for a homogenized dataset ``w`` includes the bias.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from ..errors import InvalidInputError
from ..exact.rational import to_fraction
from ..geometry.dataset import Dataset

__all__ = ["single_relu_loss"]

_LOSSES = {"l1": lambda r: abs(r), "mse": lambda r: r * r}


def single_relu_loss(dataset: Dataset, w: Sequence, loss: str) -> Fraction:
    """Exact mean loss ``(1/N) Σ ℓ(φ(w·x̄_i) − y_i)`` for ``loss`` in {"l1", "mse"}.

    Raises
    ------
    InvalidInputError
        Unknown loss, unlabelled dataset, or ``w`` of the wrong length.
    """
    if loss not in _LOSSES:
        raise InvalidInputError(f"unknown exact loss {loss!r}; choose one of {sorted(_LOSSES)}")
    y = dataset.y_exact
    if y is None:
        raise InvalidInputError(f"the exact {loss} loss needs labels, but the dataset has none (y=None)")
    w = [to_fraction(x, where=f"entry {j} of w") for j, x in enumerate(w)]
    if len(w) != dataset.n:
        raise InvalidInputError(f"w has {len(w)} entries but the dataset's generators have {dataset.n}")
    per_example = _LOSSES[loss]
    total = Fraction(0)
    for xi, yi in zip(dataset.generators_exact, y):
        z = sum((a * b for a, b in zip(w, xi)), Fraction(0))
        total += per_example(max(z, 0) - yi)
    return total / dataset.N
