"""Bad-argument cases for cecode.downloads (see tests/unit/test_public_api_validation.py)."""

import hashlib
import tempfile
from pathlib import Path

MODULE = "cecode.downloads"
CONTENT = b"cross-entropy\n"
MD5 = hashlib.md5(CONTENT).hexdigest()


def _file() -> Path:
    path = Path(tempfile.mkdtemp()) / "data.txt"
    path.write_bytes(CONTENT)
    return path


def _gz():
    import gzip

    folder = Path(tempfile.mkdtemp())
    (folder / "data.txt.gz").write_bytes(gzip.compress(CONTENT))
    return (folder / "data.txt.gz", folder / "data.txt"), {"md5": MD5}


def _ensure():
    path = _file()
    return ("", path.name, ["https://example.invalid/data.txt"]), {"md5": MD5, "root": path.parent}


CASES = {
    "resolve_data_dir": {
        "good": lambda: ((), {"root": "/tmp"}),
        "bad_type": ("root", 3),
        "bad_value": ("root", ""),
    },
    "check_download": {
        "good": lambda: ((None,), {}),
        "bad_type": ("download", "yes"),
        "no_bad_value": "True, False and None are all valid",
    },
    "verify_file": {
        "good": lambda: ((_file(),), {"md5": MD5}),
        "bad_type": ("path", 3),
        "bad_value": ("md5", None),  # then neither checksum is given
    },
    "extract_gz": {
        "good": _gz,
        "bad_type": ("gz_path", 3),
        "bad_value": ("target", ""),
    },
    "download_file": {
        "good": lambda: ((["https://example.invalid/x"], "/tmp/x"), {"md5": MD5}),
        "run_good": False,  # needs the network
        "bad_type": ("urls", "https://example.invalid/x"),
        "bad_value": ("urls", []),
    },
    "ensure_file": {
        "good": lambda: (("sub", "data.txt", ["https://x.invalid"]), {"md5": MD5}),
        "run_good": False,  # covered with a real folder in tests/unit/test_downloads.py
        "bad_type": ("subdir", 3),
        "bad_value": ("filename", ""),
    },
}
