"""Bad-argument cases for cecode.data (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.data"


def _pair():
    return torch.randn(10, 1, 28, 28), torch.arange(10)


CASES = {
    # The MNIST readers need the data files: their valid calls run in tests/unit/test_data.py.
    "ensure_mnist": {
        "good": lambda: ((), {"download": False}),
        "run_good": False,
        "bad_type": ("download", "yes"),
        "bad_value": ("root", ""),
    },
    "mnist_dataset": {
        "good": lambda: ((), {"train": False, "download": False}),
        "run_good": False,
        "bad_type": ("train", "yes"),
        "bad_value": ("root", ""),
    },
    "load_mnist_tensors": {
        "good": lambda: ((), {"train": False, "download": False}),
        "run_good": False,
        "bad_type": ("train", 1),
        "bad_value": ("root", ""),
    },
    "mnist_dataloader": {
        "good": lambda: ((), {"train": False, "download": False}),
        "run_good": False,
        "bad_type": ("batch_size", "64"),
        "bad_value": ("num_workers", -1),
    },
    "train_val_split": {
        "good": lambda: (_pair(), {"val_size": 3}),
        "bad_type": ("val_size", 2.5),
        "bad_value": ("val_size", 10),
    },
    "InMemoryLoader": {
        "good": lambda: (_pair(), {"batch_size": 4}),
        "bad_type": ("batch_size", True),
        "bad_value": ("batch_size", 0),
    },
    "random_shift": {
        "good": lambda: ((_pair()[0],), {}),
        "bad_type": ("max_shift", 1.5),
        "bad_value": ("max_shift", -1),
    },
    "denormalize": {
        "good": lambda: ((_pair()[0],), {}),
        "bad_type": ("images", [0.5]),
        "no_bad_value": "any floating-point tensor can be denormalized",
    },
}
