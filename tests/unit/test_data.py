"""cecode.data: the real MNIST files, normalization, splits, batching, augmentation and data errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from cecode import data, downloads

RAW_NAMES = list(data.RAW_MD5)
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def shared_raw() -> Path:
    raw = data.data_dir() / "MNIST" / "raw"
    if not raw.is_dir():
        pytest.skip(f"no MNIST in CECODE_DATA_DIR={os.environ.get('CECODE_DATA_DIR')}")
    return raw


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CECODE_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("CECODE_DATA_DIR")
    assert data.data_dir() == Path.home() / ".cache" / "cecode" / "data"


@pytest.mark.parametrize(
    ("train", "n", "first", "counts"),
    [(True, 60_000, 5, TRAIN_COUNTS), (False, 10_000, 7, TEST_COUNTS)],
)
def test_real_mnist_tensors(shared_raw, train, n, first, counts):
    images, labels = data.load_mnist_tensors(train=train)
    assert images.shape == (n, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert labels[0].item() == first
    assert torch.bincount(labels, minlength=10).tolist() == counts


def test_tensors_are_cached(shared_raw):
    first = data.load_mnist_tensors(train=False)
    second = data.load_mnist_tensors(train=False)
    assert first[0] is second[0] and first[1] is second[1]


def test_normalization_statistics(shared_raw):
    images, _ = data.load_mnist_tensors(train=True)
    # 0.1307 and 0.3081 are the rounded mean and std of the training pixels
    assert abs(images.mean().item()) < 1e-3
    assert abs(images.std().item() - 1.0) < 1e-3
    background = -data.MEAN / data.STD
    torch.testing.assert_close(images.min(), torch.tensor(background))
    torch.testing.assert_close(data.denormalize(images[:5]).min(), torch.tensor(0.0))


def test_in_memory_equals_textbook_pipeline(shared_raw):
    loader = data.mnist_dataloader(train=False, batch_size=32, shuffle=False)
    xb, yb = next(iter(loader))
    images, labels = data.load_mnist_tensors(train=False)
    torch.testing.assert_close(xb, images[:32], atol=1e-6, rtol=1e-6)
    assert torch.equal(yb, labels[:32])


def test_train_val_split_is_deterministic_and_disjoint():
    x = torch.arange(100).float().reshape(100, 1)
    y = torch.arange(100)
    (xt, yt), (xv, yv) = data.train_val_split(x, y, val_size=20, seed=3)
    (xt2, _), (xv2, _) = data.train_val_split(x, y, val_size=20, seed=3)
    (_, _), (xv3, _) = data.train_val_split(x, y, val_size=20, seed=4)
    assert len(xt) == 80 and len(xv) == 20
    assert torch.equal(xt, xt2) and torch.equal(xv, xv2)
    assert not torch.equal(xv, xv3)
    assert sorted(torch.cat([yt, yv]).tolist()) == list(range(100))
    assert torch.equal(xt[:, 0].long(), yt)  # images and labels stay paired


@pytest.mark.parametrize(
    ("val_size", "error"), [(0, ValueError), (100, ValueError), (-1, ValueError), (2.5, TypeError)]
)
def test_train_val_split_rejects_bad_size(val_size, error):
    with pytest.raises(error, match="val_size: expected an int"):
        data.train_val_split(torch.zeros(100, 1), torch.zeros(100), val_size=val_size)


def test_in_memory_batches_cover_every_index_once_per_epoch():
    x = torch.arange(130).float().reshape(130, 1)
    y = torch.arange(130)
    loader = data.InMemoryLoader(x, y, batch_size=32, seed=0)
    assert len(loader) == 5
    epochs = []
    for _ in range(2):
        seen = [yb for _, yb in loader]
        assert [len(b) for b in seen] == [32, 32, 32, 32, 2]
        order = torch.cat(seen)
        assert sorted(order.tolist()) == list(range(130))
        epochs.append(order)
    assert not torch.equal(epochs[0], epochs[1])  # a new permutation each epoch
    again = torch.cat([yb for _, yb in data.InMemoryLoader(x, y, batch_size=32, seed=0)])
    assert torch.equal(again, epochs[0])  # same seed, same first epoch


def test_random_shift_moves_pixels_within_bounds():
    images = torch.zeros(500, 1, 28, 28)
    images[:, 0, 14, 14] = 1.0
    shifted = data.random_shift(
        images, max_shift=2, fill=0.0, generator=torch.Generator().manual_seed(0)
    )
    assert shifted.shape == images.shape
    assert torch.equal(shifted.sum(dim=(1, 2, 3)), torch.ones(500))  # the pixel moved, not lost
    rows, cols = shifted[:, 0].nonzero()[:, 1], shifted[:, 0].nonzero()[:, 2]
    assert set((rows - 14).tolist()) == {-2, -1, 0, 1, 2}
    assert set((cols - 14).tolist()) == {-2, -1, 0, 1, 2}


def test_random_shift_is_a_translation():
    images = torch.randn(8, 1, 28, 28)
    shifted = data.random_shift(
        images, max_shift=1, fill=-9.0, generator=torch.Generator().manual_seed(1)
    )
    for original, moved in zip(images, shifted, strict=True):
        matches = [
            (dr, dc)
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            if torch.equal(
                moved[0, max(dr, 0) : 28 + min(dr, 0), max(dc, 0) : 28 + min(dc, 0)],
                original[0, max(-dr, 0) : 28 + min(-dr, 0), max(-dc, 0) : 28 + min(-dc, 0)],
            )
        ]
        assert len(matches) == 1


def test_random_shift_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"images: expected shape \(B, C, H, W\)"):
        data.random_shift(torch.zeros(28, 28))


# --- data errors -------------------------------------------------------------------------


def _copy_raw(shared_raw: Path, root: Path, names=RAW_NAMES, gz: bool = False) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in names:
        shutil.copyfile(shared_raw / name, raw / name)
        if gz:
            shutil.copyfile(shared_raw / f"{name}.gz", raw / f"{name}.gz")
    return raw


def test_missing_folder_names_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("CECODE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="MNIST not found in .*CECODE_DATA_DIR") as info:
        data.load_mnist_tensors(train=False)
    assert "download=True" in str(info.value)
    assert not (tmp_path / "nowhere").exists()  # nothing was downloaded behind our back


def test_partially_missing_lists_the_missing_files(shared_raw, tmp_path):
    _copy_raw(shared_raw, tmp_path, names=RAW_NAMES[1:])
    with pytest.raises(
        FileNotFoundError, match="MNIST incomplete.*missing train-images-idx3-ubyte in"
    ):
        data.ensure_mnist(tmp_path)


def test_corrupt_file_reports_checksum(shared_raw, tmp_path):
    raw = _copy_raw(shared_raw, tmp_path, names=RAW_NAMES[1:])
    os.symlink(shared_raw / RAW_NAMES[0], raw / RAW_NAMES[0])  # the big file, unchanged
    victim = raw / "t10k-labels-idx1-ubyte"
    content = bytearray(victim.read_bytes())
    content[100] ^= 0xFF
    victim.write_bytes(bytes(content))
    expected = data.RAW_MD5["t10k-labels-idx1-ubyte"]
    with pytest.raises(
        data.CorruptDataError, match=f"corrupt MNIST file .*t10k-labels.*expected {expected}"
    ):
        data.load_mnist_tensors(train=True, root=tmp_path)
    with pytest.raises(data.CorruptDataError, match="delete it and download again"):
        data.mnist_dataset(train=False, root=tmp_path, download=True)


def test_extracts_from_verified_gz_archive(shared_raw, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_NAMES:
        if name.startswith("train-images"):
            os.symlink(shared_raw / name, raw / name)
        else:
            shutil.copyfile(shared_raw / f"{name}.gz", raw / f"{name}.gz")
    assert data.ensure_mnist(tmp_path, download=False) == tmp_path
    assert sorted(p.name for p in raw.iterdir() if not p.name.endswith(".gz")) == sorted(RAW_NAMES)
    assert not [p for p in raw.iterdir() if "partial" in p.name]


def test_bad_download_argument():
    with pytest.raises(TypeError, match="download: expected True, False or None, got str"):
        data.ensure_mnist(download="yes")


def test_download_rule(monkeypatch, shared_raw, tmp_path):
    """download=None downloads only into the default folder; an explicit folder needs download=True."""
    calls = []

    def fake_download(root: Path, names) -> None:  # stands in for the network: copies the files
        calls.append(root)
        _copy_raw(shared_raw, root, names=RAW_NAMES[1:])
        os.symlink(shared_raw / RAW_NAMES[0], root / "MNIST" / "raw" / RAW_NAMES[0])

    monkeypatch.setattr(data, "_download", fake_download)
    monkeypatch.setattr(downloads, "DEFAULT_DATA_DIR", tmp_path / "default")
    monkeypatch.delenv("CECODE_DATA_DIR")
    assert data.ensure_mnist() == tmp_path / "default"
    assert calls == [tmp_path / "default"]

    monkeypatch.setenv("CECODE_DATA_DIR", str(tmp_path / "ci"))
    with pytest.raises(FileNotFoundError, match="CECODE_DATA_DIR"):
        data.ensure_mnist()
    assert len(calls) == 1
    assert data.ensure_mnist(download=True) == tmp_path / "ci"
    assert calls[-1] == tmp_path / "ci"


def test_failed_download_leaves_nothing_behind(monkeypatch, tmp_path):
    urls = []

    def broken_fetch(url, folder, filename, md5):  # half a file, then the network fails
        urls.append(url)
        (Path(folder) / filename).write_bytes(b"half a file")
        raise OSError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(downloads, "_fetch", broken_fetch)
    with pytest.raises(downloads.DownloadError, match="Could not download MNIST into") as info:
        data.ensure_mnist(tmp_path, download=True)
    message = str(info.value)
    assert urls == [m + "train-images-idx3-ubyte.gz" for m in data.MIRRORS]  # every mirror
    assert "Error downloading train-images-idx3-ubyte.gz" in message  # the cause
    assert "CECODE_DATA_DIR" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert [p.name for p in tmp_path.iterdir()] == ["MNIST"]  # the temporary folder is gone
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []
