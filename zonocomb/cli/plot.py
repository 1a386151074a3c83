"""``zonocomb plot``: draw the paper's figure 1 (section 3) or figures 4, 5 (appendix D) as PNG."""
from __future__ import annotations

from ..errors import InvalidInputError
from ..files import check_writable

FIGURES = ("figure1", "figure4", "figure5")


def register(sub) -> None:
    p = sub.add_parser(
        "plot", help="draw figure 1, 4 or 5 of the paper as a PNG",
        description="figure1: the built-in 5-point dataset, its arrangement sliced at w3 = 1 and its "
                    "zonotope; figure4 / figure5: the appendix D.1 / D.2 zonotopes with each vertex's "
                    "exact minimal L1 loss and active set.")
    p.add_argument("figure", choices=FIGURES, help="which figure to draw")
    p.add_argument("--out", default=None, help="PNG file to write (default: FIGURE.png; the folder must "
                                                 "exist)")
    p.add_argument("--dpi", type=int, default=150, help="resolution in dots per inch (default 150)")
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import plotting  # matplotlib is imported only when a figure is asked for
    if args.dpi <= 0:
        raise InvalidInputError(f"--dpi must be positive, got {args.dpi}")
    out = check_writable(args.out or f"{args.figure}.png", "figure")
    getattr(plotting, args.figure)(out=out, dpi=args.dpi)
    print(f"wrote {out}")
    return 0
