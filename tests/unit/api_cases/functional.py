"""Bad-argument cases for cecode.functional (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.functional"


def _x():
    return torch.randn(4, 5)


def _t():
    return torch.tensor([0, 1, 4, 2])


def _dim_case():
    return {"good": lambda: ((_x(), 1), {}), "bad_type": ("dim", 1.5), "bad_value": ("dim", 5)}


CASES = {
    "softmax": _dim_case(),
    "log_softmax": _dim_case(),
    "logsumexp": _dim_case(),
    "naive_softmax": _dim_case(),
    "nll_loss": {
        "good": lambda: ((_x(), _t()), {}),
        "bad_type": ("ignore_index", 1.5),
        "bad_value": ("reduction", "avg"),
    },
    "cross_entropy": {
        "good": lambda: ((_x(), _t()), {}),
        "bad_type": ("label_smoothing", "0.1"),
        "bad_value": ("label_smoothing", 1.5),
    },
    "naive_cross_entropy": {
        "good": lambda: ((_x(), _t()), {}),
        "bad_type": ("reduction", 3),
        "bad_value": ("reduction", "avg"),
    },
}
