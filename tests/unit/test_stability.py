"""cecode.stability: the z-loss and logit soft-capping against their formulas and PyTorch."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cecode import stability


def test_log_partition_is_logsumexp():
    logits = torch.randn(4, 7, dtype=torch.float64) * 50
    torch.testing.assert_close(stability.log_partition(logits), torch.logsumexp(logits, 1))


def test_z_loss_values_and_reductions():
    logits = torch.randn(5, 6, dtype=torch.float64) + 3.0
    target = torch.tensor([0, 5, -100, 2, -100])
    log_z = torch.logsumexp(logits, 1)
    counted = target != -100
    per_row = 1e-4 * log_z**2 * counted
    none = stability.z_loss(logits, target, reduction="none")
    torch.testing.assert_close(none, per_row)
    assert none[2] == 0 and none[4] == 0
    torch.testing.assert_close(stability.z_loss(logits, target, reduction="sum"), per_row.sum())
    torch.testing.assert_close(stability.z_loss(logits, target), per_row.sum() / 3)
    all_rows = stability.z_loss(logits, coefficient=0.5)
    torch.testing.assert_close(all_rows, 0.5 * (log_z**2).mean())
    assert stability.z_loss(logits, coefficient=0.0) == 0


def test_z_loss_is_zero_after_the_shift_that_leaves_probabilities_unchanged():
    logits = torch.randn(8, 10, dtype=torch.float64) * 4 + 7
    shifted = logits - torch.logsumexp(logits, 1, keepdim=True)
    torch.testing.assert_close(F.softmax(shifted, 1), F.softmax(logits, 1))
    assert stability.z_loss(shifted, coefficient=1.0) < 1e-20
    assert stability.z_loss(logits) > 0


def test_z_loss_gradient_is_two_alpha_log_z_times_softmax():
    logits = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    stability.z_loss(logits, coefficient=0.1, reduction="sum").backward()
    log_z = torch.logsumexp(logits, 1, keepdim=True)
    expected = 2 * 0.1 * log_z * F.softmax(logits, 1)
    torch.testing.assert_close(logits.grad, expected.detach())
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: stability.z_loss(z, coefficient=0.3), (x,))


def test_soft_cap_bound_small_values_and_gradient():
    z = torch.linspace(-1e4, 1e4, 20_001, dtype=torch.float64)
    capped = stability.soft_cap(z, 30.0)
    assert capped.abs().max() <= 30.0
    assert capped.abs().max() > 29.999  # the bound is reached in floating point
    small = torch.tensor([0.0, 0.1, -0.3])
    torch.testing.assert_close(stability.soft_cap(small, 30.0), small, atol=1e-4, rtol=0)
    x = torch.randn(6, dtype=torch.float64, requires_grad=True) * 40
    x = x.detach().requires_grad_()
    stability.soft_cap(x, 30.0).sum().backward()
    torch.testing.assert_close(x.grad, 1 - torch.tanh(x.detach() / 30) ** 2)
    assert torch.autograd.gradcheck(lambda t: stability.soft_cap(t, 5.0), (x,))
    assert stability.soft_cap(torch.ones(2, dtype=torch.bfloat16), 30.0).dtype == torch.bfloat16


def test_soft_capped_loss_is_bounded():
    V, cap = 7, 10.0
    logits = torch.zeros(1, V)
    logits[0, 1] = 1e6
    loss = F.cross_entropy(stability.soft_cap(logits, cap), torch.tensor([0]))
    assert loss <= 2 * cap + math.log(V)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: stability.z_loss(torch.randn(3)), ValueError, "logits"),
        (lambda: stability.z_loss(torch.zeros(2, 3, dtype=torch.long)), TypeError, "logits"),
        (lambda: stability.z_loss(torch.randn(2, 3), torch.tensor([0, 3])), ValueError, "target"),
        (lambda: stability.z_loss(torch.randn(2, 3), reduction="avg"), ValueError, "reduction"),
        (lambda: stability.z_loss(torch.randn(0, 3)), ValueError, "logits"),
        (lambda: stability.soft_cap(torch.randn(3), -1.0), ValueError, "cap"),
        (lambda: stability.soft_cap([1.0], 3.0), TypeError, "logits"),
    ],
)
def test_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()
