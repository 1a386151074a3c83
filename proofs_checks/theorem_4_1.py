"""Theorem 4.1 (appendix C): below a perturbation radius the zonotope and the optimum are stable.

For seeded random datasets in general position the exact radius ε₀ = δ/(2N) of appendix C is
computed (:func:`zonocomb.perturbation_radius`). Random perturbations moving every example by less
than ε₀ must keep the zonotope combinatorially equivalent with the same vertex barcodes (exact
engine). Along one random perturbation direction scaled to ε₀·(99/100)·s, s = 1, 1/10, 1/100, the
global MSE optimum L* (bias-free output, c = 0) is computed **exactly** (``exact_erm`` with
``certify="exact"``) for m = 1 (v = 1) and m = 2 (v = (1, −1)), and its movement
Δ(s) = |L*(D_s) − L*(D)| is measured against the perturbation size: it must be positive at s = 1
(the optimum does move, so the check is not vacuous) and at most 2·s·Δ(1) at the smaller scales
(it shrinks at least in proportion to the perturbation). Conversely, for the appendix D data (not in general
position) the radius is refused, every ε-perturbation changes the combinatorial type, and the exact
L1 optimum jumps by a constant (1/10 for D.1, 5/8 for D.2) however small ε is.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .base import CheckResult, Tally, main

NAME = "theorem_4_1"
STATEMENT = ("thm 4.1 / app. C: perturbations below δ/(2N) keep Z combinatorially equivalent and move the exact "
             "m=1 and m=2 optima by at most O(perturbation), but not by zero; the app. D data (not in general "
             "position) break both")
FAST = True

# (N, d, homogenize, seed)
INSTANCES = [(6, 1, True, 0), (7, 2, True, 1), (6, 2, False, 2), (8, 3, True, 3)]
#: The instances (by index) on which m = 2 is checked as well (exact ERM over |vert Z|² patterns).
M2_INSTANCES = (0, 2)
N_DRAWS = 3
SCALES = [Fraction(1), Fraction(1, 10), Fraction(1, 100)]
EPSILONS = [Fraction(1, 10), Fraction(1, 10 ** 3), Fraction(1, 10 ** 6)]


def _random_general_position(N, d, homogenize, seed):
    from zonocomb.geometry.dataset import Dataset

    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(-9, 10, size=(N, d)).tolist()
        ds = Dataset(X, homogenize=homogenize)
        if ds.in_general_position():
            break
    # labels of a planted unit plus integer noise, so the optimum's region has several active examples
    w = rng.integers(-3, 4, size=ds.n)
    y = [max(int(np.dot(w, [int(v) for v in g])), 0) + int(rng.integers(-2, 3)) for g in ds.generators_exact]
    return ds.with_labels(y), rng


def _scaled(ds, pert, s):
    from zonocomb.geometry.dataset import Dataset

    X = [[a + s * (b - a) for a, b in zip(r0, r1)] for r0, r1 in zip(ds.X_exact, pert.X_exact)]
    return Dataset(X, y=ds.y_exact, homogenize=ds.homogenize)


def _optimum(ds, v) -> Fraction:
    from zonocomb.search import exact_erm

    return exact_erm(ds, v, loss="mse", fit_bias=False, progress=False, certify="exact").info["exact_loss"]


def movement_ok(shifts, scales=SCALES) -> bool:
    """Δ(s₀) > 0 and Δ(s) ≤ 2 (s/s₀) Δ(s₀) at the smaller scales s (exact)."""
    return shifts[0] > 0 and all(d <= 2 * (s / scales[0]) * shifts[0] for d, s in zip(shifts[1:], scales[1:]))


def run() -> CheckResult:
    from zonocomb.geometry.zonotope import combinatorially_equivalent
    from zonocomb.theory.perturbation import perturbation_radius, random_perturbation

    tally = Tally(NAME, STATEMENT)
    for k, (N, d, homogenize, seed) in enumerate(INSTANCES):
        ds, rng = _random_general_position(N, d, homogenize, seed)
        radius = perturbation_radius(ds)
        Z = ds.zonotope()
        V = Z.vertices()
        scale = radius * Fraction(99, 100)
        draws = [random_perturbation(ds, scale, rng) for _ in range(N_DRAWS)]
        equivalent = all(combinatorially_equivalent(Z, p.zonotope()) and p.zonotope().vertices() == V for p in draws)
        info = [f"radius {float(radius):.3g}, {len(V)} vertices, {N_DRAWS} perturbations equivalent: {equivalent}"]
        ok = equivalent
        for v in ([1], [1, -1]) if k in M2_INSTANCES else ([1],):
            L0 = _optimum(ds, v)
            shifts = [abs(_optimum(_scaled(ds, draws[0], s), v) - L0) for s in SCALES]
            ok &= movement_ok(shifts)
            info.append(f"m={len(v)}: L*={float(L0):.6g} (exact), Δ(s)/s at s = 1, 1/10, 1/100: "
                        + ", ".join(f"{float(x / s):.3e}" for x, s in zip(shifts, SCALES)))
        tally.record(f"N={N} d={d} {'affine' if homogenize else 'linear'} seed={seed}", ok, "; ".join(info))
    tally_appendix_d(tally)
    return tally.result()


def tally_appendix_d(tally) -> None:
    """The appendix D datasets: radius refused, combinatorial type and L1 optimum jump for every ε."""
    from zonocomb.errors import NotInGeneralPositionError
    from zonocomb.geometry.zonotope import combinatorially_equivalent
    from zonocomb.theory.discontinuity import appendix_d1, appendix_d2, vertex_losses
    from zonocomb.theory.perturbation import perturbation_radius

    for make, jump in ((appendix_d1, Fraction(1, 10)), (appendix_d2, Fraction(5, 8))):
        base = make()
        try:
            perturbation_radius(base.dataset)
            refused = False
        except NotInGeneralPositionError:
            refused = True
        L0 = min(vertex_losses(base.dataset).values())
        jumps, broken = [], True
        for eps in EPSILONS:
            pert = make(eps).dataset
            broken &= not combinatorially_equivalent(base.dataset.zonotope(), pert.zonotope())
            jumps.append(L0 - min(vertex_losses(pert).values()))
        ok = refused and broken and all(j == jump for j in jumps)
        tally.record(f"appendix {base.name}", ok,
                     f"radius refused (not in general position): {refused}; type changes for every ε: {broken}; "
                     f"exact L1 jump for ε = {', '.join(map(str, EPSILONS))}: {', '.join(map(str, jumps))}")


if __name__ == "__main__":
    raise SystemExit(main(run()))
