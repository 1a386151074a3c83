"""What the tests that read the repository's own source share (tests/test_layers.py,
tests/test_private_hooks.py, tests/test_lint.py): where it is, its Python files, and which names
are private."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PRIVATE = re.compile(r"^_[A-Za-z]\w*$")


def python_files(root: Path, folder: str) -> list[Path]:
    """The Python files under ``root / folder``, sorted (none if the folder is absent)."""
    return sorted((root / folder).rglob("*.py"))


def is_private(name: str) -> bool:
    """A private identifier: one leading underscore, not a dunder (``_x``, ``_X``, not ``__x``)."""
    return bool(_PRIVATE.match(name)) and not name.startswith("__")
