"""Shared pytest set-up: the data folder CI uses, and the repository paths tests refer to."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

# CI (and a checkout with ../shared beside it) reads the real MNIST files from ../shared/data.
_shared_data = ROOT.parent / "shared" / "data"
if "CECODE_DATA_DIR" not in os.environ and (_shared_data / "MNIST" / "raw").is_dir():
    os.environ["CECODE_DATA_DIR"] = str(_shared_data)
