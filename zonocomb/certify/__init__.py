"""Exact certificates of optimality (paper eq. 3), in rational arithmetic.

:func:`certify_exact` turns the float region solver's answer into the exact optimum of a region
program (MSE, L1) with a KKT certificate that :meth:`ExactRegionOptimum.verify` re-checks;
:func:`bound_logistic` gives rigorous rational bounds on a logistic optimum (transcendental), and
:func:`certify_attainment` decides exactly whether a logistic region attains its infimum.
"""
from .region import CertificateError, ExactRegionOptimum, certify_exact
from .logistic import LogisticBounds, bound_logistic
from .attainment import AttainmentCertificate, certify_attainment

__all__ = ["certify_exact", "ExactRegionOptimum", "CertificateError", "bound_logistic", "LogisticBounds",
           "certify_attainment", "AttainmentCertificate"]
