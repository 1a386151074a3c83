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

The reference is solved on the same patterns; the table reports the largest loss discrepancy.
BLAS runs single-threaded (both backends; these are small dense problems on a shared machine).

Usage: ``python benchmarks/region_solve.py [--quick] [--seed S] [--digits]``
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
    W = rng.standard_normal((m, Xbar.shape[1]))
    patterns = [(W @ Xbar.T) > 0]
    while len(patterns) < length:
        u = int(rng.integers(m))
        d = rng.standard_normal(Xbar.shape[1])
        pre, rate = Xbar @ W[u], Xbar @ d
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(rate != 0, -pre / rate, np.inf)
        t = np.sort(t[t > 0])
        if t.size < 2:
            continue
        W[u] = W[u] + 0.5 * (t[0] + t[1]) * d                     # just past the nearest hyperplane
        new = (W @ Xbar.T) > 0
        if np.sum(new != patterns[-1]) == 1:
            patterns.append(new)
    return patterns


def run(ds, v, loss, patterns, warm: bool):
    """Solve ``patterns`` with both backends; return (ref seconds, fast seconds, max abs, max rel)."""
    ref = RegionProgram(ds, v, loss=loss, backend="cvxpy")
    fast = RegionProgram(ds, v, loss=loss, backend="fast")
    t_ref = t_fast = 0.0
    max_abs = max_rel = 0.0
    prev = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for A in patterns:
            t0 = time.perf_counter()
            r = ref.solve(A)
            t1 = time.perf_counter()
            f = fast.solve(A, warm_start=prev if warm else None)
            t2 = time.perf_counter()
            t_ref += t1 - t0
            t_fast += t2 - t1
            prev = f
            diff = abs(f.loss - r.loss)
            max_abs = max(max_abs, diff)
            max_rel = max(max_rel, diff / max(abs(r.loss), 1e-300))
    return t_ref, t_fast, max_abs, max_rel


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer patterns")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--digits", action="store_true", help="digits 4/9 instead of Gaussian data for (b)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    m = 16
    v = np.array([1.0] * (m // 2) + [-1.0] * (m // 2))
    scale = 1 if args.quick else 3
    problems = [
        ("(a) synthetic d=8 N=72 m=16", "mse", synthetic_regression(8, 8, rng), 10 * scale, 20 * scale),
        ("(b) digits 4/9 d=8 N=350 m=16", "logistic", digits_classification(8, 350), 3 * scale, 8 * scale)
        if args.digits else
        ("(b) gaussian d=8 N=350 m=16", "logistic", gaussian_classification(8, 350, rng), 3 * scale, 8 * scale),
    ]
    header = (f"{'problem':32s} {'loss':8s} {'patterns':8s} {'n':>4s} {'cvxpy+ECOS/s':>13s} "
              f"{'fast/s':>9s} {'ratio':>7s} {'max|dloss|':>11s} {'max rel':>9s}")
    print(header)
    print("-" * len(header))
    for name, loss, ds, n_random, n_chain in problems:
        Xbar = ds.generators_float
        cases = [("random", [random_pattern(Xbar, m, rng) for _ in range(n_random)], False),
                 ("chain", chain(Xbar, m, n_chain, rng), True)]
        for kind, patterns, warm in cases:
            t_ref, t_fast, max_abs, max_rel = run(ds, v, loss, patterns, warm)
            k = len(patterns)
            print(f"{name:32s} {loss:8s} {kind:8s} {k:4d} {k / t_ref:13.1f} {k / t_fast:9.1f} "
                  f"{t_ref / t_fast:7.1f} {max_abs:11.2e} {max_rel:9.2e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
