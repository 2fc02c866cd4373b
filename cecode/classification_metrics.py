r"""Metrics for binary, multi-label and imbalanced classification.

Accuracy hides what matters when labels are rare or several labels can be on at once. The
counts behind the metrics here, per label :math:`c`, are the true positives
:math:`\mathrm{TP}_c`, false positives :math:`\mathrm{FP}_c` and false negatives
:math:`\mathrm{FN}_c` of 0/1 predictions against 0/1 targets:

- precision :math:`P_c = \mathrm{TP}_c / (\mathrm{TP}_c + \mathrm{FP}_c)`, recall
  :math:`R_c = \mathrm{TP}_c / (\mathrm{TP}_c + \mathrm{FN}_c)` and
  :math:`F1_c = 2\,\mathrm{TP}_c / (2\,\mathrm{TP}_c + \mathrm{FP}_c + \mathrm{FN}_c)`, their
  harmonic mean (a ratio ``0 / 0`` counts as 0);
- the *macro* F1 averages :math:`F1_c` over the labels (every label counts the same), the
  *micro* F1 adds the counts of all labels first (every element counts the same);
- the *exact-match* accuracy is the fraction of samples whose whole label vector is right;
- the *average precision* summarizes a ranking by scores, without a threshold:
  :math:`\mathrm{AP} = \sum_k (R_k - R_{k-1})\, P_k` over the distinct score thresholds in
  decreasing order (the definition of scikit-learn's ``average_precision_score``);
- the *balanced accuracy* of a multi-class prediction is the mean of the per-class recalls.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cecode import _validate as v

__all__ = [
    "average_precision",
    "balanced_accuracy",
    "exact_match",
    "f1_optimal_thresholds",
    "macro_f1",
    "micro_f1",
    "precision_recall_f1",
]


def _as_binary(name: str, x: object) -> Tensor:
    """Check a bool/0-1 tensor (N,) or (N, L) and return it as float64 (N, L)."""
    v.check_tensor(name, x)
    assert isinstance(x, Tensor)
    if x.dim() not in (1, 2):
        raise ValueError(f"{name}: expected shape (N,) or (N, L), got {v.shape_str(x.shape)}")
    v.check_nonempty(name, x)
    if x.is_complex() or bool(((x != 0) & (x != 1)).any()):
        raise ValueError(f"{name}: expected values 0 or 1 (bool or 0/1 tensor)")
    x = x.double()
    return x[:, None] if x.dim() == 1 else x


def _pair(predictions: object, targets: object) -> tuple[Tensor, Tensor]:
    pred = _as_binary("predictions", predictions)
    targ = _as_binary("targets", targets)
    if pred.shape != targ.shape:
        raise ValueError(
            f"targets: expected the predictions' shape {v.shape_str(predictions.shape)}, "  # type: ignore[union-attr]
            f"got shape {v.shape_str(targets.shape)}"  # type: ignore[union-attr]
        )
    return pred, targ


def _counts(pred: Tensor, targ: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    tp = (pred * targ).sum(0)
    fp = (pred * (1 - targ)).sum(0)
    fn = ((1 - pred) * targ).sum(0)
    return tp, fp, fn


def _ratio(num: Tensor, den: Tensor) -> Tensor:
    return torch.where(den > 0, num / den.clamp_min(1), torch.zeros_like(num))


def precision_recall_f1(predictions: Tensor, targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Precision, recall and F1 of each label.

    Parameters
    ----------
    predictions, targets : Tensor
        ``(N, L)`` (or ``(N,)`` for one label), bool or 0/1 values.

    Returns
    -------
    tuple of Tensor
        ``(precision, recall, f1)``, each ``(L,)`` float64; ``0 / 0`` gives 0.
    """
    tp, fp, fn = _counts(*_pair(predictions, targets))
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def macro_f1(predictions: Tensor, targets: Tensor) -> float:
    """Mean over the labels of the per-label F1 (see :func:`precision_recall_f1`)."""
    return float(precision_recall_f1(predictions, targets)[2].mean())


def micro_f1(predictions: Tensor, targets: Tensor) -> float:
    """F1 of the counts summed over all labels, ``2 TP / (2 TP + FP + FN)``.

    Parameters
    ----------
    predictions, targets : Tensor
        ``(N, L)`` (or ``(N,)``), bool or 0/1 values.

    Returns
    -------
    float
        In ``[0, 1]``; 0 when there is no positive prediction and no positive target.
    """
    tp, fp, fn = (c.sum() for c in _counts(*_pair(predictions, targets)))
    return float(_ratio(2 * tp, 2 * tp + fp + fn))


def exact_match(predictions: Tensor, targets: Tensor) -> float:
    """Fraction of samples (rows) whose predictions equal their targets on every label."""
    pred, targ = _pair(predictions, targets)
    return float((pred == targ).all(dim=1).double().mean())


def average_precision(scores: Tensor, targets: Tensor) -> float:
    r"""Average precision of ranking ``scores`` against binary ``targets``.

    Parameters
    ----------
    scores : Tensor
        ``(N,)`` floating scores (logits or probabilities: only their order matters).
    targets : Tensor
        ``(N,)`` bool or 0/1 values, with at least one positive.

    Returns
    -------
    float
        :math:`\sum_k (R_k - R_{k-1}) P_k` over the distinct thresholds (tied scores form one
        step), as scikit-learn's ``average_precision_score``.
    """
    v.check_floating("scores", scores)
    if scores.dim() != 1:
        raise ValueError(f"scores: expected shape (N,), got {v.shape_str(scores.shape)}")
    targ = _as_binary("targets", targets)[:, 0]
    if targets.shape != scores.shape:
        raise ValueError(
            f"targets: expected the scores' shape {v.shape_str(scores.shape)}, "
            f"got shape {v.shape_str(targets.shape)}"
        )
    if not bool(targ.any()):
        raise ValueError("targets: expected at least one positive, got none")
    order = scores.argsort(descending=True, stable=True)
    s, t = scores[order], targ[order]
    tp, fp = t.cumsum(0), (1 - t).cumsum(0)
    last = torch.ones_like(s, dtype=torch.bool)
    last[:-1] = s[1:] != s[:-1]  # the last element of each group of tied scores
    tp, fp = tp[last], fp[last]
    precision, recall = tp / (tp + fp), tp / tp[-1]
    steps = torch.diff(recall, prepend=recall.new_zeros(1))
    return float((steps * precision).sum())


def f1_optimal_thresholds(probs: Tensor, targets: Tensor, num_thresholds: int = 99) -> Tensor:
    """For each label, the threshold on ``probs`` with the highest F1 on these data.

    Choose thresholds on a validation split and apply them to the test split.

    Parameters
    ----------
    probs : Tensor
        ``(N, L)`` floating probabilities (e.g. ``torch.sigmoid(logits)``).
    targets : Tensor
        ``(N, L)`` bool or 0/1 values.
    num_thresholds : int, default 99
        Candidates ``1/(K+1), ..., K/(K+1)`` with ``K = num_thresholds``; a label is
        predicted when ``probs > threshold``. Ties go to the candidate closest to 0.5.

    Returns
    -------
    Tensor
        ``(L,)`` float64 thresholds.
    """
    v.check_floating("probs", probs)
    v.check_positive_int("num_thresholds", num_thresholds)
    if probs.dim() != 2:
        raise ValueError(f"probs: expected shape (N, L), got {v.shape_str(probs.shape)}")
    _, targ = _pair(probs.new_zeros(probs.shape), targets)
    k = num_thresholds
    candidates = torch.arange(1, k + 1, dtype=torch.float64) / (k + 1)  # (K,)
    pred = (probs.double()[None] > candidates[:, None, None]).double()  # (K, N, L)
    tp = (pred * targ).sum(1)
    fp = (pred * (1 - targ)).sum(1)
    fn = ((1 - pred) * targ).sum(1)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)  # (K, L)
    closeness = -(candidates - 0.5).abs()[:, None] * 1e-9  # tie-break towards 0.5
    return candidates[(f1 + closeness).argmax(dim=0)]


def balanced_accuracy(predictions: Tensor, targets: Tensor, num_classes: int) -> float:
    """Mean over the classes of the recall, ``mean_c P(prediction = c | target = c)``.

    Parameters
    ----------
    predictions, targets : Tensor
        ``(N,)`` int64 class indices in ``[0, num_classes)``.
    num_classes : int
        Number of classes ``C``; every class must occur in ``targets``.

    Returns
    -------
    float
        Equals the accuracy on a test set with the same number of examples in every class.
    """
    v.check_positive_int("num_classes", num_classes)
    v.check_tensor("predictions", predictions)
    v.check_tensor("targets", targets)
    for name, x in (("predictions", predictions), ("targets", targets)):
        if x.dtype != torch.int64:
            raise TypeError(f"{name}: expected dtype torch.int64, got dtype {x.dtype}")
        if x.dim() != 1 or x.shape != targets.shape:
            raise ValueError(f"{name}: expected shape (N,) as targets, got {v.shape_str(x.shape)}")
        if bool(((x < 0) | (x >= num_classes)).any()):
            raise ValueError(f"{name}: expected class indices in [0, {num_classes})")
    per_class = torch.bincount(targets, minlength=num_classes).double()
    if bool((per_class == 0).any()):
        missing = int((per_class == 0).nonzero()[0, 0])
        raise ValueError(f"targets: expected every class to occur, got none of class {missing}")
    hits = torch.bincount(targets[predictions == targets], minlength=num_classes).double()
    return float((hits / per_class).mean())
