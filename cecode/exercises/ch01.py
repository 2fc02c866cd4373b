"""Checkers for the exercises of Chapter 1 (logits and softmax)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, logit_inputs, randn, run_cases

__all__ = ["check_softmax", "check_logsumexp", "check_softmax_with_temperature"]


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


def _temperature_inputs() -> list[tuple[str, Tensor, float]]:
    """(name, logits, T) for the temperature checker; softmax is over the last dimension."""
    return [
        ("T = 1 (plain softmax)", randn(4, 10, seed=30), 1.0),
        ("T = 0.5 (sharper)", randn(4, 10, seed=31), 0.5),
        ("T = 4 (flatter)", randn(4, 10, seed=32), 4.0),
        ("T = 0.01 (logits / T of magnitude ~1000)", 5.0 * randn(3, 6, seed=33), 0.01),
        ("T = 100 (nearly uniform)", randn(2, 5, seed=34), 100.0),
        ("a single row (1-D), T = 2", randn(7, seed=35), 2.0),
        ("a 3-D tensor, T = 0.25", randn(2, 3, 4, seed=36), 0.25),
        ("float64 logits, T = 3", randn(3, 6, seed=37, dtype=torch.float64), 3.0),
    ]


def check_softmax_with_temperature(fn: Callable[[Tensor, float], Tensor]) -> CheckReport:
    """Check ``fn(logits, T)`` against ``torch.softmax(logits / T, dim=-1)`` (same shape).

    Parameters
    ----------
    fn : callable
        Your softmax with a temperature, ``fn(logits: Tensor, T: float) -> Tensor``, the
        softmax of ``logits / T`` over the last dimension.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [
        Case(n, (x, temp), torch.softmax(x / temp, dim=-1)) for n, x, temp in _temperature_inputs()
    ]
    return run_cases("softmax_with_temperature", fn, cases)
