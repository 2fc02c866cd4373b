"""Solutions stay folded wherever the notebooks are read: website, Jupyter and Colab.

scripts/execute_notebooks.py adds the folding metadata to every cell tagged ``solution`` (and a
prompt to every ``hide-input`` check cell) whenever a chapter is executed; these tests fail when a
chapter was edited without it (fix: ``python scripts/execute_notebooks.py --normalize-only
book/NN_x.ipynb``). The browser side is in test_site.py.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/book/ is two below)
BOOK = ROOT / "book"

NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location(
    "execute_notebooks", ROOT / "scripts" / "execute_notebooks.py"
)
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_cell_is_folded_on_the_site_in_jupyter_and_in_colab(path):
    for index, cell in enumerate(_code_cells(path)):
        tags = cell.metadata.get("tags", [])
        if "solution" not in tags:
            continue
        where = f"{path.name} code cell {index}"
        assert "hide-cell" in tags, f"{where}: not folded on the website (hide-cell)"
        assert cell.metadata.get("jupyter") == {"source_hidden": True, "outputs_hidden": True}, (
            f"{where}: not collapsed in Jupyter"
        )
        mystnb = cell.metadata.get("mystnb", {})
        assert mystnb.get("code_prompt_show") == "Show solution", where
        assert mystnb.get("code_prompt_hide") == "Hide solution", where
        assert cell.metadata.get("colab", {}).get("cellView") == "form", f"{where}: Colab"
        assert cell.source.startswith("# @title Solution"), f"{where}: Colab needs a # @title"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_check_cells_have_a_prompt_and_no_nbval_comment_is_left(path):
    for index, cell in enumerate(_code_cells(path)):
        where = f"{path.name} code cell {index}"
        assert "NBVAL_IGNORE_OUTPUT" not in cell.source, f"{where}: use the nbval-ignore-output tag"
        tags = cell.metadata.get("tags", [])
        if "hide-input" in tags and "solution" not in tags:
            prompt = cell.metadata.get("mystnb", {}).get("code_prompt_show", "")
            assert prompt and not prompt.startswith("Show code cell"), f"{where}: {prompt!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_metadata_is_normalized(path):
    for cell in _code_cells(path):
        normalized = copy.deepcopy(cell)
        execute_notebooks.normalize_cell_metadata(normalized)
        assert normalized == cell, (
            f"{path.name}: run scripts/execute_notebooks.py --normalize-only {path.name}"
        )


def test_normalization_folds_a_solution_and_replaces_the_ignore_comment():
    solution = nbformat.v4.new_code_cell("x = 1\nassert x == 1", metadata={"tags": ["solution"]})
    ignored = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)")
    checks = nbformat.v4.new_code_cell("assert True", metadata={"tags": ["hide-input"]})
    own = nbformat.v4.new_code_cell(
        "pass", metadata={"tags": ["hide-input"], "mystnb": {"code_prompt_show": "Show setup"}}
    )
    code = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-input"]})
    for cell in (solution, ignored, checks, own, code):
        execute_notebooks.normalize_cell_metadata(cell)
    assert code.metadata["mystnb"]["code_prompt_show"] == "Show the code"
    assert solution.source == "# @title Solution\nx = 1\nassert x == 1"
    assert solution.metadata["tags"] == ["solution", "hide-cell"]
    assert solution.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert solution.metadata["colab"] == {"cellView": "form"}
    assert ignored.source == "print(1)"
    assert ignored.metadata["tags"] == ["nbval-ignore-output"]
    assert checks.metadata["mystnb"]["code_prompt_show"] == "Show the checks"
    assert own.metadata["mystnb"] == {"code_prompt_show": "Show setup"}
    again = copy.deepcopy(solution)
    execute_notebooks.normalize_cell_metadata(again)
    assert again == solution, "normalizing twice changes the cell"
