"""Checkers for the exercises of Chapter 6 (overfitting and its remedies)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from cecode._validate import check_callable
from cecode.exercises._checking import Case, CheckReport, randn, run_cases

__all__ = ["check_early_stopping", "check_inverted_dropout", "check_l2_penalty"]


def _early_stopping(val_losses: Sequence[float], patience: int) -> Tensor:
    best, best_epoch, since_best = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, since_best = loss, epoch, 0
        else:
            since_best += 1
        if since_best >= patience:
            return torch.tensor([epoch, best_epoch])
    return torch.tensor([len(val_losses), best_epoch])


def check_early_stopping(fn: Callable[[list[float], int], tuple[int, int]]) -> CheckReport:
    """Check ``fn(val_losses, patience)``: when early stopping stops, and which epoch it keeps.

    The rule (the one ``cecode.training.fit`` uses): after each epoch, a validation loss lower
    than every earlier one is an improvement (a tie is not); training stops after the epoch
    at which ``patience`` epochs in a row have brought no improvement. The result is
    ``(stop_epoch, best_epoch)``, both counted from 1; ``stop_epoch`` is the last epoch if the
    rule never stops training.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(val_losses: list of float, patience: int) -> (int, int)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    check_callable("fn", fn)
    specs = [
        ("a loss that keeps falling (never stops)", [0.9, 0.7, 0.6, 0.55, 0.52], 2),
        ("a minimum at epoch 3, patience 2", [0.9, 0.7, 0.6, 0.65, 0.7, 0.8, 0.9], 2),
        ("patience 1", [0.9, 0.7, 0.6, 0.65, 0.5, 0.4], 1),
        (
            "a new best after a short plateau (reset the count)",
            [0.9, 0.8, 0.85, 0.84, 0.7, 0.75, 0.76, 0.77, 0.78],
            3,
        ),
        ("a tie is not an improvement", [0.9, 0.6, 0.6, 0.6, 0.5], 2),
        ("the first epoch is the best", [0.5, 0.6, 0.7, 0.8], 3),
    ]
    cases = [Case(n, (losses, p), _early_stopping(losses, p)) for n, losses, p in specs]

    def wrapped(val_losses: list[float], patience: int) -> Tensor:
        result = fn(list(val_losses), patience)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError("it returned something else than a pair (stop, best)")
        return torch.tensor([int(r) for r in result])

    return run_cases("early-stopping", wrapped, cases)


def _dropout(x: Tensor, keep: Tensor, p: float, training: bool) -> Tensor:
    if not training:
        return x
    return x * keep.to(x.dtype) / (1.0 - p)


def check_inverted_dropout(fn: Callable[[Tensor, Tensor, float, bool], Tensor]) -> CheckReport:
    """Check ``fn(x, keep, p, training)``: dropout as ``nn.Dropout`` computes it.

    In training mode each activation is kept where the boolean mask ``keep`` is ``True`` and
    multiplied by :math:`1 / (1 - p)`, so that its expected value does not change; the others
    become 0. In evaluation mode (``training=False``) the input is returned unchanged.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(x, keep (bool, x's shape), p: float, training: bool)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    x = randn(4, 6, seed=110)
    g = torch.Generator().manual_seed(111)
    keep_half = torch.rand(4, 6, generator=g) >= 0.5
    keep_most = torch.rand(4, 6, generator=g) >= 0.2
    x3 = randn(2, 3, 4, seed=112)
    keep3 = torch.rand(2, 3, 4, generator=g) >= 0.3
    specs = [
        ("p = 0.5 in training", x, keep_half, 0.5, True),
        ("p = 0.2 in training", x, keep_most, 0.2, True),
        ("p = 0 (nothing dropped)", x, torch.ones(4, 6, dtype=torch.bool), 0.0, True),
        ("evaluation mode (input unchanged)", x, keep_half, 0.5, False),
        ("a 3-D input, p = 0.3", x3, keep3, 0.3, True),
    ]
    cases = [Case(n, (a, k, p, t), _dropout(a, k, p, t)) for n, a, k, p, t in specs]
    return run_cases("inverted-dropout", fn, cases)


def check_l2_penalty(fn: Callable[[list[Tensor], float], Tensor]) -> CheckReport:
    r"""Check ``fn(parameters, weight_decay)``: the L2 penalty of weight decay.

    The expected result is :math:`\frac{\lambda}{2} \sum_\theta \lVert\theta\rVert^2`:
    ``weight_decay / 2`` times the sum of the squares of every entry of every tensor in
    ``parameters``. Its gradient with respect to a parameter :math:`\theta` is
    :math:`\lambda \theta`, what Adam's ``weight_decay`` adds to the gradient.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(parameters: list of Tensor, weight_decay: float) -> Tensor`` of
        shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    check_callable("fn", fn)
    weight, bias = randn(3, 4, seed=120), randn(3, seed=121)
    specs = [
        ("one tensor", [weight], 0.01),
        ("a weight and a bias", [weight, bias], 0.01),
        ("weight_decay = 0.5", [weight, bias], 0.5),
        ("weight_decay = 0", [weight], 0.0),
        ("float64 tensors", [weight.double(), bias.double()], 0.1),
    ]
    cases = [Case(n, (ps, wd), wd / 2 * sum((p**2).sum() for p in ps)) for n, ps, wd in specs]

    def wrapped(parameters: list[Tensor], weight_decay: float) -> Tensor:
        return fn([p.clone() for p in parameters], weight_decay)

    return run_cases("L2-penalty", wrapped, cases)
