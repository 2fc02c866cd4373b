"""Bad-argument cases for cecode.evaluation (see tests/unit/test_public_api_validation.py)."""

import torch
from torch import nn

MODULE = "cecode.evaluation"


def _model():
    return nn.Linear(3, 4)


CASES = {
    "evaluate": {
        "good": lambda: ((_model(), (torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 0]))), {}),
        "bad_type": ("model", "model"),
        "bad_value": ("batch_size", 0),
    },
    "predict": {
        "good": lambda: ((_model(), torch.randn(5, 3)), {}),
        "bad_type": ("images", [[0.0, 1.0, 2.0]]),
        "bad_value": ("batch_size", 0),
    },
    "confusion_matrix": {
        "good": lambda: ((torch.tensor([0, 1, 2]), torch.tensor([0, 2, 2])), {"num_classes": 3}),
        "bad_type": ("targets", [0, 1, 2]),
        "bad_value": ("num_classes", 0),
    },
}
