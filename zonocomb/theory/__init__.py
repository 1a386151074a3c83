"""Theory toolkit: the 2⌈N/(d+1)⌉ interpolation (theorem 4.3), the NP-hardness reductions
(appendix E, submodule ``reductions``), the discontinuity examples (appendix D, submodule
``discontinuity``) and the perturbation radius of theorem 4.1 (appendix C)."""
from .construction import InterpolatingNetwork, construct_interpolant
from .perturbation import perturbation_radius

__all__ = ["InterpolatingNetwork", "construct_interpolant", "perturbation_radius"]
