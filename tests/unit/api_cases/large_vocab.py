"""Bad-argument cases for cecode.large_vocab (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.large_vocab"


def _args():
    return (torch.randn(6, 4), torch.randn(9, 4), torch.tensor([0, 1, 2, 8, 3, -100])), {}


CASES = {
    "chunked_linear_cross_entropy": {
        "good": _args,
        "bad_type": ("chunk_size", 2.0),
        "bad_value": ("chunk_size", 0),
    },
    "naive_linear_cross_entropy": {
        "good": _args,
        "bad_type": ("hidden", [[1.0]]),
        "bad_value": ("reduction", "avg"),
    },
    "default_chunk_size": {
        "good": lambda: ((4096, 32000), {}),
        "bad_type": ("vocab_size", 3.0),
        "bad_value": ("num_tokens", 0),
    },
    "logits_bytes": {
        "good": lambda: ((4096, 32000), {}),
        "bad_type": ("dtype", "float32"),
        "bad_value": ("vocab_size", -1),
    },
}
