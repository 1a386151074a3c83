"""Re-checking an exact ERM certificate (``exact_erm(..., certify="exact")``) from scratch."""
from __future__ import annotations

from ..search.exact_erm import _enumerate, unit_groups
from ..convex.region import check_output_weights
from .region import CertificateError

__all__ = ["verify_exact_erm"]


def verify_exact_erm(result, dataset) -> None:
    """Check that ``result`` certifies the global minimum of the training loss, exactly.

    The vertices of Z are enumerated again (exact engine); the certificate must hold one exact
    region optimum for every pattern exact ERM has to cover (every multiset of vertices within each
    group of units of equal output weight), each must pass
    :meth:`~zonocomb.certify.region.ExactRegionOptimum.verify`, and ``info["exact_loss"]`` must be
    the least of their losses. Cost: one exact KKT check per pattern.

    Raises
    ------
    CertificateError
        Naming the first pattern or value that fails.
    """
    exact = result.info.get("exact_loss")
    if exact is None or result.certificate is None:
        raise CertificateError("the result carries no exact certificate (run exact_erm with certify='exact')")
    barcodes = dataset.zonotope().vertices()
    groups = unit_groups(check_output_weights(result.v))
    values = []
    for idx in _enumerate(groups, len(barcodes)):
        key = tuple(barcodes[j] for j in idx)
        cert = result.certificate.get(key)
        if cert is None:
            raise CertificateError(f"the certificate misses the pattern {key}")
        if cert.dataset != dataset or tuple(map(tuple, cert.pattern)) != tuple(tuple(map(bool, b)) for b in key):
            raise CertificateError(f"the certificate of pattern {key} is for another dataset or pattern")
        cert.verify()
        values.append(cert.loss)
    if min(values) != exact:
        raise CertificateError(f"the reported minimum {exact} is not the least certified optimum {min(values)}")
