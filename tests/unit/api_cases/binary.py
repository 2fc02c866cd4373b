"""Bad-argument cases for cecode.binary (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.binary"


def _logits_and_targets():
    logits = torch.tensor([[2.0, -1.0, 0.5], [-0.3, 1.2, 0.0]])
    target = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    return logits, target


CASES = {
    "binary_cross_entropy_with_logits": {
        "good": lambda: (_logits_and_targets(), {"pos_weight": torch.tensor([1.0, 2.0, 3.0])}),
        "bad_type": ("target", [[1.0, 0.0, 1.0]]),
        "bad_value": ("pos_weight", torch.ones(4)),
    },
    "sigmoid_focal_loss": {
        "good": lambda: (_logits_and_targets(), {"reduction": "mean"}),
        "bad_type": ("gamma", "2"),
        "bad_value": ("alpha", 1.5),
    },
}
