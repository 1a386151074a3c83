"""A compiled extension of this checkout against the same extension of an earlier git revision, on
the open neighbours of one vertex of a GLS run: the region kernel (``--part kernel``, the default;
every neighbour a warm-started solve from the vertex's optimum, as a GLS step's sweep solves them)
or the face bounds (``--part bounds``; each neighbour's full bound, without a cutoff).

The earlier extension is compiled from ``git show REV:zonocomb/convex/backends/<name>.c`` (and its
header) with setup.py's flags into a temporary directory, and loaded next to the built one; the
two are timed in the same process, single-threaded, alternately per neighbour (kernel) or per
repetition of the whole sample (bounds, three each). For the kernel the table gives the active-set
iterations and CPU seconds of each over the sample, their ratios, the median per-neighbour
iteration ratio and the largest relative difference of the losses reached (both answers are
KKT-certified optima; a difference is the optimum's rounding, or two optima of one convex
program). For the bounds it gives the bounds certified, the CPU seconds (least of the
repetitions), their sum, and how many bounds of each are higher than the other's by more than
1e-6 of the vertex's loss (both are certified: the higher is the better).

The vertex is a checkpoint of a store (``--store``, ``--key``: a GLS run in flight or finished with
its checkpoint kept) or the start vertex of a synthetic Table A1 problem (``--synthetic D M_GEN M
SEED``).

Usage: ``python benchmarks/kernel_revisions.py --baseline REV (--store PATH [--key KEY] |
--synthetic D M_GEN M SEED) [--every K] [--part kernel|bounds]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import importlib.machinery  # noqa: E402
import importlib.util  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import zonocomb.convex.backends.face_bounds as bounds_module  # noqa: E402
import zonocomb.convex.backends.kernel as kernel_module  # noqa: E402
from face_bounds_probe import search_at  # noqa: E402
from zonocomb.convex.backends.face_bounds import FaceBounds  # noqa: E402
from zonocomb.convex.backends.kernel import PackedMoves, RegionKernel  # noqa: E402

SOURCES = "zonocomb/convex/backends"


def setup_flags() -> list[str]:
    """setup.py's FLAGS list (read, not imported: importing setup.py runs the build)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FLAGS" for t in node.targets):
            return ast.literal_eval(node.value)
    sys.exit("setup.py: no FLAGS list")


def build_revision(rev: str, name: str, into: Path):
    """The extension ``name`` (``_region_kernel`` or ``_face_bounds``) of git revision ``rev``,
    compiled into ``into``."""
    for file in (f"{name}.c", "_compiled.h"):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{SOURCES}/{file}"],
                              capture_output=True, text=True)
        if text.returncode != 0 and file == f"{name}.c":
            sys.exit(f"git show {rev}: {text.stderr.strip()}")
        if text.returncode == 0:
            (into / file).write_text(text.stdout)
    so = into / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    cmd = cc + ["-shared", "-fPIC", *setup_flags(), "-pthread", f"-I{sysconfig.get_paths()['include']}",
                str(into / f"{name}.c"), "-o", str(so), "-lm"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compiling {name} of {rev} failed:\n{out.stderr}")
    loader = importlib.machinery.ExtensionFileLoader(name, str(so))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, metavar="REV", help="git revision of the earlier kernel")
    parser.add_argument("--store", type=Path)
    parser.add_argument("--key")
    parser.add_argument("--synthetic", nargs=4, type=int, metavar=("D", "M_GEN", "M", "SEED"))
    parser.add_argument("--every", type=int, default=40, help="take every K-th open neighbour (default 40)")
    parser.add_argument("--part", choices=("kernel", "bounds"), default="kernel",
                        help="the extension compared (default: kernel)")
    args = parser.parse_args(argv)
    if (args.store is None) == (args.synthetic is None):
        parser.error("give one of --store and --synthetic")
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    search = search_at(args)
    program = search.program
    built = program.kernel
    W, c = program.to_solver_units((search.solution.W, search.solution.c))
    moves = PackedMoves.pack(search.moves(), search.m, built.X.shape[0])
    screen = built.sweep(search.pattern, moves, W, c, search.solution.loss / program.solver_loss_unit(),
                         screen=True, kkt_rtol=1e-9, solve=False, threads=1)
    sample = np.flatnonzero(screen.status == "open")[::args.every]
    print(f"{sample.size} of {int(np.sum(screen.status == 'open'))} open neighbours "
          f"({screen.status.size} moves) at loss {search.solution.loss:.4g}")
    if args.part == "bounds":
        compare_bounds(args.baseline, FaceBounds(built.data, search.pattern, W, c), moves.take(sample),
                       search.solution.loss / program.solver_loss_unit())
    else:
        compare_kernels(args.baseline, search, moves, sample, W, c)


def compare_bounds(baseline: str, faces: FaceBounds, moves: PackedMoves, loss: float) -> None:
    """Print the table of ``--part bounds`` for the neighbours ``moves`` of a vertex of loss ``loss``
    (in the bounds' units)."""
    with tempfile.TemporaryDirectory() as tmp:
        modules = {"this checkout": bounds_module._face_bounds,
                   baseline: build_revision(baseline, "_face_bounds", Path(tmp))}
        cpu = {name: np.inf for name in modules}
        lower = {}
        try:
            for _ in range(3):
                for name, module in modules.items():
                    bounds_module._face_bounds = module
                    t0 = time.process_time()
                    lower[name] = faces.lower_bounds(moves, cutoff=-np.inf).lower
                    cpu[name] = min(cpu[name], time.process_time() - t0)
        finally:
            bounds_module._face_bounds = modules["this checkout"]
    new, old = "this checkout", baseline
    margin = 1e-6 * abs(loss)
    print("| face bounds | certified | CPU-s | sum of bounds | higher than the other's |\n| --- | --- | --- | --- | --- |")
    for name, other in ((old, new), (new, old)):
        a, b = lower[name], lower[other]
        print(f"| {name} | {int(np.sum(np.isfinite(a)))} | {cpu[name]:.2f} | {np.sum(a[np.isfinite(a)]):.6g} | "
              f"{int(np.sum(a > np.where(np.isfinite(b), b, -np.inf) + margin))} |")
    print(f"ratio {old} / this checkout: CPU {cpu[old] / max(cpu[new], 1e-12):.2f}")


def compare_kernels(baseline: str, search, moves: PackedMoves, sample: np.ndarray, W: np.ndarray, c: float) -> None:
    """Print the table of ``--part kernel`` for the open neighbours ``sample`` of ``search``'s
    vertex, warm-started from its optimum (W, c) in the solver's units."""
    built = search.program.kernel
    with tempfile.TemporaryDirectory() as tmp:
        modules = {"this checkout": kernel_module._region_kernel,
                   baseline: build_revision(baseline, "_region_kernel", Path(tmp))}
        kernels = {}
        for name, module in modules.items():
            kernel_module._region_kernel = module
            kernels[name] = RegionKernel(built.data, threads=1)
        iters = {name: [] for name in kernels}
        cpu = {name: 0.0 for name in kernels}
        losses = {name: [] for name in kernels}
        try:
            for j in sample:
                A = search.pattern.copy()
                A[moves.units[j], moves.flipped(j)] ^= True
                for name, kernel in kernels.items():
                    kernel_module._region_kernel = modules[name]
                    t0 = time.process_time()
                    res = kernel.solve(A, W, c)
                    cpu[name] += time.process_time() - t0
                    iters[name].append(res.n_iter)
                    yhat = np.einsum("un,in,ui->i", res.W, built.X, built.v[:, None] * A) + res.c
                    losses[name].append(float(np.mean((yhat - built.y) ** 2)))
        finally:
            kernel_module._region_kernel = modules["this checkout"]
    new, old = "this checkout", baseline
    print("| kernel | iterations | CPU-s |\n| --- | --- | --- |")
    for name in (old, new):
        print(f"| {name} | {sum(iters[name])} | {cpu[name]:.2f} |")
    ratio = np.array(iters[old]) / np.maximum(np.array(iters[new]), 1)
    a, b = np.array(losses[old]), np.array(losses[new])
    print(f"ratio {old} / this checkout: iterations {sum(iters[old]) / max(sum(iters[new]), 1):.2f}, "
          f"CPU {cpu[old] / max(cpu[new], 1e-12):.2f}; median per-neighbour iteration ratio "
          f"{np.median(ratio):.2f}; largest relative loss difference "
          f"{np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)):.1e}")


if __name__ == "__main__":
    main()
