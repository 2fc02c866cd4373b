"""Rules every module of ``cecode`` follows, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cecode

PACKAGE = Path(cecode.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
MAX_BODY_LINES = 50


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body from its first statement after the docstring to its end."""
    body = node.body
    has_docstring = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    if has_docstring:
        body = body[1:]
    if not body:
        return 0
    return node.end_lineno - body[0].lineno + 1


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_function_bodies_are_short(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    long = [
        f"{node.name} (line {node.lineno}): {_body_lines(node)} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _body_lines(node) > MAX_BODY_LINES
    ]
    assert long == [], f"split these functions (at most {MAX_BODY_LINES} lines after the docstring)"


def test_the_rule_counts_lines_after_the_docstring():
    source = 'def f():\n    """Doc.\n\n    More.\n    """\n    x = 1\n    return x\n'
    (node,) = ast.parse(source).body
    assert _body_lines(node) == 2
