"""Evaluation of a trained classifier: mean loss and accuracy, logits, confusion matrix.

Everything here runs the model in eval mode (dropout off) and without gradients, in large
batches, and puts the model back into the mode it was in::

    loss, accuracy = evaluate(model, (images, labels))
    logits = predict(model, images)
    matrix = confusion_matrix(labels, logits.argmax(dim=1), num_classes=10)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cecode import _validate as v

__all__ = ["evaluate", "predict", "confusion_matrix"]


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: tuple[Tensor, Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    batch_size: int = 10_000,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in eval mode and without gradients.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, ...)`` inputs to ``(B, C)`` logits.
    data : tuple of Tensor
        ``(images (N, ...), labels (N,))``.
    loss_fn : callable, optional
        ``loss_fn(logits, labels) -> mean loss``; default ``F.cross_entropy``.
    batch_size : int
        Examples per forward pass (large batches are fast when no gradients are kept).

    Returns
    -------
    tuple of float
        ``(loss, accuracy)``, the loss averaged over examples and accuracy in ``[0, 1]``.
    """
    v.check_module("model", model)
    x, y = v.check_labeled_data("data", data)
    v.check_callable("loss_fn", loss_fn, optional=True)
    v.check_positive_int("batch_size", batch_size)
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    was_training = model.training
    model.eval()
    try:
        total_loss, correct = 0.0, 0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            logits = model(xb)
            total_loss += float(loss_fn(logits, yb)) * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum())
    finally:
        model.train(was_training)
    return total_loss / len(x), correct / len(x)


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, batch_size: int = 10_000) -> Tensor:
    """Logits of ``model`` for ``images``, in eval mode and without gradients.

    Parameters
    ----------
    model : nn.Module
        The classifier.
    images : Tensor
        ``(N, ...)`` inputs.
    batch_size : int
        Examples per forward pass.

    Returns
    -------
    Tensor
        ``(N, C)`` raw logits (apply ``softmax`` for probabilities).
    """
    v.check_module("model", model)
    v.check_tensor("images", images)
    v.check_nonempty("images", images)
    v.check_positive_int("batch_size", batch_size)
    was_training = model.training
    model.eval()
    try:
        return torch.cat(
            [model(images[s : s + batch_size]) for s in range(0, len(images), batch_size)]
        )
    finally:
        model.train(was_training)


def confusion_matrix(targets: Tensor, predictions: Tensor, num_classes: int = 10) -> Tensor:
    """Count how often true class ``i`` was predicted as class ``j``.

    Parameters
    ----------
    targets, predictions : Tensor
        ``(N,)`` integer class indices in ``[0, num_classes)``.
    num_classes : int
        Number of classes ``C``.

    Returns
    -------
    Tensor
        ``(C, C)`` int64, rows are true classes, columns predicted classes; it sums to ``N``.
    """
    v.check_positive_int("num_classes", num_classes)
    for name, t in (("targets", targets), ("predictions", predictions)):
        v.check_tensor(name, t)
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"{name}: expected an integer tensor of class indices, got {t.dtype}")
        if t.dim() != 1:
            raise ValueError(f"{name}: expected a 1-D tensor, got shape {v.shape_str(t.shape)}")
    if targets.shape != predictions.shape:
        raise ValueError(
            f"predictions: expected the shape of targets {v.shape_str(targets.shape)}, "
            f"got {v.shape_str(predictions.shape)}"
        )
    if targets.numel() and (
        int(torch.minimum(targets.min(), predictions.min())) < 0
        or int(torch.maximum(targets.max(), predictions.max())) >= num_classes
    ):
        raise ValueError(
            f"targets, predictions: expected class indices in [0, {num_classes}), got "
            f"values in [{int(torch.minimum(targets.min(), predictions.min()))}, "
            f"{int(torch.maximum(targets.max(), predictions.max()))}]"
        )
    flat = targets.long() * num_classes + predictions.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )
