"""``zonocomb demo``: a short tour on the built-in 5-point dataset of the paper's figure 1."""
from __future__ import annotations

from math import comb

from ..datasets.builtin import figure1_dataset
from ..search import exact_erm
from ..theory import construct_interpolant
from ._common import active_set, barcode_string


def register(sub) -> None:
    p = sub.add_parser("demo", help="a short tour of zonocomb on built-in data",
                       description="Zonotope, general position, vertices and faces of the paper's "
                                   "figure-1 dataset (5 points in R^2), all in exact arithmetic.")
    p.add_argument("--vertices", type=int, default=6, help="how many vertices to list (default 6)")
    p.set_defaults(func=run)


def run(args) -> int:
    ds = figure1_dataset()
    print("zonocomb demo: the 5-point dataset of the paper's figure 1 (coordinates are ours)")
    for i, (x, y) in enumerate(zip(ds.X_exact, ds.y_exact)):
        print(f"  x{i + 1} = ({', '.join(str(v) for v in x)})   y = {y}")
    witness = ds.general_position_witness()
    verdict = "yes" if witness is None else f"no (examples {[i + 1 for i in witness]} are affinely dependent)"
    print(f"\nIn general position (decided exactly): {verdict}")

    Z = ds.zonotope()
    n, N = ds.n, ds.N
    closed_form = 2 * sum(comb(N - 1, i) for i in range(n))
    print(f"Zonotope Z = sum of [0, x̄_i] in R^{n}: {Z.num_vertices()} vertices "
          f"(closed form for general position 2·Σ_(i<{n}) C({N - 1}, i) = {closed_form})")
    f = Z.f_vector()
    euler_sum = str(f[0]) + "".join(f" {'+-'[k % 2]} {x}" for k, x in enumerate(f) if k)
    print(f"f-vector (vertices, edges, 2-faces): {tuple(f)};  Euler: "
          f"{euler_sum} = {sum((-1) ** k * x for k, x in enumerate(f))}")

    print(f"\nFirst {args.vertices} vertices = activation patterns of one ReLU unit (paper §3):")
    print("  barcode   active examples   exact vertex point      neighbours")
    for b in Z.vertices()[: args.vertices]:
        point = "(" + ", ".join(str(v) for v in Z.vertex_point(b)) + ")"
        nbrs = " ".join(barcode_string(c) for c in Z.neighbors(b))
        print(f"  {barcode_string(b)}     {active_set(b):<17} {point:<23} {nbrs}")
    G = Z.skeleton()
    print(f"\n1-skeleton: {G.number_of_nodes()} vertices, {G.number_of_edges()} edges "
          f"(networkx graph; `zonocomb skeleton FILE --graphml OUT` writes one)")

    best = exact_erm(ds, v=[1, -1], progress=False)
    print(f"\nExact ERM (Algorithm 1) with m = 2 units, v = (+1, -1), over all "
          f"{best.n_solves} vertices of Z^2: MSE {best.loss:.3g}, unit patterns "
          f"{', '.join(active_set(row) for row in best.pattern)} ({best.seconds:.2f} s)")
    net = construct_interpolant(ds)
    exact_fit = all(r == 0 for r in net.residuals())
    print(f"Theorem 4.3 construction: {net.m} = 2·ceil(N/(d+1)) units, residuals exactly zero: "
          f"{exact_fit}, cond(W) = {net.condition_number():.3g}")
    return 0
