"""Checkpoints of the local searches: the state of GLS or mGLS after a move, from which
:func:`~zonocomb.search.gls` / :func:`~zonocomb.search.mgls` resume (``resume=``).

A :class:`SearchCheckpoint` holds what the next moves depend on: the current vertex of Z^m and its
optimum (W, c) with its status (and, for a logistic optimum whose infimum is not attained, the
attained part and recession direction the solver keeps with it and starts the next solves from,
:meth:`RegionProgram.recession_of <zonocomb.convex.region.RegionProgram.recession_of>`), the step
and solve counters, the trace, the state of the random
generator (mGLS draws the order of its candidates from it) and the search's seconds so far. Its ``problem`` digest (SHA-256 of the
method, the generators X̄ and labels in float64, the output weights, the loss, ``fit_bias``,
``alpha``, the margins and the backend) ties it to one search problem: resuming another one is
refused.

A resumed search makes the moves of the uninterrupted one (for the logistic loss without weight
decay, see below: not always): the loss and tight set of the restored
optimum are recomputed from (W, c) exactly as the solver computed them
(:meth:`RegionProgram.solution_at <zonocomb.convex.region.RegionProgram.solution_at>`), and the
first sweep certifies it again. Three things differ. The region solver carries factorisations from
one solve to the next, so the later optima agree with the uninterrupted search's to rounding
(about 1e-15 relative), not bit for bit: a move could differ only where two neighbours' losses
tie to rounding. And the patterns the interrupted search had cached (its visited vertices, and
the neighbours it solved) are not in the checkpoint: those the resumed search meets again are
solved again (a few per resumption; none of them improves, see :mod:`zonocomb.search.gls`), so
its ``n_solves`` can be a little larger. Nor are the points found for the previous vertex's
neighbours, from which the search starts the same moves' solves (:mod:`zonocomb.search.gls`): the
first sweep after a resumption solves its neighbours from the vertex's optimum, which changes its
losses within the solver's tolerances (so a move could differ only where two neighbours' losses,
or a loss and the improvement threshold, agree to that accuracy), and its time (it is the slower
start). For the logistic loss without weight decay a fourth:
the fast backend's recession LP (zonocomb/convex/backends/recession.py) keeps a HiGHS model that
it solves from its last basis, and that basis is not in the checkpoint. Where a region's
recession direction is not unique, the resumed search's answers there differ from the
uninterrupted search's in the last bits, and such regions' neighbours often tie (their infima are
losses of the same non-separated examples), so the moves can differ: resumed from up to ten of
its checkpoints each, 9 of 24 small logistic searches (synthetic(6, 6, seed) inputs, coin-flip or
thresholded labels; 8 of 12 GLS, 1 of 12 mGLS) took other moves from some of them, 4 of those
re-run with the recession LP always solved cold none; of 40 MSE, l1 and weight-decayed logistic
searches none did.

:meth:`SearchCheckpoint.to_json` / :meth:`SearchCheckpoint.from_json` write and read it as JSON
(floats as Python writes them, which read back exactly; boolean patterns bit-packed in base64).
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from ..errors import CheckpointError

__all__ = ["SearchCheckpoint", "problem_digest"]

#: Version of the JSON layout; a checkpoint of another version is refused.
FORMAT = 1


def problem_digest(method: str, dataset, v: np.ndarray, loss: str, fit_bias: bool, alpha: float,
                   rtol: float, atol: float, backend: str) -> str:
    """SHA-256 (hex) of what a local search's moves depend on besides its state (see the module
    docstring)."""
    h = hashlib.sha256()
    h.update(json.dumps([method, loss, bool(fit_bias), float(alpha), float(rtol), float(atol), str(backend),
                         bool(dataset.homogenize)]).encode())
    for array in (dataset.generators_float, dataset.require_labels(), v):
        a = np.ascontiguousarray(array, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _pack(pattern: np.ndarray) -> dict:
    pattern = np.asarray(pattern, dtype=bool)
    return {"shape": list(pattern.shape), "bits": base64.b64encode(np.packbits(pattern, axis=None)).decode()}


def _unpack(blob: dict) -> np.ndarray:
    shape = tuple(int(s) for s in blob["shape"])
    bits = np.frombuffer(base64.b64decode(blob["bits"], validate=True), dtype=np.uint8)
    size = int(np.prod(shape))
    if len(shape) != 2 or bits.size != (size + 7) // 8:
        raise ValueError(f"a pattern of shape {shape} does not fit {bits.size} bytes")
    return np.unpackbits(bits)[:size].astype(bool).reshape(shape)


def _pairs_to_json(recession):
    if recession is None:
        return None
    (W0, c0), (Wd, cd) = recession
    return {"base": None if W0 is None else [np.asarray(W0, dtype=float).tolist(), float(c0)],
            "direction": [np.asarray(Wd, dtype=float).tolist(), float(cd)]}


def _pairs_from_json(blob):
    if blob is None:
        return None
    base = (None, None) if blob["base"] is None else (np.array(blob["base"][0], dtype=float), float(blob["base"][1]))
    return base, (np.array(blob["direction"][0], dtype=float), float(blob["direction"][1]))


@dataclass(frozen=True, eq=False)
class SearchCheckpoint:
    """The state of a GLS or mGLS search after a move (see the module docstring).

    Attributes
    ----------
    method : str
        ``"gls"`` or ``"mgls"``.
    problem : str
        :func:`problem_digest` of the search's problem.
    pattern : ndarray of bool, shape (m, N)
        The current vertex of Z^m.
    W, c, status, solve_seconds, n_iter
        The current vertex's optimum as its :class:`~zonocomb.convex.region.RegionSolution` had
        them.
    recession : tuple or None
        ``((W_I, c_I), (W*, c*))`` of :meth:`RegionProgram.recession_of
        <zonocomb.convex.region.RegionProgram.recession_of>` for that optimum (W_I and c_I None
        when every example is separated), or None.
    n_steps, n_solves, n_bounded : int
        Moves made, convex programs solved, neighbours abandoned, so far.
    trace : tuple of dict
        The trace rows so far (:attr:`SearchResult.trace <zonocomb.search.SearchResult.trace>`).
    seconds : float
        Wall seconds of the search so far (a resumed search counts on from them, ``max_time``
        included).
    rng_state : dict
        ``numpy.random.Generator.bit_generator.state`` after the move.
    """

    method: str
    problem: str
    pattern: np.ndarray
    W: np.ndarray
    c: float
    status: str
    solve_seconds: float
    n_iter: int
    recession: tuple | None
    n_steps: int
    n_solves: int
    n_bounded: int
    trace: tuple
    seconds: float
    rng_state: dict

    def to_json(self) -> str:
        """The checkpoint as one JSON text (exact: it reads back to an equal checkpoint)."""
        return json.dumps({
            "format": FORMAT, "method": self.method, "problem": self.problem,
            "pattern": _pack(self.pattern), "W": np.asarray(self.W, dtype=float).tolist(),
            "c": float(self.c), "status": str(self.status), "solve_seconds": self.solve_seconds,
            "n_iter": self.n_iter, "recession": _pairs_to_json(self.recession), "n_steps": self.n_steps, "n_solves": self.n_solves,
            "n_bounded": self.n_bounded, "trace": list(self.trace), "seconds": self.seconds,
            "rng_state": self.rng_state}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "SearchCheckpoint":
        """Read :meth:`to_json`'s output.

        Raises
        ------
        CheckpointError
            Not such a JSON text: damaged, of another format version, missing fields, negative
            counters, or a trace that is not one row per step.
        """
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            W = np.array(data["W"], dtype=float)
            if W.ndim != 2:
                raise ValueError(f"W has {W.ndim} dimensions")
            state = cls(method=str(data["method"]), problem=str(data["problem"]), pattern=_unpack(data["pattern"]), W=W, c=float(data["c"]), status=str(data["status"]),
                       solve_seconds=float(data["solve_seconds"]), n_iter=int(data["n_iter"]),
                       recession=_pairs_from_json(data["recession"]),
                       n_steps=int(data["n_steps"]), n_solves=int(data["n_solves"]),
                       n_bounded=int(data["n_bounded"]), trace=tuple(dict(row) for row in data["trace"]),
                       seconds=float(data["seconds"]), rng_state=dict(data["rng_state"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"not a zonocomb search checkpoint: {exc}") from None
        state._check_consistent()
        return state

    def check(self, method: str, problem: str) -> None:
        """Refuse to resume another method's or another problem's search.

        Raises
        ------
        CheckpointError
            The method or the :func:`problem_digest` differs, or the state is inconsistent
            (negative counters, a trace that is not one row per step).
        """
        if self.method != method:
            raise CheckpointError(f"this checkpoint is of a {self.method} search, not {method}")
        if self.problem != problem:
            raise CheckpointError("this checkpoint is of another search problem (data, output weights, loss, "
                                    "fit_bias, alpha, margins or backend differ)")
        self._check_consistent()

    def _check_consistent(self) -> None:
        """Refuse counters below 0 and a trace that is not one row (with its step and loss) per
        vertex reached."""
        if min(self.n_steps, self.n_solves, self.n_bounded) < 0:
            raise CheckpointError(f"the checkpoint's counters are negative (n_steps {self.n_steps}, "
                                  f"n_solves {self.n_solves}, n_bounded {self.n_bounded})")
        if len(self.trace) != self.n_steps + 1:
            raise CheckpointError(f"the checkpoint's trace has {len(self.trace)} rows for {self.n_steps} steps")
        for k, row in enumerate(self.trace):
            if row.get("step") != k or not isinstance(row.get("loss"), (int, float)):
                raise CheckpointError(f"the checkpoint's trace row {k} is not of step {k} with its loss: {row!r:.80}")
