"""The first cells of every chapter: the Colab install cell, then the chapter's title and target.

Cell 0 is run, not just read: with ``subprocess``/``os`` process functions replaced by recorders,
once as in Jupyter (no ``google.colab`` module: it must start nothing) and once as in Colab (a fake
``google.colab`` module: it must run exactly one ``pip install git+<repository.url>``, with the URL
from ``_config.yml``, and leave torch alone).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/book/ is two below)
BOOK = ROOT / "book"

NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
PROCESS_FUNCTIONS = {
    subprocess: [
        "run",
        "call",
        "check_call",
        "check_output",
        "Popen",
        "getoutput",
        "getstatusoutput",
    ],
    os: ["system", "popen", "execv", "execvp", "spawnv", "spawnvp"],
}


def first_cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells[:2]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __call__(self, name: str):
        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return subprocess.CompletedProcess(args[0] if args else [], 0)

        return record


def run_cell(source: str, monkeypatch, in_colab: bool) -> Recorder:
    recorder = Recorder()
    for module, names in PROCESS_FUNCTIONS.items():
        for name in names:
            if hasattr(module, name):
                monkeypatch.setattr(module, name, recorder(f"{module.__name__}.{name}"))
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    google.colab = colab
    if in_colab:
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<cell 0>", "exec"), {"__name__": "__main__"})
    return recorder


def test_there_are_notebooks_to_check():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_plain_python_guarded_by_google_colab(path):
    cell = first_cells(path)[0]
    assert cell.cell_type == "code", f"{path.name}: cell 0 must be the Colab install cell"
    tree = ast.parse(cell.source)  # no %pip or !pip magics: plain Python
    guards = [n for n in ast.walk(tree) if isinstance(n, ast.If)]
    assert any(
        isinstance(g.test, ast.Compare)
        and isinstance(g.test.left, ast.Constant)
        and g.test.left.value == "google.colab"
        and isinstance(g.test.ops[0], ast.In)
        and ast.unparse(g.test.comparators[0]) == "sys.modules"
        for g in guards
    ), f'{path.name}: cell 0 is not guarded by `if "google.colab" in sys.modules`'
    assert not cell.get("outputs"), f"{path.name}: cell 0 printed something outside Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_does_nothing_outside_colab(path, monkeypatch):
    recorder = run_cell(first_cells(path)[0].source, monkeypatch, in_colab=False)
    assert recorder.calls == [], f"{path.name}: cell 0 starts processes outside Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_this_repository_in_colab_and_leaves_torch_alone(path, monkeypatch):
    source = first_cells(path)[0].source
    recorder = run_cell(source, monkeypatch, in_colab=True)
    assert len(recorder.calls) == 1, (
        f"{path.name}: expected one pip call in Colab, got {recorder.calls}"
    )
    name, args, kwargs = recorder.calls[0]
    assert name == "subprocess.run" and kwargs.get("check") is True, recorder.calls[0]
    command = [str(a) for a in args[0]]
    assert command[:4] == [sys.executable, "-m", "pip", "install"], command
    packages = [a for a in command[4:] if not a.startswith("-")]
    assert packages == [f"git+{REPOSITORY}"], (
        f"{path.name}: installs {packages}, not git+{REPOSITORY}"
    )
    for argument in command:
        assert "torch" not in argument.lower(), f"{path.name}: cell 0 touches torch: {command}"
        assert "==" not in argument, f"{path.name}: cell 0 pins a version: {command}"
        assert argument not in (
            "-U",
            "--upgrade",
            "--force-reinstall",
            "--upgrade-strategy=eager",
        ), f"{path.name}: {argument} could replace Colab's torch"
    urls = re.findall(r"https?://[^\s\"']+", source)
    assert urls == [REPOSITORY], f"{path.name}: cell 0 names {urls}, _config.yml says {REPOSITORY}"


def test_every_chapter_has_the_same_install_cell():
    sources = {path.name: first_cells(path)[0].source.strip() for path in NOTEBOOKS}
    assert len(set(sources.values())) == 1, f"the install cells differ: {sorted(sources)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_second_cell_is_the_target_and_unnumbered_title(path):
    cell = first_cells(path)[1]
    short_name = path.stem.split("_", 1)[1]
    lines = [line for line in cell.source.splitlines() if line.strip()]
    assert cell.cell_type == "markdown", f"{path.name}: cell 1 must be the title"
    assert lines[0].strip() == f"(ch-{short_name})=", (
        f"{path.name}: cell 1 must start with (ch-{short_name})="
    )
    assert lines[1].startswith("# "), f"{path.name}: the target must be followed by the # title"
    assert not re.match(r"#\s+(Chapter\s+)?\d", lines[1]), (
        f"{path.name}: the toc numbers chapters; got {lines[1]!r}"
    )
