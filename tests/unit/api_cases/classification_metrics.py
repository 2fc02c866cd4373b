"""Bad-argument cases for cecode.classification_metrics (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.classification_metrics"


def _multilabel():
    predictions = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    targets = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0]])
    return (predictions, targets), {}


def _pairwise():
    return {
        "good": _multilabel,
        "bad_type": ("targets", [[1, 0, 0]]),
        "bad_value": ("targets", torch.ones(2, 3)),
    }


CASES = {
    "precision_recall_f1": _pairwise(),
    "macro_f1": _pairwise(),
    "micro_f1": _pairwise(),
    "exact_match": _pairwise(),
    "average_precision": {
        "good": lambda: ((torch.tensor([0.9, 0.2, 0.6, 0.1]), torch.tensor([1, 0, 1, 0])), {}),
        "bad_type": ("scores", torch.tensor([3, 1, 2, 0])),
        "bad_value": ("targets", torch.zeros(4)),
    },
    "f1_optimal_thresholds": {
        "good": lambda: (
            (
                torch.tensor([[0.9, 0.2], [0.4, 0.7], [0.1, 0.3]]),
                torch.tensor([[1, 0], [1, 1], [0, 0]]),
            ),
            {"num_thresholds": 9},
        ),
        "bad_type": ("num_thresholds", 9.0),
        "bad_value": ("num_thresholds", 0),
    },
    "balanced_accuracy": {
        "good": lambda: (
            (torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2])),
            {"num_classes": 3},
        ),
        "bad_type": ("predictions", [0, 1, 1, 2]),
        "bad_value": ("num_classes", 0),
    },
}
