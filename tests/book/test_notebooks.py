"""Hygiene of the stored notebooks: what nbval cannot see by itself.

nbval silently skips a code cell that was never executed, and happily compares outputs that show
a reader this machine's folders. These tests fail on both, and keep the table of contents and the
chapter files in step.
"""

from __future__ import annotations

import re

import nbformat
import yaml

MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/|/work/|/Users/|[A-Z]:\\\\Users|site-packages)")
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")


def toc_files(root) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def code_cells(path):
    notebook = nbformat.read(path, as_version=4)
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists(root, book):
    listed = toc_files(root)
    chapters = [f"book/{p.stem}" for p in sorted(book.glob("[0-9][0-9]_*.ipynb"))]
    assert [f for f in listed if f in chapters] == chapters, "chapters missing from _toc.yml"
    for entry in listed:
        candidates = [root / f"{entry}{suffix}" for suffix in (".ipynb", ".md")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_every_code_cell_was_executed_in_order(notebook):
    path = notebook
    counts = [cell.execution_count for cell in code_cells(path)]
    unexecuted = [i for i, count in enumerate(counts) if count is None]
    assert not unexecuted, f"{path.name}: code cells {unexecuted} have no stored execution"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not executed top to bottom"


def test_outputs_show_no_machine_paths_addresses_or_errors(notebook):
    path = notebook
    for index, cell in enumerate(code_cells(path)):
        text = nbformat.writes(nbformat.from_dict({"outputs": cell.outputs}))
        where = f"{path.name} code cell {index}"
        assert not MACHINE_PATH.search(text), f"{where}: machine path in output"
        assert not MEMORY_ADDRESS.search(text), f"{where}: memory address in output"
        tags = cell.metadata.get("tags", [])
        if "raises-exception" not in tags:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{where}: stored error output"


def test_no_timing_metadata_and_python3_kernel(notebook):
    path = notebook
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        assert "execution" not in cell.metadata, f"{path.name}: per-cell timing metadata stored"
