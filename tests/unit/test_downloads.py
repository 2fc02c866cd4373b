"""cecode.downloads: one checked file in the data folder, downloaded only when allowed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cecode import downloads

CONTENT = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
SHA256 = hashlib.sha256(CONTENT).hexdigest()
MD5 = hashlib.md5(CONTENT).hexdigest()
URLS = ["https://mirror-a.invalid/input.txt", "https://mirror-b.invalid/input.txt"]


@pytest.fixture
def network(monkeypatch):
    """A fake network: the first mirror fails, the second serves ``CONTENT``."""
    calls = []

    def fetch(url, folder, filename, md5):
        calls.append(url)
        if "mirror-a" in url:
            raise OSError("connection refused")
        (Path(folder) / filename).write_bytes(CONTENT)

    monkeypatch.setattr(downloads, "_fetch", fetch)
    return calls


def test_ensure_file_reads_an_existing_verified_file(tmp_path, network):
    (tmp_path / "shakespeare").mkdir()
    (tmp_path / "shakespeare" / "input.txt").write_bytes(CONTENT)
    path = downloads.ensure_file("shakespeare", "input.txt", URLS, sha256=SHA256, root=tmp_path)
    assert path == tmp_path / "shakespeare" / "input.txt"
    assert network == []


@pytest.mark.parametrize("checksum", [{"sha256": SHA256}, {"md5": MD5}])
def test_ensure_file_downloads_from_the_first_working_mirror(tmp_path, network, checksum):
    path = downloads.ensure_file(
        "shakespeare", "input.txt", URLS, root=tmp_path, download=True, **checksum
    )
    assert path.read_bytes() == CONTENT
    assert network == URLS
    assert sorted(p.name for p in path.parent.iterdir()) == ["input.txt"]  # no temporary left


def test_ensure_file_never_downloads_into_a_chosen_folder_by_default(tmp_path, network):
    with pytest.raises(FileNotFoundError, match="missing shakespeare/input.txt") as info:
        downloads.ensure_file("shakespeare", "input.txt", URLS, sha256=SHA256, root=tmp_path)
    assert "download=True" in str(info.value) and "CECODE_DATA_DIR" in str(info.value)
    assert network == [] and not (tmp_path / "shakespeare").exists()


def test_ensure_file_downloads_into_the_default_folder(tmp_path, network, monkeypatch):
    monkeypatch.delenv("CECODE_DATA_DIR", raising=False)
    monkeypatch.setattr(downloads, "DEFAULT_DATA_DIR", tmp_path / "cache")
    path = downloads.ensure_file("shakespeare", "input.txt", URLS, sha256=SHA256)
    assert path == tmp_path / "cache" / "shakespeare" / "input.txt"


def test_a_corrupt_file_is_reported_not_replaced(tmp_path, network):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "input.txt").write_bytes(b"something else")
    with pytest.raises(downloads.CorruptDataError, match=f"SHA256 checksum .*expected {SHA256}"):
        downloads.ensure_file("s", "input.txt", URLS, sha256=SHA256, root=tmp_path, download=True)
    assert (tmp_path / "s" / "input.txt").read_bytes() == b"something else"


def test_a_download_with_the_wrong_checksum_fails_and_leaves_nothing(tmp_path, network):
    with pytest.raises(downloads.DownloadError, match="Could not download") as info:
        downloads.ensure_file("s", "input.txt", URLS, sha256="0" * 64, root=tmp_path, download=True)
    assert len(info.value.reasons) == 2 and "connection refused" in info.value.reasons[0]
    assert list((tmp_path / "s").iterdir()) == []


def test_extract_gz(tmp_path):
    import gzip

    (tmp_path / "a.gz").write_bytes(gzip.compress(CONTENT))
    out = downloads.extract_gz(tmp_path / "a.gz", tmp_path / "a", md5=MD5)
    assert out.read_bytes() == CONTENT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a.gz"]


def test_checksum_arguments():
    with pytest.raises(ValueError, match="md5, sha256: expected exactly one checksum"):
        downloads.ensure_file("s", "x", URLS, root="/nonexistent", download=False)
    with pytest.raises(TypeError, match="download: expected True, False or None"):
        downloads.ensure_file("s", "x", URLS, md5=MD5, download="yes")
