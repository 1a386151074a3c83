"""Appendix D.1: a vertex whose convex problem is discontinuous in the data.

The five collinear points x_i = (i, 0), labels (1, 2, 5/2, 4, 5), a single affine ReLU with output
weight 1 and the mean L1 loss. Every zonotope vertex's minimal loss is computed exactly (rational
LPs). The unperturbed optimum is 1/10, attained only with all examples active; moving x_3 to
(3, ε) keeps that vertex, and the paper's weights w = (1, -1/(2ε)), b = 0 fit the data exactly,
so the optimum drops to 0 for every ε > 0.
"""
from __future__ import annotations

from fractions import Fraction

from .brute import brute_force_vertices
from .base import CheckResult, Tally, main

NAME = "appendix_d1"
STATEMENT = ("app. D.1: best vertex L1 loss 1/10 with all examples active; after x_3 -> (3, ε) the same "
             "vertex reaches 0 with w = (1, -1/(2ε)), b = 0, for every ε > 0")
FAST = True

EPSILONS = [Fraction(1, 2), Fraction(1, 1000), Fraction(1, 10 ** 12)]
ALL = (1, 2, 3, 4, 5)


def run() -> CheckResult:
    from zonocomb.theory.discontinuity import appendix_d1, best_vertices, l1_loss, vertex_table

    tally = Tally(NAME, STATEMENT)
    ds = appendix_d1().dataset
    rows = vertex_table(ds)
    engine_ok = [r.barcode for r in rows] == brute_force_vertices(ds.generators_exact)
    best, winners = best_vertices(rows)
    tally.record("original", engine_ok and best == Fraction(1, 10) and winners == [ALL],
                 f"{len(rows)} vertices (engine == brute-force LP: {engine_ok}), best loss {best} at {winners}")
    original_barcodes = {r.barcode for r in rows}
    for eps in EPSILONS:
        ex = appendix_d1(eps)
        rows = vertex_table(ex.dataset)
        best, winners = best_vertices(rows)
        paper_loss = l1_loss(ex.dataset, ex.paper_weights)
        paper_active = all(sum(w * x for w, x in zip(ex.paper_weights, g)) > 0 for g in ex.dataset.generators_exact)
        ok = (best == 0 and winners == [ALL] and paper_loss == 0 and paper_active
              and (1,) * 5 in original_barcodes)
        tally.record(f"eps={eps}", ok,
                     f"{len(rows)} vertices, best loss {best} at {winners}; paper w={[str(w) for w in ex.paper_weights]} "
                     f"loss {paper_loss}, all active {paper_active}; jump {Fraction(1, 10) - best}")
    return tally.result()


if __name__ == "__main__":
    raise SystemExit(main(run()))
