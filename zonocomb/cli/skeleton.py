"""``zonocomb skeleton FILE --graphml OUT``: the 1-skeleton of the zonotope of a dataset."""
from __future__ import annotations

import networkx as nx

from ._common import add_dataset_arguments, barcode_string, load_dataset


def register(sub) -> None:
    p = sub.add_parser("skeleton", help="write the 1-skeleton (vertices and edges) of the zonotope",
                       description="Build the graph of vertices and edges of Z (exact) and write it as GraphML.")
    add_dataset_arguments(p)
    p.add_argument("--graphml", metavar="OUT", required=True, help="GraphML file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    ds = load_dataset(args)
    G = ds.zonotope().skeleton()
    H = nx.relabel_nodes(G, {b: barcode_string(b) for b in G.nodes})
    for node in H.nodes:
        H.nodes[node]["active"] = ",".join(str(i) for i, c in enumerate(node) if c == "1")
    for u, v, data in H.edges(data=True):
        for key, value in list(data.items()):
            if not isinstance(value, (str, int, float, bool)):
                data[key] = str(value)
    nx.write_graphml(H, args.graphml)
    degrees = [deg for _, deg in H.degree]
    print(f"wrote {H.number_of_nodes()} vertices and {H.number_of_edges()} edges to {args.graphml} "
          f"(degree {min(degrees)}..{max(degrees)}, connected: {nx.is_connected(H)})")
    return 0
