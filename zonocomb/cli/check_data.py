"""``zonocomb check --data FILE.csv [--units m]``: the paper's statements that apply to your data.

For a labelled dataset (the CSV's last column is the label) this runs, exactly:

1. general position (section 2), with a dependent subset as witness when it fails;
2. the vertex count of Z against the closed form 2·Σ_{i<n} C(N−1, i) (section 4.2; equal in general
   position, at most that otherwise);
3. theorem 4.3's construction: 2⌈N/(d+1)⌉ units, its exact residuals and the condition number of W;
4. theorem 4.1's radius δ/(2N) (appendix C);
5. exact ERM (Algorithm 1, MSE, fitted output bias, v = (+1, −1, +1, …) on ``--units`` units) with
   an exact certificate of every vertex class (:func:`zonocomb.exact_erm` with
   ``certify="exact"``), re-checked by :func:`zonocomb.search.exact_erm.verify_exact_erm`.

Before anything runs, the cost is estimated from the closed-form vertex bound and timings on the
data itself (one exact vertex LP, a few float region solves with their exact certificates); above
``--max-seconds`` the command refuses with one line (exit status 2). Statements 3 and 4 need
general position and are reported as not applicable otherwise.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np

from ..errors import TooLargeError
from ._common import check_positive_seconds, progress_enabled

#: ``--max-seconds`` when not given: the estimated time above which ``--data`` is refused.
DEFAULT_MAX_SECONDS = 120.0

#: Random patterns timed to estimate the cost of one exact-ERM pattern.
TIMED_PATTERNS = 5


def output_weights(m: int) -> list[int]:
    """v = (+1, −1, +1, …) of length m."""
    return [1 if u % 2 == 0 else -1 for u in range(m)]


def estimate(ds, m: int, rng) -> dict:
    """Vertex bound, exact-ERM pattern count and an estimated wall time (seconds) for ``ds``."""
    from ..certify.problem import ExactProgram
    from ..certify.region import certify_program
    from ..convex.region import RegionProgram
    from ..geometry.zonotope import closed_form_vertex_count
    from ..search.exact_erm import count_vertex_multisets
    from ..theory.perturbation import vertex_separation

    vertices = closed_form_vertex_count(ds.N, ds.n)
    v = output_weights(m)
    patterns = count_vertex_multisets(vertices, v)
    G = ds.generators_float
    samples = [(rng.standard_normal((m, ds.n)) @ G.T) > 0 for _ in range(TIMED_PATTERNS)]
    program, exact = RegionProgram(ds, [float(x) for x in v]), ExactProgram(ds, samples[0], v)
    t0 = time.perf_counter()
    for A in samples:                                      # solve, certify, and verify again
        certify_program(exact.with_pattern(A), program.solve(A)).verify()
    per_pattern = (time.perf_counter() - t0) / len(samples)
    t0 = time.perf_counter()
    vertex_separation(ds, tuple(int(a) for a in samples[0][0]))
    per_vertex = time.perf_counter() - t0
    # vertex enumeration and the radius cost about one exact LP per vertex each
    seconds = patterns * per_pattern + 2 * vertices * per_vertex
    return {"vertices": vertices, "patterns": patterns, "seconds": seconds}


def _line(name: str, status: str, detail: str) -> None:
    print(f"{name:<26} {status:<5} {detail}", flush=True)


def run_data(args) -> int:
    """Check the statements on the dataset of ``args.data``; exit status 0, or 1 if one fails."""
    from ..search.exact_erm import verify_exact_erm
    from ..geometry.dataset import Dataset
    from ..geometry.zonotope import closed_form_vertex_count
    from ..search import exact_erm
    from ..theory.construction import construct_interpolant
    from ..theory.perturbation import perturbation_radius
    from ..validation import check_int

    m = check_int(1 if args.units is None else args.units, "--units", 1)
    max_seconds = DEFAULT_MAX_SECONDS if args.max_seconds is None else args.max_seconds
    check_positive_seconds(max_seconds, "--max-seconds")
    ds = Dataset.from_csv(args.data, label_column=-1)
    est = estimate(ds, m, np.random.default_rng(0))
    if est["seconds"] > max_seconds:
        raise TooLargeError(
            f"{args.data}: N = {ds.N}, d = {ds.d}, up to {est['vertices']} vertices of Z, "
            f"{est['patterns']} exact-ERM patterns for m = {m}: estimated {est['seconds']:.3g} s, "
            f"more than --max-seconds {max_seconds:g}")
    print(f"{args.data}: N = {ds.N} examples in d = {ds.d}, m = {m} unit(s), v = {output_weights(m)}; "
          f"estimated {est['seconds']:.2g} s")
    print(f"{'statement':<26} {'':<5} exact result")
    failed = 0
    witness = ds.general_position_witness()
    general = witness is None
    _line("general position (§2)", "yes" if general else "no",
          "no nontrivial affine dependency" if general else
          f"examples {[i + 1 for i in witness]} (1-based) are affinely dependent")
    V = len(ds.zonotope().vertices())
    bound = closed_form_vertex_count(ds.N, ds.n)
    ok = V == bound if general else V <= bound
    failed += not ok
    _line("vertex count (§4.2)", "PASS" if ok else "FAIL",
          f"|vert Z| = {V}, closed form 2·Σ_(i<{ds.n}) C({ds.N - 1}, i) = {bound} "
          f"({'equal in general position' if general else 'at most, data not in general position'})")
    if general:
        net = construct_interpolant(ds)
        residual = max(abs(r) for r in net.residuals())
        ok = residual == 0 and net.m == 2 * math.ceil(ds.N / (ds.d + 1))
        failed += not ok
        _line("theorem 4.3 construction", "PASS" if ok else "FAIL",
              f"{net.m} units = 2·ceil(N/(d+1)), max |residual| = {residual} (exact), cond(W) = "
              f"{net.condition_number():.3g}")
        radius = perturbation_radius(ds)
        _line("theorem 4.1 radius", "PASS",
              f"perturbations below δ/(2N) = {_short(radius)} keep Z's vertex barcodes")
    else:
        _line("theorem 4.3 construction", "n/a", "needs general position")
        _line("theorem 4.1 radius", "n/a", "needs general position (the optimum may jump, appendix D)")
    result = exact_erm(ds, output_weights(m), loss="mse", fit_bias=True, certify="exact",
                       progress=progress_enabled(args))
    verify_exact_erm(result, ds)
    best = result.info["exact_loss"]
    _line("exact ERM (Algorithm 1)", "PASS",
          f"global min MSE = {_short(best)} over {result.n_solves} patterns, every class certified "
          f"exactly and re-checked; minimiser active sets "
          + ", ".join("{" + ",".join(str(i + 1) for i in np.flatnonzero(row)) + "}" for row in result.pattern))
    return 1 if failed else 0


def _short(value: Fraction) -> str:
    """A Fraction as p/q when short, else with its float value."""
    text = str(value)
    return text if len(text) <= 24 else f"{float(value):.6g} (a {len(str(value.denominator))}-digit denominator)"
