"""Probe: would cutting planes make GLS's face bounds tight late in a walk?

GLS's face bounds (zonocomb/convex/backends/face_bounds.py) are the optimum of a relaxation of a
neighbour's MSE program in which every unit but the moved one keeps only the constraints of its
face at the vertex. Late in a Table A1 (16, 16, 128) walk most of them fall below the least loss,
so the neighbours are solved in full. On a sample of the neighbours GLS would solve at one vertex
(a store's checkpoint, or a fresh synthetic start), this probe solves the relaxation with cvxpy
(CLARABEL, round 0) and adds back, round by round, the other units' constraints off their faces
that the relaxation's minimiser violates (all of them, or with ``--per-unit K`` the K most
violated of each unit), until its optimum exceeds the least loss (the neighbour would need no
solve) or nothing is violated (it is the neighbour's optimum). ``--vertex-cuts`` starts round 0
with one constraint per live unit chosen at the vertex instead. It prints the dimension of V (the
units' free motion on their faces), then per neighbour the compiled bound (−inf when it fell to
the least loss), the neighbour's optimum, and each round's optimum with the constraints and units
cut so far. Findings: benchmarks/README.md ("Cutting planes for the face bounds").

Usage: ``python benchmarks/face_bound_cuts_probe.py [--store PATH [--key KEY] | --synthetic D M_GEN M
SEED] [--sample S] [--rounds R] [--per-unit K] [--vertex-cuts]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import cvxpy as cp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.linalg import null_space  # noqa: E402
from face_bounds_probe import add_vertex_arguments, search_at  # noqa: E402

from zonocomb.convex.backends.face_bounds import FIRST_BATCH, FaceBounds  # noqa: E402
from zonocomb.convex.backends.kernel import PackedMoves  # noqa: E402

#: A constraint s x̄_i·w ≥ 0 counts as violated below −VIOLATION_RTOL ‖x̄_i‖ ‖w‖.
VIOLATION_RTOL = 1e-7


def todo_neighbours(search, sample: int):
    """(the kernel's data, the vertex's W, its FaceBounds, a sample of the moves GLS would solve
    after its face bounds, their compiled bounds, their optima, the least loss of the first batch)."""
    kernel, sol = search.program.kernel, search.solution
    unit = search.program.solver_loss_unit()
    W, c = search.program.to_solver_units((sol.W, sol.c))
    moves = PackedMoves.pack(search.moves(), search.m, search.dataset.N)
    screened = kernel.sweep(search.pattern, moves, W, c, sol.loss / unit, screen=True, kkt_rtol=1e-9,
                            bound=search.threshold() / unit, solve=False, threads=1)
    open_ = np.flatnonzero(screened.status == "open")
    faces = FaceBounds(kernel.data, search.pattern, W, c)
    first = faces.lower_bounds(moves.take(open_), cutoff=np.inf).first
    order = open_[np.argsort(np.where(np.isnan(first), -np.inf, first), kind="stable")]
    batch = kernel.sweep(search.pattern, moves.take(order[:FIRST_BATCH]), W, c, sol.loss / unit, screen=False,
                         kkt_rtol=1e-9, threads=1)
    least = float(np.nanmin(batch.loss))
    rest = order[FIRST_BATCH:]
    lower = faces.lower_bounds(moves.take(rest), cutoff=least).lower
    todo = rest[~(lower > least)]
    print(f"vertex at step {search.n_steps}, loss {sol.loss / unit:.6g} (the kernel's units): {len(moves)} "
          f"neighbours, {len(open_)} open, {len(todo)} solved after the bounds; least of the first batch "
          f"{least:.6g}")
    Z = face_null_spaces(faces)
    V = np.hstack([(faces.AV[w][:, None] * faces.X) @ Z[w] for w in range(faces.m)] + [np.ones((faces.N, 1))])
    dims = Counter(Zw.shape[1] for Zw in Z)
    print(f"  V (the units' free motion on their faces, and 1) has dimension {np.linalg.matrix_rank(V)} of "
          f"N = {faces.N}; dim Z_w: {dict(sorted(dims.items()))}; {int(np.sum(~np.any(W, axis=1)))} units at w = 0")
    pick = np.sort(np.random.default_rng(0).choice(len(todo), size=min(sample, len(todo)), replace=False))
    chosen = todo[pick]
    solved = kernel.sweep(search.pattern, moves.take(chosen), W, c, sol.loss / unit, screen=False,
                          kkt_rtol=1e-9, threads=1)
    bound_of = dict(zip(rest.tolist(), lower.tolist()))
    return kernel.data, W, faces, moves.take(chosen), [bound_of[int(k)] for k in chosen], solved.loss, least


def face_null_spaces(faces: FaceBounds) -> list:
    """Z_w: an orthonormal basis of the null space of each unit's face constraints."""
    return [null_space(faces.X[T]) if len(T) else np.eye(faces.n) for T in faces.faces]


def vertex_cuts(data, W: np.ndarray, faces: FaceBounds) -> dict:
    """One constraint off its face per live unit, chosen at the vertex: the one whose normal,
    projected on the face's null space Z_w, is most aligned with the unit's weights w*_w (for a
    one-dimensional Z_w every such constraint cuts the same ray, w = t w*_w with t ≥ 0)."""
    X = data.Xbar
    cuts = {}
    for w, (T, Z) in enumerate(zip(faces.faces, face_null_spaces(faces))):
        if not np.any(W[w]):
            continue
        sign = np.where(faces.A[w], 1.0, -1.0)
        q = (sign[:, None] * X) @ Z                                   # normals in Z_w's coordinates
        depth = (sign * (X @ W[w])) / np.maximum(np.linalg.norm(q, axis=1), 1e-300)
        depth[T] = -np.inf
        cuts[w] = int(np.argmax(depth))
    return cuts


def cut_rounds(data, faces: FaceBounds, unit: int, flipped, least: float, rounds: int, per_unit: int | None,
               first_cuts: dict):
    """(optimum, constraints cut, units cut) per round of the cutting-plane relaxation; each round
    cuts every violated constraint, or with ``per_unit`` the most violated ones of each unit."""
    X, y, v = data.Xbar, data.y, np.asarray(data.v, dtype=float)
    N, n = X.shape
    m = len(v)
    A = faces.A.copy()
    A[unit, list(flipped)] ^= True
    sign = np.where(A, 1.0, -1.0)                                   # (m, N)
    kept = np.zeros((m, N), dtype=bool)
    for w, T in enumerate(faces.faces):
        kept[w, T] = True
    for w, i in first_cuts.items():
        kept[w, i] = True
    kept[unit] = True
    xn = np.linalg.norm(X, axis=1)
    Wv = cp.Variable((m, n))
    c = cp.Variable() if data.fit_bias else 0.0
    pred = cp.sum(cp.multiply((v[:, None] * A).T, X @ Wv.T), axis=1) + c
    slack = cp.vec(cp.multiply(sign.T, X @ Wv.T), order="F")        # entry i + N w: s_wi x̄_i·w_w
    out = []
    for _ in range(rounds + 1):
        idx = np.flatnonzero(kept.T.reshape(-1, order="F"))
        problem = cp.Problem(cp.Minimize(cp.sum_squares(pred - y) / N), [slack[idx] >= 0])
        problem.solve(solver=cp.CLARABEL)
        if problem.status not in ("optimal", "optimal_inaccurate"):
            raise RuntimeError(f"cvxpy: {problem.status}")
        Wval = Wv.value
        cuts_so_far = int(kept.sum() - N - sum(len(T) for w, T in enumerate(faces.faces) if w != unit))
        out.append((problem.value, cuts_so_far, int(np.count_nonzero(kept[np.arange(m) != unit].sum(axis=1)
                                                                      > faces.flen[np.arange(m) != unit]))))
        if problem.value > least:
            break
        s = sign * (X @ Wval.T).T                                      # (m, N)
        violated = (s < -VIOLATION_RTOL * xn[None] * np.linalg.norm(Wval, axis=1)[:, None]) & ~kept
        if not violated.any():
            break
        if per_unit is not None:
            depth = np.where(violated, s / xn[None], np.inf)
            worst = np.argsort(depth, axis=1)[:, :per_unit]
            violated = np.zeros_like(violated)
            np.put_along_axis(violated, worst, True, axis=1)
            violated &= np.isfinite(depth)
        kept |= violated
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_vertex_arguments(parser)
    parser.add_argument("--sample", type=int, default=8, help="neighbours solved after the bounds to probe")
    parser.add_argument("--rounds", type=int, default=6, help="most rounds of cuts")
    parser.add_argument("--vertex-cuts", action="store_true",
                        help="round 0 keeps one constraint off the face per live unit, chosen at the vertex")
    parser.add_argument("--per-unit", type=int, help="cut only this many most violated constraints per unit and round")
    args = parser.parse_args(argv)
    data, W, faces, moves, bounds, optima, least = todo_neighbours(search_at(args), args.sample)
    cuts = vertex_cuts(data, W, faces) if args.vertex_cuts else {}
    for k in range(len(moves)):
        unit, flipped = int(moves.units[k]), moves.idx[moves.ptr[k]:moves.ptr[k + 1]].tolist()
        t0 = time.process_time()
        rows = cut_rounds(data, faces, unit, flipped, least, args.rounds, args.per_unit,
                          {w: i for w, i in cuts.items() if w != unit})
        steps = "; ".join(f"{value:.6g} ({cuts} cuts, {units} units)" for value, cuts, units in rows)
        print(f"unit {unit}, {len(flipped)} flipped: bound {bounds[k]:.6g}, optimum {optima[k]:.6g} "
              f"(+{100 * (optima[k] / least - 1):.2f} % over the least); rounds: {steps} "
              f"[{time.process_time() - t0:.1f} CPU-s]", flush=True)


if __name__ == "__main__":
    main()
