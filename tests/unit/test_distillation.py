"""cecode.distillation: the loss against its formula, and the T^2 scaling of its gradient."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cecode import distillation as cd

F64 = torch.float64


def _logits(n=6, c=10, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    student = scale * torch.randn(n, c, generator=g, dtype=F64)
    teacher = scale * torch.randn(n, c, generator=g, dtype=F64)
    target = torch.randint(0, c, (n,), generator=g)
    return student, teacher, target


@pytest.mark.parametrize(("temperature", "alpha"), [(1.0, 0.5), (4.0, 0.9), (2.5, 1.0), (3.0, 0.0)])
def test_matches_the_formula(temperature, alpha):
    z, v, y = _logits()
    t = (v / temperature).softmax(1)
    log_p = (z / temperature).log_softmax(1)
    kl = (t * (t.log() - log_p)).sum(1).mean()  # KL(t || p) per row, averaged
    expected = alpha * temperature**2 * kl + (1 - alpha) * F.cross_entropy(z, y)
    assert_close(cd.distillation_loss(z, v, y, temperature, alpha), expected)


def test_alpha_zero_is_cross_entropy_and_the_teacher_gets_no_gradient():
    z, v, y = _logits(seed=1)
    assert_close(cd.distillation_loss(z, v, y, 4.0, 0.0), F.cross_entropy(z, y))
    v.requires_grad_()
    z.requires_grad_()
    loss = cd.distillation_loss(z, v, y, 4.0, 0.7)
    (gz,) = torch.autograd.grad(loss, z)
    assert v.grad is None and torch.isfinite(gz).all()
    assert torch.autograd.gradcheck(
        lambda s: cd.distillation_loss(s, v.detach(), y, 2.0, 0.6), (z,)
    )


def test_soft_gradient_is_p_minus_t_over_t():
    z, v, y = _logits(seed=2)
    z.requires_grad_()
    T = 3.0
    (g,) = torch.autograd.grad(cd.distillation_loss(z, v, y, T, 1.0) / T**2, z)
    expected = ((z / T).softmax(1) - (v / T).softmax(1)) / T / len(z)
    assert_close(g, expected.detach())


def test_t_squared_keeps_the_soft_gradient_constant_for_large_t():
    z, v, y = _logits(seed=3, scale=1.0)
    z = z - z.mean(1, keepdim=True)  # zero-mean logits, as the approximation assumes
    v = v - v.mean(1, keepdim=True)
    z.requires_grad_()
    scaled = []
    for T in [4.0, 8.0, 16.0, 32.0, 64.0]:
        (g,) = torch.autograd.grad(cd.distillation_loss(z, v, y, T, 1.0), z)
        scaled.append(g)
        (raw,) = torch.autograd.grad(cd.distillation_loss(z, v, y, T, 1.0) / T**2, z)
        assert_close(raw * T**2, g)
    limit = (z - v).detach() / (z.shape[1] * len(z))  # (z - v) / (C N)
    for g in scaled[2:]:  # T >= 16: within a few percent of the limit
        assert (g - limit).norm() < 0.05 * limit.norm()
    assert (scaled[-1] - limit).norm() < (scaled[0] - limit).norm()
    norms = torch.stack([g.norm() for g in scaled])
    assert norms.max() / norms.min() < 1.2  # about constant with T^2 ...
    unscaled = torch.stack(
        [g.norm() / T**2 for g, T in zip(scaled, [4, 8, 16, 32, 64], strict=True)]
    )
    assert unscaled[0] / unscaled[-1] > 200  # ... and falls as 1 / T^2 without it


def test_soft_targets():
    _, v, _ = _logits(seed=4)
    assert_close(cd.soft_targets(v, 4.0), (v / 4).softmax(1))
    assert_close(cd.soft_targets(v).sum(1), torch.ones(6, dtype=F64))
    flat = cd.soft_targets(v, 100.0)
    assert flat.max() < cd.soft_targets(v, 1.0).max()


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"student_logits": [[1.0]]}, TypeError, "student_logits"),
        ({"teacher_logits": torch.zeros(6, 9, dtype=F64)}, ValueError, "teacher_logits"),
        ({"teacher_logits": torch.zeros(6, 10, dtype=torch.long)}, TypeError, "teacher_logits"),
        ({"target": torch.full((6,), 10)}, ValueError, "target"),
        ({"target": torch.zeros(6)}, TypeError, "target"),
        ({"temperature": 0.0}, ValueError, "temperature"),
        ({"temperature": "4"}, TypeError, "temperature"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": None}, TypeError, "alpha"),
    ],
)
def test_bad_arguments(kwargs, error, name):
    z, v, y = _logits()
    args = {"student_logits": z, "teacher_logits": v, "target": y, **kwargs}
    with pytest.raises(error, match=rf"^{name}:"):
        cd.distillation_loss(**args)
    with pytest.raises(ValueError, match="^temperature:"):
        cd.soft_targets(v, -1.0)
