"""cecode.text: the verified Tiny Shakespeare file, its character vocabulary and splits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from cecode import downloads, text


def _real_file() -> Path:
    path = downloads.data_dir() / "tinyshakespeare" / "input.txt"
    if not path.exists():
        pytest.skip("Tiny Shakespeare is not in the data folder (set CECODE_DATA_DIR)")
    return path


def test_the_real_file_its_vocabulary_and_splits():
    _real_file()
    vocab, train, val = text.tinyshakespeare()
    assert len(vocab) == 65 and vocab.chars[0] == "\n" and vocab.chars[-1] == "z"
    assert (len(train), len(val)) == (1_003_854, 111_540)
    assert len(train) + len(val) == text.TINYSHAKESPEARE_BYTES
    assert vocab.decode(train[:14]) == "First Citizen:"
    assert train.dtype == torch.int64 and int(train.max()) < 65


def test_encode_decode_round_trip_and_errors():
    vocab = text.CharVocabulary("hello world")
    assert vocab.chars == " dehlorw" and len(vocab) == 8
    ids = vocab.encode("hello")
    assert ids.tolist() == [3, 2, 4, 4, 5] and ids.dtype == torch.int64
    assert vocab.decode(ids) == "hello" and vocab.decode([7, 5]) == "wo"
    assert vocab.encode("").shape == (0,)
    with pytest.raises(ValueError, match="text: .*'x'"):
        vocab.encode("xylophone")
    with pytest.raises(ValueError, match=r"ids: expected token ids in \[0, 8\), got 8"):
        vocab.decode([8])
    with pytest.raises(TypeError, match="ids"):
        vocab.decode("hello")


def test_split_by_position_keeps_the_order():
    ids = torch.arange(100)
    train, val = text.split_by_position(ids, 0.1)
    assert torch.equal(train, torch.arange(90)) and torch.equal(val, torch.arange(90, 100))
    with pytest.raises(ValueError, match="val_fraction"):
        text.split_by_position(ids, 1.0)
    with pytest.raises(ValueError, match="ids"):
        text.split_by_position(torch.zeros(3, 3, dtype=torch.int64))


def test_next_token_windows_are_the_inputs_shifted_by_one():
    ids = torch.arange(10)
    inputs, target = text.next_token_windows(ids, 3)
    assert inputs.shape == (7, 3) and target.tolist() == list(range(3, 10))
    assert inputs[0].tolist() == [0, 1, 2] and inputs[-1].tolist() == [6, 7, 8]
    with pytest.raises(ValueError, match="context=10"):
        text.next_token_windows(ids, 10)


@pytest.fixture
def network(monkeypatch):
    """A fake network that serves the real file (copied from the data folder)."""
    source = _real_file()
    calls = []

    def fetch(url, folder, filename, md5):
        calls.append(url)
        shutil.copyfile(source, Path(folder) / filename)

    monkeypatch.setattr(downloads, "_fetch", fetch)
    return calls


def test_download_goes_to_the_readme_source_and_is_verified(tmp_path, network):
    path = text.ensure_tinyshakespeare(root=tmp_path, download=True)
    assert path == tmp_path / "tinyshakespeare" / "input.txt"
    assert network == [text.TINYSHAKESPEARE_URL]
    assert "karpathy/char-rnn" in text.TINYSHAKESPEARE_URL
    assert sorted(p.name for p in path.parent.iterdir()) == ["input.txt"]


def test_download_into_the_default_folder_only_by_default(tmp_path, network, monkeypatch):
    with pytest.raises(FileNotFoundError) as info:
        text.ensure_tinyshakespeare(root=tmp_path)  # a chosen folder: never downloaded into
    message = str(info.value)
    assert "tinyshakespeare/input.txt" in message
    assert "CECODE_DATA_DIR" in message and "download=True" in message
    assert network == []
    monkeypatch.delenv("CECODE_DATA_DIR", raising=False)
    monkeypatch.setattr(downloads, "DEFAULT_DATA_DIR", tmp_path / "cache")
    path = text.ensure_tinyshakespeare()
    assert path == tmp_path / "cache" / "tinyshakespeare" / "input.txt" and len(network) == 1


def test_a_failed_or_corrupt_download_says_what_to_do(tmp_path, monkeypatch):
    def offline(url, folder, filename, md5):
        raise OSError("Name or service not known")

    monkeypatch.setattr(downloads, "_fetch", offline)
    with pytest.raises(downloads.DownloadError) as info:
        text.ensure_tinyshakespeare(root=tmp_path, download=True)
    message = str(info.value)
    assert "Name or service not known" in message and text.TINYSHAKESPEARE_SHA256 in message
    assert (
        "CECODE_DATA_DIR" in message and not (tmp_path / "tinyshakespeare" / "input.txt").exists()
    )

    def truncated(url, folder, filename, md5):
        (Path(folder) / filename).write_text("First Citizen:\n")

    monkeypatch.setattr(downloads, "_fetch", truncated)
    with pytest.raises(downloads.DownloadError, match="SHA256"):
        text.ensure_tinyshakespeare(root=tmp_path, download=True)
    assert not (tmp_path / "tinyshakespeare" / "input.txt").exists()


def test_a_corrupt_file_is_reported_not_replaced(tmp_path):
    (tmp_path / "tinyshakespeare").mkdir()
    bad = tmp_path / "tinyshakespeare" / "input.txt"
    bad.write_text("To be, or not to be\n")
    with pytest.raises(downloads.CorruptDataError, match="input.txt"):
        text.load_tinyshakespeare(root=tmp_path, download=True)
    assert bad.read_text() == "To be, or not to be\n"
