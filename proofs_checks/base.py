"""What a check module returns, and the small helpers every check module uses.

A check module ``proofs_checks/<name>.py`` verifies one statement of the paper on several small
instances with fixed seeds. It defines ``NAME`` (short id), ``STATEMENT`` (one line citing the
paper), ``FAST`` (bool: cheap enough for the test suite) and ``run() -> CheckResult``, and ends with
``if __name__ == "__main__": raise SystemExit(main(run()))`` so that
``python -m zonocomb.proofs_checks.<name>`` runs it alone.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["CheckResult", "Tally", "main", "format_result"]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check.

    Attributes
    ----------
    name : str
        The check's ``NAME``.
    statement : str
        The check's ``STATEMENT``.
    n_instances : int
        Number of instances examined.
    passed : bool
        True when every instance satisfied the statement.
    details : str
        One line per instance (failures first), or the exception that stopped the check.
    seconds : float
        Wall-clock time of the run.
    """
    name: str
    statement: str
    n_instances: int
    passed: bool
    details: str
    seconds: float


class Tally:
    """Collects per-instance outcomes of a check and turns them into a :class:`CheckResult`.

    Examples
    --------
    >>> t = Tally("demo", "1 + 1 = 2")
    >>> t.record("ints", 1 + 1 == 2, "1 + 1 = 2")
    >>> r = t.result()
    >>> r.passed, r.n_instances, r.details
    (True, 1, 'ok   ints: 1 + 1 = 2')
    """

    def __init__(self, name: str, statement: str):
        self.name, self.statement = name, statement
        self._start = time.perf_counter()
        self._lines: list[tuple[bool, str]] = []

    def record(self, label: str, ok: bool, info: str = "") -> None:
        """Record one instance: its label, whether the statement held, and what was measured."""
        self._lines.append((bool(ok), f"{'ok  ' if ok else 'FAIL'} {label}: {info}".rstrip(": ")))

    def result(self) -> CheckResult:
        passed = bool(self._lines) and all(ok for ok, _ in self._lines)
        lines = [l for ok, l in self._lines if not ok] + [l for ok, l in self._lines if ok]
        if not self._lines:
            lines = ["no instance was examined"]
        return CheckResult(self.name, self.statement, len(self._lines), passed, "\n".join(lines),
                           time.perf_counter() - self._start)


def format_result(result: CheckResult) -> str:
    """A human-readable report of one result."""
    head = (f"{result.name}: {'PASSED' if result.passed else 'FAILED'} on {result.n_instances} "
            f"instance(s) in {result.seconds:.2f} s\n  {result.statement}")
    return head + "\n" + "\n".join("    " + l for l in result.details.splitlines())


def main(result: CheckResult) -> int:
    """Print a result and return the exit status (0 passed, 1 failed); for ``python -m``."""
    print(format_result(result))
    return 0 if result.passed else 1
