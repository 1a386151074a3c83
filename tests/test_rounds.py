"""zonocomb.search.rounds: a local search in rounds (time budget, progress, early stopping hooks)."""
import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.cli import main
from zonocomb.convex import RegionProgram
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search import half_output_weights
from zonocomb.search.rounds import ROUND_STEPS, run_in_rounds


@pytest.fixture(scope="module")
def noisy():
    rng = np.random.default_rng(3)
    return Dataset(rng.standard_normal((14, 2)), y=rng.standard_normal(14))


@pytest.mark.parametrize("method", ["gls", "mgls"])
def test_rounds_walk_down_to_a_local_minimum(noisy, method):
    seen = []
    outcome = run_in_rounds(method, noisy, 2, max_steps=500, random_state=np.random.default_rng(0),
                            on_round=lambda r, moves, s: seen.append((r.loss, moves)) and False)
    assert outcome.stopped == "local_minimum" and outcome.iterations == outcome.moves + 1
    losses = [loss for loss, _ in seen]
    assert all(b <= a for a, b in zip(losses, losses[1:]))  # each round starts where the last ended
    sizes = np.diff([0] + [moves for _, moves in seen])
    assert sizes[0] <= 1 and max(sizes) <= ROUND_STEPS
    assert outcome.result.n_steps == outcome.moves and outcome.result.n_solves == outcome.n_solves
    # Independent check of the local minimum: solve every neighbour of the final vertex of Z^2.
    power = ZonotopePower(noisy.zonotope(), 2)
    A = outcome.result.pattern
    assert power.is_vertex(A)
    program = RegionProgram(noisy, half_output_weights(2))
    best_neighbour = min(program.solve(B).loss for B in power.neighbors(A))
    assert best_neighbour >= outcome.result.loss * (1 - 1e-6) - 1e-12


@pytest.mark.parametrize("method", ["gls", "mgls"])
def test_rounds_are_one_walk(method):
    """The rounds cut one search into pieces: the same walk as a single call with the same seed."""
    from zonocomb.search import run_method
    rng = np.random.default_rng(3)
    # 28 GLS and 11 mGLS moves: at least 4 rounds whichever way rounding decides a near-tie
    noise = Dataset(rng.standard_normal((120, 2)), y=rng.standard_normal(120))
    hooks = []
    outcome = run_in_rounds(method, noise, 4, max_steps=40, random_state=4,
                            on_round=lambda r, moves, s: hooks.append(moves) and False)
    single = run_method(method, noise, 4, max_steps=40, random_state=4)
    assert len(hooks) >= 4
    assert np.array_equal(outcome.result.pattern, single.pattern)
    assert [row["loss"] for row in outcome.result.trace] == [row["loss"] for row in single.trace]
    assert outcome.moves == single.n_steps and hooks[-1] == outcome.moves
    sizes = np.diff([0] + hooks)
    expected = [min(2 ** k, ROUND_STEPS) for k in range(len(sizes))]
    assert list(sizes[:-1]) == expected[:-1] and 0 < sizes[-1] <= expected[-1]


def test_budget_callback_and_method_checks(noisy):
    outcome = run_in_rounds("mgls", noisy, 3, max_steps=3, random_state=np.random.default_rng(1))
    assert outcome.moves <= 3 and outcome.stopped in ("max_steps", "local_minimum")
    stop_now = run_in_rounds("gls", noisy, 3, random_state=np.random.default_rng(1),
                             on_round=lambda r, moves, s: True)
    assert stop_now.stopped == "callback" and stop_now.moves <= 1
    with pytest.raises(InvalidInputError, match="local search"):
        run_in_rounds("random_vertex", noisy, 2)


def test_fit_cli_max_time(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "noise.csv"
    np.savetxt(path, np.column_stack([rng.standard_normal((60, 3)), rng.standard_normal(60)]), delimiter=",")
    assert main(["fit", str(path), "--units", "4", "--max-time", "1e-9"]) == 0
    out, err = capsys.readouterr()
    assert "steps: 0\n" in out  # the budget ran out during the set-up
    assert err.strip() == "zonocomb fit: warning: stopped by --max-time 1e-09 after 0 moves, before a local minimum"
    assert main(["fit", str(path), "--max-time", "0"]) == 2
