"""Checkers for the exercises of Chapter 12 (soft targets and contrastive losses)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from cecode import contrastive, distillation
from cecode.exercises._checking import Case, CheckReport, randint, randn, run_cases

__all__ = [
    "check_clip_loss",
    "check_distillation_loss",
    "check_info_nce",
    "check_mixup_loss",
]


def _mixup(logits: Tensor, target_a: Tensor, target_b: Tensor, lam: float) -> Tensor:
    c = logits.shape[1]
    mixed = lam * F.one_hot(target_a, c) + (1 - lam) * F.one_hot(target_b, c)
    return F.cross_entropy(logits, mixed.to(logits.dtype))


def check_mixup_loss(fn: Callable[[Tensor, Tensor, Tensor, float], Tensor]) -> CheckReport:
    r"""Check ``fn(logits, target_a, target_b, lam)``, the mean cross-entropy of mixup.

    The expected result is the mean cross-entropy with the mixed targets
    :math:`\lambda e_{a} + (1 - \lambda) e_{b}` (equal, by linearity, to
    :math:`\lambda\, \mathrm{CE}(z, a) + (1 - \lambda)\, \mathrm{CE}(z, b)`).

    Parameters
    ----------
    fn : callable
        Your function, ``fn(logits (N, C), target_a (N,), target_b (N,), lam) -> ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("lam = 0.7", randn(6, 10, seed=200), randint(10, 6, seed=201), randint(10, 6, seed=202), 0.7),
        ("lam = 1 (only target_a)", randn(4, 5, seed=203), randint(5, 4, seed=204), randint(5, 4, seed=205), 1.0),
        ("lam = 0 (only target_b)", randn(4, 5, seed=206), randint(5, 4, seed=207), randint(5, 4, seed=208), 0.0),
        ("equal targets", randn(3, 4, seed=209), torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2]), 0.3),
        ("logits of magnitude 100", 100 * randn(5, 3, seed=210), randint(3, 5, seed=211), randint(3, 5, seed=212), 0.4),
        ("float64", randn(5, 7, seed=213, dtype=torch.float64), randint(7, 5, seed=214), randint(7, 5, seed=215), 0.25),
    ]  # fmt: skip
    cases = [Case(n, (z, a, b, lam), _mixup(z, a, b, lam)) for n, z, a, b, lam in specs]
    return run_cases("mixup_loss", fn, cases)


def check_distillation_loss(
    fn: Callable[[Tensor, Tensor, Tensor, float, float], Tensor],
) -> CheckReport:
    r"""Check ``fn(student_logits, teacher_logits, target, temperature, alpha)``.

    The expected result is Hinton's distillation loss
    :math:`\alpha T^2 \, \mathrm{KL}(\operatorname{softmax}(v / T) \,\Vert\,
    \operatorname{softmax}(z / T)) + (1 - \alpha)\, \mathrm{CE}(z, y)`, the KL divergence
    averaged over the rows (``"batchmean"``), as :func:`cecode.distillation.distillation_loss`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(student (N, C), teacher (N, C), target (N,), T, alpha) -> ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("T = 4, alpha = 0.9", 3 * randn(6, 10, seed=220), 3 * randn(6, 10, seed=221), randint(10, 6, seed=222), 4.0, 0.9),
        ("T = 1, alpha = 0.5", randn(5, 10, seed=223), randn(5, 10, seed=224), randint(10, 5, seed=225), 1.0, 0.5),
        ("alpha = 1 (soft term only), T = 2", randn(4, 6, seed=226), randn(4, 6, seed=227), randint(6, 4, seed=228), 2.0, 1.0),
        ("alpha = 0 (cross-entropy only)", randn(4, 6, seed=229), randn(4, 6, seed=230), randint(6, 4, seed=231), 3.0, 0.0),
        ("T = 10, confident teacher", randn(8, 10, seed=232), 20 * randn(8, 10, seed=233), randint(10, 8, seed=234), 10.0, 0.7),
        ("float64", randn(3, 4, seed=235, dtype=torch.float64), randn(3, 4, seed=236, dtype=torch.float64), randint(4, 3, seed=237), 4.0, 0.9),
    ]  # fmt: skip
    cases = [
        Case(n, (z, v, y, t, a), distillation.distillation_loss(z, v, y, t, a))
        for n, z, v, y, t, a in specs
    ]
    return run_cases("distillation_loss", fn, cases)


def check_info_nce(fn: Callable[[Tensor, Tensor, float], Tensor]) -> CheckReport:
    r"""Check ``fn(query, key, temperature)``, the InfoNCE loss of a batch of pairs.

    The expected result is the mean cross-entropy of the rows of
    :math:`Z_{nm} = \hat q_n \cdot \hat k_m / T` (rows normalized to unit length) with the
    targets ``arange(N)``, as :func:`cecode.contrastive.info_nce`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(query (N, d), key (N, d), temperature) -> ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    q = randn(8, 5, seed=240)
    lengths = torch.tensor([0.1, 1.0, 10.0, 3.0, 0.5, 2.0, 7.0, 1.5])[:, None]
    specs = [
        ("8 pairs, T = 0.1", q, q + 0.3 * randn(8, 5, seed=241), 0.1),
        ("T = 1", randn(6, 4, seed=242), randn(6, 4, seed=243), 1.0),
        ("rows of different lengths (normalize them)", q * lengths, q + 0.3 * randn(8, 5, seed=244), 0.5),
        ("identical embeddings everywhere (log N)", torch.ones(5, 3), torch.ones(5, 3), 0.07),
        ("one pair", randn(1, 4, seed=245), randn(1, 4, seed=246), 0.2),
        ("float64", randn(4, 6, seed=247, dtype=torch.float64), randn(4, 6, seed=248, dtype=torch.float64), 0.3),
    ]  # fmt: skip
    cases = [Case(n, (a, b, t), contrastive.info_nce(a, b, t)) for n, a, b, t in specs]
    return run_cases("info_nce", fn, cases)


def check_clip_loss(fn: Callable[[Tensor, Tensor, float], Tensor]) -> CheckReport:
    r"""Check ``fn(image_features, text_features, logit_scale)``, CLIP's symmetric loss.

    ``logit_scale`` is :math:`\theta`, the *log* of the scale; the scale used is
    :math:`\min(e^\theta, 100)`. The expected result is the mean of the cross-entropy over the
    rows and over the columns of :math:`s\, \hat A \hat B^\top` with targets ``arange(N)``, as
    :func:`cecode.contrastive.clip_loss`.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(image_features (N, d), text_features (N, d), logit_scale) -> ()``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    a = randn(6, 4, seed=250)
    specs = [
        ("CLIP's initial scale 1 / 0.07", a, a + 0.5 * randn(6, 4, seed=251), math.log(1 / 0.07)),
        ("scale 1", randn(5, 3, seed=252), randn(5, 3, seed=253), 0.0),
        ("asymmetric: one image close to every text", torch.tensor([[1.0, 0.0], [1.0, 0.1], [1.0, -0.1]]), torch.tensor([[1.0, 0.05], [0.0, 1.0], [0.0, -1.0]]), 1.0),
        ("logit_scale log 1000: capped at 100", a, a + 0.5 * randn(6, 4, seed=254), math.log(1000.0)),
        ("float64", randn(4, 5, seed=255, dtype=torch.float64), randn(4, 5, seed=256, dtype=torch.float64), 2.0),
    ]  # fmt: skip
    cases = [Case(n, (x, y, s), contrastive.clip_loss(x, y, s)) for n, x, y, s in specs]
    return run_cases("clip_loss", fn, cases)
