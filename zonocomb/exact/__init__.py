"""Exact rational arithmetic: parsing to Fraction, exact linear algebra, the cddlib wrapper."""
