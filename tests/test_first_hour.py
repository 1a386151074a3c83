"""Issue 14, a user's first hour: each bad input or misuse found there, reproduced.

CSV and .npy reading never drops an example silently; every command-line error is one line on
stderr with exit status 2 (bad input) or 1 (failed computation) and no traceback unless --debug.
"""
import json
import os
import subprocess
import sys
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

from zonocomb import Dataset, InvalidInputError, InvalidTypeError
from zonocomb.cli import main
from zonocomb.errors import TooLargeError, ZonocombWarning
from zonocomb.exact.rational import MAX_DIGITS, to_fraction


def run_cli(argv, capsys):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# ----- dropped rows ---------------------------------------------------------------------------------
@pytest.mark.parametrize("first, bad", [("0,nan", "'nan'"), ("0,abc", "'abc'"), ("0,", "''"),
                                        ("1/3,x", "'x'"), ("x,-2/5", "'x'"), ("inf,y", "'inf'")])
def test_a_bad_first_row_is_an_error_not_a_header(tmp_path, capsys, first, bad):
    """A first row with a number in it is data: its bad cell is reported, not dropped as a header."""
    path = tmp_path / "d.csv"
    path.write_text(f"{first}\n1,2\n3,4\n5,7\n")
    column = 1 + [c.strip() for c in first.split(",")].index(bad.strip("'"))
    with pytest.raises(InvalidInputError, match=f"row 1, column {column} of .*{bad}"):
        Dataset.from_csv(path, label_column=None)
    status, _, err = run_cli(["vertices", str(path)], capsys)
    assert status == 2
    assert_one_line_error(err, f"row 1, column {column}", bad)


def test_exact_fractions_written_by_to_csv_come_back_whole(tmp_path):
    ds = Dataset([["-641210529472921/4503599627370496", "1/3"], [2, "-5/7"]], y=["1/9", 0])
    ds.to_csv(tmp_path / "f.csv")
    assert Dataset.from_csv(tmp_path / "f.csv") == ds


def test_a_bad_cell_further_down_names_its_row_and_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n\n3,4,\n")
    with pytest.warns(ZonocombWarning):
        with pytest.raises(InvalidInputError, match="row 4 of .* has 3 columns, row 2 has 2"):
            Dataset.from_csv(path, label_column=None)
    path.write_text("1,2\n3,4\n5,1e-x\n")
    with pytest.raises(InvalidInputError, match="row 3, column 2 of"):
        Dataset.from_csv(path)


def test_byte_order_mark_keeps_the_first_example(tmp_path, capsys):
    """A UTF-8 BOM before the first number made the first row unparsable, and it was dropped."""
    rows = [[1, 2], [1, 3], [3, 4], [5, 7]]
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "".join(f"{a},{b}\n" for a, b in rows).encode())
    ds = Dataset.from_csv(path, label_column=None)
    assert ds.N == 4 and ds.X_exact == tuple(tuple(Fraction(v) for v in r) for r in rows)
    # The CLI reports the zonotope of all 4 generators (general position: 2·Σ_{i<3} C(3, i) = 14).
    status, out, err = run_cli(["vertices", str(path)], capsys)
    assert status == 0 and err == ""
    assert out.startswith("# 14 vertices of the zonotope of 4 generators")


def test_a_header_is_skipped_only_with_a_message(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text("\ufefffirst,second\n1,2\n3,4\n")
    with pytest.warns(ZonocombWarning, match="row 1 .*first,second.* header"):
        ds = Dataset.from_csv(path, label_column=None)
    assert ds.N == 2
    status, out, err = run_cli(["vertices", str(path)], capsys)
    assert status == 0
    assert err.strip().splitlines() == [f"zonocomb vertices: warning: {path}: row 1 (first,second) has no "
                                        "number and is read as a header"]
    assert "of 2 generators" in out


# ----- input files the CLI must refuse in one line ------------------------------------------------------
def _npy_cases(tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.arange(6.0).reshape(3, 2))
    truncated = tmp_path / "truncated.npy"
    truncated.write_bytes(good.read_bytes()[:100])
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    return {"truncated": (truncated, "not a complete .npy file"),
            "objects": (objects, "holds Python objects"),
            "missing": (tmp_path / "missing.npy", "no such file")}


@pytest.mark.parametrize("case", ["truncated", "objects", "missing"])
def test_bad_npy_files(tmp_path, capsys, case):
    path, message = _npy_cases(tmp_path)[case]
    with pytest.raises(InvalidInputError, match=message):
        Dataset.from_npy(path)
    status, _, err = run_cli(["vertices", str(path)], capsys)
    assert status == 2
    assert_one_line_error(err, "zonocomb vertices: error:", message)


def test_directory_missing_file_and_non_utf8(tmp_path, capsys):
    status, _, err = run_cli(["vertices", str(tmp_path)], capsys)
    assert status == 2
    assert_one_line_error(err, "is a directory")
    status, _, err = run_cli(["fit", str(tmp_path / "nope.csv")], capsys)
    assert status == 2
    assert_one_line_error(err, "no such file")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("1,2\n3,4\n5,6\n# é\n".encode("latin-1"))
    status, _, err = run_cli(["vertices", str(latin1)], capsys)
    assert status == 2
    assert_one_line_error(err, "is not UTF-8 text", "0xe9")


def test_ten_to_the_400(tmp_path, capsys):
    """10^400 is exact-geometry input but beyond the doubles of the convex programs."""
    path = tmp_path / "big.csv"
    path.write_text("1,2\n1" + "0" * 400 + ",3\n5,6\n2,9\n")
    status, out, _ = run_cli(["vertices", str(path), "--labels", "last"], capsys)
    assert status == 0 and "of 4 generators" in out
    status, _, err = run_cli(["fit", str(path), "--units", "1"], capsys)
    assert status == 2
    assert_one_line_error(err, "row 1 (0-based) of X", "10^400", "floating-point range")


def test_huge_magnitudes_are_refused_before_they_are_expanded(tmp_path, capsys):
    assert to_fraction("1e" + str(MAX_DIGITS - 1)) == 10 ** (MAX_DIGITS - 1)
    assert to_fraction("-7/" + "3" * MAX_DIGITS) == Fraction(-7, int("3" * MAX_DIGITS))
    for text in ["1e10000000", "1e" + str(MAX_DIGITS), "2" * (MAX_DIGITS + 1), "1e-99999999999999999999"]:
        with pytest.raises(TooLargeError, match=f"at most {MAX_DIGITS}"):
            to_fraction(text)
    path = tmp_path / "huge.csv"
    path.write_text("1,2\n1e10000000,3\n")
    status, _, err = run_cli(["vertices", str(path)], capsys)
    assert status == 2
    assert_one_line_error(err, "row 2, column 1", "more than a million digits")


def test_homogenize_must_be_a_bool():
    with pytest.raises(InvalidTypeError, match="homogenize must be True or False, got 'no'"):
        Dataset([[1, 2]], homogenize="no")
    assert Dataset([[1, 2]], homogenize=np.bool_(False)).n == 2


# ----- outputs checked before the work, written atomically ---------------------------------------------
@pytest.fixture
def labelled_csv(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("0,0,1\n1,0,0\n0,1,0\n1,1,1\n2,1,3\n")
    return path


def test_output_in_a_missing_folder_is_refused_before_fitting(labelled_csv, capsys, monkeypatch):
    import zonocomb.cli.fit as fit_cli

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit ran although its output could not be written")

    monkeypatch.setattr(fit_cli, "_fit", no_fit)
    out = labelled_csv.parent / "no_such_folder" / "net.json"
    status, _, err = run_cli(["fit", str(labelled_csv), "--out", str(out)], capsys)
    assert status == 2
    assert_one_line_error(err, "folder", "does not exist")
    for argv in (["vertices", str(labelled_csv), "--json", str(out)],
                 ["skeleton", str(labelled_csv), "--graphml", str(out)],
                 ["landscape", str(labelled_csv), "--units", "1", "--plot", str(out)],
                 ["plot", "figure1", "--out", str(out)]):
        status, _, err = run_cli(argv, capsys)
        assert status == 2
        assert_one_line_error(err, "does not exist")


@pytest.mark.parametrize("argv,flag", [(["--max-steps", "-5"], "--max-steps must be at least 0, got -5"),
                                       (["--seed", "-3"], "--seed must be at least 0, got -3"),
                                       (["--method", "gd", "--seed", "-3"], "--seed must be")])
def test_fit_names_the_option_a_bad_value_came_from(labelled_csv, capsys, argv, flag):
    status, _, err = run_cli(["fit", str(labelled_csv), *argv], capsys)
    assert status == 2
    assert_one_line_error(err, flag)


@pytest.mark.parametrize("argv,flag", [(["--samples", "-1"], "--samples must be at least 0, got -1"),
                                       (["--mgls-runs", "-2"], "--mgls-runs must be at least 0"),
                                       (["--gd-runs", "-1"], "--gd-runs must be at least 0"),
                                       (["--gd-steps", "-1"], "--gd-steps must be at least 0"),
                                       (["--seed", "-1"], "--seed must be at least 0"),
                                       (["--max-classes", "0"], "--max-classes must be at least 1, got 0")])
def test_landscape_names_the_option_a_bad_value_came_from(labelled_csv, capsys, argv, flag):
    status, _, err = run_cli(["landscape", str(labelled_csv), "--units", "1", *argv], capsys)
    assert status == 2
    assert_one_line_error(err, flag)


def test_a_checkpoint_error_names_the_checkpoint_file(labelled_csv, tmp_path, capsys):
    state = tmp_path / "state.json"
    state.write_text("{}")
    status, _, err = run_cli(["fit", str(labelled_csv), "--method", "gls", "--checkpoint", str(state)], capsys)
    assert status == 2
    assert_one_line_error(err, f"--checkpoint {state}: not a zonocomb search checkpoint")
    state.unlink()
    assert run_cli(["fit", str(labelled_csv), "--method", "gls", "--units", "2", "--checkpoint", str(state)],
                   capsys)[0] == 0
    status, _, err = run_cli(["fit", str(labelled_csv), "--method", "mgls", "--units", "2",
                              "--checkpoint", str(state)], capsys)          # read fine, refused by the search
    assert status == 2
    assert_one_line_error(err, f"--checkpoint {state}: this checkpoint is of a gls search, not mgls")


def test_fit_writes_json_and_the_network_file(labelled_csv, tmp_path, capsys):
    out = tmp_path / "net.json"
    status, stdout, _ = run_cli(["fit", str(labelled_csv), "--units", "2", "--json", "--out", str(out)],
                                capsys)
    assert status == 0
    summary = json.loads(stdout)
    assert summary["network"] == json.loads(out.read_text())
    net = summary["network"]
    assert (summary["examples"], summary["dimension"], net["units"]) == (5, 2, 2)
    # The stored network reproduces the stored loss (independent forward pass).
    X = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1]], float)
    y = np.array([1, 0, 0, 1, 3], float)
    G = np.hstack([X, np.ones((5, 1))])
    pred = np.maximum(G @ np.array(net["W"]).T, 0) @ np.array(net["v"]) + net["c"]
    assert np.isclose(np.mean((pred - y) ** 2), net["loss"], rtol=1e-6, atol=1e-12)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    from zonocomb.files import atomic_write
    path = tmp_path / "report.md"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as fh:
            fh.write("half of the new")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
    with atomic_write(path) as fh:
        fh.write("new")
    assert path.read_text() == "new"


def test_too_many_units_are_refused_with_the_memory_estimate(labelled_csv, capsys, monkeypatch):
    import zonocomb.cli.fit as fit_cli
    from zonocomb.convex.backends.kernel import default_threads
    status, _, err = run_cli(["fit", str(labelled_csv), "--units", "100000"], capsys)
    assert status == 2  # m n = 300000: beyond the solver's int indices, whatever the memory
    assert_one_line_error(err, "--units 100000", "below 2^31 - 1", "m n = 300000")
    real_sysconf = os.sysconf
    monkeypatch.setattr(fit_cli.os, "sysconf", lambda name: 2 ** 18 if name == "SC_PHYS_PAGES" else real_sysconf(name))
    memory = real_sysconf("SC_PAGE_SIZE") * 2 ** 18
    need = fit_cli.solver_memory(2000, 3, 5, "mse", default_threads())
    assert need > memory // 2
    status, _, err = run_cli(["fit", str(labelled_csv), "--units", "2000"], capsys)
    assert status == 2
    assert_one_line_error(err, "--units 2000", f"about {need / 2 ** 30:.3g} GiB", f"has {memory / 2 ** 30:.3g} GiB")
    # gradient descent solves no region program: not refused
    status, out, _ = run_cli(["fit", str(labelled_csv), "--units", "2000", "--method", "gradient_descent",
                              "--max-steps", "5"], capsys)
    assert status == 0 and "gradient_descent" in out


_MAPPED_BY_ONE_SOLVE = """
import sys
import numpy as np
from zonocomb import Dataset
from zonocomb.convex import RegionProgram

def mapped():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))

loss, m, d, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
X = rng.standard_normal((N, d))
y = rng.standard_normal(N) if loss == "mse" else (rng.random(N) < 0.5).astype(float)
v = np.where(np.arange(m) < (m + 1) // 2, 1.0, -1.0)
A = (np.hstack([X, np.ones((N, 1))]) @ rng.standard_normal((m, d + 1)).T > 0).T
program = RegionProgram(Dataset(X, y=y), v, loss=loss)
before = mapped()
program.kernel.solve_certified(A)
print(mapped() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_solver_memory_estimate_matches_the_kernels_allocation(loss):
    """The kernel's estimate against the address space one compiled solve and certificate map
    (the kernel allocates its workspace on first use, in one block), measured in a fresh process:
    in a process that has already freed a large block, the allocator may reuse it and map
    nothing new. (The attainment check's numpy arrays are measured by the next test: whether
    the allocator keeps their pages mapped after they are freed is its choice.)"""
    import zonocomb.cli.fit as fit_cli

    m, d, N = 150, 10, 1500
    proc = subprocess.run([sys.executable, "-c", _MAPPED_BY_ONE_SOLVE, loss, str(m), str(d), str(N)],
                          capture_output=True, text=True, timeout=300, check=True)
    grown = int(proc.stdout.split()[-1])
    estimate = fit_cli.kernel_memory(m, d + 1, N, loss, 1)
    assert 0.85 * grown <= estimate <= 1.15 * grown, (grown / 2 ** 20, estimate / 2 ** 20)
    check = fit_cli.attainment_check_memory(m, d + 1, N) if loss == "logistic" else 0
    assert fit_cli.solver_memory(m, d + 1, N, loss, 1) == estimate + check


def test_attainment_check_memory_bounds_the_checks_peak():
    """tracemalloc sees numpy's allocations: the check's peak at a KKT point (no correction
    step) and at a point that needs the correction (Cholesky of M Mᵀ) stays below the estimate,
    and the second is not far below it."""
    import tracemalloc

    import zonocomb.cli.fit as fit_cli
    from zonocomb.convex import RegionProgram

    m, d, N = 60, 10, 600
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, d))
    y = (rng.random(N) < 0.5).astype(float)
    A = (np.hstack([X, np.ones((N, 1))]) @ rng.standard_normal((m, d + 1)).T > 0).T
    program = RegionProgram(Dataset(X, y=y), np.where(np.arange(m) < m // 2, 1.0, -1.0), loss="logistic")
    res = program.kernel.solve(A)
    check = program.solver._attainment
    estimate = fit_cli.attainment_check_memory(m, d + 1, N)
    peaks = []
    for W, corrected in ((res.W, False), (0.9 * res.W, True)):
        tracemalloc.start()
        try:
            evidence = check.evidence(A, W, res.c)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert (evidence.correction > 0) == corrected
    assert max(peaks) <= estimate and peaks[1] >= 0.5 * estimate, (peaks, estimate)


# ----- exit statuses and --debug ------------------------------------------------------------------------
def test_a_failed_computation_exits_1_and_debug_shows_the_traceback(labelled_csv, capsys, monkeypatch):
    import zonocomb.cli.fit as fit_cli
    from zonocomb.errors import SolverError

    def failing(*args, **kwargs):
        raise SolverError("the region program could not be solved")

    monkeypatch.setattr(fit_cli, "_fit", failing)
    status, _, err = run_cli(["fit", str(labelled_csv)], capsys)
    assert status == 1
    assert_one_line_error(err, "zonocomb fit: error: the region program could not be solved")
    with pytest.raises(SolverError):
        main(["fit", str(labelled_csv), "--debug"])

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(fit_cli, "_fit", bug)
    status, _, err = run_cli(["fit", str(labelled_csv)], capsys)
    assert status == 1
    assert_one_line_error(err, "internal error KeyError", "--debug")


def test_version_and_global_options(capsys):
    from importlib.metadata import version
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"zonocomb {version('zonocomb')}"
    # -q / -v / --debug are accepted before and after the subcommand.
    from zonocomb.cli import build_parser
    parser = build_parser()
    before = parser.parse_args(["-v", "-v", "check"])
    after = parser.parse_args(["check", "-q", "--debug"])
    assert (before.verbose, before.quiet, before.debug) == (2, False, False)
    assert (after.verbose, after.quiet, after.debug) == (0, True, True)


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "zonocomb", "vertices", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"zonocomb vertices: error: {tmp_path} is a directory, not a data file"


def test_check_with_nothing_selected_exits_2(capsys):
    from zonocomb import proofs_checks
    slow = next(n for n in proofs_checks.check_names() if not proofs_checks.load_check(n).FAST)
    status, out, err = run_cli(["check", "--only", slow, "--fast"], capsys)
    assert status == 2 and out == ""
    assert_one_line_error(err, "no check selected")


def test_check_json(capsys):
    status, out, _ = run_cli(["check", "--only", "vertex_count", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["passed"] and data["n_checks"] == 1
    (check,) = data["checks"]
    assert check["module"] == "vertex_count" and check["passed"] and check["instances"] > 0


# ----- graphs with data ---------------------------------------------------------------------------------
def test_skeleton_graphml_round_trip_with_attributes(tmp_path, capsys):
    from zonocomb.cli.skeleton import labelled_graph
    from zonocomb.datasets.builtin import figure1_dataset
    ds = figure1_dataset()
    path = tmp_path / "fig1.csv"
    ds.to_csv(path)
    out = tmp_path / "g.graphml"
    assert main(["skeleton", str(path), "--labels", "last", "--graphml", str(out)]) == 0
    G = nx.read_graphml(out)
    expected = labelled_graph(ds)
    assert {k: v for k, v in G.graph.items() if not k.endswith("_default")} == expected.graph
    assert G.graph["labels"] == ",".join(str(v) for v in ds.y_exact)
    assert dict(G.nodes(data=True)) == dict(expected.nodes(data=True))
    assert {frozenset((a, b)): d for a, b, d in G.edges(data=True)} == \
        {frozenset((a, b)): d for a, b, d in expected.edges(data=True)}
    # Independent evidence for the attributes: points are Σ λ_i x̄_i computed here, active sets
    # 1-based, and each edge's flipped example is where the two barcodes differ.
    Z = ds.zonotope()
    for b in Z.vertices():
        node = G.nodes["".join(map(str, b))]
        assert node["active"] == ",".join(str(i + 1) for i, x in enumerate(b) if x)
        point = [sum((g[j] for g, l in zip(ds.generators_exact, b) if l), Fraction(0)) for j in range(3)]
        assert [Fraction(p) for p in node["point"].split(",")] == point
    for a, b, data in G.edges(data=True):
        diff = [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]
        assert data["unit"] == 1 and data["flipped"] == ",".join(map(str, diff))


def test_skeleton_of_the_power_is_the_cartesian_product(tmp_path):
    from zonocomb import Zonotope, ZonotopePower
    Z = Zonotope([[1, 0, 1], [0, 1, 1], [1, 1, 1], [2, -1, 1]])
    base = Z.skeleton()
    for m in (1, 2, 3):
        G = ZonotopePower(Z, m).skeleton()
        reference = base
        for _ in range(m - 1):
            reference = nx.cartesian_product(reference, base)
        assert (G.number_of_nodes(), G.number_of_edges()) == \
            (reference.number_of_nodes(), reference.number_of_edges())
        # Each node's degree is the sum of its units' degrees in Z (app. A.3.1), and the edge's
        # attributes say which unit moved and which examples flipped.
        for node in G.nodes:
            assert G.degree[node] == sum(base.degree[b] for b in node)
        for a, b, data in G.edges(data=True):
            moved = [u for u in range(m) if a[u] != b[u]]
            assert moved == [data["unit"]]
            u = data["unit"]
            assert base.has_edge(a[u], b[u])
            assert data["flipped"] == tuple(i for i in range(4) if a[u][i] != b[u][i])
    with pytest.raises(TooLargeError, match="1728 vertices"):
        ZonotopePower(Z, 3).skeleton(limit=1000)


def test_skeleton_cli_for_two_units(tmp_path, capsys):
    path = tmp_path / "pts.csv"
    path.write_text("0,0\n1,0\n0,1\n")
    out = tmp_path / "g2.graphml"
    assert main(["skeleton", str(path), "--units", "2", "--graphml", str(out)]) == 0
    G = nx.read_graphml(out)
    # 3 affinely independent points: Z is a parallelepiped, 2·Σ_{i<3} C(2, i) = 8 vertices.
    assert G.number_of_nodes() == 8 ** 2 and G.graph["units"] == 2
    node = G.nodes["000|110"]
    assert node["active"] == "|1,2" and node["point"] == "0,0,0|1,0,2"
    assert G.edges["000|110", "100|110"] == {"unit": 1, "flipped": "1"}


# ----- the run store, the scheduler and --seeds of `zonocomb reproduce` ----------------------------------
def _store_cases(tmp_path):
    import sqlite3
    from zonocomb.experiments.store import RunStore
    ours = tmp_path / "ours.sqlite"
    with RunStore(ours) as st:
        for k in range(40):
            st.put({"key": f"k{k}", "experiment": "e", "method": "gls", "seed": k, "config": {"m": 2},
                    "status": "ok", "loss": 0.5, "error": "x" * 200})
    data = ours.read_bytes()
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(bytes(range(256)) * 20)
    corrupt = tmp_path / "corrupt.sqlite"      # opens, but the key index's first cell points past its page
    page_size = int.from_bytes(data[16:18], "big")
    leaf = next(p for p in range(page_size, len(data), page_size) if data[p] == 10)   # an index leaf page
    corrupt.write_bytes(data[:leaf + 8] + (0x7FFF).to_bytes(2, "big") + data[leaf + 10:])
    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('ada')")
    conn.commit()
    conn.close()
    lookalike = tmp_path / "lookalike.sqlite"
    conn = sqlite3.connect(lookalike)
    conn.execute("CREATE TABLE runs (id INTEGER)")
    conn.commit()
    conn.close()
    return {"truncated": (truncated, "damaged"), "corrupt": (corrupt, "quick_check: "),
            "garbage": (garbage, "not a SQLite database"),
            "foreign": (foreign, "another program's SQLite database"),
            "lookalike": (lookalike, "another program's SQLite database"),
            "directory": (tmp_path, "is a directory")}


@pytest.mark.parametrize("case", ["truncated", "corrupt", "garbage", "foreign", "lookalike", "directory"])
def test_bad_run_stores_are_refused_and_left_untouched(tmp_path, capsys, case):
    from zonocomb.experiments.store import RunStore
    path, message = _store_cases(tmp_path)[case]
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file())
    with pytest.raises(InvalidInputError, match=message):
        RunStore(path)
    status, _, err = run_cli(["reproduce", "table-a1", "--quick", "--db", str(path),
                              "--out", str(tmp_path / "out")], capsys)
    assert status == 2
    assert_one_line_error(err, message)
    after = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file())
    assert after == before  # nothing modified, no -wal or -shm file left beside it
    assert not (tmp_path / "out").exists()


def test_our_store_opens_again(tmp_path):
    from zonocomb.experiments.store import RunStore
    path, _ = _store_cases(tmp_path)["truncated"]
    with RunStore(tmp_path / "ours.sqlite") as st:
        assert len(st.finished_keys()) == 40
    (tmp_path / "empty.sqlite").write_bytes(b"")
    with RunStore(tmp_path / "empty.sqlite") as st:
        assert st.count() == 0


@pytest.mark.parametrize("seeds", ["0", "-3", "1000000000"])
def test_seeds_out_of_range(tmp_path, capsys, seeds):
    status, _, err = run_cli(["reproduce", "table-a1", "--seeds", seeds, "--db", str(tmp_path / "r.sqlite")],
                             capsys)
    assert status == 2
    assert_one_line_error(err, "--seeds must be between 1 and 1000", seeds)
    assert not (tmp_path / "r.sqlite").exists()


def test_unreachable_scheduler_names_the_address(tmp_path, capsys):
    import socket
    from zonocomb.experiments.cluster import connect_scheduler
    from zonocomb.errors import BackendError
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(BackendError, match=f"cannot reach the Dask scheduler at {address} within 0.5 s"):
        connect_scheduler(address, timeout=0.5)
    with pytest.raises(InvalidInputError, match="not a Dask scheduler address"):
        connect_scheduler("nonsense://x", timeout=0.5)


def test_reachable_scheduler_prints_the_dashboard(capsys):
    distributed = pytest.importorskip("distributed")
    from zonocomb.experiments.cluster import connect_scheduler
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        client = connect_scheduler(cluster.scheduler_address)
        try:
            assert client.submit(sum, [1, 2, 3]).result() == 6
        finally:
            client.close()
    out = capsys.readouterr().out
    assert f"Dask scheduler {cluster.scheduler_address}: dashboard http" in out


def test_exact_erm_refuses_from_the_closed_form_before_listing_vertices(monkeypatch):
    from math import comb
    from zonocomb import exact_erm
    from zonocomb.geometry.zonotope import Zonotope

    def no_listing(self, *args, **kwargs):
        raise AssertionError("exact_erm listed vertices before refusing")

    monkeypatch.setattr(Zonotope, "vertices", no_listing)
    rng = np.random.default_rng(0)
    # Large: the general-position test itself is out of reach, the bound is reported.
    big = Dataset(rng.integers(-1000, 1000, size=(200, 10)), y=rng.standard_normal(200))
    V = 2 * sum(comb(199, i) for i in range(11))
    with pytest.raises(TooLargeError, match=f"would solve up to {V} convex programs"):
        exact_erm(big, [1.0])
    # Small enough to decide general position exactly: the exact count, still with no listing.
    monkeypatch.setattr(Zonotope, "vertex_array", no_listing)
    small = Dataset(rng.integers(-10 ** 6, 10 ** 6, size=(30, 2)), y=rng.standard_normal(30))
    assert small.in_general_position()
    V = 2 * sum(comb(29, i) for i in range(3))
    with pytest.raises(TooLargeError, match=f"would solve {comb(V + 1, 2)} convex programs \\({V} vertices"):
        exact_erm(small, [1.0, 1.0])


def test_exact_erm_shows_no_bar_unless_asked(capsys):
    from zonocomb import exact_erm
    ds = Dataset([[0], [1], [2]], y=[0, 1, 0])
    exact_erm(ds, [1.0])
    assert capsys.readouterr().err == ""


def test_package_metadata_extras_and_typing_marker():
    from importlib.metadata import metadata
    from pathlib import Path
    import zonocomb
    md = metadata("zonocomb")
    assert {"distributed", "dev"} <= set(md.get_all("Provides-Extra"))
    assert any("bokeh" in r and "distributed" in r for r in md.get_all("Requires-Dist"))
    assert (Path(zonocomb.__file__).parent / "py.typed").is_file()
    assert any(c == "Typing :: Typed" for c in md.get_all("Classifier"))


@pytest.mark.slow
def test_worker_processes_end_with_their_parent(tmp_path):
    """A parent killed with SIGKILL takes its joblib workers with it (they used to keep running)."""
    import signal
    import time
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        "from joblib import Parallel, delayed\n"
        "from zonocomb.lifetime import end_with_parent\n"
        "def work(i):\n"
        "    armed = end_with_parent()\n"
        f"    open(os.path.join({str(tmp_path)!r}, f'w{{os.getpid()}}'), 'w').write(str(armed))\n"
        "    time.sleep(120)\n"
        "print(os.getpid(), flush=True)\n"
        "list(Parallel(n_jobs=2)(delayed(work)(i) for i in range(2)))\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("w*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [int(p.name[1:]) for p in tmp_path.glob("w*")]
        assert len(workers) == 2 and all(p.read_text() == "True" for p in tmp_path.glob("w*"))
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in workers if _running(pid)]
    for pid in alive:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []
    # In the main process it is a no-op (a nohup'd sweep must survive its shell).
    from zonocomb.lifetime import end_with_parent
    assert end_with_parent() is False


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
