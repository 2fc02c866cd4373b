"""Data files on disk: the data folder, checksums, downloads and extraction, with clear errors.

**The data folder.** Every data set of the book lives in one folder: ``$CECODE_DATA_DIR`` if
that environment variable is set (CI points it at a shared, read-only copy), otherwise
``~/.cache/cecode/data``. A ``root`` argument, where a function has one, overrides both.

**Download rule.** ``download=None`` (the default) downloads a missing file only into the
default folder (``CECODE_DATA_DIR`` unset and no ``root`` given): a reader's first run fetches
the data, while an explicitly chosen folder is never filled behind your back and a missing file
there is an error that says how to fix it. ``download=True`` downloads what is missing,
``download=False`` never downloads.

**Checks.** A file is used only after its checksum (MD5 or SHA-256) matches the known one; a
wrong checksum raises :class:`CorruptDataError` and the file is never silently replaced.
Downloads go to a temporary folder beside the target, are checked and only then moved into
place, so a half-finished download is never used. Each file is hashed once per process (until
its size or modification time changes). Downloading, MD5 hashing and gzip extraction use
torchvision's maintained helpers (:mod:`torchvision.datasets.utils`).

One call covers a single-file data set::

    path = ensure_file("tinyshakespeare", "input.txt", urls=[URL], sha256=SHA256)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cecode import _validate as v

__all__ = [
    "ENV_VAR",
    "CorruptDataError",
    "DownloadError",
    "data_dir",
    "resolve_data_dir",
    "check_download",
    "verify_file",
    "extract_gz",
    "download_file",
    "ensure_file",
]

#: The environment variable that chooses the data folder.
ENV_VAR = "CECODE_DATA_DIR"
DEFAULT_DATA_DIR = Path("~/.cache/cecode/data")

# (resolved path, algorithm, expected digest) -> (size, mtime_ns) of files verified in this process.
_VERIFIED: dict[tuple[str, str, str], tuple[int, int]] = {}


class CorruptDataError(RuntimeError):
    """A data file exists but its checksum is not the expected one."""


class DownloadError(RuntimeError):
    """A file could not be downloaded from any of its URLs (or the download was corrupt).

    Attributes
    ----------
    reasons : list of str
        One ``"<url>: <why>"`` entry per URL tried.
    """

    reasons: list[str] = []


def data_dir() -> Path:
    """Return the data folder: ``$CECODE_DATA_DIR`` if set, else ``~/.cache/cecode/data``.

    Returns
    -------
    pathlib.Path
        The folder that holds every data set (``MNIST/raw/``, ``tinyshakespeare/``, ...);
        ``~`` is expanded.
    """
    value = os.environ.get(ENV_VAR)
    if value:
        return Path(value).expanduser()
    return DEFAULT_DATA_DIR.expanduser()


def resolve_data_dir(root: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """Return the data folder to use and whether it is the default one.

    Parameters
    ----------
    root : str or os.PathLike, optional
        An explicit folder; default :func:`data_dir`.

    Returns
    -------
    folder : pathlib.Path
        ``root`` (``~`` expanded) or :func:`data_dir`.
    is_default : bool
        True when neither ``root`` nor ``CECODE_DATA_DIR`` chose the folder (downloads are
        then allowed by default).

    Raises
    ------
    TypeError
        If ``root`` is not a path or ``None``.
    """
    if root is not None:
        return v.check_path("root", root).expanduser(), False
    return data_dir(), not os.environ.get(ENV_VAR)


def check_download(download: object) -> None:
    """Check that ``download`` is ``True``, ``False`` or ``None``.

    Parameters
    ----------
    download : bool or None
        The value to check.

    Raises
    ------
    TypeError
        Otherwise, e.g. ``download: expected True, False or None, got str``.
    """
    if download is not None and not isinstance(download, bool):
        raise TypeError(f"download: expected True, False or None, got {type(download).__name__}")


def _digest(path: Path, algorithm: str) -> str:
    if algorithm == "md5":
        from torchvision.datasets.utils import calculate_md5

        return calculate_md5(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected(md5: str | None, sha256: str | None) -> tuple[str, str]:
    """Return ``(algorithm, digest)`` from exactly one of ``md5`` and ``sha256``."""
    if (md5 is None) == (sha256 is None):
        raise ValueError(
            "md5, sha256: expected exactly one checksum, got "
            + ("both" if md5 is not None else "neither")
        )
    for name, value in (("md5", md5), ("sha256", sha256)):
        if value is not None:
            if not isinstance(value, str):
                raise TypeError(f"{name}: expected a hex digest str, got {type(value).__name__}")
            return name, value.lower()
    raise AssertionError("unreachable")  # pragma: no cover


def verify_file(
    path: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    what: str = "data",
) -> None:
    """Check a file's MD5 or SHA-256 checksum (each file is hashed once per process).

    Parameters
    ----------
    path : str or os.PathLike
        The file; it must exist.
    md5, sha256 : str, optional
        The expected hex digest; give exactly one.
    what : str, default "data"
        The data set's name for the message, e.g. ``"MNIST"``.

    Raises
    ------
    CorruptDataError
        If the checksum differs; the message names the file, both checksums and the fix.
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = v.check_path("path", path)
    algorithm, expected = _expected(md5, sha256)
    stat = path.stat()
    key = (str(path.resolve()), algorithm, expected)
    if _VERIFIED.get(key) == (stat.st_size, stat.st_mtime_ns):
        return
    actual = _digest(path, algorithm)
    if actual != expected:
        raise CorruptDataError(
            f"corrupt {what} file {path}: {algorithm.upper()} checksum {actual}, expected "
            f"{expected}; delete it and download again (call with download=True), or point "
            f"{ENV_VAR} at a folder with intact files"
        )
    _VERIFIED[key] = (stat.st_size, stat.st_mtime_ns)


def extract_gz(
    gz_path: str | os.PathLike, target: str | os.PathLike, *, md5: str | None = None, what="data"
) -> Path:
    """Decompress a ``.gz`` file into ``target`` through a temporary folder, then verify it.

    Parameters
    ----------
    gz_path : str or os.PathLike
        The (already verified) gzip file.
    target : str or os.PathLike
        The uncompressed file to create; it only appears once complete.
    md5 : str, optional
        Expected MD5 of the uncompressed file.
    what : str, default "data"
        The data set's name for error messages.

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    CorruptDataError
        If the extracted file has the wrong checksum (nothing is left behind).
    """
    from torchvision.datasets.utils import extract_archive

    gz_path, target = v.check_path("gz_path", gz_path), v.check_path("target", target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        out = Path(extract_archive(gz_path, tmp))  # tmp/<name without .gz>
        if md5 is not None:
            verify_file(out, md5=md5, what=what)
        os.replace(out, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _check_urls(urls: object) -> None:
    if isinstance(urls, str) or not isinstance(urls, Sequence):
        raise TypeError(f"urls: expected a list of URL strings, got {type(urls).__name__}")
    if not urls or not all(isinstance(u, str) for u in urls):
        raise ValueError(f"urls: expected a non-empty list of URL strings, got {list(urls)!r}")


def _fetch(url: str, folder: Path, filename: str, md5: str | None) -> None:
    from torchvision.datasets.utils import download_url

    download_url(url, str(folder), filename, md5)


def download_file(
    urls: Sequence[str],
    path: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    what: str = "data",
) -> Path:
    """Download ``path`` from the first of ``urls`` that works, verified, into place.

    Each URL is tried in turn with :func:`torchvision.datasets.utils.download_url` into a
    temporary folder beside ``path``; the file is checked against its checksum and only then
    moved to ``path``. Nothing is left behind when every URL fails.

    Parameters
    ----------
    urls : sequence of str
        Mirrors of the file, tried in order.
    path : str or os.PathLike
        Where the file goes; its folder is created.
    md5, sha256 : str, optional
        The expected hex digest; give exactly one.
    what : str, default "data"
        The data set's name for error messages.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    DownloadError
        If no URL gave a file with the right checksum; the message lists each URL's reason.
    """
    path = v.check_path("path", path)
    _check_urls(urls)
    algorithm, expected = _expected(md5, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".cecode-download-", dir=path.parent))
    reasons = []
    try:
        for url in urls:
            try:
                _fetch(url, tmp, path.name, expected if algorithm == "md5" else None)
                verify_file(tmp / path.name, **{algorithm: expected}, what=what)
            except (RuntimeError, OSError, ValueError) as err:
                reasons.append(
                    f"{url}: " + (" ".join(str(err).split())[:200] or type(err).__name__)
                )
                continue
            os.replace(tmp / path.name, path)
            return path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    error = DownloadError(
        f"Could not download {what} file {path.name} into {path.parent} ({'; '.join(reasons)}). "
        f"Connect to the internet and try again, or put {path.name} ({algorithm.upper()} "
        f"{expected}) into {path.parent} yourself, or set {ENV_VAR} to a folder that already "
        "contains it."
    )
    error.reasons = reasons
    raise error


def ensure_file(
    subdir: str,
    filename: str,
    urls: Sequence[str],
    *,
    md5: str | None = None,
    sha256: str | None = None,
    root: str | os.PathLike | None = None,
    download: bool | None = None,
    what: str | None = None,
) -> Path:
    """Make sure ``<data folder>/<subdir>/<filename>`` exists with the known checksum.

    Parameters
    ----------
    subdir : str
        The data set's folder inside the data folder, e.g. ``"tinyshakespeare"``.
    filename : str
        The file's name, e.g. ``"input.txt"``.
    urls : sequence of str
        Where to download it from (tried in order).
    md5, sha256 : str, optional
        The expected hex digest; give exactly one.
    root : str or os.PathLike, optional
        The data folder; default :func:`data_dir`.
    download : bool or None, optional
        ``True``: download if missing; ``False``: never; ``None`` (default): only into the
        default folder (``CECODE_DATA_DIR`` unset, no ``root``).
    what : str, optional
        The data set's name for messages; default ``subdir``.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    FileNotFoundError
        If the file is missing and may not be downloaded; the message names the folder, the
        file and the fix (``CECODE_DATA_DIR`` or ``download=True``).
    CorruptDataError
        If the file's checksum is wrong.
    DownloadError
        If downloading was allowed but failed.
    """
    for name, value in (("subdir", subdir), ("filename", filename)):
        if not isinstance(value, str):
            raise TypeError(f"{name}: expected a str, got {type(value).__name__}")
        if not value:
            raise ValueError(f"{name}: expected a non-empty str, got ''")
    _check_urls(urls)
    _expected(md5, sha256)
    check_download(download)
    what = subdir if what is None else what
    folder, is_default = resolve_data_dir(root)
    path = folder / subdir / filename
    if path.exists():
        verify_file(path, md5=md5, sha256=sha256, what=what)
        return path
    if download if download is not None else is_default:
        return download_file(urls, path, md5=md5, sha256=sha256, what=what)
    where = f"{folder} (from {ENV_VAR})" if root is None and not is_default else str(folder)
    raise FileNotFoundError(
        f"{what} not found in {where}: missing {subdir}/{filename}. Set {ENV_VAR} to a folder "
        f"containing {subdir}/{filename}, or call with download=True to download it into that "
        "folder."
    )
