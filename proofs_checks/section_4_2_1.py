"""Section 4.2.1: fewer than N/(d+1) units cannot fit generic labels (the counting lower bound).

A network with m units and fixed output weights has m(d+1) first-layer parameters (no output
bias, section 2); on each vertex of Z^m the predictions are linear in them, so for m(d+1) < N the
fitted label vectors of one region form a subspace of dimension < N, and generic labels lie on
none of the finitely many. Checked exactly: for seeded datasets and random rational labels with
m < N/(d+1), the global minimum of the MSE is computed by exact ERM with exact certificates
(``exact_erm(..., fit_bias=False, certify="exact")``, every vertex class certified and re-checked)
for every sign vector v ∈ {±1}^m up to the order of the units (which does not change the
minimum), and must be > 0. As a contrast on the same data, theorem 4.3's 2⌈N/(d+1)⌉ units fit the
labels with exact residual 0.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations_with_replacement

import numpy as np

from .base import CheckResult, Tally, main

NAME = "section_4_2_1"
STATEMENT = ("§4.2.1: with m < N/(d+1) units no vertex fits generic labels (exact global min > 0 for every "
             "v ∈ {±1}^m, exact ERM with exact certificates); 2⌈N/(d+1)⌉ units fit them (thm 4.3)")
FAST = True

#: (N, d, m, seed) with m (d + 1) < N.
INSTANCES = [(4, 1, 1, 0), (5, 1, 2, 1), (6, 1, 2, 2), (5, 2, 1, 3)]


def _dataset(N, d, seed, labels=None):
    from zonocomb.geometry.dataset import Dataset

    rng = np.random.default_rng(seed)
    while True:
        ds = Dataset(rng.integers(-9, 10, size=(N, d)).tolist())
        if ds.in_general_position():
            break
    if labels is None:
        labels = [Fraction(int(rng.integers(-99, 100)), int(rng.integers(1, 30))) for _ in range(N)]
    return ds.with_labels(labels)


def sign_vectors(m: int) -> list[list[int]]:
    """Every v ∈ {±1}^m up to the order of the units (non-increasing)."""
    return [list(v) for v in combinations_with_replacement((1, -1), m)]


def exact_minima(ds, m: int) -> dict:
    """v (as a tuple) → the exact global minimum of the MSE over m units, certificate re-checked."""
    from zonocomb.search.exact_erm import verify_exact_erm
    from zonocomb.search import exact_erm

    out = {}
    for v in sign_vectors(m):
        result = exact_erm(ds, v, loss="mse", fit_bias=False, progress=False, certify="exact")
        verify_exact_erm(result, ds)
        out[tuple(v)] = result.info["exact_loss"]
    return out


def run() -> CheckResult:
    from zonocomb.theory.construction import construct_interpolant

    tally = Tally(NAME, STATEMENT)
    for N, d, m, seed in INSTANCES:
        ds = _dataset(N, d, seed)
        minima = exact_minima(ds, m)
        net = construct_interpolant(ds)
        fits = all(r == 0 for r in net.residuals())
        ok = all(L > 0 for L in minima.values()) and fits
        tally.record(f"N={N} d={d} m={m} seed={seed}", ok,
                     f"m(d+1) = {m * (d + 1)} < N; exact minima "
                     + ", ".join(f"v={list(v)}: {float(L):.4g}" for v, L in minima.items())
                     + f"; {net.m} units fit exactly: {fits}")
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
