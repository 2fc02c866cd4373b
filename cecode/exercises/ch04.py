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

__all__ = [
    "check_smoothed_targets",
    "check_weighted_cross_entropy",
    "check_weighted_mean_over_batches",
    "check_masked_soft_cross_entropy",
]

PAD = -100


def _smoothed(target: Tensor, num_classes: int, eps: float) -> Tensor:
    return F.one_hot(target, num_classes).float() * (1.0 - eps) + eps / num_classes


def check_smoothed_targets(fn: Callable[[Tensor, int, float], Tensor]) -> CheckReport:
    r"""Check ``fn(target, num_classes, label_smoothing)``, the label-smoothed target distribution.

    The expected result is :math:`(1 - \varepsilon)\, \text{one\_hot}(y) + \varepsilon / C`, the
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
    r"""Check ``fn(logits, target, weight)`` against ``F.cross_entropy(logits, target, weight=weight)``.

    Remember that the weighted mean divides by the sum of the weights of the targets,
    :math:`\sum_n w_{y_n}`, not by ``N``.

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


def _concatenated(batches: list[tuple[Tensor, Tensor]], weight: Tensor) -> Tensor:
    logits = torch.cat([z for z, _ in batches])
    target = torch.cat([y for _, y in batches])
    return F.cross_entropy(logits, target, weight=weight)


def check_weighted_mean_over_batches(
    fn: Callable[[list[tuple[Tensor, Tensor]], Tensor], Tensor],
) -> CheckReport:
    """Check ``fn(batches, weight)``: the weighted mean over all the samples of all batches.

    The expected result is ``F.cross_entropy`` with ``weight=weight`` on all batches
    concatenated into one: the sum of the weighted losses divided by the sum of the weights
    of the (non-padding) targets. The average of the batches' weighted means is not it.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(batches, weight (C,)) -> Tensor`` of shape ``()``, where
        ``batches`` is a list of ``(logits (N_b, C), target (N_b,))`` and targets equal to
        ``-100`` are padding.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    weight = torch.tensor([1.0, 2.0, 3.0, 4.0])
    z = randn(9, 4, seed=50)
    y = torch.tensor([0, 1, 2, 3, 1, 1, 3, 3, 0])
    with_pad = torch.tensor([0, PAD, 2, 3, PAD, 1, 3, 3, 0])
    specs = [
        ("two batches of 3 and 6 rows", [(z[:3], y[:3]), (z[3:], y[3:])], weight),
        ("three batches of 3 rows", [(z[i : i + 3], y[i : i + 3]) for i in (0, 3, 6)], weight),
        ("one batch", [(z, y)], weight),
        ("padding targets (-100)", [(z[:4], with_pad[:4]), (z[4:], with_pad[4:])], weight),
        (
            "a batch of padding only",
            [(z[:2], torch.full((2,), PAD)), (z[2:], y[2:])],
            weight,
        ),
        ("equal weights", [(z[:2], y[:2]), (z[2:], y[2:])], torch.full((4,), 0.5)),
        (
            "float64 logits",
            [(z[:5].double(), y[:5]), (z[5:].double(), y[5:])],
            weight.double(),
        ),
    ]
    cases = [Case(n, (b, w), _concatenated(b, w)) for n, b, w in specs]
    return run_cases("weighted-mean-over-batches", fn, cases)


def _masked_soft(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    per_row = -(target * logits.log_softmax(dim=1)).sum(dim=1)
    kept = mask.to(per_row.dtype)
    return (per_row * kept).sum() / kept.sum().clamp(min=1)


def check_masked_soft_cross_entropy(
    fn: Callable[[Tensor, Tensor, Tensor], Tensor],
) -> CheckReport:
    r"""Check ``fn(logits, target, mask)``: the mean cross-entropy over the masked-in rows.

    The expected result is :math:`\sum_n m_n \ell_n / \max(\sum_n m_n, 1)` with
    :math:`\ell_n = -\sum_j t_{n,j} \log p_{n,j}`: the mean over the real tokens, and 0
    (not ``nan``) when the mask is all ``False``.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N, C) probabilities, mask (N,) bool)
        -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    z = randn(6, 5, seed=60)
    t = randn(6, 5, seed=61).softmax(dim=1)
    some = torch.tensor([True, True, False, True, False, True])
    specs = [
        ("some padding rows", z, t, some),
        ("no padding (the plain mean)", z, t, torch.ones(6, dtype=torch.bool)),
        ("only padding (expected 0, not nan)", z, t, torch.zeros(6, dtype=torch.bool)),
        ("one real row", z, t, torch.arange(6) == 4),
        ("one-hot targets", z, F.one_hot(torch.tensor([0, 1, 2, 3, 4, 0]), 5).float(), some),
        ("large logits", 100.0 * z, t, some),
        ("float64", z.double(), t.double(), some),
    ]
    cases = [Case(n, (a, b, m), _masked_soft(a, b, m)) for n, a, b, m in specs]
    return run_cases("masked-soft-cross-entropy", fn, cases)
