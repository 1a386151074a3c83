"""Exact certificates of region optima (paper eq. 3): :func:`certify_exact` and its result.

The float solver (:class:`zonocomb.convex.region.RegionProgram`) returns an approximate optimum
and the set of constraints it found tight. :func:`certify_exact` solves the program again in
rational arithmetic and returns the exact optimum with an exact KKT certificate, which
:meth:`ExactRegionOptimum.verify` re-checks from the dataset alone:

* MSE: an exact active-set method started from the float tight set (:mod:`zonocomb.certify.mse`);
* L1: exact linear programs (:mod:`zonocomb.certify.l1`; the float answer is not needed).

The logistic loss has no exact certificate: its optimum is in general transcendental (the
stationarity condition Σ_i (1/(1 + e^{−ŷ_i}) − y_i) v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i involves
exponentials of the predictions, so the optimal loss and weights are not rational), and no finite
rational certificate of its value exists. :func:`zonocomb.certify.logistic.bound_logistic` gives
rigorous rational lower and upper bounds instead (weak duality and interval arithmetic); the
searches' logistic optima are certified in floating point (the KKT residual check of
:mod:`zonocomb.convex.kkt`).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import InvalidInputError, ZonocombError
from ..convex.region import RegionSolution
from .hint import working_order
from .l1 import l1_optimum
from .mse import mse_active_set
from .problem import ExactProgram, dot

__all__ = ["certify_exact", "certify_program", "check_exact_loss", "ExactRegionOptimum", "CertificateError",
           "checked_predictions", "check_dual_equations"]

EXACT_LOSSES = ("mse", "l1")


class CertificateError(ZonocombError, ValueError):
    """An exact certificate failed one of its checks (the message names which)."""


@dataclass(frozen=True)
class ExactRegionOptimum:
    """The exact optimum of one region program (paper eq. 3) with its KKT certificate.

    Attributes
    ----------
    loss : Fraction
        The optimal mean loss (1/N) Σ_i ℓ(ŷ_i, y_i).
    W : tuple of tuple of Fraction, shape (m, n)
        An optimal first layer (for homogenized data the last column holds the unit biases).
    c : Fraction
        The optimal output bias (0 when ``fit_bias`` is False).
    multipliers : tuple of tuple of Fraction, shape (m, N)
        μ_ui ≥ 0 of the constraint s_ui w_u·x̄_i ≥ 0.
    derivative : tuple of Fraction, shape (N,)
        σ_i, the derivative of the loss term (1/N) ℓ(ŷ_i, y_i) at the optimum: 2 r_i / N for the
        MSE, a subgradient (sign(r_i)/N, or any value in [−1/N, 1/N] where r_i = 0) for L1
        (r = ŷ − y). Stationarity: Σ_i σ_i v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i for every unit u, and
        Σ_i σ_i = 0 when c is fitted.
    pattern : tuple of tuple of bool, shape (m, N)
    v : tuple of Fraction
    loss_name : str
    fit_bias : bool
    dataset : Dataset
    steps : int
        Exact active-set steps taken beyond the hinted face (0: the float hint was right).
    """

    loss: Fraction
    W: tuple
    c: Fraction
    multipliers: tuple
    derivative: tuple
    pattern: tuple
    v: tuple
    loss_name: str
    fit_bias: bool
    dataset: object
    steps: int

    def verify(self) -> None:
        """Re-check the certificate from the dataset, in exact rational arithmetic.

        Checks: shapes; primal feasibility s_ui w_u·x̄_i ≥ 0; μ ≥ 0; complementarity
        (μ_ui ≠ 0 only where w_u·x̄_i = 0); σ is the derivative (MSE) or a subgradient (L1) of the
        loss at the residual; stationarity Σ_i σ_i v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i and
        Σ_i σ_i = 0 (or c = 0 without a fitted bias); ``loss`` = f(W, c). For a convex program these
        prove that ``loss`` is the minimum. Cost O(m N n) rational operations.

        Raises
        ------
        CertificateError
            Naming the first condition that fails.
        """
        X, y, A, v = self.dataset.generators_exact, self.dataset.y_exact, self.pattern, self.v
        m, N, n = len(v), len(X), len(X[0])
        if (len(self.W) != m or any(len(w) != n for w in self.W) or len(self.multipliers) != m
                or any(len(mu) != N for mu in self.multipliers) or len(A) != m
                or any(len(a) != N for a in A)):
            raise CertificateError("the certificate's W, multipliers or pattern have the wrong shape")
        pre, yhat = checked_predictions(X, A, v, self.W, self.c, self.fit_bias)
        for u in range(m):
            for i in range(N):
                if self.multipliers[u][i] != 0 and pre[u][i] != 0:
                    raise CertificateError(f"complementarity fails at (unit {u}, example {i})")
        resid = [t - yi for t, yi in zip(yhat, y)]
        sigma = self.derivative
        if len(sigma) != N:
            raise CertificateError("the certificate's derivative has the wrong length")
        if self.loss_name == "mse":
            value = sum(r * r for r in resid) / N
            if any(s != 2 * r / N for s, r in zip(sigma, resid)):
                raise CertificateError("the derivative is not 2 r_i / N at the residual")
        elif self.loss_name == "l1":
            value = sum(abs(r) for r in resid) / N
            if any(abs(s) > Fraction(1, N) or (r != 0 and s != Fraction(1 if r > 0 else -1, N))
                   for s, r in zip(sigma, resid)):
                raise CertificateError("the derivative is not a subgradient of (1/N) |r_i| at the residual")
        else:
            raise CertificateError(f"no exact certificate is defined for the {self.loss_name!r} loss")
        if value != self.loss:
            raise CertificateError("the loss is not the objective of eq. (3) at (W, c)")
        check_dual_equations(X, A, v, sigma, self.multipliers, self.fit_bias)


def checked_predictions(X, A, v, W, c, fit_bias):
    """Preactivations w_u·x̄_i and predictions ŷ_i = Σ_u v_u A_ui w_u·x̄_i + c, exact, after checking
    that (W, c) is feasible for eq. (3): s_ui w_u·x̄_i ≥ 0, and c = 0 without a fitted bias.

    Raises
    ------
    CertificateError
        Naming the violated constraint.
    """
    pre = [[dot(w, x) for x in X] for w in W]
    for u, row in enumerate(pre):
        for i, p in enumerate(row):
            if (p < 0) if A[u][i] else (p > 0):
                raise CertificateError(f"W is infeasible: constraint (unit {u}, example {i}) is violated")
    if not fit_bias and c != 0:
        raise CertificateError("c must be 0 when the output bias is not fitted")
    yhat = [sum((v[u] * pre[u][i] for u in range(len(v)) if A[u][i]), Fraction(0)) + c for i in range(len(X))]
    return pre, yhat


def check_dual_equations(X, A, v, d, multipliers, fit_bias) -> None:
    """Check μ ≥ 0, Σ_i d_i v_u A_ui x̄_i = Σ_i μ_ui s_ui x̄_i for every unit u, and Σ_i d_i = 0 when c
    is fitted (the stationarity of eq. (3) for the loss derivative d), exactly.

    Raises
    ------
    CertificateError
        Naming the first condition that fails.
    """
    N, n = len(X), len(X[0])
    if any(mu < 0 for row in multipliers for mu in row):
        raise CertificateError("a multiplier is negative")
    if fit_bias and sum(d) != 0:
        raise CertificateError("stationarity fails in the output bias c")
    for u in range(len(v)):
        for j in range(n):
            grad = sum((v[u] * d[i] * X[i][j] for i in range(N) if A[u][i]), Fraction(0))
            cone = sum(((1 if A[u][i] else -1) * multipliers[u][i] * X[i][j]
                        for i in range(N) if multipliers[u][i]), Fraction(0))
            if grad != cone:
                raise CertificateError(f"stationarity fails for unit {u}, coordinate {j}")


def certify_exact(dataset, pattern, v, loss: str = "mse", fit_bias: bool = True, hint=None,
                  max_steps: int | None = None) -> ExactRegionOptimum:
    """The exact optimum of the region program of ``pattern`` (paper eq. 3), certified.

    Parameters
    ----------
    dataset : Dataset
        Labelled dataset (its exact generators and labels are used).
    pattern : array-like
        (m, N) 0/1 activation pattern, or a barcode when m = 1.
    v : array-like of length m
        Output weights (ints, Fractions, decimal strings; floats are read exactly).
    loss : {"mse", "l1"}
        The logistic loss has no exact certificate (its optimum is transcendental, see the module
        documentation) and raises InvalidInputError.
    fit_bias : bool, default True
        Optimise the output bias c (appendix H) or fix c = 0 (section 2).
    hint : RegionSolution or (m, N) bool array, optional
        MSE: the float solver's answer, or its tight set, from which the exact walk starts (when
        omitted the fast float solver is run to get it). Not used for L1.
    max_steps : int, optional
        Bound on the exact active-set steps (default 10 m N + 10).

    Returns
    -------
    ExactRegionOptimum
        Exact loss, W, c and multipliers; :meth:`ExactRegionOptimum.verify` re-checks them.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad dataset, pattern, v, hint, or a loss without an exact certificate.
    SolverError
        The exact walk did not terminate within ``max_steps`` (nothing uncertified is returned).

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[1], [2]], y=[1, 3], homogenize=False)
    >>> cert = certify_exact(ds, [[1, 1]], [1], fit_bias=False)   # both examples active
    >>> cert.loss, cert.W                                          # w = 7/5: ((2/5)² + (1/5)²)/2
    (Fraction(1, 10), ((Fraction(7, 5),),))
    >>> cert.verify()                                              # raises CertificateError if wrong
    >>> certify_exact(ds, [[1, 1]], [1], loss="l1", fit_bias=False).loss    # w = 3/2: (1/2 + 0)/2
    Fraction(1, 4)

    Notes
    -----
    MSE: a correct hint costs one exact equality-constrained least-squares solve (a K × K system
    over Q, K = Σ_u (n − |tight_u|) + 1) and one multiplier solve per unit; a wrong hint adds one
    such solve per active-set step. The data are scaled to integers once
    (:class:`zonocomb.certify.problem.ExactProgram`). L1: two exact LPs (cddlib, GMP).
    """
    check_exact_loss(loss)
    prog = ExactProgram(dataset, pattern, v, loss=loss, fit_bias=fit_bias)
    if hint is None and loss == "mse":
        from ..convex.region import RegionProgram
        hint = RegionProgram(dataset, [float(x) for x in prog.v], loss=loss, fit_bias=fit_bias).solve(
            np.array(prog.A, dtype=bool))
    return certify_program(prog, hint, max_steps=max_steps)


def check_exact_loss(loss) -> str:
    """Return ``loss`` if it has exact certificates, else raise InvalidInputError saying why not."""
    if loss not in EXACT_LOSSES:
        raise InvalidInputError(
            f"no exact certificate for the {loss!r} loss: exact certificates exist for "
            f"{', '.join(EXACT_LOSSES)} (the logistic optimum is transcendental: bound_logistic gives rigorous bounds)")
    return loss


def certify_program(prog: ExactProgram, hint, max_steps: int | None = None) -> ExactRegionOptimum:
    """:func:`certify_exact` on an already built :class:`ExactProgram` (``hint`` as there, or None
    for an empty first working set)."""
    if prog.loss == "l1":
        W, c, sigma, nu, value = l1_optimum(prog)
        steps = 0
    else:
        near = (hint.W, hint.c) if isinstance(hint, RegionSolution) else None
        W, c, nu, steps, value, sigma = mse_active_set(prog, working_order(prog, hint), near=near,
                                                       max_steps=max_steps)
    W = tuple(tuple(w) for w in W)
    zero = Fraction(0)
    multipliers = tuple(tuple(nu.get((u, i), zero) for i in range(prog.N)) for u in range(prog.m))
    return ExactRegionOptimum(loss=value, W=W, c=c, multipliers=multipliers, derivative=tuple(sigma),
                              pattern=prog.A, v=prog.v, loss_name=prog.loss, fit_bias=prog.fit_bias,
                              dataset=prog.dataset, steps=steps)
