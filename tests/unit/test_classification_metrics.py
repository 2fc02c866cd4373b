"""cecode.classification_metrics: hand-computed cases, brute force, bad input."""

from __future__ import annotations

import itertools

import pytest
import torch

from cecode import classification_metrics as cm


def test_average_precision_by_hand():
    # ranking: + - + -  -> precision at the positives 1 and 2/3, recall steps 1/2 each
    scores = torch.tensor([0.9, 0.8, 0.7, 0.1])
    targets = torch.tensor([1, 0, 1, 0])
    assert cm.average_precision(scores, targets) == pytest.approx((1 + 2 / 3) / 2)
    # reversed: - + - + -> precision 1/2 and 2/4 at the positives
    assert cm.average_precision(-scores, targets) == pytest.approx(0.5)


def test_average_precision_perfect_and_tied():
    assert cm.average_precision(torch.tensor([3.0, 2.0, 1.0]), torch.tensor([1, 1, 0])) == 1.0
    # all scores tied: one threshold, precision = prevalence
    tied = cm.average_precision(torch.zeros(8), torch.tensor([1, 0, 0, 0, 1, 0, 0, 0]))
    assert tied == pytest.approx(0.25)


def _ap_brute_force(scores, targets):
    """sum over distinct thresholds s (descending) of (recall(s) - recall(prev)) * precision(s)."""
    total, prev_recall = 0.0, 0.0
    for s in sorted(set(scores.tolist()), reverse=True):
        pred = scores >= s
        tp = int((pred & (targets == 1)).sum())
        recall = tp / int(targets.sum())
        total += (recall - prev_recall) * tp / int(pred.sum())
        prev_recall = recall
    return total


def test_average_precision_matches_brute_force_with_ties():
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        scores = torch.randint(0, 6, (40,), generator=g).float()
        targets = (torch.rand(40, generator=g) < 0.3).long()
        targets[0] = 1
        assert cm.average_precision(scores, targets) == pytest.approx(
            _ap_brute_force(scores, targets)
        )


def test_precision_recall_f1_by_hand():
    pred = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 0]])
    targ = torch.tensor([[1, 0, 1], [0, 1, 0], [0, 1, 0], [1, 1, 0]])
    p, r, f = cm.precision_recall_f1(pred, targ)
    torch.testing.assert_close(p, torch.tensor([2 / 3, 1.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(r, torch.tensor([1.0, 2 / 3, 0.0], dtype=torch.float64))
    torch.testing.assert_close(f, torch.tensor([0.8, 0.8, 0.0], dtype=torch.float64))
    assert cm.macro_f1(pred, targ) == pytest.approx(1.6 / 3)
    # micro: TP 4, FP 1, FN 2
    assert cm.micro_f1(pred, targ) == pytest.approx(8 / 11)
    assert cm.exact_match(pred, targ) == pytest.approx(1 / 4)
    assert cm.exact_match(targ.bool(), targ.float()) == 1.0


def test_one_dimensional_inputs_are_one_label():
    p, r, f = cm.precision_recall_f1(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 0]))
    assert p.tolist() == [0.5] and r.tolist() == [1.0]


def test_f1_optimal_thresholds():
    probs = torch.tensor([[0.2, 0.9], [0.3, 0.8], [0.1, 0.7], [0.05, 0.2]], dtype=torch.float64)
    targets = torch.tensor([[1, 1], [1, 1], [0, 1], [0, 0]])
    thr = cm.f1_optimal_thresholds(probs, targets, num_thresholds=19)
    # label 0 is perfectly separated by any threshold in [0.1, 0.2); label 1 in [0.2, 0.7)
    assert 0.1 <= thr[0] < 0.2 and 0.2 <= thr[1] < 0.7
    assert cm.macro_f1(probs > thr, targets) == 1.0


def test_f1_optimal_thresholds_are_optimal_on_a_grid():
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(60, 3, generator=g, dtype=torch.float64)
    targets = (torch.rand(60, 3, generator=g) < probs).long()
    thr = cm.f1_optimal_thresholds(probs, targets, num_thresholds=9)
    for c, t in itertools.product(range(3), (torch.arange(1, 10) / 10).tolist()):
        f_best = cm.precision_recall_f1(probs[:, c] > thr[c], targets[:, c])[2]
        assert f_best >= cm.precision_recall_f1(probs[:, c] > t, targets[:, c])[2] - 1e-12


def test_balanced_accuracy():
    targets = torch.tensor([0, 0, 0, 0, 1, 2])
    predictions = torch.tensor([0, 0, 0, 0, 0, 2])
    assert cm.balanced_accuracy(predictions, targets, 3) == pytest.approx(2 / 3)
    # on a balanced set it is the accuracy
    t = torch.arange(3).repeat(4)
    p = torch.tensor([0, 1, 1, 0, 1, 2, 2, 1, 2, 0, 1, 2])
    assert cm.balanced_accuracy(p, t, 3) == pytest.approx(float((p == t).double().mean()))


@pytest.mark.parametrize(
    ("call", "exc", "word"),
    [
        (lambda: cm.average_precision(torch.rand(3), torch.zeros(3)), ValueError, "targets:"),
        (lambda: cm.average_precision(torch.arange(3), torch.ones(3)), TypeError, "scores:"),
        (lambda: cm.average_precision(torch.rand(3), torch.ones(4)), ValueError, "targets:"),
        (lambda: cm.average_precision(torch.rand(3), [1, 0, 1]), TypeError, "targets:"),
        (lambda: cm.precision_recall_f1(torch.rand(3, 2), torch.ones(3, 2)), ValueError, "0 or 1"),
        (lambda: cm.micro_f1(torch.ones(3, 2), torch.ones(2, 3)), ValueError, "targets:"),
        (lambda: cm.exact_match(torch.ones(3, 2, 1), torch.ones(3, 2, 1)), ValueError, "(N,)"),
        (
            lambda: cm.f1_optimal_thresholds(torch.rand(3, 2), torch.ones(3, 2), 0),
            ValueError,
            "num",
        ),
        (lambda: cm.balanced_accuracy(torch.zeros(3).long(), torch.zeros(3), 2), TypeError, "targ"),
        (
            lambda: cm.balanced_accuracy(torch.tensor([0, 1]), torch.tensor([0, 0]), 2),
            ValueError,
            "1",
        ),
        (
            lambda: cm.balanced_accuracy(torch.tensor([0, 5]), torch.tensor([0, 1]), 2),
            ValueError,
            "[0, 2)",
        ),
        (
            lambda: cm.balanced_accuracy(torch.tensor([0]), torch.tensor([0]), 2.0),
            TypeError,
            "num_c",
        ),
    ],
)
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=f".*{__import__('re').escape(word)}"):
        call()
