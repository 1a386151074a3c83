"""Vertex count and f-vector of the zonotope of a dataset in general position (paper §3, app. A.3).

For N generators in general position in R^n the zonotope Σ [0, x̄_i] has
2·Σ_{i=0}^{n−1} C(N−1, i) vertices (= activation regions of one unit) and
f_k = 2·C(N, k)·Σ_{i=0}^{n−1−k} C(N−k−1, i) k-faces. Checked on seeded random integer datasets
with the exact vertex engine and the exact face lattice, plus Euler's relation; and on a
degenerate dataset (collinear and repeated points) whose count is strictly below the formula and
equals an independent brute-force LP count.
"""
from __future__ import annotations

from math import comb

import numpy as np

from .brute import brute_force_vertices, in_linear_general_position
from .base import CheckResult, Tally, main

NAME = "vertex_count"
STATEMENT = ("vertices of Z in general position = 2·Σ_{i<n} C(N−1,i), f_k = 2·C(N,k)·Σ_{i<n−k} C(N−k−1,i), "
             "Euler's relation (paper §3, app. A.3); strictly fewer vertices when not in general position")
FAST = True

# (N, d, seed) of the random general-position instances; generators are (x_i, 1) in R^{d+1}.
INSTANCES = [(6, 2, 0), (9, 2, 1), (7, 3, 2), (10, 3, 3), (7, 4, 4)]
# Collinear triple (0,0), (1,1), (2,2) and a repeated point (3,-1) in R^2.
DEGENERATE = [[0, 0], [1, 1], [2, 2], [3, -1], [3, -1], [-1, 2]]


def closed_form_vertices(N: int, n: int) -> int:
    return 2 * sum(comb(N - 1, i) for i in range(n))


def closed_form_f(N: int, n: int) -> tuple[int, ...]:
    return tuple(2 * comb(N, k) * sum(comb(N - k - 1, i) for i in range(n - k)) for k in range(min(N, n)))


def random_general_position(N: int, d: int, seed: int):
    """Integer points in [-9, 9]^d whose homogenized vectors are in general position (redrawn until so)."""
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(-9, 10, size=(N, d)).tolist()
        if in_linear_general_position([x + [1] for x in X]):
            return X


def run() -> CheckResult:
    from zonocomb.geometry.dataset import Dataset
    from zonocomb.geometry.faces import f_vector

    tally = Tally(NAME, STATEMENT)
    for N, d, seed in INSTANCES:
        ds = Dataset(random_general_position(N, d, seed))
        n = ds.n
        V = ds.zonotope().vertices()
        fv = f_vector(ds.generators_exact, V)
        euler = sum((-1) ** k * f for k, f in enumerate(fv))
        ok = (len(V) == closed_form_vertices(N, n) and fv == closed_form_f(N, n)
              and euler == 1 - (-1) ** n)
        tally.record(f"N={N} d={d} seed={seed}", ok,
                     f"|V|={len(V)} (formula {closed_form_vertices(N, n)}), f={fv} "
                     f"(formula {closed_form_f(N, n)}), Euler sum {euler}")
    ds = Dataset(DEGENERATE)
    V = ds.zonotope().vertices()
    brute = brute_force_vertices(ds.generators_exact)
    fv = f_vector(ds.generators_exact, V)
    formula = closed_form_vertices(ds.N, ds.n)
    euler = sum((-1) ** k * f for k, f in enumerate(fv))
    ok = V == brute and len(V) < formula and fv[0] == len(V) and euler == 1 - (-1) ** ds.n
    tally.record(f"degenerate N={ds.N} d={ds.d} (collinear + repeated)", ok,
                 f"|V|={len(V)} < formula {formula}, brute-force LP count {len(brute)}, f={fv}")
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
