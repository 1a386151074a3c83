"""Toy binary classification tasks from MNIST and Fashion-MNIST (paper appendix H.2.1).

The official training IDX files are read offline, never downloaded: their *raw* (decompressed)
SHA-256 and md5 are checked against :data:`KNOWN_FILES` (the md5 values are the official
releases' checksums; docs/data.md lists the files, sizes, hashes and sources). Two classes are kept, PCA with whitening
(scikit-learn) is fitted on **all** training examples of those two classes, and the first N
examples (file order) projected on the first d whitened components form the dataset, with label 0
for the first class and 1 for the second.

Where the files are looked for, in order (:func:`data_search_path`):

1. the ``data_dir`` argument (``zonocomb reproduce --data-dir DIR``);
2. the directories in the environment variable ``ZONOCOMB_DATA_DIR`` (``os.pathsep``-separated);
3. :data:`DEFAULT_DATA_DIRS` (a module-level list, empty unless you add directories);
4. for Fashion-MNIST, :data:`SYSTEM_DATA_DIRS` — ``/usr/share/datasets/fashion-mnist`` where
   Debian's package ``dataset-fashion-mnist`` installs the official files.

In each directory D the files may sit in D itself or in its subfolder ``mnist/`` (MNIST) or
``fashion-mnist/`` (Fashion-MNIST), gzipped (``.gz``) or raw.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, ZonocombError
from ..geometry.dataset import Dataset

__all__ = [
    "DataNotFoundError", "DataIntegrityError", "IdxFile", "KNOWN_FILES", "DEFAULT_CLASSES",
    "DEFAULT_DATA_DIRS", "SYSTEM_DATA_DIRS", "ENV_VAR", "read_idx", "data_search_path",
    "locate_files", "load_training_set", "check_classes", "image_task", "digits_task",
]


class DataNotFoundError(ZonocombError, FileNotFoundError):
    """A required data file is in none of the searched directories."""


class DataIntegrityError(ZonocombError, ValueError):
    """A data file exists but is not the expected file (bad hash, corrupt IDX header)."""


@dataclass(frozen=True)
class IdxFile:
    """One official IDX file: its name without ``.gz`` and the hashes of its raw bytes."""

    stem: str
    raw_bytes: int
    md5: str
    sha256: str


#: Official training files and their raw hashes (docs/data.md).
KNOWN_FILES = {
    "mnist": {
        "images": IdxFile("train-images-idx3-ubyte", 47_040_016, "6bbc9ace898e44ae57da46a324031adb",
                          "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        "labels": IdxFile("train-labels-idx1-ubyte", 60_008, "a25bea736e30d166cdddb491f175f624",
                          "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    },
    "fashion": {
        "images": IdxFile("train-images-idx3-ubyte", 47_040_016, "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                          "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "labels": IdxFile("train-labels-idx1-ubyte", 60_008, "9018921c3c673c538a1fc5bad174d6f9",
                          "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    },
}

#: Paper appendix H.2.1: MNIST 4 vs 9, Fashion-MNIST pullover (2) vs coat (4).
DEFAULT_CLASSES = {"mnist": (4, 9), "fashion": (2, 4)}
_TITLES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
_SUBDIRS = {"mnist": ("mnist",), "fashion": ("fashion-mnist", "fashion_mnist", "fashion")}

ENV_VAR = "ZONOCOMB_DATA_DIR"
#: Further data directories, searched after ``data_dir`` and ``$ZONOCOMB_DATA_DIR`` (none by default).
DEFAULT_DATA_DIRS: list[Path] = []
#: Per-dataset system directories, searched last (Debian's dataset-fashion-mnist).
SYSTEM_DATA_DIRS = {"mnist": [], "fashion": [Path("/usr/share/datasets/fashion-mnist")]}

_HOW_TO_GET = {
    "mnist": ("get the official MNIST training files train-images-idx3-ubyte(.gz) and "
              "train-labels-idx1-ubyte(.gz) (LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/; "
              "docs/data.md lists their hashes), put them in a directory DIR (or DIR/mnist/) and pass "
              f"--data-dir DIR or set {ENV_VAR}=DIR"),
    "fashion": ("install Debian's package: apt-get install dataset-fashion-mnist (it puts the official "
                "files in /usr/share/datasets/fashion-mnist/), or put the official Fashion-MNIST "
                "training files in DIR (or DIR/fashion-mnist/) and pass --data-dir DIR or set "
                f"{ENV_VAR}=DIR"),
}

# IDX element type codes (LeCun's format description) -> big-endian numpy dtypes.
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path, sha256: str | None = None, md5: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into a numpy array, optionally checking its raw hash.

    The IDX format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions k, then k big-endian uint32 sizes and
    the data in C order, big-endian.

    Parameters
    ----------
    path : path-like
        The file; gzip is detected from its first two bytes (0x1f 0x8b), not from its name.
    sha256, md5 : str, optional
        Expected hex digests of the *decompressed* bytes.

    Returns
    -------
    numpy.ndarray
        Native-endian array of the stated shape.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataIntegrityError
        A hash differs (the message gives both digests), or the header or size is malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"no such IDX file: {path}")
    with path.open("rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataIntegrityError(f"{path} looks gzipped but does not decompress: {exc}") from None
    for name, expected in (("sha256", sha256), ("md5", md5)):
        if expected is not None:
            got = hashlib.new(name, raw).hexdigest()
            if got != expected.lower():
                raise DataIntegrityError(
                    f"{path}: {name} of the decompressed bytes is {got}, expected {expected} "
                    "(wrong, truncated or modified file; re-fetch the official file)")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataIntegrityError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataIntegrityError(f"{path}: IDX header of {ndim} dimensions is truncated")
    shape = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(raw) != header + count * dtype.itemsize:
        raise DataIntegrityError(
            f"{path}: IDX header announces shape {shape} ({header + count * dtype.itemsize} bytes) "
            f"but the file has {len(raw)} bytes")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _check_name(name) -> str:
    if name not in KNOWN_FILES:
        raise InvalidInputError(f"unknown image dataset {name!r}; expected one of {sorted(KNOWN_FILES)}")
    return name


def data_search_path(name: str, data_dir=None) -> list[Path]:
    """Directories searched for dataset ``name`` ("mnist" or "fashion"), in order (see module doc)."""
    _check_name(name)
    roots: list[Path] = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    env = os.environ.get(ENV_VAR, "")
    roots.extend(Path(p) for p in env.split(os.pathsep) if p)
    roots.extend(Path(p) for p in DEFAULT_DATA_DIRS)
    dirs: list[Path] = []
    for root in roots:
        dirs.extend(root / sub for sub in _SUBDIRS[name])
        dirs.append(root)
    dirs.extend(Path(p) for p in SYSTEM_DATA_DIRS.get(name, ()))
    seen, unique = set(), []
    for p in dirs:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def locate_files(name: str, data_dir=None) -> dict[str, Path]:
    """Paths of the images and labels files of dataset ``name`` (first hit on the search path).

    Raises
    ------
    DataNotFoundError
        Naming each missing file, every directory searched, and how to get the files.
    """
    dirs = data_search_path(name, data_dir)
    found, missing = {}, []
    for kind, spec in KNOWN_FILES[name].items():
        candidates = (spec.stem + ".gz", spec.stem, spec.stem.replace("-idx", ".idx"))
        hit = next((d / c for d in dirs for c in candidates if (d / c).is_file()), None)
        if hit is None:
            missing.append(f"{spec.stem}(.gz)")
        else:
            found[kind] = hit
    if missing:
        raise DataNotFoundError(
            f"{_TITLES[name]} training data not found: missing {', '.join(missing)}. "
            f"Searched: {', '.join(str(d) for d in dirs)}. To get them: {_HOW_TO_GET[name]}.")
    return found


@lru_cache(maxsize=4)
def _load(name: str, images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    spec = KNOWN_FILES[name]
    X = read_idx(images, sha256=spec["images"].sha256)
    y = read_idx(labels, sha256=spec["labels"].sha256)
    if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise DataIntegrityError(f"{images} / {labels}: shapes {X.shape} and {y.shape} do not match")
    return X, y


def load_training_set(name: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The hash-checked training split: images (60000, 28, 28) uint8 and labels (60000,) uint8."""
    files = locate_files(_check_name(name), data_dir)
    return _load(name, files["images"].resolve(), files["labels"].resolve())


def check_classes(classes) -> tuple[int, int]:
    """``classes`` as a pair of two different integer labels in 0..9 (InvalidInputError otherwise;
    strings and non-integral numbers are refused, not converted)."""
    try:
        a, b = classes
    except (TypeError, ValueError):
        raise InvalidInputError(f"classes must be two class labels, got {classes!r}") from None
    if isinstance(classes, str) or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                                           for c in (a, b)):
        raise InvalidInputError(f"classes must be two integer class labels, got {classes!r}")
    a, b = int(a), int(b)
    if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
        raise InvalidInputError(f"classes must be two different labels in 0..9, got {classes!r}")
    return a, b


def _check_size(value, name: str, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if not 1 <= value <= upper:
        raise InvalidInputError(f"{name} must be between 1 and {upper}, got {value}")
    return int(value)


def _whitened_pair(X: np.ndarray, y: np.ndarray, classes, d: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """All examples of the two classes (file order) projected on the first d whitened principal
    components of exactly those examples, and their labels (0 for classes[0], 1 for classes[1])."""
    from sklearn.decomposition import PCA

    a, b = check_classes(classes)
    keep = (y == a) | (y == b)
    Xk = X[keep].reshape(int(keep.sum()), -1).astype(np.float64)
    d = _check_size(d, "d", min(Xk.shape))
    Z = PCA(n_components=d, whiten=True, svd_solver="covariance_eigh").fit_transform(Xk)
    if not np.all(np.isfinite(Z)):
        raise DataIntegrityError(f"{what}: PCA produced non-finite components (d={d} too large?)")
    return Z, (y[keep] == b).astype(np.int64)


def _first(Z: np.ndarray, labels: np.ndarray, N) -> Dataset:
    N = _check_size(N, "N", Z.shape[0])
    return Dataset(Z[:N], y=labels[:N])


@lru_cache(maxsize=8)
def _whitened_file_pair(name: str, images: Path, labels: Path, classes, d: int):
    X, y = _load(name, images, labels)
    return _whitened_pair(X, y, classes, d, f"{_TITLES[name]} {classes}")


def image_task(name: str = "mnist", classes=None, d: int = 8, N: int = 350, data_dir=None) -> Dataset:
    """Binary PCA-whitened task from the MNIST or Fashion-MNIST training split (appendix H.2.1).

    Parameters
    ----------
    name : {"mnist", "fashion"}
    classes : pair of int, optional
        The two classes; default (4, 9) for MNIST and (2, 4) (pullover vs coat) for Fashion-MNIST.
        Label 0 is ``classes[0]``, label 1 is ``classes[1]``.
    d : int, default 8
        Number of whitened principal components (the paper uses 8 and 16).
    N : int, default 350
        Number of examples kept: the first N of the two classes in file order (350 or 700).
    data_dir : path-like, optional
        Searched first (see :func:`data_search_path`).

    Returns
    -------
    Dataset
        N examples in R^d (float64 PCA outputs converted exactly) with labels in {0, 1}.

    Raises
    ------
    DataNotFoundError, DataIntegrityError
        Missing or wrong files (the message says how to get them).
    InvalidInputError
        Unknown name, bad classes, d or N out of range.

    Notes
    -----
    PCA is scikit-learn's with ``svd_solver="covariance_eigh"`` (deterministic, and ~8x faster
    here than ``"full"``, with which it agrees; the paper's solver is not stated), fitted on every
    training example of the two classes (11,791 for MNIST 4/9, 12,000 for Fashion-MNIST 2/4).
    The whitened components are cached per process, so N = 350 and N = 700 share one fit.

    References
    ----------
    Paper section 4.2 and appendix H.2.1.
    """
    name = _check_name(name)
    classes = DEFAULT_CLASSES[name] if classes is None else check_classes(classes)
    files = locate_files(name, data_dir)
    Z, labels = _whitened_file_pair(name, files["images"].resolve(), files["labels"].resolve(),
                                    tuple(classes), d)
    return _first(Z, labels, N)


def digits_task(classes=(4, 9), d: int = 8, N: int = 350) -> Dataset:
    """The same construction on scikit-learn's bundled 8×8 digits (always available offline).

    About 180 examples per digit (1,797 in all), so a digit pair has about 360 examples; PCA with
    whitening is fitted on all of them and the first N are kept, labels 0/1 as in
    :func:`image_task`. A small real substitute when the MNIST files are absent.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    Z, labels = _whitened_pair(bunch.images, bunch.target, classes, d, f"8x8 digits {classes}")
    return _first(Z, labels, N)
