"""The pinned environment (requirements.txt), the conda file and the package's ranges agree."""

from __future__ import annotations

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


@pytest.fixture(scope="module")
def pins(root) -> dict[str, str]:
    """The exact versions requirements.txt pins, by canonical package name."""
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"requirements.txt: {line} is not an exact pin"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_torch_and_torchvision_pins_are_a_pair_that_imports_together(pins):
    """torch 2.X goes with torchvision 0.(X+15) (shared/TOOLCHAIN.md); Jupyter Book stays 1.x."""
    torch_minor = int(pins["torch"].split(".")[1])
    assert pins["torchvision"].split(".")[:2] == ["0", str(torch_minor + 15)]
    assert pins["jupyter-book"].startswith("1.")


def test_environment_yml_installs_exactly_requirements_txt_and_the_package(root):
    environment = yaml.safe_load((root / "environment.yml").read_text())
    dependencies = environment["dependencies"]
    assert "python=3.11" in dependencies
    (pip_section,) = [d["pip"] for d in dependencies if isinstance(d, dict)]
    assert pip_section == ["-r requirements.txt", "-e ."]


def test_package_ranges_admit_the_pinned_versions(root, pins):
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        pinned = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned), f"{line} excludes the pinned {pinned}"


def test_package_does_not_pin_torch_so_colab_keeps_its_own(root):
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        assert all(s.operator != "==" for s in requirement.specifier), f"{line} is pinned"


def test_pre_commit_runs_the_pinned_ruff(root, pins):
    """The hook installs its own ruff (no venv needed): the version requirements.txt pins."""
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks and all(h["entry"].startswith("ruff ") for h in hooks)
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["additional_dependencies"] == [f"ruff=={pins['ruff']}"]
