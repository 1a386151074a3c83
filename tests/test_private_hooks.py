"""Tests, benchmarks and proofs_checks reach inside the package only through listed hooks.

docs/design.md §8: tests use the public API; where one needs the inside of a module (to plant a
fault, count calls, or check a private helper directly) it uses a hook listed in ``HOOKS`` with
its reason. The scan below finds every private name they use (attributes, imports, and names
passed as strings to setattr-like calls), except the attributes of their own objects (reached
through ``self``), and fails on one that is not listed, or on a listed one no longer used.
"""
import ast
import re
from pathlib import Path

import pytest

from source_scan import ROOT, is_private, python_files

FOLDERS = ("tests", "benchmarks", "proofs_checks")
if not (ROOT / "benchmarks").is_dir():   # mutmut copies the package and the tests only (mutants/)
    pytest.skip("benchmarks/ is not beside the tests", allow_module_level=True)
#: Calls whose string arguments name an attribute (``monkeypatch.setattr(obj, "_name", ...)``).
BY_NAME = re.compile(r"^(setattr|getattr|delattr|hasattr|_?count_calls)$")

HOOKS = {
    # compiled extensions
    "_region_kernel": "convex.backends._region_kernel: tests call its functions directly to check its own "
                      "argument checks, and swap in a build whose work arrays start as NaN",
    "_face_bounds": "convex.backends._face_bounds: benchmarks/kernel_revisions.py swaps in the builds of "
                    "other revisions",
    "_IMPORT_ERROR": "convex.backends.kernel: a planted import failure of the extension, for its message",
    "_start_rows": "RegionKernel: the start rows a sweep hands the kernel, replaced to plant wrong starts",
    "_attainment": "FastBackend: its float attainment check, whose memory the CLI estimates",
    "_project_onto_cone": "convex.backends.recession: the cone projection, checked with DAQP made to fail",
    "_silent_highs": "convex.backends.recession: the HiGHS banner silencer, checked to restore stdout",
    "_cold_lp": "convex.backends.recession: the cold LP (A_ub, bounds), solved with other HiGHS settings by "
                "benchmarks/recession_lp_failures.py",
    # searches
    "_common": "search._common: pattern_of_weights, and pattern_key / neighbour_keys, the keys of GLS's cache",
    "_LocalSearch": "search.gls: the state of a GLS/mGLS walk (its cache, its candidate order)",
    "_forget_old": "search.gls._LocalSearch: the cache pruning, spied on to measure the cache's size",
    "_candidate_groups": "search.gls: mGLS's candidate order (appendix G), which a result does not show",
    "_first_improvement": "search.gls: mGLS's choice among the candidates, given a planted cache",
    "_rows_are_vertices": "search.gls: mGLS's vertex test of the all-tight-flipped candidate",
    # geometry
    "_PRIMES": "geometry.position: a cofactor that vanishes modulo the first prime is built from them",
    "_scan": "geometry.position: the modular scan, counted",
    "_scan_exact": "geometry.position: the exact scan behind the modular one, called and counted",
    "_exact_cofactor": "geometry.position: the exact cofactor, counted",
    "_Chamber": "geometry.arrangement: one chamber's wall certificates (interior point, redundancy)",
    "_interior": "geometry.arrangement._Chamber: the interior point the walls are shot from, poisoned",
    "_margin_lp": "geometry.arrangement: the float margin LP per chamber, counted",
    "_nonnegative_solutions": "geometry.arrangement: the fraction-free redundancy test behind neighbors(), "
                              "on huge and sparse entries the public API rarely reaches",
    "_verified_nonnegative": "geometry.arrangement: the certified positivity test of B mu = c",
    "_ExactRays": "geometry.chambers: the exact rays of the chamber enumerator",
    "_filtered": "geometry.chambers._ExactRays: the float-filtered sign test, counted",
    # experiments, command line, plotting
    "_dataset": "experiments.runner: the per-process dataset cache, cleared between tests",
    "_chunks": "experiments.runner: how runs that share a dataset are grouped into units of work",
    "_batch_key": "experiments.runner: the key of a gradient-descent batch",
    "_Checkpoints": "experiments.runner: the checkpoint saver of a local sweep, made to fail",
    "_notes": "experiments.report: the notes at the head of a report",
    "_cost_table": "experiments.report: the cost-per-run table of a report",
    "_panel_title": "experiments.report: the titles of a figure's panels",
    "_fit": "cli.fit: replaced to make a fit fail",
    "_CheckpointFile": "cli.fit: the checkpoint writer of zonocomb fit, interrupted",
    "_check_image_data": "cli.reproduce: replaced to skip the image-data check",
    "_format_fraction": "plotting: the exact label of a fraction",
    # not zonocomb's
    "_replace": "collections.namedtuple's documented copy-with-changes method",
}


def _root_is_self(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _call_name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def private_names_used(root: Path = ROOT) -> dict[str, list[str]]:
    """Every private name the test, benchmark and check files under ``root`` use, with where."""
    used: dict[str, list[str]] = {}
    for folder in FOLDERS:
        for path in python_files(root, folder):
            where = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Attribute) and not _root_is_self(node.value):
                    names = [node.attr]
                elif isinstance(node, ast.ImportFrom):
                    names = (node.module or "").split(".") + [alias.name for alias in node.names]
                elif isinstance(node, ast.Import):
                    names = [part for alias in node.names for part in alias.name.split(".")]
                elif isinstance(node, ast.Call) and BY_NAME.match(_call_name(node.func)):
                    names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                for name in names:
                    if is_private(name):
                        used.setdefault(name, []).append(f"{where}:{node.lineno}")
    return used


def test_tests_reach_inside_the_package_only_through_listed_hooks():
    used = private_names_used()
    unlisted = {name: places for name, places in used.items() if name not in HOOKS}
    assert not unlisted, f"private names used without a HOOKS entry (add one with its reason): {unlisted}"
    assert not set(HOOKS) - set(used), f"HOOKS entries no longer used: {sorted(set(HOOKS) - set(used))}"


def test_the_scan_finds_each_kind_of_use(tmp_path):
    """The scan itself: an attribute, both import forms, a name given to setattr, and not the
    attributes of one's own object or a public name."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import zonocomb.a._b\n"
        "from zonocomb.c import _d, e\n"
        "x = module._f + module.g\n"
        "monkeypatch.setattr(module, '_h', None)\n"
        "print('_i')\n"
        "class T:\n"
        "    def m(self):\n"
        "        return self._j + self.k._l\n")
    assert {name: [p.split(":")[1] for p in places] for name, places in private_names_used(tmp_path).items()} == \
        {"_b": ["1"], "_d": ["2"], "_f": ["3"], "_h": ["4"]}
