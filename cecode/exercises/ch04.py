"""Checkers for the exercises of Chapter 4 (the options of the loss)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import (
    Case,
    CheckReport,
    classification_inputs,
    randint,
    randn,
    run_cases,
)

__all__ = ["check_smoothed_targets", "check_weighted_cross_entropy"]


def _smoothed(target: Tensor, num_classes: int, eps: float) -> Tensor:
    return F.one_hot(target, num_classes).float() * (1.0 - eps) + eps / num_classes


def check_smoothed_targets(fn: Callable[[Tensor, int, float], Tensor]) -> CheckReport:
    """Check ``fn(target, num_classes, label_smoothing)``, the label-smoothed target distribution.

    The expected result is :math:`(1 - \\varepsilon)\\, \\text{one\\_hot}(y) + \\varepsilon / C`, the
    distribution that ``F.cross_entropy(..., label_smoothing=eps)`` uses.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(target (N,) int64, num_classes: int, label_smoothing: float) -> (N, C)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("label_smoothing=0.1, 10 classes", randint(10, 5, seed=30), 10, 0.1),
        ("label_smoothing=0 (plain one-hot)", torch.tensor([2, 0, 1]), 3, 0.0),
        ("label_smoothing=1 (uniform)", torch.tensor([1, 3]), 4, 1.0),
        ("label_smoothing=0.2, two classes", torch.tensor([0, 1, 1]), 2, 0.2),
        ("a single target", torch.tensor([4]), 6, 0.3),
    ]
    cases = [Case(n, (t, c, e), _smoothed(t, c, e)) for n, t, c, e in specs]
    return run_cases("smoothed-targets", fn, cases)


def check_weighted_cross_entropy(fn: Callable[[Tensor, Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target, weight)`` against ``F.cross_entropy(logits, target, weight=weight)``.

    Remember that the weighted mean divides by the sum of the weights of the targets,
    :math:`\\sum_n w_{y_n}`, not by ``N``.

    Parameters
    ----------
    fn : callable
        Your weighted cross-entropy, ``fn(logits (N, C), target (N,), weight (C,)) -> Tensor`` of
        shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = []
    for i, (name, x, t) in enumerate(classification_inputs()):
        c = x.shape[1]
        w = (torch.arange(1, c + 1, dtype=x.dtype) / 2.0).roll(i)
        cases.append(Case(name, (x, t, w), F.cross_entropy(x, t, weight=w)))
    x, t = randn(4, 3, seed=40), torch.tensor([0, 1, 2, 1])
    for name, w in [
        ("equal weights (same as the plain mean)", torch.full((3,), 2.5)),
        ("a class with weight 0", torch.tensor([1.0, 0.0, 3.0])),
    ]:
        cases.append(Case(name, (x, t, w), F.cross_entropy(x, t, weight=w)))
    return run_cases("weighted cross_entropy", fn, cases)
