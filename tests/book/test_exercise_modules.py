"""Every chapter's exercises: at least three, checked by that chapter's own checkers only.

Chapter ``NN`` imports ``cecode.exercises.chNN`` and no other checker module, so no checker serves
two chapters; every public checker of ``chNN`` is used by chapter ``NN`` (none is dead code).
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
CHECKER_CALL = re.compile(r"\b(ch\d\d)\.(check_\w+)\b")


def _code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _solution_cells(path: Path) -> int:
    cells = json.loads(path.read_text())["cells"]
    return sum("solution" in c["metadata"].get("tags", []) for c in cells)


def test_every_chapter_has_an_exercise_module():
    assert len(CHAPTERS) >= 13
    for path in CHAPTERS:
        importlib.import_module(f"cecode.exercises.ch{path.name[:2]}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_uses_only_its_own_checkers(path):
    own = f"ch{path.name[:2]}"
    used = CHECKER_CALL.findall(_code(path))
    assert used, f"{path.name} calls no checker"
    assert {module for module, _ in used} == {own}
    imports = re.findall(r"from cecode\.exercises import (\w+)", _code(path))
    assert imports == [own]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_checker_of_the_chapter_is_used(path):
    module = importlib.import_module(f"cecode.exercises.ch{path.name[:2]}")
    used = {name for _, name in CHECKER_CALL.findall(_code(path))}
    checkers = {name for name in module.__all__ if name.startswith("check_")}
    assert checkers - used == set(), f"unused checkers in {module.__name__}"
    assert used - checkers == set(), f"{path.name} calls checkers {module.__name__} lacks"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_at_least_three_exercises_with_solutions(path):
    assert _solution_cells(path) >= 3
