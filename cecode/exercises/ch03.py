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
    logit_inputs,
    randn,
    run_cases,
)

__all__ = ["check_log_softmax", "check_nll_loss"]


def check_log_softmax(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.log_softmax` (same shape as ``x``).

    Parameters
    ----------
    fn : callable
        Your log-softmax, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (x, d), torch.log_softmax(x, d)) for n, x, d in logit_inputs()]
    return run_cases("log_softmax", fn, cases)


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
