"""Helpers shared by the search algorithms: the input check at their boundary, the network's
outputs, exact activation patterns, keys.

The network of paper eq. (24)/(25) is ``f(x) = vᵀ φ(W x̄) + c`` with ``φ = max(·, 0)``; its loss is
the mean over the dataset of ``ℓ(f(x_i), y_i)`` (paper eq. 1), evaluated with
:func:`zonocomb.convex.losses.mean_loss` (the region program's formulas).

Everything here is floating point except :func:`pattern_of_weights`, whose signs are exact.
"""
from __future__ import annotations

import functools

import numpy as np
from threadpoolctl import threadpool_limits

from ..convex.losses import check_labels, check_loss, mean_loss
from ..convex.problem import RegionProblem
from ..convex.region import exact_signs
from ..errors import InvalidTypeError
from ..geometry.dataset import Dataset
from ..validation import check_int


def single_threaded_blas(func):
    """Decorator: run a search algorithm with BLAS and OpenMP limited to one thread.

    The searches solve many tiny dense problems, where threads only add synchronisation
    (measurements in benchmarks/README.md). The previous limits are restored on return
    (threadpoolctl).
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)
    return wrapper


def check_dataset(dataset, loss: str) -> np.ndarray:
    """Validate ``dataset`` and ``loss`` and return the labels as floats.

    The searches without region programs call this once, at their public boundary
    (docs/design.md §7.4), and pass the checked loss name and labels inward; those with region
    programs check their input once with :func:`search_problem`.

    Raises
    ------
    InvalidTypeError
        ``dataset`` is not a :class:`~zonocomb.geometry.dataset.Dataset`.
    InvalidInputError
        Unknown loss, no labels, or labels outside {0, 1} for the logistic loss.
    """
    if not isinstance(dataset, Dataset):
        raise InvalidTypeError(f"dataset must be a zonocomb Dataset, got {type(dataset).__name__}")
    return check_labels(check_loss(loss), dataset.require_labels())


def search_problem(dataset, m, v, loss: str, fit_bias: bool, alpha: float = 0.0) -> RegionProblem:
    """The checked input of a search over Z^m with region programs: ``dataset``, ``m`` units with
    output weights ``v`` (None: :func:`half_output_weights`, appendix H), the loss, ``fit_bias``
    and ``alpha``, checked once (docs/design.md §7.4); the region programs built from it
    (:meth:`RegionProgram.from_problem <zonocomb.convex.region.RegionProgram.from_problem>`) do
    not check again.

    Raises
    ------
    InvalidTypeError, InvalidInputError
        As :class:`~zonocomb.convex.problem.RegionProblem`, or ``m`` not an integer >= 1.
    """
    m = check_int(m, "m (number of units)", 1)
    return RegionProblem(dataset, half_output_weights(m) if v is None else v, loss=loss, fit_bias=fit_bias,
                         alpha=alpha, m=m)


def half_output_weights(m: int) -> np.ndarray:
    """The fixed output weights of GLS/mGLS (appendix H): ⌈m/2⌉ entries +1, then ⌊m/2⌋ entries −1."""
    return np.array([1.0] * ((m + 1) // 2) + [-1.0] * (m // 2))


def forward(generators: np.ndarray, W: np.ndarray, v: np.ndarray, c: float) -> np.ndarray:
    """Network outputs ``vᵀ φ(W x̄_i) + c`` for the rows ``x̄_i`` of ``generators`` (float).

    The sums are accumulated term by term in a fixed order, so an example's output does not depend
    on which other examples are evaluated with it (a BLAS product may round differently for
    different batch sizes, which shows when the weights are large).
    """
    G = np.asarray(generators, dtype=float)
    Z = np.zeros((G.shape[0], W.shape[0]))
    for k in range(G.shape[1]):
        Z += G[:, k:k + 1] * W[:, k][None, :]
    H = np.maximum(Z, 0.0)
    out = np.full(G.shape[0], float(c))
    for u in range(H.shape[1]):
        out += H[:, u] * v[u]
    return out


def pattern_of_weights(dataset: Dataset, W: np.ndarray) -> tuple[np.ndarray, bool]:
    """The activation pattern ``𝕀{W x̄_i > 0}`` of float weights, with exact signs (paper eq. 2).

    The signs are :func:`zonocomb.convex.region.exact_signs`'s: float64 with exact arithmetic only
    where the proven error bound of the float filter cannot decide.

    Returns
    -------
    pattern : numpy.ndarray of bool, shape (m, N)
    on_boundary : bool
        True if some product ``w_u · x̄_i`` is exactly zero (``W`` lies on a hyperplane of the
        arrangement, so the pattern need not be a vertex of Z^m).
    """
    signs = exact_signs(dataset, W)
    return signs > 0, bool((signs == 0).any())


def pattern_key(pattern: np.ndarray) -> bytes:
    """A hashable key of an (m, N) boolean pattern (bit-packed rows)."""
    return np.packbits(np.ascontiguousarray(pattern, dtype=bool), axis=1).tobytes()


def neighbour_keys(pattern: np.ndarray, moves) -> list[bytes]:
    """``pattern_key`` of ``pattern`` with each move (unit, flipped examples) applied, without
    copying the pattern per move: only the moved unit's packed row is recomputed. Cost per move
    after one packing of the pattern: O(N) for the row and m⌈N/8⌉ bytes for the key itself,
    instead of copying and packing the whole pattern (O(m N))."""
    packed = np.packbits(np.ascontiguousarray(pattern, dtype=bool), axis=1)
    width = packed.shape[1]
    key = packed.tobytes()
    keys = []
    for u, flipped in moves:
        row = pattern[u].copy()
        row[list(flipped)] ^= True
        keys.append(key[:u * width] + np.packbits(row).tobytes() + key[(u + 1) * width:])
    return keys


def baseline_loss(y: np.ndarray, loss: str, fit_bias: bool) -> float:
    """Loss of the network with ``W = 0``: the best constant ``c`` (or ``c = 0`` if not fitted;
    also for the logistic loss when every label is 0 or every label is 1, where no constant
    attains the infimum 0, so the value is log 2).

    ``W = 0`` is feasible for the program (3) of every pattern, so this bounds every region's
    optimal loss from above; the local searches use it as the natural scale of the loss.
    """
    if not fit_bias:
        c = 0.0
    elif loss == "mse":
        c = float(np.mean(y))
    elif loss == "l1":
        c = float(np.median(y))
    else:
        p = float(np.mean(y))
        c = 0.0 if p in (0.0, 1.0) else float(np.log(p / (1.0 - p)))
    return mean_loss(loss, np.full(y.shape, c), y)
