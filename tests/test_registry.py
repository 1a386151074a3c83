"""The registry of search methods (zonocomb.search.METHODS, get_method, run_method)."""
import numpy as np
import pytest

from zonocomb.cli import main
from zonocomb.datasets.synthetic import synthetic
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.dataset import Dataset
from zonocomb.search import (ALIASES, METHODS, exact_erm, get_method, gls, gradient_descent, half_output_weights,
                             mgls, random_vertex, run_method, simulated_annealing, tabu_search)


@pytest.fixture(scope="module")
def data():
    return synthetic(2, 2, seed=1).subset(range(6))


def test_names_are_the_result_methods(data):
    assert list(METHODS) == ["mgls", "gls", "random_vertex", "exact_erm", "gradient_descent",
                             "simulated_annealing", "tabu_search"]
    for name in METHODS:
        result = run_method(name, data, 2, random_state=0, max_steps=30, progress=False)
        assert result.method == name == get_method(name).name
    assert {get_method(old).name for old in ALIASES} == {"exact_erm", "gradient_descent"}


def test_run_method_calls_the_function_with_the_registry_defaults(data):
    assert run_method("gd", data, 2, random_state=3).n_steps == 10_000
    direct = gradient_descent(data, 2, 10_000, lr=1e-3, random_state=3)
    assert np.array_equal(run_method("gradient_descent", data, 2, random_state=3).W, direct.W)
    assert np.array_equal(run_method("mgls", data, 2, random_state=5, lr=0.5).W,
                          mgls(data, 2, max_steps=2048, random_state=5).W)
    assert np.array_equal(run_method("gls", data, 2, random_state=5, max_steps=3).W,
                          gls(data, 2, max_steps=3, random_state=5).W)
    assert run_method("exact", data, 2, progress=False).loss == exact_erm(
        data, half_output_weights(2), progress=False).loss
    logistic = Dataset(data.X_exact, y=[int(t > 0) for t in data.y])
    assert np.array_equal(run_method("random_vertex", logistic, 2, loss="logistic", random_state=2).W,
                          random_vertex(logistic, 2, loss="logistic", mode="classification", random_state=2).W)
    assert np.array_equal(run_method("random_vertex", data, 2, random_state=2).W,
                          random_vertex(data, 2, mode="synthetic", random_state=2).W)
    annealed = run_method("simulated_annealing", data, 2, random_state=6, lr=0.5, max_steps=40)
    assert annealed.n_steps == 40 and annealed.method == "simulated_annealing"
    assert np.array_equal(annealed.W, simulated_annealing(data, 2, max_steps=40, random_state=6).W)
    assert run_method("tabu_search", data, 2, random_state=6).n_steps == tabu_search(
        data, 2, max_steps=100, random_state=6).n_steps
    assert np.array_equal(run_method("tabu_search", data, 2, random_state=6, max_steps=5).pattern,
                          tabu_search(data, 2, max_steps=5, random_state=6).pattern)


def test_unknown_method():
    for bad in ("annealing", None, 3):
        with pytest.raises(InvalidInputError, match="unknown method"):
            get_method(bad)
    assert get_method("exact_erm").stochastic is False and get_method("gls").stochastic is True


def test_cli_accepts_new_and_old_names(tmp_path, capsys):
    ds = synthetic(2, 2, seed=2).subset(range(5))
    csv = tmp_path / "data.csv"
    Dataset(ds.X_exact, y=ds.y_exact).to_csv(csv)
    for name in ("exact", "exact_erm"):
        assert main(["fit", str(csv), "--method", name, "--units", "2"]) == 0
        assert "method: exact_erm" in capsys.readouterr().out


def test_cli_and_estimator_run_the_oracle_searches(tmp_path, capsys):
    from zonocomb import ZonotopeRegressor
    ds = synthetic(2, 2, seed=2).subset(range(6))
    csv = tmp_path / "data.csv"
    Dataset(ds.X_exact, y=ds.y_exact).to_csv(csv)
    for name in ("simulated_annealing", "tabu_search"):
        assert main(["fit", str(csv), "--method", name, "--units", "2", "--max-steps", "7", "--seed", "3"]) == 0
        out = capsys.readouterr().out
        assert f"method: {name}" in out and "steps: 7" in out
        expected = get_method(name).function(ds, 2, max_steps=7, random_state=3).loss
        assert f"final mse loss: {expected:.6g}" in out
        # the estimator's default alpha (MLPRegressor's 1e-4) reaches the region programs: its
        # loss_ is the regularised objective, above the plain loss of the same network
        reg = ZonotopeRegressor(n_units=2, method=name, max_iter=7, random_state=0).fit(ds.X_float, ds.y)
        assert reg.result_.method == name and reg.n_iter_ == reg.result_.n_steps <= 7
        plain = ZonotopeRegressor(n_units=2, method=name, max_iter=7, alpha=0, random_state=0).fit(ds.X_float, ds.y)
        assert plain.loss_ == pytest.approx(np.mean((plain.predict(ds.X_float) - ds.y) ** 2), rel=1e-9, abs=1e-12)
        assert reg.loss_ > np.mean((reg.predict(ds.X_float) - ds.y) ** 2)
