"""The website as readers get it: built with Jupyter Book, opened in a real (headless) browser.

How the site is built and served
--------------------------------
- ``make test`` runs ``make site`` first: a full, fresh ``jupyter-book build . -W -n --keep-going
  --all`` into ``_build/html`` (warnings are errors, and ``--all`` re-reads every page so no
  warning hides behind Sphinx's cache).
- Run on their own (``pytest tests/book/test_site.py``), these tests build the site once per session,
  with ``jupyter-book build . -W -n --keep-going --all``, if ``_build/html`` is missing or older than any
  of its sources (the stamp ``_build/html/.built-without-warnings``, written by ``make site`` and
  by that fixture after a build with no warnings).
- The built folder is served by a local ``http.server`` on 127.0.0.1 and a free port, and opened in
  Debian's ``chromium`` (``/usr/bin/chromium``) driven by Playwright. Every request that would
  leave 127.0.0.1 is blocked and recorded; launch links are links, not requests.
- A full-page screenshot of every page is written to ``_build/screenshots/<page>.png`` (1366 px
  wide) and, by the reader tests of issue 12, ``<page>-desktop.png`` (1366x900) and
  ``<page>-phone.png`` (390x844).
- ``CECODE_SITE_AS_BUILT=1`` tests ``_build/html`` as it is (no rebuild when sources are newer),
  for a shared tree where others are editing the chapters.

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

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/book/ is two below)

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
# What issue 12 asks the site to survive: a laptop and a phone.
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


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
    """The built site, ``_build/html``; built here (warnings are errors) if missing or stale.

    ``CECODE_SITE_AS_BUILT=1`` tests ``_build/html`` as it is (while others edit the sources).
    """
    if os.environ.get("CECODE_SITE_AS_BUILT") == "1" and (HTML / "index.html").exists():
        return HTML
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

    def __init__(self, browser, server: str, entry: str, viewport: dict | None = None) -> None:
        self.server = server
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(viewport=viewport or DESKTOP, service_workers="block")
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
    opened: dict[tuple[str, str], _Visit] = {}

    def visit(entry: str, size: str = "desktop") -> _Visit:
        if (entry, size) not in opened:
            opened[entry, size] = _Visit(browser, server, entry, SIZES[size])
        return opened[entry, size]

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
# (also TeX commands left over when markdown broke a formula, e.g. a line starting with "+ ")
RAW_TEX = re.compile(
    r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^\s$][^$\n]{0,200}[^\s$]\$|\$[^\s$]\$"
    r"|\\(frac|sum_|operatorname|mathrm|varepsilon|big)\b"
)
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
        first.click()  # folded again: the other tests look at the same page


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


# ---------------------------------------------------------------- issue 12: read as a reader reads


def _screenshot(visit: _Visit, entry: str, size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=SCREENSHOTS / f"{Path(entry).name}-{size}.png", full_page=True)


OVERFLOWING = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.scrollWidth}>${e.clientWidth}px: ${e.textContent.trim().slice(0, 70)}`)"""


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_code_and_display_equations_fit_the_column_at_1366px(visits, page):
    visit = visits(page[0], "desktop")
    code = visit.page.evaluate(OVERFLOWING, "article pre")
    assert not code, f"{len(code)} code/output blocks wider than the column: {code[:5]}"
    equations = visit.page.evaluate(OVERFLOWING, "article mjx-container[display='true']")
    assert not equations, f"display equations wider than the column: {equations[:5]}"


TABLES_UNREACHABLE = """() => [...document.querySelectorAll('article table')].filter(t => {
  if (!t.getClientRects().length) return false;
  const article = document.querySelector('article').getBoundingClientRect();
  for (let e = t; e && e.tagName !== 'ARTICLE'; e = e.parentElement) {
    const x = getComputedStyle(e).overflowX;
    if ((x === 'auto' || x === 'scroll') && e.getBoundingClientRect().right <= article.right + 1)
      return false;  // scrolls inside its own box: every column reachable
  }
  return t.getBoundingClientRect().right > article.right + 1;
}).map(t => t.textContent.trim().slice(0, 60))"""

TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = e => { for (; e; e = e.parentElement) {
      const x = getComputedStyle(e).overflowX; if (x === 'auto' || x === 'scroll' || x === 'hidden') return true; }
    return false; };
  return [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width && r.right > width + 1 && !scrolls(e.parentElement) && e.checkVisibility({visibilityProperty: true});
  }).slice(0, 8).map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)}: ${(e.textContent || '').trim().slice(0, 50)}`);
}"""


@pytest.mark.parametrize("page", [*PAGES, ("genindex", None)], ids=_page_id)
def test_no_page_is_wider_than_a_phone(visits, page):
    visit = visits(page[0], "phone")
    _screenshot(visit, page[0], "phone")
    width = visit.page.evaluate("() => document.documentElement.scrollWidth")
    culprits = visit.page.evaluate(TOO_WIDE)
    assert width <= PHONE["width"], f"the page is {width} px wide at 390 px: {culprits}"
    tables = visit.page.evaluate(TABLES_UNREACHABLE)
    assert not tables, f"tables with columns out of reach: {tables}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_tables_scroll_in_their_own_box_and_are_padded(visits, page):
    visit = visits(page[0], "desktop")
    _screenshot(visit, page[0], "desktop")
    assert not visit.page.evaluate(TABLES_UNREACHABLE), "a table's columns are out of reach"
    unpadded = visit.page.evaluate(
        """() => [...document.querySelectorAll('article table td')]
        .filter(td => td.getClientRects().length && parseFloat(getComputedStyle(td).paddingLeft) < 4)
        .map(td => td.textContent.trim().slice(0, 30))"""
    )
    assert not unpadded, f"table cells without padding: {unpadded[:5]}"


INTERNAL_LABEL = re.compile(r"\(eq-[\w-]+\)|\beq-ch\d+-|\bfig-ch\d+-")
NUMBERED_TWICE = re.compile(r"^\s*(\d+\.)+\s+(\d+[.)]|Exercise \d+[.:]?)\s")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_no_test_clutter_internal_labels_or_double_numbers(visits, page):
    visit = visits(page[0], "desktop")
    text = visit.page.locator("article").inner_text()
    assert "NBVAL" not in text, "visible NBVAL text (use nbval's cell tags)"
    code = visit.page.evaluate(
        "() => [...document.querySelectorAll('article pre')].map(e => e.textContent)"
    )
    labels = sorted({m for block in code for m in INTERNAL_LABEL.findall(block)})
    assert not labels, f"code cites internal labels (cite equation numbers): {labels}"
    assert not any("@title" in block for block in code), "Colab's '# @title' line is shown"
    headings = visit.page.locator("article h2, article h3, article h4").all_inner_texts()
    twice = [h for h in headings if NUMBERED_TWICE.match(h)]
    assert not twice, f"headings numbered twice: {twice}"


FILENAME_ALT = re.compile(r"(^[0-9a-f]{16,}|\.(png|jpe?g|svg|gif)$|^$)", re.IGNORECASE)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_figure_is_numbered_with_caption_and_alt_text(visits, page):
    visit = visits(page[0], "desktop")
    images = visit.page.evaluate(
        """() => [...document.querySelectorAll('article img')].map(img => {
          const figure = img.closest('figure');
          const caption = figure && figure.querySelector('figcaption');
          return {src: (img.getAttribute('src') || '').split('/').pop(), alt: img.getAttribute('alt') || '',
                  caption: caption ? caption.innerText.trim() : null};
        })"""
    )
    problems = []
    for i, image in enumerate(images, 1):
        where = f"figure {i} ({image['src'][:20]})"
        if image["caption"] is None:
            problems.append(f"{where}: no caption (mystnb.figure cell metadata)")
        elif not re.match(r"^Fig(ure|\.) \d+(\.\d+)*\.?\s+\S", image["caption"]):
            problems.append(f"{where}: caption not numbered: {image['caption'][:40]!r}")
        if FILENAME_ALT.search(image["alt"].strip()):
            problems.append(f"{where}: alt text is {image['alt'][:30]!r}")
    assert not problems, f"{Path(page[0]).name}: " + "; ".join(problems)


SOLUTION_STATE = """() => [...document.querySelectorAll('article div.cell.tag_solution')].map(cell => {
  const details = cell.querySelector('details');
  // checkVisibility: Chromium lays out a closed <details>' content (content-visibility: hidden),
  // so only this tells what a reader can see.
  const visible = [...cell.querySelectorAll('.cell_input *, .cell_output *')]
    .filter(e => e.checkVisibility({visibilityProperty: true, opacityProperty: true}) && e.textContent.trim()).length;
  return {folded: !!details && !details.open, visible,
          prompt: details ? details.querySelector('summary').innerText.trim() : null,
          outputInside: !cell.querySelector('.cell_output') || !!cell.querySelector('details .cell_output')};
})"""


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_page_id)
def test_solutions_and_their_outputs_stay_hidden_until_opened(visits, page):
    entry = page[0]
    visit = visits(entry, "desktop")
    notebook = nbformat.read(_source(entry), as_version=4)
    expected = sum("solution" in c.metadata.get("tags", []) for c in notebook.cells)
    cells = visit.page.evaluate(SOLUTION_STATE)
    assert len(cells) == expected, f"{expected} solution cells, {len(cells)} on the page"
    for i, cell in enumerate(cells):
        assert cell["folded"], f"solution {i} is not folded"
        assert cell["outputInside"], f"solution {i}'s output is outside the fold"
        assert cell["visible"] == 0, f"solution {i}: {cell['visible']} elements visible"
        assert cell["prompt"] == "Show solution", f"solution {i}'s toggle reads {cell['prompt']!r}"
    checks = visit.page.evaluate(
        """() => [...document.querySelectorAll('article div.cell.tag_hide-input:not(.tag_solution) summary')]
        .map(s => s.innerText.trim())"""
    )
    assert all(c == "Show the checks" or not c.startswith("Show code") for c in checks), checks
    if cells:
        summary = visit.page.locator("article div.cell.tag_solution details > summary").first
        summary.click()
        assert summary.inner_text().strip() == "Hide solution"
        assert visit.page.locator("article div.cell.tag_solution .cell_input").first.is_visible()
        summary.click()  # folded again for the other tests


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=_page_id)
def test_open_in_colab_badge_under_the_title(visits, page):
    entry = page[0]
    colab = f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/{BRANCH}/{entry}.ipynb"
    visit = visits(entry, "desktop")
    badge = visit.page.locator("article a.colab-badge")
    assert badge.count() == 1, "no Open in Colab badge"
    assert badge.get_attribute("href") == colab
    assert badge.inner_text().strip().endswith("Open in Colab")
    assert badge.is_visible()
    title_bottom = visit.page.locator("article h1").first.bounding_box()["y"]
    assert 0 <= badge.bounding_box()["y"] - title_bottom < 200, "the badge is not at the top"


def _bib_entries() -> dict:
    from pybtex.database import parse_file

    return parse_file(str(ROOT / "book" / "references.bib")).entries


def test_bibliography_is_author_year_with_accents_decoded(visits):
    from pybtex.richtext import Text

    visit = visits("book/bibliography", "desktop")
    labels = visit.page.locator("article .citation .label, article dt.label").all_inner_texts()
    labels = [label.strip().strip("[]") for label in labels]
    entries = _bib_entries()
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from book_site import author_year_label

    uncited = [key for key, e in entries.items() if author_year_label(e) not in labels]
    assert not uncited, f"in book/references.bib but cited nowhere: {uncited}"
    pattern = re.compile(r"^[^\[\]{}\\\d]+, \d{4}[a-z]?$")
    assert all(pattern.match(label) for label in labels), labels
    text = visit.page.locator("article").inner_text()
    for key, entry in entries.items():
        for person in entry.persons.get("author", []):
            raw = " ".join(person.last_names)
            if "\\" in raw or "{" in raw:
                name = Text.from_latex(raw).render_as("text")
                assert name in text, f"{key}: {name!r} not rendered (from {raw!r})"
    assert "\\" not in text and "{" not in text, "raw BibTeX on the bibliography page"


LIVE_CASES = [
    ([2.0, 1.0, 0.1, -1.0], 1.0, 0),
    ([1000.0, -1000.0, 0.0, 5.0], 1.0, 1),
    ([-1000.0, 1000.0, 3.0, 3.0], 0.5, 0),
    ([0.5, 0.5, 0.5, 0.5], 2.0, 3),
    ([3.0, -2.0, 7.5, 1.0], 0.25, 2),
]


@pytest.mark.parametrize(("logits", "temperature", "target"), LIVE_CASES)
def test_live_softmax_shows_what_cecode_computes(visits, logits, temperature, target):
    import torch

    from cecode import functional as cf

    visit = visits(TOC["root"], "desktop")
    root = visit.page.locator("article div.live-softmax")
    assert root.count() == 1, "no live softmax on the landing page"
    for j, value in enumerate(logits):
        root.locator(f"input[data-role=logit][data-index='{j}']").fill(str(value))
    root.locator("input[data-role=temperature]").fill(str(temperature))
    root.locator("select[data-role=target]").select_option(str(target))
    shown = visit.page.evaluate(
        """(root) => ({
          probs: [...root.querySelectorAll('[data-role=prob]')].map(e => e.textContent),
          grads: [...root.querySelectorAll('[data-role=grad]')].map(e => e.textContent),
          loss: root.querySelector('[data-role=loss]').textContent,
          message: root.querySelector('[data-role=message]').textContent})""",
        root.element_handle(),
    )
    everything = " ".join(shown["probs"] + shown["grads"] + [shown["loss"]])
    assert "NaN" not in everything and "Infinity" not in everything, shown
    assert not shown["message"].strip(), shown["message"]
    scaled = (torch.tensor([logits], dtype=torch.float64) / temperature).requires_grad_()
    y = torch.tensor([target])
    loss = cf.cross_entropy(scaled, y)
    (grad,) = torch.autograd.grad(loss, scaled)
    probs = cf.softmax(scaled.detach(), dim=1)[0]
    expected = {
        "probs": [f"{v:.4f}" for v in probs.tolist()],
        "grads": [f"{v:.4f}" for v in grad[0].tolist()],
        "loss": f"{loss.item():.4f}",
    }

    def close(a: str, b: str) -> bool:  # equal to the shown digits ("-0.0000" is "0.0000")
        return abs(float(a) - float(b)) <= 0.5e-4 + 1e-9

    assert close(shown["loss"], expected["loss"]), (shown, expected)
    for key in ("probs", "grads"):
        assert all(map(close, shown[key], expected[key])), (key, shown[key], expected[key])
    assert all(len(v.split(".")[1]) == 4 for v in shown["probs"] + shown["grads"])


def test_search_snippets_show_no_raw_tex(browser, server):
    visit = _Visit(browser, server, "search")
    try:
        visit.page.goto(f"{server}/search.html?q=softmax", wait_until="load")
        visit.page.wait_for_function(
            "() => document.querySelector('#search-results p.search-summary')?.innerText.includes('found')",
            timeout=60_000,
        )
        visit.page.wait_for_timeout(2000)  # the last snippets are fetched after the summary
        snippets = visit.page.locator("#search-results p.context").all_inner_texts()
        assert snippets, "search showed no snippets"
        raw = [s for s in snippets if re.search(r"\\[a-zA-Z]+|\$\$|\\\(|\\\[", s)]
        assert not raw, f"raw TeX in search snippets: {raw[:3]}"
        assert not visit.console_errors, visit.console_errors
    finally:
        visit.close()


GLOSSARY_TERMS = [
    "logit", "softmax", "log-sum-exp", "log-softmax", "cross-entropy", "negative log-likelihood",
    "one-hot", "entropy", "KL divergence", "perplexity", "label smoothing", "calibration",
    "expected calibration error", "temperature scaling", "sigmoid", "binary cross-entropy",
    "focal loss", "knowledge distillation", "mixup", "InfoNCE", "z-loss", "padding mask",
]  # fmt: skip


def test_glossary_defines_exactly_the_agreed_terms_and_the_index_is_linked(site):
    glossary = (site / "book" / "glossary.html").read_text(encoding="utf-8")
    terms = dict(re.findall(r'<dt id="(term-[^"]*)">(.*?)<a class="headerlink"', glossary))
    assert sorted(terms.values()) == sorted(GLOSSARY_TERMS)
    index = (site / "genindex.html").read_text(encoding="utf-8")
    for anchor, term in terms.items():
        assert f'href="book/glossary.html#{anchor}"><strong>{term}<' in index, f"{term} not indexed"
    for page in ("book/intro", "book/glossary"):
        assert any(link.endswith("genindex.html") for link in _parse(_html_path(page)).links), page


def test_execution_report_lists_every_chapter_from_the_record(site):
    import json

    record = json.loads((ROOT / "book" / "execution_report.json").read_text())
    page = (site / "book" / "execution_report.html").read_text(encoding="utf-8")
    missing = []
    for entry, _number in NOTEBOOK_PAGES:
        assert f'href="{Path(entry).name}.html"' in page, f"{entry} is not in the report"
        run = record.get(f"{entry}.ipynb")
        if run is None:
            missing.append(entry)
            continue
        assert run["torch"] and run["python"] and re.match(r"\d{4}-\d\d-\d\d$", run["date"])
        assert f"<p>{run['torch']}</p>" in page and f"<p>{run['wall_seconds']}</p>" in page
    assert not missing, f"not run with scripts/execute_notebooks.py since it records: {missing}"


def test_the_site_links_the_pdf(site):
    pdf = site / "cross-entropy-book.pdf"
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-", "run `make pdf` (make test does)"
    assert "../cross-entropy-book.pdf" in _parse(_html_path(TOC["root"])).links


def test_running_page_says_what_a_new_reader_needs(site):
    page = (site / "book" / "running.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    for needle in (f"git clone {REPOSITORY}", "Python 3.11", "6 GB", "CPU", "make lab", "Colab"):
        assert needle in text, f"the running page does not say {needle!r}"
    assert "{{" not in text, "an unfilled substitution"
    assert "execution_report.html" in page, "no link to the execution report"
    assert any(link.endswith("running.html") for link in _parse(_html_path(TOC["root"])).links)


def test_a_tap_shows_a_figure_at_full_size_on_a_phone(visits):
    visit = visits("book/01_logits_softmax", "phone")
    image = visit.page.locator("article figure img").first
    if not image.count():
        pytest.skip("no figure on the page")
    image.scroll_into_view_if_needed()
    before = image.bounding_box()["width"]
    natural = image.evaluate("i => i.naturalWidth")
    image.click()
    try:
        assert image.bounding_box()["width"] >= min(natural, before) - 1
        width = visit.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the zoomed figure widens the page"
    finally:
        image.click()
    assert abs(image.bounding_box()["width"] - before) < 1


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_page_links_the_glossary_index_and_pdf(site, page):
    links = _parse(_html_path(page[0])).links
    for target in ("glossary.html", "notation.html", "genindex.html", "cross-entropy-book.pdf"):
        if target == f"{Path(page[0]).name}.html":
            continue  # a page does not link itself
        assert any(link.split("#")[0].endswith(target) for link in links), f"no link to {target}"
