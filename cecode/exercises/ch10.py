"""Checkers for the exercises of Chapter 10 (what cross-entropy measures)."""

from __future__ import annotations

import math
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

__all__ = ["check_entropy_bits", "check_kl_per_row", "check_mean_kl", "check_perplexity"]


def _entropy_bits(counts: Tensor) -> Tensor:
    freqs = counts.to(torch.float64) / counts.sum()
    return torch.special.entr(freqs).sum() / math.log(2)


def check_entropy_bits(fn: Callable[[Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(counts)``, the entropy in bits of the frequencies ``counts / counts.sum()``.

    The expected result is :math:`H = -\sum_j f_j \log_2 f_j` with :math:`f_j = c_j / \sum_k
    c_k` and :math:`0 \log 0 = 0` (a class that never occurs contributes nothing).

    Parameters
    ----------
    fn : callable
        Your function, ``fn(counts (C,) int64) -> Tensor`` of shape ``()``, in bits.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("a fair coin, counts [1, 1]", torch.tensor([1, 1])),
        ("four equal counts", torch.tensor([3, 3, 3, 3])),
        ("one class only", torch.tensor([7])),
        ("a class that never occurs", torch.tensor([5, 0, 5])),
        ("counts [1, 2, 3, 4]", torch.tensor([1, 2, 3, 4])),
        ("a skewed die", torch.tensor([90, 2, 2, 2, 2, 2])),
        ("random counts of 10 classes", randint(1000, 10, seed=100)),
    ]
    cases = [Case(n, (c,), _entropy_bits(c)) for n, c in specs]
    return run_cases("entropy-in-bits", fn, cases)


def check_perplexity(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    """Check ``fn(logits, target)``, the perplexity :math:`e^{L}` of a model on a batch.

    :math:`L` is the mean cross-entropy in nats over the :math:`N` rows, as
    ``F.cross_entropy(logits, target)`` computes it; the perplexity is its exponential (not the
    mean of the per-row exponentials).

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N,) int64) -> Tensor`` of shape ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [
        Case(name, (x, t), F.cross_entropy(x, t).exp()) for name, x, t in classification_inputs()
    ]
    zeros = torch.zeros(5, 8)
    cases.append(
        Case(
            "uniform predictions over 8 classes",
            (zeros, randint(8, 5, seed=101)),
            torch.tensor(8.0),
        )
    )
    return run_cases("perplexity", fn, cases)


def _kl_rows(target: Tensor, logits: Tensor) -> Tensor:
    return F.kl_div(logits.log_softmax(dim=1), target, reduction="none").sum(dim=1)


def _distribution_inputs() -> list[tuple[str, Tensor, Tensor]]:
    """(name, target (N, C), logits (N, C)) for the KL checkers."""
    one_hot = F.one_hot(torch.tensor([2, 0, 1]), 4).float()
    smooth = 0.9 * one_hot + 0.1 / 4
    return [
        ("random targets and logits", randn(4, 10, seed=110).softmax(1), randn(4, 10, seed=111)),
        ("one-hot targets", one_hot, randn(3, 4, seed=112)),
        ("smoothed targets", smooth, randn(3, 4, seed=113)),
        (
            "target equal to the model (KL = 0)",
            randn(2, 5, seed=114).softmax(1),
            randn(2, 5, seed=114),
        ),
        ("logits of magnitude 100", torch.full((2, 3), 1 / 3), 100 * randn(2, 3, seed=115)),
        (
            "float64",
            randn(3, 6, seed=116, dtype=torch.float64).softmax(1),
            randn(3, 6, seed=117, dtype=torch.float64),
        ),
    ]


def check_kl_per_row(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(target, logits)``: :math:`\mathrm{KL}(t \,\Vert\, p)` of each row.

    The expected result is :math:`H(t, p) - H(t)` per row, with :math:`p =
    \operatorname{softmax}(z)` and :math:`0 \log 0 = 0` in :math:`H(t)`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(target (N, C) probabilities, logits (N, C)) -> Tensor (N,)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (t, z), _kl_rows(t, z)) for n, t, z in _distribution_inputs()]
    return run_cases("KL per row", fn, cases)


def check_mean_kl(fn: Callable[[Tensor, Tensor], Tensor]) -> CheckReport:
    r"""Check ``fn(logits, target)``: the mean over rows of :math:`\mathrm{KL}(t \,\Vert\, p)`.

    The expected result is :math:`\frac{1}{N} \sum_n \mathrm{KL}(t^{(n)} \,\Vert\,
    \operatorname{softmax}(z^{(n)}))`, what ``F.kl_div`` returns with the right input, argument
    order and reduction.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N, C) probabilities) -> Tensor`` of shape
        ``()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    cases = [Case(n, (z, t), _kl_rows(t, z).mean()) for n, t, z in _distribution_inputs()]
    return run_cases("mean KL", fn, cases)
