"""scikit-learn estimators for shallow ReLU networks trained by the search algorithms of zonocomb.

:class:`ZonotopeRegressor` and :class:`ZonotopeClassifier` fit ``f(x) = vᵀ φ(W x̄) + c`` (paper
eq. 24/25) with one of the methods of :mod:`zonocomb.search`: ``"mgls"`` (appendix G), ``"gls"``
(Algorithm 2), ``"random_vertex"`` (section 4.2), ``"exact_erm"`` (Algorithm 1),
``"gradient_descent"`` (appendix H), ``"simulated_annealing"`` or ``"tabu_search"``, by their names in :data:`zonocomb.search.METHODS` (the old
names ``"exact"`` and ``"gd"`` still work, with a DeprecationWarning). They follow scikit-learn's
conventions: ``__init__`` only stores its keyword parameters, ``fit`` validates them and returns
``self``, fitted attributes end in ``_``; parameters that mean what they mean for
:class:`sklearn.neural_network.MLPRegressor` carry its names (``max_iter``, ``random_state``,
``verbose``, ``early_stopping``, ``validation_fraction``, ``n_iter_no_change``).

The local searches (``"gls"``, ``"mgls"``) run under :func:`zonocomb.search.rounds.run_in_rounds`:
the search keeps ``max_time``; after every round of moves the estimator prints a progress
line when ``verbose`` and, with ``early_stopping``, scores the network on a held-out part of the
training data and keeps the best one seen.
"""
from __future__ import annotations

import dataclasses
import numbers
import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils import check_random_state as sklearn_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import InvalidInputError, InvalidTypeError
from .geometry.dataset import Dataset
from .search import METHODS, forward, get_method, run_method
from .search.rounds import run_in_rounds
from .convex.losses import mean_loss
from .validation import check_random_state

__all__ = ["ZonotopeRegressor", "ZonotopeClassifier"]



class _ZonotopeNetwork(BaseEstimator):
    """Shared fitting code; subclasses define the loss and how labels become targets."""

    _losses: tuple = ()
    #: What ``alpha=None`` means for the methods with weight decay.
    _default_alpha: float = 10.0

    def _validate_params(self) -> None:
        method = get_method(self.method)
        if method.name != self.method:
            warnings.warn(f"method={self.method!r} is deprecated and will be removed in the next release; "
                          f"use method={method.name!r}", DeprecationWarning, stacklevel=4)
        if self.max_steps is not None:
            warnings.warn("max_steps is deprecated and will be removed in the next release; use max_iter",
                          DeprecationWarning, stacklevel=4)
        if (isinstance(self.n_units, (bool, np.bool_)) or not isinstance(self.n_units, numbers.Integral)
                or self.n_units < 1):
            raise InvalidInputError(f"n_units must be a positive integer, got {self.n_units!r}")
        for name in ("max_iter", "max_steps"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
                                      or value < 0):
                raise InvalidInputError(f"{name} must be None or a non-negative integer, got {value!r}")
        if self.max_time is not None and not (isinstance(self.max_time, numbers.Real)
                                              and not isinstance(self.max_time, (bool, np.bool_))
                                              and self.max_time > 0):
            raise InvalidInputError(f"max_time must be None or a positive number of seconds, got {self.max_time!r}")
        if self.alpha is not None and not (isinstance(self.alpha, numbers.Real)
                                           and not isinstance(self.alpha, (bool, np.bool_))
                                           and np.isfinite(self.alpha) and self.alpha >= 0):
            raise InvalidInputError(f"alpha must be None or a non-negative number, got {self.alpha!r}")
        if self.alpha and "alpha" not in method.keywords:
            supported = ", ".join(name for name, spec in METHODS.items() if "alpha" in spec.keywords)
            raise InvalidInputError(f"alpha (weight decay) is supported by the methods {supported}, not "
                                    f"{method.name!r}; use alpha=0 with it")
        if self._loss() not in self._losses:
            raise InvalidInputError(
                f"unknown loss {self._loss()!r} for {type(self).__name__}; expected one of {', '.join(self._losses)}")
        if not (isinstance(self.learning_rate, numbers.Real) and np.isfinite(self.learning_rate)
                and self.learning_rate > 0):
            raise InvalidInputError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        for name in ("fit_bias", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InvalidTypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if not (isinstance(self.validation_fraction, numbers.Real) and 0 < self.validation_fraction < 1):
            raise InvalidInputError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if (isinstance(self.n_iter_no_change, (bool, np.bool_)) or not isinstance(self.n_iter_no_change, numbers.Integral)
                or self.n_iter_no_change < 1):
            raise InvalidInputError(f"n_iter_no_change must be a positive integer, got {self.n_iter_no_change!r}")
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)):
            raise InvalidInputError(f"verbose must be an int (or bool), got {self.verbose!r}")

    def _budget(self) -> int | None:
        return self.max_iter if self.max_iter is not None else self.max_steps

    def _region_alpha(self, n_samples: int) -> float:
        """The weight decay of the region programs giving ``alpha`` MLPRegressor's meaning: its
        objective is ½·MSE + ½·alpha‖W‖²/N (log-loss + ½·alpha‖W‖²/N), the region program's
        MSE + a‖W‖² (log-loss + a‖W‖²), so a = alpha/N for the MSE and alpha/(2N) for the log-loss."""
        alpha = self.alpha
        if alpha is None:
            alpha = self._default_alpha if "alpha" in get_method(self.method).keywords and self._loss() != "l1" else 0.0
        return float(alpha) / (n_samples if self._loss() == "mse" else 2 * n_samples)

    def _keywords(self, rng, classification: bool, n_samples: int) -> dict:
        return dict(loss=self._loss(), alpha=self._region_alpha(n_samples), fit_bias=bool(self.fit_bias),
                    random_state=rng, backend=self.backend,
                    lr=float(self.learning_rate), train_output=not classification,
                    max_patterns=self.max_patterns, progress=False)

    def _split(self, X, targets, classification: bool, seed: int):
        """The training and validation parts for early stopping (stratified for classifiers)."""
        n_val = int(np.ceil(self.validation_fraction * len(X)))
        if n_val < 2 or len(X) - n_val < 2:
            raise InvalidInputError(
                f"early_stopping needs at least 2 training and 2 validation examples; {len(X)} examples "
                f"with validation_fraction={self.validation_fraction} leave {len(X) - n_val} and {n_val}")
        try:
            return train_test_split(X, targets, test_size=n_val, random_state=seed,
                                    stratify=targets if classification else None)
        except ValueError as exc:  # a class too small to be in both parts
            raise InvalidInputError(f"early_stopping cannot split the data: {exc}") from None

    def _rounds(self, X, targets, classification: bool, rng):
        """A local search in rounds (:func:`zonocomb.search.rounds.run_in_rounds`) with progress
        lines and early stopping; returns (kept result, iterations, validation losses)."""
        if self.early_stopping:
            X_fit, X_val, y_fit, y_val = self._split(X, targets, classification, int(rng.integers(2 ** 31 - 1)))
            G_val = np.hstack([X_val, np.ones((len(X_val), 1))])
        else:
            X_fit, y_fit = X, targets
        kept = {"result": None, "loss": np.inf, "stale": 0, "round": 0}
        val_losses: list[float] = []

        def on_round(result, moves: int, seconds: float) -> bool:
            kept["round"] += 1
            line = f"round {kept['round']}: {moves} moves, training loss {result.loss:.6g}"
            if self.early_stopping:
                val = mean_loss(self._loss(), forward(G_val, result.W, result.v, result.c), y_val)
                val_losses.append(val)
                line += f", validation loss {val:.6g}"
                if val < kept["loss"]:
                    kept.update(result=result, loss=val, stale=0)
                else:
                    kept["stale"] += 1
            if self.verbose:
                print(f"{line}, {seconds:.1f} s", flush=True)
            return self.early_stopping and kept["stale"] >= self.n_iter_no_change

        outcome = run_in_rounds(self.method, Dataset(X_fit, y=y_fit), int(self.n_units), max_steps=self._budget(),
                                max_time=self.max_time, on_round=on_round,
                                **self._keywords(rng, classification, len(X_fit)))
        if outcome.stopped == "max_time":
            warnings.warn(f"{type(self).__name__} stopped after max_time={self.max_time} s and {outcome.moves} "
                          "moves, before a local minimum; raise max_time or max_iter for a longer search",
                          ConvergenceWarning, stacklevel=4)
        result = outcome.result
        if self.early_stopping:  # the best round's network, with the totals of the whole search
            result = dataclasses.replace(kept["result"], n_steps=outcome.moves, n_solves=outcome.n_solves,
                                         seconds=outcome.seconds)
        return result, outcome.iterations, val_losses

    def _fit_targets(self, X, targets, classification: bool):
        self._validate_params()
        # scikit-learn's meaning of random_state (None: numpy's global RandomState), then a Generator
        rng = check_random_state(sklearn_random_state(self.random_state))
        method = get_method(self.method)
        if method.name in ("gls", "mgls"):
            result, steps, val_losses = self._rounds(X, targets, classification, rng)
        else:
            start_time = time.perf_counter()
            result = run_method(self.method, Dataset(X, y=targets), int(self.n_units), max_steps=self._budget(),
                                **self._keywords(rng, classification, len(X)))
            steps, val_losses = result.n_steps, []
            if self.verbose:
                print(f"{method.name}: {steps} steps, training loss {result.loss:.6g}, "
                      f"{time.perf_counter() - start_time:.1f} s", flush=True)
        self.result_ = result
        self.W_ = result.W
        self.v_ = result.v
        self.c_ = result.c
        self.pattern_ = result.pattern
        self.loss_ = result.loss
        self.n_iter_ = steps
        if self.early_stopping and val_losses:
            self.validation_losses_ = val_losses
            self.best_validation_loss_ = min(val_losses)
        return self

    def _decision(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "result_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        G = np.hstack([X, np.ones((X.shape[0], 1))])
        return forward(G, self.W_, self.v_, self.c_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None and get_method(self.method).stochastic
        return tags


class ZonotopeRegressor(RegressorMixin, _ZonotopeNetwork):
    """Shallow ReLU network regressor trained by combinatorial search over activation regions.

    Parameters
    ----------
    n_units : int, default 8
        Hidden units m.
    method : {"mgls", "gls", "random_vertex", "exact_erm", "gradient_descent", "simulated_annealing", \
"tabu_search"}, default "mgls"
        Search algorithm (:data:`zonocomb.search.METHODS`; ``"exact"`` and ``"gd"`` are deprecated
        names of ``"exact_erm"`` and ``"gradient_descent"``). ``"exact_erm"`` enumerates every vertex of Z^m and
        is only feasible for tiny problems (``max_patterns`` guards it); ``"random_vertex"`` uses
        the alternating synthetic mode of appendix H.1.2 for the MSE loss.
    loss : {"mse", "l1"}, default "mse"
    alpha : float or None, default None
        L2 weight decay on the first layer with MLPRegressor's meaning (its objective
        ½·MSE + ½·alpha‖W‖²_F / n_samples): every region program of the search minimises the mean
        loss plus alpha/n_samples·‖W‖²_F (:class:`zonocomb.convex.RegionProgram`; alpha/(2
        n_samples) for the classifier's log-loss), which keeps the weights finite. Methods
        ``"gls"``, ``"mgls"``, ``"simulated_annealing"`` and ``"tabu_search"`` with a smooth loss;
        None means 10 there (1.0 for :class:`ZonotopeClassifier`) and 0 for the other methods,
        which accept no other value. ``loss_`` is the regularised objective. The searches
        minimise the training objective (nearly) exactly and the output weights are fixed to ±1,
        so MLPRegressor's 1e-4 overfits: 3-fold R² on diabetes[:200] −0.55 with 1e-4, 0.40 with
        10 (MLPRegressor at equal width 0.20), on Friedman #1 (N = 200, noise 1) 0.40 and 0.79
        (MLPRegressor 0.68); benchmarks/README.md.
    max_iter : int or None
        Moves of GLS (default 1024) / mGLS (default 2048) / tabu search (default 100), proposals
        of simulated annealing (default 2000), or gradient steps of ``"gradient_descent"`` (default
        10000); ignored by the other methods.
    max_time : float or None, default 8.0
        Time budget of a GLS / mGLS search in seconds, setup included: mGLS checks it before
        every sweep of candidate patterns (at most 64 convex programs), GLS starts no step that
        is expected (from the previous step's time) to end after it (:func:`zonocomb.search.mgls`,
        :func:`zonocomb.search.gls`); stopping early gives a ``ConvergenceWarning``. None: no
        limit. Ignored by the other methods.
    early_stopping : bool, default False
        GLS / mGLS: hold out ``validation_fraction`` of the training data (stratified for the
        classifier), score the network on it after every round, stop after ``n_iter_no_change``
        rounds without improvement and keep the network with the best validation loss.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 5
        Rounds without a better validation loss before early stopping.
    learning_rate : float, default 1e-3
        Step size of ``"gradient_descent"``.
    fit_bias : bool, default True
        Optimise the output bias ``c``.
    backend : str, default "fast"
        Convex backend of :mod:`zonocomb.convex.region`.
    max_patterns : int, default 200000
        Size limit of ``"exact_erm"``.
    random_state : None, int or numpy.random.RandomState
        Seed of the starting vertex, neighbour order, initialisation and validation split.
    verbose : int, default 0
        Print a progress line (moves, training and validation loss, seconds) after every round.
    max_steps : int or None
        Deprecated name of ``max_iter`` (DeprecationWarning; removed in the next release).

    Attributes
    ----------
    W_ : ndarray of shape (n_units, n_features + 1)
        First-layer weights, last column the unit biases.
    v_ : ndarray of shape (n_units,)
    c_ : float
    pattern_ : ndarray of bool, shape (n_units, n_samples)
        Final vertex of Z^m (activation pattern on the training data).
    loss_ : float
        Final mean training loss.
    n_iter_ : int
        Iterations of the search: for GLS / mGLS each examines the neighbourhood of the current
        vertex and moves, the last one of a search that ends at a local minimum finds no
        improving move (so moves = ``n_iter_`` − 1 then); gradient steps; the other methods'
        ``SearchResult.n_steps``.
    result_ : zonocomb.search.SearchResult
        The search result of the kept network (with early stopping: the best round's).
    validation_losses_ : list of float
        With ``early_stopping``: the validation loss after every round.
    best_validation_loss_ : float
        With ``early_stopping``: the smallest of them (the kept network's).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> reg = ZonotopeRegressor(n_units=2, method="gls", alpha=0, random_state=0).fit(X, np.abs(X[:, 0] - 2))
    >>> bool(reg.loss_ < 1e-8)
    True
    """

    _losses = ("mse", "l1")

    def __init__(self, n_units: int = 8, *, method: str = "mgls", loss: str = "mse", alpha: float | None = None,
                 max_iter: int | None = None,
                 max_time: float | None = 8.0, early_stopping: bool = False, validation_fraction: float = 0.1,
                 n_iter_no_change: int = 5, learning_rate: float = 1e-3, fit_bias: bool = True,
                 backend: str = "fast", max_patterns: int = 200_000, random_state=None, verbose: int = 0,
                 max_steps: int | None = None):
        self.n_units = n_units
        self.method = method
        self.loss = loss
        self.alpha = alpha
        self.max_iter = max_iter
        self.max_time = max_time
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.fit_bias = fit_bias
        self.backend = backend
        self.max_patterns = max_patterns
        self.random_state = random_state
        self.verbose = verbose
        self.max_steps = max_steps

    def _loss(self) -> str:
        return self.loss

    def fit(self, X: ArrayLike, y: ArrayLike) -> "ZonotopeRegressor":
        """Fit the network to ``(X, y)``; returns ``self``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        return self._fit_targets(X, y, classification=False)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Network outputs ``vᵀ φ(W x̄) + c``."""
        return self._decision(X)


class ZonotopeClassifier(ClassifierMixin, _ZonotopeNetwork):
    """Binary shallow ReLU network classifier (sigmoid cross-entropy, paper appendix H.2.2).

    The two classes (any labels; ``classes_`` in sorted order) are mapped to 0 and 1 and the
    logistic loss ``−y ŷ + log(1 + e^ŷ)`` of the logit ``ŷ = f(x)`` is minimised with ``v`` fixed to
    half +1, half −1 (all combinatorial methods) or frozen likewise for ``"gradient_descent"``.

    Parameters
    ----------
    n_units, method, max_iter, max_time, early_stopping, validation_fraction, n_iter_no_change, \
    learning_rate, fit_bias, backend, max_patterns, random_state, verbose, max_steps
        As for :class:`ZonotopeRegressor` (the validation loss is the logistic loss).
    alpha : float or None, default None
        As for :class:`ZonotopeRegressor`, but None means 1.0: with the output weights fixed to ±1
        a unit's scale is set by its weights alone, and MLPClassifier's 1e-4 lets the logits of
        (nearly) separable data grow until the probabilities are 0 or 1 on test data (3-fold
        log-loss on breast cancer 0.31 with 1e-4, 0.079 with 1.0, against 0.077 for MLPClassifier
        at equal width; benchmarks/README.md).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    W_, v_, c_, pattern_, loss_, n_iter_, result_, validation_losses_, best_validation_loss_, n_features_in_
        As for :class:`ZonotopeRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = ZonotopeClassifier(n_units=2, method="random_vertex", random_state=0)
    >>> clf.fit(X, ["no", "no", "yes", "yes"]).predict([[3.0]]).tolist()
    ['yes']
    """

    _losses = ("logistic",)
    _default_alpha = 1.0

    def __init__(self, n_units: int = 8, *, method: str = "mgls", alpha: float | None = None,
                 max_iter: int | None = None,
                 max_time: float | None = 8.0, early_stopping: bool = False, validation_fraction: float = 0.1,
                 n_iter_no_change: int = 5, learning_rate: float = 1e-3, fit_bias: bool = True,
                 backend: str = "fast", max_patterns: int = 200_000, random_state=None, verbose: int = 0,
                 max_steps: int | None = None):
        self.n_units = n_units
        self.method = method
        self.alpha = alpha
        self.max_iter = max_iter
        self.max_time = max_time
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.fit_bias = fit_bias
        self.backend = backend
        self.max_patterns = max_patterns
        self.random_state = random_state
        self.verbose = verbose
        self.max_steps = max_steps

    def _loss(self) -> str:
        return "logistic"

    def fit(self, X: ArrayLike, y: ArrayLike) -> "ZonotopeClassifier":
        """Fit the network to ``(X, y)`` with exactly two classes; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise InvalidInputError(
                "Only binary classification is supported. ZonotopeClassifier needs exactly two "
                f"classes; y has {classes.size} class{'' if classes.size == 1 else 'es'}: {classes.tolist()}")
        self.classes_ = classes
        return self._fit_targets(X, (y == classes[1]).astype(float), classification=True)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The logit ``f(x)``; positive values predict ``classes_[1]``."""
        return self._decision(X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities ``[1 − σ(f(x)), σ(f(x))]``."""
        logits = self._decision(X)
        return np.column_stack([expit(-logits), expit(logits)])

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``classes_[1]`` where ``f(x) > 0``, else ``classes_[0]``."""
        positive = self._decision(X) > 0
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
