"""Tests of zonocomb.landscape: exhaustive maps of the loss on the skeleton of Z^m."""
import itertools
import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.datasets import synthetic
from zonocomb.errors import InvalidInputError, TooLargeError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.landscape import landscape
from zonocomb.landscape.classes import VertexClasses
from zonocomb.search.gls import gls_tolerances
from zonocomb.search import exact_erm, gls
from zonocomb.search import baseline_loss, half_output_weights


@pytest.fixture(scope="module")
def ds13():
    return synthetic(1, 3, 0)          # N = 6 on a line: |vert Z| = 12


@pytest.fixture(scope="module")
def land3(ds13):                       # m = 3, v = (1, 1, -1): 936 classes for 1728 vertices
    return landscape(ds13, 3, samples=300, mgls_runs=4, progress=False)


@pytest.fixture(scope="module")
def land22():                          # d = 2, N = 6, m = 2: 1024 vertices, 42 local minima
    return landscape(synthetic(2, 2, 0), 2, samples=0, mgls_runs=0, progress=False)


def test_classes_match_brute_force_orbits():
    ds = synthetic(1, 2, 1)
    Z = ds.zonotope()
    barcodes = Z.vertices()
    index = {b: j for j, b in enumerate(barcodes)}
    adj = [[index[n] for n in Z.neighbors(b)] for b in barcodes]
    v = np.array([1.0, -1.0, 1.0, 1.0])
    cls = VertexClasses(barcodes, adj, v)
    V = len(barcodes)
    orbits = {}
    for t in itertools.product(range(V), repeat=4):
        key = (tuple(sorted((t[0], t[2], t[3]))), t[1])
        orbits[key] = orbits.get(key, 0) + 1
    assert len(cls) == len(orbits) == VertexClasses.count(V, cls.groups) == math.comb(V + 2, 3) * V
    assert int(cls.counts.sum()) == V ** 4
    for c, row in enumerate(cls.reps):
        assert cls.counts[c] == orbits[(tuple(int(row[u]) for u in (0, 2, 3)), int(row[1]))]
        assert len(cls.members(row)) == cls.counts[c]
    # neighbour classes = classes of the neighbours that ZonotopePower lists for the member
    P = ZonotopePower(Z, 4)
    for c in [0, 7, len(cls) // 2, len(cls) - 1]:
        nbs = P.neighbors(cls.pattern(cls.reps[c]))
        got = [int(t) for t in cls.nbr[c] if t >= 0]
        assert got == cls.lookup(cls.index_rows(nbs)).tolist()


def test_global_minimum_and_every_loss_match_exact_erm(ds13, land3):
    e = exact_erm(ds13, half_output_weights(3), progress=False)
    scale = baseline_loss(ds13.y, "mse", True)
    assert len(e.certificate) == len(land3)
    for c in range(len(land3)):
        assert abs(e.certificate[land3.key(c)] - land3.losses[c]) <= 1e-12 * scale
    assert abs(e.loss - land3.global_min) <= land3.goal - land3.global_min
    assert land3.losses[land3.class_of(e.pattern)] <= land3.goal


def test_local_minima_are_where_gls_stops(ds13, land3, land22):
    for L, ds, m in ((land3, ds13, 3), (land22, synthetic(2, 2, 0), 2)):
        assert len(L.local_minima) > 0
        for c in L.local_minima[:25]:
            r = gls(ds, m, start=L.pattern(c))
            assert r.info["local_minimum"] and r.n_steps == 0
        for c in L.floor[:5]:
            r = gls(ds, m, start=L.pattern(c))
            assert r.n_steps == 0 and r.info["reached_floor"]
        movers = np.flatnonzero(L.nxt >= 0)[:25]
        for c in movers:
            assert gls(ds, m, start=L.pattern(c), max_steps=1).n_steps == 1


def _check_gls_ends(L, ds, m, rows):
    """gls from each index row ends where the basin map says, unless its path has a near-tie."""
    checked = 0
    for row in rows:
        A = L.classes.pattern(row)
        c = L.class_of(A)
        end = L.class_of(gls(ds, m, start=A).pattern)
        if not L.tie_risk[c]:
            assert end == L.gls_end(np.array([row]))[0], row
            checked += 1
        else:
            assert L.nxt[end] < 0          # gls ends at a stop of the landscape all the same
    return checked


def test_gls_ends_where_the_basin_map_says(ds13, land3, land22):
    rng = np.random.default_rng(0)
    reps = land22.classes.reps[rng.choice(len(land22), 40, replace=False)]
    assert _check_gls_ends(land22, synthetic(2, 2, 0), 2, reps) >= 30
    # non-canonical members (units 0 and 1 share v = +1) and Gaussian starts
    P = ZonotopePower(ds13.zonotope(), 3)
    rows = land3.classes.index_rows([P.random_vertex(s) for s in range(30)])
    rows = np.vstack([rows, rows[:, [1, 0, 2]]])
    assert _check_gls_ends(land3, ds13, 3, rows) >= 30
    for row, end in zip(rows, land3.gls_end(rows)):
        path = land3.gls_path(land3.classes.pattern(row))
        assert path[-1] == end and np.all(np.diff(land3.losses[path]) < 0)


def test_reduced_graph_counts_every_vertex_and_move(land3):
    G = land3.graph
    assert G.number_of_nodes() == len(land3)
    assert sum(d["count"] for _, d in G.nodes(data=True)) == land3.n_vertices
    # the tail's moves into each neighbour class add up to the tail member's degree in Z^m
    degree = {k: 0 for k in G.nodes}
    for a, b, d in G.edges(data=True):
        degree[d["tail"]] += d["moves"]
    # class 0, the smallest id, is the tail of all its edges (a move always changes the class)
    assert degree[land3.key(0)] == int((land3.classes.nbr[0] >= 0).sum()) == G.degree[land3.key(0)] + sum(
        G.edges[land3.key(0), n]["moves"] - 1 for n in G.neighbors(land3.key(0)))


def test_basin_counts_cover_every_vertex(land3, land22):
    for L in (land3, land22):
        assert sum(L.vertex_ends.values()) == L.n_vertices
        assert all(L.nxt[c] < 0 for c in L.vertex_ends)
        assert all(L.basin[c] == c for c in L.stops)
        gaps, counts = L.gls_gaps()
        assert counts.sum() == L.n_vertices and np.all(np.diff(gaps) >= 0)
        hit = counts[gaps <= L.goal - L.global_min].sum()
        assert hit / L.n_vertices == pytest.approx(L.p_gls_uniform)


def test_multiset_reduction_equals_full_product(ds13, land3):
    full = landscape(ds13, 3, reduce=False, samples=0, mgls_runs=0, progress=False)
    assert len(full) == full.n_vertices == 12 ** 3
    to_class = land3.classes.lookup(full.classes.reps)
    scale = baseline_loss(ds13.y, "mse", True)
    assert np.abs(full.losses - land3.losses[to_class]).max() <= 1e-12 * scale
    assert set(to_class[full.local_minima].tolist()) == set(land3.local_minima.tolist())
    assert full.global_min == pytest.approx(land3.global_min, abs=land3.goal - land3.global_min)
    risk = full.classes.counts[full.tie_risk].sum() / full.n_vertices
    assert abs(full.p_gls_uniform - land3.p_gls_uniform) <= risk


def test_graph_is_the_skeleton_and_graphml_keeps_attributes(tmp_path):
    ds = synthetic(1, 2, 0)
    L = landscape(ds, 2, samples=50, mgls_runs=0, progress=False)
    G = L.graph
    P = ZonotopePower(ds.zonotope(), 2)
    H = nx.Graph()
    for A in P.vertices():
        key = tuple(tuple(int(x) for x in r) for r in A)
        H.add_edges_from((key, tuple(tuple(int(x) for x in r) for r in B)) for B in P.neighbors(A))
    assert set(G.nodes) == set(H.nodes) and {frozenset(e) for e in G.edges} == {frozenset(e) for e in H.edges}
    for a, b, data in G.edges(data=True):
        tail = data["tail"]
        head = b if tail == a else a
        assert tuple(i for i in range(ds.N) if tail[data["unit"]][i] != head[data["unit"]][i]) == data["flipped"]
    path = tmp_path / "land.graphml"
    L.to_graphml(path)
    R = nx.read_graphml(path)
    assert R.number_of_nodes() == len(L) and R.number_of_edges() == G.number_of_edges()
    node = next(iter(R.nodes(data=True)))[1]
    assert {"loss", "status", "count", "stop", "gls_next", "basin", "basin_vertices", "global"} <= set(node)
    assert R.graph["p_gls_uniform"] == pytest.approx(L.p_gls_uniform)
    stops = [n for n, d in R.nodes(data=True) if d["stop"]]
    assert len(stops) == len(L.stops)


def test_estimates_are_reproducible_and_gd_lands_in_its_region():
    ds = synthetic(1, 2, 0)
    kw = dict(samples=200, mgls_runs=3, gd_runs=2, gd_steps=300, progress=False, random_state=5)
    a, b = landscape(ds, 2, **kw), landscape(ds, 2, **kw)
    for name in ("gls", "random_vertex", "mgls", "gd"):
        assert a.estimates[name].successes == b.estimates[name].successes
        np.testing.assert_array_equal(a.estimates[name].ends, b.estimates[name].ends)
    gd = a.estimates["gd"]
    for gap, end in zip(gd.gaps, gd.ends):
        assert end >= 0
        # GD's weights lie in the region it ends in, so its loss is at least that region's optimum
        assert gap + a.global_min >= a.losses[end] - 1e-9
    assert "sampled" in a.estimates["gls"].label and "GD landings" in a.summary()


def test_skeleton_layout_refuses_large_graphs(land3, monkeypatch):
    import zonocomb.landscape.plots as plots
    from zonocomb.plotting import new_figure
    ax = new_figure(4, 4, 50).subplots()
    plots.skeleton_panel(ax, land3)
    assert len(ax.collections) >= 2
    monkeypatch.setattr(plots, "MAX_LAYOUT_NODES", 100)
    with pytest.raises(InvalidInputError, match="too many"):
        plots.skeleton_panel(ax, land3)


def test_refuses_large_sizes_before_solving(monkeypatch):
    import zonocomb.landscape.core as core

    def boom(*args, **kwargs):
        raise AssertionError("solved although refused")
    monkeypatch.setattr(core, "solve_classes", boom)
    with pytest.raises(TooLargeError, match=r"4096 vertices .* 2176 classes.*estimated time"):
        landscape(synthetic(1, 4, 0), 3, max_classes=1000, progress=False)


def test_bad_input_is_refused():
    ds = synthetic(1, 2, 0)
    with pytest.raises(InvalidInputError, match="length"):
        landscape(ds, 2, v=[1.0, 1.0, -1.0])
    with pytest.raises(InvalidInputError, match="gd_runs"):
        landscape(ds, 2, v=[1.0, 1.0], gd_runs=1)
    with pytest.raises(InvalidInputError, match="samples"):
        landscape(ds, 2, samples=-1)
    with pytest.raises(InvalidInputError, match="reduce"):
        landscape(ds, 2, reduce="yes")
    with pytest.raises(InvalidInputError, match="labels"):
        landscape(Dataset([[0.0], [1.0]]), 1)


def test_tolerances_are_glss():
    ds = synthetic(1, 2, 0)
    r = gls(ds, 2, random_state=0)
    assert gls_tolerances(ds.y, "mse", True) == (r.info["rtol"], r.info["atol"])


@pytest.mark.slow
def test_two_workers_give_the_same_landscape(ds13, land3):
    two = landscape(ds13, 3, samples=300, mgls_runs=0, progress=False, n_jobs=2)
    np.testing.assert_array_equal(two.losses, land3.losses)
    assert two.vertex_ends == land3.vertex_ends


class _TableProgram:
    """Stand-in for RegionProgram inside gls: the loss of a pattern is read from a table by class."""

    def __init__(self, classes, table, problem):
        self.classes, self.table, self.m, self.n, self.n_solves = classes, table, problem.m, problem.n, 0

    def solve(self, pattern, warm_start=None):
        from types import SimpleNamespace
        self.n_solves += 1
        c = int(self.classes.lookup(self.classes.index_rows([pattern]))[0])
        return SimpleNamespace(loss=float(self.table[c]), W=np.zeros((self.m, self.n)), c=0.0,
                               tight=np.zeros_like(pattern, dtype=bool), status="optimal")

    threads = 1
    kernel = None           # (no compiled kernel: gls keeps no neighbour starts)

    def sweep(self, pattern, moves, warm_start, bound=None, starts=None, answers=False, least_only=False):
        """RegionProgram.sweep's losses, read from the table (no neighbour abandoned, no answers;
        ``least_only`` allows abandoning, which the table never does)."""
        from types import SimpleNamespace
        losses = []
        for u, flipped in moves:
            B = np.array(pattern, dtype=bool)
            B[u, list(flipped)] ^= True
            losses.append(self.solve(B).loss)
        losses = np.array(losses)
        return SimpleNamespace(loss=losses, lower_bound=losses, status=("optimal",) * len(losses), answers={})


@pytest.mark.parametrize("v", [[1.0, 1.0], pytest.param([1.0, -1.0, 1.0], marks=pytest.mark.slow)])
def test_basin_map_reproduces_gls_exactly_on_a_table_with_ties(monkeypatch, v):
    """With losses read from a table full of exact ties, gls from every vertex ends where the map
    says, and the exact vertex counts per stop are gls's own tallies."""
    import sys
    gls_module = sys.modules["zonocomb.search.gls"]
    from zonocomb.landscape.core import Landscape
    ds = synthetic(1, 2, 0)
    Z = ds.zonotope()
    barcodes = Z.vertices()
    index = {b: j for j, b in enumerate(barcodes)}
    cls = VertexClasses(barcodes, [[index[n] for n in Z.neighbors(b)] for b in barcodes], np.array(v))
    table = np.random.default_rng(3).integers(1, 5, size=len(cls)).astype(float)
    rtol, atol = gls_tolerances(ds.y, "mse", True)
    L = Landscape(dataset=ds, v=np.array(v), loss="mse", fit_bias=True, backend="fast", classes=cls,
                  losses=table, status=np.array(["optimal"] * len(cls)), rtol=rtol, atol=atol)
    assert L.ambiguous.any()
    monkeypatch.setattr(gls_module, "RegionProgram",
                        SimpleNamespace(from_problem=lambda problem, backend: _TableProgram(cls, table, problem)))
    tally = {}
    rows = list(itertools.product(range(len(barcodes)), repeat=len(v)))
    ends = L.gls_end(np.array(rows))
    for row, end in zip(rows, ends):
        r = gls(ds, len(v), v=v, start=cls.pattern(row))
        got = int(cls.lookup(cls.index_rows([r.pattern]))[0])
        assert got == end, row
        tally[got] = tally.get(got, 0) + 1
    assert tally == L.vertex_ends


def test_cli_summary_graphml_plot_and_refusal(tmp_path, capsys):
    from zonocomb.cli import main
    csv = tmp_path / "d.csv"
    synthetic(1, 2, 0).to_csv(csv)
    out, png = tmp_path / "g.graphml", tmp_path / "p.png"
    assert main(["landscape", str(csv), "--units", "1,2", "--samples", "100", "--mgls-runs", "2",
                 "--graphml", str(out), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "P(GLS -> global | uniform start)" in text and "local minima" in text
    assert (tmp_path / "g_m1.graphml").exists()
    R = nx.read_graphml(tmp_path / "g_m2.graphml")          # 1-based, as zonocomb skeleton writes
    flipped = [int(i) for _, _, d in R.edges(data=True) for i in str(d["flipped"]).split(",")]
    assert min(flipped) == 1 and max(flipped) == 4
    assert {d["unit"] for _, _, d in R.edges(data=True)} == {1, 2}
    assert png.stat().st_size > 10_000
    assert main(["landscape", str(csv), "--units", "5", "--max-classes", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "vertices" in err[0] and "estimated time" in err[0]
    assert main(["landscape", str(csv), "--units", "0"]) == 2
    capsys.readouterr()
    assert main(["landscape", str(csv), "--units", "2,1,2", "--graphml", str(out)]) == 2   # g_m2 twice
    assert capsys.readouterr().err.strip() == "zonocomb landscape: error: --units lists a width twice: '2,1,2'"
    assert main(["landscape", str(csv), "--units", "1,5", "--max-classes", "10"]) == 2
    assert capsys.readouterr().out == ""                     # the sweep is refused before m = 1 runs


def test_star_cover_partitions_the_classes(land3):
    from zonocomb.landscape.solve import star_cover
    nbr = land3.classes.nbr
    centres, owner, column = star_cover(nbr)
    C = len(nbr)
    assert len(set(centres.tolist())) == len(centres) and set(owner.tolist()) <= set(centres.tolist())
    claimed = np.flatnonzero(owner != np.arange(C))
    assert np.all(column[claimed] >= 0) and np.all(nbr[owner[claimed], column[claimed]] == claimed)
    assert np.all(column[owner == np.arange(C)] == -1)
    assert len(centres) < C / 3               # stars, not a path: the sweeps get batches


def test_walks_in_small_blocks_give_the_same_basins(land22, monkeypatch):
    """The GLS walks of tied classes and their members, cut into blocks of 5 starts (memo shared
    across blocks), end where the one-block walks end."""
    from zonocomb.landscape import basins, core
    _, later = basins.walk_ends(land22.nxt, land22.ambiguous)   # classes whose walk meets a tie
    assert land22.ambiguous.sum() + later.sum() > 5
    monkeypatch.setattr(basins, "WALK_BLOCK", 5)
    monkeypatch.setattr(core, "WALK_BLOCK", 5)
    L = core.Landscape(dataset=land22.dataset, v=land22.v, loss="mse", fit_bias=True, backend="fast",
                       classes=land22.classes, losses=land22.losses, status=land22.status,
                       rtol=land22.rtol, atol=land22.atol)
    assert np.array_equal(L.basin, land22.basin) and L.vertex_ends == land22.vertex_ends
    rows = np.random.default_rng(0).integers(0, land22.classes.V, size=(40, 2))
    assert np.array_equal(L.gls_end(rows), land22.gls_end(rows))
    for row in rows[:5]:
        path = L.gls_path(land22.classes.pattern(row))
        assert path[-1] == L.gls_end(row[None, :])[0]
