"""``zonocomb vertices FILE``: the vertices (barcodes) of the zonotope of a dataset."""
from __future__ import annotations

import json
import sys

from ..files import atomic_write, check_writable
from ._common import add_dataset_arguments, barcode_string, load_dataset


def register(sub) -> None:
    p = sub.add_parser("vertices", help="list the vertices of the zonotope of a dataset (exact)",
                       description="Print the vertex barcodes (activation patterns, paper appendix A.3) "
                                   "of Z = sum of [0, x̄_i], computed in exact arithmetic.")
    add_dataset_arguments(p)
    p.add_argument("--json", metavar="OUT", help="write the vertices as JSON to OUT ('-' for stdout)")
    p.add_argument("--float", dest="exact", action="store_false",
                   help="use the floating-point fast path (certified exactly unless --no-certify)")
    p.add_argument("--no-certify", dest="certify", action="store_false",
                   help="with --float: skip the exact certification")
    p.add_argument("--points", action="store_true", help="also print each vertex's exact coordinates")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.json and args.json != "-":
        check_writable(args.json, "JSON file")
    ds = load_dataset(args)
    Z = ds.zonotope()
    verts = Z.vertices(exact=args.exact, certify=args.exact is False and args.certify)
    records = []
    for b in verts:
        rec = {"barcode": barcode_string(b), "active": [i + 1 for i, x in enumerate(b) if x]}
        if args.points:
            rec["point"] = [str(v) for v in Z.vertex_point(b)]
        records.append(rec)
    summary = {"N": ds.N, "n": ds.n, "homogenized": ds.homogenize, "num_vertices": len(verts),
               "exact": bool(args.exact), "vertices": records}
    if ds.y_exact is not None:
        summary["labels"] = [str(v) for v in ds.y_exact]
    if args.json:
        text = json.dumps(summary, indent=1)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            with atomic_write(args.json) as fh:
                fh.write(text + "\n")
            print(f"wrote {len(verts)} vertices to {args.json}")
        return 0
    print(f"# {len(verts)} vertices of the zonotope of {ds.N} generators in R^{ds.n}"
          f"{'' if args.exact else ' (float path' + (', certified exactly)' if args.certify else ', not certified)')}")
    for rec in records:
        line = rec["barcode"]
        if args.points:
            line += "  (" + ", ".join(rec["point"]) + ")"
        print(line)
    return 0
