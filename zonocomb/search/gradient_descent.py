"""Batch gradient descent, the baseline of paper section 4.2 and appendix H (float, numpy).

The network is ``f(x) = vᵀ φ(W x̄) + c`` (paper eq. 24/25). Parameters start from the Glorot &
Bengio (2010) uniform initialisation: each weight matrix from ``U(−a, a)`` with
``a = sqrt(6 / (fan_in + fan_out))`` (the first layer's input weights with ``fan_in = d``,
``fan_out = m``; ``v`` with ``fan_in = m``, ``fan_out = 1``), unit biases and ``c`` at zero.
On synthetic data (appendix H.1.2) all parameters are trained; on the classification tasks
(appendix H.2.2) ``v`` is frozen to half +1, half −1 (``train_output=False``).

:func:`gradient_descent` trains one network. :func:`gradient_descent_batch` trains several at once
(the runs of a sweep that share a dataset shape: seeds × widths), as one descent on stacked arrays:
the same float64 formulas, the same initialisation per run and the same steps, so each run equals
its :func:`gradient_descent` twin up to the rounding of the summation order inside the stacked
matrix products (``tests/test_gradient_descent.py`` checks it; ``benchmarks/gd_batch.py`` measures
the speedup).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..convex.losses import loss_derivative, mean_loss
from ..errors import InvalidInputError
from ..geometry.dataset import Dataset
from ..validation import RandomState, check_int, check_random_state
from ._common import check_dataset, half_output_weights, pattern_of_weights, single_threaded_blas
from .result import SearchResult

__all__ = ["gradient_descent", "gradient_descent_batch", "glorot_init"]


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
def gradient_descent(dataset: Dataset, m: int, steps: int, lr: float = 1e-3, loss: str = "mse",
                     train_output: bool = True, fit_bias: bool = True, random_state: RandomState = None,
                     trace_every: int | None = None) -> SearchResult:
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
    steps, every = _check_schedule(steps, lr, trace_every)
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


def _check_schedule(steps, lr, trace_every) -> tuple[int, int]:
    """Validated ``steps`` and the trace interval (default: about 100 rows in total)."""
    steps = check_int(steps, "steps", 0)
    if not (isinstance(lr, (int, float, np.floating)) and np.isfinite(lr) and lr > 0):
        raise InvalidInputError(f"lr must be a positive finite number, got {lr!r}")
    every = max(1, steps // 100) if trace_every is None else check_int(trace_every, "trace_every", 1)
    return steps, every


def _diverged(step: int, value: float, lr: float) -> InvalidInputError:
    return InvalidInputError(f"gradient descent diverged at step {step} (loss {value}); lower lr (now {lr})")


def _descend(G, y, W, v, c, steps, lr, loss, train_output, fit_bias, every, trace, start):
    """The descent loop; appends trace rows and returns the final ``(W, v, c)``."""
    for step in range(steps + 1):
        Z = G @ W.T
        H = np.maximum(Z, 0.0)
        out = H @ v + c
        if step % every == 0 or step == steps:
            value = mean_loss(loss, out, y)
            if not np.isfinite(value):
                raise _diverged(step, value, lr)
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


@single_threaded_blas
def gradient_descent_batch(runs: Sequence[tuple[Dataset, int, RandomState]], steps: int, lr: float = 1e-3,
                           loss: str = "mse", train_output: bool = True, fit_bias: bool = True,
                           trace_every: int | None = None) -> list:
    """Train several networks by full-batch gradient descent in one vectorised loop.

    Run ``b`` is exactly :func:`gradient_descent` ``(dataset_b, m_b, steps, lr, loss,
    train_output, fit_bias, random_state_b, trace_every)``: the same Glorot initialisation drawn
    from its own ``random_state``, the same steps and float64 formulas. The runs are stacked along
    a leading axis: weights of shape ``(B, M, n)`` with ``M = max m_b`` (the units beyond ``m_b``
    are zero rows with zero output weight: their preactivation is 0, the ReLU derivative at 0 is
    0, so they stay zero and add exact zeros to the sums), data of shape ``(B, N, n)`` (or one
    shared ``(N, n)`` when every run uses the same dataset object), and each step is a few stacked
    matrix products. Only the summation order inside those products may differ from the unbatched
    run, so results agree to rounding.

    Parameters
    ----------
    runs : sequence of (Dataset, int, random_state)
        ``(dataset, m, random_state)`` per run. All datasets must have the same number of examples
        N, of generator columns n and input dimension d (one synthetic group's seeds, or one
        image task).
    steps, lr, loss, train_output, fit_bias, trace_every
        As in :func:`gradient_descent`, shared by every run.

    Returns
    -------
    list
        One entry per run, in order: its :class:`SearchResult` (``seconds`` is the batch's wall
        time divided by the number of runs), or, for a run whose loss became nan/inf, the
        :class:`~zonocomb.errors.InvalidInputError` that :func:`gradient_descent` would have raised
        (the other runs are unaffected).

    Raises
    ------
    InvalidInputError
        No runs, runs of different shapes, or the errors of :func:`gradient_descent`.

    Notes
    -----
    A step costs O(B N M n) flops, as B separate runs of width M, but with the Python and numpy
    call overhead of one run: the gain is largest for small problems (synthetic data), where that
    overhead dominates (``benchmarks/gd_batch.py``).
    """
    runs = list(runs)
    if not runs:
        raise InvalidInputError("gradient_descent_batch needs at least one run")
    labels = [check_dataset(ds, loss) for ds, _, _ in runs]
    widths = [check_int(m, "m (number of units)", 1) for _, m, _ in runs]
    steps, every = _check_schedule(steps, lr, trace_every)
    first = runs[0][0]
    shapes = {(ds.N, ds.n, ds.d, ds.homogenize) for ds, _, _ in runs}
    if len(shapes) > 1:
        raise InvalidInputError(f"gradient_descent_batch needs datasets of one shape (N, n, d, "
                                f"homogenize), got {sorted(shapes)}")
    B, M = len(runs), max(widths)
    shared = all(ds is first for ds, _, _ in runs)
    G = first.generators_float[None] if shared else np.stack([ds.generators_float for ds, _, _ in runs])
    Y = np.stack(labels)
    W, v, c = np.zeros((B, M, first.n)), np.zeros((B, M)), np.zeros(B)
    for b, ((ds, m, random_state), width) in enumerate(zip(runs, widths)):
        W[b, :width], v[b, :width], c[b] = glorot_init(width, ds.d, ds.n, check_random_state(random_state),
                                                       train_output)
    start = time.perf_counter()
    traces: list[list] = [[] for _ in range(B)]
    failures: dict[int, InvalidInputError] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        W, v, c = _descend_batch(G, Y, W, v, c, steps, lr, loss, train_output, fit_bias, every,
                                 traces, failures, start)
    share = (time.perf_counter() - start) / B
    out = []
    for b, ((ds, _, _), width) in enumerate(zip(runs, widths)):
        if b in failures:
            out.append(failures[b])
            continue
        Wb = W[b, :width].copy()
        pattern, _ = pattern_of_weights(ds, Wb)
        out.append(SearchResult(loss=traces[b][-1]["loss"], pattern=pattern, W=Wb, v=v[b, :width].copy(),
                                c=float(c[b]), trace=traces[b], n_solves=0, n_steps=steps, seconds=share,
                                method="gradient_descent", homogenize=ds.homogenize, loss_name=loss))
    return out


def _descend_batch(G, Y, W, v, c, steps, lr, loss, train_output, fit_bias, every, traces, failures, start):
    """:func:`_descend` on stacked runs (leading axis). A diverged run is recorded in ``failures``
    and its weights and this step's activations are zeroed, so that it stays finite (W = 0, v = 0)
    and cannot slow the others down with nan arithmetic."""
    for step in range(steps + 1):
        Z = G @ W.transpose(0, 2, 1)                              # (B, N, M)
        H = np.maximum(Z, 0.0)
        out = (H @ v[:, :, None])[:, :, 0] + c[:, None]           # (B, N)
        if step % every == 0 or step == steps:
            now = time.perf_counter() - start
            for b in range(len(traces)):
                if b in failures:
                    continue
                value = mean_loss(loss, out[b], Y[b])
                if not np.isfinite(value):
                    failures[b] = _diverged(step, value, lr)
                    W[b], v[b], c[b], Z[b], H[b], out[b] = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
                    continue
                traces[b].append({"step": step, "loss": value, "n_solves": 0, "seconds": now})
        if step == steps:
            break
        g = loss_derivative(loss, out, Y) / Y.shape[1]              # per run: N is axis 1
        grad_W = ((g[:, :, None] * v[:, None, :]) * (Z > 0)).transpose(0, 2, 1) @ G
        if train_output:
            v = v - lr * (H.transpose(0, 2, 1) @ g[:, :, None])[:, :, 0]
        if fit_bias:
            c = c - lr * g.sum(axis=1)
        W = W - lr * grad_W
    return W, v, c
