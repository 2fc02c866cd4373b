"""Execute the book's notebooks and store normalized outputs (the target behind ``make execute``).

Usage: ``python scripts/execute_notebooks.py book/01_logits_softmax.ipynb [more.ipynb ...]``
(``--normalize-only`` rewrites the cell metadata below without running anything).

The stored outputs are what nbval compares against in CI, so they must not change when nothing else
has changed. Running this script twice in a row therefore leaves ``git diff`` empty:

- the kernel runs single-threaded (``OMP_NUM_THREADS=1``) with a fixed hash seed, in a fresh
  temporary working directory (notebooks must not depend on where they are run from);
- no per-cell timing metadata is recorded (``record_timing=False``, ``metadata.execution`` dropped);
- consecutive stream outputs of the same stream are merged into one, and carriage returns are
  resolved the way a terminal shows them (only the text after the last ``\\r`` of a line remains);
- a cell tagged ``nbval-ignore-output`` (its output legitimately varies, e.g. a wall time) keeps its
  previously stored output when its source is unchanged; ``--refresh-ignored`` re-stores it.

Cell metadata is normalized too (also with ``--normalize-only``), so that the website, Jupyter and
Colab fold the same cells:

- a cell tagged ``solution`` gets the tag ``hide-cell`` (the website folds its input *and* output
  behind a "Show solution" toggle: ``mystnb.code_prompt_show``/``code_prompt_hide``), Jupyter's
  ``jupyter.source_hidden`` and ``jupyter.outputs_hidden`` (nbformat's keys: JupyterLab and
  Notebook 7 open the cell collapsed), and Colab's form view: ``colab.cellView = "form"`` with a
  first line ``# @title Solution``. Colab documents no support for the ``jupyter`` keys; what it
  does is hide a cell's code in form view, which needs a ``# @title`` line (without one the code
  shows). Form view does not hide outputs, which is why a solution cell prints nothing that gives
  the answer away. The website drops the ``# @title`` line again (``book/_ext/book_site.py``).
- a cell tagged ``hide-input`` (long checks that are not the point being made) is folded behind
  "Show the checks" ("Show the code" when it asserts nothing) unless it sets its own prompt, and
  opens with its source collapsed in Jupyter.
- the old ``# NBVAL_IGNORE_OUTPUT`` first line is removed and replaced by the ``nbval-ignore-output``
  tag (readers copy the code; the tag is invisible).

Each run records the notebook's wall and CPU time, the Python and PyTorch versions and the date in
``book/execution_report.json``; the website's execution report page is generated from it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import importlib.metadata
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "book" / "execution_report.json"
OLD_IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"
IGNORE_TAG = "nbval-ignore-output"
SOLUTION_TAG = "solution"
COLAB_TITLE = "# @title Solution"
SOLUTION_PROMPTS = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}
CHECKS_PROMPTS = {"code_prompt_show": "Show the checks", "code_prompt_hide": "Hide the checks"}
CODE_PROMPTS = {"code_prompt_show": "Show the code", "code_prompt_hide": "Hide the code"}
_ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)
_OVERWRITTEN_BY_CR = re.compile(r"[^\n\r]*\r(?!\n)")
_COLAB_TITLE_LINE = re.compile(r"\A\s*#\s*@title\b")

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

KERNEL_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


def resolve_carriage_returns(text: str) -> str:
    """Keep, on each line, only what a terminal shows: the text after the line's last ``\\r``."""
    return _OVERWRITTEN_BY_CR.sub("", text)


def _tags(cell: nbformat.NotebookNode) -> list:
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def is_output_ignored(cell: nbformat.NotebookNode) -> bool:
    """True when nbval ignores the cell's output (the ``nbval-ignore-output`` tag)."""
    return IGNORE_TAG in cell.get("metadata", {}).get("tags", [])


def _add_tag(cell: nbformat.NotebookNode, tag: str) -> None:
    tags = _tags(cell)
    if tag not in tags:
        tags.append(tag)


def normalize_cell_metadata(cell: nbformat.NotebookNode) -> None:
    """Fold solution and check cells everywhere; replace the old ignore comment by its tag."""
    if cell.cell_type != "code":
        return
    metadata = cell.setdefault("metadata", {})
    lines = cell.source.split("\n")
    if lines and lines[0].strip() == OLD_IGNORE_MARKER:
        cell.source = "\n".join(lines[1:])
        _add_tag(cell, IGNORE_TAG)
    tags = metadata.get("tags", [])
    if SOLUTION_TAG in tags:
        _add_tag(cell, "hide-cell")
        metadata.setdefault("jupyter", {}).update(source_hidden=True, outputs_hidden=True)
        metadata.setdefault("mystnb", {}).update(SOLUTION_PROMPTS)
        metadata.setdefault("colab", {})["cellView"] = "form"
        if not _COLAB_TITLE_LINE.match(cell.source):
            cell.source = f"{COLAB_TITLE}\n{cell.source}"
    elif "hide-input" in tags:
        metadata.setdefault("jupyter", {})["source_hidden"] = True
        mystnb = metadata.setdefault("mystnb", {})
        ours = (CHECKS_PROMPTS["code_prompt_show"], CODE_PROMPTS["code_prompt_show"])
        if mystnb.get("code_prompt_show", ours[0]) in ours:  # a prompt of the cell's own stays
            checks = _ASSERT_LINE.search(cell.source)
            mystnb.update(CHECKS_PROMPTS if checks else CODE_PROMPTS)


def normalize_outputs(outputs: list) -> list:
    """Merge consecutive outputs of the same stream and resolve carriage returns in streams."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    for output in merged:
        if output.output_type == "stream":
            output.text = resolve_carriage_returns(output.text)
    return merged


def _write(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Validate and replace ``path`` atomically (others may be reading it)."""
    nbformat.validate(notebook)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(notebook, tmp)
    os.replace(tmp, path)


def normalize(path: Path) -> None:
    """Rewrite only the cell metadata of one notebook (no execution)."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        normalize_cell_metadata(cell)
    _write(notebook, path)


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(path: Path, refresh_ignored: bool = False, timeout: int = 600) -> dict:
    """Execute one notebook in a fresh working directory, write it back normalized; timings."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        normalize_cell_metadata(cell)
    previous = {
        cell.source: cell.outputs
        for cell in notebook.cells
        if cell.cell_type == "code" and is_output_ignored(cell)
    }
    cpu_before, start = _children_cpu_seconds(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cecode-execute-") as workdir:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    wall, cpu = time.perf_counter() - start, _children_cpu_seconds() - cpu_before
    notebook.metadata["kernelspec"] = KERNELSPEC
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = normalize_outputs(cell.outputs)
        if is_output_ignored(cell) and not refresh_ignored and previous.get(cell.source):
            cell.outputs = previous[cell.source]
    _write(notebook, path)
    return {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1)}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def record(path: Path, timings: dict, report: Path = REPORT) -> None:
    """Store one notebook's run in the report (locked: several runs may finish at once)."""
    entry = {
        **timings,
        "python": platform.python_version(),
        "torch": _version("torch"),
        "torchvision": _version("torchvision"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, 1 thread",
    }
    try:
        key = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return  # a notebook outside the book (tests) is not reported
    lock = ROOT / "_build" / ".execution_report.lock"  # ignored by git
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "w") as handle, contextlib.ExitStack() as stack:
        fcntl.flock(handle, fcntl.LOCK_EX)
        stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        data = json.loads(report.read_text()) if report.exists() else {}
        data[key] = entry
        tmp = report.with_name(f".{report.name}.tmp")
        tmp.write_text(json.dumps(dict(sorted(data.items())), indent=2) + "\n")
        os.replace(tmp, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--refresh-ignored", action="store_true")
    parser.add_argument(
        "--normalize-only", action="store_true", help="only fold solutions, run nothing"
    )
    args = parser.parse_args(argv)
    if args.normalize_only:
        for path in args.notebooks:
            normalize(path)
        return 0
    # The kernel is this interpreter's ("python3" resolved on PATH), with a deterministic environment.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    os.environ.update(KERNEL_ENVIRONMENT)
    for path in args.notebooks:
        print(f"executing {path}", flush=True)
        timings = execute(path, refresh_ignored=args.refresh_ignored)
        record(path, timings)
        print(f"  {timings['wall_seconds']} s wall, {timings['cpu_seconds']} s CPU", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
