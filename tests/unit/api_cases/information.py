"""Bad-argument cases for cecode.information (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.information"


def _logits():
    return (torch.tensor([[2.0, 0.1, -1.0], [0.3, 1.7, 0.0]]),), {"dim": -1}


def _kl_args():
    log_probs = torch.tensor([[2.0, 0.1, -1.0], [0.3, 1.7, 0.0]]).log_softmax(dim=1)
    target = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    return (log_probs, target), {"reduction": "batchmean"}


CASES = {
    "entropy": {
        "good": _logits,
        "bad_type": ("logits", [[2.0, 0.1, -1.0]]),
        "bad_value": ("dim", 2),
    },
    "kl_div": {
        "good": _kl_args,
        "bad_type": ("log_target", "no"),
        "bad_value": ("reduction", "average"),
    },
}
