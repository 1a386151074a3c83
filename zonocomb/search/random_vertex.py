"""The random-vertex method of paper section 4.2 / appendix H: optimise inside one random region.

A vertex of Z^m is chosen as the activation pattern of first-layer weights drawn from a standard
Gaussian. Then

* ``mode="classification"`` (appendix H.2.2): ``v`` is fixed to half +1, half −1 and the convex
  program (3) (with the output bias ``c``) is solved once at that vertex;
* ``mode="synthetic"`` (appendix H.1.2): ``v`` starts uniform on {−1, +1} and the method alternates
  the convex problem in ``(W, c)`` for fixed ``v`` (program (3) at the vertex) with least squares
  in ``(v, c)`` for fixed ``W`` (linear regression on the fixed features ``φ(W x̄_i)``) until the
  loss stops improving. Both steps can only lower the loss (the previous ``W`` stays feasible for
  the next convex problem), so the trace is non-increasing.

Silent units. The convex step only depends on the signs of ``v``: for ``α > 0``, ``(v_u, w_u)`` and
``(α v_u, w_u / α)`` give the same network and ``w_u / α`` stays in the region (a cone), so the
convex step is solved with ``sign(v)`` (same optimum as with the least-squares ``v``, and no
ill-conditioning when least squares returns a huge ``v_u`` for a nearly silent unit). The convex step
may return ``w_u ≈ 0`` on all of unit u's active examples (the region's closure allows it: with the
sign it was given the unit cannot help). Its feature column ``φ(W x̄)_u`` is then (numerically) zero,
so every ``v_u`` is a least-squares minimiser; the minimum-norm choice ``v_u = 0`` would leave the
unit dead for good. We take the opposite sign instead, the only one with which the next convex step
can use the unit; a unit counts as silent when ``‖φ(W x̄)_u‖ ≤ SILENT_RTOL · ‖y‖``. For a live
unit the least-squares step cannot change anything: ``t ↦ L((1+t) w_u)`` is stationary at the convex
optimum, which makes ``∂L/∂v_u = 0`` there; so without this choice the alternation is a fixed point
after one round and the method reduces to one convex solve with the random initial signs.
"""
from __future__ import annotations

import time

import numpy as np

from ..convex.losses import mean_loss
from ..convex.backends import backend_spec
from ..convex.region import RegionProgram
from ..errors import InvalidInputError, InvalidTypeError
from ..geometry.dataset import Dataset
from ..geometry.power import ZonotopePower
from ..validation import RandomState, check_int, check_random_state
from ._common import forward, search_problem, single_threaded_blas
from .result import SearchResult

__all__ = ["random_vertex"]

MODES = ("synthetic", "classification")

#: A unit is silent when ‖φ(W x̄)_u‖ ≤ SILENT_RTOL · ‖y‖ (synthetic mode; see the module notes).
SILENT_RTOL = 1e-7


def _least_squares_output(H: np.ndarray, y: np.ndarray, fit_bias: bool):
    """``argmin_{v, c} ‖H v + c − y‖²`` (minimum-norm solution), ``c = 0`` when not fitted."""
    F = np.hstack([H, np.ones((H.shape[0], 1))]) if fit_bias else H
    coef, *_ = np.linalg.lstsq(F, y, rcond=None)
    return (coef[:-1], float(coef[-1])) if fit_bias else (coef, 0.0)


@single_threaded_blas
def random_vertex(dataset: Dataset, m: int, loss: str = "mse", mode: str = "synthetic",
                  random_state: RandomState = None, fit_bias: bool = True, backend: str = "fast",
                  max_iter: int = 100, rtol: float = 1e-9, sign_search: bool = False) -> SearchResult:
    """Optimise the network inside the activation region of a random vertex of Z^m.

    Parameters
    ----------
    dataset : Dataset
        Labelled training data.
    m : int
        Number of hidden units (>= 1).
    loss : {"mse", "logistic", "l1"}
        ``mode="synthetic"`` needs ``"mse"`` (its second step is least squares).
    mode : {"synthetic", "classification"}
        Appendix H.1.2 (alternating, ``v`` trained) or H.2.2 (one convex solve, ``v`` fixed).
    random_state : None, int or numpy.random.Generator
        Seed of the Gaussian first-layer draw (and of ``v`` in synthetic mode).
    fit_bias : bool, default True
        Optimise the output bias ``c``.
    backend : str, default "fast"
        Convex backend of :class:`zonocomb.convex.region.RegionProgram`.
    max_iter : int, default 100
        Maximum number of convex solves in synthetic mode (alternation rounds and sign flips tried).
    rtol : float, default 1e-9
        In synthetic mode the alternation has converged when a round lowers the loss by less than
        ``rtol`` times its value.
    sign_search : bool, default False
        Synthetic mode only, not part of the paper's description: when the alternation has
        converged, flip the sign of one output weight at a time (one convex solve each) and resume
        the alternation from the first flip that lowers the loss; stop when none does. The region
        optimum over ``(W, v, c)`` is the best convex optimum over the 2^m sign vectors of ``v``
        (module notes), which the alternation alone cannot explore.

    Returns
    -------
    SearchResult
        ``method="random_vertex"``; ``n_steps`` = ``n_solves`` = convex solves (alternation rounds
        and sign flips tried; 1 in classification mode).
        In synthetic mode ``loss`` is the loss of the returned ``(W, v, c)`` evaluated directly and
        ``info["signs"]`` holds the ±1 output weights of the convex step that produced ``W``.

    Raises
    ------
    InvalidInputError
        Unknown mode or loss, ``m < 1``, synthetic mode with a loss other than MSE,
        ``sign_search=True`` in classification mode, ...
    InvalidTypeError
        ``sign_search`` not a bool.

    References
    ----------
    Paper section 4.2, appendix H.1.2 and H.2.2; the alternation is block coordinate descent
    (Xu & Yin, 2013).
    """
    problem = search_problem(dataset, m, None, loss, fit_bias)      # checked once (docs/design.md §7.4)
    y, m = problem.y, problem.m
    backend = backend_spec(backend, loss)                             # looked up once, for every round
    max_iter = check_int(max_iter, "max_iter", 1)
    if mode not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if not isinstance(sign_search, (bool, np.bool_)):
        raise InvalidTypeError(f"sign_search must be a bool, got {type(sign_search).__name__}")
    if sign_search and mode != "synthetic":
        raise InvalidInputError("sign_search=True needs mode='synthetic' (classification mode fixes v)")
    if mode == "synthetic" and loss != "mse":
        raise InvalidInputError(
            f"mode='synthetic' alternates with least squares and needs loss='mse', got {loss!r}; "
            "use mode='classification' for other losses")
    rng = check_random_state(random_state)
    start = time.perf_counter()
    pattern = ZonotopePower(dataset.zonotope(), m).random_vertex(rng)
    if mode == "classification":
        program = RegionProgram.from_problem(problem, backend)
        sol = program.solve(pattern)
        seconds = time.perf_counter() - start
        return SearchResult(loss=sol.loss, pattern=pattern, W=np.asarray(sol.W), v=np.asarray(sol.v),
                            c=float(sol.c), trace=[{"step": 0, "loss": sol.loss, "n_solves": 1,
                                                    "seconds": seconds}],
                            n_solves=1, n_steps=1, seconds=seconds, method="random_vertex",
                            homogenize=dataset.homogenize, loss_name=loss, info={"mode": mode})

    G = dataset.generators_float
    signs = rng.choice([-1.0, 1.0], size=m)  # the convex step only depends on sign(v): see the module notes
    silent_tol = SILENT_RTOL * float(np.linalg.norm(y))
    trace = []
    best = best_signs = flips = None
    rounds = 0
    while rounds < max_iter:
        rounds += 1
        sol = RegionProgram.from_problem(problem.with_output_weights(signs), backend).solve(pattern)
        W = np.asarray(sol.W)
        H = np.maximum(G @ W.T, 0.0)
        v_new, c_new = _least_squares_output(H, y, fit_bias)
        value = mean_loss(loss, forward(G, W, v_new, c_new), y)
        if best is None or value < best[0]:
            enough = best is None or value < best[0] * (1.0 - rtol)
            best, best_signs, flips = (value, W, v_new, c_new), signs, None
            trace.append({"step": rounds - 1, "loss": value, "n_solves": rounds,
                          "seconds": time.perf_counter() - start})
            if value == 0.0:
                break
            if enough:  # next alternation round
                silent = (np.linalg.norm(H, axis=0) <= silent_tol) | (v_new == 0.0)
                signs = np.where(silent, -signs, np.sign(v_new))
                continue
        # the alternation has converged at best
        if not sign_search:
            break
        if flips is None:
            flips = iter(range(m))
        u = next(flips, None)
        if u is None:
            break  # no single sign flip improves: a local minimum over the signs
        signs = best_signs.copy()
        signs[u] = -signs[u]
    value, W, v, c = best
    return SearchResult(loss=value, pattern=pattern, W=W, v=v, c=c, trace=trace, n_solves=rounds,
                        n_steps=rounds, seconds=time.perf_counter() - start,
                        method="random_vertex", homogenize=dataset.homogenize, loss_name=loss,
                        info={"mode": mode, "signs": best_signs})
