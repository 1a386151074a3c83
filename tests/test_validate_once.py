"""A search checks its input once, at its boundary (docs/design.md §7.4).

The check functions are wrapped by call counters wherever a zonocomb module holds them, so a
check added again anywhere on the way from ``gls``/``zonocomb fit`` to the solver shows up here.
"""
import pickle
import sys

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.cli import main
from zonocomb.convex import RegionProblem, RegionProgram, backends, losses, problem
from zonocomb.errors import InvalidInputError, InvalidTypeError
from zonocomb.search import exact_erm, gls, half_output_weights, mgls
from zonocomb.search.rounds import run_in_rounds

CHECKS = {"check_loss": losses.check_loss, "check_labels": losses.check_labels,
          "check_output_weights": problem.check_output_weights, "backend_spec": backends.backend_spec}


@pytest.fixture
def calls(monkeypatch):
    """Counts of the calls of each function in CHECKS, from every module that refers to it."""
    counts = dict.fromkeys(CHECKS, 0)
    patched = set()
    for name, original in CHECKS.items():
        def counting(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)
        for module in [m for key, m in sys.modules.items() if key.startswith("zonocomb") and m is not None]:
            for attr, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, attr, counting)
                    patched.add(name)
    assert patched == set(CHECKS)
    return counts


@pytest.fixture(scope="module")
def noisy():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((16, 2))
    return Dataset(X, y=(X[:, 0] * X[:, 1] > 0).astype(float))


@pytest.mark.parametrize("search", [gls, mgls])
@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_a_search_checks_loss_labels_and_v_once(noisy, calls, search, loss):
    result = search(noisy, 3, loss=loss, random_state=0)
    assert result.n_steps >= 1 and result.n_solves > 1
    assert calls == dict.fromkeys(CHECKS, 1)


def test_a_search_in_rounds_checks_once(noisy, calls):
    rounds = []
    outcome = run_in_rounds("gls", noisy, 3, loss="mse", random_state=np.random.default_rng(0),
                            on_round=lambda result, moves, seconds: rounds.append(moves) and False)
    assert len(rounds) >= 3 and outcome.stopped == "local_minimum"
    assert calls == dict.fromkeys(CHECKS, 1)


def test_fit_command_checks_once(noisy, calls, tmp_path, capsys):
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([np.asarray(noisy.X_float), noisy.y]), delimiter=",")
    assert main(["fit", str(path), "--units", "3", "--method", "gls", "--loss", "logistic"]) == 0
    steps = int(capsys.readouterr().out.split("steps: ")[1].split()[0])
    assert steps >= 2                                             # more than one round
    assert calls == dict.fromkeys(CHECKS, 1)


def test_exact_erm_checks_once_for_all_chunks(calls):
    ds = Dataset([[0.0], [1.0], [2.5], [4.0]], y=[1.0, -1.0, 2.0, 0.5])
    result = exact_erm(ds, [1.0, -1.0], chunk_size=2, n_jobs=1)
    assert len(result.trace) >= 3                                 # several chunks, one program each
    assert calls == dict.fromkeys(CHECKS, 1)


def test_a_program_from_a_checked_problem_checks_nothing_again(noisy, calls):
    checked = RegionProblem(noisy, half_output_weights(4), loss="logistic")
    assert calls["check_labels"] == calls["check_output_weights"] == 1
    program = RegionProgram.from_problem(checked)
    assert calls["check_labels"] == calls["check_output_weights"] == calls["check_loss"] == 1
    assert program.problem is checked and program.loss == "logistic" and program.m == 4
    with pytest.raises(InvalidTypeError, match="problem must be a RegionProblem"):
        RegionProgram.from_problem(noisy)


def test_the_checks_still_name_the_bad_input(noisy):
    with pytest.raises(InvalidInputError, match="unknown loss 'hinge'; expected one of mse, logistic, l1"):
        gls(noisy, 2, loss="hinge")
    with pytest.raises(InvalidInputError, match=r"label 3 \(0-based\) of y is 2\.0"):
        mgls(noisy.with_labels(np.where(np.arange(16) == 3, 2.0, 1.0)), 2, loss="logistic")
    with pytest.raises(InvalidInputError, match="output weights v have length 3, expected 2"):
        gls(noisy, 2, v=[1.0, -1.0, 1.0])
    with pytest.raises(InvalidInputError, match=r"output weight v\[1\] is not finite"):
        RegionProgram(noisy, [1.0, np.nan])
    with pytest.raises(InvalidTypeError, match="fit_bias must be a bool"):
        RegionProblem(noisy, [1.0], fit_bias="no")
    with pytest.raises(InvalidInputError, match="unknown backend 'gurobi'"):
        run_in_rounds("gls", noisy, 2, backend="gurobi")


def test_a_checked_problem_is_immutable_and_pickles(noisy):
    checked = RegionProblem(noisy, [1.0, -1.0], loss="logistic", alpha=0.5)
    with pytest.raises(AttributeError):
        checked.loss = "mse"
    with pytest.raises(ValueError):
        checked.y[0] = 5.0                                       # read-only labels
    again = pickle.loads(pickle.dumps(checked))
    assert (again.loss, again.alpha, again.fit_bias, again.m) == ("logistic", 0.5, True, 2)
    assert np.array_equal(again.y, checked.y) and np.array_equal(again.v, checked.v)
    assert not again.y.flags.writeable and not again.v.flags.writeable
    other = checked.with_output_weights([2.0, 3.0, 4.0])
    assert other.m == 3 and other.y is checked.y and checked.m == 2
