"""Build of the compiled region kernel; all package metadata lives in setup.cfg.

Compiler options (after Python's own CFLAGS, which they override where they conflict):
-O3; -fassociative-math with -fno-signed-zeros and -fno-trapping-math so that reductions such as
dot products vectorise (no -ffast-math: infinities and NaN keep their meaning, the kernel tests
for them); -fno-math-errno; and -fno-wrapv, undoing Python's -fwrapv, which keeps GCC from
assuming that int index arithmetic does not overflow (4–5 % of the MSE solve time,
benchmarks/region_solve.py); the kernel's indices stay far below INT_MAX by its size checks.
"""
from setuptools import Extension, setup

FLAGS = ["-O3", "-std=c99", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros",
         "-fno-trapping-math", "-fno-wrapv"]

setup(ext_modules=[Extension("zonocomb.convex.backends._region_kernel",
                             sources=["zonocomb/convex/backends/_region_kernel.c"],
                             extra_compile_args=FLAGS)])
