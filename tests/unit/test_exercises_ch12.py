"""Chapter 12's exercise checkers: right answers pass, typical mistakes fail clearly."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cecode.exercises import ch12


def _stub(*args):
    raise NotImplementedError


def _mixup(z, a, b, lam):
    return lam * F.cross_entropy(z, a) + (1 - lam) * F.cross_entropy(z, b)


def _kd(z, v, y, t, alpha):
    soft = F.kl_div((z / t).log_softmax(1), (v / t).softmax(1), reduction="batchmean")
    return alpha * t**2 * soft + (1 - alpha) * F.cross_entropy(z, y)


def _info_nce(q, k, t):
    logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).T / t
    return F.cross_entropy(logits, torch.arange(len(q)))


def _clip(a, b, theta):
    s = min(math.exp(theta), 100.0)
    logits = s * F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    y = torch.arange(len(a))
    return (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2


RIGHT = [
    (ch12.check_mixup_loss, _mixup),
    (ch12.check_distillation_loss, _kd),
    (ch12.check_info_nce, _info_nce),
    (ch12.check_clip_loss, _clip),
]


@pytest.mark.parametrize(("checker", "fn"), RIGHT)
def test_right_answers_pass(checker, fn):
    report = checker(fn)
    assert report.passed, report
    assert str(report) == f"All {report.n_checks} checks passed."


@pytest.mark.parametrize("checker", [c for c, _ in RIGHT])
def test_stub_is_not_implemented(checker):
    report = checker(_stub)
    assert not report.passed and report.not_implemented
    assert str(report).startswith("Not implemented yet")


def test_mixup_with_swapped_lambda_fails_except_where_it_cannot_matter():
    report = ch12.check_mixup_loss(lambda z, a, b, lam: _mixup(z, a, b, 1 - lam))
    assert not report.passed
    assert "equal targets" not in str(report)


def test_distillation_without_t_squared_or_with_mean_reduction_fails():
    def no_t_squared(z, v, y, t, alpha):
        soft = F.kl_div((z / t).log_softmax(1), (v / t).softmax(1), reduction="batchmean")
        return alpha * soft + (1 - alpha) * F.cross_entropy(z, y)

    no_t2 = ch12.check_distillation_loss(no_t_squared)
    assert not no_t2.passed
    assert "T = 1, alpha = 0.5" not in str(no_t2) and "alpha = 0 (" not in str(no_t2)

    def mean_reduction(z, v, y, t, alpha):
        soft = F.kl_div((z / t).log_softmax(1), (v / t).softmax(1), reduction="sum") / z.numel()
        return alpha * t**2 * soft + (1 - alpha) * F.cross_entropy(z, y)

    report = ch12.check_distillation_loss(mean_reduction)
    assert not report.passed and "alpha = 0 (" not in str(report)


def test_info_nce_without_normalization_fails():
    def raw(q, k, t):
        return F.cross_entropy(q @ k.T / t, torch.arange(len(q)))

    report = ch12.check_info_nce(raw)
    assert not report.passed
    assert "rows of different lengths" in str(report)


def test_clip_loss_rows_only_or_without_cap_fails():
    def rows_only(a, b, theta):
        logits = math.exp(theta) * F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
        return F.cross_entropy(logits, torch.arange(len(a)))

    assert "asymmetric" in str(ch12.check_clip_loss(rows_only))

    assert "capped at 100" in str(ch12.check_clip_loss(_clip_uncapped))


def _clip_uncapped(a, b, theta):
    logits = math.exp(theta) * F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    y = torch.arange(len(a))
    return (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2
