"""The result of a search for the weights of a shallow ReLU network (paper section 2).

Every search algorithm (:func:`~zonocomb.search.exact_erm`, :func:`~zonocomb.search.random_vertex`,
:func:`~zonocomb.search.gls`, :func:`~zonocomb.search.mgls`,
:func:`~zonocomb.search.gradient_descent`) returns a :class:`SearchResult` describing the network
``f(x) = vᵀ φ(W x̄) + c`` of paper eq. (24)/(25) and how it was found.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError
from ._common import forward

__all__ = ["SearchResult"]


@dataclass(frozen=True, eq=False)
class SearchResult:
    """A trained network and the record of the search that produced it.

    Attributes
    ----------
    loss : float
        Mean training loss (paper eq. 1) reported by the method: the optimum of the convex program
        (3) at ``pattern`` for the combinatorial methods, the loss at the final weights for
        gradient descent.
    pattern : numpy.ndarray of bool, shape (m, N)
        The vertex of Z^m (activation pattern, paper eq. 2) the method ended at. For the convex
        methods ``W`` lies in the closed region of this pattern, so the activation of ``W`` itself
        may differ from it only where ``w_u · x̄_i = 0`` (where both give the output 0).
    W : numpy.ndarray, shape (m, n)
        First-layer weights; for homogenized data the last column holds the unit biases.
    v : numpy.ndarray, shape (m,)
        Output weights.
    c : float
        Output bias (0 when it was not fitted).
    trace : list of dict
        One row per step with keys ``step``, ``loss``, ``n_solves`` (convex programs solved so far)
        and ``seconds`` (since the start).
    n_solves : int
        Convex programs (3) solved in total.
    n_steps : int
        Steps taken (moves between vertices; iterations for gradient descent and the
        alternating random-vertex method).
    seconds : float
        Wall time of the search.
    method : str
        ``"exact_erm"``, ``"random_vertex"``, ``"gls"``, ``"mgls"`` or ``"gradient_descent"``.
    homogenize : bool
        Whether inputs are homogenized to ``x̄ = (x, 1)`` (biased units, section 2) before ``W``.
    loss_name : str
        The loss that was minimised (``"mse"``, ``"logistic"`` or ``"l1"``).
    certificate : dict or None
        For :func:`~zonocomb.search.exact_erm`, the optimal loss of every enumerated vertex of Z^m
        (key: tuple of the m unit barcodes), which certifies the optimum; None otherwise.
    info : dict
        Method-specific extras (e.g. ``local_minimum``: whether a local search stopped because no
        neighbour improved).
    """

    loss: float
    pattern: np.ndarray
    W: np.ndarray
    v: np.ndarray
    c: float
    trace: list
    n_solves: int
    n_steps: int
    seconds: float
    method: str
    homogenize: bool = True
    loss_name: str = "mse"
    certificate: dict | None = None
    info: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        """Number of hidden units."""
        return int(self.W.shape[0])

    def _generators(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        d = self.W.shape[1] - (1 if self.homogenize else 0)
        if X.ndim != 2 or X.shape[1] != d:
            raise InvalidInputError(f"X must have shape (n_examples, {d}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise InvalidInputError("X contains nan or inf")
        return np.hstack([X, np.ones((X.shape[0], 1))]) if self.homogenize else X

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The network outputs ``vᵀ φ(W x̄) + c`` (floats) on raw examples ``X`` of shape (k, d)."""
        return forward(self._generators(X), self.W, self.v, self.c)

    def accuracy(self, X: ArrayLike, y: ArrayLike) -> float:
        """Fraction of examples whose label in {0, 1} equals ``𝕀{f(x) > 0}`` (the sign of the logit)."""
        y = np.asarray(y, dtype=float).reshape(-1)
        pred = self.predict(X) > 0
        if y.shape[0] != pred.shape[0]:
            raise InvalidInputError(f"y has {y.shape[0]} labels but X has {pred.shape[0]} examples")
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise InvalidInputError(f"accuracy needs labels in {{0, 1}}; label {bad[0]} (0-based) is {float(y[bad[0]])!r}")
        return float(np.mean(pred == (y == 1)))

    def __repr__(self) -> str:
        return (f"SearchResult(method={self.method!r}, loss={self.loss:.6g}, m={self.m}, "
                f"n_steps={self.n_steps}, n_solves={self.n_solves}, seconds={self.seconds:.3g})")
