"""cecode.calibration: ECE by hand and on calibrated samples, temperature recovery, validation."""

from __future__ import annotations

import math

import pytest
import torch

from cecode import calibration as cc


def calibrated_sample(n=50_000, c=5, scale=2.0, seed=0):
    """Logits and labels drawn from softmax(logits): calibrated by construction."""
    g = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(n, c, generator=g, dtype=torch.float64)
    labels = torch.multinomial(logits.softmax(dim=1), 1, generator=g).squeeze(1)
    return logits, labels


def test_ece_by_hand():
    probs = torch.tensor([[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.45, 0.55]])
    labels = torch.tensor([0, 1, 1, 1])
    # confidences 0.9, 0.75, 0.7, 0.55 -> bins (0.8, 1], (0.6, 0.8], (0.6, 0.8], (0.4, 0.6]
    # correct 1, 0, 1, 1 -> gaps 0.1 (1 example), |0.5 - 0.725| (2), |1 - 0.55| (1)
    diagram = cc.reliability_diagram(probs, labels, n_bins=5)
    assert diagram.count.tolist() == [0, 0, 1, 2, 1]
    torch.testing.assert_close(
        diagram.accuracy[2:], torch.tensor([1.0, 0.5, 1.0], dtype=torch.float64)
    )
    torch.testing.assert_close(
        diagram.confidence[2:], torch.tensor([0.55, 0.725, 0.9], dtype=torch.float64)
    )
    assert diagram.accuracy[:2].isnan().all()
    expected = (0.45 + 2 * 0.225 + 0.1) / 4
    assert cc.expected_calibration_error(probs, labels, n_bins=5) == pytest.approx(
        expected, abs=1e-7
    )
    assert diagram.ece == pytest.approx(0.25, abs=1e-7)
    torch.testing.assert_close(diagram.edges, torch.linspace(0, 1, 6, dtype=torch.float64))


def test_bins_are_closed_on_the_right():
    probs = torch.tensor([[0.5, 0.5], [1.0, 0.0]], dtype=torch.float64)
    diagram = cc.reliability_diagram(probs, torch.tensor([0, 0]), n_bins=2)
    assert diagram.count.tolist() == [1, 1]  # 0.5 in (0, 0.5], 1.0 in (0.5, 1]


def test_perfectly_calibrated_sample_has_ece_near_zero():
    logits, labels = calibrated_sample()
    assert cc.expected_calibration_error(logits.softmax(dim=1), labels) < 0.01
    # The same probabilities made overconfident are far from calibrated.
    assert cc.expected_calibration_error((3 * logits).softmax(dim=1), labels) > 0.1


def test_one_bin_ece_is_the_gap_between_mean_confidence_and_accuracy():
    logits, labels = calibrated_sample(n=1000, seed=3)
    probs = (2 * logits).softmax(dim=1).float()
    conf, pred = probs.max(dim=1)
    expected = abs((pred == labels).double().mean() - conf.double().mean())
    assert cc.expected_calibration_error(probs, labels, n_bins=1) == pytest.approx(float(expected))


def test_temperature_of_calibrated_logits_is_one():
    logits, labels = calibrated_sample()
    assert cc.fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.03)


def test_temperature_of_overconfident_logits_is_recovered():
    logits, labels = calibrated_sample()
    assert cc.fit_temperature(3 * logits, labels) == pytest.approx(3.0, rel=0.03)
    assert cc.fit_temperature((logits / 2).float(), labels) == pytest.approx(0.5, rel=0.03)


def test_temperature_minimizes_the_nll_and_is_deterministic():
    logits, labels = calibrated_sample(n=2000, seed=1)
    logits = 2.5 * logits
    t = cc.fit_temperature(logits, labels)
    assert t == cc.fit_temperature(logits, labels)

    def nll(temp):
        return float(torch.nn.functional.cross_entropy(logits / temp, labels))

    assert nll(t) <= min(nll(t * 1.01), nll(t / 1.01))
    assert math.isclose(t, 2.5, rel_tol=0.15)


def test_temperature_keeps_the_predictions():
    logits, labels = calibrated_sample(n=500, seed=2)
    t = cc.fit_temperature(3 * logits, labels)
    assert torch.equal((3 * logits / t).argmax(1), (3 * logits).argmax(1))


@pytest.mark.parametrize(
    ("probs", "labels", "kwargs", "error", "match"),
    [
        (
            [[0.5, 0.5]],
            torch.tensor([0]),
            {},
            TypeError,
            "probs: expected a torch.Tensor, got list",
        ),
        (
            torch.ones(3, 2, dtype=torch.int64),
            torch.zeros(3, dtype=torch.int64),
            {},
            TypeError,
            "probs: expected a floating",
        ),
        (
            torch.full((3,), 0.5),
            torch.zeros(3, dtype=torch.int64),
            {},
            ValueError,
            r"probs: expected a 2-D tensor of shape \(N, C\), got shape \(3,\)",
        ),
        (
            torch.full((0, 2), 0.5),
            torch.zeros(0, dtype=torch.int64),
            {},
            ValueError,
            "probs: expected a non-empty tensor",
        ),
        (
            torch.full((3, 2), 0.5),
            torch.zeros(3),
            {},
            TypeError,
            "labels: expected class indices of dtype torch.int64, got dtype torch.float32",
        ),
        (
            torch.full((3, 2), 0.5),
            torch.zeros(4, dtype=torch.int64),
            {},
            ValueError,
            r"labels: expected shape \(3,\)",
        ),
        (
            torch.full((3, 2), 0.5),
            torch.tensor([0, 2, 1]),
            {},
            ValueError,
            r"labels: expected class indices in \[0, 2\), got 2 at position 1",
        ),
        (torch.tensor([[2.0, -1.0]]), torch.tensor([0]), {}, ValueError, "did you pass logits"),
        (
            torch.tensor([[0.2, 0.2]]),
            torch.tensor([0]),
            {},
            ValueError,
            "probs: expected rows that sum to 1, got a row summing to 0.4000 at position 0",
        ),
        (
            torch.full((3, 2), 0.5),
            torch.zeros(3, dtype=torch.int64),
            {"n_bins": 0},
            ValueError,
            "n_bins: expected an int >= 1, got 0",
        ),
        (
            torch.full((3, 2), 0.5),
            torch.zeros(3, dtype=torch.int64),
            {"n_bins": 1.5},
            TypeError,
            "n_bins: expected an int, got float",
        ),
    ],
)
def test_ece_input_validation(probs, labels, kwargs, error, match):
    with pytest.raises(error, match=match):
        cc.expected_calibration_error(probs, labels, **kwargs)


def test_fit_temperature_validation():
    with pytest.raises(ValueError, match=r"logits: expected a 2-D tensor of shape \(N, C\)"):
        cc.fit_temperature(torch.zeros(3), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"labels: expected class indices in \[0, 4\), got -1"):
        cc.fit_temperature(torch.zeros(2, 4), torch.tensor([0, -1]))
    with pytest.raises(ValueError, match="max_iter: expected an int >= 1, got 0"):
        cc.fit_temperature(torch.zeros(2, 4), torch.tensor([0, 1]), max_iter=0)
