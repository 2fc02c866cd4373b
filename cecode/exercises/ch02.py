"""Checkers for the exercises of Chapter 2 (the simplified cross-entropy and its gradient)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, classification_inputs, run_cases

__all__ = ["check_cross_entropy", "check_cross_entropy_grad", "check_margin_loss"]


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


def _margin_loss(margin: Tensor, num_classes: int) -> Tensor:
    """log(1 + (C - 1) e^{-m}), computed in float64 as a stable log-sum-exp of 0 and log(C-1) - m."""
    m = margin.to(torch.float64)
    out = torch.logaddexp(torch.zeros_like(m), math.log(num_classes - 1) - m)
    return out.to(margin.dtype)


def check_margin_loss(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    r"""Check ``fn(margin, num_classes)``, the loss of a sample as a function of its margin.

    The sample's correct logit is :math:`m` and its :math:`C - 1` other logits are 0, so its
    cross-entropy is :math:`\ell(m) = \log(1 + (C - 1) e^{-m})`, element by element. The cases
    include margins of magnitude 1000, where :math:`e^{-m}` overflows.

    Parameters
    ----------
    fn : callable
        Your loss, ``fn(margin: Tensor, num_classes: int) -> Tensor`` of ``margin``'s shape.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    inputs = [
        ("margins from -8 to 8, C = 10", torch.linspace(-8.0, 8.0, 9), 10),
        ("two classes (C = 2)", torch.tensor([-3.0, 0.0, 2.5]), 2),
        ("m = 0 gives log C, C = 1000", torch.zeros(3), 1000),
        ("margins of magnitude 1000, C = 10", torch.tensor([-1000.0, -200.0, 1000.0]), 10),
        (
            "a (2, 3) tensor of margins, C = 5",
            torch.tensor([[-2.0, 0.0, 2.0], [4.0, -4.0, 1.0]]),
            5,
        ),
        ("float64 margins, C = 100", torch.tensor([-50.0, 0.5, 30.0], dtype=torch.float64), 100),
    ]
    cases = [Case(n, (m, c), _margin_loss(m, c)) for n, m, c in inputs]
    return run_cases("margin_loss", fn, cases)
