"""exact_erm(certify="exact"): the exact global minimum against the float path, closed forms, and
tampered certificates."""
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from zonocomb import Dataset, InvalidInputError, exact_erm
from zonocomb.certify import CertificateError
from zonocomb.search.exact_erm import verify_exact_erm
from zonocomb.theory.reductions import minimum_cover_size, set_cover_to_relu


def _dataset(seed, N=7, d=2):
    rng = np.random.default_rng(seed)
    return Dataset(rng.integers(-5, 6, size=(N, d)).tolist(), y=rng.integers(-3, 4, size=N).tolist())


@pytest.mark.parametrize("seed,v,fit_bias", [(0, [1], True), (1, [1, -1], True), (2, [2, 2], False),
                                             (3, [Fraction(1, 2), -1], True)])
def test_exact_minimum_agrees_with_the_float_path_and_verifies(seed, v, fit_bias):
    ds = _dataset(seed)
    flt = exact_erm(ds, [float(Fraction(x)) for x in v], fit_bias=fit_bias, progress=False)
    ex = exact_erm(ds, v, fit_bias=fit_bias, progress=False, certify="exact")
    verify_exact_erm(ex, ds)
    exact = ex.info["exact_loss"]
    assert isinstance(exact, Fraction)
    assert abs(float(exact) - flt.loss) <= 1e-9 * (1 + flt.loss)
    assert ex.certificate[tuple(map(tuple, ex.pattern.astype(int)))].loss == exact
    assert len(ex.certificate) == len(flt.certificate)
    # every class: exact value equals the float one to rounding
    for key, cert in ex.certificate.items():
        assert abs(float(cert.loss) - flt.certificate[key]) <= 1e-8 * (1 + cert.loss)


def test_set_cover_minimum_is_the_closed_form():
    inst = set_cover_to_relu([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]])
    ds = inst.dataset
    ex = exact_erm(ds, [1], fit_bias=False, progress=False, certify="exact")
    verify_exact_erm(ex, ds)
    assert ex.info["exact_loss"] == minimum_cover_size(inst) * inst.gamma ** 2 / ds.N


def test_tampered_erm_certificates_fail():
    ds = _dataset(5, N=6)
    ex = exact_erm(ds, [1, -1], progress=False, certify="exact")
    key = next(iter(ex.certificate))
    missing = dict(ex.certificate)
    del missing[key]
    worse = {k: c for k, c in ex.certificate.items()}
    best_key = tuple(map(tuple, ex.pattern.astype(int)))
    worse[best_key] = replace(worse[best_key], loss=worse[best_key].loss + 1)
    other = next(k for k in ex.certificate if k != best_key)
    swapped = dict(ex.certificate)
    swapped[other] = ex.certificate[best_key]
    for bad in (replace(ex, certificate=missing), replace(ex, certificate=worse),
                replace(ex, certificate=swapped),
                replace(ex, info={**ex.info, "exact_loss": ex.info["exact_loss"] - Fraction(1, 10 ** 9)})):
        with pytest.raises(CertificateError):
            verify_exact_erm(bad, ds)


def test_certify_option_is_checked():
    ds = Dataset([[0], [1], [2]], y=[0, 1, 0])
    with pytest.raises(InvalidInputError, match="certify"):
        exact_erm(ds, [1], certify="yes", progress=False)
    with pytest.raises(InvalidInputError, match="transcendental"):
        exact_erm(ds, [1], loss="logistic", certify="exact", progress=False)
    with pytest.raises(CertificateError):
        verify_exact_erm(exact_erm(ds, [1], progress=False), ds)


def test_l1_exact_minimum_agrees_with_the_float_path():
    ds = _dataset(4, N=6, d=1)
    flt = exact_erm(ds, [1.0, -1.0], loss="l1", progress=False)
    ex = exact_erm(ds, [1, -1], loss="l1", progress=False, certify="exact")
    verify_exact_erm(ex, ds)
    assert abs(float(ex.info["exact_loss"]) - flt.loss) <= 1e-8
