"""Checkers for the exercises of Chapter 1 (logits and softmax)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, logit_inputs, run_cases

__all__ = ["check_softmax", "check_logsumexp"]


def check_softmax(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.softmax` (same shape as ``x``).

    Parameters
    ----------
    fn : callable
        Your softmax, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (x, d), torch.softmax(x, d)) for n, x, d in logit_inputs()]
    return run_cases("softmax", fn, cases)


def check_logsumexp(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(x, dim)`` against :func:`torch.logsumexp` (``dim`` reduced, not kept).

    Parameters
    ----------
    fn : callable
        Your log-sum-exp, ``fn(x: Tensor, dim: int) -> Tensor``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (x, d), torch.logsumexp(x, d)) for n, x, d in logit_inputs()]
    return run_cases("logsumexp", fn, cases)
