"""Bad-argument cases for cecode.allocations (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.allocations"

CASES = {
    "TensorCreationRecorder": {
        "good": lambda: ((), {"min_buffer_bytes": 8}),
        "bad_type": ("min_buffer_bytes", "8"),
        "bad_value": ("min_buffer_bytes", -1),
    },
    "largest_tensor_created": {
        "good": lambda: ((lambda: torch.ones(3) * 2,), {}),
        "bad_type": ("fn", 3),
        "no_bad_value": "any function of no arguments is valid",
    },
}
