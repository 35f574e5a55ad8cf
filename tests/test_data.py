"""Tests for dlcourse.data: IDX parsing, checksums, lookup/cache/download, loaders."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlcourse import data
from dlcourse.data import (
    FILES,
    SHA256,
    ChecksumError,
    DataError,
    DataUnavailableError,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    sha256sum,
    verify_file,
)

# Resolved at import time, before any test monkeypatches DLCOURSE_DATA.
SHARED = (
    Path(os.environ["DLCOURSE_DATA"])
    if os.environ.get("DLCOURSE_DATA")
    else Path(__file__).resolve().parents[2] / "shared" / "data"
)

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _require_shared(dataset: str = "mnist") -> Path:
    folder = SHARED / dataset
    if not all((folder / f).is_file() for f in FILES):
        pytest.skip(f"real {dataset} files not found in {folder} (set DLCOURSE_DATA)")
    return SHARED


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Never read DLCOURSE_DATA from the caller, never touch ~/.cache, never go online."""
    monkeypatch.delenv("DLCOURSE_DATA", raising=False)
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "env-cache"))
    for name in data.MIRRORS:
        monkeypatch.setitem(data.MIRRORS, name, ("file:///nonexistent-dlcourse-mirror/",))


@pytest.fixture
def shared() -> Path:
    return _require_shared("mnist")


@pytest.fixture(scope="module")
def mnist0(tmp_path_factory) -> data.Dataset:
    root = _require_shared("mnist")
    cache = tmp_path_factory.mktemp("unused-cache")
    return load_mnist(data_dir=root, cache_dir=cache, download=False)


def _files_under(folder: Path) -> list[str]:
    """All files (hidden ones included) below ``folder``, relative."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _copy_files(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        shutil.copyfile(src / f, dst / f)
    return dst


def _flip_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def _mirror_url(folder: Path) -> str:
    return folder.as_uri() + "/"


# ---------------------------------------------------------------- IDX parsing, synthetic


def _write_idx(path: Path, header: bytes, payload: bytes) -> Path:
    path.write_bytes(gzip.compress(header + payload))
    return path


@given(arrays(np.uint8, array_shapes(min_dims=3, max_dims=3, min_side=0, max_side=6)))
@settings(max_examples=30, deadline=None)
def test_read_idx_roundtrip_images(tmp_path_factory, images):
    path = tmp_path_factory.mktemp("idx") / "images.gz"
    _write_idx(path, struct.pack(">I3I", 2051, *images.shape), images.tobytes())
    out = read_idx(path)
    assert out.dtype == np.uint8
    assert out.shape == images.shape
    np.testing.assert_array_equal(out, images)
    out[...] = 0  # writable, not a view of an immutable buffer


@given(st.binary(max_size=50))
@settings(max_examples=30, deadline=None)
def test_read_idx_roundtrip_labels(tmp_path_factory, labels):
    path = tmp_path_factory.mktemp("idx") / "labels.gz"
    _write_idx(path, struct.pack(">II", 2049, len(labels)), labels)
    np.testing.assert_array_equal(read_idx(path), np.frombuffer(labels, np.uint8))


@pytest.mark.parametrize(
    ("header", "payload", "message"),
    [
        (struct.pack(">I3I", 2051, 3, 2, 2), bytes(11), "12 bytes of data"),  # truncated
        (struct.pack(">I3I", 2051, 3, 2, 2), bytes(13), "holds 13 bytes"),  # trailing data
        (struct.pack(">II", 2049, 5), bytes(4), "holds 4 bytes"),
        (struct.pack(">II", 2050, 5), bytes(5), "magic number 2050"),
        (struct.pack(">II", 0x0D01, 5), bytes(20), "dtype code 0x0d"),
        (struct.pack(">I", 2051) + struct.pack(">I", 3), b"", "header truncated"),
        (b"\x00\x00", b"", "too short"),
    ],
)
def test_read_idx_rejects_malformed(tmp_path, header, payload, message):
    path = _write_idx(tmp_path / "bad.gz", header, payload)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_not_gzip(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(struct.pack(">II", 2049, 1) + b"\x01")
    with pytest.raises(DataError, match="not a valid gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- IDX parsing, real files


def test_read_idx_mnist(shared):
    folder = shared / "mnist"
    X_train = read_idx(folder / "train-images-idx3-ubyte.gz")
    y_train = read_idx(folder / "train-labels-idx1-ubyte.gz")
    X_test = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    y_test = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (X_train, y_train, X_test, y_test)} == {np.dtype(np.uint8)}
    assert X_train.min() == 0 and X_train.max() == 255
    assert np.bincount(y_train, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == MNIST_TEST_COUNTS


def test_read_idx_fashion_mnist():
    folder = _require_shared("fashion-mnist") / "fashion-mnist"
    assert read_idx(folder / "train-images-idx3-ubyte.gz").shape == (60000, 28, 28)
    assert read_idx(folder / "t10k-images-idx3-ubyte.gz").shape == (10000, 28, 28)
    y_train = read_idx(folder / "train-labels-idx1-ubyte.gz")
    y_test = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10


def test_read_idx_truncated_gzip(shared, tmp_path):
    src = (shared / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(src[: len(src) // 2])
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_corrupted_gzip(shared, tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    shutil.copyfile(shared / "mnist" / path.name, path)
    _flip_byte(path, 2000)  # inside the deflate stream, not the gzip header
    with pytest.raises(DataError, match="not a valid gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- checksums


def test_sha256sum_matches_hashlib(tmp_path):
    blob = np.random.default_rng(0).bytes(2_500_000)  # spans several chunks
    path = tmp_path / "blob"
    path.write_bytes(blob)
    assert sha256sum(path) == hashlib.sha256(blob).hexdigest()
    verify_file(path, hashlib.sha256(blob).hexdigest())
    verify_file(path, hashlib.sha256(blob).hexdigest().upper())


def test_verify_file_mismatch_message(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"hello")
    expected = "0" * 64
    with pytest.raises(ChecksumError) as info:
        verify_file(path, expected)
    msg = str(info.value)
    assert str(path) in msg and expected in msg and hashlib.sha256(b"hello").hexdigest() in msg
    assert "Delete it or replace it" in msg
    assert isinstance(info.value, DataError) and isinstance(info.value, RuntimeError)


def test_exception_hierarchy():
    assert issubclass(DataError, RuntimeError)
    assert issubclass(ChecksumError, DataError)
    assert issubclass(DataUnavailableError, DataError)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_local_file_raises_checksum_error(shared, tmp_path, monkeypatch, damage):
    local = tmp_path / "data"
    (local / "mnist").mkdir(parents=True)
    for f in FILES:
        (local / "mnist" / f).symlink_to(shared / "mnist" / f)
    bad = local / "mnist" / "train-labels-idx1-ubyte.gz"
    bad.unlink()
    shutil.copyfile(shared / "mnist" / bad.name, bad)
    if damage == "flip":
        _flip_byte(bad, 1000)
    else:
        bad.write_bytes(bad.read_bytes()[:-100])
    monkeypatch.setenv("DLCOURSE_DATA", str(local))

    with pytest.raises(ChecksumError) as info:
        load_mnist(cache_dir=tmp_path / "cache")
    msg = str(info.value)
    assert str(bad) in msg
    assert SHA256["mnist"][bad.name] in msg
    assert sha256sum(bad) in msg
    assert "Delete it or replace it" in msg
    assert _files_under(tmp_path / "cache") == []  # a bad local file is not "repaired"


# ---------------------------------------------------------------- lookup, cache, download


def test_download_then_cache_reuse(shared, tmp_path, monkeypatch):
    mirror = _copy_files(shared / "mnist", tmp_path / "mirror")
    monkeypatch.setitem(data.MIRRORS, "mnist", (_mirror_url(mirror),))
    cache = tmp_path / "cache"

    first = load_mnist(cache_dir=cache)
    assert _files_under(cache) == sorted(f"mnist/{f}" for f in FILES)
    for f in FILES:
        assert sha256sum(cache / "mnist" / f) == SHA256["mnist"][f]

    shutil.rmtree(mirror)  # a second load must not need the mirror
    second = load_mnist(cache_dir=cache)
    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)

    third = load_mnist(cache_dir=cache, download=False)
    np.testing.assert_array_equal(first.y_val, third.y_val)


def test_env_cache_and_empty_local_dir_fall_through(shared, tmp_path, monkeypatch):
    """DLCOURSE_DATA without the files falls through; DLCOURSE_CACHE names the cache."""
    mirror = _copy_files(shared / "mnist", tmp_path / "mirror")
    monkeypatch.setitem(data.MIRRORS, "mnist", (_mirror_url(mirror),))
    (tmp_path / "empty-data" / "mnist").mkdir(parents=True)
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "empty-data"))
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "my-cache"))

    ds = load_mnist()
    assert ds.X_train.shape == (55000, 784)
    assert _files_under(tmp_path / "my-cache") == sorted(f"mnist/{f}" for f in FILES)
    assert _files_under(tmp_path / "empty-data") == []


def test_corrupt_cached_file_is_redownloaded(shared, tmp_path, monkeypatch):
    mirror = _copy_files(shared / "mnist", tmp_path / "mirror")
    monkeypatch.setitem(data.MIRRORS, "mnist", (_mirror_url(mirror),))
    cache = tmp_path / "cache"
    cached = _copy_files(shared / "mnist", cache / "mnist") / "t10k-labels-idx1-ubyte.gz"
    _flip_byte(cached, 100)

    with pytest.raises(ChecksumError, match="download=True") as info:
        load_mnist(cache_dir=cache, download=False)
    assert str(cached) in str(info.value)

    ds = load_mnist(cache_dir=cache)
    assert sha256sum(cached) == SHA256["mnist"][cached.name]
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_COUNTS
    assert _files_under(cache) == sorted(f"mnist/{f}" for f in FILES)


def test_bad_mirror_is_skipped(shared, tmp_path, monkeypatch):
    good = _copy_files(shared / "mnist", tmp_path / "good")
    bad = _copy_files(shared / "mnist", tmp_path / "bad")
    _flip_byte(bad / "train-images-idx3-ubyte.gz", 5000)  # wrong content
    (bad / "t10k-labels-idx1-ubyte.gz").unlink()  # missing file
    monkeypatch.setitem(data.MIRRORS, "mnist", (_mirror_url(bad), _mirror_url(good)))
    cache = tmp_path / "cache"

    ds = load_mnist(cache_dir=cache)
    assert ds.X_test.shape == (10000, 784)
    assert _files_under(cache) == sorted(f"mnist/{f}" for f in FILES)
    for f in FILES:
        assert sha256sum(cache / "mnist" / f) == SHA256["mnist"][f]


def test_all_mirrors_bad_lists_each_and_leaves_nothing(shared, tmp_path, monkeypatch):
    bad1 = _copy_files(shared / "mnist", tmp_path / "bad1")
    bad2 = tmp_path / "bad2"
    bad2.mkdir()
    (bad2 / "train-images-idx3-ubyte.gz").write_bytes(b"not the file")
    _flip_byte(bad1 / "train-images-idx3-ubyte.gz", 5000)
    monkeypatch.setitem(data.MIRRORS, "mnist", (_mirror_url(bad1), _mirror_url(bad2)))
    cache = tmp_path / "cache"

    with pytest.raises(DataError) as info:
        load_mnist(cache_dir=cache)
    msg = str(info.value)
    assert _mirror_url(bad1) + "train-images-idx3-ubyte.gz" in msg
    assert _mirror_url(bad2) + "train-images-idx3-ubyte.gz" in msg
    assert msg.count("sha256 mismatch") == 2
    assert _files_under(cache) == []


@pytest.mark.parametrize(
    ("loader", "dataset"), [(load_mnist, "mnist"), (load_fashion_mnist, "fashion-mnist")]
)
def test_offline_raises_data_unavailable(tmp_path, monkeypatch, loader, dataset):
    mirrors = ("file:///nonexistent-dlcourse-mirror/", "http://127.0.0.1:9/")
    monkeypatch.setitem(data.MIRRORS, dataset, mirrors)
    cache = tmp_path / "cache"

    with pytest.raises(DataUnavailableError) as info:
        loader(cache_dir=cache)
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg
    assert str(cache / dataset) in msg
    assert "DLCOURSE_DATA" in msg
    assert f"{dataset}/" in msg  # the required subfolder
    for mirror in mirrors:
        assert mirror + "train-images-idx3-ubyte.gz" in msg
    assert "Connection refused" in msg or "URLError" in msg
    assert _files_under(cache) == []


def test_download_disabled_and_not_cached(tmp_path):
    with pytest.raises(DataUnavailableError, match=r"download=False") as info:
        load_mnist(cache_dir=tmp_path / "cache", download=False)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert not (tmp_path / "cache").exists()


def test_files_outside_subfolder_get_a_hint(shared, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in FILES:
        (flat / f).symlink_to(shared / "mnist" / f)
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(data_dir=flat, cache_dir=tmp_path / "cache", download=False)
    msg = str(info.value)
    assert str(flat / "mnist" / "train-images-idx3-ubyte.gz") in msg
    assert f"Note: {flat / 'train-images-idx3-ubyte.gz'} exists" in msg
    assert "'mnist/' subfolder" in msg


class _DyingResponse:
    """A response that delivers one chunk and then loses the connection."""

    headers = {"Content-Length": "9999999"}

    def __init__(self, dest: Path):
        self.dest = dest
        self.calls = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, n):
        self.calls += 1
        if self.calls == 1:
            return b"x" * 1000
        partial = [p for p in self.dest.parent.iterdir() if p.name.endswith(".part")]
        assert len(partial) == 1  # the data goes to a temporary file...
        assert not self.dest.exists()  # never a partial file under the final name
        raise ConnectionResetError("connection lost")


def test_interrupted_download_leaves_no_partial_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    dest = cache / "mnist" / "train-images-idx3-ubyte.gz"
    responses = []

    def fake_urlopen(request, timeout):
        assert timeout > 0
        responses.append(_DyingResponse(dest))
        return responses[-1]

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setitem(data.MIRRORS, "mnist", ("https://a.invalid/", "https://b.invalid/"))
    with pytest.raises(DataUnavailableError, match="connection lost") as info:
        load_mnist(cache_dir=cache)
    assert [r.calls for r in responses] == [2, 2]
    assert "https://b.invalid/train-images-idx3-ubyte.gz" in str(info.value)
    assert _files_under(cache) == []


# ---------------------------------------------------------------- MNIST / Fashion-MNIST loaders


def _row_keys(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One opaque key per (image, label) row, comparable and sortable."""
    pixels = np.rint(X.reshape(len(X), -1) * 255).astype(np.uint8)
    rows = np.ascontiguousarray(np.concatenate([pixels, y.astype(np.uint8)[:, None]], axis=1))
    return rows.view(np.dtype((np.void, rows.shape[1]))).ravel()


def test_load_mnist_shapes_dtypes_range(mnist0):
    ds = mnist0
    assert ds.name == "mnist"
    assert ds.classes == tuple("0123456789")
    assert ds.X_train.shape == (55000, 784)
    assert ds.X_val.shape == (5000, 784)
    assert ds.X_test.shape == (10000, 784)
    assert ds.y_train.shape == (55000,) and ds.y_val.shape == (5000,)
    assert ds.y_test.shape == (10000,)
    for X in (ds.X_train, ds.X_val, ds.X_test):
        assert X.dtype == np.float32
        assert X.min() == 0.0 and X.max() == 1.0
    for y in (ds.y_train, ds.y_val, ds.y_test):
        assert y.dtype == np.int64
    counts = np.bincount(ds.y_train, minlength=10) + np.bincount(ds.y_val, minlength=10)
    assert counts.tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_COUNTS


def test_dataset_repr_shows_shapes_not_arrays(mnist0):
    text = repr(mnist0)
    assert "(55000, 784)" in text and "(5000, 784)" in text and "(10000,)" in text
    assert "float32" in text and "int64" in text and "mnist" in text
    assert len(text) < 600 and "0." not in text


def test_load_mnist_split_is_a_partition(mnist0, shared):
    folder = shared / "mnist"
    raw_X = read_idx(folder / "train-images-idx3-ubyte.gz")
    raw_y = read_idx(folder / "train-labels-idx1-ubyte.gz")
    original = _row_keys(raw_X / np.float32(255), raw_y)
    assert len(np.unique(original)) == 60000  # no duplicate rows, so keys identify rows
    order = np.argsort(original)
    sorted_keys = original[order]

    def original_index(X, y):
        keys = _row_keys(X, y)
        pos = np.searchsorted(sorted_keys, keys)
        assert np.all(sorted_keys[np.minimum(pos, 59999)] == keys), "row not in the original"
        return order[pos]

    train_idx = original_index(mnist0.X_train, mnist0.y_train)
    val_idx = original_index(mnist0.X_val, mnist0.y_val)
    assert np.intersect1d(train_idx, val_idx).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, val_idx])), np.arange(60000))


def test_load_mnist_seeded_split(mnist0, shared):
    again = load_mnist(data_dir=shared, seed=0, download=False)
    other = load_mnist(data_dir=shared, seed=1, download=False)
    np.testing.assert_array_equal(again.X_train, mnist0.X_train)
    np.testing.assert_array_equal(again.y_val, mnist0.y_val)
    assert not np.array_equal(other.y_val, mnist0.y_val)
    assert not np.array_equal(other.X_val, mnist0.X_val)
    np.testing.assert_array_equal(other.X_test, mnist0.X_test)  # test set never shuffled
    np.testing.assert_array_equal(other.y_test, mnist0.y_test)


def test_load_mnist_unflattened(mnist0, shared):
    ds = load_mnist(data_dir=shared, flatten=False, download=False)
    assert ds.X_train.shape == (55000, 28, 28)
    assert ds.X_val.shape == (5000, 28, 28)
    assert ds.X_test.shape == (10000, 28, 28)
    np.testing.assert_array_equal(ds.X_val.reshape(5000, 784), mnist0.X_val)


def test_load_mnist_val_size(shared):
    ds = load_mnist(val_size=1000, data_dir=shared, download=False)
    assert len(ds.X_train) == len(ds.y_train) == 59000
    assert len(ds.X_val) == len(ds.y_val) == 1000
    empty = load_mnist(val_size=0, data_dir=shared, download=False)
    assert empty.X_train.shape == (60000, 784)
    assert empty.X_val.shape == (0, 784) and empty.y_val.shape == (0,)
    with pytest.raises(ValueError, match="val_size"):
        load_mnist(val_size=-1, data_dir=shared, download=False)
    with pytest.raises(ValueError, match="val_size"):
        load_mnist(val_size=60000, data_dir=shared, download=False)


def test_load_fashion_mnist():
    root = _require_shared("fashion-mnist")
    ds = load_fashion_mnist(data_dir=root, flatten=False, download=False)
    assert ds.name == "fashion-mnist"
    assert ds.classes == FASHION_CLASSES
    assert ds.X_train.shape == (55000, 28, 28) and ds.X_val.shape == (5000, 28, 28)
    assert ds.X_test.shape == (10000, 28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    counts = np.bincount(ds.y_train, minlength=10) + np.bincount(ds.y_val, minlength=10)
    assert counts.tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10


# ---------------------------------------------------------------- digits


def test_load_digits_shapes_dtypes_range():
    ds = load_digits()
    assert ds.name == "digits" and ds.classes == tuple("0123456789")
    n = len(ds.X_train) + len(ds.X_val) + len(ds.X_test)
    assert n == 1797
    assert len(ds.X_test) == 360 and len(ds.X_val) == 360
    for X, y in ((ds.X_train, ds.y_train), (ds.X_val, ds.y_val), (ds.X_test, ds.y_test)):
        assert X.dtype == np.float32 and X.shape == (len(y), 64)
        assert y.dtype == np.int64 and y.shape == (len(X),)
        assert X.min() == 0.0 and X.max() == 1.0


def test_load_digits_is_a_stratified_partition():
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    ds = load_digits()
    X = np.concatenate([ds.X_train, ds.X_val, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    rows = np.column_stack([np.rint(X * 16), y]).astype(np.int64)
    original = np.column_stack([bunch.data, bunch.target]).astype(np.int64)

    def lexsorted(a):
        return a[np.lexsort(a.T[::-1])]

    np.testing.assert_array_equal(lexsorted(rows), lexsorted(original))  # same multiset
    overall = np.bincount(bunch.target) / len(bunch.target)
    for part in (ds.y_train, ds.y_val, ds.y_test):
        assert np.abs(np.bincount(part, minlength=10) - overall * len(part)).max() <= 1.5


def test_load_digits_seeded_and_unflattened():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    img = load_digits(seed=0, flatten=False)
    assert img.X_train.shape == (len(a.X_train), 8, 8)
    np.testing.assert_array_equal(img.X_test.reshape(-1, 64), a.X_test)


def test_load_digits_fractions():
    ds = load_digits(val_fraction=0.0, test_fraction=0.5)
    assert ds.X_val.shape == (0, 64) and ds.y_val.shape == (0,)
    assert len(ds.X_test) == 899 and len(ds.X_train) == 898
    for bad in [(-0.1, 0.2), (0.5, 0.5), (0.2, 1.0)]:
        with pytest.raises(ValueError, match="val_fraction"):
            load_digits(*bad)
