"""Helpers shared by subcommands: loading a dataset file, progress bars, formatting barcodes."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import InvalidInputError
from ..geometry.dataset import Dataset
from ..validation import check_int


def add_dataset_arguments(parser) -> None:
    """Arguments that say how to read a dataset file."""
    parser.add_argument("file", help="dataset: .csv (one example per row) or .npy (2-D array)")
    parser.add_argument("--bias-free", action="store_true",
                        help="do not homogenize: generators are x_i, not (x_i, 1) (paper appendix E)")
    parser.add_argument("--labels", choices=["last", "none"], default="none",
                        help="whether the CSV's last column is a label (default: none, all columns are features)")


def load_dataset(args) -> Dataset:
    """Read the dataset named on the command line."""
    path = Path(args.file)
    homogenize = not args.bias_free
    if path.suffix == ".npy":
        return Dataset.from_npy(path, homogenize=homogenize)
    if path.suffix in (".csv", ".txt", ""):
        label_column = -1 if args.labels == "last" else None
        return Dataset.from_csv(path, label_column=label_column, homogenize=homogenize)
    raise InvalidInputError(f"{path}: unknown file type {path.suffix!r}; use .csv or .npy")


def check_at_least(args, **minimums: int) -> None:
    """Refuse an integer option below its minimum (:func:`zonocomb.validation.check_int`), naming
    the option as typed (``--max-steps``, not the library's ``max_steps``); an option left unset
    (None) is not checked.

    Raises
    ------
    InvalidInputError
        The first option (in the order given) below its minimum.
    """
    for name, minimum in minimums.items():
        value = getattr(args, name)
        if value is not None:
            check_int(value, f"--{name.replace('_', '-')}", minimum)


def check_positive_seconds(value, flag: str) -> None:
    """Refuse a time budget (``--max-time``, ``--max-seconds``) that is not a positive number;
    None (no budget) passes."""
    if value is not None and not value > 0:
        raise InvalidInputError(f"{flag} must be a positive number of seconds, got {value:g}")


def progress_enabled(args) -> bool:
    """Whether to draw progress bars: stderr is a terminal, no ``-q``, and ``TQDM_DISABLE`` is unset
    (or empty / "0" / "false")."""
    disabled = os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")
    return not getattr(args, "quiet", False) and not disabled and sys.stderr.isatty()


def active_set(barcode) -> str:
    """The 1-based indices of the active examples of a barcode, as '{1,3,4}'."""
    return "{" + ",".join(str(i + 1) for i, b in enumerate(barcode) if b) + "}"


def barcode_string(barcode) -> str:
    return "".join(str(int(b)) for b in barcode)
