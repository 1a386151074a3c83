"""Reproduction of the paper's experiments (appendix H): tasks, a SQLite store, runners, reports."""
from .report import write_report
from .runner import METHODS, SweepSummary, execute, run_sweep
from .store import RunStore
from .tasks import EXPERIMENTS, Task, build_tasks

__all__ = ["Task", "EXPERIMENTS", "build_tasks", "RunStore", "execute", "run_sweep", "SweepSummary",
           "METHODS", "write_report"]
