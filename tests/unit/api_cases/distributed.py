"""Bad-argument cases for cecode.distributed (see tests/unit/test_public_api_validation.py).

Entries for the vocabulary-parallel loss (chapter 13). The checks of these functions run before
any process group or process is needed.
"""

import torch

MODULE = "cecode.distributed"


def _demo_data():
    from cecode.distributed import make_demo_data

    return make_demo_data((3, 1), tokens_per_rank=4)


CASES = {
    "vocab_parallel_cross_entropy": {
        "good": lambda: ((torch.randn(4, 3), torch.tensor([0, 1, 2, 5])), {}),
        "run_good": False,  # needs an initialised process group (tests/book/test_vocab_parallel_processes.py)
        "bad_type": ("local_logits", [[1.0, 2.0]]),
        "bad_value": ("reduction", "avg"),
    },
    "vocab_parallel_bytes": {
        "good": lambda: ((8192, 32_000, 8), {}),
        "bad_type": ("n_rows", "8192"),
        "bad_value": ("world_size", 0),
    },
    "chunk_widths": {
        "good": lambda: ((10, 3), {}),
        "bad_type": ("vocab_size", 10.0),
        "bad_value": ("world_size", 0),
    },
    # The data-parallel demo (chapter 9).
    "make_demo_data": {
        "good": lambda: (((3, 1),), {"tokens_per_rank": 4}),
        "bad_type": ("tokens_per_rank", "4"),
        "bad_value": ("tokens_per_rank", 0),
    },
    "full_batch_reference": {
        "good": lambda: ((_demo_data(),), {}),
        "bad_type": ("data", "data"),
        "bad_value": ("data", {"hidden": None}),
    },
    "run_data_parallel_demo": {
        "good": lambda: ((2,), {}),
        "run_good": False,  # starts processes (tests/book/test_distributed.py)
        "bad_type": ("world_size", "2"),
        "bad_value": ("world_size", 0),
    },
    "run_ranks": {
        "good": lambda: ((print, 2), {}),
        "run_good": False,  # starts processes (tests/book/test_distributed.py)
        "bad_type": ("world_size", 2.0),
        "bad_value": ("timeout", 0),
    },
    "run_vocab_parallel_demo": {
        "good": lambda: ((2,), {}),
        "run_good": False,  # starts processes (tests/book/test_vocab_parallel_processes.py)
        "bad_type": ("n_rows", "6"),
        "bad_value": ("n_rows", 0),
    },
}
