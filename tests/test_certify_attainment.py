"""Exact attainment certificates of logistic regions (:func:`zonocomb.certify.certify_attainment`).

Independent evidence: the tests' own exact LP of the separated set
(``test_logistic_regions.exact_separated_set``, written separately), the fast float backend's
statuses (a different algorithm: the kernel, the float Tucker check and HiGHS), a closed form on
one-dimensional data, and tampered certificates that :meth:`verify` must refuse.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from test_logistic_regions import exact_separated_set, nearly_separable
from zonocomb import Dataset
from zonocomb.certify import CertificateError, certify_attainment
from zonocomb.convex import RegionProgram
from zonocomb.errors import InvalidInputError

V = [1, -1]


def regions(seed, count):
    ds, rng = nearly_separable(seed, N=12)
    for _ in range(count):
        yield ds, (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0


@pytest.mark.parametrize("fit_bias", [True, False])
def test_the_separated_set_is_the_oracles_and_the_fast_backends_status_agrees(fit_bias):
    kinds = set()
    for ds, A in regions(3, 12):
        cert = certify_attainment(ds, A.astype(int), V, fit_bias=fit_bias)
        I = exact_separated_set(ds, A, V, fit_bias)
        assert cert.separated == tuple(np.flatnonzero(I))
        assert cert.attained == (not I.any())
        status = RegionProgram(ds, [1.0, -1.0], loss="logistic", fit_bias=fit_bias).solve(A).status
        assert (status == "optimal_unattained") == (not cert.attained), status
        kinds.add(cert.attained)
    assert kinds == {True, False}


def test_one_dimensional_closed_form():
    # One unit active everywhere, v = 1: ŷ = a x + β on x = -1, 1, 2. Labels 1, 0, 1 are not
    # monotone in x: only θ = 0 keeps every margin ≥ 0 (attained). Labels 0, 1, 1 are separated by
    # x > 0: every example is in I.
    X = [[-1], [1], [2]]
    assert certify_attainment(Dataset(X, y=[1, 0, 1]), [[1, 1, 1]], [1]).attained
    cert = certify_attainment(Dataset(X, y=[0, 1, 1]), [[1, 1, 1]], [1])
    assert cert.separated == (0, 1, 2) and not cert.attained
    # with the output bias fixed at 0 and the unit off at x = -1 the bias cannot push x = -1 down:
    # ŷ(-1) = 0, so only x = 1 and x = 2 are separated
    cert = certify_attainment(Dataset(X, y=[0, 1, 1]), [[0, 1, 1]], [1], fit_bias=False)
    assert cert.separated == (1, 2)


def test_tampered_certificates_are_refused():
    found = {}
    for ds, A in regions(3, 12):
        cert = certify_attainment(ds, A.astype(int), V)
        found.setdefault(cert.attained, cert)
    unattained, attained = found[False], found[True]
    I = unattained.separated
    bad = [
        dataclasses.replace(unattained, separated=I[1:]),                       # I too small
        dataclasses.replace(unattained, attained=True),
        dataclasses.replace(unattained, W=tuple(tuple(-x for x in row) for row in unattained.W),
                            c=-unattained.c),                                   # the direction reversed
        dataclasses.replace(attained, separated=(0,), attained=False),           # claims a separation
        dataclasses.replace(attained, weights=(Fraction(0),) + attained.weights[1:]),
        dataclasses.replace(attained, weights=tuple(2 * w if k == 0 else w for k, w in enumerate(attained.weights))),
        dataclasses.replace(attained, multipliers=tuple(tuple(-x for x in row) for row in attained.multipliers)),
        dataclasses.replace(attained, separated=(attained.dataset.N,), attained=False),  # no such example
        dataclasses.replace(attained, separated=(-1,), attained=False),
        dataclasses.replace(unattained, separated=I + I[:1]),                   # repeated, not increasing
        dataclasses.replace(attained, weights=attained.weights[:-1]),           # too short
        dataclasses.replace(attained, weights=attained.weights + (Fraction(1),)),
        dataclasses.replace(attained, multipliers=attained.multipliers[:1]),
        dataclasses.replace(attained, W=attained.W[:1]),
    ]
    for cert in bad:
        with pytest.raises(CertificateError):
            cert.verify()
    unattained.verify()
    attained.verify()


def test_bad_input_is_refused():
    ds = Dataset([[0], [1], [2]], y=[0, 2, 1])
    with pytest.raises(InvalidInputError, match="labels in"):
        certify_attainment(ds, [[1, 1, 1]], [1])
    with pytest.raises(InvalidInputError):
        certify_attainment(Dataset([[0], [1], [2]], y=[0, 1, 1]), [[1, 1]], [1])
