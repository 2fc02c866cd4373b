"""Bad-argument cases for cecode.contrastive (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.contrastive"


def _pair():
    a = torch.tensor([[1.0, 0.0, 0.5], [0.2, 1.0, 0.0], [0.0, 0.3, 1.0]])
    return a, a + 0.1


CASES = {
    "info_nce": {
        "good": lambda: (_pair(), {"temperature": 0.1}),
        "bad_type": ("query", [[1.0, 0.0]]),
        "bad_value": ("temperature", 0.0),
    },
    "clip_loss": {
        "good": lambda: (_pair(), {"logit_scale": 2.0}),
        "bad_type": ("image_features", "image"),
        "bad_value": ("max_scale", -1.0),
    },
    "similarity_logits": {
        "good": lambda: (_pair(), {"scale": 10.0}),
        "bad_type": ("b", None),
        "bad_value": ("scale", -1.0),
    },
}
