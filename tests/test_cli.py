"""The lead's subcommands: demo, vertices, skeleton (others test their own subcommands)."""
import json
from math import comb

import networkx as nx
import pytest

from zonocomb import Dataset
from zonocomb.cli import main
from zonocomb.errors import ZonocombWarning
from zonocomb.datasets.builtin import figure1_dataset


def test_demo_reports_the_figure1_zonotope(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # 5 points in general position in R^2 -> 2·(C(4,0)+C(4,1)+C(4,2)) = 22 vertices, f = (22, 40, 20).
    assert "22 vertices" in out
    assert "(22, 40, 20)" in out
    assert "In general position (decided exactly): yes" in out
    # Labels come from a 2-unit network with output weights (+1, -1): exact ERM over the
    # 22² vertices of Z² fits them, and theorem 4.3 uses 2·ceil(5/3) = 4 units.
    assert "over all 484 vertices of Z^2" in out
    assert "4 = 2·ceil(N/(d+1)) units, residuals exactly zero: True" in out


@pytest.fixture
def square_csv(tmp_path):
    """Four points with three on a line (not in general position) and 'exact' strings."""
    path = tmp_path / "pts.csv"
    path.write_text("x1,x2\n0,0\n1,0\n2,0\n1/2,0.25\n")
    return path


def test_vertices_json_matches_the_library(square_csv, tmp_path):
    out = tmp_path / "v.json"
    assert main(["vertices", str(square_csv), "--json", str(out), "--points"]) == 0
    data = json.loads(out.read_text())
    with pytest.warns(ZonocombWarning, match="header"):
        ds = Dataset.from_csv(square_csv, label_column=None)
    expected = ds.zonotope().vertices()
    assert data["num_vertices"] == len(expected)
    assert [tuple(int(c) for c in r["barcode"]) for r in data["vertices"]] == expected
    # Exact coordinates survive the round trip as fraction strings.
    first = data["vertices"][1]
    assert first["point"] == [str(v) for v in ds.zonotope().vertex_point(expected[1])]


def test_vertices_float_path_agrees(square_csv, capsys):
    assert main(["vertices", str(square_csv)]) == 0
    exact = capsys.readouterr().out.splitlines()[1:]
    assert main(["vertices", str(square_csv), "--float"]) == 0
    flt = capsys.readouterr().out.splitlines()[1:]
    assert exact == flt


def test_skeleton_graphml_is_the_zonotope_graph(tmp_path):
    ds = figure1_dataset()
    path = tmp_path / "fig1.csv"
    ds.to_csv(path)
    out = tmp_path / "g.graphml"
    assert main(["skeleton", str(path), "--labels", "last", "--graphml", str(out)]) == 0
    G = nx.read_graphml(out)
    n, N = 3, 5
    # General position: f_1 = 2·C(N,1)·Σ_{i<n-1} C(N-2, i) edges.
    assert G.number_of_nodes() == 22
    assert G.number_of_edges() == 2 * N * sum(comb(N - 2, i) for i in range(n - 1))
    assert nx.is_connected(G)


def test_bad_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,nan\n")
    assert main(["vertices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2, column 2" in err and "nan" in err
    assert main(["vertices", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_every_subcommand_is_in_the_readmes_command_table():
    """The README's "Command line" table names every subcommand (and no other)."""
    from pathlib import Path
    from zonocomb.cli import SUBCOMMANDS
    path = Path(__file__).resolve().parents[1] / "README.md"
    if not path.exists():                   # mutmut copies the package and the tests only (mutants/)
        pytest.skip("README.md is not beside the tests")
    readme = path.read_text(encoding="utf-8")
    table = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    named = {row.split("`zonocomb ", 1)[1].split()[0].rstrip("`") for row in table.splitlines()
             if row.startswith("| `zonocomb ")}
    assert named == set(SUBCOMMANDS)
