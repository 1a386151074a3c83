"""Section 4.2: linear independence of the activations is a property of the activation pattern,
and a random vertex's activations reach full rank N as m grows past N.

For weights W with pattern A (A_ui = 𝕀{w_u·x̄_i > 0}) the activations form the m × N matrix
Φ(W)_ui = A_ui (w_u·x̄_i); the N examples' activation vectors (its columns) are linearly
independent iff rank Φ(W) = N. Checked exactly, on seeded datasets in general position:

1. *depends only on the pattern*: for random patterns A (that of a random integer W), the rank of
   Φ at several random rational points of the open region of A is the same at every point and
   equals the generic rank of the region, given by Rado's theorem as
   min over unit sets S of (m − |S| + rank[D_{A_u} X̄]_{u ∈ S}) (a choice of one generic vector
   from each column space of D_{A_u} X̄), so full rank N either holds at every generic point of
   the region or at none;
2. *probability rises to 1*: the fraction of random vertices (patterns of Gaussian W) whose
   activations have rank N is 0 for m < N (rank ≤ m), does not decrease by more than sampling
   noise allows as m grows, and is at least 0.9 at m = 8N (Gaussian data and weights rounded to
   rationals, as in the paper's experiment of section 4.2; in d = 1 the units' breakpoints must
   fall into every gap between the examples, so the fraction rises more slowly than in d = 2).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from .base import CheckResult, Tally, main

NAME = "section_4_2"
STATEMENT = ("§4.2: whether a region's activations are linearly independent depends only on its pattern "
             "(exact ranks at random points = Rado's generic rank), and P(rank N) for a random vertex → 1 as m grows")
FAST = True

#: (N, d, seed)
INSTANCES = [(5, 1, 0), (6, 2, 1)]
UNITS = (2, 4, 6)
REGIONS, POINTS = 6, 3
FRACTION_DRAWS = 30
#: The full-rank fraction required at m = 8N.
FINAL = 0.9
#: A decrease of the full-rank fraction larger than this between consecutive m counts as a failure.
NOISE = 0.2


def activations(gens, W):
    """Φ(W): the exact m × N activation matrix A_ui (w_u·x̄_i) of integer/rational W."""
    pre = [[sum(w * x for w, x in zip(row, g)) for g in gens] for row in W]
    return [[p if p > 0 else 0 for p in row] for row in pre]


def generic_rank(gens, pattern) -> int:
    """Rado: max rank of [φ_1 … φ_m], φ_u ∈ col span of D_{A_u} X̄, = min_S (m − |S| + rank of the
    stacked spans of S), exact."""
    from zonocomb.exact.rational import rank

    m = len(pattern)
    blocks = [[[g[j] if a else 0 for g, a in zip(gens, row)] for j in range(len(gens[0]))] for row in pattern]
    best = m
    for k in range(1, m + 1):
        for S in combinations(range(m), k):
            rows = [r for u in S for r in blocks[u]]
            best = min(best, m - k + rank(rows))
    return best


def points_in_region(gens, W0, count, rng, scale=1000):
    """``count`` random rational points with the same strict pattern as the integer W0."""
    target = np.sign(np.array(activations_pre(gens, W0)))
    out = []
    while len(out) < count:
        W = (scale * np.array(W0) + rng.integers(-scale // 4, scale // 4 + 1, size=np.shape(W0))).tolist()
        if (np.sign(np.array(activations_pre(gens, W))) == target).all():
            out.append(W)
    return out


def activations_pre(gens, W):
    return [[int(sum(w * x for w, x in zip(row, g))) for g in gens] for row in W]


def region_rank_consistent(gens, W0, rng) -> tuple[bool, list[int], int]:
    """(ranks at random points of W0's region all equal Rado's generic rank, the ranks, generic rank)."""
    from zonocomb.exact.rational import rank

    pattern = [[p > 0 for p in row] for row in activations_pre(gens, W0)]
    ranks = [rank(activations(gens, W)) for W in points_in_region(gens, W0, POINTS, rng)]
    g = generic_rank(gens, pattern)
    return all(r == g for r in ranks), ranks, g


def _dataset(N, d, seed):
    from zonocomb.geometry.dataset import Dataset

    rng = np.random.default_rng(seed)
    while True:
        X = [[f"{round(100 * x)}/100" for x in row] for row in rng.standard_normal((N, d))]
        ds = Dataset(X)
        if ds.in_general_position():
            return ds, rng


def _random_integer_weights(gens, m, rng):
    """An integer W (standard Gaussian scaled by 100 and rounded: the pattern is that of a Gaussian
    W up to the rounding, section 4.2) with no zero preactivation."""
    while True:
        W = np.rint(100 * rng.standard_normal((m, len(gens[0])))).astype(int).tolist()
        if all(p != 0 for row in activations_pre(gens, W) for p in row):
            return W


def run() -> CheckResult:
    from zonocomb.exact.rational import rank

    tally = Tally(NAME, STATEMENT)
    for N, d, seed in INSTANCES:
        ds, rng = _dataset(N, d, seed)
        gens = ds.generators_exact
        for m in UNITS:
            results = [region_rank_consistent(gens, _random_integer_weights(gens, m, rng), rng)
                       for _ in range(REGIONS)]
            ok = all(r[0] for r in results)
            tally.record(f"N={N} d={d} seed={seed} m={m}: pattern decides the rank", ok,
                         "; ".join(f"ranks {r[1]} generic {r[2]}" for r in results))
        fractions = {}
        for m in (N - 1, N, 2 * N, 4 * N, 8 * N):
            full = 0
            for _ in range(FRACTION_DRAWS):
                W = _random_integer_weights(gens, m, rng)
                full += rank(activations(gens, W)) == N
            fractions[m] = full / FRACTION_DRAWS
        ms = sorted(fractions)
        ok = (all(fractions[m] == 0 for m in ms if m < N) and fractions[8 * N] >= FINAL
              and all(fractions[b] >= fractions[a] - NOISE for a, b in zip(ms, ms[1:])))
        tally.record(f"N={N} d={d} seed={seed}: P(rank N) of a random vertex", ok,
                     ", ".join(f"m={m}: {fractions[m]:.2f}" for m in ms))
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
