"""The pinned environment (requirements.txt), the conda file and the package's ranges agree."""

from __future__ import annotations

import tomllib
import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"requirements.txt: {line} is not an exact pin"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_torch_and_torchvision_are_the_pair_that_works_together():
    pins = pinned_requirements()
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"
    assert pins["jupyter-book"].startswith("1.")


def test_environment_yml_installs_exactly_requirements_txt_and_the_package():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    dependencies = environment["dependencies"]
    assert "python=3.11" in dependencies
    (pip_section,) = [d["pip"] for d in dependencies if isinstance(d, dict)]
    assert pip_section == ["-r requirements.txt", "-e ."]


def test_package_ranges_admit_the_pinned_versions():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = pinned_requirements()
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        pinned = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned), f"{line} excludes the pinned {pinned}"


def test_package_does_not_pin_torch_so_colab_keeps_its_own():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        assert all(s.operator != "==" for s in requirement.specifier), f"{line} is pinned"
