"""Bad-argument cases for cecode.multilabel (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.multilabel"


def _digits():
    labels = torch.arange(10).repeat(2)
    images = labels.float()[:, None, None, None].expand(20, 1, 4, 4).clone()
    return (images, labels, 6), {"seed": 0}


CASES = {
    "multi_digit_images": {
        "good": _digits,
        "bad_type": ("labels", [0, 1, 2]),
        "bad_value": ("n", 0),
    },
}
