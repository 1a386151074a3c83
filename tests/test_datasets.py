"""Datasets of the paper's experiments: synthetic (H.1.1), IDX files and image tasks (H.2.1), figure 1."""
from __future__ import annotations

import gzip
import hashlib
import itertools
import struct
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb.datasets import (DataIntegrityError, DataNotFoundError, digits_task, figure1_dataset,
                               read_idx, synthetic, synthetic_problem)
from zonocomb.datasets import images
from zonocomb.errors import InvalidInputError, InvalidTypeError


# ----- synthetic (appendix H.1.1) ----------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 6), m_gen=st.integers(1, 5), seed=st.integers(0, 2 ** 32))
def test_synthetic_shape_determinism_and_labels(d, m_gen, seed):
    p = synthetic_problem(d, m_gen, seed)
    ds = p.dataset
    assert (ds.N, ds.d, ds.n) == ((d + 1) * m_gen, d, d + 1)
    assert p.W_gen.shape == (m_gen, d + 1) and p.v_gen.shape == (m_gen,)
    assert synthetic(d, m_gen, seed) == ds                      # deterministic, bit for bit
    # the examples are the generator's float draws, converted exactly
    X = np.random.default_rng([seed, d, m_gen]).standard_normal((ds.N, d))
    assert ds.X_exact == tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    # labels = the generating network, evaluated independently in exact rational arithmetic
    W = [[Fraction(float(w)) for w in row] for row in p.W_gen]
    v = [Fraction(float(a)) for a in p.v_gen]
    for xbar, y in zip(ds.generators_exact, ds.y):
        exact = sum(vu * max(sum(wj * xj for wj, xj in zip(wu, xbar)), 0) for vu, wu in zip(v, W))
        exact += Fraction(p.c_gen)
        assert y == pytest.approx(float(exact), rel=1e-12, abs=1e-12)


def test_synthetic_seeds_and_shapes_give_different_data():
    assert synthetic(4, 2, 0) != synthetic(4, 2, 1)
    a, b = synthetic(4, 2, 0), synthetic(4, 4, 0)
    assert a.X_exact[0] != b.X_exact[0]          # different shapes never share draws


def test_synthetic_pattern_is_the_generators_activation():
    p = synthetic_problem(3, 2, seed=5)
    pre = p.W_gen @ p.dataset.generators_float.T
    assert np.array_equal(p.pattern, pre > 0)
    assert np.allclose(p.predict(p.dataset.X_float), p.dataset.y, rtol=0, atol=1e-12)


@pytest.mark.parametrize("args, error", [((0, 2, 0), InvalidInputError), ((4, -1, 0), InvalidInputError),
                                         ((4, 2, -3), InvalidInputError), ((4.0, 2, 0), InvalidTypeError),
                                         ((4, 2, 1.5), InvalidTypeError), ((True, 2, 0), InvalidTypeError)])
def test_synthetic_rejects_bad_arguments(args, error):
    with pytest.raises(error):
        synthetic(*args)


# ----- figure 1 -----------------------------------------------------------------------------------
def test_figure1_dataset_general_position_and_labels():
    ds = figure1_dataset()
    assert (ds.N, ds.d) == (5, 2)
    for a, b, c in itertools.combinations(ds.X_exact, 3):      # no three points collinear
        assert (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) != 0
    relu = lambda t: max(t, 0)
    assert list(ds.y_exact) == [relu(x1 - x2 + 1) - relu(x1 + x2 - 4) for x1, x2 in ds.X_exact]
    assert all(v.denominator == 1 for row in ds.X_exact for v in row)


# ----- IDX files ----------------------------------------------------------------------------------
def _idx_bytes(array: np.ndarray, code: int, dtype: str) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(dtype).tobytes()


@pytest.mark.parametrize("code, dtype, values", [
    (0x08, ">u1", np.arange(24, dtype=np.uint8).reshape(2, 3, 4)),
    (0x0C, ">i4", np.array([-7, 0, 1 << 30], dtype=np.int32)),
    (0x0E, ">f8", np.array([[0.5, -1.25], [3.0, 1e-300]])),
])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, code, dtype, values, compress):
    raw = _idx_bytes(values, code, dtype)
    path = tmp_path / ("f.idx.gz" if compress else "f.idx")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    got = read_idx(path, sha256=hashlib.sha256(raw).hexdigest(), md5=hashlib.md5(raw).hexdigest())
    assert got.shape == values.shape and got.dtype.isnative
    assert np.array_equal(got, values)


def test_read_idx_hash_mismatch_and_malformed(tmp_path):
    raw = _idx_bytes(np.zeros((2, 2), np.uint8), 0x08, ">u1")
    path = tmp_path / "f"
    path.write_bytes(raw)
    with pytest.raises(DataIntegrityError, match="sha256 of the decompressed bytes"):
        read_idx(path, sha256="0" * 64)
    with pytest.raises(DataIntegrityError, match="md5"):
        read_idx(path, md5="0" * 32)
    path.write_bytes(raw[:-1])                                     # truncated data
    with pytest.raises(DataIntegrityError, match="announces shape"):
        read_idx(path)
    path.write_bytes(b"\x01\x02\x03\x04")                          # bad magic
    with pytest.raises(DataIntegrityError, match="not an IDX file"):
        read_idx(path)
    with pytest.raises(DataNotFoundError):
        read_idx(tmp_path / "absent")


@pytest.fixture
def no_default_data(monkeypatch):
    monkeypatch.delenv(images.ENV_VAR, raising=False)
    monkeypatch.setattr(images, "DEFAULT_DATA_DIRS", [])
    monkeypatch.setattr(images, "SYSTEM_DATA_DIRS", {"mnist": [], "fashion": []})


def test_missing_files_message(tmp_path, no_default_data):
    with pytest.raises(DataNotFoundError) as err:
        images.locate_files("fashion", data_dir=tmp_path)
    msg = str(err.value)
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    assert "apt-get install dataset-fashion-mnist" in msg and str(tmp_path) in msg
    with pytest.raises(DataNotFoundError) as err:
        images.image_task("mnist", data_dir=tmp_path)
    assert "MNIST" in str(err.value) and "--data-dir" in str(err.value)


def test_search_order_data_dir_then_env(tmp_path, monkeypatch, no_default_data):
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first / "mnist", second):
        root.mkdir(parents=True)
        for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
            (root / (stem + ".gz")).write_bytes(b"")
    monkeypatch.setenv(images.ENV_VAR, str(second))
    assert images.locate_files("mnist")["images"].parent == second
    assert images.locate_files("mnist", data_dir=first)["labels"].parent == first / "mnist"


def test_wrong_file_fails_hash_check(tmp_path, no_default_data):
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / stem).write_bytes(_idx_bytes(np.zeros((3, 2, 2), np.uint8), 0x08, ">u1"))
    with pytest.raises(DataIntegrityError, match="expected"):
        images.image_task("mnist", data_dir=tmp_path)


def test_image_task_rejects_bad_arguments():
    with pytest.raises(InvalidInputError, match="unknown image dataset"):
        images.image_task("cifar")
    with pytest.raises(InvalidInputError, match="two different labels"):
        digits_task(classes=(3, 3))
    with pytest.raises(InvalidInputError, match="N must be between"):
        digits_task(N=10_000)


def test_digits_task_is_whitened_two_class_data():
    from sklearn.datasets import load_digits
    target = load_digits().target
    n_pair = int(np.sum((target == 4) | (target == 9)))
    ds = digits_task(classes=(4, 9), d=5, N=n_pair)        # all examples: the set PCA was fitted on
    Z = ds.X_float
    assert Z.shape == (n_pair, 5)
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-9)
    assert np.allclose(np.cov(Z, rowvar=False), np.eye(5), atol=1e-8)   # whitened, uncorrelated
    y_expected = (target[(target == 4) | (target == 9)] == 9).astype(float)
    assert np.array_equal(ds.y, y_expected)
    assert digits_task(classes=(4, 9), d=5, N=100) == ds.subset(range(100))


# ----- the real files (README counts) -----------------------------------------------------------
def _available(name):
    try:
        images.locate_files(name)
        return True
    except DataNotFoundError:
        return False


@pytest.mark.skipif(not _available("mnist"), reason=f"MNIST training files not found (set {images.ENV_VAR}; docs/data.md)")
@pytest.mark.parametrize("classes, N, counts", [((4, 9), 350, (178, 172)), ((4, 9), 700, (369, 331)),
                                                ((5, 9), 350, (162, 188))])
def test_mnist_counts_match_readme(classes, N, counts):
    ds = images.image_task("mnist", classes=classes, d=8, N=N)
    assert (ds.N, ds.d) == (N, 8)
    assert tuple(np.bincount(ds.y.astype(int), minlength=2)) == counts
    X, y = images.load_training_set("mnist")
    assert X.shape == (60000, 28, 28) and list(y[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


@pytest.mark.skipif(not _available("fashion"),
                    reason="Fashion-MNIST not found (apt-get install dataset-fashion-mnist)")
def test_fashion_counts_match_readme():
    assert tuple(np.bincount(images.image_task("fashion", N=350).y.astype(int))) == (178, 172)
    assert tuple(np.bincount(images.image_task("fashion", N=700).y.astype(int))) == (350, 350)
    _, y = images.load_training_set("fashion")
    assert list(y[:10]) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
