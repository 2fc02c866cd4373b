"""The exercise checkers of chapters 7 to 9: correct functions pass, typical mistakes fail."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cecode import calibration
from cecode.exercises import ch07, ch08, ch09


def _stub(*args):
    raise NotImplementedError


# --- chapter 7 -------------------------------------------------------------------------


def _count(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def _groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def _groups_by_name(model, weight_decay):  # decays BatchNorm/LayerNorm weights too
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    rest = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def _freeze_bn(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.requires_grad_(False)
            m.eval()


def _freeze_bn_parameters_only(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.requires_grad_(False)


# --- chapter 8 -------------------------------------------------------------------------


def _ece_loop(probs, target, n_bins, closed_right=True):
    conf, pred = probs.max(dim=1)
    correct = (pred == target).double()
    if closed_right:
        index = (torch.ceil(conf * n_bins).long() - 1).clamp(0, n_bins - 1)
    else:
        index = (conf * n_bins).long().clamp(0, n_bins - 1)
    ece = torch.zeros((), dtype=torch.float64)
    for b in range(n_bins):
        m = index == b
        if m.any():
            ece += m.sum() / len(target) * (correct[m].mean() - conf[m].mean()).abs()
    return ece


def _fit_t_golden(logits, target):
    # Golden-section search on log T (the NLL is unimodal in log T).
    def nll(log_t):
        return F.cross_entropy(logits.double() / math.exp(log_t), target).item()

    lo, hi, r = -4.0, 4.0, (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - r * (hi - lo), lo + r * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return math.exp((lo + hi) / 2)


def _topk(logits, target, k):
    return (logits.topk(k, dim=1).indices == target[:, None]).any(dim=1).float().mean()


# --- chapter 9 -------------------------------------------------------------------------


def _online_lse(logits, chunk_size):
    m = torch.full(logits.shape[:-1], float("-inf"), dtype=logits.dtype)
    s = torch.zeros(logits.shape[:-1], dtype=logits.dtype)
    for a in range(0, logits.shape[-1], chunk_size):
        c = logits[..., a : a + chunk_size]
        m_new = torch.maximum(m, c.amax(dim=-1))
        s = s * (m - m_new).exp() + (c - m_new[..., None]).exp().sum(dim=-1)
        m = m_new
    return m + s.log()


def _chunked_naive_lse(logits, chunk_size):
    chunks = range(0, logits.shape[-1], chunk_size)
    return sum(logits[..., a : a + chunk_size].exp().sum(dim=-1) for a in chunks).log()


def _next_token(logits, tokens, pad_id):
    labels = tokens[:, 1:].masked_fill(tokens[:, 1:] == pad_id, -100)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1))


def _next_token_no_mask(logits, tokens, pad_id):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))


def _accumulate(logits, targets):
    n = sum(int((t != -100).sum()) for t in targets)
    return [
        F.cross_entropy(z, t, reduction="sum") / n for z, t in zip(logits, targets, strict=True)
    ]


def _accumulate_means(logits, targets):
    return [F.cross_entropy(z, t) / len(logits) for z, t in zip(logits, targets, strict=True)]


CORRECT = [
    (ch07.check_count_parameters, _count),
    (ch07.check_weight_decay_groups, _groups),
    (ch07.check_freeze_batchnorm, _freeze_bn),
    (ch08.check_expected_calibration_error, _ece_loop),
    (ch08.check_expected_calibration_error, calibration.expected_calibration_error),
    (ch08.check_fit_temperature, calibration.fit_temperature),
    (ch08.check_fit_temperature, _fit_t_golden),
    (ch08.check_topk_accuracy, _topk),
    (ch09.check_online_logsumexp, _online_lse),
    (ch09.check_next_token_loss, _next_token),
    (ch09.check_accumulation_losses, _accumulate),
]

# (checker, a typical mistake, how many cases it fails, a phrase of one failure line)
MISTAKES = [
    (ch07.check_count_parameters, lambda s: _count(s) - s[-1], 5, "expected 101,770"),
    (ch07.check_count_parameters, lambda s: float(_count(s)) + 0.5, 5, "a whole number"),
    (ch07.check_weight_decay_groups, _groups_by_name, 3, "the tensors with ndim >= 2"),
    (ch07.check_weight_decay_groups, lambda m, wd: [list(m.parameters())], 4, "two dicts"),
    (ch07.check_freeze_batchnorm, _freeze_bn_parameters_only, 3, "still in training mode"),
    (ch07.check_freeze_batchnorm, lambda m: m.eval(), 4, "still requires grad"),
    (ch08.check_expected_calibration_error, lambda p, t, m: _ece_loop(p, t, m, False), 1, "4 bins"),
    (ch08.check_fit_temperature, lambda z, t: 1.0, 4, "the best temperature reaches"),
    (ch08.check_fit_temperature, lambda z, t: -1.0, 4, "expected a temperature > 0"),
    (ch08.check_topk_accuracy, lambda z, t, k: _topk(z, t, 1), 3, "top-3"),
    (ch09.check_online_logsumexp, _chunked_naive_lse, 2, "magnitude 1000"),
    (ch09.check_next_token_loss, _next_token_no_mask, 3, "trailing padding"),
    (ch09.check_accumulation_losses, _accumulate_means, 3, "the full-batch mean is"),
]


@pytest.mark.parametrize(("checker", "fn"), CORRECT)
def test_correct_implementation_passes(checker, fn):
    report = checker(fn)
    assert report.passed, str(report)
    assert str(report) == f"All {report.n_checks} checks passed."
    assert report.n_checks >= 4


@pytest.mark.parametrize(("checker", "fn", "n_failed", "phrase"), MISTAKES)
def test_typical_mistake_fails_with_a_clear_report(checker, fn, n_failed, phrase):
    report = checker(fn)
    assert not report.passed
    assert len(report.failures) == n_failed, str(report)
    assert any(phrase in f for f in report.failures), str(report)
    assert str(report).startswith(f"{n_failed} of {report.n_checks} checks failed:\n- ")


CHECKERS = sorted({c for c, _ in CORRECT}, key=lambda c: c.__name__)


@pytest.mark.parametrize("checker", CHECKERS)
def test_stub_is_reported_as_not_implemented(checker):
    report = checker(_stub)
    assert not report.passed and report.not_implemented
    assert str(report).startswith("Not implemented yet: your ")


@pytest.mark.parametrize("checker", CHECKERS)
def test_a_non_callable_is_a_type_error(checker):
    with pytest.raises(TypeError, match="fn: expected your function"):
        checker("my_function")


def test_an_error_in_the_readers_function_is_reported_per_case():
    def broken(*args):
        raise ValueError("oops")

    report = ch09.check_accumulation_losses(broken)
    assert len(report.failures) == report.n_checks
    assert all("your function raised ValueError: oops" in f for f in report.failures)


def test_checkers_leave_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for checker, fn in CORRECT:
        if fn is not _fit_t_golden:  # the slowest; the others cover every module
            checker(fn)
    torch.testing.assert_close(torch.rand(3), expected)


def test_freeze_checker_does_not_keep_the_readers_changes_between_cases():
    calls = []

    def record(model):
        calls.append(model.training)
        _freeze_bn(model)

    assert ch07.check_freeze_batchnorm(record).passed
    assert calls == [True, True, True, True]  # each case starts from a model in training mode
