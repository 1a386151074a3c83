"""Packages and the compiled region kernel; all other package metadata lives in setup.cfg.

The checks of the paper's statements sit in proofs_checks/ at the top of the repository but
install as ``zonocomb.proofs_checks``, so they never claim the generic top-level name
``proofs_checks`` in site-packages.

Compiler options (after Python's own CFLAGS, which they override where they conflict):
-O3; -fassociative-math with -fno-signed-zeros and -fno-trapping-math so that reductions such as
dot products vectorise (no -ffast-math: infinities and NaN keep their meaning, the kernel tests
for them); -fno-math-errno; and -fno-wrapv, undoing Python's -fwrapv, which keeps GCC from
assuming that int index arithmetic does not overflow (the kernel's indices stay below INT_MAX by
its size checks); -pthread for the threads of a neighbour sweep. Two extensions: the region
kernel and the face bounds of GLS neighbours. Measurements: benchmarks/README.md.
"""
from setuptools import Extension, find_packages, setup

FLAGS = ["-O3", "-std=c99", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros",
         "-fno-trapping-math", "-fno-wrapv"]

setup(packages=find_packages(include=["zonocomb", "zonocomb.*"]) + ["zonocomb.proofs_checks"],
      package_dir={"zonocomb.proofs_checks": "proofs_checks"},
      ext_modules=[Extension("zonocomb.convex.backends._region_kernel",
                             sources=["zonocomb/convex/backends/_region_kernel.c"],
                             depends=["zonocomb/convex/backends/_compiled.h"],
                             extra_compile_args=FLAGS + ["-pthread"],
                             extra_link_args=["-pthread"]),
                   Extension("zonocomb.convex.backends._face_bounds",
                             sources=["zonocomb/convex/backends/_face_bounds.c"],
                             depends=["zonocomb/convex/backends/_compiled.h"],
                             extra_compile_args=FLAGS + ["-pthread"],
                             extra_link_args=["-pthread"])])
