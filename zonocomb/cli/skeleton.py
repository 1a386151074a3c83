"""``zonocomb skeleton FILE --graphml OUT``: the 1-skeleton of the zonotope Z (or of Z^m) of a dataset.

GraphML attributes (examples and units 1-based, as everywhere in the command line):

- graph: ``N``, ``n``, ``units``, ``homogenized``, and with ``--labels last`` ``labels`` (the exact
  labels as comma-separated rationals);
- node (id = the barcode, units separated by ``|``): ``barcode``, ``active`` (the active examples,
  ``2,3``; units separated by ``|``), ``point`` (the exact vertex point Σ_i λ_i x̄_i of each unit's
  barcode, comma-separated rationals; units separated by ``|``);
- edge: ``unit`` (the unit that moves) and ``flipped`` (the example or examples whose activation
  changes, ``4`` or ``4,7`` when parallel generators flip together).
"""
from __future__ import annotations

import networkx as nx

from ..files import atomic_write, check_writable
from ..geometry.power import ZonotopePower
from ._common import add_dataset_arguments, barcode_string, check_at_least, load_dataset


def register(sub) -> None:
    p = sub.add_parser("skeleton", help="write the 1-skeleton (vertices and edges) of the zonotope",
                       description="Build the graph of vertices and edges of Z (exact), or of Z^m with "
                                   "--units m, and write it as GraphML with each vertex's barcode, active "
                                   "examples and exact point and each edge's unit and flipped examples.")
    add_dataset_arguments(p)
    p.add_argument("--graphml", metavar="OUT", required=True, help="GraphML file to write")
    p.add_argument("--units", type=int, default=1,
                   help="hidden units m: the skeleton of Z^m, the Cartesian product (default 1: Z; "
                        "at most 100,000 vertices)")
    p.set_defaults(func=run)


def _ones_based(indices) -> str:
    return ",".join(str(i + 1) for i in indices)


def labelled_graph(ds, m: int = 1) -> nx.Graph:
    """The skeleton of Z^m of a dataset with the string attributes written to GraphML."""
    Z = ds.zonotope()
    G = ZonotopePower(Z, m).skeleton()
    points = {b: ",".join(str(v) for v in Z.vertex_point(b)) for b in Z.vertices()}
    H = nx.Graph(N=ds.N, n=ds.n, units=m, homogenized=ds.homogenize)
    if ds.y_exact is not None:
        H.graph["labels"] = ",".join(str(v) for v in ds.y_exact)
    name = {node: "|".join(barcode_string(b) for b in node) for node in G.nodes}
    for node in G.nodes:
        H.add_node(name[node], barcode=name[node],
                   active="|".join(_ones_based(i for i, x in enumerate(b) if x) for b in node),
                   point="|".join(points[b] for b in node))
    for a, b, data in G.edges(data=True):
        H.add_edge(name[a], name[b], unit=data["unit"] + 1, flipped=_ones_based(data["flipped"]))
    return H


def run(args) -> int:
    check_at_least(args, units=1)
    check_writable(args.graphml, "GraphML file")
    ds = load_dataset(args)
    H = labelled_graph(ds, args.units)
    with atomic_write(args.graphml, "wb") as fh:
        nx.write_graphml(H, fh)
    degrees = [deg for _, deg in H.degree]
    print(f"wrote {H.number_of_nodes()} vertices and {H.number_of_edges()} edges to {args.graphml} "
          f"(degree {min(degrees)}..{max(degrees)}, connected: {nx.is_connected(H)})")
    return 0
