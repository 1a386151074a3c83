"""Batch gradient descent, the baseline of paper section 4.2 and appendix H (float, numpy).

The network is ``f(x) = vᵀ φ(W x̄) + c`` (paper eq. 24/25). Parameters start from the Glorot &
Bengio (2010) uniform initialisation: each weight matrix from ``U(−a, a)`` with
``a = sqrt(6 / (fan_in + fan_out))`` (the first layer's input weights with ``fan_in = d``,
``fan_out = m``; ``v`` with ``fan_in = m``, ``fan_out = 1``), unit biases and ``c`` at zero.
On synthetic data (appendix H.1.2) all parameters are trained; on the classification tasks
(appendix H.2.2) ``v`` is frozen to half +1, half −1 (``train_output=False``).
"""
from __future__ import annotations

import time

import numpy as np

from ..convex.losses import loss_derivative
from ..errors import InvalidInputError
from ..validation import check_int, check_random_state
from ._common import check_dataset, half_output_weights, mean_loss, pattern_of_weights, single_threaded_blas
from .result import SearchResult

__all__ = ["gradient_descent", "glorot_init"]


def glorot_init(m: int, d: int, n: int, rng: np.random.Generator, train_output: bool = True):
    """Glorot-uniform initial ``(W, v, c)`` for ``m`` units on ``d`` inputs (``n = d + 1`` columns
    when the units have biases, the last column then starting at 0).

    When ``train_output`` is False, ``v`` is the frozen half +1 / half −1 vector of appendix H.2.2.
    """
    a = np.sqrt(6.0 / (d + m))
    W = np.zeros((m, n))
    W[:, :d] = rng.uniform(-a, a, size=(m, d))
    if train_output:
        b = np.sqrt(6.0 / (m + 1))
        v = rng.uniform(-b, b, size=m)
    else:
        v = half_output_weights(m)
    return W, v, 0.0


@single_threaded_blas
def gradient_descent(dataset, m, steps, lr=1e-3, loss="mse", train_output=True, fit_bias=True,
                     random_state=None, trace_every=None) -> SearchResult:
    """Train a shallow ReLU network by full-batch gradient descent.

    Parameters
    ----------
    dataset : Dataset
        Labelled training data (homogenized data gives the units biases).
    m : int
        Number of hidden units (>= 1).
    steps : int
        Number of gradient steps (the paper uses 400,000 on synthetic data, 10^6 on MNIST).
    lr : float, default 1e-3
        Learning rate (the paper's value).
    loss : {"mse", "logistic", "l1"}
        Mean loss to minimise (``"l1"`` uses the subgradient ``sign(ŷ − y)``).
    train_output : bool, default True
        Train ``v`` too (synthetic setting, H.1.2); False freezes it to half +1, half −1 (H.2.2).
    fit_bias : bool, default True
        Train the output bias ``c``; False keeps ``c = 0``.
    random_state : None, int or numpy.random.Generator
        Seed of the Glorot initialisation.
    trace_every : int, optional
        Record a trace row every this many steps (default: about 100 rows in total).

    Returns
    -------
    SearchResult
        ``method="gradient_descent"``, the loss at the final weights, ``pattern`` = the final
        activation pattern (exact signs), ``n_solves = 0``, ``n_steps = steps``.

    Raises
    ------
    InvalidInputError
        Bad sizes, a non-positive learning rate, or divergence (the loss became nan/inf).

    Notes
    -----
    Each step costs O(N m n) flops; the forward and backward passes are vectorised over the data.
    The ReLU derivative at 0 is taken as 0.

    References
    ----------
    Paper appendix H.1.2 (synthetic data) and H.2.2 (classification).
    """
    y = check_dataset(dataset, loss)
    m = check_int(m, "m (number of units)", 1)
    steps = check_int(steps, "steps", 0)
    if not (isinstance(lr, (int, float, np.floating)) and np.isfinite(lr) and lr > 0):
        raise InvalidInputError(f"lr must be a positive finite number, got {lr!r}")
    every = max(1, steps // 100) if trace_every is None else check_int(trace_every, "trace_every", 1)
    rng = check_random_state(random_state)

    G = dataset.generators_float
    W, v, c = glorot_init(m, dataset.d, dataset.n, rng, train_output)
    start = time.perf_counter()
    trace = []
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught at the trace rows
        W, v, c = _descend(G, y, W, v, c, steps, lr, loss, train_output, fit_bias, every, trace, start)
    pattern, _ = pattern_of_weights(dataset, W)
    return SearchResult(loss=trace[-1]["loss"], pattern=pattern, W=W, v=v, c=float(c), trace=trace,
                        n_solves=0, n_steps=steps, seconds=time.perf_counter() - start,
                        method="gradient_descent", homogenize=dataset.homogenize, loss_name=loss)


def _descend(G, y, W, v, c, steps, lr, loss, train_output, fit_bias, every, trace, start):
    """The descent loop; appends trace rows and returns the final ``(W, v, c)``."""
    for step in range(steps + 1):
        Z = G @ W.T
        H = np.maximum(Z, 0.0)
        out = H @ v + c
        if step % every == 0 or step == steps:
            value = mean_loss(out, y, loss)
            if not np.isfinite(value):
                raise InvalidInputError(
                    f"gradient descent diverged at step {step} (loss {value}); lower lr (now {lr})")
            trace.append({"step": step, "loss": value, "n_solves": 0,
                          "seconds": time.perf_counter() - start})
        if step == steps:
            break
        g = loss_derivative(loss, out, y) / y.size
        grad_W = ((g[:, None] * v[None, :]) * (Z > 0)).T @ G
        if train_output:
            v = v - lr * (H.T @ g)
        if fit_bias:
            c = c - lr * float(g.sum())
        W = W - lr * grad_W
    return W, v, c
