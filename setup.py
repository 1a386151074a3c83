"""Build of the compiled region kernel; all package metadata lives in setup.cfg."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("zonocomb.convex.backends._region_kernel",
                             sources=["zonocomb/convex/backends/_region_kernel.c"],
                             extra_compile_args=["-O3", "-std=c99", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"])])
