"""Whether a logistic region's infimum is attained, decided exactly (paper eq. 3, appendix H.2.2).

For a pattern A with signs s_ui = 2A_ui − 1, let K = {θ = (W, c) : s_ui w_u·x̄_i ≥ 0} (c = 0
without an output bias) and σ_i = 2y_i − 1. A recession direction θ* ∈ K with σ_i ŷ_i(θ*) ≥ 0 for
every i separates the set I of examples where σ_i ŷ_i(θ*) > 0; the largest such I is unique
(:mod:`zonocomb.convex.backends.recession`), and the infimum of the logistic loss over K is
attained exactly when it is empty.

:func:`certify_attainment` finds that I and proves it, in rationals, with no tolerance:

* **I is separated**: a rational θ* ∈ K with σ_i ŷ_i(θ*) > 0 on I and ≥ 0 elsewhere (from the
  exact LP maximise Σ_i t_i over θ ∈ K, 0 ≤ t ≤ 1, t_i ≤ σ_i ŷ_i(θ), whose optimal t is the
  indicator of I);
* **nothing else is**: rationals λ ≥ 0 with λ_i > 0 outside I, and μ ≥ 0, with
  Σ_i λ_i σ_i v_u A_ui x̄_i + Σ_i μ_ui s_ui x̄_i = 0 for every unit and Σ_i λ_i σ_i = 0 when c is
  fitted (an exact LP). For any recession direction θ the sum Σ_i λ_i σ_i ŷ_i(θ) +
  Σ μ_ui s_ui w_u·x̄_i is then 0 with every term ≥ 0, so σ_i ŷ_i(θ) = 0 outside I. With I empty
  this is Tucker's certificate that the infimum is attained.

:meth:`AttainmentCertificate.verify` re-checks both from the dataset alone. This is the exact
counterpart of the fast backend's float decision
(:class:`~zonocomb.convex.backends.attainment.AttainmentCheck` and the recession LP): the
statuses ``"optimal"`` / ``"optimal_unattained"`` of
:meth:`RegionProgram.solve <zonocomb.convex.region.RegionProgram.solve>` can be checked against it.
Cost: two exact LPs (cddlib, GMP), the first with m n + 1 + N variables and (m + 3) N
inequalities, the second with N + m N variables and m n + 1 equations; for small instances.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..convex.losses import check_labels
from ..errors import SolverError
from ..exact import solve_lp
from .problem import ExactProgram, dot
from .region import CertificateError, check_dual_equations, checked_predictions

__all__ = ["AttainmentCertificate", "certify_attainment"]


@dataclass(frozen=True)
class AttainmentCertificate:
    """The largest separated set I of a logistic region program, with its exact proof.

    Attributes
    ----------
    attained : bool
        Whether the infimum is attained (I is empty).
    separated : tuple of int
        The examples of I, increasing.
    W, c : tuple of tuple of Fraction, Fraction
        A recession direction θ* ∈ K with σ_i ŷ_i(θ*) > 0 exactly on I (zero when I is empty).
    weights : tuple of Fraction
        λ ≥ 0, positive outside I.
    multipliers : tuple of tuple of Fraction, shape (m, N)
        μ ≥ 0.
    pattern, v, fit_bias, dataset
        The program.
    """

    attained: bool
    separated: tuple
    W: tuple
    c: Fraction
    weights: tuple
    multipliers: tuple
    pattern: tuple
    v: tuple
    fit_bias: bool
    dataset: object

    def verify(self) -> None:
        """Re-check the certificate from the dataset, exactly.

        Raises
        ------
        CertificateError
            Naming the first condition that fails.
        """
        X, A, v = self.dataset.generators_exact, self.pattern, self.v
        N, n, m = len(X), len(X[0]), len(v)
        if len(A) != m or any(len(row) != N for row in A):
            raise CertificateError(f"the pattern is not {m} rows of {N} entries")
        if len(self.W) != m or any(len(w) != n for w in self.W):
            raise CertificateError(f"the direction W is not an ({m}, {n}) array")
        if len(self.weights) != N or len(self.multipliers) != m or any(len(r) != N for r in self.multipliers):
            raise CertificateError(f"the weights are not {N} numbers or the multipliers not an ({m}, {N}) array")
        if list(self.separated) != sorted(set(self.separated)) or \
                any(not isinstance(i, int) or not 0 <= i < N for i in self.separated):
            raise CertificateError(f"the separated set is not an increasing tuple of example indices below {N}")
        sigma = [2 * y - 1 for y in self.dataset.y_exact]
        _, yhat = checked_predictions(X, A, v, self.W, self.c, self.fit_bias)
        margins = [s * t for s, t in zip(sigma, yhat)]
        inside = set(self.separated)
        for i, t in enumerate(margins):
            if t < 0 or (t > 0) != (i in inside):
                raise CertificateError(f"the direction's margin on example {i} is {t}, against the claimed "
                                       f"separated set")
        if self.attained != (not inside):
            raise CertificateError("'attained' disagrees with the separated set")
        if any(w < 0 for w in self.weights) or any(self.weights[i] == 0 for i in range(len(X)) if i not in inside):
            raise CertificateError("a weight outside the separated set is not positive (or one is negative)")
        check_dual_equations(X, A, v, [-w * s for w, s in zip(self.weights, sigma)], self.multipliers,
                             self.fit_bias)


def certify_attainment(dataset, pattern, v, fit_bias: bool = True) -> AttainmentCertificate:
    """Decide exactly whether the logistic region program of ``pattern`` attains its infimum.

    Parameters
    ----------
    dataset : Dataset
        Labels in {0, 1}.
    pattern, v, fit_bias
        As for :func:`zonocomb.certify_exact`.

    Returns
    -------
    AttainmentCertificate
        Already verified.

    The program is the one without weight decay (with α ‖W‖² > 0 the objective is coercive and
    every infimum is attained).

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad input (labels outside {0, 1} included).
    SolverError
        cddlib did not return an optimum (it always should: both LPs are feasible and bounded).
    CertificateError
        The certificate built failed its own verification (a defect; never expected).

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> ds = Dataset([[-1], [1], [2]], y=[0, 1, 1])       # separable by x > 0
    >>> certify_attainment(ds, [[0, 1, 1]], [1]).separated
    (0, 1, 2)
    >>> certify_attainment(Dataset([[-1], [1], [2]], y=[1, 0, 1]), [[1, 1, 1]], [1]).attained
    True
    """
    prog = ExactProgram(dataset, pattern, v, loss="logistic", fit_bias=fit_bias)
    check_labels("logistic", [float(y) for y in prog.y])
    sigma = [2 * y - 1 for y in prog.y]
    separated, W, c = _separated_set(prog, sigma)
    weights, multipliers = _tucker_pair(prog, sigma, separated)
    cert = AttainmentCertificate(attained=not separated, separated=tuple(separated), W=W, c=c,
                                 weights=weights, multipliers=multipliers, pattern=prog.A, v=prog.v,
                                 fit_bias=prog.fit_bias, dataset=dataset)
    cert.verify()
    return cert


def _row(width: int, constant=0) -> list:
    return [Fraction(constant)] + [Fraction(0)] * width


def _separated_set(prog: ExactProgram, sigma):
    """The LP maximise Σ t_i over θ ∈ K, 0 ≤ t ≤ 1, t_i ≤ σ_i ŷ_i(θ): I = {i : t_i = 1} and θ*.
    Variables: W (m n, unit-major), c, t (N)."""
    m, n, N = prog.m, prog.n, prog.N
    nw = m * n
    width = nw + 1 + N
    rows = []
    for i in range(N):
        t = 1 + nw + 1 + i
        low, high, margin = _row(width), _row(width, 1), _row(width)
        low[t], high[t], margin[t] = Fraction(1), Fraction(-1), Fraction(-1)
        if prog.fit_bias:
            margin[1 + nw] = sigma[i]
        for u in range(m):
            cone = _row(width)
            for j in range(n):
                cone[1 + u * n + j] = prog.sign(u, i) * prog.X[i][j]
                if prog.A[u][i]:
                    margin[1 + u * n + j] += sigma[i] * prog.v[u] * prog.X[i][j]
            rows.append(cone)
        rows += [low, high, margin]
    res = solve_lp(rows, [Fraction(0)] * (1 + nw + 1) + [Fraction(1)] * N, maximize=True)
    if res.status != "optimal":
        raise SolverError(f"cddlib returned {res.status!r} for the separated-set LP")
    x = res.x
    W = tuple(tuple(x[u * n + j] for j in range(n)) for u in range(m))
    c = x[nw] if prog.fit_bias else Fraction(0)
    yhat = [sum((prog.v[u] * dot(W[u], prog.X[i]) for u in range(m) if prog.A[u][i]), Fraction(0)) + c
            for i in range(N)]
    separated = [i for i in range(N) if sigma[i] * yhat[i] > 0]
    if not separated:                                         # (the zero direction: t = 0)
        W, c = tuple(tuple(Fraction(0) for _ in range(n)) for _ in range(m)), Fraction(0)
    return separated, W, c


def _tucker_pair(prog: ExactProgram, sigma, separated):
    """The LP minimise Σ λ_i subject to λ_i ≥ 1 outside I, λ ≥ 0, μ ≥ 0 and the dual equations
    Σ_i λ_i σ_i v_u A_ui x̄_i + Σ_i μ_ui s_ui x̄_i = 0 (every unit, every coordinate) and
    Σ_i λ_i σ_i = 0 (fitted c). Variables: λ (N), μ (m N, unit-major)."""
    m, n, N = prog.m, prog.n, prog.N
    width = N + m * N
    inside = set(separated)
    ineqs = []
    for k in range(width):
        row = _row(width, -1 if k < N and k not in inside else 0)
        row[1 + k] = Fraction(1)
        ineqs.append(row)
    eqs = []
    for u in range(m):
        for j in range(n):
            row = _row(width)
            for i in range(N):
                if prog.A[u][i]:
                    row[1 + i] = sigma[i] * prog.v[u] * prog.X[i][j]
                row[1 + N + u * N + i] = prog.sign(u, i) * prog.X[i][j]
            eqs.append(row)
    if prog.fit_bias:
        row = _row(width)
        for i in range(N):
            row[1 + i] = sigma[i]
        eqs.append(row)
    res = solve_lp(ineqs, [Fraction(0)] + [Fraction(1)] * N + [Fraction(0)] * (m * N), maximize=False,
                   equalities=eqs)
    if res.status != "optimal":
        raise SolverError(f"cddlib returned {res.status!r} for the Tucker LP (the separated set is not maximal?)")
    x = res.x
    return tuple(x[:N]), tuple(tuple(x[N + u * N + i] for i in range(N)) for u in range(m))
