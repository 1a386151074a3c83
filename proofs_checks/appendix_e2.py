"""Appendix E.2: an arbitrarily small perturbation makes the reduction's optimum ≤ γ²/N whatever the cover.

For tiny set-cover instances, every subset T and several ε: x'_u = x_u + ε e_T for all u. Checked
exactly: the paper's weights (w_γ = γ, w_1 = 1, w_T = -1/ε) have loss γ²/N on the perturbed data,
and their activation pattern is also realised on the unperturbed data (w_γ = 2, w_1 = γ,
w_{T_i} = -1, w_T = -3), so the jump comes from that vertex's convex program, not from a new vertex.
On two instances the exact global optima are computed (float region solves polished to exact KKT
certificates): the original optimum is t*γ²/N while the perturbed one is ≤ γ²/N, so for t* ≥ 2 the
optimum no longer tells whether a small cover exists.
"""
from __future__ import annotations

from fractions import Fraction

from .base import CheckResult, Tally, main

NAME = "appendix_e2"
STATEMENT = ("app. E.2: after x_u -> x_u + ε e_T the loss γ²/N is reachable for every ε > 0 (same vertex as "
             "an unperturbed pattern), although the unperturbed optimum is t*γ²/N")
FAST = False

INSTANCES = [
    ([1, 2, 3], [[1, 2], [2, 3], [3]]),
    ([1, 2, 3, 4], [[1], [2], [3], [4]]),
    ([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]]),
]
EPSILONS = [Fraction(1, 10), Fraction(1, 10 ** 4), Fraction(1, 10 ** 9)]
#: Instances (indices into INSTANCES) whose exact global optima are computed, with the ε used.
EXACT_OPTIMA = [(0, Fraction(1, 1000)), (1, Fraction(1, 1000))]


def _pattern(w, X):
    return tuple(int(sum((a * b for a, b in zip(w, x)), Fraction(0)) > 0) for x in X)


def run() -> CheckResult:
    from .theorem_4_2 import exact_global_minimum
    from zonocomb.theory.reductions import minimum_cover_size, perturb_discontinuity, set_cover_to_relu

    tally = Tally(NAME, STATEMENT)
    for k, (universe, subsets) in enumerate(INSTANCES):
        inst = set_cover_to_relu(universe, subsets)
        unit = inst.gamma ** 2 / inst.dataset.N
        ok, worst_norm = True, 0.0
        for T in range(inst.M):
            for eps in EPSILONS:
                wit = perturb_discontinuity(inst, T, eps)
                same_vertex = (_pattern(wit.weights, wit.instance.dataset.X_exact)
                               == _pattern(wit.unperturbed_weights, inst.dataset.X_exact))
                ok &= wit.loss == unit and same_vertex
                worst_norm = max(worst_norm, float(sum(w * w for w in wit.weights)) ** 0.5)
        t_star = minimum_cover_size(inst)
        info = (f"min cover {t_star}, witness loss γ²/N and unperturbed-realisable pattern for all "
                f"{inst.M} subsets × {len(EPSILONS)} ε: {ok}; largest ‖w‖ {worst_norm:.3g}")
        for idx, eps in EXACT_OPTIMA:
            if idx != k:
                continue
            L0, _ = exact_global_minimum(inst.dataset)
            L1, _ = exact_global_minimum(perturb_discontinuity(inst, 0, eps).instance.dataset)
            exact_ok = L0 == t_star * unit and L1 <= unit
            ok &= exact_ok
            info += (f"; exact optima: original {L0 / unit}·γ²/N, perturbed (T=0, ε={eps}) "
                     f"{L1 / unit}·γ²/N")
        tally.record(f"U={list(universe)} T={[sorted(s) for s in subsets]}", ok, info)
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
