"""Rigorous bounds on logistic region optima (zonocomb.certify.logistic): they bracket the float
optima of both backends, are tight, survive degenerate and unattained cases, and tampering fails."""
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb import Dataset, RegionProgram
from zonocomb.certify import CertificateError, bound_logistic


def _instance(seed, N, d, m):
    rng = np.random.default_rng(seed)
    ds = Dataset(rng.integers(-5, 6, size=(N, d)).tolist(), y=rng.integers(0, 2, size=N).tolist())
    V = ds.zonotope().vertices()
    A = np.array([V[j] for j in rng.integers(len(V), size=m)], dtype=bool)
    return ds, A, [int(x) for x in rng.choice([-1, 1], size=m)]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10 ** 6), N=st.integers(3, 10), d=st.integers(1, 2), m=st.integers(1, 2),
       fit_bias=st.booleans())
def test_bounds_bracket_the_float_optimum_and_verify(seed, N, d, m, fit_bias):
    ds, A, v = _instance(seed, N, d, m)
    sol = RegionProgram(ds, [float(x) for x in v], loss="logistic", fit_bias=fit_bias).solve(A)
    b = bound_logistic(ds, A, v, fit_bias=fit_bias, hint=sol)
    b.verify()
    assert isinstance(b.lower, Fraction) and b.lower <= b.upper
    # the float optimum's loss is attained at a feasible point, so f* ≤ it (up to its rounding)
    assert float(b.lower) <= sol.loss + 1e-12
    assert float(b.upper - b.lower) <= 1e-7


@pytest.mark.slow
def test_bounds_bracket_the_reference_backend():
    ds, A, v = _instance(3, 8, 2, 2)
    ref = RegionProgram(ds, [float(x) for x in v], loss="logistic", backend="cvxpy").solve(A)
    b = bound_logistic(ds, A, v)
    assert float(b.lower) <= ref.loss + 1e-9 and float(b.upper) <= ref.loss + 1e-7


def test_separable_region_has_infimum_zero():
    # one unit active on the positive examples only: the infimum 0 is not attained (recession)
    ds = Dataset([[0], [1], [2], [3]], y=[0, 0, 1, 1])
    b = bound_logistic(ds, [[0, 0, 1, 1]], [1])
    b.verify()
    assert b.lower >= 0 and float(b.upper) < 1e-12


def test_tampered_bounds_fail_verify():
    ds, A, v = _instance(22, 8, 2, 2)
    b = bound_logistic(ds, A, v)
    b.verify()
    sigma = list(b.sigma)
    sigma[0] = sigma[0] + Fraction(1, 10 ** 9)
    W = [list(r) for r in b.W]
    assert any(sum(a * x for a, x in zip(W[0], g)) != 0 for g in ds.generators_exact)
    W[0] = [-x for x in W[0]]                                   # flips unit 0 out of its region
    # σ_i, σ_j moved towards 1/2 by ±δ keep Σ σ and raise the entropy: only the per-unit dual
    # equations can catch it
    i = next(i for i, x in enumerate(b.sigma) if 0 < x < Fraction(1, 2))
    j = next(j for j, x in enumerate(b.sigma) if Fraction(1, 2) < x < 1)
    toward = list(b.sigma)
    toward[i] += Fraction(1, 10 ** 6)
    toward[j] -= Fraction(1, 10 ** 6)
    for bad in (replace(b, lower=b.upper + Fraction(1, 10 ** 6)),
                replace(b, sigma=tuple(toward)),
                replace(b, lower=b.lower + Fraction(1, 10 ** 9)),
                replace(b, upper=b.lower - Fraction(1, 10 ** 9)),
                replace(b, sigma=tuple(sigma)),
                replace(b, W=tuple(map(tuple, W)))):
        with pytest.raises(CertificateError):
            bad.verify()
