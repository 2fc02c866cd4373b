"""`make test-other-torch` tests the ends of the PyTorch range that pyproject.toml claims."""

from __future__ import annotations

import re

import tomllib
from packaging.requirements import Requirement
from packaging.version import Version


def _other_torch(root) -> list[tuple[Version, Version]]:
    (line,) = [
        x for x in (root / "Makefile").read_text().splitlines() if x.startswith("OTHER_TORCH ")
    ]
    pairs = re.findall(r"(\d+\.\d+\.\d+):(\d+\.\d+\.\d+)", line)
    return [(Version(t), Version(v)) for t, v in pairs]


def _lower_bound(root, name: str) -> Version:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            (spec,) = [s for s in requirement.specifier if s.operator == ">="]
            return Version(spec.version)
    raise AssertionError(f"{name} is not a dependency")


def test_the_lowest_tested_pair_is_the_claimed_lower_bound(root):
    pairs = _other_torch(root)
    assert len(pairs) >= 2
    lowest_torch, lowest_vision = min(pairs)
    assert lowest_torch == _lower_bound(root, "torch")
    assert lowest_vision == _lower_bound(root, "torchvision")


def test_every_pair_is_torch_2_x_with_torchvision_0_x_plus_15(root):
    # torch 2.15.0 has no torchvision 0.30 yet; it works with 0.29.2 (shared/TOOLCHAIN.md).
    exceptions = {(Version("2.15.0"), Version("0.29.2"))}
    for pair in _other_torch(root):
        torch_version, vision_version = pair
        assert vision_version.minor == torch_version.minor + 15 or pair in exceptions, pair


def test_the_newest_tested_torch_is_newer_than_the_pinned_one(root):
    pinned = next(
        Version(x.split("==")[1])
        for x in (root / "requirements.txt").read_text().splitlines()
        if x.startswith("torch==")
    )
    assert max(_other_torch(root))[0] > pinned
