"""What the attainment check of logistic regions costs (``zonocomb/convex/backends/attainment.py``).

The fast backend decides whether each logistic answer's infimum is attained: the float Tucker
certificate of :class:`AttainmentCheck`, and the recession LP when that does not certify. The
baseline is the same code with the check answering "attained" at once (the statuses before the
check existed: a region hidden behind vanishing weights came back "optimal").

Workloads (v = (+1, −1, …), logistic, output bias fitted):

* ``solve``: random activation patterns (a standard-Gaussian W), each solved cold by
  ``FastBackend.solve``, on digits 4/9 (scikit-learn's bundled digits, PCA-whitened to d = 8,
  N = 350), m = 16;
* ``gls``: GLS (appendix H) from a random vertex, ``--steps`` steps, on the same data, m = 16,
  and on Fashion-MNIST classes 0/1 at d = 16, N = 700, m = 64 when ``--data-dir`` holds it.

Timing: CPU seconds (``process_time``) of each workload with and without the check, alternated
(with, without, without, with, … for ``--rounds`` pairs) in one process, BLAS single-threaded; the
table gives the medians and the median of the paired ratios, and the check's own time per call.

    .venv/bin/python benchmarks/attainment.py [--rounds 2] [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")        # (before numpy: single-threaded BLAS,
os.environ.setdefault("OMP_NUM_THREADS", "1")             # as in region_solve.py)
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from zonocomb.convex import RegionProgram  # noqa: E402
from zonocomb.convex.backends.attainment import AttainmentCheck  # noqa: E402
from zonocomb.datasets.images import digits_task, image_task  # noqa: E402
from zonocomb.search.gls import gls  # noqa: E402

CHECK = AttainmentCheck.attained


def timed(fn, with_check: bool) -> float:
    AttainmentCheck.attained = CHECK if with_check else (lambda self, *args: True)
    try:
        t0 = time.process_time()
        fn()
        return time.process_time() - t0
    finally:
        AttainmentCheck.attained = CHECK


def solves(ds, m, count, seed=0):
    rng = np.random.default_rng(seed)
    patterns = [(rng.standard_normal((m, ds.n)) @ ds.generators_float.T) > 0 for _ in range(count)]
    v = [1.0, -1.0] * (m // 2)

    def run():
        solver = RegionProgram(ds, v, loss="logistic").solver
        for A in patterns:
            solver.solve(A)
    return run, patterns, v


def check_ms(ds, patterns, v) -> float:
    """Milliseconds per call of the check alone, at the answers of ``patterns``."""
    solver = RegionProgram(ds, v, loss="logistic").solver
    answers = [(A, solver.solve(A)) for A in patterns[:10]]
    check = AttainmentCheck(solver.data)
    t0 = time.process_time()
    for A, res in answers:
        check.evidence(A, res.W, res.c)
    return 1e3 * (time.process_time() - t0) / len(answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="pairs of alternated runs (default 2)")
    parser.add_argument("--steps", type=int, default=5, help="GLS steps (default 5)")
    parser.add_argument("--data-dir", default=None, help="directory with Fashion-MNIST (optional)")
    args = parser.parse_args()
    digits = digits_task((4, 9), d=8, N=350)
    run, patterns, v = solves(digits, 16, 40)
    work = [("solve, digits 4/9, d = 8, N = 350, m = 16, 40 patterns", run, check_ms(digits, patterns, v)),
            ("gls, digits 4/9, d = 8, N = 350, m = 16", lambda: gls(digits, 16, loss="logistic", random_state=0,
                                                                 max_steps=args.steps), None)]
    if args.data_dir:
        fashion = image_task("fashion", d=16, N=700, data_dir=args.data_dir)
        _, fpatterns, fv = solves(fashion, 64, 10)
        work.append(("gls, Fashion-MNIST, d = 16, N = 700, m = 64",
                     lambda: gls(fashion, 64, loss="logistic", random_state=0, max_steps=args.steps),
                     check_ms(fashion, fpatterns, fv)))
    print("| workload | CPU-s without the check | CPU-s with it | ratio (median of pairs) | check alone, ms |")
    print("| --- | --- | --- | --- | --- |")
    for label, fn, ms in work:
        with_, without = [], []
        for k in range(args.rounds):
            order = (True, False) if k % 2 == 0 else (False, True)
            for flag in order:
                (with_ if flag else without).append(timed(fn, flag))
        ratio = float(np.median(np.array(with_) / np.array(without)))
        print(f"| {label} | {np.median(without):.3f} | {np.median(with_):.3f} | {ratio:.2f} | "
              f"{'' if ms is None else f'{ms:.1f}'} |")


if __name__ == "__main__":
    main()
