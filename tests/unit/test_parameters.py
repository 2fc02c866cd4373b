"""cecode.parameters: counting, summaries, freezing by pattern and no-decay parameter groups."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cecode import parameters as cp
from cecode.models import MLP


def test_count_is_exact():
    model = MLP()
    assert cp.count_parameters(model) == 101_770
    cp.freeze(model, "fc1.*")
    assert cp.count_parameters(model, trainable_only=True) == 128 * 10 + 10
    assert cp.count_parameters(model) == 101_770


def test_count_shared_parameter_once():
    linear = nn.Linear(3, 3)
    model = nn.Sequential(linear, linear)
    assert cp.count_parameters(model) == 12


def test_freeze_and_unfreeze_by_pattern():
    model = MLP()
    assert cp.freeze(model, "*.bias") == ["fc1.bias", "fc2.bias"]
    assert [n for n, p in model.named_parameters() if not p.requires_grad] == [
        "fc1.bias",
        "fc2.bias",
    ]
    assert cp.unfreeze(model, "fc2.*") == ["fc2.weight", "fc2.bias"]
    assert [n for n, p in model.named_parameters() if not p.requires_grad] == ["fc1.bias"]
    assert cp.freeze(model, "fc1.weight", "fc2.weight") == ["fc1.weight", "fc2.weight"]


def test_freeze_without_match_lists_names():
    with pytest.raises(
        ValueError,
        match=r"patterns: expected a pattern that matches a parameter name \(\['fc1.weight'.*got \['conv\*'\]",
    ):
        cp.freeze(MLP(), "conv*")
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        cp.freeze("model", "*")


def test_summary_text():
    table = cp.summary(MLP())
    assert len(table) == 4 and table.total == 101_770
    assert repr(table) == "\n".join(
        [
            "name        shape         count  trainable",
            "------------------------------------------",
            "fc1.weight  [128, 784]  100,352  yes",
            "fc1.bias    [128]           128  yes",
            "fc2.weight  [10, 128]     1,280  yes",
            "fc2.bias    [10]             10  yes",
            "------------------------------------------",
            "total 101,770 parameters, 101,770 trainable",
        ]
    )
    assert '<td style="text-align:right">100,352</td>' in table._repr_html_()


def test_summary_marks_frozen():
    model = MLP()
    cp.freeze(model, "fc1.*")
    table = cp.summary(model)
    assert [r.trainable for r in table.rows] == [False, False, True, True]
    assert table.trainable == 1_290
    assert str(table).endswith("total 101,770 parameters, 1,290 trainable")


def test_no_weight_decay_groups():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.LayerNorm(8), nn.Linear(8, 2))
    groups = cp.no_weight_decay_groups(model, weight_decay=0.01)
    assert groups[0]["names"] == ["0.weight", "3.weight"]
    assert groups[1]["names"] == ["0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.bias"]
    optimizer = torch.optim.AdamW(groups, lr=1e-3)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.01, 0.0]
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))
