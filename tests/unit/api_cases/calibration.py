"""Bad-argument cases for cecode.calibration (see tests/unit/test_public_api_validation.py)."""

import torch

MODULE = "cecode.calibration"


def _probs():
    return (torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]), torch.tensor([0, 1, 1])), {}


def _logits():
    return (torch.tensor([[2.0, 0.1], [0.3, 1.7], [0.6, 0.4]]), torch.tensor([0, 1, 1])), {}


CASES = {
    "ReliabilityDiagram": {"exempt": "a frozen dataclass of results made by reliability_diagram"},
    "reliability_diagram": {
        "good": _probs,
        "bad_type": ("n_bins", 2.5),
        "bad_value": ("n_bins", 0),
    },
    "expected_calibration_error": {
        "good": _probs,
        "bad_type": ("labels", [0, 1, 1]),
        "bad_value": ("n_bins", 0),
    },
    "fit_temperature": {
        "good": _logits,
        "bad_type": ("max_iter", "3"),
        "bad_value": ("max_iter", 0),
    },
}
