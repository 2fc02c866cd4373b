"""Print the whole book to one PDF (the target behind ``make pdf``).

1. ``jupyter-book build . --builder singlehtml`` puts every page, in table-of-contents order, into
   ``_build/singlehtml/book/intro.html`` (chapters and figures numbered as on the website).
2. That folder is served on 127.0.0.1 and printed by Debian's Chromium, headless
   (``--print-to-pdf``), after ``--virtual-time-budget`` has let MathJax (vendored, offline)
   typeset every equation. The print CSS in ``book/_assets/book_site.css`` hides the navigation and
   the folded cells, wraps code and outputs at the page edge and starts each page of the book on a
   new sheet.
3. The PDF is written to ``_build/pdf/cross-entropy-book.pdf`` and copied into ``_build/html`` so
   that the website links to it; ``tests/book/test_pdf.py`` checks it.

Usage: ``python scripts/build_pdf.py [--skip-build]``; ``CECODE_CHROMIUM`` names another Chromium.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "pdf" / "cross-entropy-book.pdf"
SITE_COPY = ROOT / "_build" / "html" / "cross-entropy-book.pdf"
CHROMIUM = Path(os.environ.get("CECODE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
    "--generate-pdf-document-outline",  # the headings as PDF bookmarks
    "--run-all-compositor-stages-before-draw",
    # Virtual time: the page's timers (MathJax's typesetting) run to completion before printing.
    "--virtual-time-budget=120000",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def build_singlehtml() -> None:
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", ".", "--builder", "singlehtml", "-n", "--keep-going"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def print_pdf(output: Path = PDF) -> Path:
    """Serve the single-page build and print it with Chromium; returns the PDF's path."""
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    # Sphinx writes the page as book/intro.html (the root document's name) but with links relative
    # to the build's top folder (_static/, _images/): the page is printed from there.
    shutil.copyfile(SINGLE / "book" / "intro.html", SINGLE / "print.html")
    handler = functools.partial(_Quiet, directory=str(SINGLE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/print.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="cecode-chromium-") as profile:
            command = [
                str(CHROMIUM),
                *CHROMIUM_ARGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={output}",
                url,
            ]
            subprocess.run(command, check=True, capture_output=True, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
    if not output.exists() or output.read_bytes()[:5] != b"%PDF-":
        raise SystemExit(f"Chromium wrote no PDF to {output}")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="reuse _build/singlehtml")
    args = parser.parse_args(argv)
    if not args.skip_build:
        build_singlehtml()
    pdf = print_pdf()
    if SITE_COPY.parent.is_dir():
        shutil.copyfile(pdf, SITE_COPY)
    print(f"The book as a PDF: {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
