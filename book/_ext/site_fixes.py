"""Two fixes to the Jupyter Book 1 stack so that its pages load with no console errors.

Loaded from ``_config.yml`` (``sphinx: local_extensions``); ``tests/test_site.py`` checks the result
in a browser.

- sphinx-thebe and sphinx-togglebutton register their inline configuration scripts once per
  ``env-before-read-docs`` event, and Jupyter Book's build gives each page two copies. The second
  ``const THEBE_JS_URL = ...`` is a SyntaxError ("Identifier 'THEBE_JS_URL' has already been
  declared") on every page. Identical scripts are removed here, keeping the first.
- pydata-sphinx-theme logs "Got invalid theme mode: ." when the template variable ``default_mode``
  is empty, which it is unless ``html_context`` sets it. It is set to ``auto`` (follow the reader's
  system setting), the mode the theme falls back to anyway.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    # The same inline script comes once with filename None and once with "" (Sphinx's registry).
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", str(script)) or "", tuple(sorted(attributes.items())))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
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


def _default_theme_mode(app, config) -> None:
    config.html_context.setdefault("default_mode", "auto")


def setup(app):
    app.connect("config-inited", _default_theme_mode)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
