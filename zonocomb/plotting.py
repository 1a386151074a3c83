"""Matplotlib figures of the paper: figure 1 (section 3) and figures 4, 5 (appendix D).

Every figure is drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, so nothing
here touches pyplot's global state or needs a screen. The geometry behind the pictures is exact:
the chambers of the sliced arrangement are polygons with Fraction vertices, and the zonotopes come
from :class:`zonocomb.geometry.zonotope.Zonotope`; only the final drawing uses floats.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .errors import InvalidInputError, InvalidTypeError
from .files import atomic_write
from .geometry.dataset import Dataset

__all__ = ["SlicedChamber", "arrangement_slice", "active_set_label", "figure1", "figure4", "figure5",
           "zonogon_loss_figure"]

Point = tuple[Fraction, Fraction]


# ----- labels -------------------------------------------------------------------------------------
def active_set_label(barcode: Sequence[int]) -> str:
    """The active example set of a barcode, 1-based as in the paper's figures: ``{1,3,4}`` or ``∅``."""
    active = [str(i + 1) for i, bit in enumerate(barcode) if bit]
    return "{" + ",".join(active) + "}" if active else "∅"


def _format_fraction(q: Fraction) -> str:
    """Exact decimal when q has one (0.1, 1.25), otherwise ``p/q``."""
    q = Fraction(q)
    den = q.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{q.numerator}/{q.denominator}"
    digits = 0
    while (q * 10 ** digits).denominator != 1:
        digits += 1
    scaled = q * 10 ** digits
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled.numerator), 10 ** digits)
    return f"{sign}{whole}" + (f".{frac:0{digits}d}" if digits else "")


# ----- exact slice of the arrangement at w_n = 1 ------------------------------------------------------
@dataclass(frozen=True)
class SlicedChamber:
    """One chamber of the central arrangement {w : w·x̄_i = 0} cut by the plane w_3 = 1.

    Attributes
    ----------
    barcode : tuple of int
        Activation pattern of the chamber (1 where w·x̄_i > 0), appendix A.3.
    polygon : tuple of (Fraction, Fraction)
        Vertices (counter-clockwise) of the slice of the chamber with w_3 = 1, clipped to the
        bounding box of :func:`arrangement_slice`, in (w_1, w_2) coordinates.
    """
    barcode: tuple[int, ...]
    polygon: tuple[Point, ...]

    def interior_point(self) -> Point:
        """The vertex average: an exact point in the open polygon (it is convex, with area > 0)."""
        k = len(self.polygon)
        return (sum((p[0] for p in self.polygon), Fraction(0)) / k,
                sum((p[1] for p in self.polygon), Fraction(0)) / k)


def _slice_lines(generators) -> list[tuple[Fraction, Fraction, Fraction]]:
    """Line a1 w1 + a2 w2 + c = 0 of each generator (a1, a2, c) in the slice w_3 = 1."""
    return [(Fraction(g[0]), Fraction(g[1]), Fraction(g[2])) for g in generators]


def _canonical_line(line):
    """Scale a line so that proportional equations (either sign) compare equal."""
    lead = next(v for v in line[:2] if v != 0)
    return tuple(v / abs(lead) * (1 if lead > 0 else -1) for v in line)


def _bounding_box(lines) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """A box whose interior holds every crossing of two lines and each line's point nearest 0.

    Every region of the line arrangement then meets the box interior: a region with a vertex
    contains points next to it, and a region without one is bounded by whole lines, each passing
    through the box interior at its foot point.
    """
    pts = []
    for a1, a2, c in lines:
        norm2 = a1 * a1 + a2 * a2
        pts.append((-c * a1 / norm2, -c * a2 / norm2))
    for i, (a1, a2, c) in enumerate(lines):
        for b1, b2, e in lines[i + 1:]:
            det = a1 * b2 - a2 * b1
            if det != 0:
                pts.append(((a2 * e - c * b2) / det, (c * b1 - a1 * e) / det))
    if not pts:
        return Fraction(-1), Fraction(1), Fraction(-1), Fraction(1)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    span = max(max(xs) - min(xs), max(ys) - min(ys), Fraction(1))
    margin = span / 2
    return min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin


def _split(polygon: list[Point], line) -> tuple[list[Point], list[Point]]:
    """Split a convex polygon by a line into its (>= 0, <= 0) parts, exactly."""
    a1, a2, c = line
    vals = [a1 * x + a2 * y + c for x, y in polygon]
    pos, neg = [], []
    k = len(polygon)
    for j in range(k):
        p, q = polygon[j], polygon[(j + 1) % k]
        vp, vq = vals[j], vals[(j + 1) % k]
        if vp >= 0:
            pos.append(p)
        if vp <= 0:
            neg.append(p)
        if (vp > 0 > vq) or (vp < 0 < vq):
            t = vp / (vp - vq)
            cut = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
            pos.append(cut)
            neg.append(cut)
    return pos, neg


def _area2(polygon: Sequence[Point]) -> Fraction:
    k = len(polygon)
    return sum((polygon[j][0] * polygon[(j + 1) % k][1] - polygon[(j + 1) % k][0] * polygon[j][1]
                for j in range(k)), Fraction(0))


def arrangement_slice(generators) -> tuple[list[SlicedChamber], tuple[Fraction, ...]]:
    """Chambers of the arrangement {w ∈ R³ : w·x̄_i = 0} that meet the plane w_3 = 1, exactly.

    In the slice each hyperplane w·x̄_i = 0 becomes the line w_1 x̄_{i1} + w_2 x̄_{i2} + x̄_{i3} = 0
    (for homogenized data x̄_{i3} = 1), as in the center panel of the paper's figure 1 (section 3).
    The slice is cut into regions by these lines inside a bounding box that every region meets,
    and each region is labelled with the sign pattern of its interior points. Chambers lying in
    w_3 <= 0 (for instance the all-inactive one when every x̄_{i3} = 1) do not meet the slice.

    Parameters
    ----------
    generators : sequence of N vectors in R³
        The vectors x̄_i (rows), e.g. ``Dataset.generators_exact`` for data in R².

    Returns
    -------
    chambers : list of SlicedChamber
        One per chamber meeting the slice, sorted by barcode.
    box : tuple (w1_min, w1_max, w2_min, w2_max) of Fraction
        The clipping box.

    Raises
    ------
    InvalidInputError
        If the generators are not 3-dimensional, or one of them is zero.

    Notes
    -----
    Exact Fraction arithmetic; each line splits every region it crosses, O(R·N) polygon splits
    for R regions. By Zaslavsky's theorem R = 1 + L + Σ_p (m_p − 1) for L distinct lines and
    crossing points p met by m_p lines.
    """
    gens = [tuple(Fraction(v) for v in g) for g in generators]
    if not gens or any(len(g) != 3 for g in gens):
        raise InvalidInputError("the slice w_3 = 1 needs generators in R^3 (data in R^2, homogenized)")
    for i, g in enumerate(gens):
        if all(v == 0 for v in g):
            raise InvalidInputError(f"generator {i} (0-based) is zero; its hyperplane is not defined")
    all_lines = _slice_lines(gens)
    lines = sorted({_canonical_line(l) for l in all_lines if (l[0], l[1]) != (0, 0)})
    x0, x1, y0, y1 = _bounding_box(lines)
    regions: list[list[Point]] = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]]
    for line in lines:
        nxt = []
        for poly in regions:
            for part in _split(poly, line):
                if len(part) >= 3 and _area2(part) != 0:
                    nxt.append(part)
        regions = nxt
    chambers = []
    for poly in regions:
        ch = SlicedChamber((), tuple(poly))
        px, py = ch.interior_point()
        barcode = tuple(int(a1 * px + a2 * py + c > 0) for a1, a2, c in all_lines)
        chambers.append(SlicedChamber(barcode, tuple(poly)))
    chambers.sort(key=lambda ch: ch.barcode)
    return chambers, (x0, x1, y0, y1)


# ----- shared drawing helpers ---------------------------------------------------------------------
def _colors(k: int) -> list:
    """k distinct light colours (tab20, then evenly spaced hues when more are needed)."""
    from matplotlib import colormaps
    if k <= 20:
        cmap = colormaps["tab20"]
        order = list(range(0, 20, 2)) + list(range(1, 20, 2))
        return [cmap(order[j]) for j in range(k)]
    return [colormaps["hsv"](j / k) for j in range(k)]


def finish_figure(fig: Figure, out) -> Figure:
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(out, "wb") as fh:
            fig.savefig(fh, format="png")
    return fig


def _require_dataset(dataset) -> None:
    if not isinstance(dataset, Dataset):
        raise InvalidTypeError(f"expected a zonocomb Dataset, got {type(dataset).__name__}")


def new_figure(width: float, height: float, dpi: int) -> Figure:
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _float_point(p) -> np.ndarray:
    return np.array([float(v) for v in p], dtype=float)


# ----- figure 1 ------------------------------------------------------------------------------------
def _default_highlight(chambers, box):
    """A chamber of the slice with 3 active examples (as in the paper), bounded if possible."""
    def touches_box(ch):
        return any(x in (box[0], box[1]) or y in (box[2], box[3]) for x, y in ch.polygon)
    ranked = sorted(chambers, key=lambda ch: (abs(sum(ch.barcode) - 3), touches_box(ch), ch.barcode))
    return ranked[0].barcode


def figure1(dataset=None, out=None, highlight=None, dpi: int = 150) -> Figure:
    """Reproduce figure 1 (paper section 3): data, sliced arrangement, dual zonotope.

    Left: the N training examples in R², labelled 1..N. Center: the arrangement of hyperplanes
    H_i^0 = {w : w·x̄_i = 0} in parameter space R³ sliced at w_3 = 1, each chamber meeting the
    slice shaded in its own colour and labelled by its active example set (chambers inside
    w_3 < 0 do not meet this slice). Right: the zonotope Z = Σ [0, x̄_i] (eq. 6) with its edges
    (the 1-skeleton) and its vertices labelled by their active sets; a vertex's marker has the
    colour of its chamber in the center panel (hollow when that chamber misses the slice). The
    red path from the origin to one vertex is made of translates of its active generators x̄_i.

    Parameters
    ----------
    dataset : Dataset, optional
        Homogenized data in R² (d = 2, n = 3). Default: the built-in figure-1 dataset.
    out : path-like, optional
        Write a PNG there.
    highlight : barcode, optional
        The vertex whose generator translations are drawn in red; default a chamber of the slice
        with 3 active examples, as in the paper.
    dpi : int

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidTypeError
        If ``dataset`` is not a Dataset.
    InvalidInputError
        If the dataset is not homogenized data in R², or ``highlight`` is not a vertex.
    """
    from .geometry.zonotope import Zonotope
    if dataset is None:
        from .datasets.builtin import figure1_dataset
        dataset = figure1_dataset()
    _require_dataset(dataset)
    if dataset.d != 2 or not dataset.homogenize:
        raise InvalidInputError(
            f"figure 1 needs homogenized data in R^2; got d={dataset.d}, homogenize={dataset.homogenize}")
    zono = Zonotope(dataset.generators_exact)
    vertices = zono.vertices()
    chambers, box = arrangement_slice(dataset.generators_exact)
    if highlight is None:
        highlight = _default_highlight(chambers, box)
    highlight = tuple(int(v) for v in highlight)
    if highlight not in set(vertices):
        raise InvalidInputError(f"highlight {highlight} is not a vertex barcode of the zonotope")
    color_of = dict(zip((ch.barcode for ch in chambers), _colors(len(chambers))))

    fig = new_figure(17, 6.4, dpi)
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1.2, 1.3])
    ax_data = fig.add_subplot(grid[0])
    ax_arr = fig.add_subplot(grid[1])
    ax_zon = fig.add_subplot(grid[2], projection="3d")
    _draw_data(ax_data, dataset)
    _draw_slice(ax_arr, dataset, chambers, box, color_of)
    _draw_zonotope3d(ax_zon, zono, vertices, color_of, highlight)
    fig.suptitle("Figure 1: data, arrangement slice at $w_3=1$, and dual zonotope "
                 "(hollow markers: chambers inside $w_3<0$, absent from the slice)", fontsize=11)
    fig.subplots_adjust(left=0.04, right=0.98, bottom=0.08, top=0.88, wspace=0.15)
    return finish_figure(fig, out)


def _draw_data(ax, dataset) -> None:
    X = dataset.X_float
    ax.scatter(X[:, 0], X[:, 1], s=60, color="black", zorder=3)
    for i, (x, y) in enumerate(X):
        ax.annotate(str(i + 1), (x, y), xytext=(6, 6), textcoords="offset points", fontsize=12,
                    fontweight="bold")
    ax.margins(0.2)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"{dataset.N} training examples in $\\mathbb{{R}}^2$")
    ax.grid(alpha=0.3)


def _draw_slice(ax, dataset, chambers, box, color_of) -> None:
    from matplotlib.patches import Polygon
    x0, x1, y0, y1 = (float(v) for v in box)
    box_area2 = 2 * (x1 - x0) * (y1 - y0)
    roomiest = max(chambers, key=lambda ch: abs(_area2(ch.polygon)))
    for ch in chambers:
        poly = np.array([[float(x), float(y)] for x, y in ch.polygon])
        ax.add_patch(Polygon(poly, closed=True, facecolor=color_of[ch.barcode], alpha=0.55,
                             edgecolor="none"))
        px, py = (float(v) for v in ch.interior_point())
        style = dict(ha="center", va="center", fontsize=8,
                     bbox=dict(boxstyle="round,pad=0.15", facecolor="white", alpha=0.8, lw=0))
        if float(abs(_area2(ch.polygon))) < 0.02 * box_area2:
            # too small to hold its label: put the label beside it with a leader line
            # ... towards the roomiest chamber, whose interior has space to spare
            toward = np.array([float(v) for v in roomiest.interior_point()]) - (px, py)
            toward = toward / np.linalg.norm(toward) if np.linalg.norm(toward) > 0 else (0, 1)
            ax.annotate(active_set_label(ch.barcode), (px, py), xytext=tuple(40 * np.asarray(toward)),
                        textcoords="offset points", **style,
                        arrowprops=dict(arrowstyle="->", lw=1.0, shrinkA=0, shrinkB=0))
        else:
            ax.text(px, py, active_set_label(ch.barcode), **style)
    for i, (a1, a2, c) in enumerate(dataset.generators_float):
        ends = _clip_line(a1, a2, c, (x0, x1, y0, y1))
        if ends is None:
            continue
        ax.plot(ends[:, 0], ends[:, 1], color="black", lw=1.2)
        inward = ends[0] - ends[1]
        label_at = ends[1] + 0.06 * inward
        ax.text(label_at[0], label_at[1], f"$H_{{{i + 1}}}$", fontsize=10, ha="center",
                va="center", color="darkred")
    missing = [f"$H_{{{i + 1}}}$ misses the slice (example {i + 1} "
               f"{'active' if c > 0 else 'inactive'} throughout)"
               for i, (a1, a2, c) in enumerate(dataset.generators_float) if a1 == 0 and a2 == 0]
    if missing:
        ax.text(0.02, 0.02, "\n".join(missing), transform=ax.transAxes, fontsize=8, va="bottom",
                bbox=dict(boxstyle="round,pad=0.25", facecolor="white", alpha=0.85, lw=0))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(f"slice $w_3=1$: {len(chambers)} chambers")


def _clip_line(a1: float, a2: float, c: float, box) -> np.ndarray | None:
    """The two points where the line a1 w1 + a2 w2 + c = 0 crosses the box boundary (floats)."""
    x0, x1, y0, y1 = box
    pts = []
    if a2 != 0:
        pts += [(x, -(a1 * x + c) / a2) for x in (x0, x1)]
    if a1 != 0:
        pts += [(-(a2 * y + c) / a1, y) for y in (y0, y1)]
    pts = [p for p in pts if x0 - 1e-12 <= p[0] <= x1 + 1e-12 and y0 - 1e-12 <= p[1] <= y1 + 1e-12]
    if len(pts) < 2:
        return None
    pts = np.array(sorted(pts))
    return np.array([pts[0], pts[-1]])


def _draw_zonotope3d(ax, zono, vertices, color_of, highlight, elev=35, azim=-100,
                     zoom=1.1, z_stretch=1.6) -> None:
    """Edges, vertices (coloured like their chambers) and the red generator path of ``highlight``."""
    from mpl_toolkits.mplot3d import proj3d
    ax.computed_zorder = False  # a wireframe: layers by zorder (edges, labels, red path, markers)
    points = {b: _float_point(zono.vertex_point(b)) for b in vertices}
    coords = np.array([points[b] for b in vertices])
    for b1, b2 in zono.skeleton().edges():
        seg = np.array([points[b1], points[b2]])
        ax.plot(seg[:, 0], seg[:, 1], seg[:, 2], color="0.35", lw=0.9, zorder=1)
    steps = [_float_point(g) for g, bit in zip(zono.generators, highlight) if bit]
    path = np.cumsum([np.zeros(3)] + steps, axis=0)
    ax.plot(path[:, 0], path[:, 1], path[:, 2], color="red", lw=2.5, zorder=3)
    ax.scatter(coords[:, 0], coords[:, 1], coords[:, 2], s=70, depthshade=False,
               edgecolors="black", linewidths=0.8, zorder=4,
               facecolors=[color_of.get(b, "white") for b in vertices])
    ax.set_box_aspect(tuple(np.maximum(np.ptp(coords, axis=0), 1.0) * np.array([1.0, 1.0, z_stretch])),
                      zoom=zoom)
    ax.view_init(elev=elev, azim=azim)
    # labels: offset on screen away from the projected centre of the zonotope
    centre = np.sum([_float_point(g) for g in zono.generators], axis=0) / 2  # centre of symmetry
    proj = ax.get_proj()
    cx, cy, _ = proj3d.proj_transform(*centre, proj)
    for b, p in points.items():
        px, py, _ = proj3d.proj_transform(*p, proj)
        away = np.array([px - cx, py - cy])
        away = away / np.linalg.norm(away) if np.linalg.norm(away) > 0 else np.array([0.0, -1.0])
        ax.annotate(active_set_label(b), (px, py), xytext=tuple(15 * away),
                    textcoords="offset points", ha="center", va="center", fontsize=7, zorder=2,
                    bbox=dict(boxstyle="round,pad=0.1", facecolor="white", alpha=0.7, lw=0),
                    color="red" if b == highlight else "black",
                    fontweight="bold" if b == highlight else "normal")
    ax.set_xlabel("$\\bar x_1$")
    ax.set_ylabel("$\\bar x_2$")
    ax.set_zlabel("$\\bar x_3$")
    ax.set_title(f"zonotope $\\mathcal{{Z}}$: {len(vertices)} vertices; red: "
                 f"{active_set_label(highlight)}")


# ----- figures 4 and 5: appendix D zonogons with their minimal losses -----------------------------------
def _unit_normal(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Outward unit normal of the edge p -> q of a counter-clockwise polygon."""
    d = q - p
    return np.array([d[1], -d[0]]) / np.linalg.norm(d)


def _coordinate_name(dataset, j: int) -> str:
    if j < dataset.d:
        return f"$x_{{{j + 1}}}$"
    return f"bias coordinate $\\bar x_{{{j + 1}}} = 1$"


def zonogon_loss_figure(dataset, losses, axes=None, title: str = "", out=None,
                        dpi: int = 150) -> Figure:
    """Draw a planar zonotope with each vertex labelled by its minimal loss and active set.

    This is the form of figures 4 and 5 (paper appendix D): the generators span a coordinate
    plane (every other coordinate is 0 for all of them), so the zonotope Z = Σ [0, x̄_i] is the
    polygon drawn in that plane, the slice the paper's footnotes describe. Each vertex gets its
    loss in bold over its active example set; the vertices of least loss are ringed in red.

    Parameters
    ----------
    dataset : Dataset
        Its generators must have exactly two coordinates that are not identically zero.
    losses : dict barcode -> Fraction
        Minimal loss of every vertex, e.g. ``zonocomb.theory.discontinuity.vertex_losses``.
    axes : pair of int, optional
        The two generator coordinates spanning the plane; default: the coordinates that are not
        zero for every generator.
    title : str
    out : path-like, optional
        Write a PNG there.
    dpi : int

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidTypeError
        If ``dataset`` is not a Dataset.
    InvalidInputError
        If the generators do not lie in a coordinate plane, or the keys of ``losses`` are not
        exactly the vertex barcodes of the zonotope.
    """
    from matplotlib.patches import Polygon
    from .geometry.zonotope import Zonotope
    _require_dataset(dataset)
    gens = dataset.generators_exact
    nonzero = [j for j in range(dataset.n) if any(g[j] != 0 for g in gens)]
    kept = list(nonzero if axes is None else axes)
    if len(kept) != 2 or not set(nonzero) <= set(kept) or not all(0 <= j < dataset.n for j in kept):
        raise InvalidInputError(
            f"the generators have nonzero coordinates {nonzero}; a planar drawing needs them inside "
            f"two coordinates (axes={axes})")
    zono = Zonotope([tuple(g[j] for j in kept) for g in gens])
    vertices = zono.vertices()
    if set(losses) != set(vertices):
        raise InvalidInputError(
            f"losses are given for {len(losses)} barcodes, which are not the {len(vertices)} "
            "vertex barcodes of the zonotope")
    points = {b: _float_point(zono.vertex_point(b)) for b in vertices}
    center = np.sum([_float_point(g) for g in zono.generators], axis=0) / 2  # centre of symmetry
    best = min(losses.values())

    allp = np.array(list(points.values()))
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.2 * max(np.ptp(allp, axis=0).max(), 1.0)
    ratio = (hi[1] - lo[1] + 2 * pad) / (hi[0] - lo[0] + 2 * pad)
    fig = new_figure(8.0, float(np.clip(7.0 * ratio + 1.6, 4.5, 9.0)), dpi)
    ax = fig.add_subplot(1, 1, 1)
    ring = sorted(vertices, key=lambda b: np.arctan2(*(points[b] - center)[::-1]))  # ccw
    ax.add_patch(Polygon(np.array([points[b] for b in ring]), closed=True, facecolor="0.92",
                         edgecolor="none"))
    for b1, b2 in zono.skeleton().edges():
        seg = np.array([points[b1], points[b2]])
        ax.plot(seg[:, 0], seg[:, 1], color="black", lw=1.2)
    for k, b in enumerate(ring):
        p = points[b]
        is_best = losses[b] == best
        ax.scatter(*p, s=40, color="red" if is_best else "black", zorder=4)
        if is_best:
            ax.scatter(*p, s=260, facecolors="none", edgecolors="red", linewidths=2, zorder=4)
        # label along the outward normal at the vertex: the sum of its two edges' unit normals
        away = _unit_normal(points[ring[k - 1]], p) + _unit_normal(p, points[ring[(k + 1) % len(ring)]])
        away = away / np.linalg.norm(away)
        ha = "left" if away[0] > 0.35 else "right" if away[0] < -0.35 else "center"
        va = "bottom" if away[1] > 0.35 else "top" if away[1] < -0.35 else "center"
        ax.annotate(f"$\\mathbf{{{_format_fraction(losses[b])}}}$\n{active_set_label(b)}", p,
                    xytext=tuple(12 * away), textcoords="offset points", ha=ha, va=va,
                    fontsize=10, color="red" if is_best else "black", multialignment="center")
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(_coordinate_name(dataset, kept[0]))
    ax.set_ylabel(_coordinate_name(dataset, kept[1]))
    dropped = [_coordinate_name(dataset, j).strip("$") for j in range(dataset.n) if j not in kept]
    note = f"slice {', '.join(f'${c} = 0$' for c in dropped)}; " if dropped else ""
    ax.set_title(f"{title}\n{note}bold: minimal L1 loss, red: best vertex", fontsize=11)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return finish_figure(fig, out)


def figure4(out=None, dpi: int = 150) -> Figure:
    """Figure 4 (paper appendix D.1): the zonotope of the collinear dataset, vertices labelled.

    The data x_i = (i, 0), y = (1, 2, 2.5, 4, 5) lie on the line x_2 = 0, so the zonotope of the
    homogenized examples lies in the plane x_2 = 0 and is drawn there (paper footnote 1). Each
    vertex carries its exact minimal L1 loss (:func:`zonocomb.theory.discontinuity.vertex_losses`);
    the best, 0.1, has every example active.
    """
    from .theory.discontinuity import appendix_d1, vertex_losses
    ex = appendix_d1()
    return zonogon_loss_figure(ex.dataset, vertex_losses(ex.dataset), axes=ex.axes,
                               title="Figure 4: zonotope of appendix D.1 (affine ReLU)", out=out,
                               dpi=dpi)


def figure5(out=None, dpi: int = 150) -> Figure:
    """Figure 5 (paper appendix D.2): the zonotope of the planar bias-free dataset, labelled.

    The examples lie in the plane x_3 = 0 and the ReLU has no bias, so the zonotope lies in that
    plane and is drawn there (paper footnote 2). Each vertex carries its exact minimal L1 loss;
    the best, 1.25, has examples {2, 3} active.
    """
    from .theory.discontinuity import appendix_d2, vertex_losses
    ex = appendix_d2()
    return zonogon_loss_figure(ex.dataset, vertex_losses(ex.dataset), axes=ex.axes,
                               title="Figure 5: zonotope of appendix D.2 (linear ReLU)", out=out,
                               dpi=dpi)
