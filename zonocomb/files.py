"""Writing result files safely: check a destination before the work, replace it atomically after.

A file that people or scripts read (a fitted network, a report, a GraphML graph) is written to a
temporary file in the same directory and moved over the destination with :func:`os.replace`, so a
reader sees the old file or the new one, never half of one, and an interrupted run leaves no
truncated output.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import InvalidInputError

__all__ = ["check_writable", "atomic_write"]


def check_writable(path, what: str = "output file") -> Path:
    """Check, before any computing, that ``path`` can be created or replaced.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InvalidInputError
        The parent directory does not exist or is not writable, or ``path`` is a directory.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InvalidInputError(f"{what} {path} is a directory")
    if not parent.is_dir():
        raise InvalidInputError(f"cannot write the {what} {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidInputError(f"cannot write the {what} {path}: permission denied")
    return path


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", **open_kwargs):
    """Open a temporary file beside ``path`` for writing; on success move it over ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was. ``mode`` is
    ``"w"`` or ``"wb"``; ``open_kwargs`` go to :func:`open` (``newline``, ``encoding``).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
