"""Shared pytest set-up: the data folder CI uses, and the repository paths as fixtures.

Tests ask for ``root`` (the repository) or ``book`` (its ``book/`` folder) as fixtures, and for
``notebook`` to be run once per chapter notebook (``book/NN_*.ipynb``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
# Kept for tests/book/test_site.py, which still imports them (the site helper's file).
ROOT = _ROOT
BOOK = _ROOT / "book"

# CI (and a checkout with ../shared beside it) reads the real MNIST files from ../shared/data.
_shared_data = _ROOT.parent / "shared" / "data"
if "CECODE_DATA_DIR" not in os.environ and (_shared_data / "MNIST" / "raw").is_dir():
    os.environ["CECODE_DATA_DIR"] = str(_shared_data)


def chapter_notebooks(book: Path) -> list[Path]:
    """The chapter notebooks ``book/NN_*.ipynb``, in order."""
    return sorted(book.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's root folder."""
    return _ROOT


@pytest.fixture(scope="session")
def book(root: Path) -> Path:
    """The ``book/`` folder with the chapters."""
    return root / "book"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test with a ``notebook`` argument once per chapter notebook."""
    if "notebook" in metafunc.fixturenames:
        notebooks = chapter_notebooks(_ROOT / "book")
        metafunc.parametrize("notebook", notebooks, ids=[p.name for p in notebooks])
