"""MNIST for the book: verified files, fast in-memory tensors and the textbook ``DataLoader``.

**Where the data lives.** All functions read MNIST from one folder, the *data folder*, which contains ``MNIST/raw/``
in exactly the layout of :class:`torchvision.datasets.MNIST`:

- if the environment variable ``CECODE_DATA_DIR`` is set, the data folder is its value
  (CI points it at a shared, read-only copy of MNIST);
- otherwise it is ``~/.cache/cecode/data``.

A ``root`` argument, where a function has one, overrides both.

**Download rule.** ``download=None`` (the default) downloads the missing files only when the data folder is the
default one (``CECODE_DATA_DIR`` unset and no ``root`` given): a reader's first run fetches
MNIST (about 12 MB), while an explicitly chosen folder (CI) is never filled behind your
back and a missing or incomplete folder is an error that says how to fix it.
``download=True`` downloads whatever is missing into the data folder; ``download=False``
never downloads. Downloads go to a temporary folder next to ``MNIST/raw/``, are checked and
only then moved into place, so a half-finished download is never used.

**Verification.** Before any file is read, the four uncompressed IDX files that torchvision reads are checked
against their known MD5 checksums (:data:`RAW_MD5`). If an uncompressed file is missing but
its original ``.gz`` archive is there (checked against torchvision's MD5), it is extracted.
A file with a wrong checksum raises :class:`CorruptDataError` and is never silently replaced.
Each file is hashed once per process (until its size or modification time changes).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor

__all__ = [
    "MEAN",
    "STD",
    "RAW_MD5",
    "GZ_MD5",
    "CorruptDataError",
    "data_dir",
    "ensure_mnist",
    "mnist_dataset",
    "load_mnist_tensors",
    "train_val_split",
    "InMemoryLoader",
    "mnist_dataloader",
    "random_shift",
    "denormalize",
]

#: Mean of the MNIST training pixels (grey levels scaled to [0, 1]), the first constant of the
#: textbook ``transforms.Normalize((0.1307,), (0.3081,))``.
MEAN = 0.1307
#: Standard deviation of the MNIST training pixels, the second constant of that ``Normalize``.
STD = 0.3081

#: MD5 of the uncompressed IDX files that torchvision reads (``MNIST/raw/<name>``).
RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: MD5 of the original ``.gz`` archives (the values in ``torchvision.datasets.MNIST.resources``).
GZ_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

ENV_VAR = "CECODE_DATA_DIR"
DEFAULT_DATA_DIR = Path("~/.cache/cecode/data")

# (resolved path) -> (size, mtime_ns) of files whose checksum was verified in this process.
_VERIFIED: dict[str, tuple[int, int]] = {}
# (resolved root, train) -> (images, labels), the normalized in-memory tensors.
_TENSORS: dict[tuple[str, bool], tuple[Tensor, Tensor]] = {}


class CorruptDataError(RuntimeError):
    """A data file exists but its checksum is not the expected one."""


def data_dir() -> Path:
    """Return the data folder: ``$CECODE_DATA_DIR`` if set, else ``~/.cache/cecode/data``.

    Returns
    -------
    pathlib.Path
        The folder that contains (or will contain) ``MNIST/raw/``; ``~`` is expanded.
    """
    value = os.environ.get(ENV_VAR)
    if value:
        return Path(value).expanduser()
    return DEFAULT_DATA_DIR.expanduser()


def _resolve_root(root: str | os.PathLike | None) -> tuple[Path, bool]:
    """Return ``(folder, is_default)``; ``is_default`` is True for the default cache folder."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(
                f"root must be a path (str or os.PathLike) or None, got {type(root).__name__}"
            )
        return Path(root).expanduser(), False
    return data_dir(), not os.environ.get(ENV_VAR)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(path: Path, expected_md5: str) -> None:
    """Raise :class:`CorruptDataError` if ``path`` does not have ``expected_md5`` (cached per process)."""
    stat = path.stat()
    key = str(path.resolve())
    if _VERIFIED.get(key) == (stat.st_size, stat.st_mtime_ns):
        return
    actual = _md5(path)
    if actual != expected_md5:
        raise CorruptDataError(
            f"corrupt MNIST file {path}: MD5 checksum {actual}, expected {expected_md5}; "
            f"delete it and download again (call with download=True), or point {ENV_VAR} "
            "at a folder with intact files"
        )
    _VERIFIED[key] = (stat.st_size, stat.st_mtime_ns)


def _extract_gz(gz_path: Path, target: Path) -> None:
    """Decompress ``gz_path`` into ``target`` via a temporary file, so no partial file is left."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(gz_path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 22)
        _check_file(Path(tmp_name), RAW_MD5[target.name])
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


def _missing_files(raw: Path) -> list[str]:
    """Verify what is there (extracting from ``.gz`` where needed); return the names still missing."""
    missing = []
    for name, md5 in RAW_MD5.items():
        path = raw / name
        if path.exists():
            _check_file(path, md5)
            continue
        gz = raw / f"{name}.gz"
        if gz.exists():
            _check_file(gz, GZ_MD5[gz.name])
            try:
                _extract_gz(gz, path)
                continue
            except OSError:  # read-only folder: cannot extract, report as missing
                pass
        missing.append(name)
    return missing


def _download(root: Path) -> None:
    """Download MNIST with torchvision into a temporary folder, verify, then move into ``root/MNIST/raw``."""
    from torchvision.datasets import MNIST

    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=".cecode-download-", dir=root))
    try:
        try:
            MNIST(root=tmp_root, train=True, download=True)  # fetches and checks the .gz archives
        except (RuntimeError, OSError) as err:
            reason = " ".join(str(err).split())[:300] or type(err).__name__
            raise RuntimeError(
                f"Could not download MNIST into {raw} ({reason}). Connect to the internet and "
                f"try again, or put the four MNIST files (or their .gz archives: "
                f"{', '.join(GZ_MD5)}) into {raw} yourself, or set {ENV_VAR} to a folder "
                "that already contains MNIST/raw/."
            ) from err
        tmp_raw = tmp_root / "MNIST" / "raw"
        for name, md5 in RAW_MD5.items():
            _check_file(tmp_raw / name, md5)
        for name in [*RAW_MD5, *GZ_MD5]:
            if not (raw / name).exists():
                os.replace(tmp_raw / name, raw / name)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def ensure_mnist(root: str | os.PathLike | None = None, download: bool | None = None) -> Path:
    """Make sure verified MNIST files are in ``<root>/MNIST/raw/`` and return ``root``.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The data folder (the one containing ``MNIST/``). Default: :func:`data_dir`.
    download : bool or None, optional
        ``True``: download missing files; ``False``: never download; ``None`` (default):
        download only into the default folder (``CECODE_DATA_DIR`` unset, no ``root``).

    Returns
    -------
    pathlib.Path
        The data folder, ready for ``torchvision.datasets.MNIST(root, download=False)``.

    Raises
    ------
    FileNotFoundError
        If files are missing and may not be downloaded; the message names the folder, the
        missing files and the fix (``CECODE_DATA_DIR`` or ``download=True``).
    CorruptDataError
        If a file's MD5 checksum is wrong; the message names the file, both checksums and the fix.
    """
    if download is not None and not isinstance(download, bool):
        raise TypeError(f"download must be True, False or None, got {download!r}")
    folder, is_default = _resolve_root(root)
    raw = folder / "MNIST" / "raw"
    missing = _missing_files(raw) if raw.is_dir() else list(RAW_MD5)
    if not missing:
        return folder
    allowed = download if download is not None else is_default
    if allowed:
        folder.mkdir(parents=True, exist_ok=True)
        _download(folder)
        missing = _missing_files(raw)
        if not missing:
            return folder
    where = f"{folder} (from {ENV_VAR})" if root is None and not is_default else str(folder)
    what = "MNIST not found" if len(missing) == len(RAW_MD5) else "MNIST incomplete"
    raise FileNotFoundError(
        f"{what} in {where}: missing {', '.join(missing)} in MNIST/raw/. "
        f"Set {ENV_VAR} to a folder containing MNIST/raw/ with the four MNIST files, "
        "or call with download=True to download MNIST (about 12 MB) into that folder."
    )


def mnist_dataset(
    train: bool = True,
    root: str | os.PathLike | None = None,
    download: bool | None = None,
    transform: Callable | None = None,
):
    """Return ``torchvision.datasets.MNIST`` read from the verified data folder.

    Parameters
    ----------
    train : bool
        The 60,000 training images (``True``) or the 10,000 test images (``False``).
    root, download
        As in :func:`ensure_mnist`.
    transform : callable, optional
        Applied by torchvision to each PIL image (for example ``ToTensor`` + ``Normalize``).

    Returns
    -------
    torchvision.datasets.MNIST
        ``.data`` is a ``(N, 28, 28)`` uint8 tensor and ``.targets`` a ``(N,)`` int64 tensor.
    """
    from torchvision.datasets import MNIST

    folder = ensure_mnist(root, download)
    return MNIST(root=folder, train=bool(train), download=False, transform=transform)


def load_mnist_tensors(
    train: bool = True, root: str | os.PathLike | None = None, download: bool | None = None
) -> tuple[Tensor, Tensor]:
    """Return the whole MNIST split as normalized float32 tensors, cached per process.

    Pixels :math:`p \\in \\{0, \\dots, 255\\}` become :math:`x = (p / 255 - 0.1307) / 0.3081`, the same values
    as the textbook ``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))`` pipeline, computed once for
    the whole set from torchvision's ``MNIST(...).data`` instead of image by image.

    Parameters
    ----------
    train : bool
        Training split (60,000 images) or test split (10,000).
    root, download
        As in :func:`ensure_mnist`.

    Returns
    -------
    images : Tensor
        ``(N, 1, 28, 28)`` float32, normalized.
    labels : Tensor
        ``(N,)`` int64 digits 0-9.

    Notes
    -----
    Repeated calls return the same cached tensors: treat them as read-only (do not modify them
    in place; :func:`train_val_split` and indexing make copies).
    """
    folder = ensure_mnist(root, download)
    key = (str(folder.resolve()), bool(train))
    if key not in _TENSORS:
        ds = mnist_dataset(train, folder, download=False)
        images = ds.data.unsqueeze(1).float()
        images.mul_(1.0 / (255.0 * STD)).sub_(MEAN / STD)
        _TENSORS[key] = (images, ds.targets.long())
    return _TENSORS[key]


def train_val_split(
    images: Tensor, labels: Tensor, val_size: int = 10_000, seed: int = 0
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """Split a data set at random, deterministically, into training and validation parts.

    Parameters
    ----------
    images : Tensor
        ``(N, ...)``.
    labels : Tensor
        ``(N,)``.
    val_size : int
        Number of validation examples, ``0 < val_size < N``.
    seed : int
        Seed of the permutation; the same seed gives the same split on every machine.

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_val, y_val))`` with ``N - val_size`` and ``val_size`` examples (copies).

    Raises
    ------
    ValueError
        If the lengths differ or ``val_size`` is out of range.
    """
    n = len(images)
    if len(labels) != n:
        raise ValueError(f"images and labels must have the same length, got {n} and {len(labels)}")
    if not isinstance(val_size, int) or not 0 < val_size < n:
        raise ValueError(f"val_size must be an int with 0 < val_size < {n}, got {val_size!r}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train_idx, val_idx = perm[: n - val_size], perm[n - val_size :]
    return (images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx])


class InMemoryLoader:
    """Batches of in-memory tensors: a fresh seeded permutation each epoch, no per-item Python work.

    Each pass (``for xb, yb in loader``) visits every example exactly once, in an order drawn
    from a ``torch.Generator`` seeded with ``seed`` (so the sequence of epochs is reproducible).

    Parameters
    ----------
    images : Tensor
        ``(N, ...)``.
    labels : Tensor
        ``(N,)``.
    batch_size : int
        Examples per batch (the last batch may be smaller).
    shuffle : bool
        Permute every epoch (``True``) or keep the order.
    seed : int
        Seed of the permutations.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        batch_size: int = 64,
        shuffle: bool = True,
        seed: int = 0,
    ):
        if len(images) != len(labels):
            raise ValueError(
                f"images and labels must have the same length, got {len(images)} and {len(labels)}"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def index_batches(self) -> list[Tensor]:
        """Return one epoch of index tensors (a permutation of ``range(N)`` cut into batches)."""
        n = len(self.images)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        return list(order.split(self.batch_size))

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        for idx in self.index_batches():
            yield self.images.index_select(0, idx), self.labels.index_select(0, idx)


def mnist_dataloader(
    train: bool = True,
    batch_size: int = 64,
    shuffle: bool | None = None,
    root: str | os.PathLike | None = None,
    download: bool | None = None,
    num_workers: int = 0,
    seed: int = 0,
) -> torch.utils.data.DataLoader:
    """The textbook pipeline: ``DataLoader`` over ``torchvision.datasets.MNIST`` with ``ToTensor`` + ``Normalize``.

    Every item goes through PIL and the transforms one by one, which is simple and general but
    several times slower than :class:`InMemoryLoader` for a data set that fits in memory.

    Parameters
    ----------
    train : bool
        Training or test split.
    batch_size : int
        Examples per batch.
    shuffle : bool, optional
        Default: shuffle the training split only.
    root, download
        As in :func:`ensure_mnist`.
    num_workers : int
        Worker processes of the ``DataLoader``.
    seed : int
        Seed of the shuffling generator.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``(images (B, 1, 28, 28) float32, labels (B,) int64)``.
    """
    from torchvision import transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    dataset = mnist_dataset(train, root, download, transform=transform)
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=train if shuffle is None else shuffle,
        num_workers=num_workers,
        generator=torch.Generator().manual_seed(seed),
    )


def random_shift(
    images: Tensor,
    max_shift: int = 2,
    fill: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Shift each image by a random whole number of pixels, up to ``max_shift`` in each direction.

    Data augmentation for digits: a digit moved by a pixel or two is still the same digit.
    Implemented with one padding and one gather for the whole batch (no Python loop).

    Parameters
    ----------
    images : Tensor
        ``(B, C, H, W)``.
    max_shift : int
        Largest shift; shifts are drawn uniformly from ``-max_shift .. max_shift`` for rows and
        columns independently, per image.
    fill : float, optional
        Value for the pixels shifted in. Default: the batch minimum (the background).
    generator : torch.Generator, optional
        Source of randomness (default: the global generator).

    Returns
    -------
    Tensor
        ``(B, C, H, W)``, a new tensor.
    """
    if images.dim() != 4:
        raise ValueError(f"images must have shape (B, C, H, W), got shape {tuple(images.shape)}")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative int, got {max_shift!r}")
    if max_shift == 0:
        return images.clone()
    b, c, h, w = images.shape
    m = max_shift
    value = float(images.min()) if fill is None else float(fill)
    padded = torch.nn.functional.pad(images, (m, m, m, m), value=value)
    shifts = torch.randint(0, 2 * m + 1, (2, b, 1), generator=generator)
    rows = (torch.arange(h) + shifts[0])[:, :, None]  # (B, H, 1)
    cols = (torch.arange(w) + shifts[1])[:, None, :]  # (B, 1, W)
    batch = torch.arange(b)[:, None, None]
    # advanced indexing on dims 0, 2, 3 puts the indexed dims first: (B, H, W, C)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def denormalize(images: Tensor) -> Tensor:
    """Undo the normalization: grey levels in ``[0, 1]`` for display.

    Parameters
    ----------
    images : Tensor
        Normalized images of any shape.

    Returns
    -------
    Tensor
        ``images * 0.3081 + 0.1307``, clamped to ``[0, 1]``.
    """
    return (images * STD + MEAN).clamp(0.0, 1.0)
