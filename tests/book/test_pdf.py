"""The whole book as one PDF (``make pdf``, scripts/build_pdf.py): what a reader of the PDF checks.

``make test`` builds the PDF before the tests run; run on their own, these tests skip when there
is no PDF (in CI, ``CI=true``, they fail instead). They read it with poppler's ``pdftotext`` and
``pdfimages`` (Debian's poppler-utils).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/book/ is two below)

PDF = ROOT / "_build" / "pdf" / "cross-entropy-book.pdf"
SITE_COPY = ROOT / "_build" / "html" / "cross-entropy-book.pdf"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _chapters() -> list[tuple[int, str, str]]:
    """(number, title, file) of every numbered chapter, numbered as the book numbers them."""
    chapters, number = [], 0
    for part in TOC["parts"]:
        for entry in part["chapters"]:
            path = ROOT / f"{entry['file']}.ipynb"
            if not part.get("numbered") or not path.exists():
                continue
            number += 1
            cells = nbformat.read(path, as_version=4).cells
            title = next(
                line[2:].strip()
                for c in cells
                if c.cell_type == "markdown"
                for line in c.source.splitlines()
                if line.startswith("# ")
            )
            chapters.append((number, title, path.name))
    return chapters


@pytest.fixture(scope="module")
def pdf():
    for tool in ("pdftotext", "pdfinfo", "pdfimages"):
        if shutil.which(tool) is None:
            message = f"{tool} is missing (apt-get install -y poppler-utils)"
            pytest.fail(message) if IN_CI else pytest.skip(message)
    if not PDF.exists():
        message = "no PDF: run `make pdf` (make test does)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return PDF


def _text(pdf) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))


def test_every_chapter_title_is_in_the_pdf_with_its_number(pdf):
    text = "".join(_text(pdf).split())  # code spans are spaced differently in print

    def squeezed(title: str) -> str:
        return "".join(title.replace("`", "").split())

    chapters = _chapters()
    assert chapters
    missing = [f"{n}. {t}" for n, t, _ in chapters if squeezed(f"{n}. {t}") not in text]
    assert not missing, f"chapter titles not in the PDF: {missing}"
    for page in ("Bibliography", "Glossary", "Notation"):
        assert page in text


def test_page_count_is_sane(pdf):
    pages, chapters = _pages(pdf), len(_chapters())
    assert 5 * chapters <= pages <= 60 * chapters, f"{pages} pages for {chapters} chapters"


def test_math_is_typeset_and_figures_are_in(pdf):
    text = _text(pdf)
    raw = re.findall(r"\\\(|\\\[|\\frac|\\operatorname|\\sum_|\$\$", text)
    assert not raw, f"raw TeX in the PDF: {raw[:5]}"
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    figures = 0
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            tags = cell.metadata.get("tags", [])
            if cell.cell_type != "code" or {"remove-output", "remove-cell", "hide-cell"} & set(
                tags
            ):
                continue
            figures += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    assert len(images) >= figures, f"{figures} figures in the chapters, {len(images)} in the PDF"


def test_no_line_runs_off_the_page(pdf):
    """Code and outputs wrap at the page edge: no word lies outside the printable area."""
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    outside = []
    for number, page in enumerate(re.split(r"<page ", bbox)[1:], 1):
        width = float(re.match(r'width="([\d.]+)"', page).group(1))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', page
        ):
            if float(x_min) < 20 or float(x_max) > width - 20:
                outside.append(f"page {number}: {html.unescape(word)[:30]}")
    assert not outside, f"{len(outside)} words outside the page's margins: {outside[:8]}"


def test_the_website_serves_the_same_pdf(pdf):
    assert SITE_COPY.exists(), "make pdf copies the PDF into _build/html"
    assert SITE_COPY.read_bytes() == pdf.read_bytes()
