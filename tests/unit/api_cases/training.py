"""Bad-argument cases for cecode.training (see tests/unit/test_public_api_validation.py)."""

import torch
from torch import nn

MODULE = "cecode.training"


def _fit():
    torch.manual_seed(0)
    data = (torch.randn(8, 3), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    return (nn.Linear(3, 3), data), {"epochs": 1, "batch_size": 4, "progress": False}


CASES = {
    "History": {"exempt": "a dataclass of per-epoch metrics made by fit"},
    "seed_everything": {
        "good": lambda: ((0,), {}),
        "bad_type": ("seed", "0"),
        "no_bad_value": "every int is a seed",
    },
    "make_adam": {
        "good": lambda: ((nn.Linear(2, 2).parameters(),), {}),
        "bad_type": ("params", 3),
        "bad_value": ("lr", -1.0),
    },
    "fit": {
        "good": _fit,
        "bad_type": ("epochs", "3"),
        "bad_value": ("epochs", 0),
    },
}
