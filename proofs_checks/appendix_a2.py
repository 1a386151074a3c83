"""Appendix A.2: neighbouring chambers differ in d + 1 − dim M signs in general position.

The paper: for two chambers a ≠ b of the arrangement of the homogenized examples (parameter space
R^{d+1}) whose meet M = R^a ∩ R^b is not {0}, the sign patterns differ in at least d + 1 − dim M
places, with equality in general position. Checked exactly over all pairs of chambers of small
datasets: the chambers come from the covectors (:meth:`zonocomb.HyperplaneArrangement.covectors`),
the meet's covector from an exact LP (:func:`proofs_checks.cones.interior_covector`) and
dim M = d + 1 − rank of its zero set.

* General position (seeded random data): equality for every pair.
* Degenerate data in d ≤ 2 (three collinear examples; a repeated example in d = 1): the inequality
  holds, strictly for some pair. (For d ≤ 2 it cannot fail: a meet of dimension d is a common
  wall, and a meet of dimension 1 < d lies on at least two hyperplanes.)
* Degenerate data in d = 3: the "at least" is **false** in general. With four coplanar examples
  (0,0,0), (1,0,0), (0,1,0), (1,1,0) and (0,0,1), the chambers (−,−,−,+,−) and (+,−,−,−,−) meet in
  the ray {(0, 0, t, 0) : t ≤ 0} (dim M = 1) but differ in 2 < 3 signs. The check expects this
  counterexample (and fails if it disappears or if equality fails in general position).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from .base import CheckResult, Tally, main

NAME = "appendix_a2"
STATEMENT = ("app. A.2: chambers with meet M ≠ {0} differ in exactly d+1−dim M signs in general position; the "
             "paper's 'at least' holds for degenerate data in d ≤ 2 but has a counterexample in d = 3")
FAST = True

#: (label, examples, expected outcome): "at least" (holds, strictly for some pair) or
#: "counterexample" (some pair differs in fewer signs); plus SEEDED general-position data ("equal").
DATASETS = [
    ("three collinear, N=5 d=2", [[0, 0], [1, 0], [2, 0], [1, 1], [0, 3]], "at least"),
    ("repeated example, N=5 d=1", [[0], [1], [1], [3], [4]], "at least"),
    ("four coplanar, N=5 d=3", [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]], "counterexample"),
]
SEEDED = [(5, 2, 0), (6, 2, 1), (5, 3, 2)]


def flip_counts(gens, chambers) -> list[tuple[int, int, tuple, tuple]]:
    """(sign flips |{i : a_i ≠ b_i}|, d + 1 − dim M, a, b) for every pair of chambers with M ≠ {0}."""
    from .cones import cone_dimension, interior_covector

    N, n = len(gens), len(gens[0])
    out = []
    for a, b in combinations(chambers, 2):
        meet = interior_covector(gens, {i: (a[i] if a[i] == b[i] else 0) for i in range(N)})
        dim = cone_dimension(gens, [meet[i] for i in range(N)])
        if dim > 0:
            out.append((sum(x != y for x, y in zip(a, b)), n - dim, a, b))
    return out


def verdict(counts, expected: str) -> tuple[bool, str]:
    """Whether the flip counts show the ``expected`` outcome ("equal", "at least" with a strict pair,
    or "counterexample"), with a summary."""
    below = [(f, bound, a, b) for f, bound, a, b in counts if f < bound]
    strict = sum(f > bound for f, bound, _, _ in counts)
    if expected == "equal":
        ok = not below and strict == 0
    elif expected == "at least":
        ok = not below and strict > 0
    else:
        ok = bool(below)
    info = f"{len(counts)} neighbouring pairs, fewer flips than d+1−dim M: {len(below)}, more: {strict}"
    if below:
        f, bound, a, b = below[0]
        info += f"; e.g. chambers {a} and {b}: {f} flips < {bound}"
    return bool(counts) and ok, info
def _random_general_position(N, d, seed):
    from zonocomb.geometry.dataset import Dataset

    rng = np.random.default_rng(seed)
    while True:
        ds = Dataset(rng.integers(-6, 7, size=(N, d)).tolist())
        if ds.in_general_position():
            return ds


def run() -> CheckResult:
    from zonocomb.geometry.dataset import Dataset

    tally = Tally(NAME, STATEMENT)
    cases = [(label, Dataset(X), expected) for label, X, expected in DATASETS]
    cases += [(f"general position, N={N} d={d} seed={seed}", _random_general_position(N, d, seed), "equal")
              for N, d, seed in SEEDED]
    for label, ds, expected in cases:
        if ds.in_general_position() != (expected == "equal"):
            tally.record(label, False, "the dataset's general position is not as expected")
            continue
        chambers = [c for c in ds.arrangement().covectors() if 0 not in c]
        ok, info = verdict(flip_counts(ds.generators_exact, chambers), expected)
        tally.record(label, ok, f"{len(chambers)} chambers, " + info)
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
