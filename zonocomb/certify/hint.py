"""Reading the float solver's answer as a hint for the exact walk (floating point, hints only).

Nothing computed here is trusted: it only orders the constraints from which the exact active-set
method (:mod:`zonocomb.certify.mse`) builds its first working set. A good order makes that first
working set the optimal face, so the exact certificate costs one face solve.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from ..convex.region import RegionSolution
from ..errors import InvalidInputError

__all__ = ["working_order"]


def working_order(prog, hint):
    """Per unit, the hinted tight constraints, likely-active ones first.

    Parameters
    ----------
    prog : ExactProgram
    hint : RegionSolution, (m, N) bool array, or None
        A RegionSolution gives its tight set ordered by non-negative least-squares multipliers:
        the constraints in the support of an NNLS fit of the float gradient ∂f/∂w_u by the signed
        tight normals come first (largest multiplier first), the other tight ones after. This
        matters for a unit with w_u = 0, where all N constraints are tight and the first n
        independent ones fix the face. A bare bool array keeps index order.

    Returns
    -------
    list of m lists of int, or None when ``hint`` is None.

    Raises
    ------
    InvalidInputError
        A hint of the wrong shape or type.
    """
    if hint is None:
        return None
    m, N = prog.m, prog.N
    tight = hint.tight if isinstance(hint, RegionSolution) else hint
    arr = np.asarray(tight)
    if arr.ndim == 1 and m == 1:
        arr = arr[None, :]
    if arr.shape != (m, N) or arr.dtype != bool:
        raise InvalidInputError(f"hint must be a RegionSolution or an ({m}, {N}) bool array of tight "
                                f"constraints, got shape {arr.shape} and dtype {arr.dtype}")
    if not isinstance(hint, RegionSolution):
        return [np.flatnonzero(row).tolist() for row in arr]
    X = prog.X_float
    resid = None
    order = []
    for u in range(m):
        T = np.flatnonzero(arr[u])
        if T.size < prog.n:               # fewer than n tight constraints: all enter if independent
            order.append(T.tolist())
            continue
        A = np.array(prog.A, dtype=bool)
        if resid is None:
            resid = prog.v_float @ (A * (hint.W @ X.T)) + hint.c - prog.y_float
        grad = (2.0 / N) * prog.v_float[u] * ((A[u] * resid) @ X)
        normals = (np.where(A[u, T], 1.0, -1.0)[:, None] * X[T]).T
        mult, _ = nnls(normals, grad)
        rank = np.lexsort((T, -mult))                      # largest multiplier first, then index
        order.append(T[rank].tolist())
    return order
