"""cecode.models.MLP: structure, shapes and parameter count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cecode.models import MLP


def test_default_mlp_has_101770_parameters():
    model = MLP()
    assert sum(p.numel() for p in model.parameters()) == 784 * 128 + 128 + 128 * 10 + 10 == 101_770
    assert [name for name, _ in model.named_parameters()] == [
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
        "fc2.bias",
    ]


def test_layers_in_order():
    model = MLP(hidden=32, dropout=0.25)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert model.dropout.p == 0.25
    assert [type(m) for m in MLP()] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]


@pytest.mark.parametrize("shape", [(5, 1, 28, 28), (5, 784)])
def test_output_shape(shape):
    torch.manual_seed(0)
    model = MLP(hidden=16)
    assert model(torch.randn(shape)).shape == (5, 10)


def test_forward_matches_manual_computation():
    torch.manual_seed(0)
    model = MLP(hidden=8)
    x = torch.randn(3, 1, 28, 28)
    h = torch.relu(x.reshape(3, 784) @ model.fc1.weight.T + model.fc1.bias)
    torch.testing.assert_close(model(x), h @ model.fc2.weight.T + model.fc2.bias)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hidden": 0}, "hidden: expected an int >= 1, got 0"),
        ({"dropout": 1.0}, r"dropout: expected a float in \[0, 1\), got 1.0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)
