"""The scikit-learn estimators against MLPRegressor / MLPClassifier at equal width (issue 14).

Data (scikit-learn's bundled copies, no download):

* diabetes, the first 200 examples (10 features), 3-fold R² (``KFold(3, shuffle=True,
  random_state=0)``);
* breast cancer (569 examples, 30 features), 3-fold log-loss (``StratifiedKFold(3, shuffle=True,
  random_state=0)``, scoring ``neg_log_loss``: higher is better, 0 is perfect).

Every model is a pipeline ``StandardScaler() -> estimator``. Rows:

* ``zonocomb default``: :class:`ZonotopeRegressor` / :class:`ZonotopeClassifier` with
  ``n_units=8`` and the defaults (mGLS, ``max_time`` 10 s);
* ``zonocomb early stopping``: the same with ``early_stopping=True``;
* ``zonocomb grid``: ``GridSearchCV`` (inner 3-fold) over ``n_units`` in {2, 4, 8} and, when the
  estimator has the parameter, ``alpha`` (L2 weight decay) in {0.1, 1, 10};
* ``MLP (8,)``: ``MLPRegressor`` / ``MLPClassifier`` with ``hidden_layer_sizes=(8,)`` and
  ``max_iter`` from ``--mlp-max-iter`` (default 5000: with scikit-learn's 200, adam stops far from
  convergence on diabetes, whose labels are in the hundreds), otherwise default;
* ``MLP grid``: the same grid over width and ``alpha``.

The table gives each fold's score, their mean, and the wall time of the whole cross-validation.
A last line times one default ``ZonotopeRegressor`` fit on N = 2000, d = 10 (Gaussian examples,
labels of a random 8-unit ReLU network) against the 10 s goal of issue 14.

Usage: ``nice python benchmarks/estimators.py [--quick] [--only zonocomb|mlp] [--mlp-max-iter N]``
(``--quick``: no grid searches).
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from zonocomb import ZonotopeClassifier, ZonotopeRegressor

WIDTHS = [2, 4, 8]
ALPHAS = [0.1, 1.0, 10.0]


def _grid(estimator, width_name: str, widths) -> dict:
    grid = {f"{type(estimator).__name__.lower()}__{width_name}": widths}
    if "alpha" in estimator.get_params():
        grid[f"{type(estimator).__name__.lower()}__alpha"] = ALPHAS
    return grid


def _models(task: str, quick: bool, only: str | None, mlp_max_iter: int) -> list[tuple[str, object]]:
    if task == "regression":
        ours, mlp = ZonotopeRegressor, MLPRegressor
    else:
        ours, mlp = ZonotopeClassifier, MLPClassifier
    rows = [("zonocomb default", make_pipeline(StandardScaler(), ours(n_units=8, random_state=0))),
            ("zonocomb early stopping",
             make_pipeline(StandardScaler(), ours(n_units=8, early_stopping=True, random_state=0))),
            ("MLP (8,)", make_pipeline(StandardScaler(), mlp(hidden_layer_sizes=(8,), max_iter=mlp_max_iter,
                                                             random_state=0)))]
    if not quick:
        z = make_pipeline(StandardScaler(), ours(n_units=8, random_state=0))
        m = make_pipeline(StandardScaler(), mlp(hidden_layer_sizes=(8,), max_iter=mlp_max_iter, random_state=0))
        rows.insert(2, ("zonocomb grid", GridSearchCV(z, _grid(ours(), "n_units", WIDTHS), cv=3,
                                                      scoring=_scoring(task))))
        rows.append(("MLP grid", GridSearchCV(m, _grid(mlp(), "hidden_layer_sizes", [(w,) for w in WIDTHS]),
                                              cv=3, scoring=_scoring(task))))
    if only is not None:
        rows = [row for row in rows if row[0].lower().startswith(only)]
    return rows


def _scoring(task: str) -> str:
    return "r2" if task == "regression" else "neg_log_loss"


def _data(task: str):
    if task == "regression":
        X, y = load_diabetes(return_X_y=True)
        return X[:200], y[:200], KFold(3, shuffle=True, random_state=0)
    X, y = load_breast_cancer(return_X_y=True)
    return X, y, StratifiedKFold(3, shuffle=True, random_state=0)


def _timing() -> tuple[float, int]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 10))
    W, v = rng.standard_normal((8, 10)), rng.standard_normal(8)
    y = np.maximum(X @ W.T + rng.standard_normal(8), 0) @ v
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = ZonotopeRegressor(random_state=0).fit(X, y)
    return time.perf_counter() - start, reg.n_iter_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="no grid searches")
    parser.add_argument("--only", choices=["zonocomb", "mlp"], default=None, help="run only these rows")
    parser.add_argument("--mlp-max-iter", type=int, default=5000, help="max_iter of the MLPs (default 5000)")
    args = parser.parse_args()
    print(f"{'task':<24} {'model':<24} {'fold scores':<26} {'mean':>8} {'seconds':>8}")
    for task, name in (("regression", "diabetes[:200] R²"), ("classification", "breast cancer -logloss")):
        X, y, cv = _data(task)
        for label, model in _models(task, args.quick, args.only, args.mlp_max_iter):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores = cross_val_score(model, X, y, cv=cv, scoring=_scoring(task))
            folds = " ".join(f"{s:7.3f}" for s in scores)
            print(f"{name:<24} {label:<24} {folds:<26} {scores.mean():8.3f} {time.perf_counter() - start:8.1f}",
                  flush=True)
    if args.only == "mlp":
        return
    seconds, n_iter = _timing()
    print(f"\ndefault ZonotopeRegressor fit, N = 2000, d = 10: {seconds:.1f} s ({n_iter} iterations; goal < 10 s)")


if __name__ == "__main__":
    main()
