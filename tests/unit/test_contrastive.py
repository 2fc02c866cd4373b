"""cecode.contrastive: InfoNCE and CLIP's loss against cross-entropy and a direct sum over pairs."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cecode import contrastive as cc

F64 = torch.float64


def _pair(n=6, d=5, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, d, generator=g, dtype=dtype)
    b = a + 0.5 * torch.randn(n, d, generator=g, dtype=dtype)
    return a, b


def _direct_sum(q, k, temperature):
    """Mean over n of -s_nn / T + log sum_m exp(s_nm / T), with explicit loops over pairs."""
    n = len(q)
    total = 0.0
    for i in range(n):
        qi = q[i] / q[i].norm()
        sims = [torch.dot(qi, k[m] / k[m].norm()) / temperature for m in range(n)]
        total = total - sims[i] + torch.log(sum(torch.exp(s) for s in sims))
    return total / n


@pytest.mark.parametrize("temperature", [0.05, 0.1, 1.0, 3.0])
def test_info_nce_is_cross_entropy_over_the_similarity_rows(temperature):
    q, k = _pair()
    logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).T / temperature
    expected = F.cross_entropy(logits, torch.arange(len(q)))
    assert_close(cc.info_nce(q, k, temperature), expected)
    assert_close(cc.info_nce(q, k, temperature), _direct_sum(q, k, temperature))


def test_info_nce_gradients_match_the_direct_sum_and_gradcheck():
    q, k = _pair(5, 4, seed=1)
    q1, k1 = q.clone().requires_grad_(), k.clone().requires_grad_()
    q2, k2 = q.clone().requires_grad_(), k.clone().requires_grad_()
    g1 = torch.autograd.grad(cc.info_nce(q1, k1, 0.2), (q1, k1))
    g2 = torch.autograd.grad(_direct_sum(q2, k2, 0.2), (q2, k2))
    for a, b in zip(g1, g2, strict=True):
        assert_close(a, b)
    assert torch.autograd.gradcheck(lambda a, b: cc.info_nce(a, b, 0.3), (q1, k1))


def test_info_nce_reduction_and_learnable_temperature():
    q, k = _pair(7, 3, seed=2)
    rows = cc.info_nce(q, k, 0.5, reduction="none")
    assert rows.shape == (7,)
    assert_close(rows.mean(), cc.info_nce(q, k, 0.5))
    assert_close(rows.sum(), cc.info_nce(q, k, 0.5, reduction="sum"))
    t = torch.tensor(0.5, dtype=F64, requires_grad=True)
    (grad,) = torch.autograd.grad(cc.info_nce(q, k, t), t)
    assert torch.isfinite(grad) and grad != 0


def test_info_nce_is_log_n_when_nothing_is_distinguished():
    for n in [1, 2, 16, 1000]:
        same = torch.ones(n, 8, dtype=F64)
        assert_close(cc.info_nce(same, same, 0.07), torch.tensor(math.log(n), dtype=F64))


def test_info_nce_of_random_embeddings_is_about_log_n():
    g = torch.Generator().manual_seed(3)
    n, d = 512, 256
    a, b = torch.randn(n, d, generator=g, dtype=F64), torch.randn(n, d, generator=g, dtype=F64)
    # cosines of random unit vectors have variance 1/d: log N + 1 / (2 d T^2) in expectation
    loss = cc.info_nce(a, b, 1.0).item()
    assert abs(loss - (math.log(n) + 1 / (2 * d))) < 0.01


def test_clip_loss_is_the_mean_of_row_and_column_cross_entropy():
    a, b = _pair(6, 4, seed=4)
    theta = math.log(1 / 0.07)
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / 0.07
    target = torch.arange(6)
    expected = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
    assert_close(cc.clip_loss(a, b, theta), expected)
    both = (cc.info_nce(a, b, 0.07) + cc.info_nce(b, a, 0.07)) / 2
    assert_close(cc.clip_loss(a, b, theta), both)
    assert_close(cc.clip_loss(a, b, theta), cc.clip_loss(b, a, theta))  # symmetric
    assert_close(cc.clip_loss(a, b), expected)  # CLIP's initial scale is the default


def test_clip_loss_gradients_and_the_clamp_at_100():
    a, b = _pair(5, 3, seed=5)
    a.requires_grad_()
    theta = torch.tensor(math.log(10.0), dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, s: cc.clip_loss(x, b, s), (a, theta))
    above = torch.tensor(math.log(1000.0), dtype=F64, requires_grad=True)
    capped = cc.clip_loss(a, b, above)
    assert_close(capped, cc.clip_loss(a, b, math.log(100.0)))
    assert_close(cc.clip_loss(a, b, 50.0), cc.clip_loss(a, b, math.log(100.0)))
    (grad,) = torch.autograd.grad(capped, above)
    assert grad == 0  # above the cap the scale gets no gradient
    assert cc.CLIP_MAX_LOGIT_SCALE == 100.0
    assert math.isclose(math.exp(cc.CLIP_INIT_LOGIT_SCALE), 1 / 0.07)


def test_similarity_logits():
    a, b = _pair(4, 3, seed=6)
    z = cc.similarity_logits(a, b, 2.0)
    assert z.shape == (4, 4)
    assert_close(z[1, 2], 2 * F.cosine_similarity(a[1], b[2], dim=0))


def test_float32_agrees_with_float64():
    a, b = _pair(8, 6, seed=7)
    assert_close(
        cc.info_nce(a.float(), b.float(), 0.1).double(),
        cc.info_nce(a, b, 0.1),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda a, b: cc.info_nce(a.tolist(), b), TypeError, "query"),
        (lambda a, b: cc.info_nce(a, b.long()), TypeError, "key"),
        (lambda a, b: cc.info_nce(a, b[:3]), ValueError, "key"),
        (lambda a, b: cc.info_nce(a[0], b[0]), ValueError, "query"),
        (lambda a, b: cc.info_nce(a, b, 0.0), ValueError, "temperature"),
        (lambda a, b: cc.info_nce(a, b, "hot"), TypeError, "temperature"),
        (lambda a, b: cc.info_nce(a, b, torch.ones(2)), ValueError, "temperature"),
        (lambda a, b: cc.info_nce(a, b, reduction="avg"), ValueError, "reduction"),
        (lambda a, b: cc.clip_loss(a, b, math.nan), ValueError, "logit_scale"),
        (lambda a, b: cc.clip_loss(a, b, torch.ones(2)), ValueError, "logit_scale"),
        (lambda a, b: cc.clip_loss(a, b, "big"), TypeError, "logit_scale"),
        (lambda a, b: cc.clip_loss(a, b, 1.0, max_scale=0.0), ValueError, "max_scale"),
        (lambda a, b: cc.clip_loss(a, b[:, :2]), ValueError, "text_features"),
        (lambda a, b: cc.similarity_logits(a, b, -1.0), ValueError, "scale"),
    ],
)
def test_bad_arguments(call, error, name):
    a, b = _pair(4, 3)
    with pytest.raises(error, match=rf"^{name}:"):
        call(a, b)
