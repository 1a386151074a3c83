"""``zonocomb check --data FILE.csv``: the statements on a user's dataset, and its refusals."""
from fractions import Fraction

import pytest

from zonocomb import Dataset, exact_erm
from zonocomb.cli import main

GENERAL = "0,0,1\n3,1,0\n1,4,2\n5,3,1\n2,7,3\n-1,2,0\n"
DEGENERATE = "0,0,1\n1,0,0\n2,0,2\n1,1,1\n2,1,3\n"       # examples 1, 2, 3 on a line


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_general_position_data(tmp_path, capsys):
    path = _write(tmp_path, GENERAL)
    assert main(["check", "--data", path, "--units", "1"]) == 0
    out = capsys.readouterr().out
    assert "general position (§2)      yes" in out
    assert "|vert Z| = 32, closed form 2·Σ_(i<3) C(5, i) = 32" in out
    assert "4 units = 2·ceil(N/(d+1)), max |residual| = 0 (exact)" in out
    assert "theorem 4.1 radius         PASS" in out
    # the exact minimum printed is exact_erm's, computed independently by the float path too
    ds = Dataset.from_csv(path, label_column=-1)
    flt = exact_erm(ds, [1], progress=False)
    line = next(l for l in out.splitlines() if l.startswith("exact ERM"))
    value = Fraction(line.split("global min MSE = ")[1].split(" ")[0])
    assert abs(float(value) - flt.loss) <= 1e-9 and f"over {flt.n_solves} patterns" in line


def test_degenerate_data_names_the_witness(tmp_path, capsys):
    assert main(["check", "--data", _write(tmp_path, DEGENERATE), "--units", "2"]) == 0
    out = capsys.readouterr().out
    assert "examples [1, 2, 3] (1-based) are affinely dependent" in out
    assert "|vert Z| = 20, closed form 2·Σ_(i<3) C(4, i) = 22 (at most" in out
    assert "theorem 4.3 construction   n/a" in out and "theorem 4.1 radius         n/a" in out
    assert "over 400 patterns" in out                  # 20² : v = (1, -1) gives two groups of one unit


@pytest.mark.parametrize("argv,message", [
    (["--units", "3", "--max-seconds", "0.001"], "estimated"),
    (["--units", "0"], "--units must be at least 1"),
    (["--max-seconds", "-1"], "--max-seconds must be a positive number of seconds, got -1"),
    (["--fast"], "cannot be combined"),
])
def test_refusals_are_one_line_exit_2(tmp_path, capsys, argv, message):
    path = _write(tmp_path, GENERAL)
    assert main(["check", "--data", path] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    if message == "estimated":
        assert "up to 32 vertices of Z" in err and "patterns for m = 3" in err


@pytest.mark.parametrize("argv", [["--units", "2"], ["--fast", "--max-seconds", "5"]])
def test_the_data_options_without_data_are_refused(capsys, argv):
    assert main(["check", *argv]) == 2
    assert capsys.readouterr().err.strip() == "zonocomb check: error: --units and --max-seconds apply to --data only"


def test_missing_or_unlabelled_file(tmp_path, capsys):
    assert main(["check", "--data", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", "--data", _write(tmp_path, "1\n2\n3\n")]) == 2
    assert "at least 2 columns" in capsys.readouterr().err
