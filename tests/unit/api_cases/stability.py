"""Bad-argument cases for cecode.stability (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.stability"

CASES = {
    "log_partition": {
        "good": lambda: ((torch.randn(2, 5),), {}),
        "bad_type": ("logits", [[1.0, 2.0]]),
        "bad_value": ("logits", torch.randn(5)),
    },
    "z_loss": {
        "good": lambda: ((torch.randn(3, 5), torch.tensor([0, 4, -100])), {}),
        "bad_type": ("coefficient", "1e-4"),
        "bad_value": ("coefficient", -1e-4),
    },
    "soft_cap": {
        "good": lambda: ((torch.randn(3, 5), 30.0), {}),
        "bad_type": ("cap", "30"),
        "bad_value": ("cap", 0.0),
    },
}
