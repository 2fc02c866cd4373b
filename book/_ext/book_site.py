"""The book's own additions to the Jupyter Book 1 site (loaded from ``_config.yml``).

``tests/book/test_site.py`` checks each of them in a browser.

- **Author-year bibliography.** sphinxcontrib-bibtex labels the bibliography with pybtex's
  ``alpha`` codes ("[HVD15]") while the text cites author-year, and ``alpha`` builds its codes
  from the raw BibTeX, so ``Doll{\\'a}r`` became "Dollar" ("[GDollarG+17]"). The label style
  ``author_year`` below labels every entry the way the text cites it ("Hinton et al., 2015"),
  with the LaTeX accents decoded, and the formatting style ``author_year`` sorts by author.
- **Open in Colab badge** under the title of every chapter (a notebook page), linking to the
  same notebook URL as the theme's launch button (``repository_url``, ``repository_branch``,
  ``path_to_docs`` and the launch buttons' ``colab_url``); a plain link styled in CSS, so the page
  requests nothing from another site.
- **Colab form titles removed.** scripts/execute_notebooks.py starts every solution cell with
  ``# @title Solution`` (what makes Colab fold its code); the website shows the cell's code without
  that line. Code blocks of the pages get the repository address (``{{ repository_url }}``).
- **Execution report.** The directive ``execution-report`` renders ``book/execution_report.json``
  (written by scripts/execute_notebooks.py) as a table: per chapter, the run time, the Python
  and PyTorch versions the stored outputs come from, and the date.
- **Quick links** at the end of every page: glossary, notation, the generated index and the PDF.
- **Repository address as a substitution.** ``{{ repository_url }}`` in a page is the
  ``repository.url`` of ``_config.yml`` (one place to change it).
- **Assets.** ``book/_assets`` (in ``html_static_path``): the site's CSS (outputs wrap, tables
  scroll in their own box, equations scroll on phones, print layout for the PDF), the live
  softmax of the landing page and the search-snippet fix (no raw TeX in search results).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

# ---------------------------------------------------------------- bibliography labels


def _plain(latex: str) -> str:
    """BibTeX/LaTeX text as a reader sees it: ``Doll{\\'a}r`` -> ``Dollár``."""
    return Text.from_latex(latex).render_as("text")


def _surname(person) -> str:
    return " ".join(
        _plain(part) for part in person.prelast_names + person.last_names
    )


def author_year_label(entry) -> str:
    """ "Bridle, 1990", "Kingma and Ba, 2015", "Goodfellow et al., 2016"."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    if not names:
        who = _plain(entry.fields.get("title", entry.key)).split(":")[0]
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the text cites: "Author, Year" (a, b, ... when two would be equal)."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year_label(entry) for entry in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` entries, sorted by author and year, labelled "Author, Year"."""

    default_label_style = "author_year"
    default_sorting_style = "author_year_title"


register_plugin(
    "pybtex.style.labels", "author_year", AuthorYearLabelStyle, force=True
)
register_plugin(
    "pybtex.style.formatting", "author_year", AuthorYearStyle, force=True
)

# ---------------------------------------------------------------- the Colab badge


def colab_url(config, docname: str) -> str | None:
    """The Colab link of a notebook page, built like sphinx-book-theme's launch button."""
    options = config.html_theme_options
    repository = options.get("repository_url", "").rstrip("/")
    colab = (
        (options.get("launch_buttons") or {}).get("colab_url", "").rstrip("/")
    )
    if not repository.startswith("https://github.com/") or not colab:
        return None
    owner_name = repository.removeprefix("https://github.com/")
    branch = options.get("repository_branch") or "main"
    folder = (options.get("path_to_docs") or "").strip("/")
    path = f"{folder}/{docname}.ipynb" if folder else f"{docname}.ipynb"
    return f"{colab}/github/{owner_name}/blob/{branch}/{path}"


BADGE = (
    '<p class="colab-badge-line"><a class="colab-badge reference external" href="{url}" '
    'title="Open this chapter as a notebook in Google Colab" target="_blank" '
    'rel="noopener"><span class="colab-badge-logo" aria-hidden="true">CO</span>'
    '<span class="colab-badge-text">Open in Colab</span></a></p>'
)


def _add_colab_badge(app, pagename, templatename, context, doctree) -> None:
    if doctree is None or app.builder.format != "html" or "body" not in context:
        return
    source = (
        app.env.doc2path(pagename, base=False)
        if pagename in app.env.all_docs
        else ""
    )
    if not str(source).endswith(".ipynb"):
        return
    url = colab_url(app.config, pagename)
    if url is None:
        return
    body = context["body"]
    end = body.find("</h1>")
    if end >= 0:
        end += len("</h1>")
        context["body"] = body[:end] + BADGE.format(url=url) + body[end:]


# ---------------------------------------------------------------- quick links

QUICK_LINKS = [
    ("Glossary", "book/glossary", False),
    ("Notation", "book/notation", False),
    ("Index", "genindex", False),
    ("The book as a PDF", "cross-entropy-book.pdf", True),
]


def _add_quick_links(app, pagename, templatename, context, doctree) -> None:
    """Glossary, notation, index and PDF linked at the end of every page of the book."""
    if doctree is None or app.builder.name != "html" or "body" not in context:
        return
    pathto = context["pathto"]
    links = [
        f'<a class="reference internal" href="{pathto(target, resource)}">{text}</a>'
        for text, target, resource in QUICK_LINKS
        if resource or target == "genindex" or target in app.env.all_docs
    ]
    context["body"] += (
        '<nav class="book-quick-links" aria-label="Reference">'
        + " · ".join(links)
        + "</nav>"
    )


# ------------------------------------------- code blocks: Colab's "# @title", the repository

_TITLE_LINE = re.compile(r"\A\s*#\s*@title\b[^\n]*\n?")


def _fix_code_blocks(app, doctree) -> None:
    """Drop the Colab form title of cells; fill in ``{{ repository_url }}`` in code blocks."""
    repository = app.config.html_theme_options.get("repository_url", "")
    for block in doctree.findall(nodes.literal_block):
        text = new = block.astext()
        parent = block.parent
        if (
            parent is not None
            and parent.get("nb_element") == "cell_code_source"
        ):
            new = _TITLE_LINE.sub("", text, count=1)
        new = new.replace("{{ repository_url }}", repository)
        if new != text:
            block.children = [nodes.Text(new)]
            block.rawsource = new


# ---------------------------------------------------------------- execution report

REPORT = "book/execution_report.json"
CHAPTER = re.compile(r"^(\d\d)_.+\.ipynb$")


class ExecutionReport(SphinxDirective):
    """A table of every chapter's recorded run (scripts/execute_notebooks.py writes the JSON)."""

    has_content = False

    def run(self):
        srcdir = Path(self.env.srcdir)
        report = srcdir / REPORT
        self.env.note_dependency(str(report))
        data = json.loads(report.read_text()) if report.exists() else {}
        chapters = sorted(
            p
            for p in (srcdir / "book").glob("*.ipynb")
            if CHAPTER.match(p.name)
            and f"book/{p.stem}" in self.env.found_docs  # in _toc.yml
        )
        header = [
            "Chapter",
            "Run time (s)",
            "CPU (s)",
            "Python",
            "PyTorch",
            "Run on",
        ]
        rows = []
        for path in chapters:
            key = path.relative_to(srcdir).as_posix()
            entry = data.get(key, {})
            rows.append(
                [
                    self._chapter_link(key.removesuffix(".ipynb")),
                    str(entry.get("wall_seconds", "not recorded")),
                    str(entry.get("cpu_seconds", "")),
                    entry.get("python", ""),
                    entry.get("torch", ""),
                    entry.get("date", ""),
                ]
            )
        table = self._table(header, rows)
        recorded = [data[k] for k in data if k.startswith("book/")]
        machines = sorted({e.get("machine", "") for e in recorded} - {""})
        total = sum(e.get("wall_seconds", 0) for e in recorded)
        summary = nodes.paragraph(
            text=f"{len(recorded)} of {len(chapters)} chapters recorded; together "
            f"{total:.0f} s. Machine: {'; '.join(machines) or 'not recorded'}."
        )
        return [table, summary]

    def _chapter_link(self, docname: str):
        ref = addnodes.pending_xref(
            "",
            nodes.inline("", docname),
            refdomain="std",
            reftype="doc",
            reftarget="/" + docname,
            refexplicit=False,
            refwarn=True,
            refdoc=self.env.docname,
        )
        return ref

    @staticmethod
    def _table(header, rows):
        table = nodes.table(classes=["execution-report"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for _ in header:
            group += nodes.colspec(colwidth=1)
        head, body = nodes.thead(), nodes.tbody()
        group += head
        group += body
        for cells, parent in [(header, head)] + [(r, body) for r in rows]:
            row = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                paragraph = nodes.paragraph()
                paragraph += (
                    cell if isinstance(cell, nodes.Node) else nodes.Text(cell)
                )
                entry += paragraph
                row += entry
            parent += row
        return table


# ---------------------------------------------------------------- set-up


def _config_inited(app, config) -> None:
    repository = config.html_theme_options.get("repository_url", "")
    substitutions = dict(getattr(config, "myst_substitutions", {}) or {})
    substitutions.setdefault("repository_url", repository)
    config.myst_substitutions = substitutions


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _add_colab_badge)
    app.connect("html-page-context", _add_quick_links)
    app.connect("doctree-read", _fix_code_blocks)
    app.add_directive("execution-report", ExecutionReport)
    app.add_css_file("book_site.css")
    app.add_js_file("book_site.js", defer="defer")
    app.add_js_file("live_softmax.js", defer="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
