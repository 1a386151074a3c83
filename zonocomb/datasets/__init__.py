"""Datasets of the paper's experiments: synthetic (appendix H.1.1), image tasks (H.2.1), demos."""
from .builtin import figure1_dataset
from .images import DataIntegrityError, DataNotFoundError, digits_task, image_task, read_idx
from .synthetic import SyntheticProblem, synthetic, synthetic_problem

__all__ = ["synthetic", "synthetic_problem", "SyntheticProblem", "figure1_dataset", "image_task",
           "digits_task", "read_idx", "DataNotFoundError", "DataIntegrityError"]
