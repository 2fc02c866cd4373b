"""Bad-argument cases for cecode.distillation (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.distillation"


def _logits():
    return torch.tensor([[2.0, 0.1, -1.0], [0.3, 1.7, 0.0]])


CASES = {
    "distillation_loss": {
        "good": lambda: ((_logits(), _logits().flip(1), torch.tensor([0, 1])), {}),
        "bad_type": ("target", [0, 1]),
        "bad_value": ("alpha", 1.5),
    },
    "soft_targets": {
        "good": lambda: ((_logits(),), {"temperature": 4.0}),
        "bad_type": ("teacher_logits", [[1.0, 2.0]]),
        "bad_value": ("temperature", 0.0),
    },
}
