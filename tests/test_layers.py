"""The package's layers (docs/design.md §1): imports point one way, and only at public names.

A module of the package imports from another top-level package or module of zonocomb only when
that one sits in a lower layer of ``LAYERS``; across packages it imports no private module or name
(no ``from ..x._y import``, no ``from ..x import _name``). The package's façade
(``zonocomb/__init__.py``, ``__main__.py``) re-exports from every layer and is exempt.
"""
import ast
from pathlib import Path

from source_scan import ROOT, is_private, python_files

FACADE = {"__init__", "__main__"}

LAYERS = {
    "errors": 0,
    "validation": 1, "files": 1, "lifetime": 1,
    "exact": 2,
    "geometry": 3,
    "datasets": 4, "convex": 4,
    "certify": 5,
    "search": 6, "theory": 6,
    "experiments": 7, "estimators": 7, "plotting": 7, "proofs_checks": 7,
    "landscape": 8,
    "cli": 9,
}


def cross_package_imports(root: Path = ROOT) -> list[tuple[str, int, str, str, list[str]]]:
    """(file, line, importing package, imported package, the imported path and names) for every
    import of one top-level part of zonocomb from another; proofs_checks/ counts as
    ``zonocomb.proofs_checks``, where it is installed."""
    found = []
    sources = [(path, path.relative_to(root / "zonocomb").with_suffix("").parts)
               for path in python_files(root, "zonocomb")]
    sources += [(path, ("proofs_checks",) + path.relative_to(root / "proofs_checks").with_suffix("").parts)
                for path in python_files(root, "proofs_checks")]
    for path, parts in sources:
        where = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    package = list(parts[:-1])[:len(parts) - node.level]
                    target = package + [p for p in (node.module or "").split(".") if p]
                elif (node.module or "").split(".")[0] == "zonocomb":
                    target = node.module.split(".")[1:] or ["__init__"]      # ``from zonocomb import x``: the façade
                else:
                    continue
                names = [alias.name for alias in node.names]
                if not target:                      # ``from .. import x`` at the top of the package
                    target, names = [names[0]], names[1:]
            elif isinstance(node, ast.Import):
                dotted = [alias.name.split(".")[1:] for alias in node.names if alias.name.startswith("zonocomb.")]
                if not dotted:
                    continue
                target, names = dotted[0], []
            else:
                continue
            if target and target[0] != parts[0]:
                found.append((where, node.lineno, parts[0], target[0], target[1:] + names))
    return found


def test_every_part_of_the_package_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in (ROOT / "zonocomb").iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert parts - FACADE | {"proofs_checks"} == set(LAYERS)


def test_imports_point_down_the_layers_and_only_at_public_names():
    upward, private = [], []
    for where, line, importer, imported, path in cross_package_imports():
        if importer in FACADE:
            continue
        if imported in FACADE or LAYERS[imported] >= LAYERS[importer]:
            upward.append(f"{where}:{line} {importer} -> {imported}")
        if any(is_private(p) for p in path) or is_private(imported):
            private.append(f"{where}:{line} {imported}.{'.'.join(path)}")
    assert not upward, f"imports that do not point to a lower layer: {upward}"
    assert not private, f"private names imported across packages: {private}"


def test_the_scan_resolves_relative_and_absolute_imports(tmp_path):
    """The scan itself, on a small tree: relative imports of each depth, absolute ones, and
    imports inside one package (not reported)."""
    pkg = tmp_path / "zonocomb"
    (pkg / "search").mkdir(parents=True)
    (tmp_path / "proofs_checks").mkdir()
    (pkg / "search" / "gls.py").write_text(
        "from ..convex.region import RegionProgram\n"
        "from . import _common\n"
        "from .. import errors\n"
        "import zonocomb.cli._x\n"
        "from zonocomb.exact import _y, z\n")
    (tmp_path / "proofs_checks" / "a.py").write_text("from zonocomb import Dataset\nfrom .base import main\n")
    assert cross_package_imports(tmp_path) == [
        ("zonocomb/search/gls.py", 1, "search", "convex", ["region", "RegionProgram"]),
        ("zonocomb/search/gls.py", 3, "search", "errors", []),
        ("zonocomb/search/gls.py", 4, "search", "cli", ["_x"]),
        ("zonocomb/search/gls.py", 5, "search", "exact", ["_y", "z"]),
        ("proofs_checks/a.py", 1, "proofs_checks", "__init__", ["Dataset"]),
    ]
