"""Checkers for the exercises of Chapter 2 (the simplified cross-entropy and its gradient)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, classification_inputs, run_cases

__all__ = ["check_cross_entropy", "check_cross_entropy_grad"]


def check_cross_entropy(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)`` against :func:`torch.nn.functional.cross_entropy` (mean, a scalar).

    Parameters
    ----------
    fn : callable
        Your cross-entropy, ``fn(logits (N, C), target (N,) int64) -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (x, t), F.cross_entropy(x, t)) for n, x, t in classification_inputs()]
    return run_cases("cross_entropy", fn, cases)


def _ce_grad(x: Tensor, t: Tensor) -> Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(x, t), x)
    return grad


def check_cross_entropy_grad(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)``, the gradient of the mean cross-entropy with respect to the logits.

    The expected result is ``(softmax(logits) - one_hot(target)) / N`` as computed by autograd
    through :func:`torch.nn.functional.cross_entropy`.

    Parameters
    ----------
    fn : callable
        Your gradient, ``fn(logits (N, C), target (N,)) -> Tensor`` of shape ``(N, C)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (x, t), _ce_grad(x, t)) for n, x, t in classification_inputs()]
    return run_cases("cross-entropy gradient", fn, cases)
