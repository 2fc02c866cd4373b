"""Checkers for the exercises of Chapter 9 (cross-entropy at scale)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases
from cecode.exercises._named_checks import run_checks

__all__ = [
    "check_accumulation_losses",
    "check_next_token_loss",
    "check_online_logsumexp",
]


def check_online_logsumexp(fn: Callable[[Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(logits, chunk_size)``: log-sum-exp over the last dimension, chunk by chunk.

    The expected result is ``torch.logsumexp(logits, dim=-1)``, shape ``(N,)`` for logits
    ``(N, V)``. Your function should read at most ``chunk_size`` columns at a time, keeping a
    running maximum and a running sum of exponentials rescaled whenever the maximum grows.
    Cases include logits of magnitude 1000 and a maximum that arrives in the last chunk.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, V), chunk_size: int) -> Tensor (N,)``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    rising = torch.arange(40, dtype=torch.float32).mul(25.0).reshape(2, 20)
    specs = [
        ("random logits, chunks of 4", randn(3, 10, seed=80), 4),
        ("chunks of 1", randn(2, 7, seed=81), 1),
        ("one chunk larger than V", randn(4, 5, seed=82), 16),
        ("logits of magnitude 1000", 1000.0 * randn(3, 12, seed=83).sign(), 5),
        ("a maximum that grows from chunk to chunk (up to 975)", rising, 3),
        ("float64 logits", randn(2, 9, seed=84, dtype=torch.float64), 2),
    ]
    cases = [Case(name, (z, k), torch.logsumexp(z, dim=-1)) for name, z, k in specs]
    return run_cases("online_logsumexp", fn, cases)


def _next_token_reference(logits: Tensor, tokens: Tensor, pad_id: int) -> Tensor:
    labels = tokens[:, 1:].clone()
    labels[labels == pad_id] = -100
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), labels)


def check_next_token_loss(fn: Callable[[Tensor, Tensor, int], Tensor]) -> CheckReport:
    """Check ``fn(logits, tokens, pad_id)``: the mean next-token cross-entropy of a batch.

    ``logits (B, S, V)`` score, at every position ``s``, the token at position ``s + 1`` of
    ``tokens (B, S)``; the last position has nothing to predict, and a position whose next
    token is ``pad_id`` does not count. The expected result is the mean over the counted
    positions, as ``F.cross_entropy`` with ``ignore_index`` computes it.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (B, S, V), tokens (B, S) int64, pad_id: int) -> Tensor ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    padded = randint(9, 3, 8, seed=91) + 1
    padded[1, 5:] = 0
    padded[2, 3:] = 0
    square = randint(4, 2, 5, seed=98) + 1  # S = V = 5
    square[1, 3:] = 0
    other_pad = randint(6, 2, 6, seed=93)
    other_pad[0, 4:] = 6
    specs = [
        ("no padding", randn(2, 6, 7, seed=90), randint(6, 2, 6, seed=95) + 1, 0),
        ("trailing padding (pad_id 0)", randn(3, 8, 10, seed=92), padded, 0),
        ("pad_id 6", randn(2, 6, 7, seed=94), other_pad, 6),
        ("one sequence of two tokens", randn(1, 2, 5, seed=96), torch.tensor([[3, 1]]), 0),
        ("a vocabulary as long as the sequence", randn(2, 5, 5, seed=97), square, 0),
    ]
    cases = [Case(name, (z, t, p), _next_token_reference(z, t, p)) for name, z, t, p in specs]
    return run_cases("next_token_loss", fn, cases)


def _accumulation_problem(fn: Callable, logits: list[Tensor], targets: list[Tensor]) -> str | None:
    """None if ``fn``'s per-micro-batch losses add up to the full-batch mean and its gradient."""
    leaves = [z.clone().requires_grad_() for z in logits]
    losses = fn(leaves, [t.clone() for t in targets])
    if not isinstance(losses, (list, tuple)) or len(losses) != len(logits):
        return f"expected a list of {len(logits)} losses, one per micro-batch"
    total = sum(losses)
    total.backward()
    full = [z.clone().requires_grad_() for z in logits]
    reference = F.cross_entropy(torch.cat(full), torch.cat(targets))
    reference.backward()
    if not torch.allclose(total.detach(), reference.detach(), rtol=1e-5, atol=1e-6):
        return (
            f"the losses add up to {total.item():.4f}, the full-batch mean is "
            f"{reference.item():.4f}"
        )
    for k, (a, b) in enumerate(zip(leaves, full, strict=True)):
        if a.grad is None or not torch.allclose(a.grad, b.grad, rtol=1e-5, atol=1e-7):
            return f"the gradient of micro-batch {k} differs from the full batch's"
    return None


def _micro_batches(sizes: list[int], ignored: list[int], seed: int) -> tuple[list, list]:
    logits = [randn(n, 5, seed=seed + k) for k, n in enumerate(sizes)]
    targets = [randint(5, n, seed=seed + 10 + k) for k, n in enumerate(sizes)]
    for t, n_ignored in zip(targets, ignored, strict=True):
        if n_ignored:
            t[-n_ignored:] = -100
    return logits, targets


def check_accumulation_losses(
    fn: Callable[[list[Tensor], list[Tensor]], list[Tensor]],
) -> CheckReport:
    """Check ``fn(micro_logits, micro_targets)``: one loss per micro-batch for accumulation.

    Calling ``backward()`` on each returned loss (gradients add up) must give the gradient of
    the full batch's mean cross-entropy over its counted tokens (targets ``-100`` do not
    count), and the losses must add up to that mean, also when the micro-batches count
    different numbers of tokens.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(list of logits (n_k, C), list of targets (n_k,)) -> list of
        Tensor ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("two equal micro-batches", [6, 6], [0, 0]),
        ("counts 6 and 2 (ignored targets)", [6, 6], [0, 4]),
        ("three micro-batches of different sizes", [3, 7, 4], [1, 0, 2]),
        ("a micro-batch with no counted token", [5, 4], [0, 4]),
    ]
    checks = []
    for i, (name, sizes, ignored) in enumerate(specs):
        logits, targets = _micro_batches(sizes, ignored, seed=100 + 20 * i)
        checks.append((name, lambda f, z=logits, t=targets: _accumulation_problem(f, z, t)))
    return run_checks("accumulation_losses", fn, checks)
