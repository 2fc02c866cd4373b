"""A chapter run the way Colab runs it: the package comes from the install cell, not from this folder.

What is simulated, and how
--------------------------
- **A fresh Python with torch & co but no ``cecode``**: a venv made with ``--without-pip`` whose
  ``site-packages`` holds one ``.pth`` line pointing at a folder of links to this venv's installed
  packages, minus ``cecode`` (its editable install and metadata). Colab has torch already; it does
  not have ``cecode``. The first cell of the test asserts that ``cecode`` cannot be imported yet.
- **Colab**: the kernel starts with a ``google.colab`` module in ``sys.modules``, so the chapter's
  first cell (``if "google.colab" in sys.modules: pip install git+<repository.url>``) really runs
  pip, with the exact command it runs in Colab.
- **GitHub, offline**: git's ``url.<local>.insteadOf`` rule (in a temporary ``GIT_CONFIG_GLOBAL``)
  sends pip's ``git clone https://github.com/cross-entropy-book/cross-entropy-book`` to a local git
  repository holding a snapshot of this working tree's package files (``pyproject.toml``,
  ``README.md``, ``LICENSE``, ``cecode/``). So pip clones, builds a wheel with setuptools and
  installs it, as in Colab; ``PIP_NO_INDEX`` proves it needs nothing beyond what Colab has
  (torch etc. are found already installed). This is more faithful than installing a prebuilt wheel
  beforehand: it also tests the install command and the packaging the cell relies on.
- **Elsewhere**: the notebook is copied out of the repository and run with nbclient in a temporary
  working directory, the data folder given only by ``CECODE_DATA_DIR``. After the install cell the
  test checks that ``cecode`` was imported from the fresh venv, not from the repository, and that
  torch is still the one that was there before, and (when ``CECODE_DATA_DIR`` is set) that the
  installed package reads the MNIST test set.

Light chapters only (``CHAPTERS``); nbval runs every chapter with its stored outputs elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/book/ is two below)
BOOK = ROOT / "book"

# Cheap chapters, run whole (the training chapters take too long here; nbval runs them all). The
# MNIST path of the installed package is exercised by a cell the test adds (see DATA_CHECK).
CHAPTERS = ["01_logits_softmax", "02_simplified_cross_entropy"]
DATA_CHECK = (
    "from cecode import data\n"
    "images, labels = data.load_mnist_tensors(train=False)\n"
    "assert tuple(images.shape) == (10_000, 1, 28, 28) and labels.shape == (10_000,)\n"
)
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
PACKAGE_FILES = ["pyproject.toml", "README.md", "LICENSE", "cecode"]
KERNEL = "colab-simulation"
FAKE_COLAB_KERNEL = (
    "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab'); "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)


def _existing(chapters: list[str]) -> list[Path]:
    return [BOOK / f"{name}.ipynb" for name in chapters if (BOOK / f"{name}.ipynb").exists()]


@pytest.fixture(scope="module")
def github(tmp_path_factory):
    """The repository as GitHub would serve it, and the git setting that sends pip to it."""
    base = tmp_path_factory.mktemp("github")
    origin = base / "origin"
    origin.mkdir()
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, origin / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, origin / name)
    hermetic_git = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git = [
        "git",
        "-c",
        "user.name=test",
        "-c",
        "user.email=test@example.invalid",
        "-c",
        "init.defaultBranch=main",
    ]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(
            [*git, *command], cwd=origin, check=True, capture_output=True, env=hermetic_git
        )
    gitconfig = base / "gitconfig"
    gitconfig.write_text(f'[url "{origin.as_uri()}"]\n\tinsteadOf = {REPOSITORY}\n')

    # What Colab has installed: everything in this venv except cecode (links, not copies).
    preinstalled = base / "preinstalled"
    preinstalled.mkdir()
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if entry.name.startswith(("cecode", "__editable__")) or entry.name == "__pycache__":
            continue
        (preinstalled / entry.name).symlink_to(entry)
    return {"gitconfig": gitconfig, "preinstalled": preinstalled}


@pytest.fixture
def colab(github, tmp_path):
    """A fresh Colab-like Python (a new venv per chapter) and a kernel spec that starts it as Colab does."""
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (purelib / "preinstalled.pth").write_text(f"{github['preinstalled']}\n")

    kernels = tmp_path / "share" / "jupyter" / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-c", FAKE_COLAB_KERNEL, "-f", "{connection_file}"],
        "display_name": "Colab simulation",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))

    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_", "GIT_", "JUPYTER", "MPL"))
    }
    environment.update(
        GIT_CONFIG_GLOBAL=str(github["gitconfig"]),
        GIT_CONFIG_NOSYSTEM="1",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # pip reads this variable inverted: "0" switches build isolation OFF, so setuptools is
        # taken from the environment instead of being downloaded.
        PIP_NO_BUILD_ISOLATION="0",
        OMP_NUM_THREADS="1",
        PYTHONHASHSEED="0",
        JUPYTER_PATH=str(tmp_path / "share" / "jupyter"),
    )
    if "CECODE_DATA_DIR" in os.environ:  # set by CI and by conftest when ../shared/data exists
        environment["CECODE_DATA_DIR"] = os.environ["CECODE_DATA_DIR"]
    workdir = tmp_path / "work"
    workdir.mkdir()
    return {
        "purelib": purelib,
        "preinstalled": github["preinstalled"],
        "env": environment,
        "workdir": workdir,
    }


def _code(source: str):
    return nbformat.v4.new_code_cell(source)


@pytest.mark.parametrize("path", _existing(CHAPTERS), ids=lambda p: p.name)
def test_chapter_runs_as_in_colab_with_cecode_installed_by_its_first_cell(colab, path, monkeypatch):
    workdir = colab["workdir"]
    notebook_path = workdir / path.name
    shutil.copy2(path, notebook_path)
    notebook = nbformat.read(notebook_path, as_version=4)

    before = _code(
        "import importlib.util, sys\n"
        "assert 'google.colab' in sys.modules\n"
        "assert importlib.util.find_spec('cecode') is None, 'cecode is importable before the install cell'"
    )
    after = _code(
        "import cecode, torch\n"
        f"assert cecode.__file__.startswith({str(colab['purelib'])!r}), cecode.__file__\n"
        f"assert not cecode.__file__.startswith({str(ROOT)!r}), cecode.__file__\n"
        f"assert torch.__file__.startswith({str(colab['preinstalled'])!r}), torch.__file__\n"
        "print('cecode', cecode.__version__, 'from the installed package')\n"
        + (DATA_CHECK if "CECODE_DATA_DIR" in colab["env"] else "")
    )
    notebook.cells = [before, notebook.cells[0], after, *notebook.cells[1:]]
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Colab simulation",
        "language": "python",
    }

    monkeypatch.setenv("JUPYTER_PATH", colab["env"]["JUPYTER_PATH"])
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=300,
        record_timing=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=colab["env"])

    outputs = "".join(o.get("text", "") for o in notebook.cells[2].outputs)
    assert "from the installed package" in outputs
    installed = list(colab["purelib"].glob("cecode-*.dist-info"))
    assert len(installed) == 1, installed
    direct_url = json.loads((installed[0] / "direct_url.json").read_text())
    assert direct_url["url"] == REPOSITORY and "vcs_info" in direct_url, direct_url
