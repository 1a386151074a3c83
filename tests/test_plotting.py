"""Tests for zonocomb.plotting (paper figure 1, appendix D figures 4 and 5) and ``zonocomb plot``.

The drawn labels are compared with independent evidence: Zaslavsky's region count for the line
arrangement of the slice w_3 = 1, an exact feasibility LP per sign pattern for which chambers meet
that slice, the engine's vertex set for the zonotope labels, and the paper's stated optima.
"""
from __future__ import annotations

import struct
from fractions import Fraction
from itertools import combinations, product

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb import Dataset, InvalidInputError, InvalidTypeError
from zonocomb.cli import main as cli_main
from zonocomb.datasets.builtin import figure1_dataset
from zonocomb.exact import solve_lp
from zonocomb.plotting import (_format_fraction, active_set_label, arrangement_slice, figure1,
                               figure4, figure5, zonogon_loss_figure)

DPI = 30  # small images keep the suite fast


# ----- independent references --------------------------------------------------------------------
def zaslavsky_regions(generators) -> int:
    """Regions of the affine line arrangement a·u + c = 0 (one line per generator (a, c), a ≠ 0):
    1 + L + Σ_p (m_p − 1) over crossing points p lying on m_p of the L distinct lines."""
    lines = []
    for g in generators:
        a1, a2, c = (Fraction(v) for v in g)
        if (a1, a2) == (0, 0):
            continue
        # distinct = not proportional (all 2x2 minors of the pair vanish)
        if not any(a1 * l[1] - a2 * l[0] == 0 and a1 * l[2] - c * l[0] == 0 and a2 * l[2] - c * l[1] == 0
                   for l in lines):
            lines.append((a1, a2, c))
    points = set()
    for (a1, a2, c), (b1, b2, e) in combinations(lines, 2):
        det = a1 * b2 - a2 * b1
        if det != 0:
            points.add(((a2 * e - c * b2) / det, (c * b1 - a1 * e) / det))
    extra = sum(sum(1 for l in lines if l[0] * x + l[1] * y + l[2] == 0) - 1 for x, y in points)
    return 1 + len(lines) + extra


def patterns_meeting_slice(generators) -> set:
    """Barcodes b whose open chamber {w : (2b_i − 1) w·x̄_i > 0} has a point with w_3 > 0,
    by brute force over all 2^N patterns: exact LP feasibility of s_i w·x̄_i ≥ 1, w_3 ≥ 1."""
    gens = [[Fraction(v) for v in g] for g in generators]
    found = set()
    for b in product((0, 1), repeat=len(gens)):
        rows = [[Fraction(-1)] + [(1 if bit else -1) * v for v in g] for bit, g in zip(b, gens)]
        rows.append([Fraction(-1), Fraction(0), Fraction(0), Fraction(1)])
        if solve_lp(rows, [0, 0, 0, 0]).status == "optimal":
            found.add(b)
    return found


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def expected_png_size(fig) -> tuple[int, int]:
    w, h = fig.get_size_inches() * fig.dpi
    return round(w), round(h)


def label_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_text().startswith(("{", "∅"))]


# ----- the exact slice -------------------------------------------------------------------------------
points_2d = st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=1, max_size=5)


@settings(max_examples=25, deadline=None)
@given(points_2d)
def test_slice_chambers_match_zaslavsky_and_lp(points):
    # includes repeated points, the origin (a line at infinity), parallel and concurrent lines
    gens = Dataset(points).generators_exact
    chambers, box = arrangement_slice(gens)
    barcodes = [ch.barcode for ch in chambers]
    assert len(set(barcodes)) == len(barcodes)
    assert len(chambers) == zaslavsky_regions(gens)
    assert set(barcodes) == patterns_meeting_slice(gens)
    # the polygons tile the clipping box exactly
    x0, x1, y0, y1 = box
    area2 = sum(abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(ch.polygon, ch.polygon[1:] + ch.polygon[:1])))
                for ch in chambers)
    assert area2 == 2 * (x1 - x0) * (y1 - y0)


def test_slice_interior_points_have_their_barcode():
    ds = figure1_dataset()
    gens, zono = ds.generators_exact, ds.zonotope()
    for ch in arrangement_slice(gens)[0]:
        u1, u2 = ch.interior_point()
        assert all(g[0] * u1 + g[1] * u2 + g[2] != 0 for g in gens)
        assert zono.pattern_of((u1, u2, 1)) == ch.barcode  # the engine's exact pattern of w


def test_slice_rejects_bad_generators():
    with pytest.raises(InvalidInputError, match="R\\^3"):
        arrangement_slice([(1, 2), (3, 4)])
    with pytest.raises(InvalidInputError, match="zero"):
        arrangement_slice([(1, 2, 1), (0, 0, 0)])


@given(st.fractions(max_denominator=10 ** 6))
def test_format_fraction_is_exact(q):
    text = _format_fraction(q)
    assert Fraction(text) == q
    den = q.denominator
    while den % 10 == 0 or den % 2 == 0 or den % 5 == 0:
        den //= 2 if den % 2 == 0 else 5
    assert ("/" in text) == (den != 1)  # a decimal exactly when the denominator is 2^a 5^b


def test_format_fraction_examples():
    assert [_format_fraction(Fraction(a, b)) for a, b in [(1, 10), (5, 4), (67, 30), (3, 1), (-1, 8)]] == \
        ["0.1", "1.25", "67/30", "3", "-0.125"]
    assert active_set_label((1, 0, 1, 1)) == "{1,3,4}" and active_set_label((0, 0)) == "∅"


# ----- figure 1 ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fig1(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig") / "figure1.png"
    return figure1(out=out, dpi=DPI), out


def test_figure1_png_written(fig1):
    fig, out = fig1
    assert out.stat().st_size > 1000
    assert png_size(out) == expected_png_size(fig)


def test_figure1_labels_match_the_data(fig1):
    fig, _ = fig1
    ds = figure1_dataset()
    ax_data, ax_slice, ax_zono = fig.axes
    # left: the examples, numbered 1..N
    assert sorted(t.get_text() for t in ax_data.texts) == sorted(str(i + 1) for i in range(ds.N))
    # center: one shaded polygon and one label per chamber meeting w_3 = 1 (independent count)
    meeting = patterns_meeting_slice(ds.generators_exact)
    assert len(ax_slice.patches) == len(meeting) == zaslavsky_regions(ds.generators_exact)
    assert sorted(label_texts(ax_slice)) == sorted(active_set_label(b) for b in meeting)
    # right: every vertex of Z labelled once by its active set
    vertices = ds.zonotope().vertices()
    assert sorted(label_texts(ax_zono)) == sorted(active_set_label(b) for b in vertices)
    assert len(vertices) == 22  # 2·(C(4,0) + C(4,1) + C(4,2)), general position (appendix A.3)


def test_figure1_red_path_ends_at_the_highlighted_vertex():
    ds = figure1_dataset()
    target = (1, 1, 0, 0, 1)
    fig = figure1(ds, highlight=target, dpi=DPI)
    ax_zono = fig.axes[2]
    red = [line for line in ax_zono.lines if line.get_color() == "red"]
    assert len(red) == 1
    xs, ys, zs = red[0].get_data_3d()
    end = np.array([xs[-1], ys[-1], zs[-1]])
    assert np.array_equal(end, np.array([float(v) for v in ds.zonotope().vertex_point(target)]))
    assert len(xs) == sum(target) + 1  # one translate per active example


def test_figure1_rejects_bad_input():
    with pytest.raises(InvalidTypeError):
        figure1([[0, 0], [1, 1]], dpi=DPI)
    with pytest.raises(InvalidInputError, match="R\\^2"):
        figure1(Dataset([[0, 0, 1], [1, 2, 3]]), dpi=DPI)
    with pytest.raises(InvalidInputError, match="homogenized"):
        figure1(Dataset([[0, 1], [1, 2]], homogenize=False), dpi=DPI)
    ds = figure1_dataset()
    vertices = set(ds.zonotope().vertices())
    non_vertex = next(b for b in product((0, 1), repeat=ds.N) if b not in vertices)
    with pytest.raises(InvalidInputError, match="not a vertex"):
        figure1(ds, highlight=non_vertex, dpi=DPI)


# ----- figures 4 and 5 ---------------------------------------------------------------------------------
def vertex_annotations(fig):
    """(loss text, active set, colour) of every vertex label."""
    out = []
    for t in fig.axes[0].texts:
        first, second = t.get_text().split("\n")
        out.append((first.removeprefix("$\\mathbf{").removesuffix("}$"), second, t.get_color()))
    return out


@pytest.mark.parametrize("draw, best_loss, best_barcode", [
    (figure4, Fraction(1, 10), (1, 1, 1, 1, 1)),   # appendix D.1: 0.1, all examples active
    (figure5, Fraction(5, 4), (0, 1, 1, 0)),       # appendix D.2: 1.25, {x2, x3} active
])
def test_appendix_d_figures(tmp_path, draw, best_loss, best_barcode):
    from zonocomb.theory import discontinuity as D
    example = D.appendix_d1() if draw is figure4 else D.appendix_d2()
    losses = D.vertex_losses(example.dataset)
    out = tmp_path / "fig.png"
    fig = draw(out=out, dpi=DPI)
    assert out.stat().st_size > 1000 and png_size(out) == expected_png_size(fig)
    labels = vertex_annotations(fig)
    assert sorted((Fraction(loss), s) for loss, s, _ in labels) == \
        sorted((q, active_set_label(b)) for b, q in losses.items())
    red = [(Fraction(loss), s) for loss, s, colour in labels if colour == "red"]
    assert red == [(best_loss, active_set_label(best_barcode))]


def test_zonogon_figure_rejects_bad_input():
    planar = Dataset([[1, 0], [2, 1], [-1, 3]], homogenize=False)
    losses = {b: Fraction(0) for b in planar.zonotope().vertices()}
    with pytest.raises(InvalidInputError, match="not the"):
        zonogon_loss_figure(planar, dict(list(losses.items())[1:]), dpi=DPI)
    spatial = Dataset([[1, 0, 0], [0, 1, 0], [0, 0, 1]], homogenize=False)
    with pytest.raises(InvalidInputError, match="two coordinates"):
        zonogon_loss_figure(spatial, {}, dpi=DPI)


# ----- command line --------------------------------------------------------------------------------------
def test_cli_plot_writes_png(tmp_path, capsys):
    out = tmp_path / "f5.png"
    assert cli_main(["plot", "figure5", "--out", str(out), "--dpi", "20"]) == 0
    assert out.stat().st_size > 0 and str(out) in capsys.readouterr().out
    assert cli_main(["plot", "figure5", "--out", str(out), "--dpi", "0"]) == 2
