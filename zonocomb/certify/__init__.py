"""Exact certificates of optimality (paper eq. 3), in rational arithmetic.

:func:`certify_exact` turns the float region solver's answer into the exact optimum of a region
program with a KKT certificate that :meth:`ExactRegionOptimum.verify` re-checks.
"""
from .region import CertificateError, ExactRegionOptimum, certify_exact

__all__ = ["certify_exact", "ExactRegionOptimum", "CertificateError"]
