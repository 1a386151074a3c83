"""The statement checks added with the exact certificates (appendices A.2, B.1, sections 4.2, 4.2.1,
theorem 4.1 for m = 2) fail on planted counterexamples or broken inputs."""
from fractions import Fraction

from zonocomb import Dataset
from zonocomb.proofs_checks import appendix_a2, appendix_b1, section_4_2, section_4_2_1, theorem_4_1


def test_a2_hand_checked_counterexample_in_d3():
    # four coplanar examples: the chambers meet in the ray {(0, 0, t, 0) : t ≤ 0} (dim M = 1) but
    # differ in 2 < d + 1 − dim M = 3 signs (worked out by hand in the module's docstring)
    ds = Dataset([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    a, b = (-1, -1, -1, 1, -1), (1, -1, -1, -1, -1)
    assert appendix_a2.flip_counts(ds.generators_exact, [a, b]) == [(2, 3, a, b)]


def test_a2_verdict_can_fail():
    equal = [(2, 2, None, None), (1, 1, None, None)]
    strict = equal + [(3, 2, None, None)]
    below = equal + [(1, 2, None, None)]
    assert appendix_a2.verdict(equal, "equal")[0] and not appendix_a2.verdict(strict, "equal")[0]
    assert appendix_a2.verdict(strict, "at least")[0] and not appendix_a2.verdict(equal, "at least")[0]
    assert not appendix_a2.verdict(below, "at least")[0] and appendix_a2.verdict(below, "counterexample")[0]
    assert not appendix_a2.verdict([], "equal")[0]


def test_b1_fails_when_a_face_is_missing():
    ds = Dataset([[0, 0], [3, 1], [1, 4], [5, 3]])
    covectors = ds.arrangement().covectors()
    assert appendix_b1.complex_violations(ds.generators_exact, covectors) == []
    ray = next(c for c in covectors if c.count(0) == 2)              # a ray: two hyperplanes meet
    broken = [c for c in covectors if c != ray]
    bad = appendix_b1.complex_violations(ds.generators_exact, broken)
    assert bad and any(str(ray) in line for line in bad)


def test_counting_bound_check_detects_labels_that_a_network_fits():
    # labels made by a planted 2-unit network are not generic: some v fits them exactly
    X = [[0], [1], [3], [4], [6]]
    y = [max(2 * x - 1, 0) - max(x - 3, 0) for (x,) in X]
    ds = Dataset(X, y=y)
    minima = section_4_2_1.exact_minima(ds, 2)
    assert minima[(1, -1)] == 0 and any(L > 0 for L in minima.values())


def test_generic_rank_and_a_special_point():
    ds = Dataset([[0], [1], [3], [4]])
    gens = ds.generators_exact
    # two units with the same pattern: Rado's rank is min(2, rank of the common column space) = 2,
    # but the point with identical units has rank 1 (a special point of the region)
    W = [[1, 0], [1, 0]]                           # both active on x > 0: examples 1, 2, 3
    pattern = [[p > 0 for p in row] for row in section_4_2.activations_pre(gens, W)]
    assert section_4_2.generic_rank(gens, pattern) == 2
    from zonocomb.exact.rational import rank
    assert rank(section_4_2.activations(gens, W)) == 1


def test_movement_criterion_rejects_a_frozen_or_jumping_optimum():
    s = theorem_4_1.SCALES
    assert theorem_4_1.movement_ok([Fraction(3, 10 ** 5) * x for x in s])
    assert not theorem_4_1.movement_ok([Fraction(0)] * 3)                 # the optimum does not move
    assert not theorem_4_1.movement_ok([Fraction(1, 10)] * 3)             # it jumps (appendix D)
