"""MNIST for the book: verified files, fast in-memory tensors and the textbook ``DataLoader``.

**Where the data lives.** All functions read MNIST from ``MNIST/raw/`` inside the data folder
(:func:`cecode.downloads.data_dir`: ``$CECODE_DATA_DIR`` if set, else ``~/.cache/cecode/data``),
in exactly the layout of :class:`torchvision.datasets.MNIST`. A ``root`` argument, where a
function has one, overrides it.

**Download rule and checks** are those of :mod:`cecode.downloads`: ``download=None`` (the
default) downloads missing files only into the default folder (a reader's first run fetches
about 12 MB), ``download=True`` downloads what is missing, ``download=False`` never downloads.
Before any file is read, the four uncompressed IDX files that torchvision reads are checked
against their known MD5 checksums (:data:`RAW_MD5`). If an uncompressed file is missing but
its original ``.gz`` archive is there (checked against torchvision's MD5, :data:`GZ_MD5`), it is
extracted. A file with a wrong checksum raises :class:`CorruptDataError` and is never silently
replaced.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor

from cecode import _validate as v
from cecode import downloads
from cecode.downloads import CorruptDataError, DownloadError, data_dir

__all__ = [
    "MEAN",
    "STD",
    "RAW_MD5",
    "GZ_MD5",
    "MIRRORS",
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

#: Where the ``.gz`` archives are downloaded from (``torchvision.datasets.MNIST.mirrors``).
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")

# (resolved root, train) -> (images, labels), the normalized in-memory tensors.
_TENSORS: dict[tuple[str, bool], tuple[Tensor, Tensor]] = {}


def _missing_files(raw: Path) -> list[str]:
    """Verify what is there (extracting from ``.gz`` where needed); return the names still missing."""
    missing = []
    for name, md5 in RAW_MD5.items():
        path = raw / name
        if path.exists():
            downloads.verify_file(path, md5=md5, what="MNIST")
            continue
        gz = raw / f"{name}.gz"
        if gz.exists():
            downloads.verify_file(gz, md5=GZ_MD5[gz.name], what="MNIST")
            try:
                downloads.extract_gz(gz, path, md5=md5, what="MNIST")
                continue
            except OSError:  # read-only folder: cannot extract, report as missing
                pass
        missing.append(name)
    return missing


def _download(root: Path, names: list[str]) -> None:
    """Download the ``.gz`` archives of the missing ``names`` into ``root/MNIST/raw``, verified."""
    raw = root / "MNIST" / "raw"
    for name in names:
        gz = f"{name}.gz"
        if (raw / gz).exists():
            continue
        try:
            downloads.download_file(
                [m + gz for m in MIRRORS], raw / gz, md5=GZ_MD5[gz], what="MNIST"
            )
        except DownloadError as err:
            raise DownloadError(
                f"Could not download MNIST into {raw} ({'; '.join(err.reasons)}). Connect to "
                "the internet and try again, or put the four MNIST files (or their .gz archives: "
                f"{', '.join(GZ_MD5)}) into {raw} yourself, or set {downloads.ENV_VAR} to a "
                "folder that already contains MNIST/raw/."
            ) from err


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
    cecode.downloads.DownloadError
        If a download was allowed but failed; the message says why and the three ways to fix it.
    """
    downloads.check_download(download)
    folder, is_default = downloads.resolve_data_dir(root)
    raw = folder / "MNIST" / "raw"
    missing = _missing_files(raw) if raw.is_dir() else list(RAW_MD5)
    if missing and (download if download is not None else is_default):
        _download(folder, missing)
        missing = _missing_files(raw)
    if not missing:
        return folder
    where = f"{folder} (from {downloads.ENV_VAR})" if root is None and not is_default else folder
    what = "MNIST not found" if len(missing) == len(RAW_MD5) else "MNIST incomplete"
    raise FileNotFoundError(
        f"{what} in {where}: missing {', '.join(missing)} in MNIST/raw/. "
        f"Set {downloads.ENV_VAR} to a folder containing MNIST/raw/ with the four MNIST files, "
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

    v.check_bool("train", train)
    v.check_callable("transform", transform, optional=True)
    folder = ensure_mnist(root, download)
    return MNIST(root=folder, train=train, download=False, transform=transform)


def load_mnist_tensors(
    train: bool = True, root: str | os.PathLike | None = None, download: bool | None = None
) -> tuple[Tensor, Tensor]:
    r"""Return the whole MNIST split as normalized float32 tensors, cached per process.

    Pixels :math:`p \in \{0, \dots, 255\}` become :math:`x = (p / 255 - 0.1307) / 0.3081`, the same values
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
    v.check_bool("train", train)
    folder = ensure_mnist(root, download)
    key = (str(folder.resolve()), train)
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
    v.check_labeled_data("images, labels", (images, labels))
    v.check_int("seed", seed)
    n = len(images)
    v.check_positive_int("val_size", val_size)
    if val_size >= n:
        raise ValueError(f"val_size: expected an int in [1, {n - 1}] (N = {n}), got {val_size}")
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
        v.check_labeled_data("images, labels", (images, labels))
        v.check_positive_int("batch_size", batch_size)
        v.check_bool("shuffle", shuffle)
        v.check_int("seed", seed)
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        """Return the number of batches per epoch, ``ceil(N / batch_size)``."""
        return -(-len(self.images) // self.batch_size)

    def index_batches(self) -> list[Tensor]:
        """Return one epoch of index tensors (a permutation of ``range(N)`` cut into batches)."""
        n = len(self.images)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        return list(order.split(self.batch_size))

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        """Yield one epoch of ``(images, labels)`` batches."""
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
    """Build the textbook pipeline: ``DataLoader`` over ``torchvision.datasets.MNIST`` with ``ToTensor`` + ``Normalize``.

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

    v.check_positive_int("batch_size", batch_size)
    if shuffle is not None:
        v.check_bool("shuffle", shuffle)
    v.check_positive_int("num_workers", num_workers, minimum=0)
    v.check_int("seed", seed)
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
    v.check_floating("images", images)
    if images.dim() != 4:
        raise ValueError(
            f"images: expected shape (B, C, H, W), got shape {v.shape_str(images.shape)}"
        )
    v.check_positive_int("max_shift", max_shift, minimum=0)
    if fill is not None:
        v.check_real("fill", fill)
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
    v.check_floating("images", images)
    return (images * STD + MEAN).clamp(0.0, 1.0)
