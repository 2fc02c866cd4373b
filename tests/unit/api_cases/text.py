"""Bad-argument cases for cecode.text (see tests/unit/test_public_api_validation.py)."""

import tempfile

import torch

MODULE = "cecode.text"


def _empty_root():
    return tempfile.mkdtemp()


CASES = {
    "ensure_tinyshakespeare": {
        "good": lambda: ((), {"root": _empty_root(), "download": False}),
        "run_good": False,  # an empty folder: FileNotFoundError (tested in test_text.py)
        "bad_type": ("download", "yes"),
        "bad_value": ("root", ""),
    },
    "load_tinyshakespeare": {
        "good": lambda: ((), {"root": _empty_root(), "download": False}),
        "run_good": False,
        "bad_type": ("download", "yes"),
        "bad_value": ("root", ""),
    },
    "tinyshakespeare": {
        "good": lambda: ((), {"download": False}),
        "run_good": False,  # reads the data folder; tested in test_text.py
        "bad_type": ("val_fraction", "a tenth"),
        "bad_value": ("val_fraction", 1.5),
    },
    "CharVocabulary": {
        "good": lambda: (("to be or not",), {}),
        "bad_type": ("text", 3),
        "bad_value": ("text", ""),
    },
    "TextSplits": {"exempt": "a NamedTuple that holds the results of tinyshakespeare"},
    "split_by_position": {
        "good": lambda: ((torch.arange(10),), {}),
        "bad_type": ("ids", [1, 2, 3]),
        "bad_value": ("val_fraction", 0.0),
    },
    "next_token_windows": {
        "good": lambda: ((torch.arange(10), 3), {}),
        "bad_type": ("context", 1.5),
        "bad_value": ("context", 0),
    },
}
