"""Theorem 4.2 via theorem E.1 (appendix E): set cover reduces to one bias-free ReLU, also in general position.

On tiny set-cover instances (|U| ≤ 4, M ≤ 4) the reduction dataset of appendix E.1 and its
general-position variant (theorem E.1, seeded noise, general linear position certified exactly)
are built, and the global minimum L* of the MSE (16)/(17) of f(x) = φ(w·x) is computed **exactly**
by ``exact_erm(..., certify="exact")``: every vertex of the zonotope (exact engine) gets its region
program (eq. 3) solved in float and then certified exactly (:func:`zonocomb.certify_exact`), and the
whole certificate is re-checked (:func:`zonocomb.search.exact_erm.verify_exact_erm`). The float
``exact_erm`` is run as well and must agree. Checked: for every t = 0..M, L* ≤ tγ²/N exactly when a set cover of size t exists
(lemmas E.3-E.5 and Goel et al.'s theorem 8), and the cover weights of E.1 / lemma E.3 reach
t*γ²/N exactly.
"""
from __future__ import annotations

from fractions import Fraction

from .base import CheckResult, Tally, main

NAME = "theorem_4_2"
STATEMENT = ("thm 4.2 / E.1: min MSE of a bias-free ReLU on the set-cover dataset (original and general-position "
             "variant) is ≤ tγ²/N iff a cover of size t exists (exact, |U| ≤ 4, M ≤ 4)")
FAST = False

INSTANCES = [
    ([1, 2, 3], [[1, 2], [2, 3], [3]]),
    ([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]]),
    ([1, 2, 3, 4], [[1], [2], [3], [4]]),
    ([1, 2, 3, 4], [[1, 2, 3, 4], [1, 2], [3, 4]]),
    ([1, 2, 3], [[1], [2]]),                      # U not covered: no cover of any size
]
SEED = 42
#: Agreement required between exact_erm's float optimum and the exact optimum.
FLOAT_AGREEMENT = 1e-12


def exact_global_minimum(dataset):
    """(L*, number of vertices): the exact global minimum of the single-unit MSE, its certificate
    re-checked from scratch (raises CertificateError if it does not hold)."""
    from zonocomb.search.exact_erm import verify_exact_erm
    from zonocomb.search import exact_erm

    result = exact_erm(dataset, [1], loss="mse", fit_bias=False, progress=False, certify="exact")
    verify_exact_erm(result, dataset)
    return result.info["exact_loss"], result.info["num_vertices"]


def run() -> CheckResult:
    from zonocomb.search import exact_erm
    from zonocomb.theory.reductions import (
        cover_weights, general_position_cover_weights, general_position_variant, minimum_cover_size,
        set_cover_to_relu)

    tally = Tally(NAME, STATEMENT)
    for universe, subsets in INSTANCES:
        original = set_cover_to_relu(universe, subsets)
        d = original.d
        variant = general_position_variant(original, Fraction(1, 10 * d), Fraction(1, 3 * d), random_state=SEED)
        t_star = minimum_cover_size(original)
        for kind, inst in (("original", original), ("general position", variant)):
            ds = inst.dataset
            unit = inst.gamma ** 2 / ds.N
            L, n_vertices = exact_global_minimum(ds)
            erm = exact_erm(ds, [1.0], loss="mse", fit_bias=False, progress=False)
            agree = abs(erm.loss - float(L)) <= FLOAT_AGREEMENT
            iff = all((L <= t * unit) == (t_star is not None and t >= t_star)
                                        for t in range(inst.M + 1))
            witness_ok = True
            if t_star is not None:
                cover = next(c for c in _covers_of_size(inst, t_star))
                weights = cover_weights if inst.eta is None else general_position_cover_weights
                witness_ok = weights(inst, cover)[1] == t_star * unit
            ratio = str(L / unit) if (L / unit).denominator == 1 else f"{float(L / unit):.6g}"
            tally.record(f"U={list(universe)} T={[sorted(s) for s in subsets]} {kind}",
                         iff and agree and witness_ok,
                         f"N={ds.N} d={d}, {n_vertices} vertices (all certified exactly), min cover {t_star}, "
                         f"exact L* = {ratio}·γ²/N, exact_erm {erm.loss:.6g} (agrees: {agree}), "
                         f"cover weights reach t*γ²/N: {witness_ok}")
    return tally.result()


def _covers_of_size(inst, t):
    from itertools import combinations

    U = set(inst.universe)
    for combo in combinations(range(inst.M), t):
        if set().union(*(inst.subsets[i] for i in combo)) >= U:
            yield combo


if __name__ == "__main__":
    raise SystemExit(main(run()))
