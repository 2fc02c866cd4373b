"""Checkers for the exercises of Chapter 8 (predictions and calibrated probabilities)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode import calibration
from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases
from cecode.exercises._named_checks import run_checks

__all__ = [
    "check_expected_calibration_error",
    "check_fit_temperature",
    "check_topk_accuracy",
]


def _probs(n: int, c: int, seed: int, scale: float = 2.0) -> Tensor:
    return (scale * randn(n, c, seed=seed, dtype=torch.float64)).softmax(dim=1)


def check_expected_calibration_error(
    fn: Callable[[Tensor, Tensor, int], Tensor | float],
) -> CheckReport:
    r"""Check ``fn(probs, target, n_bins)``, the ECE with ``n_bins`` equal-width bins.

    The expected value is :func:`cecode.calibration.expected_calibration_error`: bin ``b``
    holds the predictions whose confidence :math:`\max_j p_j` lies in
    :math:`(b / M, (b + 1) / M]`, and the ECE is
    :math:`\sum_b \frac{|B_b|}{N} |\operatorname{acc}(B_b) - \operatorname{conf}(B_b)|`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(probs (N, C), target (N,) int64, n_bins: int) -> float`` (or a
        0-d tensor).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    # Confidences 0.5, 0.375, 0.75, 0.625 (exact in binary) with 4 bins: the bins are
    # (0, 0.25], (0.25, 0.5], ...; closed on the right, so 0.5 and 0.75 share bins with the
    # smaller confidences.
    edges = torch.tensor(
        [[0.5, 0.25, 0.25], [0.375, 0.3125, 0.3125], [0.75, 0.125, 0.125], [0.625, 0.25, 0.125]],
        dtype=torch.float64,
    )
    specs = [
        ("random predictions, 15 bins", _probs(200, 10, seed=50), randint(10, 200, seed=51), 15),
        ("random predictions, 5 bins", _probs(100, 4, seed=52), randint(4, 100, seed=53), 5),
        ("one bin", _probs(50, 3, seed=54), randint(3, 50, seed=55), 1),
        (
            "confident and always right",
            F.one_hot(torch.arange(6) % 3, 3).double() * 0.9 + 0.1 / 3,
            torch.arange(6) % 3,
            10,
        ),
        ("confidences on bin edges, 4 bins", edges, torch.tensor([0, 1, 0, 1]), 4),
    ]
    cases = [
        Case(
            name,
            (p, t, m),
            torch.tensor(calibration.expected_calibration_error(p, t, m), dtype=torch.float64),
        )
        for name, p, t, m in specs
    ]
    return run_cases("expected_calibration_error", fn, cases)


def _temperature_problem(fn: Callable, logits: Tensor, target: Tensor) -> str | None:
    """None if ``fn``'s temperature reaches the minimal NLL (within 1e-4 nats), else why."""
    t = fn(logits.clone(), target.clone())
    t = float(t)
    if not t > 0:
        return f"expected a temperature > 0, got {t:.4f}"
    best = calibration.fit_temperature(logits, target)
    nll = F.cross_entropy(logits.double() / t, target).item()
    nll_best = F.cross_entropy(logits.double() / best, target).item()
    if nll > nll_best + 1e-4:
        return (
            f"T = {t:.4f} gives a cross-entropy of {nll:.4f}, "
            f"but the best temperature reaches {nll_best:.4f}"
        )
    return None


def _calibrated_logits(n: int, c: int, scale: float, seed: int) -> tuple[Tensor, Tensor]:
    """Logits whose softmax is the true distribution of the targets, multiplied by ``scale``."""
    logits = 2.0 * randn(n, c, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    target = torch.multinomial(logits.softmax(dim=1), 1, generator=g).squeeze(1)
    return scale * logits, target


def check_fit_temperature(fn: Callable[[Tensor, Tensor], float]) -> CheckReport:
    """Check ``fn(logits, target)``: the temperature that minimizes the validation NLL.

    The temperature you return passes if the cross-entropy of ``logits / T`` is within
    ``1e-4`` nats of the smallest one (found by :func:`cecode.calibration.fit_temperature`).
    Any method is fine: a grid, gradient descent on ``log T``, L-BFGS.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N,) int64) -> float`` with ``T > 0``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("overconfident logits (3 times too large)", 500, 10, 3.0, 60),
        ("underconfident logits (half as large as they should be)", 500, 10, 0.5, 62),
        ("calibrated logits", 500, 5, 1.0, 64),
        ("two classes, overconfident", 300, 2, 4.0, 66),
    ]
    checks = []
    for name, n, c, scale, seed in specs:
        logits, target = _calibrated_logits(n, c, scale, seed)
        checks.append((name, lambda f, z=logits, t=target: _temperature_problem(f, z, t)))
    return run_checks("fit_temperature", fn, checks)


def _topk(logits: Tensor, target: Tensor, k: int) -> Tensor:
    hits = (logits.topk(k, dim=1).indices == target.unsqueeze(1)).any(dim=1)
    return hits.double().mean()


def check_topk_accuracy(fn: Callable[[Tensor, Tensor, int], Tensor | float]) -> CheckReport:
    """Check ``fn(logits, target, k)``: the fraction of rows whose target is among the top k.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target (N,) int64, k: int) -> float`` (or a 0-d
        tensor), computed from the logits (no softmax is needed).

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    big = torch.tensor([[1000.0, -1000.0, 999.0], [-1000.0, 998.0, 1000.0]])
    specs = [
        ("top-1 of random logits", randn(50, 10, seed=70), randint(10, 50, seed=71), 1),
        ("top-3 of random logits", randn(50, 10, seed=72), randint(10, 50, seed=73), 3),
        ("k equal to the number of classes", randn(8, 4, seed=74), randint(4, 8, seed=75), 4),
        ("logits of magnitude 1000, top-2", big, torch.tensor([2, 0]), 2),
        ("a batch of one", randn(1, 6, seed=76), torch.tensor([5]), 2),
    ]
    cases = [Case(name, (z, t, k), _topk(z, t, k)) for name, z, t, k in specs]
    return run_cases("topk_accuracy", fn, cases)
