"""Hand-made mutants of the C region kernel, each rebuilt and run against the kernel's tests.

Issue 16, item 3 (docs/testing.md): mutmut mutates the Python code only, so the C kernel
(``zonocomb/convex/backends/_region_kernel.c``) is checked by a short list of plausible bugs in its
ratio test, pricing (``min_multiplier``, ``price``), KKT certificate (``certify_run``) and stars (``star_one``). For each
mutant the script

1. copies the package, the tests and the build files to a scratch directory (the worktree's own
   source and compiled kernel are never touched),
2. applies the mutant as a text substitution to the copy's ``_region_kernel.c`` (the anchor text
   must occur exactly once; otherwise the mutant is reported as ``anchor missing`` or
   ``anchor ambiguous`` and skipped: the kernel changed, update the list),
3. rebuilds the kernel in place in the copy (``setup.py build_ext --inplace``),
4. runs the tests (default: the kernel, sweep and convex tests, ``-x``) in the copy,
5. restores the copy's pristine source,

and prints one line per mutant (caught / survived / build failed / anchor missing) and the count
caught. A build failure is a bad mutant, not a catch. Run by hand, never in CI (each mutant is a
full rebuild plus a few minutes of tests; run it niced on a shared machine)::

    nice -n 19 .venv/bin/python scripts/kernel_mutants.py            # every mutant
    nice -n 19 .venv/bin/python scripts/kernel_mutants.py --list     # the list only
    nice -n 19 .venv/bin/python scripts/kernel_mutants.py ratio-den-sign price-ridge-factor

Exit status 0 when every applicable mutant is caught, 1 otherwise, 2 for a bad argument.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
KERNEL = Path("zonocomb/convex/backends/_region_kernel.c")
TESTS = ["tests/test_region_kernel.py", "tests/test_sweep.py", "tests/test_sweep_starts.py", "tests/test_stars.py",
         "tests/test_region.py", "tests/test_losses.py", "tests/test_logistic_regions.py",
         "tests/test_weight_decay.py"]
COPIED = ["zonocomb", "proofs_checks", "tests", "setup.py", "setup.cfg", "pyproject.toml"]


class Mutant(NamedTuple):
    name: str
    where: str        # the kernel function
    what: str         # the behaviour change, in words
    anchor: str       # text that must occur exactly once in the kernel source
    replacement: str


MUTANTS = [
    Mutant("ratio-den-sign", "ratio_test", "step to a decreasing constraint divided by +rate (negative)",
           "double den = ru[i] < lim ? -ru[i] : 1.0;", "double den = ru[i] < lim ? ru[i] : 1.0;"),
    Mutant("ratio-negative-slack", "ratio_test", "a violated constraint (slack < 0) gives a negative step",
           "double q = (sl[i] > 0.0 ? sl[i] : 0.0) / den;", "double q = sl[i] / den;"),
    Mutant("ratio-tail-dropped", "ratio_test", "the last N mod 4 examples are never blocking",
           "for (; i4 < N; i4++) m4[0] = a[i4] < m4[0] ? a[i4] : m4[0];", ""),
    Mutant("ratio-overshoot", "ratio_test", "the step to the blocking constraint is doubled",
           "C->alpha[u] = amin;", "C->alpha[u] = 2.0 * amin;"),
    Mutant("multiplier-unsigned", "min_multiplier", "the multiplier ignores the constraint's sign s_ui",
           "double lam = C->S[u * C->N + ws[a]] * za;", "double lam = za;"),
    Mutant("multiplier-skips-first", "min_multiplier", "the first working constraint's multiplier is never the minimum",
           "C->lam[u * n + a] = lam;\n        if (lam < lmin) lmin = lam;",
           "C->lam[u * n + a] = lam;\n        if (lam < lmin && a > 0) lmin = lam;"),
    Mutant("price-face-residual-ignored", "price", "a nonzero face gradient ‖Z_uᵀ g_u‖ is not a reason to re-solve the face",
           "if (res > ftol) face_bad = 1;", ""),
    Mutant("price-bias-ignored", "price", "the output bias's derivative Σ g_i is not checked",
           "int face_bad = C->fit_bias && fabs(gsum) > ftol;", "int face_bad = 0;"),
    Mutant("price-ridge-factor", "price", "weight decay's gradient λ w_u instead of 2 λ w_u",
           "gu[r] += 2.0 * C->prm[P_RIDGE] * C->W[u * n + r];", "gu[r] += C->prm[P_RIDGE] * C->W[u * n + r];"),
    Mutant("certify-multiplier-unsigned", "certify_run", "the certificate's multiplier ignores the pattern's sign",
           "double lam = A[u * NN + i] ? mu[u * nn + a] : -mu[u * nn + a];", "double lam = mu[u * nn + a];"),
    Mutant("certify-bias-unchecked", "certify_run", "the output bias's stationarity is not certified",
           "if (fabs(s) > stat || s != s) stat = fabs(s);", ""),
    Mutant("certify-primal-unchecked", "certify_run", "the primal residual (violated sign constraints) is reported as 0",
           "double primal = wmax > 0.0 ? -smin / wmax : 0.0;", "double primal = 0.0;"),
    Mutant("certify-tight-exact", "certify_run", "only constraints with slack exactly ≤ 0 are tight (no tolerance)",
           "slack[u * NN + i] <= tol[K_TIGHT] * wn[u]);", "slack[u * NN + i] <= 0.0);"),
    Mutant("stars-base-loss", "star_one", "a star's neighbours are screened against loss 0 instead of the centre's",
           "S.loss0 = loss;", "S.loss0 = 0.0;"),
    Mutant("stars-failed-star-solved", "star_one", "the moves of a star whose centre failed are reported solved",
           "S.out_lb[k] = -INFINITY; S.out_status[k] = NB_FAILED;", "S.out_lb[k] = -INFINITY; S.out_status[k] = NB_SOLVED;"),
    Mutant("sweep-starts-ignored", "sweep_one", "a neighbour's own start is never used (always the vertex's optimum)",
           "int row = S->start_of ? S->start_of[k] : -1, st;", "int row = -1, st;"),
    Mutant("sweep-start-c-ignored", "sweep_one", "a start's output bias is replaced by the vertex's",
           "st = ctx_solve(C, 1, G->fit_bias ? start[mn] : 0.0,", "st = ctx_solve(C, 1, G->fit_bias ? S->c0 : 0.0,"),
    Mutant("sweep-row-by-index", "sweep_one", "a neighbour's point recorded under the next neighbour's row",
           "S->out_row[k] = row;", "S->out_row[k] = row >= 0 && k + 1 < S->nmoves ? row + 1 : row;"),
    Mutant("sweep-start-bounds", "sweep", "a start row past the last is not refused",
           "if (start_of[k] < -1 || start_of[k] >= nrows) {", "if (start_of[k] < -1 || start_of[k] > nrows) {"),
]


def _copy_tree(dst: Path) -> None:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so", ".hypothesis"))
        elif src.is_file():
            shutil.copy2(src, dst / name)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> int:
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def _build(work: Path, env: dict[str, str]) -> bool:
    return _run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], work, env) == 0


def _tests(work: Path, env: dict[str, str], tests: list[str]) -> int:
    """pytest's exit status in the copy: 0 passed, 1 some test failed."""
    return _run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], work, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--tests", nargs="+", default=TESTS, help="test files run against each mutant")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"kernel_mutants: unknown mutant {unknown[0]!r} (see --list)", file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.names] or MUTANTS
    if args.list:
        for m in chosen:
            print(f"{m.name:30s} {m.where:15s} {m.what}")
        return 0

    pristine = (ROOT / KERNEL).read_text()
    outcome: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="kernel-mutants-") as tmp:
        work = Path(tmp)
        _copy_tree(work)
        env = dict(os.environ, PYTHONPATH=str(work), TQDM_DISABLE="1", PYTHONDONTWRITEBYTECODE="1")
        source = work / KERNEL
        # the unmutated copy must build and pass, or no mutant result means anything
        if not _build(work, env) or _tests(work, env, args.tests) != 0:
            print("kernel_mutants: the unmutated kernel fails to build or its tests fail", file=sys.stderr)
            return 1
        probe = subprocess.run([sys.executable, "-c", "import zonocomb; print(zonocomb.__file__)"],
                               cwd=work, env=env, capture_output=True, text=True).stdout.strip()
        if not probe.startswith(str(work)):
            print(f"kernel_mutants: the copy's package is not the one imported ({probe})", file=sys.stderr)
            return 1
        for m in chosen:
            start = time.monotonic()
            count = pristine.count(m.anchor)
            if count != 1:
                result = "anchor missing" if count == 0 else f"anchor ambiguous ({count} matches)"
            else:
                source.write_text(pristine.replace(m.anchor, m.replacement))
                try:
                    if not _build(work, env):
                        result = "build failed"
                    else:
                        result = "caught" if _tests(work, env, args.tests) != 0 else "SURVIVED"
                finally:
                    source.write_text(pristine)
            outcome[m.name] = result
            print(f"{m.name:30s} {m.where:15s} {result:16s} {time.monotonic() - start:6.0f} s", flush=True)
    applicable = [r for r in outcome.values() if r in ("caught", "SURVIVED")]
    caught = sum(r == "caught" for r in applicable)
    print(f"{caught} of {len(applicable)} mutants caught"
          + (f" ({len(outcome) - len(applicable)} not applicable)" if len(applicable) < len(outcome) else ""))
    return 0 if caught == len(applicable) else 1


if __name__ == "__main__":
    sys.exit(main())
