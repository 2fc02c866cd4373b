"""Checkers for the exercises of Chapter 7 (what ``model.parameters()`` gives the optimizer)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from cecode.exercises._checking import CheckReport
from cecode.exercises._named_checks import run_checks

__all__ = [
    "check_count_parameters",
    "check_freeze_batchnorm",
    "check_weight_decay_groups",
]


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers ``sizes[0] -> sizes[1] -> ...`` on the meta device (no memory, no init)."""
    layers = [nn.Linear(a, b, device="meta") for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return nn.Sequential(*layers)


def _count_problem(fn: Callable, sizes: list[int], expected: int) -> str | None:
    got = fn(list(sizes))
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)) or got != int(got):
        return f"expected a whole number, got {got!r}"
    if int(got) != expected:
        return f"got {int(got):,}, expected {expected:,}"
    return None


def check_count_parameters(fn: Callable[[list[int]], int]) -> CheckReport:
    r"""Check ``fn(sizes)``: the number of parameters of a stack of ``nn.Linear`` layers.

    ``sizes = [n_0, n_1, ..., n_k]`` describes ``Linear(n_0, n_1)``, ..., ``Linear(n_{k-1},
    n_k)``, each with a bias, so the answer is :math:`\sum_i (n_{i-1} n_i + n_i)`. The
    expected numbers are counted by PyTorch (``sum(p.numel() for p in model.parameters())``)
    and compared exactly.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(sizes: list[int]) -> int``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which cases failed and how.
    """
    specs = [
        ("the 784-128-10 MLP", [784, 128, 10]),
        ("a 784-256-128-10 network", [784, 256, 128, 10]),
        ("one layer 3 -> 1", [3, 1]),
        ("five layers 10 -> 10", [10] * 6),
        ("a wide layer 1000 -> 5000 -> 2", [1000, 5000, 2]),
    ]
    checks = []
    for name, sizes in specs:
        count = sum(p.numel() for p in _mlp(sizes).parameters())
        checks.append((name, lambda f, s=sizes, c=count: _count_problem(f, s, c)))
    return run_checks("count_parameters", fn, checks)


def _decay_models() -> list[tuple[str, nn.Module]]:
    with torch.device("meta"):  # shapes only: no memory, no random initialization
        return _decay_models_meta()


def _decay_models_meta() -> list[tuple[str, nn.Module]]:
    return [
        ("a 784-128-10 MLP", nn.Sequential(nn.Flatten(), _real_mlp([784, 128, 10]))),
        (
            "Linear, BatchNorm1d, Linear",
            nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)),
        ),
        (
            "Embedding, LayerNorm, Linear without bias",
            nn.Sequential(nn.Embedding(20, 8), nn.LayerNorm(8), nn.Linear(8, 20, bias=False)),
        ),
        (
            "Conv2d, BatchNorm2d, Linear",
            nn.Sequential(
                nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 10)
            ),
        ),
    ]


def _real_mlp(sizes: list[int]) -> nn.Sequential:
    return nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)])


def _groups_problem(groups: object, model: nn.Module, weight_decay: float) -> str | None:
    """None if ``groups`` are the two weight-decay groups of ``model``, else the problem."""
    if not isinstance(groups, (list, tuple)) or len(groups) != 2:
        return "expected a list of two dicts (parameter groups)"
    if not all(isinstance(g, dict) and "params" in g for g in groups):
        return "expected each group to be a dict with a 'params' entry"
    decay = [g for g in groups if g.get("weight_decay") == weight_decay]
    no_decay = [g for g in groups if g.get("weight_decay") == 0.0]
    if len(decay) != 1 or len(no_decay) != 1:
        return f"expected one group with weight_decay={weight_decay} and one with 0.0"
    names = {id(p): n for n, p in model.named_parameters()}
    seen = [id(p) for g in groups for p in g["params"]]
    if sorted(seen) != sorted(names):
        return "expected every parameter in exactly one group"
    got = {names[id(p)] for p in decay[0]["params"]}
    expected = {n for n, p in model.named_parameters() if p.ndim >= 2}
    if got != expected:
        return f"decayed {sorted(got)}, expected {sorted(expected)} (the tensors with ndim >= 2)"
    torch.optim.AdamW(groups, lr=1e-3)  # raises if the optimizer rejects them
    return None


def check_weight_decay_groups(fn: Callable[[nn.Module, float], list]) -> CheckReport:
    """Check ``fn(model, weight_decay)``: parameter groups that decay only the weight tensors.

    The expected result is two groups, ``{"params": [...], "weight_decay": weight_decay}``
    with every parameter of two or more dimensions (weight matrices, convolution kernels,
    embeddings) and ``{"params": [...], "weight_decay": 0.0}`` with the others (biases, the
    scale and shift of normalization layers); every parameter in exactly one of them, and
    ``torch.optim.AdamW`` accepts them.

    Parameters
    ----------
    fn : callable
        Your function, ``fn(model: nn.Module, weight_decay: float) -> list[dict]``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which models failed and how.
    """
    checks = [
        (name, lambda f, m=model: _groups_problem(f(m, 0.05), m, 0.05))
        for name, model in _decay_models()
    ]
    return run_checks("weight_decay_groups", fn, checks)


_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _bn_models() -> list[tuple[str, nn.Module, torch.Tensor]]:
    with torch.random.fork_rng(devices=[]):  # leave the reader's random state alone
        torch.manual_seed(0)
        return _bn_models_seeded()


def _bn_models_seeded() -> list[tuple[str, nn.Module, torch.Tensor]]:
    return [
        (
            "Linear, BatchNorm1d, Dropout, Linear",
            nn.Sequential(
                nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)
            ),
            torch.randn(16, 6),
        ),
        (
            "Conv2d, BatchNorm2d, Linear",
            nn.Sequential(
                nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4 * 4, 5)
            ),
            torch.randn(8, 1, 6, 6),
        ),
        (
            "a model without BatchNorm (nothing to freeze)",
            nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.1), nn.Linear(6, 2)),
            torch.randn(5, 4),
        ),
        (
            "two BatchNorm1d layers",
            nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.Linear(6, 6), nn.BatchNorm1d(6)),
            torch.randn(10, 5),
        ),
    ]


def _freeze_problem(fn: Callable, model: nn.Module, x: torch.Tensor) -> str | None:
    """Run ``fn(model)`` on a model in training mode, then one forward pass; check the result."""
    model.train()
    fn(model)
    is_bn = [isinstance(m, _BATCHNORMS) for m in model.modules()]
    bn = [m for m, b in zip(model.modules(), is_bn, strict=True) if b]
    other = [m for m, b in zip(model.modules(), is_bn, strict=True) if not b]
    if any(p.requires_grad for m in bn for p in m.parameters()):
        return "a BatchNorm parameter still requires grad"
    if not all(p.requires_grad for m in other for p in m.parameters(recurse=False)):
        return "a parameter outside the BatchNorm layers was frozen"
    if any(m.training for m in bn):
        return "a BatchNorm layer is still in training mode (its statistics keep moving)"
    if not all(m.training for m in other):
        return "a layer outside the BatchNorm layers left training mode (e.g. Dropout)"
    before = [b.clone() for m in bn for b in m.buffers()]
    model(x)
    after = list(b for m in bn for b in m.buffers())
    if not all(torch.equal(a, b) for a, b in zip(before, after, strict=True)):
        return "a forward pass changed the running statistics"
    return None


def check_freeze_batchnorm(fn: Callable[[nn.Module], None]) -> CheckReport:
    """Check ``fn(model)``: freeze every BatchNorm layer of ``model`` completely, in place.

    After ``fn(model)`` on a model in training mode, the parameters of the BatchNorm layers no
    longer require gradients, the BatchNorm layers are in evaluation mode, so that a forward
    pass leaves their running statistics (buffers) unchanged, and every other layer still
    trains (parameters require gradients, ``Dropout`` still in training mode).

    Parameters
    ----------
    fn : callable
        Your function, ``fn(model: nn.Module) -> None``.

    Returns
    -------
    CheckReport
        ``print(report)`` says which models failed and how.
    """
    checks = [
        (name, lambda f, m=model, x=x: _freeze_problem(f, m, x)) for name, model, x in _bn_models()
    ]
    return run_checks("freeze_batchnorm", fn, checks)
