"""Fixes to the Jupyter Book 1 stack (sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17).

Loaded from ``_config.yml`` (``sphinx: local_extensions``); ``tests/test_site.py`` checks the result
in a browser.

- sphinx-thebe and sphinx-togglebutton register their inline configuration scripts once per
  ``env-before-read-docs`` event, and Jupyter Book's build gives each page two copies. The second
  ``const THEBE_JS_URL = ...`` is a SyntaxError ("Identifier 'THEBE_JS_URL' has already been
  declared") on every page. Identical scripts are removed here, keeping the first.
- pydata-sphinx-theme logs "Got invalid theme mode: ." when the template variable ``default_mode``
  is empty, which it is unless ``html_context`` sets it. It is set to ``auto`` (follow the reader's
  system setting), the mode the theme falls back to anyway.
- pydata-sphinx-theme 0.17 puts a search button in a header bar above sphinx-book-theme's own
  layout unless ``navbar_persistent`` is set: an empty bar with a second search field at the top
  of every page. sphinx-book-theme already has the search field in its sidebar, so the bar is
  switched off (``navbar_persistent = []``).
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    # The same inline script comes once with filename None and once with "" (Sphinx's registry).
    attributes = getattr(script, "attributes", {}) or {}
    return (
        getattr(script, "filename", str(script)) or "",
        tuple(sorted(attributes.items())),
    )


def _drop_duplicate_scripts(
    app, pagename, templatename, context, doctree
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _theme_settings(app, config) -> None:
    config.html_context.setdefault("default_mode", "auto")
    config.html_theme_options.setdefault("navbar_persistent", [])


def setup(app):
    app.connect("config-inited", _theme_settings)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
