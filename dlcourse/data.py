"""Data sets for the course: scikit-learn's 8x8 digits, MNIST and Fashion-MNIST.

Every loader returns a :class:`Dataset` with train / validation / test splits, images as
float32 in [0, 1] and labels as int64.

MNIST and Fashion-MNIST files (the four standard gzipped IDX files) are looked up, per file:

1. in a local folder, ``data_dir`` or else the environment variable ``DLCOURSE_DATA``, laid
   out as ``<dir>/mnist/<file>`` and ``<dir>/fashion-mnist/<file>`` (the subfolder is
   required; a file missing there falls through to step 2);
2. in the cache, ``cache_dir`` or else ``DLCOURSE_CACHE`` or else ``~/.cache/dlcourse``, at
   ``<cache>/<dataset>/<file>``;
3. by download from the mirrors in :data:`MIRRORS` (tried in order) into the cache.

Every file is checked against its known sha256 before use.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

__all__ = [
    "ChecksumError",
    "DataError",
    "DATA_ENV",
    "DataUnavailableError",
    "Dataset",
    "FILES",
    "MIRRORS",
    "SHA256",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "sha256sum",
    "verify_file",
]

#: The environment variable naming a local folder with the IDX files (see the module docstring).
DATA_ENV = "DLCOURSE_DATA"

FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

#: Download mirrors per data set, tried in order; ``<mirror><file>`` is the file's URL.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

#: sha256 of the canonical gzipped files.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
}

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
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

DOWNLOAD_TIMEOUT = 30.0  # seconds, per network operation
_CHUNK = 1 << 20


class DataError(RuntimeError):
    """A data file is missing, corrupt or cannot be parsed."""


class ChecksumError(DataError):
    """A file's sha256 differs from the expected value."""


class DataUnavailableError(DataError):
    """A file is neither available locally nor could be downloaded."""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Train / validation / test splits of one data set.

    With ``D`` features per image (784 for MNIST, 64 for digits, or the image shape
    ``(28, 28)`` / ``(8, 8)`` when loaded with ``flatten=False``):

    - ``X_train: (N_train, D) float32`` in [0, 1], ``y_train: (N_train,) int64``
    - ``X_val: (N_val, D) float32``, ``y_val: (N_val,) int64``
    - ``X_test: (N_test, D) float32``, ``y_test: (N_test,) int64``
    - ``classes``: class names; label ``k`` means ``classes[k]``
    - ``name``: ``"mnist"``, ``"fashion-mnist"`` or ``"digits"``
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    name: str

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def summary(self) -> str:
        """A few lines giving the name, classes and each array's shape and dtype."""
        lines = [f"Dataset {self.name!r}: {self.num_classes} classes {list(self.classes)}"]
        for split in ("train", "val", "test"):
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            lines.append(
                f"  {split:<5}  X {str(X.shape):<16} {X.dtype}   y {str(y.shape):<9} {y.dtype}"
            )
        return "\n".join(lines)

    __repr__ = summary


# ---------------------------------------------------------------- checksums and IDX files


def sha256sum(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path: str | os.PathLike, sha256: str) -> None:
    """Raise :class:`ChecksumError` unless the file's sha256 equals ``sha256``."""
    actual = sha256sum(path)
    if actual != sha256.lower():
        raise ChecksumError(
            f"Checksum mismatch for {path}:\n  expected sha256 {sha256}\n  actual   sha256 "
            f"{actual}\nThe file is corrupt, incomplete or a different version. "
            "Delete it or replace it with a good copy, then try again."
        )


_IDX_NDIM = {2049: 1, 2051: 3}  # labels: (count,); images: (count, rows, cols)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes.

    Returns ``(count, rows, cols) uint8`` for an image file (magic 2051) or
    ``(count,) uint8`` for a label file (magic 2049). Raises :class:`DataError` for a
    file that is not valid gzip, is truncated, or whose header does not match its payload.
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise DataError(
            f"{path}: not a valid gzip file, or truncated/corrupted ({e}). "
            "Delete it and download it again."
        ) from e
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    if data[2] != 0x08:
        raise DataError(f"{path}: IDX dtype code 0x{data[2]:02x}, expected 0x08 (unsigned byte)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic not in _IDX_NDIM:
        raise DataError(
            f"{path}: IDX magic number {magic}, expected 2051 (images) or 2049 (labels)"
        )
    ndim = _IDX_NDIM[magic]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DataError(f"{path}: IDX header truncated ({len(data)} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:offset])
    expected, actual = int(np.prod(shape)), len(data) - offset
    if actual != expected:
        raise DataError(
            f"{path}: IDX header says shape {shape} ({expected} bytes of data) "
            f"but the file holds {actual} bytes"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()


# ---------------------------------------------------------------- finding and fetching files


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def _cache_root(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return _env_path("DLCOURSE_CACHE") or Path.home() / ".cache" / "dlcourse"


def _download(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest`` via a temporary file; only a verified file gets the name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "dlcourse"})
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                with tqdm(
                    total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name
                ) as bar:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        bar.update(len(chunk))
        actual = sha256sum(tmp)
        if actual != sha256:
            raise DataError(f"sha256 mismatch: expected {sha256}, got {actual}")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a shared cache should stay readable
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch(
    dataset: str,
    filename: str,
    data_dir: str | os.PathLike | None,
    cache_dir: str | os.PathLike | None,
    download: bool,
) -> Path:
    """Path of a verified copy of ``filename``; see the module docstring for the order."""
    sha256 = SHA256[dataset][filename]
    looked: list[str] = []
    hint = ""

    local_root = Path(data_dir).expanduser() if data_dir is not None else _env_path(DATA_ENV)
    if local_root is not None:
        local = local_root / dataset / filename
        if local.is_file():
            verify_file(local, sha256)
            return local
        source = "data_dir" if data_dir is not None else DATA_ENV
        looked.append(f"{local} ({source}): not found")
        if (local_root / filename).is_file():
            hint = (
                f"\nNote: {local_root / filename} exists, but files must be in the "
                f"'{dataset}/' subfolder: move it to {local}."
            )

    cached = _cache_root(cache_dir) / dataset / filename
    if cached.is_file():
        try:
            verify_file(cached, sha256)
            return cached
        except ChecksumError as e:
            if not download:
                raise ChecksumError(f"{e}\n(Or pass download=True to fetch a fresh copy.)") from e
            cached.unlink()
            looked.append(f"{cached} (cache): corrupt, deleted")
    else:
        looked.append(f"{cached} (cache): not found")

    failures: list[str] = []
    if download:
        for mirror in MIRRORS[dataset]:
            url = mirror.rstrip("/") + "/" + filename
            try:
                _download(url, cached, sha256)
                return cached
            except (OSError, ValueError, http.client.HTTPException, DataError) as e:
                failures.append(f"{url}: {type(e).__name__}: {e}")

    tried = "\n".join(f"  - {f}" for f in failures) or "  (none: download=False)"
    retry = "run again" if download else "run again with download=True"
    raise DataUnavailableError(
        f"Could not obtain {dataset} file '{filename}'.\n"
        "Looked in:\n" + "\n".join(f"  - {p}" for p in looked) + "\n"
        f"Download attempts:\n{tried}\n"
        "To fix this, either\n"
        f"  - connect to the internet and {retry} (files are cached in {cached.parent}), or\n"
        f"  - copy the four files\n      {', '.join(FILES[:2])},\n      {', '.join(FILES[2:])}\n"
        f"    into /path/to/data/{dataset}/ and set DLCOURSE_DATA=/path/to/data\n"
        f"    (or pass data_dir='/path/to/data'); the '{dataset}/' subfolder is required." + hint
    )


# ---------------------------------------------------------------- loaders


def _to_float(images: np.ndarray, scale: float, flatten: bool) -> np.ndarray:
    X = images.astype(np.float32) / np.float32(scale)
    return X.reshape(len(X), int(np.prod(X.shape[1:]))) if flatten else X


def _load_idx_dataset(
    dataset: str,
    classes: tuple[str, ...],
    val_size: int,
    seed: int,
    flatten: bool,
    data_dir: str | os.PathLike | None,
    cache_dir: str | os.PathLike | None,
    download: bool,
) -> Dataset:
    if val_size < 0:
        raise ValueError(f"val_size must be >= 0, got {val_size}")
    paths = [_fetch(dataset, f, data_dir, cache_dir, download) for f in FILES]
    X_full, y_full, X_test, y_test = (read_idx(p) for p in paths)
    for X, y in ((X_full, y_full), (X_test, y_test)):
        if len(X) != len(y):
            raise DataError(f"{dataset}: {len(X)} images but {len(y)} labels")
    n = len(X_full)
    if not 0 <= val_size < n:
        raise ValueError(f"val_size must be in [0, {n}), got {val_size}")
    perm = np.random.default_rng(seed).permutation(n)
    val_idx, train_idx = perm[:val_size], perm[val_size:]
    return Dataset(
        X_train=_to_float(X_full[train_idx], 255, flatten),
        y_train=y_full[train_idx].astype(np.int64),
        X_val=_to_float(X_full[val_idx], 255, flatten),
        y_val=y_full[val_idx].astype(np.int64),
        X_test=_to_float(X_test, 255, flatten),
        y_test=y_test.astype(np.int64),
        classes=classes,
        name=dataset,
    )


def load_mnist(
    val_size: int = 5000,
    seed: int = 0,
    flatten: bool = True,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> Dataset:
    """MNIST handwritten digits, classes ``"0"`` .. ``"9"``.

    The official 60000 training images are shuffled by a permutation seeded with ``seed``;
    the first ``val_size`` become the validation set and the rest, in shuffled order, the
    training set. The test set is the official 10000 images, in file order.

    Returns ``X_train: (60000 - val_size, 784) float32`` in [0, 1] (pixels / 255),
    ``X_val: (val_size, 784)``, ``X_test: (10000, 784)``, labels ``(N,) int64``;
    images are ``(N, 28, 28)`` with ``flatten=False``.

    Files come from ``data_dir`` / ``DLCOURSE_DATA`` (as ``<dir>/mnist/<file>``), the cache
    (``cache_dir`` / ``DLCOURSE_CACHE`` / ``~/.cache/dlcourse``) or, if ``download``, the
    mirrors in ``MIRRORS["mnist"]``. Raises :class:`DataUnavailableError` if a file cannot
    be obtained and :class:`ChecksumError` for a corrupt local file.
    """
    return _load_idx_dataset(
        "mnist", MNIST_CLASSES, val_size, seed, flatten, data_dir, cache_dir, download
    )


def load_fashion_mnist(
    val_size: int = 5000,
    seed: int = 0,
    flatten: bool = True,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> Dataset:
    """Fashion-MNIST (Zalando article images); same shapes, split and lookup as
    :func:`load_mnist`, with files in ``<dir>/fashion-mnist/``.

    Classes: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
    Ankle boot.
    """
    return _load_idx_dataset(
        "fashion-mnist",
        FASHION_MNIST_CLASSES,
        val_size,
        seed,
        flatten,
        data_dir,
        cache_dir,
        download,
    )


def _split(
    indices: np.ndarray, labels: np.ndarray, size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of ``indices`` into (rest, part) with ``part`` about ``size`` of it."""
    if size == 0:
        return indices, indices[:0]
    from sklearn.model_selection import train_test_split

    rest, part = train_test_split(
        indices, test_size=size, stratify=labels[indices], random_state=seed
    )
    return rest, part


def load_digits(
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    flatten: bool = True,
) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, no download needed).

    The split is stratified by class and seeded: ``test_fraction`` and ``val_fraction`` of
    all images go to the test and validation sets, the rest to training.

    Returns ``X_train: (N_train, 64) float32`` in [0, 1] (pixels 0..16 divided by 16),
    likewise ``X_val``, ``X_test``; images are ``(N, 8, 8)`` with ``flatten=False``;
    labels ``(N,) int64``; classes ``"0"`` .. ``"9"``.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            "need 0 <= val_fraction, test_fraction and val_fraction + test_fraction < 1, "
            f"got {val_fraction}, {test_fraction}"
        )
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images, y = bunch.images, bunch.target.astype(np.int64)
    rest, test_idx = _split(np.arange(len(y)), y, test_fraction, seed)
    train_idx, val_idx = _split(rest, y, val_fraction / (1 - test_fraction), seed)
    return Dataset(
        X_train=_to_float(images[train_idx], 16, flatten),
        y_train=y[train_idx],
        X_val=_to_float(images[val_idx], 16, flatten),
        y_val=y[val_idx],
        X_test=_to_float(images[test_idx], 16, flatten),
        y_test=y[test_idx],
        classes=MNIST_CLASSES,
        name="digits",
    )
