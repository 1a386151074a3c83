"""scikit-learn estimators and the ``zonocomb fit`` command."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from zonocomb import Dataset, ZonotopeClassifier, ZonotopeRegressor
from zonocomb.cli import main
from zonocomb.datasets.synthetic import synthetic, synthetic_problem
from zonocomb.errors import InvalidInputError, InvalidTypeError
from zonocomb.search import exact_erm, mgls
from zonocomb.convex.losses import mean_loss
from zonocomb.search import forward, half_output_weights

# Checks that conflict with the design, with the reason.
_EXPECTED_FAILURES: dict = {}


@parametrize_with_checks(
    [ZonotopeRegressor(n_units=2, max_iter=5, random_state=0),
     ZonotopeClassifier(n_units=2, max_iter=1, random_state=0)],
    expected_failed_checks=lambda est: _EXPECTED_FAILURES.get(type(est).__name__, {}))
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def problem():
    return synthetic_problem(2, 2, seed=0)


@pytest.mark.parametrize("method", ["mgls", "gls", "random_vertex", "exact_erm", "gradient_descent"])
def test_regressor_methods(problem, method):
    ds = problem.dataset
    X, y = ds.X_float, ds.y
    reg = ZonotopeRegressor(n_units=2, method=method, max_iter=200 if method == "gradient_descent" else None,
                            alpha=0, random_state=0).fit(X, y)
    assert reg.W_.shape == (2, 3) and reg.pattern_.shape == (2, ds.N) and reg.n_features_in_ == 2
    assert reg.loss_ == pytest.approx(mean_loss("mse", reg.predict(X), y), rel=1e-6, abs=1e-9)
    assert reg.score(X, y) == pytest.approx(1 - reg.loss_ / np.var(y), rel=1e-6, abs=1e-9)


def test_exact_method_matches_exact_erm(problem):
    ds = problem.dataset.subset(range(5))
    reg = ZonotopeRegressor(n_units=2, method="exact_erm").fit(ds.X_float, ds.y)
    assert reg.loss_ == pytest.approx(exact_erm(ds, half_output_weights(2), progress=False).loss, abs=1e-9)


@pytest.mark.parametrize("old, new", [("exact", "exact_erm"), ("gd", "gradient_descent")])
def test_old_method_names_are_deprecated_aliases(problem, old, new):
    ds = problem.dataset.subset(range(5))
    fitted = ZonotopeRegressor(n_units=2, method=new, max_iter=20, random_state=4).fit(ds.X_float, ds.y)
    assert fitted.result_.method == new
    with pytest.warns(DeprecationWarning, match=f"method='{old}' is deprecated"):
        alias = ZonotopeRegressor(n_units=2, method=old, max_iter=20, random_state=4).fit(ds.X_float, ds.y)
    assert alias.result_.method == new and np.array_equal(alias.W_, fitted.W_)


def test_classifier_maps_any_two_labels(problem):
    ds = problem.dataset
    labels = np.where(ds.y > np.median(ds.y), "high", "low")
    clf = ZonotopeClassifier(n_units=2, method="mgls", alpha=0, random_state=1).fit(ds.X_float, labels)
    assert clf.classes_.tolist() == ["high", "low"]
    logits = clf.decision_function(ds.X_float)
    assert set(clf.predict(ds.X_float)) <= {"high", "low"}
    assert np.array_equal(clf.predict(ds.X_float) == "low", logits > 0)
    targets = (labels == "low").astype(float)
    assert clf.loss_ == pytest.approx(mean_loss("logistic", logits, targets), rel=1e-6, abs=1e-9)
    proba = clf.predict_proba(ds.X_float)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logits)))
    assert clf.v_.tolist() == [1.0, -1.0]


def test_classifier_gd_freezes_output_weights(problem):
    ds = problem.dataset
    clf = ZonotopeClassifier(n_units=4, method="gradient_descent", max_iter=50, random_state=0)
    clf.fit(ds.X_float, (ds.y > 0).astype(int))
    assert clf.v_.tolist() == [1, 1, -1, -1]


def test_parameters_are_validated_in_fit(problem):
    X, y = problem.dataset.X_float, problem.dataset.y
    est = ZonotopeRegressor(method="annealing")  # no error at construction
    with pytest.raises(InvalidInputError, match="unknown method"):
        est.fit(X, y)
    with pytest.raises(InvalidInputError, match="unknown loss"):
        ZonotopeRegressor(loss="logistic").fit(X, y)
    with pytest.raises(InvalidInputError, match="n_units"):
        ZonotopeRegressor(n_units=0).fit(X, y)
    with pytest.raises(InvalidInputError, match="max_iter"):
        ZonotopeRegressor(max_iter=-2).fit(X, y)
    with pytest.raises(InvalidInputError, match="max_time"):
        ZonotopeRegressor(max_time=0).fit(X, y)
    with pytest.raises(InvalidInputError, match="validation_fraction"):
        ZonotopeRegressor(validation_fraction=1.0).fit(X, y)
    with pytest.raises(InvalidTypeError, match="early_stopping"):
        ZonotopeRegressor(early_stopping="yes").fit(X, y)
    with pytest.raises(InvalidTypeError, match="fit_bias"):
        ZonotopeRegressor(fit_bias="yes").fit(X, y)
    with pytest.raises(InvalidInputError, match="Only binary"):
        ZonotopeClassifier().fit(X, np.arange(len(y)) % 3)


def test_cli_fit_writes_the_network(tmp_path, capsys):
    ds = synthetic(2, 2, seed=2)
    csv = tmp_path / "data.csv"
    Dataset(ds.X_exact, y=ds.y_exact).to_csv(csv)
    out = tmp_path / "net.json"
    assert main(["fit", str(csv), "--method", "gls", "--units", "2", "--seed", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "final mse loss" in text and "convex programs solved" in text and "time" in text
    net = json.loads(out.read_text())
    assert net["method"] == "gls" and net["seed"] == 3 and len(net["pattern"]) == 2
    W, v, c = np.array(net["W"]), np.array(net["v"]), net["c"]
    direct = mean_loss("mse", forward(ds.generators_float, W, v, c), ds.y)
    assert direct == pytest.approx(net["loss"], rel=1e-6, abs=1e-9)


def test_cli_fit_logistic_and_errors(tmp_path, capsys):
    ds = synthetic(2, 2, seed=2)
    csv = tmp_path / "data.csv"
    Dataset(ds.X_exact, y=[int(t > 0) for t in ds.y]).to_csv(csv)
    assert main(["fit", str(csv), "--method", "random_vertex", "--units", "2", "--loss", "logistic"]) == 0
    assert "training accuracy" in capsys.readouterr().out
    assert main(["fit", str(csv), "--units", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    Dataset(ds.X_exact, y=ds.y_exact).to_csv(bad)
    assert main(["fit", str(bad), "--loss", "logistic"]) == 2
    assert "labels in {0, 1}" in capsys.readouterr().err


# ----- issue 14: rounds, max_iter / max_time, early stopping, verbose ---------------------------------
def test_max_steps_is_a_deprecated_name_of_max_iter(problem):
    X, y = problem.dataset.X_float, problem.dataset.y
    new = ZonotopeRegressor(n_units=2, method="gls", max_iter=3, random_state=5).fit(X, y)
    with pytest.warns(DeprecationWarning, match="max_steps is deprecated"):
        old = ZonotopeRegressor(n_units=2, method="gls", max_steps=3, random_state=5).fit(X, y)
    assert np.array_equal(old.W_, new.W_) and old.n_iter_ == new.n_iter_ <= 3


def test_rounds_respect_max_iter_and_continue_from_the_last_vertex(problem):
    from zonocomb.search.rounds import ROUND_STEPS
    X, y = problem.dataset.X_float, problem.dataset.y
    budget = 2 * ROUND_STEPS + 3  # several rounds, the last one cut by the budget
    reg = ZonotopeRegressor(n_units=3, method="mgls", alpha=0, max_iter=budget, max_time=None,
                            random_state=0).fit(X, y)
    assert reg.n_iter_ <= budget
    # A search continued from the kept vertex finds no improving move when that was a local minimum.
    if reg.result_.info["local_minimum"]:
        again = mgls(problem.dataset, 3, max_steps=5, start=reg.pattern_, random_state=1)
        assert again.loss == pytest.approx(reg.loss_, rel=1e-9, abs=1e-12)


def test_max_time_stops_between_rounds_with_a_warning(problem):
    from sklearn.exceptions import ConvergenceWarning
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((80, 3)), rng.standard_normal(80)  # noise: many improving moves
    with pytest.warns(ConvergenceWarning, match="max_time"):
        reg = ZonotopeRegressor(n_units=4, method="mgls", max_time=1e-9, random_state=0).fit(X, y)
    assert reg.n_iter_ == 0 and reg.result_.info["stopped"] == "max_time"  # out of time in the set-up


def test_early_stopping_keeps_the_best_validation_network(problem, monkeypatch):
    import zonocomb.estimators as est
    split = {}
    real = est.train_test_split

    def recording(*args, **kwargs):
        parts = real(*args, **kwargs)
        split["X_val"], split["y_val"] = parts[1], parts[3]
        return parts

    monkeypatch.setattr(est, "train_test_split", recording)
    X, y = problem.dataset.X_float, problem.dataset.y
    reg = ZonotopeRegressor(n_units=2, method="mgls", early_stopping=True, validation_fraction=0.25,
                            n_iter_no_change=2, max_iter=200, max_time=None, random_state=0).fit(X, y)
    assert len(split["X_val"]) == int(np.ceil(0.25 * len(X)))
    independent = np.mean((reg.predict(split["X_val"]) - split["y_val"]) ** 2)
    assert reg.best_validation_loss_ == pytest.approx(independent, rel=1e-9, abs=1e-12)
    assert reg.best_validation_loss_ == min(reg.validation_losses_)
    # The classifier's split is stratified: both classes on both sides.
    labels = (y > np.median(y)).astype(int)
    ZonotopeClassifier(n_units=2, early_stopping=True, validation_fraction=0.3, max_iter=20,
                       random_state=0).fit(X, labels)
    assert set(split["y_val"]) == {0.0, 1.0}
    with pytest.raises(InvalidInputError, match="at least 2 training and 2 validation"):
        ZonotopeRegressor(early_stopping=True).fit(X[:3], y[:3])


def test_verbose_prints_progress(problem, capsys):
    X, y = problem.dataset.X_float, problem.dataset.y
    ZonotopeRegressor(n_units=2, method="gls", max_iter=40, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    ZonotopeRegressor(n_units=2, method="gls", max_iter=40, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("round ") and "training loss" in line for line in lines)


def test_alpha_is_mlp_weight_decay_in_the_region_programs(problem):
    X, y = problem.dataset.X_float, problem.dataset.y
    N = len(y)
    for alpha in (1e-4, 0.5, 5.0):
        reg = ZonotopeRegressor(n_units=2, method="gls", alpha=alpha, random_state=0).fit(X, y)
        # loss_ is the objective the searches minimised: MSE + (alpha / N) ||W||^2 (MLP's meaning).
        objective = mean_loss("mse", reg.predict(X), y) + alpha / N * np.sum(reg.W_ ** 2)
        assert reg.loss_ == pytest.approx(objective, rel=1e-6, abs=1e-9)
    with pytest.raises(InvalidInputError, match="methods mgls, gls, simulated_annealing, tabu_search, not"):
        ZonotopeRegressor(method="random_vertex", alpha=0.1).fit(X, y)
    ZonotopeRegressor(n_units=2, method="random_vertex", random_state=0).fit(X, y)  # default: no decay


def test_alpha_keeps_classifier_probabilities_meaningful():
    X = np.array([[-3.0], [-2.0], [-1.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 0, 1, 1, 1])  # separable: without decay the logits run off to infinity
    free = ZonotopeClassifier(n_units=2, method="gls", alpha=0, random_state=0).fit(X, y)
    decayed = ZonotopeClassifier(n_units=2, method="gls", alpha=1.0, random_state=0).fit(X, y)
    assert np.abs(free.decision_function(X)).max() > 20
    proba = decayed.predict_proba(X)[:, 1]
    assert np.all((proba > 0.01) & (proba < 0.99))
    assert np.array_equal(decayed.predict(X), y)
    objective = (mean_loss("logistic", decayed.decision_function(X), y.astype(float))
                 + 1.0 / (2 * len(y)) * np.sum(decayed.W_ ** 2))
    assert decayed.loss_ == pytest.approx(objective, rel=1e-6, abs=1e-9)


def test_default_alpha_is_1_for_the_classifier_and_10_for_the_regressor():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 2))
    labels = (X[:, 0] + 0.3 * rng.standard_normal(30) > 0).astype(int)
    default = ZonotopeClassifier(n_units=2, method="gls", random_state=0).fit(X, labels)
    explicit = ZonotopeClassifier(n_units=2, method="gls", alpha=1.0, random_state=0).fit(X, labels)
    assert np.array_equal(default.W_, explicit.W_) and default.loss_ == explicit.loss_
    objective = mean_loss("logistic", default.decision_function(X), labels.astype(float)) + np.sum(default.W_ ** 2) / 60
    assert default.loss_ == pytest.approx(objective, rel=1e-6, abs=1e-9)
    y = X[:, 0] ** 2
    reg = ZonotopeRegressor(n_units=2, method="gls", random_state=0).fit(X, y)
    objective = mean_loss("mse", reg.predict(X), y) + 10 / 30 * np.sum(reg.W_ ** 2)
    assert reg.loss_ == pytest.approx(objective, rel=1e-6, abs=1e-12)
