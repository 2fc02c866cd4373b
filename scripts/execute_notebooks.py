"""Execute the book's notebooks and store normalized outputs (the target behind ``make execute``).

Usage: ``python scripts/execute_notebooks.py book/01_logits_softmax.ipynb [more.ipynb ...]``

The stored outputs are what nbval compares against in CI, so they must not change when nothing else
has changed. Running this script twice in a row therefore leaves ``git diff`` empty:

- the kernel runs single-threaded (``OMP_NUM_THREADS=1``) with a fixed hash seed, in a fresh
  temporary working directory (notebooks must not depend on where they are run from);
- no per-cell timing metadata is recorded (``record_timing=False``, ``metadata.execution`` dropped);
- consecutive stream outputs of the same stream are merged into one, and carriage returns are
  resolved the way a terminal shows them (only the text after the last ``\\r`` of a line remains);
- a cell marked ``# NBVAL_IGNORE_OUTPUT`` (its output legitimately varies, e.g. a wall time) keeps its
  previously stored output when its source is unchanged; ``--refresh-ignored`` re-stores it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"
_OVERWRITTEN_BY_CR = re.compile(r"[^\n\r]*\r(?!\n)")

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

KERNEL_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


def resolve_carriage_returns(text: str) -> str:
    """Keep, on each line, only what a terminal shows: the text after the line's last ``\\r``."""
    return _OVERWRITTEN_BY_CR.sub("", text)


def is_output_ignored(cell: nbformat.NotebookNode) -> bool:
    """True when nbval ignores the cell's output (comment marker or tag)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.source.lstrip().startswith(IGNORE_MARKER) or "nbval-ignore-output" in tags


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


def execute(path: Path, refresh_ignored: bool = False, timeout: int = 600) -> None:
    """Execute one notebook in a fresh working directory and write it back, normalized."""
    notebook = nbformat.read(path, as_version=4)
    previous = {
        cell.source: cell.outputs
        for cell in notebook.cells
        if cell.cell_type == "code" and is_output_ignored(cell)
    }
    with tempfile.TemporaryDirectory(prefix="cecode-execute-") as workdir:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    notebook.metadata["kernelspec"] = KERNELSPEC
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = normalize_outputs(cell.outputs)
        if is_output_ignored(cell) and not refresh_ignored and previous.get(cell.source):
            cell.outputs = previous[cell.source]
    nbformat.validate(notebook)
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--refresh-ignored", action="store_true")
    args = parser.parse_args(argv)
    # The kernel is this interpreter's ("python3" resolved on PATH), with a deterministic environment.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    os.environ.update(KERNEL_ENVIRONMENT)
    for path in args.notebooks:
        print(f"executing {path}", flush=True)
        execute(path, refresh_ignored=args.refresh_ignored)
    return 0


if __name__ == "__main__":
    sys.exit(main())
