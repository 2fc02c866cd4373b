"""cecode.plots: what each plot draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from cecode import calibration as cc  # noqa: E402
from cecode import plots  # noqa: E402


def test_plot_reliability_diagram_draws_one_bar_pair_per_used_bin():

    probs = torch.tensor([[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.45, 0.55]])
    ax = plots.plot_reliability_diagram(
        cc.reliability_diagram(probs, torch.tensor([0, 1, 1, 1]), 5)
    )
    assert len(ax.patches) == 2 * 3
    assert any("ECE = 25.00 %" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)
