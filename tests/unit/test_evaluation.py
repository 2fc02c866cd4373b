"""cecode.evaluation: loss and accuracy, logits in eval mode, the confusion matrix."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cecode import evaluation


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 4))


def _data(n: int = 50):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 6, generator=g), torch.randint(0, 4, (n,), generator=g)


def test_evaluate_matches_a_full_batch_in_eval_mode():
    model, (x, y) = _model(), _data()
    loss, acc = evaluation.evaluate(model, (x, y), batch_size=7)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    assert loss == pytest.approx(float(F.cross_entropy(logits, y)), abs=1e-6)
    assert acc == pytest.approx(float((logits.argmax(1) == y).double().mean()), abs=1e-12)


def test_evaluate_and_predict_restore_training_mode():
    model, (x, y) = _model(), _data()
    model.train()
    evaluation.evaluate(model, (x, y))
    evaluation.predict(model, x)
    assert model.training
    model.eval()
    evaluation.predict(model, x)
    assert not model.training


def test_predict_and_confusion_matrix():
    model, (x, y) = _model(), _data()
    logits = evaluation.predict(model, x, batch_size=8)
    torch.testing.assert_close(logits, model.eval()(x))
    cm = evaluation.confusion_matrix(y, logits.argmax(1), num_classes=4)
    assert cm.shape == (4, 4) and cm.sum() == len(y)
    assert cm.sum(1).tolist() == torch.bincount(y, minlength=4).tolist()
    assert cm.trace().item() == (logits.argmax(1) == y).sum().item()


def test_confusion_matrix_by_hand():
    cm = evaluation.confusion_matrix(torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 1, 0]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match=r"predictions: expected the shape of targets \(3,\)"):
        evaluation.confusion_matrix(torch.tensor([0, 1, 2]), torch.tensor([0, 1]), 3)
    with pytest.raises(ValueError, match=r"expected class indices in \[0, 3\), got values in"):
        evaluation.confusion_matrix(torch.tensor([0, 1, 3]), torch.tensor([0, 1, 2]), 3)
    with pytest.raises(TypeError, match="targets: expected an integer tensor"):
        evaluation.confusion_matrix(torch.tensor([0.0]), torch.tensor([0]), 3)
