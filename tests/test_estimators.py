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
from zonocomb.search import exact_erm
from zonocomb.convex.losses import mean_loss
from zonocomb.search import forward, half_output_weights

# Checks that conflict with the design, with the reason.
_EXPECTED_FAILURES: dict = {}


@parametrize_with_checks(
    [ZonotopeRegressor(n_units=2, max_steps=5, random_state=0),
     ZonotopeClassifier(n_units=2, max_steps=1, random_state=0)],
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
    reg = ZonotopeRegressor(n_units=2, method=method, max_steps=200 if method == "gradient_descent" else None,
                            random_state=0).fit(X, y)
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
    fitted = ZonotopeRegressor(n_units=2, method=new, max_steps=20, random_state=4).fit(ds.X_float, ds.y)
    assert fitted.result_.method == new
    with pytest.warns(DeprecationWarning, match=f"method='{old}' is deprecated"):
        alias = ZonotopeRegressor(n_units=2, method=old, max_steps=20, random_state=4).fit(ds.X_float, ds.y)
    assert alias.result_.method == new and np.array_equal(alias.W_, fitted.W_)


def test_classifier_maps_any_two_labels(problem):
    ds = problem.dataset
    labels = np.where(ds.y > np.median(ds.y), "high", "low")
    clf = ZonotopeClassifier(n_units=2, method="mgls", random_state=1).fit(ds.X_float, labels)
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
    clf = ZonotopeClassifier(n_units=4, method="gradient_descent", max_steps=50, random_state=0)
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
    with pytest.raises(InvalidInputError, match="max_steps"):
        ZonotopeRegressor(max_steps=-2).fit(X, y)
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
