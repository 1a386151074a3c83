"""Per-example losses ℓ(ŷ, y) of the region program (paper eq. 3, appendices D and H), in float.

The empirical risk of a prediction vector ŷ ∈ R^N is the mean (1/N) Σ_i ℓ(ŷ_i, y_i) (paper eq. 1).
Three losses are supported:

``"mse"``
    ℓ(ŷ, y) = (ŷ − y)², the squared error of appendix H.1 (the region program is then a QP).
``"logistic"``
    ℓ(ŷ, y) = −y ŷ + log(1 + e^ŷ), sigmoid cross-entropy for labels y ∈ {0, 1} (appendix H.2.2).
``"l1"``
    ℓ(ŷ, y) = |ŷ − y|, the absolute error used in appendix D (the region program is then an LP).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError

__all__ = ["LOSSES", "SMOOTH_LOSSES", "check_loss", "check_labels", "mean_loss", "loss_derivative",
           "loss_derivatives"]

LOSSES = ("mse", "logistic", "l1")
SMOOTH_LOSSES = ("mse", "logistic")


def check_loss(loss: object) -> str:
    """Return ``loss`` if it names a supported loss, else raise InvalidInputError naming it."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise InvalidInputError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")
    return loss


def check_labels(loss: str, y: ArrayLike) -> np.ndarray:
    """Validate labels for ``loss``: finite, and in {0, 1} for the logistic loss; returns them as a
    float array."""
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise InvalidInputError(f"label {int(np.flatnonzero(~np.isfinite(y))[0])} (0-based) of y is not finite")
    if loss == "logistic":
        bad = np.flatnonzero((y != 0.0) & (y != 1.0))
        if bad.size:
            raise InvalidInputError(
                f"the logistic loss needs labels in {{0, 1}}; label {int(bad[0])} (0-based) of y is {float(y[bad[0]])!r}")
    return y


def mean_loss(loss: str, yhat: np.ndarray, y: np.ndarray) -> float:
    """The empirical risk (1/N) Σ_i ℓ(ŷ_i, y_i) of paper eq. (1), in float64."""
    if loss == "mse":
        r = yhat - y
        return float(np.dot(r, r) / y.size)
    if loss == "logistic":
        # log(1 + e^ŷ) − yŷ = (1 − y) log(1 + e^ŷ) + y log(1 + e^−ŷ) for y ∈ {0, 1}; the right side
        # keeps full relative accuracy when the loss is tiny (no cancellation).
        return float(np.mean((1.0 - y) * np.logaddexp(0.0, yhat) + y * np.logaddexp(0.0, -yhat)))
    if loss == "l1":
        return float(np.mean(np.abs(yhat - y)))
    raise InvalidInputError(f"unknown loss {loss!r}")


def loss_derivative(loss: str, yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The derivative ℓ'(ŷ_i, y_i) of each example's loss in ŷ_i (a subgradient for ``"l1"``).

    ``"mse"``: 2(ŷ − y); ``"logistic"``: σ(ŷ) − y, as in :func:`loss_derivatives` (no overflow or
    cancellation); ``"l1"``: sign(ŷ − y), the subgradient 0 at ŷ = y. The gradient of the mean
    loss (paper eq. 1) with respect to the outputs is this divided by N.

    Examples
    --------
    >>> loss_derivative("l1", np.array([0.5, 2.0, 1.0]), np.array([1.0, 1.0, 1.0])).tolist()
    [-1.0, 1.0, 0.0]
    """
    if loss == "l1":
        return np.sign(yhat - y)
    return loss_derivatives(loss, yhat, y)[0]


def loss_derivatives(loss: str, yhat: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives (ℓ'(ŷ_i, y_i), ℓ''(ŷ_i, y_i)) of a smooth loss in ŷ.

    ``"mse"``: (2(ŷ − y), 2); ``"logistic"``: (σ(ŷ) − y, σ(ŷ)(1 − σ(ŷ))) with σ the logistic
    sigmoid, evaluated without overflow or cancellation (labels in {0, 1}).
    """
    if loss == "mse":
        return 2.0 * (yhat - y), np.full_like(yhat, 2.0)
    if loss == "logistic":
        p = np.exp(-np.logaddexp(0.0, -yhat))          # σ(ŷ), stable for large |ŷ|
        q = np.exp(-np.logaddexp(0.0, yhat))           # 1 − σ(ŷ), computed directly (no cancellation)
        return (1.0 - y) * p - y * q, p * q           # σ(ŷ) − y without cancellation
    raise InvalidInputError(f"loss {loss!r} is not smooth; it has no second derivative")
