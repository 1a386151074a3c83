"""pyflakes finds nothing in the repository's Python: no unused import or variable, no undefined
name, no import shadowed before use (the checks that catch dead code and typos in code paths the
tests do not reach)."""
import pytest
from pyflakes.api import checkPath
from pyflakes.reporter import Reporter

from source_scan import ROOT, python_files

FOLDERS = ("zonocomb", "tests", "benchmarks", "proofs_checks", "scripts")
if not (ROOT / "benchmarks").is_dir():   # mutmut copies the package and the tests only (mutants/)
    pytest.skip("benchmarks/ is not beside the tests", allow_module_level=True)


class _Collect:
    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text)


def pyflakes_messages(paths) -> list[str]:
    """pyflakes' messages on the given files, one string each."""
    out = _Collect()
    reporter = Reporter(out, out)
    for path in paths:
        checkPath(str(path), reporter)
    return [line.strip() for line in "".join(out.lines).splitlines() if line.strip()]


def test_pyflakes_finds_nothing():
    paths = [ROOT / "setup.py"] + [p for folder in FOLDERS for p in python_files(ROOT, folder)]
    assert len(paths) > 150
    assert pyflakes_messages(paths) == []


def test_pyflakes_reports_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    unused = 1\n    return undefined_name\n")
    messages = pyflakes_messages([bad])
    assert len(messages) == 3 and all(str(bad) in m for m in messages)
    assert any("'os' imported but unused" in m for m in messages)
    assert any("undefined name 'undefined_name'" in m for m in messages)
