"""Reference backends: the region program (paper eq. 3) in cvxpy, solved by ECOS, as in the paper.

The problem is rebuilt for every pattern (cost: a cvxpy compilation and an ECOS solve, tens of
milliseconds at N = 72, m = 16; measurements in benchmarks/README.md). With ``alpha`` > 0 the
objective adds ``alpha * sum_squares(W)``.

Two registered variants differ only in the solver settings they try, in order:

* ``"cvxpy"`` (:class:`CvxpyBackend`, the project's reference for cross-checks): ECOS with
  tolerances tightened to 1e-9 (its defaults are 1e-8) so that it agrees with the fast backend to
  1e-6 relative / 1e-9 absolute in the mean loss; when ECOS fails or stops early at those settings
  (it does on some logistic instances), ECOS at its default tolerances with 500 iterations, and if
  ECOS still fails, Clarabel.
* ``"ecos-defaults"`` (:class:`EcosDefaultsBackend`, ``reproduce --backend paper``): ECOS at
  cvxpy's defaults (tolerances 1e-8, 100 iterations), the only settings the paper implies
  (appendix H.2.2 names ECOS through cvxpy and no options); whatever point ECOS returns is used
  (optimal, inaccurate, or its last iterate at the iteration cap), then Clarabel if ECOS returns
  none, and if Clarabel fails too, the fast backend (status ``"optimal_fallback"``, with a
  warning).

For ``"cvxpy"`` a solve that stops at ``optimal_inaccurate`` is returned with that status when no
later setting reaches ``optimal``, and if no setting gives a point, :class:`~zonocomb.errors.SolverError`.
"""
from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np

from ...errors import SolverError
from . import BackendResult, RegionData, SolveStatus

__all__ = ["CvxpyBackend", "EcosDefaultsBackend"]

#: Solver settings tried in order: ECOS with tolerances one decade tighter than its defaults, ECOS
#: at its defaults, then Clarabel.
SOLVER_SETTINGS = (dict(solver="ECOS", abstol=1e-9, reltol=1e-9, feastol=1e-9, max_iters=500),
                 dict(solver="ECOS", max_iters=500),
                 dict(solver="CLARABEL"))
#: The paper's settings as it states them (none): ECOS at cvxpy's defaults, then Clarabel.
PAPER_SETTINGS = (dict(solver="ECOS"), dict(solver="CLARABEL"))


class CvxpyBackend:
    """cvxpy + ECOS, problem rebuilt per pattern (the paper's solver, appendix H.2.2); Clarabel if ECOS fails.

    Parameters
    ----------
    data : RegionData
        Generators, labels, output weights, loss and whether c is fitted.
    """

    name = "cvxpy"
    settings = SOLVER_SETTINGS
    #: cvxpy statuses whose point is kept (as "optimal_inaccurate") when no setting reaches "optimal"
    inaccurate = ("optimal_inaccurate",)
    #: whether the first setting that returns a point, accurate or not, ends the search
    first_point = False

    def __init__(self, data: RegionData) -> None:
        self.data = data

    def solve(self, pattern: np.ndarray, warm_start: tuple[np.ndarray, float] | None = None) -> BackendResult:
        """Minimise the mean loss over the activation region of ``pattern`` (warm starts unused)."""
        d = self.data
        m, N, n = d.m, d.N, d.n
        weights = (pattern * d.v[:, None]).T                     # (N, m): v_u A_ui
        signs = np.where(pattern, 1.0, -1.0).T                   # (N, m): 2A_ui − 1
        W = cp.Variable((m, n))
        pre = d.Xbar @ W.T                                       # preactivations w_u·x̄_i, (N, m)
        yhat = cp.sum(cp.multiply(weights, pre), axis=1)
        c = None
        if d.fit_bias:
            c = cp.Variable()
            yhat = yhat + c
        if d.loss == "mse":
            objective = cp.sum_squares(yhat - d.y) / N
        elif d.loss == "logistic":
            objective = cp.sum(cp.logistic(yhat) - cp.multiply(d.y, yhat)) / N
        else:
            objective = cp.sum(cp.abs(yhat - d.y)) / N
        if d.alpha > 0.0:
            objective = objective + d.alpha * cp.sum_squares(W)
        problem = cp.Problem(cp.Minimize(objective), [cp.multiply(signs, pre) >= 0])
        failures, inaccurate = [], None
        for settings in self.settings:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")                  # the status is checked below
                try:
                    problem.solve(**settings)
                except cp.error.SolverError as exc:
                    failures.append(f"{_label(settings)} raised: {exc}")
                    continue
            if problem.status == "optimal" and W.value is not None:
                result = (np.array(W.value, dtype=float), float(c.value) if c is not None else 0.0,
                          SolveStatus.OPTIMAL)
                break
            failures.append(f"{_label(settings)} returned status {problem.status!r}")
            if problem.status in self.inaccurate and W.value is not None:
                inaccurate = (np.array(W.value, dtype=float), float(c.value) if c is not None else 0.0,
                              SolveStatus.OPTIMAL_INACCURATE)
                if self.first_point:
                    result = inaccurate
                    break
        else:
            if inaccurate is None:
                raise SolverError("every reference solver failed on the region program ("
                                  + "; ".join(failures) + ")")
            result = inaccurate
        n_iter = int(problem.solver_stats.num_iters or 0)    # set by every solve that returned
        return BackendResult(W=result[0], c=result[1], status=result[2], n_iter=n_iter)


class EcosDefaultsBackend(CvxpyBackend):
    """cvxpy + ECOS at its default settings (the paper's solver as appendix H.2.2 states it): the
    point ECOS returns is taken whether it is optimal, inaccurate or its last iterate at the
    iteration cap (cvxpy's ``"user_limit"``; the last two with status ``"optimal_inaccurate"``), as
    a caller reading ``W.value`` would; Clarabel only when ECOS returns no point. Same parameters
    as :class:`CvxpyBackend`."""

    name = "ecos-defaults"
    settings = PAPER_SETTINGS
    inaccurate = ("optimal_inaccurate", "user_limit")
    first_point = True

    def __init__(self, data: RegionData) -> None:
        super().__init__(data)
        self._fast = None

    def solve(self, pattern: np.ndarray, warm_start: tuple[np.ndarray, float] | None = None) -> BackendResult:
        """As :meth:`CvxpyBackend.solve`; when neither ECOS nor Clarabel returns a point (they fail
        on some logistic regions whose infimum is not attained), warn and solve the pattern with the
        fast backend instead (status ``"optimal_fallback"``), so that a search with this backend
        runs to its end; the warnings count such programs."""
        try:
            return super().solve(pattern, warm_start)
        except SolverError as exc:
            warnings.warn(f"ECOS and Clarabel gave no point for a region program ({exc}); solving it "
                          "with the fast backend", RuntimeWarning, stacklevel=3)
            if self._fast is None:
                from .fast import FastBackend
                self._fast = FastBackend(self.data)
            res = self._fast.solve(pattern)
            return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL_FALLBACK, n_iter=res.n_iter)


def _label(settings: dict) -> str:
    """A short name of one solver setting, e.g. ``ECOS(abstol=1e-09, ...)``."""
    options = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "solver")
    return f"{settings['solver']}({options})" if options else settings["solver"]
