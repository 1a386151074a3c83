"""Theorem 4.3: 2⌈N/(d+1)⌉ ReLU units fit any dataset in general position exactly (section 4.2.1, app. F).

On seeded random rational datasets (several d, N, including N not a multiple of d+1 and data with
ties in the last coordinate) the construction of appendix F is run in exact arithmetic. Checked:
every training residual is exactly 0, the network has 2⌈N/(d+1)⌉ units, and each unit's barcode is a
vertex of Z (exact engine), so the pattern is a vertex of Z^m. Also reported: the 2-norm condition
number of W and the largest residual when the same network is evaluated in float64 (the paper warns
the construction is ill-conditioned).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .base import CheckResult, Tally, main

NAME = "theorem_4_3"
STATEMENT = ("thm 4.3: the chunked construction of app. F fits N examples in general position exactly "
             "with 2⌈N/(d+1)⌉ units; its pattern is a vertex of Z^m")
FAST = True

# (d, N, seed, ties): ties=True forces equal last coordinates (so the sort direction is tilted).
INSTANCES = [(1, 7, 0, False), (2, 9, 1, False), (2, 10, 2, True), (3, 13, 3, False), (3, 40, 4, False),
             (4, 11, 5, True), (5, 6, 6, False)]


def _dataset(d, N, seed, ties):
    """Random rational data, redrawn until in general position; with ``ties`` the last coordinate
    is i // d, so d examples share each value (as many as general position allows)."""
    from zonocomb.geometry.dataset import Dataset

    rng = np.random.default_rng(seed)
    while True:
        X = [[Fraction(int(rng.integers(-99, 100)), int(rng.integers(1, 9))) for _ in range(d)] for _ in range(N)]
        if ties:
            for i, row in enumerate(X):
                row[-1] = Fraction(i // d)
        y = [Fraction(int(rng.integers(-20, 21)), 4) for _ in range(N)]
        ds = Dataset(X, y=y)
        if ds.in_general_position():
            return ds


def run() -> CheckResult:
    from zonocomb.theory.construction import construct_interpolant

    tally = Tally(NAME, STATEMENT)
    for d, N, seed, ties in INSTANCES:
        ds = _dataset(d, N, seed, ties)
        net = construct_interpolant(ds)
        exact_fit = all(r == 0 for r in net.residuals())
        units_ok = net.m == 2 * (-(-N // (d + 1)))
        Z = ds.zonotope()
        vertex_ok = all(Z.is_vertex(tuple(int(b) for b in row)) for row in net.pattern)
        float_pred = np.maximum(net.W_float @ ds.generators_float.T, 0).T @ np.array([float(v) for v in net.v])
        float_err = float(np.max(np.abs(float_pred - ds.y)))
        tally.record(f"d={d} N={N} seed={seed}{' ties' if ties else ''}", exact_fit and units_ok and vertex_ok,
                     f"m={net.m}, sort direction {tuple(map(str, net.direction))}, residuals all 0: {exact_fit}, pattern rows are vertices: {vertex_ok}, "
                     f"cond(W)={net.condition_number():.3g}, float64 max residual {float_err:.3g}")
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
