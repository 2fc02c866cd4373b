"""Bad-argument cases for cecode.plots (see tests/unit/test_public_api_validation.py)."""

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from cecode.calibration import reliability_diagram  # noqa: E402
from cecode.training import History  # noqa: E402

MODULE = "cecode.plots"


def _history():
    return History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], val_loss=[], val_acc=[])


CASES = {
    "plot_history": {
        "good": lambda: ((_history(),), {}),
        "bad_type": ("history", 3),
        "bad_value": ("history", History()),  # no epoch to plot
    },
    "plot_histories": {
        "good": lambda: (({"a": _history()},), {"metric": "train_loss"}),
        "bad_type": ("metric", 3),
        "bad_value": ("metric", "loss"),
    },
    "plot_confusion_matrix": {
        "good": lambda: ((torch.eye(3, dtype=torch.int64),), {}),
        "bad_type": ("matrix", [[1, 0], [0, 1]]),
        "bad_value": ("matrix", torch.zeros(2, 3)),
    },
    "plot_digits": {
        "good": lambda: ((torch.randn(2, 1, 28, 28),), {}),
        "bad_type": ("ncols", "8"),
        "bad_value": ("ncols", 0),
    },
    "plot_reliability_diagram": {
        "good": lambda: (
            (reliability_diagram(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0])),),
            {},
        ),
        "bad_type": ("diagram", 3),
        "no_bad_value": "every ReliabilityDiagram can be drawn",
    },
}
