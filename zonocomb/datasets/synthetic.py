"""Synthetic regression problems labelled by a random shallow ReLU network (paper appendix H.1.1).

Given the input dimension d and the width m_gen of a *generating* network, N = (d + 1)·m_gen
examples x_i are drawn i.i.d. from N(0, I_d) and labelled by

    g(x) = v_genᵀ φ(W_gen x̄) + c_gen,            (paper eq. 23)

with x̄ = (x, 1), φ the ReLU, and W_gen ∈ R^{m_gen×(d+1)}, v_gen ∈ R^{m_gen}, c_gen ∈ R drawn
i.i.d. from the standard normal distribution. N = (d+1)·m_gen makes the number of equations equal
to the number of first-layer parameters of the generating network (section 4.2.1).
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError
from ..geometry.dataset import Dataset

__all__ = ["SyntheticProblem", "synthetic", "synthetic_problem"]


@dataclass(frozen=True)
class SyntheticProblem:
    """A synthetic dataset together with the network that labelled it.

    Attributes
    ----------
    dataset : Dataset
        N = (d+1)·m_gen examples (the float draws converted exactly) with labels y_i = g(x_i).
    W_gen : numpy.ndarray, shape (m_gen, d + 1)
        First layer of the generating network; the last column holds the unit biases.
    v_gen : numpy.ndarray, shape (m_gen,)
        Output weights of the generating network.
    c_gen : float
        Output bias of the generating network.
    seed : int
        The seed the problem was drawn from.
    """

    dataset: Dataset
    W_gen: np.ndarray
    v_gen: np.ndarray
    c_gen: float
    seed: int

    def predict(self, X) -> np.ndarray:
        """Evaluate the generating network g (eq. 23) on raw examples X of shape (k, d) (float)."""
        X = np.asarray(X, dtype=float)
        pre = X @ self.W_gen[:, :-1].T + self.W_gen[:, -1]
        return np.maximum(pre, 0.0) @ self.v_gen + self.c_gen

    @property
    def pattern(self) -> np.ndarray:
        """Activation pattern of the generating network on the examples: (m_gen, N) bool array,
        entry (u, i) true when unit u is active (pre-activation > 0) on example i."""
        return (self.W_gen @ self.dataset.generators_float.T) > 0


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidTypeError(f"{name} must be a positive integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value}")
    return int(value)


def synthetic_problem(d: int, m_gen: int, seed: int) -> SyntheticProblem:
    """Draw a synthetic problem of appendix H.1.1 and keep its generating network.

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    m_gen : int
        Number of hidden units of the generating network (>= 1); N = (d + 1)·m_gen.
    seed : int
        Non-negative integer. The draws come from ``numpy.random.default_rng([seed, d, m_gen])``
        in the order X (N×d), W_gen (m_gen×(d+1)), v_gen (m_gen), c_gen, so the problem is a
        deterministic function of (d, m_gen, seed) and different shapes never share draws.

    Returns
    -------
    SyntheticProblem

    Raises
    ------
    InvalidTypeError, InvalidInputError
        Non-integer or non-positive d / m_gen, or a negative seed.

    Examples
    --------
    >>> p = synthetic_problem(2, 3, seed=0)
    >>> p.dataset.N, p.dataset.d, p.W_gen.shape
    (9, 2, (3, 3))

    References
    ----------
    Paper appendix H.1.1, eq. (23); section 4.2.
    """
    d = _check_positive_int(d, "d")
    m_gen = _check_positive_int(m_gen, "m_gen")
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise InvalidTypeError(f"seed must be a non-negative integer, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer, got {seed}")
    seed = int(seed)
    rng = np.random.default_rng([seed, d, m_gen])
    N = (d + 1) * m_gen
    X = rng.standard_normal((N, d))
    W_gen = rng.standard_normal((m_gen, d + 1))
    v_gen = rng.standard_normal(m_gen)
    c_gen = float(rng.standard_normal())
    pre = X @ W_gen[:, :-1].T + W_gen[:, -1]
    y = np.maximum(pre, 0.0) @ v_gen + c_gen
    return SyntheticProblem(Dataset(X, y=y), W_gen, v_gen, c_gen, seed)


def synthetic(d: int, m_gen: int, seed: int) -> Dataset:
    """Synthetic regression dataset of appendix H.1.1 (see :func:`synthetic_problem`).

    N = (d+1)·m_gen standard normal examples in R^d, labelled by a shallow ReLU network with
    m_gen units whose weights W_gen, v_gen, c_gen are standard normal (paper eq. 23). The float
    examples and labels are converted to the Dataset exactly, bit for bit.

    Examples
    --------
    >>> ds = synthetic(4, 2, seed=1)
    >>> ds.N, ds.d
    (10, 4)
    >>> ds == synthetic(4, 2, seed=1)
    True
    """
    return synthetic_problem(d, m_gen, seed).dataset
