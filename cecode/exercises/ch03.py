"""Checkers for the exercises of Chapter 3 (CrossEntropyLoss vs LogSoftmax + NLLLoss)."""

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
    "check_cross_entropy_nd",
    "check_focal_loss",
    "check_nll_loss",
]


def check_nll_loss(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(log_probs, target)`` against :func:`torch.nn.functional.nll_loss` (mean, a scalar).

    Parameters
    ----------
    fn : callable
        Your negative log-likelihood, ``fn(log_probs (N, C), target (N,)) -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = []
    for name, x, t in classification_inputs():
        log_probs = torch.log_softmax(x, dim=1)
        cases.append(Case(f"log-probabilities of {name}", (log_probs, t), F.nll_loss(log_probs, t)))
    raw = randn(3, 4, seed=20)
    t = torch.tensor([3, 0, 2])
    cases.append(
        Case(
            "any input, not normalized (NLL just picks -input[n, y_n])",
            (raw, t),
            F.nll_loss(raw, t),
        )
    )
    return run_cases("nll_loss", fn, cases)


def _ce_nd(x: Tensor, t: Tensor) -> Tensor:
    return F.cross_entropy(x.to(torch.float64), t).to(x.dtype)


def check_cross_entropy_nd(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)`` for logits ``(N, C, d_1, ..., d_K)`` against ``F.cross_entropy``.

    The classes are along dimension 1 and the target has the logits' shape without it; the loss
    is the mean over all ``N * d_1 * ... * d_K`` positions. In most cases the last dimension's
    size differs from ``C``, so a log-softmax over the wrong dimension gives a wrong number.

    Parameters
    ----------
    fn : callable
        Your cross-entropy, ``fn(logits (N, C, ...), target (N, ...) int64) -> Tensor`` of
        shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    big = 1000.0 * randn(2, 4, 5, seed=47)
    inputs = [
        ("(N, C) logits", randn(6, 4, seed=40), randint(4, 6, seed=41)),
        ("(N, C, L) sequence logits", randn(3, 5, 7, seed=42), randint(5, 3, 7, seed=43)),
        ("(N, C, H, W) pixel logits", randn(2, 3, 4, 6, seed=44), randint(3, 2, 4, 6, seed=45)),
        ("(N, C, L) with L == C", randn(2, 4, 4, seed=46), randint(4, 2, 4, seed=48)),
        ("(N, C, L) logits of magnitude 1000", big, randint(4, 2, 5, seed=49)),
        (
            "float64 (N, C, H, W) logits",
            randn(2, 3, 2, 5, seed=50, dtype=torch.float64),
            randint(3, 2, 2, 5, seed=51),
        ),
    ]
    cases = [Case(n, (x, t), _ce_nd(x, t)) for n, x, t in inputs]
    return run_cases("cross_entropy_nd", fn, cases)


def _focal(x: Tensor, t: Tensor, gamma: float) -> Tensor:
    log_p_y = torch.log_softmax(x.to(torch.float64), dim=1).gather(1, t[:, None]).squeeze(1)
    return (-((1 - log_p_y.exp()) ** gamma) * log_p_y).mean().to(x.dtype)


def check_focal_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> CheckReport:
    r"""Check ``fn(logits, target, gamma)``, the mean focal loss :math:`-(1 - p_y)^\gamma \log p_y`.

    The expected values are computed from ``log_softmax`` in float64. With ``gamma = 0`` the
    focal loss is the cross-entropy; the cases include a correct class so far behind that its
    probability underflows to 0 in float32, where ``softmax(...).log()`` gives ``-inf``.

    Parameters
    ----------
    fn : callable
        Your focal loss, ``fn(logits (N, C), target (N,) int64, gamma: float) -> Tensor`` of
        shape ``()`` (the mean over the rows).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    inputs = list(classification_inputs())
    gammas = [2.0, 0.0, 0.5, 2.0, 1.0, 2.0, 3.0]
    behind = torch.tensor([[0.0, -200.0, 1.0], [5.0, 0.0, -150.0]])
    cases = [
        Case(f"{name}, gamma = {g:g}", (x, t, g), _focal(x, t, g))
        for (name, x, t), g in zip(inputs, gammas, strict=True)
    ]
    cases.append(
        Case(
            "correct class 150-200 behind (p_y underflows to 0), gamma = 2",
            (behind, torch.tensor([1, 2]), 2.0),
            _focal(behind, torch.tensor([1, 2]), 2.0),
        )
    )
    return run_cases("focal_loss", fn, cases)
