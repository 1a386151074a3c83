"""Region-program solves per second: fast backend against cvxpy + ECOS rebuilt per pattern.

Problems (paper appendix H):

* (a) synthetic regression, d = 8, m_gen = 8 (N = 72), m = 16, MSE: X ~ N(0, 1), labels from a
  random ReLU network with standard-normal W_gen, v_gen, c_gen (appendix H.1.1; generated locally);
* (b) classification, d = 8, N = 350, m = 16, logistic. Default: X ~ N(0, 1), labels the sign of a
  random ReLU network (16 units, v = ±1, Gaussian W and c) with 10% of the labels flipped, so that no
  activation region separates the labels (the infimum is attained). ``--digits`` uses instead
  scikit-learn's bundled 8×8 digits, classes 4 and 9 (the pair the paper takes from MNIST),
  PCA-whitened to 8 components, first 350 examples; many of its regions admit a recession direction
  (the infimum is not attained) and ECOS then stops far from the infimum (discrepancies ~1e-4).

Both use v = (+1,…,+1, −1,…,−1) and fit the output bias c. Patterns are

* random: the activation pattern of a standard-Gaussian W (section 4.2), solved cold;
* chain: a walk on the vertices of Z^m, each step moving one unit across one facet of its
  activation cone (one (unit, example) entry flips, the new pattern is again a vertex), solved by the
  fast backend warm-started from the previous pattern's optimum, as GLS evaluates neighbours.

Timing: the two backends are timed in alternating blocks (reference over all patterns, fast over
all patterns, repeated ``--rounds`` times, default 5), each block with a fresh ``RegionProgram``, so
that the machine's load (shared, noisy) affects both alike and neither runs with the other's data
in the caches. The table reports the median over rounds of the solves per second (wall clock) of
each backend; the ratio, the median over rounds of the paired ratio of a round's reference block to
its fast block (the two run back to back, so that a slow spell of the shared machine — they come
and go over seconds — hits both or neither); the same paired ratio of CPU times (``process_time``);
the largest loss discrepancy between the backends (first round) and how many fast answers came
from the reference fallback. BLAS runs single-threaded (both backends; these are small dense
problems on a shared machine).

Usage: ``python benchmarks/region_solve.py [--quick] [--rounds R] [--seed S] [--digits]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zonocomb.convex import RegionProgram  # noqa: E402
from zonocomb.geometry.dataset import Dataset  # noqa: E402
from zonocomb.geometry.walks import facet_walk  # noqa: E402


def synthetic_regression(d: int, m_gen: int, rng) -> Dataset:
    """Appendix H.1.1: N = (d+1) m_gen Gaussian examples labelled by a random ReLU network."""
    N = (d + 1) * m_gen
    X = rng.standard_normal((N, d))
    W = rng.standard_normal((m_gen, d + 1))
    v = rng.standard_normal(m_gen)
    c = rng.standard_normal()
    Xbar = np.hstack([X, np.ones((N, 1))])
    y = np.maximum(Xbar @ W.T, 0.0) @ v + c
    return Dataset(X, y=y)


def gaussian_classification(d: int, N: int, rng, m_gen: int = 16, flip: float = 0.1) -> Dataset:
    """Gaussian examples labelled by the sign of a random ReLU network, a fraction ``flip`` flipped."""
    X = rng.standard_normal((N, d))
    W = rng.standard_normal((m_gen, d + 1))
    v = np.where(np.arange(m_gen) < m_gen // 2, 1.0, -1.0)
    score = np.maximum(np.hstack([X, np.ones((N, 1))]) @ W.T, 0.0) @ v + rng.standard_normal()
    y = (score > 0).astype(float)
    flips = rng.random(N) < flip
    y[flips] = 1.0 - y[flips]
    return Dataset(X, y=y)


def digits_classification(d: int, N: int) -> Dataset:
    """Digits 4 vs 9 of scikit-learn's bundled 8×8 digits, PCA-whitened to d components."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    digits = load_digits()
    keep = np.isin(digits.target, (4, 9))
    X = PCA(n_components=d, whiten=True, random_state=0).fit_transform(digits.data[keep])
    y = (digits.target[keep] == 9).astype(float)
    return Dataset(X[:N], y=y[:N])


def random_pattern(Xbar, m, rng):
    return (rng.standard_normal((m, Xbar.shape[1])) @ Xbar.T) > 0


def chain(Xbar, m, length, rng):
    """A walk on vertices of Z^m: each step moves one unit's weights across one facet."""
    return facet_walk(Xbar, m, length, rng)


def timed_block(ds, v, loss, backend, patterns, warm: bool):
    """Solve ``patterns`` in order with a fresh program; (wall s, CPU s, solutions)."""
    program = RegionProgram(ds, v, loss=loss, backend=backend)
    solutions = []
    prev = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t0, c0 = time.perf_counter(), time.process_time()
        for A in patterns:
            prev = program.solve(A, warm_start=prev if warm else None)
            solutions.append(prev)
        return time.perf_counter() - t0, time.process_time() - c0, solutions


def run(ds, v, loss, patterns, warm: bool, rounds: int):
    """Alternate reference and fast blocks: the median wall time of each backend's blocks, the
    median over rounds of the paired ratios (reference block / the fast block right after it) of
    wall and of CPU time, and the agreement."""
    times = {"cvxpy": [], "fast": []}
    for r in range(rounds):
        ref = timed_block(ds, v, loss, "cvxpy", patterns, warm=False)
        fast = timed_block(ds, v, loss, "fast", patterns, warm=warm)
        times["cvxpy"].append(ref[:2])
        times["fast"].append(fast[:2])
        if r == 0:
            diffs = [abs(f.loss - s.loss) for f, s in zip(fast[2], ref[2])]
            rels = [d / max(abs(s.loss), 1e-300) for d, s in zip(diffs, ref[2])]
            fallbacks = sum(f.status == "optimal_fallback" for f in fast[2])
    wall = {k: float(np.median([t[0] for t in v])) for k, v in times.items()}
    ratio = float(np.median([a[0] / b[0] for a, b in zip(times["cvxpy"], times["fast"])]))
    cpu_ratio = float(np.median([a[1] / b[1] for a, b in zip(times["cvxpy"], times["fast"])]))
    return wall, ratio, cpu_ratio, max(diffs), max(rels), fallbacks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer patterns and one round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--digits", action="store_true", help="digits 4/9 instead of Gaussian data for (b)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    m = 16
    v = np.array([1.0] * (m // 2) + [-1.0] * (m // 2))
    scale = 1 if args.quick else 3
    rounds = 1 if args.quick else max(args.rounds, 1)
    problems = [
        ("(a) synthetic d=8 N=72 m=16", "mse", synthetic_regression(8, 8, rng), 10 * scale, 20 * scale),
        ("(b) digits 4/9 d=8 N=350 m=16", "logistic", digits_classification(8, 350), 3 * scale, 8 * scale)
        if args.digits else
        ("(b) gaussian d=8 N=350 m=16", "logistic", gaussian_classification(8, 350, rng), 3 * scale, 8 * scale),
    ]
    header = (f"{'problem':30s} {'loss':8s} {'patterns':8s} {'n':>4s} {'cvxpy+ECOS/s':>12s} "
              f"{'fast/s':>8s} {'ratio':>6s} {'cpu ratio':>9s} {'max|dloss|':>10s} {'max rel':>8s} "
              f"{'fallback':>8s}")
    print(header)
    print("-" * len(header))
    for name, loss, ds, n_random, n_chain in problems:
        Xbar = ds.generators_float
        cases = [("random", [random_pattern(Xbar, m, rng) for _ in range(n_random)], False),
                 ("chain", chain(Xbar, m, n_chain, rng), True)]
        for kind, patterns, warm in cases:
            wall, ratio, cpu_ratio, max_abs, max_rel, fallbacks = run(ds, v, loss, patterns, warm, rounds)
            k = len(patterns)
            print(f"{name:30s} {loss:8s} {kind:8s} {k:4d} {k / wall['cvxpy']:12.1f} {k / wall['fast']:8.1f} "
                  f"{ratio:6.1f} {cpu_ratio:9.1f} {max_abs:10.2e} {max_rel:8.1e} {fallbacks:8d}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
