"""The proofs_checks registry, every check, and ``zonocomb check``.

Every check runs (the slow ones are marked ``slow``). The parametrization lists the package's modules, so checks added later by anyone are run here
without editing this file.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zonocomb import proofs_checks
from zonocomb.proofs_checks.base import CheckResult, format_result
from zonocomb.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def _check_params():
    """Every registered check; those not FAST carry the ``slow`` mark (they still run in CI)."""
    return [pytest.param(name, marks=() if proofs_checks.load_check(name).FAST else pytest.mark.slow)
            for name in proofs_checks.check_names()]


@pytest.mark.parametrize("name", _check_params())
def test_check_passes(name):
    mod = proofs_checks.load_check(name)
    result = mod.run()
    assert isinstance(result, CheckResult) and result.name == mod.NAME
    assert result.n_instances > 0
    assert result.passed, format_result(result)


def test_registry_lists_checks_not_helpers():
    names = proofs_checks.check_names()
    assert {"vertex_count", "power_structure"} <= set(names)
    assert not {"base", "brute", "cones"} & set(names) and not any(n.startswith("_") for n in names)


def test_crashing_check_is_a_failed_result(monkeypatch):
    class Broken:
        NAME, STATEMENT, FAST = "broken", "1 = 2", True

        @staticmethod
        def run():
            raise ArithmeticError("boom")

    monkeypatch.setattr(proofs_checks, "load_check", lambda name: Broken)
    r = proofs_checks.run_check("broken")
    assert not r.passed and r.name == "broken" and "ArithmeticError: boom" in r.details


def test_cli_table_and_exit_status(monkeypatch, capsys):
    outcome = {"vertex_count": True, "power_structure": False}
    monkeypatch.setattr(proofs_checks, "run_check", lambda name: CheckResult(
        name, f"statement of {name}", 3, outcome[name], "ok  instance" if outcome[name] else "FAIL x", 0.5))
    assert cli_main(["check", "--only", "vertex_count"]) == 0
    out = capsys.readouterr().out
    assert "vertex_count" in out and "PASS" in out and "1 of 1 checks passed" in out
    assert cli_main(["check", "--only", "vertex_count", "--only", "power_structure"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "1 of 2 checks passed" in out and "FAIL x" in out


def test_cli_unknown_check(capsys):
    assert cli_main(["check", "--only", "no_such_statement"]) == 2
    assert "unknown check 'no_such_statement'" in capsys.readouterr().err


def test_cli_runs_a_real_check(capsys):
    assert cli_main(["check", "--only", "vertex_count", "--fast"]) == 0
    assert "vertex_count" in capsys.readouterr().out


def test_check_module_runs_alone():
    proc = subprocess.run([sys.executable, "-m", "zonocomb.proofs_checks.vertex_count"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "vertex_count: PASSED" in proc.stdout


def test_installed_under_the_zonocomb_namespace_only(tmp_path):
    """Outside the repository (so the checkout's top-level directory is not on sys.path), the
    checks import as zonocomb.proofs_checks and no top-level proofs_checks is installed."""
    code = ("import importlib.util as u; import zonocomb.proofs_checks as p; "
            "print(u.find_spec('proofs_checks') is None, 'vertex_count' in p.check_names())")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True"]
