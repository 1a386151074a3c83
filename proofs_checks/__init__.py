"""Executable checks of the paper's statements, one module per statement (``zonocomb check``).

The directory proofs_checks/ installs as ``zonocomb.proofs_checks`` (setup.py), never as a top-level
``proofs_checks``; import it under that name.

Discovery lists this package's modules: every module is a check except the helpers :mod:`.base`
(what a check module defines), :mod:`.brute` and :mod:`.cones` (exact LP oracles, also used by the
tests) and names starting with ``_``, so adding ``proofs_checks/<name>.py`` registers it with no
shared list to edit.
"""
from __future__ import annotations

import importlib
import pkgutil
import time
import traceback

from zonocomb.errors import InvalidTypeError

from .base import CheckResult

__all__ = ["CheckResult", "check_names", "load_check", "run_check"]

_NOT_CHECKS = {"base", "brute", "cones"}
_ATTRIBUTES = ("NAME", "STATEMENT", "FAST", "run")


def check_names() -> list[str]:
    """Module names of all checks, sorted (nothing is imported)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_") and m.name not in _NOT_CHECKS and not m.ispkg)


def load_check(module_name: str):
    """Import the check module ``zonocomb.proofs_checks.<module_name>`` and validate its interface.

    Raises
    ------
    ImportError
        The module does not exist or fails to import.
    InvalidTypeError
        The module lacks NAME, STATEMENT, FAST or run, or they have the wrong types.
    """
    mod = importlib.import_module(f"{__name__}.{module_name}")
    missing = [a for a in _ATTRIBUTES if not hasattr(mod, a)]
    if missing:
        raise InvalidTypeError(f"check module {__name__}.{module_name} lacks {', '.join(missing)}")
    if not (isinstance(mod.NAME, str) and isinstance(mod.STATEMENT, str) and isinstance(mod.FAST, bool)
            and callable(mod.run)):
        raise InvalidTypeError(f"check module {__name__}.{module_name}: NAME and STATEMENT must be str, "
                        "FAST bool and run callable")
    return mod


def run_check(module_name: str) -> CheckResult:
    """Load and run one check; an exception becomes a failed result carrying its traceback."""
    start = time.perf_counter()
    mod = None
    try:
        mod = load_check(module_name)
        result = mod.run()
        if not isinstance(result, CheckResult):
            raise InvalidTypeError(f"{__name__}.{module_name}.run() returned {type(result).__name__}, "
                            "not CheckResult")
        return result
    except Exception as exc:  # a crashing check is a failed check, reported, not a crashed runner
        name = getattr(mod, "NAME", module_name)
        statement = getattr(mod, "STATEMENT", "(the check could not be loaded)")
        return CheckResult(name, statement, 0, False,
                           f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}",
                           time.perf_counter() - start)
