"""Exact certificates of optimality (paper eq. 3), in rational arithmetic.

:func:`certify_exact` turns the float region solver's answer into the exact optimum of a region
program (MSE, L1) with a KKT certificate that :meth:`ExactRegionOptimum.verify` re-checks;
:func:`bound_logistic` gives rigorous rational bounds on a logistic optimum (transcendental).
"""
from .region import CertificateError, ExactRegionOptimum, certify_exact
from .logistic import LogisticBounds, bound_logistic

__all__ = ["certify_exact", "ExactRegionOptimum", "CertificateError", "bound_logistic", "LogisticBounds"]
