"""Exact region optima (zonocomb.certify): brute force over faces, the float solver, wrong hints,
degenerate regions, tampered certificates."""
from dataclasses import replace
from fractions import Fraction
from itertools import chain, combinations, product

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from zonocomb import Dataset, InvalidInputError, RegionProgram, certify_exact
from zonocomb.certify import CertificateError


def _random_instance(seed, N, d, m, fit_bias=True):
    rng = np.random.default_rng(seed)
    ds = Dataset(rng.integers(-5, 6, size=(N, d)).tolist(), y=rng.integers(-4, 5, size=N).tolist())
    V = ds.zonotope().vertices()
    A = np.array([V[j] for j in rng.integers(len(V), size=m)], dtype=bool)
    v = [Fraction(int(x), 2) for x in rng.choice([-3, -2, -1, 1, 2, 3], size=m)]
    return ds, A, v


def _brute_force_minimum(ds, A, v, fit_bias):
    """min over every set T of constraints held as equalities of f at the least-norm minimiser of
    f on that face, among those that are feasible (sympy, exact; independent of zonocomb.certify)."""
    X = sympy.Matrix(ds.generators_exact)
    y = sympy.Matrix(ds.y_exact)
    m, N, n = len(v), ds.N, ds.n
    p = m * n + int(fit_bias)
    M = sympy.zeros(N, p)
    for i in range(N):
        for u in range(m):
            if A[u][i]:
                M[i, u * n:(u + 1) * n] = v[u] * X[i, :]
        if fit_bias:
            M[i, p - 1] = 1
    rows = []
    for u, i in product(range(m), range(N)):
        a = sympy.zeros(1, p)
        a[0, u * n:(u + 1) * n] = (1 if A[u][i] else -1) * X[i, :]
        rows.append(a)
    best = None
    for T in chain.from_iterable(combinations(range(len(rows)), k) for k in range(len(rows) + 1)):
        basis = sympy.Matrix.vstack(*[rows[k] for k in T]).nullspace() if T else [sympy.eye(p)[:, j] for j in range(p)]
        if basis:
            B = sympy.Matrix.hstack(*basis)
            z = B * ((M * B).pinv() * y)
        else:
            z = sympy.zeros(p, 1)
        if all((a * z)[0] >= 0 for a in rows):
            value = ((M * z - y).T * (M * z - y))[0] / N
            best = value if best is None or value < best else best
    return Fraction(int(best.p), int(best.q))


@pytest.mark.parametrize("seed,N,m,fit_bias", [(0, 5, 1, False), (1, 5, 1, True), (2, 4, 2, False),
                                               (3, 4, 1, True)])
def test_exact_optimum_equals_brute_force_over_all_faces(seed, N, m, fit_bias):
    ds, A, v = _random_instance(seed, N, 1, m)
    cert = certify_exact(ds, A, v, fit_bias=fit_bias)
    cert.verify()
    assert cert.loss == _brute_force_minimum(ds, A, v, fit_bias)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10 ** 6), N=st.integers(3, 9), d=st.integers(1, 3), m=st.integers(1, 3),
       fit_bias=st.booleans())
def test_exact_optimum_matches_the_float_solver_and_verifies(seed, N, d, m, fit_bias):
    ds, A, v = _random_instance(seed, N, d, m)
    sol = RegionProgram(ds, [float(x) for x in v], fit_bias=fit_bias).solve(A)
    cert = certify_exact(ds, A, v, fit_bias=fit_bias, hint=sol)
    cert.verify()
    assert abs(float(cert.loss) - sol.loss) <= 1e-9 * (1 + sol.loss)
    assert all(isinstance(x, Fraction) for row in cert.W for x in row) and isinstance(cert.loss, Fraction)


@pytest.mark.parametrize("seed", range(6))
def test_wrong_hints_still_reach_the_exact_optimum(seed):
    ds, A, v = _random_instance(seed, 8, 2, 2)
    good = certify_exact(ds, A, v)
    rng = np.random.default_rng(seed)
    hints = [np.zeros((2, 8), bool), np.ones((2, 8), bool), rng.random((2, 8)) < 0.5, ~np.asarray(
        RegionProgram(ds, [float(x) for x in v]).solve(A).tight)]
    for hint in hints:
        cert = certify_exact(ds, A, v, hint=hint)
        cert.verify()
        assert cert.loss == good.loss


def test_a_wrong_hint_walks():
    # one unit, labels that the unconstrained fit gets with a negative slope on active examples:
    # the empty hint's face minimiser is infeasible and the walk must add constraints
    ds = Dataset([[0], [1], [2], [3]], y=[3, 2, 1, 0])
    cert = certify_exact(ds, [[0, 0, 1, 1]], [1], fit_bias=False, hint=np.zeros((1, 4), bool))
    cert.verify()
    assert cert.steps > 0
    assert cert.loss == certify_exact(ds, [[0, 0, 1, 1]], [1], fit_bias=False).loss


def test_closed_forms():
    ds = Dataset([[1], [2]], y=[1, 3], homogenize=False)
    # all active, unconstrained optimum w = 7/5 inside the region: ((2/5)² + (1/5)²)/2 = 1/10
    cert = certify_exact(ds, [[1, 1]], [1], fit_bias=False)
    assert (cert.loss, cert.W) == (Fraction(1, 10), ((Fraction(7, 5),),))
    # negative labels: the optimum is w = 0 on the boundary, with a positive multiplier
    cert = certify_exact(ds.with_labels([-1, -3]), [[1, 1]], [1], fit_bias=False)
    assert (cert.loss, cert.W) == (Fraction(5), ((Fraction(0),),))
    assert sum(cert.multipliers[0]) > 0
    cert.verify()


def test_degenerate_regions():
    # duplicated examples, a zero example, a unit active nowhere, a zero output weight, and a unit
    # with fewer active examples than parameters (rank-deficient block)
    X = [[1, 2], [1, 2], [0, 0], [3, -1], [-2, 1], [2, 2]]
    ds = Dataset(X, y=[1, 2, 0, -1, 3, 2])
    V = ds.zonotope().vertices()
    few = next(b for b in V if sum(b) == 1)
    for A, v in [([V[0], [0] * 6], [1, 2]), ([V[-1], V[-1]], [1, 0]), ([few, V[2]], ["1/2", -1]),
                 ([V[3], V[3]], [1, 1])]:
        for fit_bias in (True, False):
            A = np.array(A, dtype=bool)
            cert = certify_exact(ds, A, v, fit_bias=fit_bias)
            cert.verify()
            sol = RegionProgram(ds, [float(Fraction(x)) for x in v], fit_bias=fit_bias).solve(A)
            assert abs(float(cert.loss) - sol.loss) <= 1e-9 * (1 + sol.loss)


def test_tampered_certificates_fail_verify():
    ds, A, v = _random_instance(7, 8, 2, 2)
    cert = certify_exact(ds, A, v)
    cert.verify()
    W = [list(r) for r in cert.W]
    W[0][0] += Fraction(1, 10 ** 9)
    mu = [list(r) for r in cert.multipliers]
    u, i = next((u, i) for u in range(2) for i in range(8) if mu[u][i] > 0) \
        if any(x > 0 for r in mu for x in r) else (0, 0)
    mu_neg = [r[:] for r in mu]
    mu_neg[u][i] = -1
    mu_off = [r[:] for r in mu]
    j = next(j for j in range(8) if sum(a * b for a, b in zip(cert.W[0], ds.generators_exact[j])) != 0) \
        if any(cert.W[0]) else None
    tampered = [replace(cert, loss=cert.loss + Fraction(1, 10 ** 12)),
                replace(cert, W=tuple(map(tuple, W))),
                replace(cert, c=cert.c + Fraction(1, 7)),
                replace(cert, multipliers=tuple(map(tuple, mu_neg))),
                replace(cert, fit_bias=False) if cert.c != 0 else replace(cert, c=Fraction(1)),
                replace(cert, pattern=tuple(tuple(not a for a in r) for r in cert.pattern))]
    if j is not None:
        mu_off[0][j] = Fraction(1)
        tampered.append(replace(cert, multipliers=tuple(map(tuple, mu_off))))
    for bad in tampered:
        with pytest.raises(CertificateError):
            bad.verify()


def test_bad_input_is_refused():
    ds = Dataset([[0], [1], [2]], y=[0, 1, 0])
    with pytest.raises(InvalidInputError, match="transcendental"):
        certify_exact(ds, [[1, 1, 1]], [1], loss="logistic")
    with pytest.raises(InvalidInputError, match="shape"):
        certify_exact(ds, [[1, 1]], [1])
    with pytest.raises(InvalidInputError, match="hint"):
        certify_exact(ds, [[1, 1, 1]], [1], hint=np.zeros((2, 3), bool))
    with pytest.raises(InvalidInputError, match="v\\[0\\]"):
        certify_exact(ds, [[1, 1, 1]], [float("nan")])
    with pytest.raises(InvalidInputError, match="labels"):
        certify_exact(Dataset([[0], [1]]), [[1, 1]], [1])


def _brute_force_l1(ds, A, v, fit_bias):
    """min over all vertices of the L1 region LP's feasible polyhedron, exactly: every choice of
    p linearly independent active constraints among e_i = ±(ŷ_i − y_i) and s_ui w_u·x̄_i = 0
    (sympy; independent of zonocomb.certify)."""
    X = sympy.Matrix(ds.generators_exact)
    m, N, n = len(v), ds.N, ds.n
    p = m * n + int(fit_bias)
    M = sympy.zeros(N, p)                            # ŷ − y = M z − y: residual rows
    for i in range(N):
        for u in range(m):
            if A[u][i]:
                M[i, u * n:(u + 1) * n] = v[u] * X[i, :]
        if fit_bias:
            M[i, p - 1] = 1
    cons = []
    for u, i in product(range(m), range(N)):
        a = sympy.zeros(1, p)
        a[0, u * n:(u + 1) * n] = (1 if A[u][i] else -1) * X[i, :]
        cons.append(a)
    y = sympy.Matrix(ds.y_exact)
    # an optimum is attained where p independent equations among {r_i = 0} ∪ {a_k·z = 0} hold
    eqs = [(M[i, :], y[i]) for i in range(N)] + [(a, 0) for a in cons]
    best = None
    for S in combinations(range(len(eqs)), p):
        Mat = sympy.Matrix.vstack(*[eqs[k][0] for k in S])
        if Mat.rank() < p:
            continue
        z = Mat.LUsolve(sympy.Matrix([eqs[k][1] for k in S]))
        if all((a * z)[0] >= 0 for a in cons):
            value = sum(abs(x) for x in (M * z - y)) / N
            best = value if best is None or value < best else best
    return Fraction(int(sympy.nsimplify(best).p), int(sympy.nsimplify(best).q))


@pytest.mark.parametrize("seed,m,fit_bias", [(0, 1, False), (1, 1, True), (2, 2, False)])
def test_l1_optimum_equals_brute_force_over_vertices(seed, m, fit_bias):
    ds, A, v = _random_instance(seed, 4, 1, m)
    cert = certify_exact(ds, A, v, loss="l1", fit_bias=fit_bias)
    cert.verify()
    assert cert.loss == _brute_force_l1(ds, A, v, fit_bias)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10 ** 6), N=st.integers(3, 8), d=st.integers(1, 2), m=st.integers(1, 2),
       fit_bias=st.booleans())
def test_l1_matches_the_float_solver_and_tampering_fails(seed, N, d, m, fit_bias):
    ds, A, v = _random_instance(seed, N, d, m)
    sol = RegionProgram(ds, [float(x) for x in v], loss="l1", fit_bias=fit_bias).solve(A)
    cert = certify_exact(ds, A, v, loss="l1", fit_bias=fit_bias)
    cert.verify()
    assert abs(float(cert.loss) - sol.loss) <= 1e-8 * (1 + sol.loss)
    with pytest.raises(CertificateError):
        replace(cert, loss=cert.loss + Fraction(1, 10 ** 12)).verify()
    sigma = list(cert.derivative)
    sigma[0] = Fraction(2, N)                                   # outside the subdifferential
    with pytest.raises(CertificateError):
        replace(cert, derivative=tuple(sigma)).verify()
