"""Pictures of loss landscapes (:class:`~zonocomb.landscape.Landscape`), matplotlib Agg.

* :func:`minima_panel`: the loss of every GLS stop against the number of vertices of Z^m in its
  basin (the global minimum's stops marked);
* :func:`skeleton_panel`: a 2-D spring layout of the class graph coloured by loss (small cases);
* :func:`success_panel`: success probabilities against the number of units (or the
  overparameterisation factor) over a sweep of landscapes;
* :func:`landscape_figure`: those panels side by side, written to a PNG.
"""
from __future__ import annotations

import networkx as nx
import numpy as np

from ..errors import InvalidInputError
from ..plotting import finish_figure, new_figure

__all__ = ["minima_panel", "skeleton_panel", "success_panel", "landscape_figure", "MAX_LAYOUT_NODES"]

#: Largest class graph :func:`skeleton_panel` lays out (spring layout is O(n²) per iteration).
MAX_LAYOUT_NODES = 3000


def _gap(land, losses):
    """Loss above the global minimum, floored for a log axis at GLS's margin."""
    return np.maximum(np.asarray(losses) - land.global_min, max(land.goal - land.global_min, 1e-300))


def minima_panel(ax, land) -> None:
    """Loss above the global minimum of each stop against its basin size (vertices of Z^m)."""
    stops = np.array(sorted(land.vertex_ends))
    sizes = np.array([land.vertex_ends[int(c)] for c in stops])
    good = land.losses[stops] <= land.goal
    gaps = _gap(land, land.losses[stops])
    ax.scatter(sizes[~good], gaps[~good], s=14, c="tab:red", label="local minimum")
    ax.scatter(sizes[good], gaps[good], s=30, marker="*", c="tab:green", label="global (≤ goal)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("basin size (vertices of Z^m)")
    ax.set_ylabel("loss − global minimum")
    ax.set_title(f"{len(land.local_minima)} local minima, m = {land.m}")
    ax.legend(fontsize="small")


def skeleton_panel(ax, land, seed: int = 0) -> None:
    """Spring layout of the class graph, nodes coloured by log10(loss − global minimum).

    Raises
    ------
    InvalidInputError
        More than :data:`MAX_LAYOUT_NODES` classes.
    """
    if len(land) > MAX_LAYOUT_NODES:
        raise InvalidInputError(f"{len(land)} classes are too many to lay out (at most {MAX_LAYOUT_NODES})")
    G = nx.Graph()
    G.add_nodes_from(range(len(land)))
    rows, cols = np.nonzero(land.classes.nbr >= 0)
    G.add_edges_from(zip(rows.tolist(), land.classes.nbr[rows, cols].tolist()))
    pos = nx.spring_layout(G, seed=seed)
    xy = np.array([pos[c] for c in range(len(land))])
    for a, b in G.edges:
        ax.plot(*zip(xy[a], xy[b]), color="0.85", lw=0.4, zorder=1)
    color = np.log10(_gap(land, land.losses))
    sc = ax.scatter(xy[:, 0], xy[:, 1], c=color, s=12, cmap="viridis", zorder=2)
    stops = land.stops
    ax.scatter(xy[stops, 0], xy[stops, 1], s=40, facecolors="none", edgecolors="tab:red", lw=0.8,
               zorder=3, label="GLS stops")
    ax.figure.colorbar(sc, ax=ax, label="log10(loss − global min)")
    ax.set_title(f"skeleton of Z^{land.m} ({len(land)} classes)")
    ax.set_axis_off()
    ax.legend(fontsize="small", loc="lower right")


def success_panel(ax, lands, xs=None, xlabel: str = "units m") -> None:
    """P(reach the global minimum) against ``xs`` (default each landscape's m)."""
    lands = list(lands)
    xs = [L.m for L in lands] if xs is None else list(xs)
    ax.plot(xs, [L.p_gls_uniform for L in lands], "o-", label="GLS, uniform start (exact)")
    for name, style in (("gls", "s--"), ("mgls", "^--"), ("random_vertex", "x:")):
        pts = [(x, L.estimates[name]) for x, L in zip(xs, lands) if name in L.estimates]
        if pts:
            ax.errorbar([x for x, _ in pts], [e.p for _, e in pts], yerr=[e.stderr for _, e in pts],
                        fmt=style, capsize=2, label=f"{name}, Gaussian start (sampled)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("P(global minimum)")
    ax.legend(fontsize="small")


def landscape_figure(lands, out=None, xs=None, xlabel: str = "units m", dpi: int = 120):
    """Minima and (when small enough) skeleton of the last landscape, plus success against m when
    several are given; saved as PNG to ``out`` if given. Returns the Figure."""
    lands = list(lands) if isinstance(lands, (list, tuple)) else [lands]
    last = lands[-1]
    panels = ["minima"] + (["skeleton"] if len(last) <= MAX_LAYOUT_NODES else []) + \
             (["success"] if len(lands) > 1 else [])
    fig = new_figure(5.2 * len(panels), 4.4, dpi)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        if panel == "minima":
            minima_panel(ax, last)
        elif panel == "skeleton":
            skeleton_panel(ax, last)
        else:
            success_panel(ax, lands, xs, xlabel)
    fig.tight_layout()
    return finish_figure(fig, out)
