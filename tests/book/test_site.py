"""The website as readers get it: built with Jupyter Book, opened in a real (headless) browser.

How the site is built and served
--------------------------------
- ``make test`` runs ``make site`` first: a full, fresh ``jupyter-book build . -W -n --keep-going
  --all`` into ``_build/html`` (warnings are errors, and ``--all`` re-reads every page so no
  warning hides behind Sphinx's cache).
- Run on their own (``pytest tests/test_site.py``), these tests build the site once per session,
  with ``jupyter-book build . -W -n --keep-going --all``, if ``_build/html`` is missing or older than any
  of its sources (the stamp ``_build/html/.built-without-warnings``, written by ``make site`` and
  by that fixture after a build with no warnings).
- The built folder is served by a local ``http.server`` on 127.0.0.1 and a free port, and opened in
  Debian's ``chromium`` (``/usr/bin/chromium``) driven by Playwright. Every request that would
  leave 127.0.0.1 is blocked and recorded; launch links are links, not requests.
- A full-page screenshot of every page is written to ``_build/screenshots/<page>.png``.

Without the browser these tests skip locally (``apt-get install -y chromium``); in CI
(``CI=true``) they fail instead. ``CECODE_CHROMIUM`` names another Chromium binary.

The static tests at the top (links, assets, launch links) need no browser.
"""

from __future__ import annotations

import ast
import functools
import html.parser
import http.server
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT

HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("CECODE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]
GITHUB_PATH = urllib.parse.urlparse(REPOSITORY).path.strip("/")  # "owner/name"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


# ---------------------------------------------------------------- the pages, from _toc.yml


def _source(entry: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        if (ROOT / f"{entry}{suffix}").exists():
            return ROOT / f"{entry}{suffix}"
    return None


def _toc_pages() -> list[tuple[str, int | None]]:
    """(toc entry, chapter number or None) for every page in _toc.yml whose source exists.

    Jupyter Book numbers the chapters of numbered parts continuously across parts
    (``use_multitoc_numbering``), so chapter numbers run 1, 2, ... in toc order.
    """
    pages: list[tuple[str, int | None]] = [(TOC["root"], None)]
    number = 0
    for part in TOC["parts"]:
        for chapter in part["chapters"]:
            if _source(chapter["file"]) is None:
                continue  # not written yet (and then the build fails anyway)
            numbered = part.get("numbered", False)
            number += 1 if numbered else 0
            pages.append((chapter["file"], number if numbered else None))
    return pages


PAGES = _toc_pages()
NOTEBOOK_PAGES = [(e, n) for e, n in PAGES if _source(e).suffix == ".ipynb"]


def _page_id(page) -> str:
    return Path(page[0]).name


def _html_path(entry: str) -> Path:
    return HTML / f"{entry}.html"


# ---------------------------------------------------------------- building the site once


def _sources() -> list[Path]:
    files = [ROOT / "_config.yml", ROOT / "_toc.yml", ROOT / "book" / "references.bib"]
    files += [
        p
        for p in (ROOT / "book").rglob("*")
        if p.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(p.parts)
    ]
    files += list((ROOT / "cecode").glob("*.py"))  # the API page is generated from docstrings
    return files


# Written by `make book`/`make site` and by the fixture below after a build that passed with -W -n.
STAMP = HTML / ".built-without-warnings"


def _site_is_stale() -> bool:
    if not STAMP.exists() or any(not _html_path(entry).exists() for entry, _ in PAGES):
        return True
    built = STAMP.stat().st_mtime
    return any(path.stat().st_mtime > built for path in _sources())


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site, ``_build/html``; built here (warnings are errors) if missing or stale."""
    if _site_is_stale():
        command = [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            ".",
            "-W",
            "-n",
            "--keep-going",
            "--all",  # citations: sphinxcontrib-bibtex ids go stale in incremental builds
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
            problems = [
                line for line in output.splitlines() if "WARNING" in line or "ERROR" in line
            ]
            pytest.fail(
                "`jupyter-book build . -W -n --keep-going --all` failed (warnings are errors):\n"
                + "\n".join(problems or output.splitlines()[-40:]),
                pytrace=False,
            )
        STAMP.touch()
    return HTML


# ---------------------------------------------------------------- static checks (no browser)


class _Collector(html.parser.HTMLParser):
    """Links, asset URLs and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.assets: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("src", "srcset", "data-src"):
            if attrs.get(name):
                self.assets.append((tag, attrs[name]))
        if tag == "link" and attrs.get("href") and attrs.get("rel") not in ("canonical",):
            self.assets.append((tag, attrs["href"]))


@functools.cache
def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def _is_external(url: str) -> bool:
    return urllib.parse.urlparse(url).scheme in ("http", "https") or url.startswith("//")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_internal_links_and_anchors_resolve(site, page):
    path = _html_path(page[0])
    broken = []
    for href in _parse(path).links:
        parsed = urllib.parse.urlparse(href)
        if parsed.scheme or href.startswith(("//", "mailto:", "javascript:")):
            continue
        target = (
            (path.parent / urllib.parse.unquote(parsed.path)).resolve() if parsed.path else path
        )
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            broken.append(f"{href} (no file)")
        elif (
            parsed.fragment
            and target.suffix == ".html"
            and parsed.fragment not in _parse(target).ids
        ):
            broken.append(f"{href} (no id {parsed.fragment!r})")
    assert not broken, f"{path.name}: broken internal links: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_loads_no_third_party_assets(site, page):
    path = _html_path(page[0])
    external = [(tag, url) for tag, url in _parse(path).assets if _is_external(url)]
    assert not external, f"{path.name} loads assets from other sites: {external}"
    text = path.read_text(encoding="utf-8")
    # sphinx-thebe always writes thebe's unpkg URL into a script constant, but loads it only when a
    # reader starts thebe, which this book's pages never offer (launch_buttons.thebe is false); the
    # browser test below checks that no page requests it.
    assert "thebe-launch-button" not in text, "thebe is switched on"
    for needle in (
        "googletagmanager",
        "google-analytics",
        "plausible.io",
        "fonts.googleapis",
        "hypothes.is",
        "utteranc",
    ):
        assert needle not in text, f"{path.name} mentions {needle}"
    mathjax = [
        url for tag, url in _parse(path).assets if tag == "script" and "mathjax" in url.lower()
    ]
    assert all("_static/mathjax/tex-mml-chtml.js" in url for url in mathjax), mathjax


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_page_id)
def test_launch_links_open_this_notebook_in_colab_and_binder(site, page):
    entry = page[0]
    links = _parse(_html_path(entry)).links
    notebook = f"{entry}.ipynb"
    assert (ROOT / notebook).exists()
    colab = f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/{BRANCH}/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{GITHUB_PATH}/{BRANCH}?urlpath=tree/{notebook}"
    assert colab in links, (
        f"no Colab link {colab}; external links: {[x for x in links if _is_external(x)]}"
    )
    assert binder in links, f"no Binder link {binder}"
    assert REPOSITORY in links, "no link to the repository"


ADMONITION = re.compile(
    r"^\s*(`{3,}|:{3,})\{(note|warning|tip|important|caution|attention|danger|error|hint|seealso|admonition)\}",
    re.MULTILINE,
)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_admonitions_are_rendered_as_boxes(site, page):
    expected = len(ADMONITION.findall(_markdown(page[0])))
    rendered = len(
        re.findall(
            r'<div class="[^"]*\badmonition\b[^"]*"',
            _html_path(page[0]).read_text(encoding="utf-8"),
        )
    )
    assert rendered >= expected, f"{expected} admonitions in the source, {rendered} on the page"


PUBLIC_MODULES = sorted(
    p.stem for p in (ROOT / "cecode").glob("*.py") if not p.stem.startswith("_")
)


def test_api_page_documents_every_public_module_and_name(site):
    api_source = (ROOT / "book" / "api.md").read_text()
    api_html = _parse(_html_path("book/api"))
    missing = []
    for module in PUBLIC_MODULES:
        if f".. automodule:: cecode.{module}\n" not in api_source:
            missing.append(f"cecode.{module} (not in book/api.md)")
            continue
        tree = ast.parse((ROOT / "cecode" / f"{module}.py").read_text())
        names = [
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "__all__" for t in node.targets)
        ]
        for name in names[0] if names else []:
            if f"cecode.{module}.{name}" not in api_html.ids:
                missing.append(f"cecode.{module}.{name}")
    assert not missing, f"not on the API page: {missing}"


def test_mathjax_is_served_from_the_site_itself(site):
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").stat().st_size > 1_000_000
    fonts = list(
        (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")
    )
    assert len(fonts) >= 20
    assert (
        "Apache License" in (site / "_static" / "mathjax" / "LICENSE").read_text()
    )  # shipped with it
    assert not list(site.rglob("_sources/book/_vendor*")), (
        "the vendored folder leaked into the sources"
    )


# ---------------------------------------------------------------- the browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _missing_browser(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(f"{reason} (install it with `apt-get install -y chromium`; in CI this fails)")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _missing_browser(f"no browser at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - playwright is pinned in requirements.txt
        _missing_browser(f"playwright is not installed: {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _Visit:
    """One page opened in the browser, with everything that went wrong on the way."""

    def __init__(self, browser, server: str, entry: str) -> None:
        self.server = server
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block"
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.console_errors.append(f"{m.text} @ {m.location}"),
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on(
            "response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}")
        )
        self.page.goto(f"{server}/{entry}.html", wait_until="load")
        self.has_mathjax = self.page.evaluate("() => typeof window.MathJax === 'object'")
        if self.has_mathjax:
            self.page.wait_for_function(
                "() => window.MathJax.startup && window.MathJax.startup.promise", timeout=30_000
            )
            self.page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
        self.page.wait_for_load_state("networkidle")

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.server + "/") or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _request_failed(self, request):
        if request.url not in self.external:
            self.failed.append(f"{request.failure} {request.url}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, server):
    """Each page is opened once; the tests below look at the same visit."""
    opened: dict[str, _Visit] = {}

    def visit(entry: str) -> _Visit:
        if entry not in opened:
            opened[entry] = _Visit(browser, server, entry)
        return opened[entry]

    yield visit
    for v in opened.values():
        v.close()


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_loads_cleanly_and_stays_on_this_machine(visits, page):
    visit = visits(page[0])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=SCREENSHOTS / f"{Path(page[0]).name}.png", full_page=True)
    assert not visit.external, f"requests to other machines were attempted: {visit.external}"
    assert not visit.failed, f"failed requests: {visit.failed}"
    assert not visit.console_errors, f"console errors: {visit.console_errors}"
    title = visit.page.locator("article h1").first.inner_text()
    assert title.strip(), "the page has no title"
    # book/_ext/site_fixes.py: no second, empty header bar with a duplicate search field.
    header_heights = visit.page.evaluate(
        "() => [...document.querySelectorAll('header.bd-header')].map(h => h.getBoundingClientRect().height)"
    )
    assert not any(header_heights), f"pydata's header bar is back: {header_heights}"


# Raw TeX that reached the reader: display/inline delimiters, or $...$ that dollarmath missed.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^\s$][^$\n]{0,200}[^\s$]\$|\$[^\s$]\$")
PROSE_TEXT = """() => {
  const skip = 'pre, code, script, style, mjx-container, .cell_output, .output, .highlight';
  const walker = document.createTreeWalker(document.querySelector('article') || document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest(skip)) parts.push(node.textContent);
  }
  return parts.join(' ');
}"""


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_equation_is_typeset(visits, page):
    visit = visits(page[0])
    math = visit.page.locator("article .math").count()
    if math:
        assert visit.has_mathjax, "page has math but no MathJax"
        untypeset = visit.page.evaluate(
            "() => [...document.querySelectorAll('article .math')].filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80))"
        )
        assert not untypeset, f"math left as TeX: {untypeset}"
    errors = visit.page.evaluate(
        "() => [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent)"
    )
    assert not errors, f"TeX errors: {errors}"
    raw = RAW_TEX.findall(visit.page.evaluate(PROSE_TEXT))
    assert not raw, f"raw TeX in the text: {raw[:5]}"
    rendered = visit.page.locator("article mjx-container").count()
    assert rendered >= math


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_image_has_loaded(visits, page):
    visit = visits(page[0])
    broken = visit.page.evaluate(
        """async () => {
          const images = [...document.querySelectorAll('img')];
          images.forEach(i => { i.loading = 'eager'; });
          await Promise.all(images.map(i => i.decode().catch(() => null)));
          return images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
        }"""
    )
    assert not broken, f"images that did not load: {broken}"


def _markdown(entry: str) -> str:
    source = _source(entry)
    if source.suffix == ".md":
        return source.read_text()
    notebook = nbformat.read(source, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("page", [p for p in PAGES if p[1] is not None], ids=_page_id)
def test_chapter_is_numbered_and_so_are_its_equations(visits, page):
    entry, number = page
    visit = visits(entry)
    current = visit.page.locator("nav .toctree-l1.current > a").first.inner_text()
    assert current.startswith(f"{number}. "), (
        f"sidebar shows {current!r}, expected chapter {number}"
    )
    labels = re.findall(r"\$\$\s*\((eq-[^)\s]+)\)", _markdown(entry))
    numbers = visit.page.locator("article .math .eqno").all_inner_texts()
    assert len(numbers) >= len(labels), f"labelled equations {labels} but numbers {numbers}"
    assert all(n.strip().startswith(f"({number}.") for n in numbers), numbers


def _hidden_cells(entry: str) -> dict[str, int]:
    notebook = nbformat.read(_source(entry), as_version=4)
    counts = {"hide-input": 0, "hide-cell": 0, "hide-output": 0}
    for cell in notebook.cells:
        for tag in cell.metadata.get("tags", []):
            if tag in counts and cell.cell_type == "code":
                counts[tag] += 1
    return counts


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_page_id)
def test_solutions_are_collapsed_until_clicked(visits, page):
    entry = page[0]
    visit = visits(entry)
    for tag, expected in _hidden_cells(entry).items():
        cells = visit.page.locator(f"article div.cell.tag_{tag}")
        assert cells.count() == expected, (
            f"{expected} cells tagged {tag}, {cells.count()} on the page"
        )
        for i in range(expected):
            details = cells.nth(i).locator("details").first
            assert details.get_attribute("open") is None, f"{tag} cell {i} is expanded"
            hidden = {
                "hide-input": "div.cell_input",
                "hide-cell": "div.cell_input",
                "hide-output": "div.cell_output",
            }[tag]
            assert not details.locator(hidden).first.is_visible(), (
                f"{tag} cell {i} content is visible"
            )
    # Answers in ```{admonition} ... :class: dropdown``` boxes are folded too (sphinx-togglebutton).
    dropdowns = visit.page.locator("article div.dropdown.admonition")
    for i in range(dropdowns.count()):
        body = dropdowns.nth(i).locator(":scope > :not(.admonition-title)").first
        assert body.count() and not body.is_visible(), f"dropdown {i} is not folded"
    # One of them opens on click, so readers can reach the solution.
    first = visit.page.locator("article div.cell[class*='tag_hide-'] details summary").first
    if first.count():
        first.click()
        assert first.locator("xpath=..").get_attribute("open") is not None


def test_search_works_offline(browser, server):
    visit = _Visit(browser, server, "search")
    try:
        visit.page.goto(f"{server}/search.html?q=logsumexp", wait_until="load")
        results = visit.page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=30_000)
        found = " ".join(results.all_inner_texts()).lower()
        assert "logits and softmax" in found or "api reference" in found, found[:300]
        assert not visit.external and not visit.failed and not visit.console_errors
    finally:
        visit.close()
