"""Appendix B.1: the cones R^a of a central arrangement form a polyhedral complex 𝓡.

For small arrangements (the generators of seeded datasets, general position and degenerate) the
whole face set is taken from its covectors (:meth:`zonocomb.HyperplaneArrangement.covectors`), and
both conditions of appendix A.2 are checked exactly, with the covector of every cone involved
computed independently by an exact LP (:func:`proofs_checks.cones.interior_covector`):

1. every face of a member is a member: the faces of the cone R^a are its intersections with the
   supporting hyperplanes H_i (a_i ≠ 0), recursively, so for every covector a and every such i the
   covector of R^a ∩ H_i must be in the set (and conform to a);
2. the intersection of any two members is a face of both: the covector c of R^a ∩ R^b must be in
   the set and conform to both a and b (c_i ∈ {0, a_i} and c_i ∈ {0, b_i}), which makes R^c the
   intersection of R^a with the supporting hyperplanes {H_i : c_i = 0, a_i ≠ 0}.
"""
from __future__ import annotations

from itertools import combinations

from .base import CheckResult, Tally, main

NAME = "appendix_b1"
STATEMENT = ("app. B.1: the cones R^a of the arrangement form a polyhedral complex (faces of members and "
             "pairwise intersections are members and faces of both), checked on all covectors")
FAST = True

#: (name, examples) of small datasets; homogenized generators (x_i, 1).
DATASETS = [
    ("general position, N=4 d=2", [[0, 0], [3, 1], [1, 4], [5, 3]]),
    ("three collinear, N=4 d=2", [[0, 0], [1, 0], [2, 0], [1, 1]]),
    ("repeated example, N=4 d=1", [[0], [1], [1], [3]]),
    ("general position, N=5 d=1", [[0], [1], [3], [4], [7]]),
]


def _conforms(c, a) -> bool:
    return all(ci == 0 or ci == ai for ci, ai in zip(c, a))


def complex_violations(gens, covectors) -> list[str]:
    """Violations of the two conditions for the face set ``covectors`` of the arrangement of ``gens``."""
    from .cones import interior_covector

    members = set(covectors)
    N = len(gens)
    bad = []
    for a in covectors:
        for i in range(N):
            if a[i] == 0:
                continue
            face = dict(enumerate(a))
            face[i] = 0
            c = interior_covector(gens, face)
            c = tuple(c[j] for j in range(N))
            if c not in members or not _conforms(c, a):
                bad.append(f"face R^{a} ∩ H_{i} has covector {c}, not a member face")
    for a, b in combinations(covectors, 2):
        meet = {j: (a[j] if a[j] == b[j] else 0) for j in range(N)}
        c = interior_covector(gens, meet)
        c = tuple(c[j] for j in range(N))
        if c not in members or not (_conforms(c, a) and _conforms(c, b)):
            bad.append(f"R^{a} ∩ R^{b} has covector {c}, not a common face")
    return bad


def run() -> CheckResult:
    from zonocomb.geometry.dataset import Dataset

    tally = Tally(NAME, STATEMENT)
    for name, X in DATASETS:
        ds = Dataset(X)
        covectors = ds.arrangement().covectors()
        bad = complex_violations(ds.generators_exact, covectors)
        pairs = len(covectors) * (len(covectors) - 1) // 2
        tally.record(name, not bad, f"{len(covectors)} covectors, {pairs} intersections checked"
                     + (f"; first violation: {bad[0]}" if bad else ""))
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
