"""Checkers for the exercises of Chapter 11 (binary, multi-label and imbalanced classes)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases

__all__ = [
    "check_bce_with_logits",
    "check_logit_adjusted_cross_entropy",
    "check_pos_weight",
    "check_prior_bias",
]


def _multi_hot(n: int, c: int, rate: float, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    t = (torch.rand(n, c, generator=g) < rate).float()
    t[0] = 1.0  # every label has a positive ...
    t[1] = 0.0  # ... and a negative
    return t


def check_bce_with_logits(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)``, the binary cross-entropy of each element (no reduction).

    The expected result is ``F.binary_cross_entropy_with_logits(logits, target,
    reduction="none")``, including logits of magnitude 1000, where ``torch.sigmoid`` rounds to
    exactly 0 or 1.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits, target) -> Tensor`` of the shape of ``logits``; ``target``
        holds probabilities in ``[0, 1]`` (0/1 or soft).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    big = torch.tensor([[1000.0, -1000.0, 30.0], [-200.0, 200.0, 0.0]])
    specs = [
        ("small random logits, 0/1 targets", randn(4, 5, seed=110), _multi_hot(4, 5, 0.5, 111)),
        ("soft targets", randn(3, 4, seed=112), torch.rand(3, 4, generator=_g(113))),
        ("logits of magnitude 1000, wrong side", big, torch.tensor([[0.0, 1.0, 0.0], [1, 0, 1]])),
        ("logits of magnitude 1000, right side", big, torch.tensor([[1.0, 0.0, 1.0], [0, 1, 0]])),
        ("a 1-D tensor", randn(6, seed=114), torch.tensor([1.0, 0, 0, 1, 0.5, 1])),
        ("float64", randn(2, 3, seed=115, dtype=torch.float64), torch.ones(2, 3).double()),
    ]
    cases = [
        Case(n, (z, t), F.binary_cross_entropy_with_logits(z, t, reduction="none"))
        for n, z, t in specs
    ]
    return run_cases("bce_with_logits", fn, cases)


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _prior_bias(targets: Tensor) -> Tensor:
    rate = targets.double().mean(dim=0)
    return (rate / (1 - rate)).log().to(targets.dtype)


def check_prior_bias(fn: Callable[[Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(targets)``, the output biases that start a sigmoid model at the label rates.

    For multi-hot ``targets`` of shape ``(N, L)`` the expected result is, per label,
    :math:`b_c = \log(\pi_c / (1 - \pi_c))` with :math:`\pi_c` the fraction of positives of
    label ``c``, so that :math:`\sigma(b_c) = \pi_c`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(targets (N, L) float 0/1) -> (L,)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("10 labels, about 25 % positive", _multi_hot(40, 10, 0.25, 120)),
        ("rare labels (about 2 %)", _multi_hot(200, 3, 0.02, 121)),
        ("one label", torch.tensor([[1.0], [0.0], [0.0], [0.0]])),
        ("frequent labels (about 90 %)", _multi_hot(50, 4, 0.9, 122)),
        ("float64", _multi_hot(30, 2, 0.3, 123).double()),
    ]
    cases = [Case(n, (t,), _prior_bias(t)) for n, t in specs]
    return run_cases("prior_bias", fn, cases)


def _pos_weight(targets: Tensor) -> Tensor:
    positives = targets.sum(dim=0)
    return (len(targets) - positives) / positives


def check_pos_weight(fn: Callable[[Tensor], Tensor]) -> CheckReport:
    """Check ``fn(targets)``, the ``pos_weight`` that balances each label's positives and negatives.

    For multi-hot ``targets`` of shape ``(N, L)`` the expected result is, per label, the number
    of negatives divided by the number of positives: with it, the positives of each label weigh
    as much in the loss as its negatives.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(targets (N, L) float 0/1) -> (L,)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("10 labels, about 25 % positive", _multi_hot(40, 10, 0.25, 130)),
        ("rare labels (about 1 %)", _multi_hot(500, 3, 0.01, 131)),
        ("one label, 1 positive in 4", torch.tensor([[1.0], [0.0], [0.0], [0.0]])),
        ("more positives than negatives", _multi_hot(50, 4, 0.8, 132)),
    ]
    cases = [Case(n, (t,), _pos_weight(t)) for n, t in specs]
    return run_cases("pos_weight", fn, cases)


def check_logit_adjusted_cross_entropy(
    fn: Callable[[Tensor, Tensor, Tensor, float], Tensor],
) -> CheckReport:
    r"""Check ``fn(logits, target, class_counts, tau)``, the logit-adjusted cross-entropy.

    The expected result is the mean cross-entropy of the shifted logits
    :math:`z_j + \tau \log \pi_j`, :math:`\pi_j` = ``class_counts / class_counts.sum()``
    (Menon et al., 2021).

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N,), class_counts (C,), tau) -> ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    counts10 = torch.tensor([4000.0, 2400, 1440, 860, 520, 310, 190, 110, 70, 40])
    specs = [
        ("long-tailed counts, tau = 1", randn(6, 10, seed=140), randint(10, 6, seed=141), counts10, 1.0),
        ("tau = 0 (plain cross-entropy)", randn(4, 10, seed=142), randint(10, 4, seed=143), counts10, 0.0),
        ("tau = 2", randn(5, 10, seed=144), randint(10, 5, seed=145), counts10, 2.0),
        ("equal counts", randn(3, 4, seed=146), torch.tensor([0, 3, 2]), torch.full((4,), 7.0), 1.0),
        ("two classes, 99 to 1", randn(4, 2, seed=147), torch.tensor([0, 1, 0, 0]), torch.tensor([99.0, 1.0]), 1.0),
    ]  # fmt: skip
    cases = [
        Case(n, (z, y, c, tau), F.cross_entropy(z + tau * (c / c.sum()).log(), y))
        for n, z, y, c, tau in specs
    ]
    return run_cases("logit-adjusted cross_entropy", fn, cases)
